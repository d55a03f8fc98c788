"""Validating the YAML tree against ``schemas/protocol.schema.json``.

Three steps, in order:

1. the ``trialspec:`` version is checked first (TS211): a protocol for another language
   version may mean something else, so nothing more is said about it;
2. scalars are read in the light of what the schema expects at their place
   (:meth:`_Schema.normalize`): an unquoted ``Y``/``no``/``on`` where text is expected is
   reported (TS210), where a boolean is expected it is the boolean YAML 1.1 meant; an
   unquoted number where only text is expected (a reported ``p: 0.290``) is its source text;
3. the plain-Python view of the tree is validated: first by the schema compiled to plain
   checks (``schema_fit.fits``), and only when it does not fit by jsonschema, whose errors
   are each mapped back to the node they are about: one diagnostic per place, the most
   relevant one, with an unknown key getting a "did you mean" (TS208) and the rest a
   readable message (TS209).

jsonschema is imported only when a protocol does not fit (or ``fits`` cannot tell).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.protocol.schema_fit import fits
from trialspec.protocol.yamlload import MapNode, Node, ScalarNode, SeqNode, key_text, lookup
from trialspec.source import Span

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SUPPORTED_VERSIONS = (1,)

Path = tuple[str | int, ...]
Schemas = list[dict[str, Any]] | None  # the schemas that apply at a place; None: anything goes


@cache
def load_schema() -> dict[str, Any]:
    """The protocol JSON Schema, read from the package data."""
    ref = resources.files("trialspec").joinpath("schemas/protocol.schema.json")
    return json.loads(ref.read_text(encoding="utf-8"))


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


def validate(tree: Node) -> tuple[MapNode | None, list[Diagnostic]]:
    """Check a loaded tree against the protocol schema.

    Returns the normalized tree (see the module docstring) when it fits the schema, so the
    model can be built from it, and None when it does not; diagnostics either way.
    """
    if not isinstance(tree, MapNode):
        shape = "a list" if isinstance(tree, SeqNode) else "a single value"
        return None, [Diagnostic(
            "TS207", f"the protocol is {shape}; it must be a mapping of sections",
            tree.span, hint="Start the file with `trialspec: 1` and `study:`, each at the "
            "beginning of a line, without a leading `- `.")]
    version_ok, diags = _check_version(tree)
    if not version_ok:
        return None, diags
    schema = _Schema(load_schema())
    tree = schema.normalize(tree, diags)
    view = plain(tree)
    if fits(view, load_schema()):  # most protocols fit: then jsonschema is not even imported
        return tree, diags
    errors = list(_schema_errors(view, tree, schema, skip_required={"trialspec"}))
    return (None if errors else tree), diags + errors


def plain(node: Node) -> Any:
    """The tree as plain Python values (dicts, lists, scalars), as JSON Schema sees it."""
    if isinstance(node, MapNode):
        return {key_text(k): plain(v) for k, v in node.items}
    if isinstance(node, SeqNode):
        return [plain(item) for item in node.items]
    return node.value


def _check_version(root: MapNode) -> tuple[bool, list[Diagnostic]]:
    found = lookup(root, "trialspec")
    supported = ", ".join(map(str, SUPPORTED_VERSIONS))
    if found is None:
        first = root.items[0][0].span if root.items else root.span
        return True, [Diagnostic(
            "TS211", "the protocol does not say which trialspec version it is written in",
            first, hint="Add `trialspec: 1` as the first line.")]
    value = found[1]
    if (isinstance(value, ScalarNode) and isinstance(value.value, int)
            and not isinstance(value.value, bool) and value.value in SUPPORTED_VERSIONS):
        return True, []
    shown = value.raw if isinstance(value, ScalarNode) else "a collection"
    return False, [Diagnostic(
        "TS211", f"trialspec version `{shown}` is not supported (this release reads version "
        f"{supported})", value.span, hint=f"Write `trialspec: {SUPPORTED_VERSIONS[-1]}`, "
        "written as a number, and check the protocol against docs/protocol.md.")]


# --- what the schema expects where ------------------------------------------------------

_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
    (type(None), "null"), (list, "array"), (dict, "object"),
)
_COMBINATORS = ("anyOf", "oneOf", "allOf")
_TRUTHY = {"y", "yes", "on"}


def _json_type(value: Any) -> str:
    return next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


class _Schema:
    """Walks the schema alongside the tree: which subschemas apply at each place."""

    def __init__(self, root: dict[str, Any]):
        self.root = root

    def resolve(self, schema: Any) -> Any:
        for _ in range(50):
            if not (isinstance(schema, dict) and "$ref" in schema):
                return schema
            target: Any = self.root
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            schema = target | {k: v for k, v in schema.items() if k != "$ref"}
        return schema

    def leaves(self, schemas: Schemas) -> Schemas:
        """Expand references and combinators; None if any branch accepts anything."""
        if schemas is None:
            return None
        out: list[dict[str, Any]] = []
        stack = list(schemas)
        while stack:
            s = self.resolve(stack.pop())
            if s is True or s == {}:
                return None
            if s is False:
                continue
            branches = [b for c in _COMBINATORS for b in s.get(c, ())]
            stack.extend(branches)
            if not branches or any(k in s for k in ("type", "enum", "const")):
                out.append(s)
        return out

    def at(self, path: Path) -> Schemas:
        schemas: Schemas = [self.root]
        for part in path:
            schemas = self.item(schemas) if isinstance(part, int) else self.child(schemas, part)
        return schemas

    def child(self, schemas: Schemas, key: str) -> Schemas:
        leaves = self.leaves(schemas)
        if leaves is None:
            return None
        out: list[dict[str, Any]] = []
        for s in leaves:
            if "object" not in (_types_of(s, {"object"}) or ()):
                continue
            if key in s.get("properties", {}):
                out.append(s["properties"][key])
                continue
            patterns = [v for p, v in s.get("patternProperties", {}).items() if re.search(p, key)]
            if patterns:
                out.extend(patterns)
                continue
            extra = s.get("additionalProperties", True)
            if extra is True:
                return None
            if extra is not False:
                out.append(extra)
        return out

    def item(self, schemas: Schemas) -> Schemas:
        leaves = self.leaves(schemas)
        if leaves is None:
            return None
        out: list[dict[str, Any]] = []
        for s in leaves:
            if "array" not in (_types_of(s, {"array"}) or ()):
                continue
            items = s.get("items", True)
            if items is True:
                return None
            out.append(items)
        return out

    def types(self, schemas: Schemas) -> set[str] | None:
        """The JSON types allowed at a place; None if anything goes."""
        leaves = self.leaves(schemas)
        if leaves is None:
            return None
        found: set[str] = set()
        for s in leaves:
            kinds = _types_of(s, None)
            if kinds is None:
                return None
            found |= kinds
        return found

    def describe(self, path: Path) -> str | None:
        """The schema's description of a place, for hints."""
        schemas = self.at(path) or []
        for s in [self.resolve(s) for s in schemas] + (self.leaves(schemas) or []):
            if "description" in s:
                return str(s["description"])
        return None

    def property_names(self, path: Path) -> list[str]:
        names: list[str] = []
        for s in self.leaves(self.at(path)) or []:
            names += [n for n in s.get("properties", {}) if n not in names]
        return names

    # --- reading scalars in place -------------------------------------------------------

    def normalize(self, tree: MapNode, diags: list[Diagnostic]) -> MapNode:
        """The tree with each scalar read as its place in the schema says (module doc)."""
        out = self._normalize(tree, [self.root], diags)
        assert isinstance(out, MapNode)
        return out

    def _normalize(self, node: Node, schemas: Schemas, diags: list[Diagnostic]) -> Node:
        if isinstance(node, MapNode):
            return MapNode(tuple((k, self._normalize(v, self.child(schemas, key_text(k)), diags))
                                 for k, v in node.items), node.span)
        if isinstance(node, SeqNode):
            inner = self.item(schemas)
            return SeqNode(tuple(self._normalize(i, inner, diags) for i in node.items), node.span)
        return self._scalar(node, self.types(schemas), diags)

    def _scalar(self, node: ScalarNode, types: set[str] | None,
                diags: list[Diagnostic]) -> ScalarNode:
        if node.yaml11_bool:
            if types is None:
                diags.append(_yaml11(node, Severity.WARNING))
            elif "string" in types:
                diags.append(_yaml11(node, Severity.ERROR))
            elif "boolean" in types:
                return _replace(node, node.raw.lower() in _TRUTHY)
            return node
        number = isinstance(node.value, int | float) and not isinstance(node.value, bool)
        if (number and node.style is None and types is not None and "string" in types
                and not types & {"number", "integer"}):
            return _replace(node, node.raw)
        return node


