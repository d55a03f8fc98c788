"""The versioned criteria libraries shipped with trialspec, loaded by name.

A library is a protocol fragment (``<name>.yaml`` in this package): the columns it reads
from the assessments dataset, parameters with defaults, definitions, ordered categories
with their rules, confirmation settings, response rates and the values ``explain`` shows.
Expressions stay text with positions (:class:`trialspec.protocol.model.Expr`); the response
compiler (``domain/response_compile.py``) checks them against a protocol.

    library, diagnostics = load_library("imwg-2016")

Loading imports neither numpy nor pandas, so ``lint`` can use it. docs/response.md
describes the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.protocol.model import Definition, Expr, Value
from trialspec.protocol.yamlload import MapNode, Node, ScalarNode, SeqNode, key_text, load_yaml, lookup
from trialspec.source import SourceFile, Span

NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
COLUMN_TYPES = ("number", "boolean", "category", "date", "string")
OPTIONAL = ("missing", "false")

__all__ = ["Category", "Library", "LibraryColumn", "Rule", "available", "load_library"]


@dataclass(frozen=True, slots=True)
class LibraryColumn:
    """A column the library reads from the assessments dataset."""

    name: str
    span: Span
    type: str
    unit: str | None
    levels: tuple[str, ...] | None
    optional: str | None  # None: required; "missing" or "false": what an absent column means
    text: str | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One way to reach a category, with the sentence of the criteria it encodes."""

    id: str
    span: Span
    when: Expr
    source: str | None
    confirm: bool = True  # False: a single assessment suffices (imaging: new lesions)


@dataclass(frozen=True, slots=True)
class Category:
    """A response category: its rules (alternatives) and what it always requires."""

    name: str
    span: Span
    text: str | None
    rules: tuple[Rule, ...]
    requires: Expr | None
    requires_text: str | None


@dataclass(frozen=True, slots=True)
class Library:
    """A criteria library: everything in its YAML file, typed."""

    name: str
    title: str | None
    reference: str | None
    source: SourceFile
    span: Span
    columns: Mapping[str, LibraryColumn]
    time: str
    parameters: Mapping[str, Definition]
    parameter_sources: Mapping[str, str]
    definitions: Mapping[str, Definition]
    categories: tuple[Category, ...]  # best first
    progression: str
    confirmation: Mapping[str, Value]
    responders: Mapping[str, tuple[str, ...]]
    explain: Mapping[str, tuple[Expr, ...]]  # column -> a value, then values shown in brackets

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)


def available() -> list[str]:
    """The names of the shipped libraries."""
    root = resources.files(__name__)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


@lru_cache(maxsize=16)
def load_library(name: str) -> tuple[Library | None, tuple[Diagnostic, ...]]:
    """The library called ``name`` (None if there is none, or it is malformed: TS610)."""
    if not NAME.match(name) or name not in available():
        return None, ()
    resource = resources.files(__name__) / f"{name}.yaml"
    text = resource.read_text(encoding="utf-8")
    source = SourceFile(str(resource), text)
    tree, diags = load_yaml(source)
    if tree is None or not isinstance(tree, MapNode):
        span = Span(source.path, 1, 1, 1, 2)
        return None, (*diags, Diagnostic("TS610", f"criteria library {name} is not a YAML mapping", span))
    reader = _Reader(source)
    library = reader.library(tree, name)
    found = (*diags, *reader.diagnostics)
    return (None if reader.diagnostics else library), found


