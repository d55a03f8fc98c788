"""Safe, position-preserving YAML loading.

PyYAML's composer gives a node graph with start and end marks; nothing is constructed from
it, so no tag can run code. The graph is converted into our own frozen tree, with these
guarantees on the way:

- scalars are typed with the YAML 1.2 core schema (``yes``/``no``/``on``/``off``/``Y``/``N``
  stay strings), but plain scalars YAML 1.1 would have read as booleans are marked, so the
  schema stage can report them where a string is expected (TS210);
- every node has a span, every scalar a :class:`ScalarMap` into the file;
- duplicate keys are reported (TS202), tags other than the standard ones refused (TS204);
- aliases are counted and their expanded size and depth computed on the shared graph before
  anything is expanded, so an alias bomb is refused (TS203) in time linear in the file.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import yaml
import yaml.nodes
import yaml.reader

from trialspec.diagnostics import Diagnostic
from trialspec.source import ScalarMap, SourceFile, Span

MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_PROTOCOL_BYTES = 8 << 20  # 8 MiB; the seed protocol is 40 KB

STANDARD = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(
    STANDARD + t for t in ("str", "int", "float", "bool", "null", "seq", "map")
)


@dataclass(frozen=True, slots=True)
class ScalarNode:
    """A scalar: its typed value, its text before typing, its quoting style, its place.

    ``raw`` is the scalar's text as YAML reads it (quotes and escapes processed, lines
    folded): for a one-line plain scalar it is exactly what the file says, so ``0.290``
    keeps its trailing zero. ``smap`` maps offsets in ``raw`` to file positions.
    ``style`` is None for plain scalars, else one of ``'`` ``"`` ``|`` ``>``.
    """

    value: str | int | float | bool | None
    raw: str
    style: str | None
    span: Span
    smap: ScalarMap
    yaml11_bool: bool = False


@dataclass(frozen=True, slots=True)
class SeqNode:
    """A sequence, in file order."""

    items: tuple[Node, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class MapNode:
    """A mapping whose keys are scalars, in file order, without duplicates."""

    items: tuple[tuple[ScalarNode, Node], ...]
    span: Span


Node: TypeAlias = ScalarNode | SeqNode | MapNode


def key_text(key: ScalarNode) -> str:
    """A mapping key as a name: ``1`` and ``"1"`` are both the key ``1``."""
    return key.value if isinstance(key.value, str) else key.raw


def lookup(node: MapNode, name: str) -> tuple[ScalarNode, Node] | None:
    """The (key, value) pair named ``name``, or None."""
    for key, value in node.items:
        if key_text(key) == name:
            return key, value
    return None


# --- reading ------------------------------------------------------------------------


def read_source(path: str | os.PathLike[str]) -> tuple[SourceFile | None, list[Diagnostic]]:
    """Read a file as strict UTF-8 (a leading BOM is dropped). TS212 / TS205."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_PROTOCOL_BYTES:  # before reading: a protocol is a text a person reviews
            return None, [Diagnostic("TS215", f"protocol file '{name}' is {size:,} bytes, more than the "
                                     f"{MAX_PROTOCOL_BYTES:,} a protocol may be", None,
                                     "Split reported numbers or definitions into a smaller file; is this "
                                     "the protocol, or a data file?")]
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None, [_missing(name, "does not exist")]
    except IsADirectoryError:
        return None, [_missing(name, "is a directory, not a protocol file")]
    except OSError as exc:
        return None, [_missing(name, f"cannot be read ({exc.strerror or exc})")]
    return decode_source(data, name)