def _types_of(schema: dict[str, Any], default: set[str] | None) -> set[str] | None:
    if "type" in schema:
        t = schema["type"]
        return {t} if isinstance(t, str) else set(t)
    if "enum" in schema:
        return {_json_type(v) for v in schema["enum"]}
    if "const" in schema:
        return {_json_type(schema["const"])}
    if any(k in schema for k in ("properties", "additionalProperties", "propertyNames")):
        return {"object"}
    if "items" in schema:
        return {"array"}
    return default


def _replace(node: ScalarNode, value: Any) -> ScalarNode:
    return ScalarNode(value, node.raw, node.style, node.span, node.smap)


def _yaml11(node: ScalarNode, severity: Severity) -> Diagnostic:
    meaning = "true" if node.raw.lower() in _TRUTHY else "false"
    if severity is Severity.ERROR:
        return Diagnostic(
            "TS210", f"unquoted `{node.raw}` where text is expected: YAML 1.1 tools read it as "
            f"the boolean {meaning}", node.span, hint=f'Quote it: "{node.raw}".')
    return Diagnostic(
        "TS210", f"unquoted `{node.raw}` is read as the text \"{node.raw}\", but YAML 1.1 "
        f"tools read it as the boolean {meaning}", node.span,
        hint=f'Quote it ("{node.raw}") if you mean the text, or write {meaning} if you mean '
        "the boolean.", severity=Severity.WARNING)


