"""``json.dumps(value, indent=2, default=str)``, byte for byte, at the C encoder's speed.

With ``indent`` Python's json module falls back to its pure-Python encoder, which costs about a
microsecond per value: a report with per-subject lists of millions spends most of a check there.
Here containers are laid out in Python, but every list or object whose members are all plain
values (the long per-subject columns) is encoded in one call of the C encoder, whose item
separator carries the newline and indentation, so the text is the same as ``indent=2`` gives.
"""

from __future__ import annotations

import json
from typing import Any

_PLAIN = (str, int, float, bool, type(None))


def dumps(value: Any, default: Any = str) -> str:
    """The text of ``json.dumps(value, indent=2, default=default)``."""
    parts: list[str] = []
    _emit(value, 0, parts, default)
    return "".join(parts)


def _plain(items: Any) -> bool:
    return all(type(x) in _PLAIN for x in items)


def _emit(value: Any, depth: int, out: list[str], default: Any) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        pad = "\n" + "  " * (depth + 1)
        if _plain(value.values()) and all(type(k) is str for k in value):
            out.append("{" + pad + json.dumps(value, separators=("," + pad, ": "), default=default)[1:-1]
                       + "\n" + "  " * depth + "}")
            return
        out.append("{")
        first = True
        for k, v in value.items():
            out.append(("" if first else ",") + pad + json.dumps(_key(k)) + ": ")
            first = False
            _emit(v, depth + 1, out, default)
        out.append("\n" + "  " * depth + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        pad = "\n" + "  " * (depth + 1)
        if _plain(value):
            out.append("[" + pad + json.dumps(value, separators=("," + pad, ": "), default=default)[1:-1]
                       + "\n" + "  " * depth + "]")
            return
        out.append("[")
        for i, v in enumerate(value):
            out.append(("," if i else "") + pad)
            _emit(v, depth + 1, out, default)
        out.append("\n" + "  " * depth + "]")
    elif type(value) in _PLAIN:
        out.append(json.dumps(value))
    else:  # anything else as json.dumps shows it: through ``default`` (or its own encoding)
        out.append(json.dumps(value, indent=2, default=default).replace("\n", "\n" + "  " * depth))


def _key(k: Any) -> str:
    """A key as json.dumps writes it (numbers, booleans and None become their JSON text)."""
    if isinstance(k, str):
        return k
    if isinstance(k, bool | type(None)):
        return json.dumps(k)
    if isinstance(k, float):
        return json.dumps(float(k))
    return int.__repr__(k) if isinstance(k, int) else str(k)
