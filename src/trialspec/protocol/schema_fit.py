"""Whether a document fits the protocol schema, answered without jsonschema when it does.

jsonschema is the validator of record: its errors are what ``schema.py`` maps back to the
file. But most documents fit, and importing jsonschema (its specifications, ``referencing``,
``attrs``) and walking the schema with it costs 80-110 ms of every command's start, more
than the rest of loading a protocol. So ``fits`` first checks the document against the
schema compiled into plain Python checks; only a document that does not fit, or that it
cannot judge, goes to jsonschema.

The checks cover the keywords the protocol schema uses, with Draft 2020-12's meaning:
``type``, ``$ref`` (to ``#/$defs/...``), ``anyOf``, ``properties``, ``additionalProperties``,
``propertyNames``, ``required``, ``min/maxProperties``, ``items``, ``min/maxItems``,
``uniqueItems``, ``minLength``, ``pattern``, ``minimum``, ``maximum``, ``enum``, ``const``;
annotations (``title``, ``description``, ``examples``, ...) are ignored. A schema with any
other keyword is not compiled (``fits`` then always answers None), and where equality is
not JSON's (a NaN, a value JSON has no type for) the answer is None too: the caller asks
jsonschema. tests/protocol/test_schema_fit.py holds ``fits`` to jsonschema on every
shipped protocol and on thousands of mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = frozenset({"title", "description", "examples", "$schema", "$id", "$defs",
                         "$comment", "default", "patternErrorMessage", "deprecated"})


class Unsure(Exception):
    """Raised while checking where only jsonschema can tell (the caller then asks it)."""


class Unsupported(Exception):
    """A schema keyword the checks do not cover."""


def fits(instance: Any, schema: dict[str, Any]) -> bool | None:
    """True when ``instance`` fits ``schema``, False when it does not, None when only
    jsonschema can tell (a keyword or a comparison the checks do not cover)."""
    check = compiled(schema)
    if check is None:
        return None
    try:
        return check(instance)
    except Unsure:
        return None


_COMPILED: dict[int, tuple[dict[str, Any], Check | None]] = {}


def compiled(schema: dict[str, Any]) -> Check | None:
    """``schema`` as one check (kept for the schema object), None when it uses a keyword
    the checks do not cover."""
    kept = _COMPILED.get(id(schema))
    if kept is not None and kept[0] is schema:
        return kept[1]
    try:
        check: Check | None = _Compiler(schema).compile(schema)
    except Unsupported:
        check = None
    _COMPILED[id(schema)] = (schema, check)
    return check


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    # Draft 2020-12: an integer is a number with no fractional part (1.0 is one)
    "integer": lambda x: _is_number(x) and (isinstance(x, int) or float(x).is_integer()),
}


def _plain_key(x: Any) -> tuple[str, Any]:
    """A value's identity under JSON Schema's equality (1 equals 1.0, true does not equal 1,
    objects and arrays by their members), hashable; ``Unsure`` for NaN and for values that
    are not JSON's."""
    if x is None or isinstance(x, (str, bool)):
        return type(x).__name__, x
    if _is_number(x):
        if x != x:
            raise Unsure
        return "number", x
    if isinstance(x, list):
        return "array", tuple(_plain_key(v) for v in x)
    if isinstance(x, dict) and all(isinstance(k, str) for k in x):
        return "object", frozenset((k, _plain_key(v)) for k, v in x.items())
    raise Unsure