# --- mapping jsonschema errors back to the file -----------------------------------------

# a place: ("value", path) | ("key", path, name) | ("missing", path, name)
Place = tuple[Any, ...]


def _schema_errors(view: Any, tree: MapNode, schema: _Schema,
                   skip_required: set[str]) -> Iterator[Diagnostic]:
    from jsonschema.exceptions import best_match, relevance

    groups: dict[Place, list[ValidationError]] = {}
    for found in _validator().iter_errors(view):
        for error in _focus(found, schema, best_match):
            for place in _places(error):
                if place[0] == "missing" and not place[1] and place[2] in skip_required:
                    continue
                groups.setdefault(place, []).append(error)
    for place, errors in groups.items():
        yield _diagnose(place, max(errors, key=relevance), tree, schema)


def _focus(error: ValidationError, schema: _Schema,
           best_match: Callable[[list[ValidationError]], ValidationError]
           ) -> list[ValidationError]:
    """The errors worth showing for one error of an ``anyOf``/``oneOf``.

    If the value's type fits only one of the alternatives (a mapping where the choice is
    an expression or a mapping), that alternative's errors are the ones that matter, all of
    them; otherwise jsonschema's best match.
    """
    if not error.context or "errorMessage" in error.schema:
        return [error]
    kind = _json_type(error.instance)
    branches = error.validator_value
    fitting = {i for i, branch in enumerate(branches)
               if (t := schema.types([branch])) is None or _fits_kind(kind, t)}
    if len(fitting) == 1:
        chosen = [e for e in error.context if e.relative_schema_path[0] in fitting]
        if chosen:
            return [f for e in chosen for f in _focus(e, schema, best_match)]
    return [best_match([error])]