class _Reader:
    """Reads a library tree, reporting each shape problem as TS610 at its place."""

    def __init__(self, source: SourceFile):
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def bad(self, message: str, span: Span) -> None:
        self.diagnostics.append(Diagnostic("TS610", message, span, "docs/response.md describes the format."))

    # -- helpers ----------------------------------------------------------------------------

    def node(self, tree: MapNode, key: str, kind: type, required: bool = True) -> Any:
        found = lookup(tree, key)
        if found is None:
            if required:
                self.bad(f"`{key}` is missing", tree.span)
            return None
        if not isinstance(found[1], kind):
            self.bad(f"`{key}` must be a {kind.__name__.removesuffix('Node').lower()}", found[1].span)
            return None
        return found[1]

    def text(self, tree: MapNode, key: str, required: bool = False) -> str | None:
        value = self.node(tree, key, ScalarNode, required)
        if value is None or value.value is None:
            return None
        return value.value if isinstance(value.value, str) else value.raw

    def expr(self, node: Node | None, what: str) -> Expr | None:
        if not isinstance(node, ScalarNode) or node.value is None:
            self.bad(f"{what} must be an expression", node.span if node is not None else Span(
                self.source.path, 1, 1, 1, 2))
            return None
        text = node.value if isinstance(node.value, str) else node.raw
        return Expr(text, node.span, node.smap)

    def exprs(self, node: Node, what: str) -> tuple[Expr, ...]:
        """One expression, or a list of them."""
        items = node.items if isinstance(node, SeqNode) else (node,)
        found = tuple(self.expr(i, what) for i in items)
        return tuple(e for e in found if e is not None) if all(e is not None for e in found) else ()

    def names(self, node: Node | None, what: str) -> tuple[str, ...]:
        if not isinstance(node, SeqNode) or not all(isinstance(i, ScalarNode) for i in node.items):
            if node is not None:
                self.bad(f"{what} must be a list of names", node.span)
            return ()
        return tuple(str(i.value) if isinstance(i, ScalarNode) else "" for i in node.items)

    # -- sections ---------------------------------------------------------------------------

    def library(self, tree: MapNode, name: str) -> Library:
        declared = self.text(tree, "library", required=True)
        if declared is not None and declared != name:
            self.bad(f"the file {name}.yaml declares the library `{declared}`", tree.span)
        categories = self.categories(self.node(tree, "categories", MapNode))
        progression = self.text(tree, "progression", required=True) or ""
        if categories and progression not in {c.name for c in categories}:
            self.bad(f"the progression category `{progression}` is not a category", tree.span)
        parameters, sources = self.parameters(self.node(tree, "parameters", MapNode, required=False))
        time = self.text(tree, "time", required=True) or ""
        columns = self.columns(self.node(tree, "columns", MapNode))
        if time and time not in columns:
            self.bad(f"the time column `{time}` is not among `columns`", tree.span)
        return Library(
            name=name, title=self.text(tree, "title"), reference=self.text(tree, "reference"),
            source=self.source, span=tree.span, columns=columns, time=time,
            parameters=parameters, parameter_sources=sources,
            definitions=self.definitions(self.node(tree, "definitions", MapNode, required=False)),
            categories=categories, progression=progression,
            confirmation=_freeze(self.node(tree, "confirmation", MapNode, required=False)),
            responders=MappingProxyType({
                key_text(k): self.names(v, f"responders `{key_text(k)}`")
                for k, v in _items(self.node(tree, "responders", MapNode, required=False))}),
            explain=MappingProxyType({
                key_text(k): e for k, v in _items(self.node(tree, "explain", MapNode, required=False))
                if (e := self.exprs(v, f"explain `{key_text(k)}`"))}),
        )

    def columns(self, tree: MapNode | None) -> Mapping[str, LibraryColumn]:
        out: dict[str, LibraryColumn] = {}
        for k, v in _items(tree):
            name = key_text(k)
            if not isinstance(v, MapNode):
                self.bad(f"column `{name}` must be a mapping", v.span)
                continue
            kind = self.text(v, "type", required=True) or ""
            optional = self.text(v, "optional")
            if kind not in COLUMN_TYPES:
                self.bad(f"column `{name}` has type `{kind}`; one of {', '.join(COLUMN_TYPES)}", v.span)
            if optional is not None and optional not in OPTIONAL:
                self.bad(f"column `{name}`: `optional` is `missing` or `false`", v.span)
            found = lookup(v, "levels")
            levels = self.names(found[1], "levels") if found else None
            out[name] = LibraryColumn(name, k.span, kind, self.text(v, "unit"), levels or None, optional,
                                      self.text(v, "text"))
        return MappingProxyType(out)

    def parameters(self, tree: MapNode | None) -> tuple[Mapping[str, Definition], Mapping[str, str]]:
        out: dict[str, Definition] = {}
        sources: dict[str, str] = {}
        for k, v in _items(tree):
            name = key_text(k)
            found = lookup(v, "expr") if isinstance(v, MapNode) else None
            node = found[1] if found else v
            expr = self.expr(node, f"parameter `{name}`")
            if expr is None:
                continue
            text = self.text(v, "text") if isinstance(v, MapNode) else None
            out[name] = Definition(name, k.span, expr, text)
            if isinstance(v, MapNode) and (src := self.text(v, "source")):
                sources[name] = src
        return MappingProxyType(out), MappingProxyType(sources)

    def definitions(self, tree: MapNode | None) -> Mapping[str, Definition]:
        out: dict[str, Definition] = {}
        for k, v in _items(tree):
            expr = self.expr(v, f"definition `{key_text(k)}`")
            if expr is not None:
                out[key_text(k)] = Definition(key_text(k), k.span, expr, None)
        return MappingProxyType(out)

    def categories(self, tree: MapNode | None) -> tuple[Category, ...]:
        out: list[Category] = []
        for k, v in _items(tree):
            name = key_text(k)
            if not isinstance(v, MapNode):
                self.bad(f"category `{name}` must be a mapping", v.span)
                continue
            rules: list[Rule] = []
            if (found := lookup(v, "when")) is not None:
                when = self.expr(found[1], f"category `{name}`")
                if when is not None:
                    rules.append(Rule(name, found[0].span, when, self.text(v, "source")))
            for rk, rv in _items(self.node(v, "rules", MapNode, required=False)):
                rule = self.rule(name, rk, rv)
                if rule is not None:
                    rules.append(rule)
            if not rules:
                self.bad(f"category `{name}` needs `when` or `rules`", k.span)
            requires = lookup(v, "requires")
            out.append(Category(name, k.span, self.text(v, "text"), tuple(rules),
                                self.expr(requires[1], f"`requires` of `{name}`") if requires else None,
                                self.text(v, "requires_text")))
        return tuple(out)

    def rule(self, category: str, key: ScalarNode, node: Node) -> Rule | None:
        rid = key_text(key)
        if not isinstance(node, MapNode):
            self.bad(f"rule `{category}.{rid}` must be a mapping with `when`", node.span)
            return None
        when = self.expr(self.node(node, "when", ScalarNode), f"rule `{category}.{rid}`")
        confirm = lookup(node, "confirm")
        if when is None:
            return None
        return Rule(rid, key.span, when, self.text(node, "source"),
                    not (confirm is not None and isinstance(confirm[1], ScalarNode)
                         and confirm[1].value is False))


def _items(node: MapNode | None) -> tuple[tuple[ScalarNode, Node], ...]:
    return node.items if node is not None else ()


def _freeze(node: Node | None) -> Value:
    if node is None:
        return MappingProxyType({})
    if isinstance(node, MapNode):
        return MappingProxyType({key_text(k): _freeze(v) for k, v in node.items})
    if isinstance(node, SeqNode):
        return tuple(_freeze(i) for i in node.items)
    if node.value is None:
        return None
    return Expr(node.value if isinstance(node.value, str) else node.raw, node.span, node.smap)