def decode_source(data: bytes, path: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Decode bytes as UTF-8. On failure the text is decoded with replacement characters
    (so diagnostics can still quote lines) and a TS205 diagnostic says where."""
    try:
        return SourceFile(path, data.decode("utf-8-sig")), []
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8-sig")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        bad = data[exc.start : exc.end].hex(" ").upper()
        diag = Diagnostic(
            "TS205",
            f"byte {bad} at byte offset {exc.start} is not valid UTF-8",
            Span(path, line, col, line, col + 1),
            hint="Re-save the file as UTF-8 (the encoding every editor offers by default).",
        )
        return SourceFile(path, data.decode("utf-8-sig", errors="replace")), [diag]


def _missing(path: str, what: str) -> Diagnostic:
    return Diagnostic("TS212", f"protocol file '{path}' {what}", None, hint="Check the path.")


# --- composing ----------------------------------------------------------------------


class _Refused(Exception):
    """A limit was hit while composing: stop, and report this at ``mark``."""

    def __init__(self, code: str, message: str, hint: str, mark: yaml.Mark):
        super().__init__(message)
        self.code, self.message, self.hint, self.mark = code, message, hint, mark


class _Alias(yaml.nodes.Node):
    """Stands in the composed graph for an alias (``*name``), pointing at its anchor's node."""

    id = "alias"


class _Loader(yaml.SafeLoader):
    """SafeLoader's scanner, parser and composer; no resolver, no constructor."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def resolve(self, kind: type, value: object, implicit: object) -> Any:
        return None  # no implicit tags: scalars are typed by _core_value, with YAML 1.2 rules

    def compose_node(self, parent: yaml.Node | None, index: int) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                raise _Refused("TS203", f"more than {MAX_ALIASES} aliases",
                               "Write the values out; protocols need few aliases, if any.",
                               event.start_mark)
            target = super().compose_node(parent, index)
            return _Alias("alias", target, event.start_mark, event.end_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Refused("TS203", f"the document nests deeper than {MAX_DEPTH} levels",
                               "Flatten the structure.", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution)
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
# what YAML 1.1 (and so many other tools) would read as booleans but 1.2 reads as strings
_YAML11_BOOL = re.compile(r"y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF")


def _core_value(text: str) -> str | int | float | bool | None:
    """Type a plain scalar with the YAML 1.2 core schema."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    try:
        if _INT10.fullmatch(text):
            return int(text)
        if _INT8.fullmatch(text):
            return int(text[2:], 8)
        if _INT16.fullmatch(text):
            return int(text[2:], 16)
    except ValueError:  # more digits than Python converts
        return text
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


_LINE_ENDS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines' breaks

_TAG_TYPES: dict[str, tuple[type, ...]] = {
    STANDARD + "int": (int,),
    STANDARD + "float": (float, int),
    STANDARD + "bool": (bool,),
    STANDARD + "null": (type(None),),
}

# PyYAML's error texts -> what to try (first match wins)
_SYNTAX_HINTS = (
    ("found character '\\t'", "YAML does not allow tabs for indentation: use spaces."),
    ("mapping values are not allowed", "A value containing ': ' must be quoted; "
     "otherwise check the indentation of this line."),
    ("could not find expected ':'", "Each line of a mapping needs `key: value`; "
     "check the indentation or quote the text."),
    ("expected ',' or ']'", "A flow list `[...]` is not closed or its items are not separated "
     "by commas."),
    ("expected ',' or '}'", "A flow mapping `{...}` is not closed or its items are not separated "
     "by commas."),
    ("found unexpected end of stream", "A quote or bracket is opened and never closed."),
    ("found undefined alias", "The alias `*name` has no anchor `&name` before it."),
    ("found duplicate anchor", "Give each anchor `&name` a different name."),
    ("expected a single document", "A protocol is one YAML document: remove the `---` "
     "separator and the second document."),
    ("found unknown escape character", "In double quotes a backslash starts an escape; "
     "write `\\\\` or use single quotes."),
    ("while scanning an alias", "`*` starts an alias in YAML: quote the value."),
    ("while scanning an anchor", "`&` starts an anchor in YAML: quote the value."),
    ("found character '@'", "`@` and backquote are reserved in YAML: quote the value."),
    ("found character '`'", "`@` and backquote are reserved in YAML: quote the value."),
    ("unacceptable character", "Remove the control character; protocol files are plain text."),
)


class _Positions:
    """Offsets -> 1-based (line, col) in one file, counting lines as PyYAML does."""

    def __init__(self, source: SourceFile):
        self.path = source.path
        self.text = source.text
        self.starts = [0]
        for ln in self.text.splitlines(keepends=True):
            if ln[-1] in _LINE_ENDS:
                self.starts.append(self.starts[-1] + len(ln))

    def point(self, offset: int) -> tuple[int, int]:
        i = bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of text[start:end]; an empty range gets a one-column span."""
        line, col = self.point(start)
        if end <= start:
            return Span(self.path, line, col, line, col + 1)
        eline, ecol = self.point(end - 1)
        return Span(self.path, line, col, eline, ecol + 1)

    def mark_span(self, mark: yaml.Mark) -> Span:
        return self.span(mark.index, mark.index + 1)


def load_yaml(
    data: SourceFile | str | bytes | os.PathLike[str], path: str = "<string>"
) -> tuple[Node | None, list[Diagnostic]]:
    """Load one YAML document as a position-preserving tree; never raises on bad input.

    ``data`` is a :class:`SourceFile`, the text itself (``str``), raw bytes, or a
    :class:`os.PathLike` to read (then ``path`` is ignored). The tree is None when the file
    cannot be read or parsed, is empty, or breaks a limit; diagnostics say why.
    """
    if isinstance(data, os.PathLike):
        source, diags = read_source(data)
    elif isinstance(data, bytes):
        source, diags = decode_source(data, path)
    elif isinstance(data, str):
        source, diags = SourceFile(path, data[1:] if data.startswith("\ufeff") else data), []
    else:
        source, diags = data, []
    if source is None or diags:
        return None, diags
    return parse_source(source)


def parse_source(source: SourceFile) -> tuple[Node | None, list[Diagnostic]]:
    """Compose, check limits, and convert one document (see :func:`load_yaml`)."""
    pos = _Positions(source)
    loader: _Loader | None = None
    try:
        loader = _Loader(source.text)  # checks for non-printable characters here
        root = loader.get_single_node()
    except _Refused as exc:
        return None, [Diagnostic(exc.code, exc.message, pos.mark_span(exc.mark), hint=exc.hint)]
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_error(exc, pos)]
    except yaml.reader.ReaderError as exc:
        where = pos.span(exc.position, exc.position + 1)
        char = exc.character
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return None, [Diagnostic("TS201", f"the character {shown} is not allowed in YAML",
                                 where, hint=_hint_for(str(exc)))]
    except RecursionError:
        return None, [Diagnostic("TS203", "the document nests too deeply to be read",
                                 pos.span(0, 1), hint="Flatten the structure.")]
    except yaml.YAMLError as exc:  # any other parser complaint
        text = (str(exc) or "malformed YAML").splitlines()[0]
        return None, [Diagnostic("TS201", text, pos.span(0, 1), hint=_hint_for(text))]
    finally:
        if loader is not None:
            loader.dispose()
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag is None
                        and root.style is None and _NULL.fullmatch(root.value)):
        return None, [Diagnostic("TS206", "the file holds no protocol (it is empty or only "
                                 "comments)", pos.span(0, 1),
                                 hint="Start from `protocols/seed-rd-rrmm.yaml`, or begin with "
                                 "`trialspec: 1`.")]
    limit = _check_expansion(root, pos) if loader.alias_count else None
    if limit is not None:
        return None, [limit]
    converter = _Converter(pos)
    tree = converter.convert(root)
    if any(d.code == "TS204" for d in converter.diagnostics):
        return None, converter.diagnostics
    return tree, converter.diagnostics


def _hint_for(text: str) -> str:
    for needle, hint in _SYNTAX_HINTS:
        if needle in text:
            return hint
    return "Fix the YAML at the marked position (often indentation, a quote or a bracket)."


def _syntax_error(exc: yaml.MarkedYAMLError, pos: _Positions) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "malformed YAML"
    if not exc.context or exc.problem is None:
        message = problem
    elif exc.context.startswith("while"):
        message = f"{problem} ({exc.context})"
    else:
        message = f"{exc.context}, {problem}"
    related: tuple[tuple[str, Span], ...] = ()
    if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
        related = ((exc.context, pos.mark_span(exc.context_mark)),)
    span = pos.mark_span(mark) if mark is not None else pos.span(0, 1)
    return Diagnostic("TS201", message, span, hint=_hint_for(f"{exc.context} {exc.problem}"),
                      related=related)


class _Expansion(Exception):
    """Expanding the aliases would break a limit; report ``message`` at ``mark``."""

    def __init__(self, message: str, mark: yaml.Mark):
        super().__init__(message)
        self.message, self.mark = message, mark


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(root: yaml.Node, pos: _Positions) -> Diagnostic | None:
    """Refuse a graph whose aliases would expand too big, too deep, or forever.

    Each distinct node's expanded size and height are computed once and shared, so this
    costs time linear in the composed graph, even for a 'billion laughs' file.
    """
    memo: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        alias = node.start_mark if isinstance(node, _Alias) else None
        if isinstance(node, _Alias):
            node = node.value
        key = id(node)
        if key in active:
            raise _Expansion("this alias is inside the anchor it refers to, so it would "
                             "expand forever", alias or node.start_mark)
        if key not in memo:
            active.add(key)
            size, height = 1, 0
            for child in _children(node):
                child_size, child_height = measure(child, depth + 1)
                size, height = size + child_size, max(height, child_height)
                if size > MAX_NODES:
                    raise _Expansion(f"aliases expand this document to more than "
                                     f"{MAX_NODES:,} nodes (an alias bomb)", child.start_mark)
            active.discard(key)
            memo[key] = (size, height + 1)
        if depth + memo[key][1] > MAX_DEPTH:
            raise _Expansion(f"aliases expand this document deeper than {MAX_DEPTH} levels",
                             alias or node.start_mark)
        return memo[key]

    try:
        measure(root, 0)
    except _Expansion as exc:
        return Diagnostic("TS203", exc.message, pos.mark_span(exc.mark),
                          hint="Write the values out; protocols need few aliases, if any.")
    return None


class _Converter:
    """Turns the composed graph into the frozen tree, collecting diagnostics."""

    def __init__(self, pos: _Positions):
        self.pos = pos
        self.diagnostics: list[Diagnostic] = []
        self.shared: dict[int, Node] = {}  # anchored nodes, converted once

    def convert(self, node: yaml.Node) -> Node:
        if isinstance(node, _Alias):
            target = node.value
            if id(target) not in self.shared:
                self.shared[id(target)] = self.convert(target)
            return self.shared[id(target)]
        if node.tag is not None and node.tag not in ALLOWED_TAGS:
            tag = node.tag.replace(STANDARD, "!!")
            start = end = node.start_mark.index
            while end < len(self.pos.text) and not self.pos.text[end].isspace():
                end += 1
            self.diagnostics.append(Diagnostic(
                "TS204", f"the tag `{tag}` is not allowed: protocols are data, never code",
                self.pos.span(start, end),
                hint="Remove the tag; write the value as plain YAML."))
            return self._scalar(yaml.ScalarNode(STANDARD + "null", "", node.start_mark,
                                                node.end_mark))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return SeqNode(tuple(self.convert(n) for n in node.value), self._span(node))
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _span(self, node: yaml.Node) -> Span:
        return self.pos.span(_skip_properties(self.pos.text, node.start_mark.index),
                             self._end_offset(node))

    def _end_offset(self, node: yaml.Node) -> int:
        """Where a node really ends: a block collection's end mark is the next token's start."""
        if isinstance(node, _Alias):
            return node.end_mark.index
        if isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
            last = node.value[-1]
            return self._end_offset(last[1] if isinstance(last, tuple) else last)
        return node.end_mark.index

    def _scalar(self, node: yaml.ScalarNode) -> ScalarNode:
        raw: str = node.value
        span = self._span(node)
        smap = ScalarMap.build(self.pos.path, self.pos.text, raw,
                               node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag is None:
            plain = node.style is None
            value = _core_value(raw) if plain else raw
            return ScalarNode(value, raw, node.style, span, smap,
                              yaml11_bool=plain and bool(_YAML11_BOOL.fullmatch(raw)))
        if node.tag == STANDARD + "str":
            return ScalarNode(raw, raw, node.style, span, smap)
        typed = _core_value(raw)
        wanted = _TAG_TYPES.get(node.tag, ())
        if not isinstance(typed, wanted) or (isinstance(typed, bool) and bool not in wanted):
            tag = node.tag.replace(STANDARD, "!!")
            self.diagnostics.append(Diagnostic(
                "TS209", f"`{raw}` is not a valid value for the tag `{tag}`", span,
                hint="Remove the tag, or write a value of that type."))
        elif node.tag == STANDARD + "float":
            typed = float(typed)  # type: ignore[arg-type]
        return ScalarNode(typed, raw, node.style, span, smap)

    def _mapping(self, node: yaml.MappingNode) -> MapNode:
        items: list[tuple[ScalarNode, Node]] = []
        seen: dict[str, ScalarNode] = {}
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            value = self.convert(value_node)
            if not isinstance(key, ScalarNode):
                self.diagnostics.append(Diagnostic(
                    "TS209", "a mapping key must be a name, not a list or a mapping", key.span,
                    hint="Use a plain name as the key."))
                continue
            name = key_text(key)
            if name in seen:
                self.diagnostics.append(Diagnostic(
                    "TS202", f"duplicate key `{name}`", key.span,
                    hint="Rename or remove one of the two; a YAML loader would silently keep "
                    "only one of them.",
                    related=(("first defined here", seen[name].span),)))
                continue
            seen[name] = key
            items.append((key, value))
        return MapNode(tuple(items), self._span(node))


def _skip_properties(text: str, pos: int) -> int:
    """Skip a node's anchor and tag, so its span starts at its value."""
    while pos < len(text) and text[pos] in "&!":
        while pos < len(text) and not text[pos].isspace():
            pos += 1
        while pos < len(text) and (text[pos].isspace() or text[pos] == "#"):
            if text[pos] == "#":
                while pos < len(text) and text[pos] not in "\r\n":
                    pos += 1
            else:
                pos += 1
    return pos
