"""Source files and spans: where a thing came from, down to the column.

Positions are 1-based lines and columns, as editors show them. A span inside a YAML
scalar is mapped to file positions by :class:`ScalarMap`, so a caret can point at the exact
character of an expression even in folded, quoted or multi-line scalars.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open region of a source file: start inclusive, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one input file, kept so diagnostics can quote its lines."""

    path: str
    text: str
    _lines: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def slice(self, span: Span) -> str:
        """The text a span covers (lines joined by single spaces)."""
        if span.line == span.end_line:
            return self.line(span.line)[span.col - 1:span.end_col - 1]
        parts = [self.line(span.line)[span.col - 1:]]
        parts += [self.line(n).strip() for n in range(span.line + 1, span.end_line)]
        parts.append(self.line(span.end_line)[:span.end_col - 1].strip())
        return " ".join(p.strip() for p in parts if p.strip())

    def line(self, n: int) -> str:
        lines = self._lines or tuple(self.text.splitlines())
        if not self._lines:
            object.__setattr__(self, "_lines", lines)
        return lines[n - 1] if 0 < n <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class ScalarMap:
    """Maps offsets in a YAML scalar's value to (line, col) in the file.

    Built by re-reading the scalar's source with YAML's own rules for its style (plain,
    single- or double-quoted, literal ``|`` or folded ``>``), so every character of the
    value knows the source character it came from: an escape maps to its backslash (a span
    ending on it ends after the whole escape), a folded line break to the break it replaced.
    If the source does not decode to ``value`` (which should not happen for text a YAML
    parser produced) a looser in-order match is used.
    """

    path: str
    positions: tuple[tuple[int, int], ...]  # one per value char, plus one past the end

    def span(self, start: int, end: int) -> Span:
        n = len(self.positions) - 1
        start = max(0, min(start, n))
        end = max(start, min(end, n))
        line, col = self.positions[start]
        if end > start:
            eline, ecol = self.positions[end - 1]
            # past the whole source of the last character: an escape (``\"``, ``\x41``) is
            # several characters of the file, up to where the next value character starts
            nline, ncol = self.positions[end]
            ecol = ncol if nline == eline and ncol > ecol else ecol + 1
        else:
            eline, ecol = line, col + 1
        return Span(self.path, line, col, eline, ecol)

    @classmethod
    def build(cls, path: str, text: str, value: str, line: int, col: int) -> ScalarMap:
        """Map ``value`` onto ``text`` for the scalar starting at 1-based (line, col).

        The start may be at the scalar's anchor or tag (``&a``, ``!!str``): they are skipped.
        """
        starts = _line_starts(text)
        pos = starts[line - 1] + col - 1 if 1 <= line <= len(starts) else len(text)
        pos = _skip_properties(text, min(max(pos, 0), len(text)))
        quote = text[pos] if pos < len(text) and text[pos] in "'\"" else ""
        start = pos + len(quote)
        end = start + len(value)
        if (text.startswith(value, start) and text[end:end + len(quote)] == quote
                and not any(c in _SPLITLINES for c in value)
                and (pos >= len(text) or text[pos] not in "|>")):
            # the common case: the value is spelled out on one line, as is
            i = bisect_right(starts, start) - 1
            first = start - starts[i] + 1
            return cls(path, tuple((i + 1, first + k) for k in range(len(value) + 1)))
        offsets = _decode(text, pos, value) or _align_loosely(text, pos, value)

        def where(p: int) -> tuple[int, int]:
            i = bisect_right(starts, p) - 1
            return i + 1, p - starts[i] + 1

        return cls(path, tuple(where(p) for p in offsets))


