"""Source files and spans: where a thing came from, down to the column.

Positions are 1-based lines and columns, as editors show them. A span inside a YAML
scalar is mapped to file positions by :class:`ScalarMap`, so a caret can point at the exact
character of an expression even in folded, quoted or multi-line scalars.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

    def line(self, n: int) -> str:
        lines = self._lines or tuple(self.text.splitlines())
        if not self._lines:
            object.__setattr__(self, "_lines", lines)
        return lines[n - 1] if 0 < n <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class ScalarMap:
    """Maps offsets in a YAML scalar's value to (line, col) in the file.

    Built by walking the raw source from the scalar's start and matching the value's
    characters in order: whitespace in the value may stand for a folded line break plus
    indentation, and quotes and escapes in the source are skipped.
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
            ecol += 1
        else:
            eline, ecol = line, col + 1
        return Span(self.path, line, col, eline, ecol)

    @classmethod
    def build(cls, path: str, text: str, value: str, line: int, col: int) -> ScalarMap:
        """Map ``value`` onto ``text`` starting at 1-based (line, col)."""
        lines = text.splitlines(keepends=True)
        offsets = [0]
        for ln in lines:
            offsets.append(offsets[-1] + len(ln))
        pos = offsets[line - 1] + col - 1 if line - 1 < len(offsets) else len(text)

        def where(p: int) -> tuple[int, int]:
            # binary search for the line holding offset p
            lo, hi = 0, len(offsets) - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if offsets[mid] <= p:
                    lo = mid
                else:
                    hi = mid - 1
            return lo + 1, p - offsets[lo] + 1

        out: list[tuple[int, int]] = []
        for ch in value:
            while pos < len(text) and text[pos] != ch:
                if ch == " " and text[pos] in "\r\n":
                    break
                if text[pos] in "\r\n\t \"'\\|>-+" or ch in "\n ":
                    pos += 1
                    continue
                break
            if pos < len(text) and (text[pos] == ch or (ch == " " and text[pos] in "\r\n")):
                out.append(where(pos))
                if ch == " " and text[pos] in "\r\n":
                    # a folded line break: skip the break and the next line's indentation
                    pos += 1
                    while pos < len(text) and text[pos] in " \t":
                        pos += 1
                    continue
                pos += 1
            else:
                out.append(where(min(pos, max(len(text) - 1, 0))))
        out.append(where(min(pos, len(text))) if text else (line, col))
        return cls(path, tuple(out))