class _Compiler:
    """Compiles a schema (with its ``$defs``) to nested closures, each ``$ref`` once."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return lambda x: True
        if schema is False:
            return lambda x: False
        if not isinstance(schema, dict):
            raise Unsupported(repr(schema))
        checks: list[Check] = []
        for key, value in schema.items():
            if key in ANNOTATIONS or key == "additionalProperties" and "properties" in schema:
                continue
            make = getattr(self, "_" + key.lstrip("$"), None)
            if make is None:
                raise Unsupported(key)
            checks.append(make(value, schema))
        if not checks:
            return lambda x: True
        if len(checks) == 1:
            return checks[0]
        return lambda x: all(check(x) for check in checks)

    # -- references and combinations --------------------------------------------------------
    def _ref(self, ref: str, schema: dict[str, Any]) -> Check:
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/"):]:
            raise Unsupported(ref)
        if ref not in self.refs:
            slot: list[Check] = []
            self.refs[ref] = lambda x: slot[0](x)  # (a definition may refer to itself)
            slot.append(self.compile(self.root["$defs"][ref[len("#/$defs/"):]]))
        return self.refs[ref]

    def _anyOf(self, subs: list[Any], schema: dict[str, Any]) -> Check:
        checks = [self.compile(s) for s in subs]
        return lambda x: any(check(x) for check in checks)

    # -- objects ------------------------------------------------------------------------------
    def _properties(self, props: dict[str, Any], schema: dict[str, Any]) -> Check:
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        checks = {name: self.compile(s) for name, s in props.items()}
        extra = self.compile(schema["additionalProperties"]) if "additionalProperties" in schema else None

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            for name, value in x.items():
                sub = checks.get(name)
                if sub is not None:
                    if not sub(value):
                        return False
                elif extra is not None and not extra(value):
                    return False
            return True
        return check

    def _additionalProperties(self, sub: Any, schema: dict[str, Any]) -> Check:  # (no properties)
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        check = self.compile(sub)
        return lambda x: not isinstance(x, dict) or all(check(v) for v in x.values())

    def _propertyNames(self, sub: Any, schema: dict[str, Any]) -> Check:
        check = self.compile(sub)
        return lambda x: not isinstance(x, dict) or all(check(k) for k in x)

    def _required(self, names: list[str], schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, dict) or all(n in x for n in names)

    def _minProperties(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, dict) or len(x) >= n

    def _maxProperties(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, dict) or len(x) <= n

    # -- arrays ---------------------------------------------------------------------------------
    def _items(self, sub: Any, schema: dict[str, Any]) -> Check:
        if "prefixItems" in schema or isinstance(sub, list):
            raise Unsupported("prefixItems")
        check = self.compile(sub)
        return lambda x: not isinstance(x, list) or all(check(v) for v in x)

    def _minItems(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, list) or len(x) >= n

    def _maxItems(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, list) or len(x) <= n

    def _uniqueItems(self, unique: bool, schema: dict[str, Any]) -> Check:
        if not unique:
            return lambda x: True

        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return True
            keys = [_plain_key(v) for v in x]
            return len(set(keys)) == len(keys)
        return check

    # -- scalars --------------------------------------------------------------------------------
    def _type(self, kind: str | list[str], schema: dict[str, Any]) -> Check:
        kinds = [kind] if isinstance(kind, str) else kind
        if any(k not in TYPES for k in kinds):
            raise Unsupported(f"type {kind}")
        checks = [TYPES[k] for k in kinds]
        return checks[0] if len(checks) == 1 else (lambda x: any(check(x) for check in checks))

    def _minLength(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, str) or len(x) >= n

    def _maxLength(self, n: int, schema: dict[str, Any]) -> Check:
        return lambda x: not isinstance(x, str) or len(x) <= n

    def _pattern(self, pattern: str, schema: dict[str, Any]) -> Check:
        search = re.compile(pattern).search  # (jsonschema: re.search, unanchored)
        return lambda x: not isinstance(x, str) or search(x) is not None

    def _minimum(self, m: float, schema: dict[str, Any]) -> Check:
        return lambda x: not _is_number(x) or x >= m

    def _maximum(self, m: float, schema: dict[str, Any]) -> Check:
        return lambda x: not _is_number(x) or x <= m

    def _enum(self, values: list[Any], schema: dict[str, Any]) -> Check:
        try:
            allowed = {_plain_key(v) for v in values}
        except Unsure as err:
            raise Unsupported("enum of structured values") from err
        return lambda x: _plain_key(x) in allowed

    def _const(self, value: Any, schema: dict[str, Any]) -> Check:
        return self._enum([value], schema)
