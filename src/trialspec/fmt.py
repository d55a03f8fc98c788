"""trialspec fmt: print the expressions inside a protocol canonically, and touch nothing else.

Only the scalars that hold expressions (definitions, criteria ``when``, doses, durations,
response and endpoint rules: :data:`SLOTS`) are rewritten, in place, through their source
offsets; comments, key order, quoting style and every other byte stay as they are. A scalar
keeps its style (plain, ``'``, ``"``, ``>``, ``|``) and its line breaks, which are moved to
the same tokens of the canonical text. A plain scalar whose canonical text YAML would read
differently (``: ``, `` #``, a leading indicator, brackets inside a flow mapping) is quoted.

Every result is re-read before it is returned: the YAML must give the same tree, and each
expression the intended tree. A scalar that fails falls back to a plainer emission (one line,
quoted), and if that fails too it is left as written (TS851).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import Any

import yaml

from trialspec.diagnostics import Diagnostic, Severity, has_errors
from trialspec.lang import ast
from trialspec.lang.parser import CANONICAL_OP, parse_expr
from trialspec.lang.printer import to_text
from trialspec.source import ScalarMap, SourceFile, Span

# Where expressions live, as the schema places them: "*" is any key, "[]" any list item.
SLOTS: tuple[tuple[str, ...], ...] = (
    ("definitions", "*"),
    ("definitions", "*", "expr"),
    ("eligibility", "*", "*", "when"),
    ("treatment", "cycle"),
    ("treatment", "regimen", "*", "dose"),
    ("treatment", "regimen", "*", "reductions", "[]"),
    ("treatment", "arms", "*", "*", "dose"),
    ("treatment", "arms", "*", "*", "reductions", "[]"),
    ("treatment", "tolerances", "start_window"),
    ("treatment", "tolerances", "max_delay"),
    ("response", "parameters", "*"),
    ("response", "categories", "*"),
    *(("endpoints", "*", key) for key in ("population", "when", "start", "event", "censor", "time",
                                          "entry")),
    ("analyses", "*", "population"),
    ("populations", "*"),
    ("populations", "*", "when"),
)

# A duration of exactly one keeps the singular: `1 year`, not `1 years`.
SINGULAR = {"years": "year", "months": "month", "weeks": "week", "days": "day",
            "hours": "hour", "minutes": "minute"}


# --- the canonical expression --------------------------------------------------------------


def canonical_unit(q: ast.Quantity) -> str:
    """The registry's spelling of ``q``'s unit, when it is the same unit and re-reads as one."""
    from trialspec.units import UnitError, parse_unit

    try:
        unit = parse_unit(q.unit).text
    except UnitError:
        return q.unit
    if unit in SINGULAR and _number(q.text) == 1:
        unit = SINGULAR[unit]
    candidate = dataclasses.replace(q, unit=unit)
    back, _ = parse_expr(to_text(candidate))
    return unit if back == candidate else q.unit


def canonical_tree(tree: ast.Expr) -> ast.Expr:
    """``tree`` with every unit in its registry spelling (the parser already canonicalizes
    operators, strings and parentheses; numbers keep their text)."""
    if isinstance(tree, ast.Quantity):
        return dataclasses.replace(tree, unit=canonical_unit(tree))
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(tree):
        value = getattr(tree, f.name)
        if isinstance(value, tuple) and value and not isinstance(value[0], str):
            changes[f.name] = tuple(canonical_tree(v) for v in value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, Span):
            changes[f.name] = canonical_tree(value)  # type: ignore[arg-type]
    return dataclasses.replace(tree, **changes) if changes else tree


def canonical_text(text: str) -> str | None:
    """The canonical text of an expression, or None if it does not parse."""
    tree, _ = parse_expr(text)
    return None if tree is None else to_text(canonical_tree(tree))


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# --- finding the expression scalars ----------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One expression scalar as it stands in the file."""

    path: tuple[str | int, ...]
    value: str
    style: str | None
    flow: bool  # inside a flow collection ({...} or [...])
    start: int  # offsets of the scalar's source, quotes and block header included
    end: int
    line: int  # 1-based position of ``start``
    col: int