def _places(error: ValidationError) -> Iterator[Place]:
    path: Path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        for name in error.instance:
            if name not in known:
                yield ("key", path, name)
    elif error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield ("missing", path, name)
    elif _from_property_names(error):
        yield ("key", path, error.instance)
    elif error.validator == "uniqueItems" and isinstance(error.instance, list):
        seen: list[Any] = []
        for i, item in enumerate(error.instance):
            if item in seen:
                yield ("value", (*path, i))
                return
            seen.append(item)
        yield ("value", path)
    else:
        yield ("value", path)


def _from_property_names(error: ValidationError) -> bool:
    parts = [p for p in error.absolute_schema_path if isinstance(p, str)]
    structural = ("properties", "additionalProperties", "patternProperties", "items")
    last = max((i for i, p in enumerate(parts) if p in structural), default=-1)
    return "propertyNames" in parts[last + 1:]


def _find(tree: Node, path: Path) -> tuple[ScalarNode | None, Node]:
    """The node at ``path`` and the key it is the value of (None for list items, root)."""
    key: ScalarNode | None = None
    node = tree
    for part in path:
        if isinstance(node, MapNode) and isinstance(part, str):
            found = lookup(node, part)
            if found is None:
                break
            key, node = found
        elif isinstance(node, SeqNode) and isinstance(part, int) and part < len(node.items):
            key, node = None, node.items[part]
        else:
            break
    return key, node