_BREAKS = "\r\n\x85\u2028\u2029"
# every character str.splitlines() breaks at; PyYAML rejects the ones it does not count
_SPLITLINES = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_ESCAPES = {
    "0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
    "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_ESCAPE_CODES = {"x": 2, "u": 4, "U": 8}
_HEX = "0123456789ABCDEFabcdef"


@lru_cache(maxsize=16)
def _line_starts(text: str) -> tuple[int, ...]:
    """Offsets where each line starts, counting lines as ``str.splitlines`` does."""
    starts = [0]
    pos = 0
    for ln in text.splitlines(keepends=True):
        pos += len(ln)
        if ln[-1] in _SPLITLINES:
            starts.append(pos)
    return tuple(starts)


def _skip_properties(text: str, pos: int) -> int:
    """Skip a node's anchor and tag (and the space or comment after them)."""
    while pos < len(text) and text[pos] in "&!":
        while pos < len(text) and text[pos] not in " \t" + _BREAKS:
            pos += 1
        while pos < len(text) and text[pos] in " \t#" + _BREAKS:
            if text[pos] == "#":
                while pos < len(text) and text[pos] not in _BREAKS:
                    pos += 1
            else:
                pos += 1
    return pos


Piece = tuple[str, int, int]  # a decoded character and the source range it came from


class _Reader:
    """A cursor over the source that decodes one scalar the way PyYAML's scanner does."""

    def __init__(self, text: str, pos: int):
        self.text = text
        self.pos = pos
        self.column = pos - (_line_starts(text)[bisect_right(_line_starts(text), pos) - 1])

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.text[i] if i < len(self.text) else "\0"

    def forward(self, n: int = 1) -> None:
        for _ in range(n):
            ch = self.peek()
            self.pos += 1
            if ch in "\n\x85\u2028\u2029" or (ch == "\r" and self.peek() != "\n"):
                self.column = 0
            elif ch != "\0":
                self.column += 1

    def line_break(self) -> Piece:
        start = self.pos
        ch = self.peek()
        if ch in "\r\n\x85":
            self.forward(2 if self.text[start:start + 2] == "\r\n" else 1)
            return "\n", start, self.pos
        if ch in "\u2028\u2029":
            self.forward()
            return ch, start, self.pos
        return "", start, start

    def run(self, stop: str) -> list[Piece]:
        out: list[Piece] = []
        while self.peek() not in stop:
            out.append((self.peek(), self.pos, self.pos + 1))
            self.forward()
        return out

    # quoted scalars ------------------------------------------------------------------

    def flow(self, double: bool) -> list[Piece]:
        quote = self.peek()
        self.forward()
        out = self.flow_non_spaces(double)
        while self.peek() not in (quote, "\0"):
            before = self.pos
            out += self.flow_spaces()
            out += self.flow_non_spaces(double)
            if self.pos == before:  # malformed: an unknown escape
                break
        return out

    def flow_non_spaces(self, double: bool) -> list[Piece]:
        out: list[Piece] = []
        while True:
            out += self.run("'\"\\\0 \t" + _BREAKS)
            ch, start = self.peek(), self.pos
            if not double and ch == "'" and self.peek(1) == "'":
                self.forward(2)
                out.append(("'", start, self.pos))
            elif (double and ch == "'") or (not double and ch in '"\\'):
                self.forward()
                out.append((ch, start, self.pos))
            elif double and ch == "\\":
                self.forward()
                ch = self.peek()
                if ch in _ESCAPES:
                    self.forward()
                    out.append((_ESCAPES[ch], start, self.pos))
                elif ch in _ESCAPE_CODES:
                    n = _ESCAPE_CODES[ch]
                    digits = self.text[self.pos + 1:self.pos + 1 + n]
                    if len(digits) != n or any(d not in _HEX for d in digits):
                        return out
                    self.forward(n + 1)
                    out.append((chr(int(digits, 16)), start, self.pos))
                elif ch in _BREAKS:
                    self.line_break()
                    out += self.flow_breaks()
                else:
                    return out
            else:
                return out

    def flow_spaces(self) -> list[Piece]:
        spaces = self._whitespace(" \t")
        if self.peek() in _BREAKS:
            brk = self.line_break()
            breaks = self.flow_breaks()
            if brk[0] != "\n":
                return [brk, *breaks]
            return breaks or [(" ", brk[1], brk[2])]
        return spaces

    def flow_breaks(self) -> list[Piece]:
        out: list[Piece] = []
        while True:
            self._whitespace(" \t")
            if self.peek() not in _BREAKS:
                return out
            out.append(self.line_break())

    def _whitespace(self, chars: str) -> list[Piece]:
        out: list[Piece] = []
        while self.peek() in chars and self.peek() != "\0":
            out.append((self.peek(), self.pos, self.pos + 1))
            self.forward()
        return out

    # plain scalars -------------------------------------------------------------------

    def plain(self, length: int) -> list[Piece]:
        out: list[Piece] = []
        while len(out) < length:
            out += self.run("\0 \t" + _BREAKS)[: length - len(out)]
            if len(out) >= length:
                break
            spaces = self._whitespace(" ")
            if self.peek() in _BREAKS:
                brk = self.line_break()
                breaks: list[Piece] = []
                while self.peek() in " " + _BREAKS and self.peek() != "\0":
                    if self.peek() == " ":
                        self.forward()
                    else:
                        breaks.append(self.line_break())
                if brk[0] != "\n":
                    out.append(brk)
                elif not breaks:
                    out.append((" ", brk[1], brk[2]))
                out += breaks
            elif spaces:
                out += spaces
            else:
                break
        return out[:length]

    # block scalars -------------------------------------------------------------------

    def block(self, indent: int | None) -> list[Piece]:
        folded = self.peek() == ">"
        self.forward()
        chomping: bool | None = None
        for _ in range(2):
            ch = self.peek()
            if ch in "+-":
                chomping = ch == "+"
                self.forward()
            elif ch in "123456789":
                self.forward()
        while self.peek() not in "\0" + _BREAKS:
            self.forward()
        self.line_break()
        if indent is None:
            breaks, indent = self.block_indentation()
        else:
            breaks = self.block_breaks(indent)
        out: list[Piece] = []
        brk: Piece = ("", self.pos, self.pos)
        while self.column == indent and self.peek() != "\0":
            out += breaks
            leading_non_space = self.peek() not in " \t"
            out += self.run("\0" + _BREAKS)
            brk = self.line_break()
            breaks = self.block_breaks(indent)
            if not (self.column == indent and self.peek() != "\0"):
                break
            if folded and brk[0] == "\n" and leading_non_space and self.peek() not in " \t":
                if not breaks:
                    out.append((" ", brk[1], brk[2]))
            else:
                out.append(brk)
        if chomping is not False and brk[0]:
            out.append(brk)
        if chomping is True:
            out += breaks
        return out

    def block_indentation(self) -> tuple[list[Piece], int]:
        breaks: list[Piece] = []
        max_indent = 0
        while self.peek() in " " + _BREAKS and self.peek() != "\0":
            if self.peek() != " ":
                breaks.append(self.line_break())
            else:
                self.forward()
                max_indent = max(max_indent, self.column)
        return breaks, max(1, max_indent)

    def block_breaks(self, indent: int) -> list[Piece]:
        out: list[Piece] = []
        while self.column < indent and self.peek() == " ":
            self.forward()
        while self.peek() in _BREAKS and self.peek() != "\0":
            out.append(self.line_break())
            while self.column < indent and self.peek() == " ":
                self.forward()
        return out


def _offsets(pieces: list[Piece], value: str, end: int) -> list[int] | None:
    if "".join(p[0] for p in pieces) != value:
        return None
    return [p[1] for p in pieces] + [pieces[-1][2] if pieces else end]


def _decode(text: str, pos: int, value: str) -> list[int] | None:
    """Source offsets of each character of ``value`` (plus its end), or None."""
    first = text[pos] if pos < len(text) else ""
    if first in ("'", '"'):
        return _offsets(_Reader(text, pos).flow(first == '"'), value, pos + 1)
    if first in ("|", ">"):
        # an explicit indentation indicator is relative to the parent node's indentation,
        # which the scalar alone does not tell: try auto-detection, then each indentation
        found = _offsets(_Reader(text, pos).block(None), value, pos)
        for indent in range(1, 101):
            if found is not None:
                break
            found = _offsets(_Reader(text, pos).block(indent), value, pos)
        return found
    return _offsets(_Reader(text, pos).plain(len(value)), value, pos)


def _align_loosely(text: str, pos: int, value: str) -> list[int]:
    """Match ``value``'s characters in order in the source, skipping what does not match."""
    out: list[int] = []
    for ch in value:
        found = text.find(ch, pos) if ch not in " \n" else pos
        if ch in " \n":
            while found < len(text) and text[found] not in " \t" + _BREAKS:
                found += 1
        if found < 0 or found >= len(text):
            found = min(pos, max(len(text) - 1, 0))
        out.append(found)
        pos = found + 1
    out.append(min(pos, len(text)))
    return out