class _Composer(yaml.SafeLoader):
    """PyYAML's composer with aliases left unexpanded (they are never rewritten)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            return yaml.ScalarNode("alias", "", event.start_mark, event.end_mark, style="*")
        return super().compose_node(parent, index)


def _compose(text: str) -> yaml.Node | None:
    loader = _Composer(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _scalars(node: yaml.Node, path: tuple[str | int, ...] = (),
             flow: bool = False) -> Iterator[tuple[tuple[str | int, ...], yaml.ScalarNode, bool]]:
    """Every scalar value with its path, in file order."""
    if isinstance(node, yaml.MappingNode):
        inner = flow or bool(node.flow_style)
        for key, value in node.value:
            yield from _scalars(value, (*path, str(key.value)), inner)
    elif isinstance(node, yaml.SequenceNode):
        inner = flow or bool(node.flow_style)
        for i, value in enumerate(node.value):
            yield from _scalars(value, (*path, i), inner)
    elif isinstance(node, yaml.ScalarNode):
        yield path, node, flow


def is_slot(path: tuple[str | int, ...]) -> bool:
    return any(len(p) == len(path) and all(
        (s == "[]" and isinstance(k, int)) or (s == "*" and isinstance(k, str)) or s == k
        for s, k in zip(p, path, strict=True)) for p in SLOTS)


def find_slots(text: str) -> list[Slot]:
    """The expression scalars of a protocol, skipping aliases, anchored and tagged ones."""
    root = _compose(text)
    if root is None:
        return []
    out = []
    for path, node, flow in _scalars(root):
        start = node.start_mark.index
        if node.style == "*" or text[start:start + 1] in ("&", "!") or not is_slot(path):
            continue
        out.append(Slot(path, node.value, node.style, flow, start, node.end_mark.index,
                        node.start_mark.line + 1, node.start_mark.column + 1))
    return out


# --- emitting one scalar ---------------------------------------------------------------------

_TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[()\[\],]|[^\s()\[\],\"']+")
_BREAK_CHARS = "\r\n\x85\u2028\u2029"
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"


def _tokens(text: str) -> list[tuple[int, str]]:
    return [(m.start(), CANONICAL_OP.get(m.group(), m.group())) for m in _TOKEN.finditer(text)]


def _old_breaks(text: str, slot: Slot) -> list[tuple[int, str]]:
    """Where the scalar's value continues on a new source line: (value offset, indentation)."""
    smap = ScalarMap.build("<fmt>", text, slot.value, slot.line, slot.col)
    lines = text.splitlines()
    out: list[tuple[int, str]] = []
    last = slot.line
    for k, ch in enumerate(slot.value):
        if ch.isspace():
            continue
        line = smap.positions[k][0]
        if line > last and k:
            src = lines[line - 1] if line <= len(lines) else ""
            out.append((k, src[:len(src) - len(src.lstrip(" \t"))]))
        last = max(last, line)
    return out