def _where(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the protocol"


def _diagnose(place: Place, error: ValidationError, tree: MapNode,
              schema: _Schema) -> Diagnostic:
    kind, path = place[0], place[1]
    key, node = _find(tree, path)
    if kind == "key":
        name = place[2]
        found = lookup(node, name) if isinstance(node, MapNode) else None
        span = found[0].span if found else node.span
        if error.validator == "additionalProperties":
            return _unknown_key(name, path, span, schema)
        message = error.schema.get("patternErrorMessage") or "the name does not have the " \
            "expected form"
        return Diagnostic("TS209", f"`{name}` is not a valid key in `{_where(path)}`: {message}",
                          span, hint=f"Rename `{name}`.")
    if kind == "missing":
        name = place[2]
        span = key.span if key is not None else _first_line(node)
        wanted = schema.describe((*path, name))
        owner = "the protocol" if not path else f"`{_where(path)}`"
        return Diagnostic("TS209", f"{owner} is missing the required key `{name}`", span,
                          hint=f"Add `{name}:`" + (f" ({wanted.rstrip('.')})" if wanted else "")
                          + ".")
    if error.validator == "type" and len(path) <= 1 and "object" in _expected(error):
        return Diagnostic("TS207", f"`{_where(path)}` must be a mapping of keys, not "
                          f"{_describe(error.instance)}", node.span,
                          hint=schema.describe(path) or "See docs/protocol.md.")
    message, hint = _MESSAGES.get(error.validator, _generic)(error, path)
    allowed = schema.types(schema.at(path))
    if error.validator in ("anyOf", "oneOf") and allowed and not _fits(error.instance, allowed):
        message = (f"`{_where(path)}` should be "
                   f"{_or(_TYPE_WORDS.get(t, t) for t in sorted(allowed))}, "
                   f"not {_describe(error.instance)}")
        if isinstance(error.instance, bool) and "string" in allowed:
            hint = f'Quote it: "{str(error.instance).lower()}".'
    custom = error.schema.get("errorMessage") or (
        error.schema.get("patternErrorMessage") if error.validator == "pattern" else None)
    if custom:
        message = f"{message}: {custom}"
    described = schema.describe(path)
    if hint is None:
        hint = described or "See docs/protocol.md."
    return Diagnostic("TS209", message, node.span, hint=hint)


def _fits(value: Any, allowed: set[str]) -> bool:
    return _fits_kind(_json_type(value), allowed)


def _fits_kind(kind: str, allowed: set[str]) -> bool:
    return kind in allowed or (kind == "integer" and "number" in allowed)


def _first_line(node: Node) -> Span:
    s = node.span
    return Span(s.path, s.line, s.col, s.line, s.col + 1)


def _unknown_key(name: str, path: Path, span: Span, schema: _Schema) -> Diagnostic:
    allowed = schema.property_names(path)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    where = "at the top level" if not path else f"in `{_where(path)}`"
    if close:
        hint = f"Did you mean `{close[0]}`?"
    else:
        hint = "Expected one of: " + ", ".join(f"`{a}`" for a in allowed) + "."
    return Diagnostic("TS208", f"unknown key `{name}` {where}", span, hint=hint)


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "text",
               "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "null": "empty"}


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the text "{value[:40]}{"..." if len(value) > 40 else ""}"'
    return "a list" if isinstance(value, list) else "a mapping"


def _expected(error: ValidationError) -> list[str]:
    t = error.validator_value
    return [t] if isinstance(t, str) else list(t)


def _or(words: Iterable[str]) -> str:
    w = list(dict.fromkeys(words))
    return w[0] if len(w) == 1 else ", ".join(w[:-1]) + " or " + w[-1]


def _type(error: ValidationError, path: Path) -> tuple[str, str | None]:
    allowed = _expected(error)
    expected = [t for t in allowed if not (t == "integer" and "number" in allowed)]
    message = (f"`{_where(path)}` should be {_or(_TYPE_WORDS.get(t, t) for t in expected)}, "
               f"not {_describe(error.instance)}")
    hint = None
    if isinstance(error.instance, bool) and "string" in expected:
        hint = f'Quote it: "{str(error.instance).lower()}".'
    elif error.instance is None:
        hint = "Give it a value, or remove the key."
    return message, hint


def _enum(error: ValidationError, path: Path) -> tuple[str, str | None]:
    options = [str(v) for v in error.validator_value]
    message = (f"`{_where(path)}` is `{error.instance}`, which is not one of: "
               + ", ".join(options))
    by_lower = {o.lower(): o for o in options}
    close = difflib.get_close_matches(str(error.instance).lower(), by_lower, n=1, cutoff=0.6)
    return message, (f"Did you mean `{by_lower[close[0]]}`?" if close else None)


def _const(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}` must be `{error.validator_value}`", None


def _pattern(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}` is `{error.instance}`, which does not have the expected form", None


def _bound(word: str) -> Callable[[ValidationError, Path], tuple[str, str | None]]:
    def message(error: ValidationError, path: Path) -> tuple[str, str | None]:
        return (f"`{_where(path)}` is {error.instance}, {word} {error.validator_value}", None)
    return message


def _size(what: str) -> Callable[[ValidationError, Path], tuple[str, str | None]]:
    def message(error: ValidationError, path: Path) -> tuple[str, str | None]:
        n = error.validator_value
        return f"`{_where(path)}` needs at least {n} {what}{'s' if n != 1 else ''}", None
    return message


def _unique(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}` repeats a value already listed", "Remove the repeated value."


def _any(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}` is {_describe(error.instance)}, which is not a valid value", None


def _min_length(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}` is empty", "Give it a value, or remove the key."


def _generic(error: ValidationError, path: Path) -> tuple[str, str | None]:
    return f"`{_where(path)}`: {error.message}", None


_MESSAGES: dict[str, Callable[[ValidationError, Path], tuple[str, str | None]]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minimum": _bound("below the minimum"),
    "exclusiveMinimum": _bound("not above"),
    "maximum": _bound("above the maximum"),
    "exclusiveMaximum": _bound("not below"),
    "minItems": _size("item"),
    "minProperties": _size("key"),
    "minLength": _min_length,
    "uniqueItems": _unique,
    "anyOf": _any,
    "oneOf": _any,
    "not": _any,
}

