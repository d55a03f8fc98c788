"""Canonical JSON for lock files: plain values, rounded floats, sorted keys, one value per line.

``dump`` writes exactly what ``json.dumps(doc, indent=2, sort_keys=True)`` writes, and also says
on which line each value sits, so a finding can point at the line of the lock that moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

SIGNIFICANT_DIGITS = 12  # floats are kept to 12 significant digits: stable across platforms
NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}

Path = tuple[str | int, ...]  # keys and list positions from the document's root


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data: str keys, lists, ints, floats rounded to 12 significant digits."""
    if value is None or isinstance(value, bool | str):
        return value
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()  # a numpy scalar
        if isinstance(value, bool):
            return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return round_float(float(value))
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if hasattr(value, "tolist"):  # a numpy array
        return canonical(value.tolist())
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def round_float(x: float) -> float | str:
    """Round to SIGNIFICANT_DIGITS; NaN and infinities (not JSON numbers) become strings."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return NON_FINITE[x]
    r = float(f"{x:.{SIGNIFICANT_DIGITS}g}")
    return 0.0 if r == 0 else r  # no -0.0


def dump(doc: Any) -> tuple[str, dict[Path, int]]:
    """The document as indented, key-sorted JSON text, and the (1-based) line of every value."""
    lines: list[str] = []
    where: dict[Path, int] = {}

    def emit(value: Any, path: Path, depth: int, prefix: str, comma: str) -> None:
        pad = "  " * depth
        where[path] = len(lines) + 1
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{prefix}{{")
            items = sorted(value.items())
            for i, (k, v) in enumerate(items):
                emit(v, (*path, k), depth + 1, _text(k) + ": ", "," if i < len(items) - 1 else "")
            lines.append(f"{pad}}}{comma}")
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{prefix}[")
            for i, v in enumerate(value):
                emit(v, (*path, i), depth + 1, "", "," if i < len(value) - 1 else "")
            lines.append(f"{pad}]{comma}")
        else:
            lines.append(f"{pad}{prefix}{_text(value)}{comma}")

    emit(doc, (), 0, "", "")
    return "\n".join(lines) + "\n", where


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def sha256_of(doc: Any) -> str:
    """The sha256 of a document's compact canonical JSON (key order does not matter)."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