def _new_breaks(old: str, new: str, breaks: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The old line breaks moved onto the same tokens of the new text (at a space)."""
    if not breaks:
        return []
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    mapping: dict[int, int] = {}
    matcher = SequenceMatcher(None, [t for _, t in old_tokens], [t for _, t in new_tokens],
                              autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            mapping[i] = j1 if tag == "delete" else min(j1 + i - i1, j2 - 1)
    starts = {s for s, _ in new_tokens}
    out: list[tuple[int, str]] = []
    for offset, indent in breaks:
        i = next((n for n, (s, _) in enumerate(old_tokens) if s >= offset), len(old_tokens))
        if mapping.get(i, len(new_tokens)) >= len(new_tokens):
            continue
        at = new_tokens[mapping[i]][0]
        floor = out[-1][0] if out else 0
        while at > floor and not (at in starts and new[at - 1] == " "):
            at -= 1
        if at > floor:
            out.append((at, indent))
    return out


def _pieces(text: str, breaks: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """``text`` cut at each break (the space before it dropped): (indentation, piece)."""
    out, prev, indent = [], 0, ""
    for at, next_indent in breaks:
        out.append((indent, text[prev:at - 1]))
        prev, indent = at, next_indent
    out.append((indent, text[prev:]))
    return out


def plain_ok(text: str, flow: bool) -> bool:
    """Whether YAML reads ``text`` back unchanged as a plain scalar (conservatively)."""
    if not text or text[0] in _INDICATORS and not (text[0] == "-" and text[1:2] not in ("", " ")):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        return False
    if any(c in _BREAK_CHARS for c in text) or not text.isprintable():
        return False
    return not (flow and any(c in text for c in ",[]{}?"))


def _double(text: str) -> str:
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch.isprintable() and ch not in "\u2028\u2029\ufeff":
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
    return "".join(out)


def emit(text: str, slot: Slot, canon: str, eol: str, level: int = 0) -> str:
    """The new source of ``slot`` holding ``canon``. Level 0 keeps the line breaks; level 1
    writes one line (quoted, for a plain scalar)."""
    breaks = [] if level else _new_breaks(slot.value, canon, _old_breaks(text, slot))
    pieces = _pieces(canon, breaks)
    style = slot.style
    if style in ("|", ">"):
        source = text[slot.start:slot.end]
        header_end = min((source.find(c) for c in _BREAK_CHARS if c in source), default=-1)
        first = next((ln for ln in source[header_end:].splitlines() if ln.strip()), "")
        indent = first[:len(first) - len(first.lstrip(" "))]
        content_end = len(source.rstrip(" \t\r\n\x85\u2028\u2029"))
        lines = eol.join(indent + piece for _, piece in pieces)
        return source[:header_end] + eol + lines + source[content_end:]
    if style is None and (level or not plain_ok(canon, slot.flow)):
        style = "'"
    if style == "'" and not canon.isprintable():
        style = '"'
    quote = {"'": lambda s: s.replace("'", "''"), '"': _double, None: lambda s: s}[style]
    joined = "".join((eol + ind if i else "") + quote(p) for i, (ind, p) in enumerate(pieces))
    return f"{style or ''}{joined}{style or ''}"


# --- formatting a file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rewrite:
    """One expression fmt rewrote: where, what it said, its canonical text."""

    span: Span
    old: str
    new: str


@dataclass
class Formatted:
    """The result of formatting one protocol's text."""

    path: str
    text: str  # the formatted text (the input when nothing changes or it has errors)
    changed: list[Rewrite] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def _blocking(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Errors that stop formatting: syntax (TS1xx) and document (TS2xx)."""
    return [d for d in diags if d.severity is Severity.ERROR and d.code[:3] in ("TS1", "TS2")]


def _signature(text: str) -> list[tuple[Any, ...]] | None:
    """What must survive formatting: every non-expression scalar (path, value, style), and
    every expression's canonical tree (by path)."""
    root = _compose(text)
    if root is None:
        return None
    out: list[tuple[Any, ...]] = []
    for path, node, _flow in _scalars(root):
        if is_slot(path) and node.style != "*":
            tree, _ = parse_expr(node.value)
            out.append((path, None if tree is None else canonical_tree(tree)))
        else:
            out.append((path, node.value, node.style))
    return out


def format_text(text: str, path: str = "<string>") -> Formatted:
    """Format the expressions of one protocol's text. Errors (TS1xx, TS2xx) leave it as is."""
    from trialspec.protocol import load_protocol_source

    _model, loaded = load_protocol_source(SourceFile(path, text))
    diags = _blocking(loaded)
    slots = find_slots(text) if not diags else []
    targets: list[tuple[Slot, str, Span]] = []
    for slot in slots:
        smap = ScalarMap.build(path, text, slot.value, slot.line, slot.col)
        tree, found = parse_expr(slot.value, smap, path)
        diags.extend(found)
        if tree is not None:
            canon = to_text(canonical_tree(tree))
            targets.append((slot, canon, smap.span(0, len(slot.value))))
    if has_errors(diags):
        return Formatted(path, text, [], diags)
    return _Rewriter(text, path, targets).run(diags)


class _Rewriter:
    """Applies the rewrites, re-reads the result, and steps unsafe ones back: level 0 keeps
    the line breaks, 1 writes one (quoted) line, 2 leaves the scalar as written (TS851)."""

    def __init__(self, text: str, path: str, targets: list[tuple[Slot, str, Span]]):
        self.text, self.path, self.targets = text, path, targets
        self.eol = "\r\n" if "\r\n" in text else "\n"
        self.levels = {slot.start: 0 for slot, _, _ in targets}
        self.expected = _signature(text)

    def run(self, diags: list[Diagnostic]) -> Formatted:
        while True:
            new_text, changed = self.apply()
            if new_text == self.text:
                return Formatted(self.path, self.text, [], diags)
            bad = self.unsafe(new_text)
            if not bad:
                return Formatted(self.path, new_text, changed, diags)
            for slot, _canon, span in self.targets:
                if slot.start in bad:
                    self.levels[slot.start] += 1
                    if self.levels[slot.start] == 2:
                        diags.append(Diagnostic(
                            "TS851", "this expression cannot be rewritten canonically without "
                            "changing the YAML around it; it is left as written", span,
                            "Quote the expression, or put it in a `>-` block.", Severity.WARNING))

    def apply(self, only: int | None = None) -> tuple[str, list[Rewrite]]:
        """The text with every rewrite (or only the one at offset ``only``) applied."""
        out, changed, prev = [], [], 0
        for slot, canon, span in self.targets:
            old = self.text[slot.start:slot.end]
            level = self.levels[slot.start]
            if level >= 2 or (only is not None and slot.start != only):
                continue
            new = emit(self.text, slot, canon, self.eol, level)
            if new != old:
                out.append(self.text[prev:slot.start] + new)
                prev = slot.end
                changed.append(Rewrite(span, " ".join(slot.value.split()), canon))
        out.append(self.text[prev:])
        return "".join(out), changed

    def wrong(self, new: str) -> set[int] | None:
        """The slots whose expression reads back differently; None if the YAML broke."""
        from trialspec.protocol import load_protocol_source

        got = _signature(new)
        _model, diags = load_protocol_source(SourceFile(self.path, new))
        if got is None or self.expected is None or len(got) != len(self.expected) or has_errors(diags):
            return None
        by_path = {s.path: s.start for s, _, _ in self.targets}
        found = {by_path.get(e[0], -1) for e, g in zip(self.expected, got, strict=True) if e != g}
        return None if -1 in found else found

    def unsafe(self, new: str) -> set[int]:
        """The start offsets of rewritten slots whose result does not read back as intended."""
        rewritten = {s.start for s, _, _ in self.targets if self.levels[s.start] < 2}
        found = self.wrong(new)
        if found is not None:
            return found & rewritten
        # the YAML broke: find the culprits one rewrite at a time
        alone = {start for start in rewritten if self.wrong(self.apply(only=start)[0]) != set()}
        return alone or rewritten
