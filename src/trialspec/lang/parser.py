"""Text -> AST. Syntax errors come back as diagnostics (TS1xx), never as exceptions.

The Lark LALR parser is built once, lazily; the tree is turned into the AST without
recursion, and nesting is bounded before parsing so no input can exhaust the stack.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from trialspec.diagnostics import Diagnostic, DiagnosticError
from trialspec.lang import ast
from trialspec.source import ScalarMap, Span

MAX_DEPTH = 200
MAX_LENGTH = 20_000

CANONICAL_OP = {"≤": "<=", "≥": ">=", "≠": "!="}

# What the grammar's terminals are called in messages.
TOKEN_WORDS = {
    "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "COMMA": "','",
    "NAME": "a name", "NUMBER": "a number", "QUANTITY": "a quantity (e.g. 0.5 g/dL)",
    "DATE": "a date", "STRING": "a quoted string", "COMP_OP": "a comparison (==, <, >=, ...)",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*' or '/'", "MINUS": "'-'", "DIRECTION": "'before' or 'after'",
    "_AND": "'and'", "_OR": "'or'", "_NOT": "'not'", "_BETWEEN": "'between'", "_IN": "'in'",
    "_IS": "'is'", "_MISSING": "'missing'", "_PRESENT": "'present'", "_WITHIN": "'within'",
    "_WHERE": "'where'", "_TRUE": "'true'", "_FALSE": "'false'", "$END": "the end",
    "_IF": "'if'", "_THEN": "'then'", "_ELSE": "'else'",
    "TEXT_OP": "'contains', 'starts with' or 'matches'", "CASE_RULE": "'ignoring case'",
}

CHAR_HINTS = {
    "&": "Use `and` to join conditions.",
    "|": "Use `or` to join conditions.",
    "!": "Use `not` to negate, or `!=` for 'not equal'.",
    "=": "Use `==` to test equality.",
}

_QUANTITY = re.compile(r"^((?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$", re.S)


_OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True}


def grammar_text() -> str:
    return resources.files("trialspec.lang").joinpath("grammar.lark").read_text("utf-8")


def grammar_sha256() -> str:
    import hashlib

    return hashlib.sha256(grammar_text().encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The parser: loaded from the tables written for this grammar by this lark version
    (``grammar_tables.py``), or else built from the grammar (lark's own cache trusts no
    other version's tables either)."""
    import lark

    from trialspec.lang import grammar_tables as tables

    if lark.__version__ == tables.LARK_VERSION and grammar_sha256() == tables.GRAMMAR_SHA256:
        return Lark._load_from_dict(tables.DATA, tables.MEMO)
    return Lark(grammar_text(), **_OPTIONS)


class _Locator:
    """Turns offsets in the expression text into file spans."""

    def __init__(self, text: str, smap: ScalarMap | None, path: str):
        self.smap, self.path = smap, path

    def __call__(self, start: int, end: int) -> Span:
        if self.smap is not None:
            return self.smap.span(start, end)
        return Span(self.path, 1, start + 1, 1, max(end, start + 1) + 1)


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive):
    def __init__(self, locate: _Locator):
        super().__init__()
        self.locate = locate

    def _sp(self, meta: Any) -> Span:
        return self.locate(meta.start_pos, meta.end_pos)

    def _tok(self, tok: Token) -> Span:
        return self.locate(tok.start_pos or 0, tok.end_pos or 0)

    # atoms
    def number(self, meta: Any, c: list[Token]) -> ast.Number:
        return ast.Number(str(c[0]), self._tok(c[0]))

    def quantity(self, meta: Any, c: list[Token]) -> ast.Quantity:
        m = _QUANTITY.match(str(c[0]))
        assert m is not None  # the terminal's regex guarantees the shape
        unit = re.sub(r"\s+", " ", m.group(2).strip())
        return ast.Quantity(m.group(1), unit, self._tok(c[0]))

    def date(self, meta: Any, c: list[Token]) -> ast.Date:
        return ast.Date(str(c[0]), self._tok(c[0]))

    def string(self, meta: Any, c: list[Token]) -> ast.String:
        raw = str(c[0])[1:-1]
        return ast.String(re.sub(r"\\(.)", r"\1", raw), self._tok(c[0]))

    def true(self, meta: Any, c: list[Any]) -> ast.Boolean:
        return ast.Boolean(True, self._sp(meta))

    def false(self, meta: Any, c: list[Any]) -> ast.Boolean:
        return ast.Boolean(False, self._sp(meta))

    def name(self, meta: Any, c: list[Token]) -> ast.Name:
        return ast.Name(tuple(str(t) for t in c), self._sp(meta))

    def group(self, meta: Any, c: list[Any]) -> Any:
        # the parentheses belong to the expression: `w / (a + b)` ends at its `)`, and explain
        # shows `(a + b)` whole
        inner = c[0]
        if dataclasses.is_dataclass(inner) and not isinstance(inner, type):
            return dataclasses.replace(inner, span=self._sp(meta))
        return inner

    def call(self, meta: Any, c: list[Any]) -> ast.Call:
        fname, args, where = c
        return ast.Call(str(fname), tuple(args or ()), where, self._sp(meta))

    def args(self, meta: Any, c: list[Any]) -> list[Any]:
        return c

    def items(self, meta: Any, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    # operators
    def or_(self, meta: Any, c: list[Any]) -> ast.Logical:
        return ast.Logical("or", _flatten("or", c), self._sp(meta))

    def and_(self, meta: Any, c: list[Any]) -> ast.Logical:
        return ast.Logical("and", _flatten("and", c), self._sp(meta))

    def not_(self, meta: Any, c: list[Any]) -> ast.Not:
        return ast.Not(c[0], self._sp(meta))

    def neg(self, meta: Any, c: list[Any]) -> ast.Neg:
        return ast.Neg(c[0], self._sp(meta))

    def arith(self, meta: Any, c: list[Any]) -> Any:
        left = c[0]
        for i in range(1, len(c), 2):
            right = c[i + 1]
            span = Span(left.span.path, left.span.line, left.span.col,
                        right.span.end_line, right.span.end_col)
            left = ast.Arith(str(c[i]), left, right, span)
        return left

    def compare(self, meta: Any, c: list[Any]) -> ast.Compare:
        op = CANONICAL_OP.get(str(c[1]), str(c[1]))
        return ast.Compare(op, c[0], c[2], self._sp(meta))

    def between(self, meta: Any, c: list[Any]) -> ast.Between:
        return ast.Between(c[0], c[1], c[2], False, self._sp(meta))

    def not_between(self, meta: Any, c: list[Any]) -> ast.Between:
        return ast.Between(c[0], c[1], c[2], True, self._sp(meta))

    def in_(self, meta: Any, c: list[Any]) -> ast.In:
        return ast.In(c[0], tuple(c[1]), False, self._sp(meta))

    def not_in(self, meta: Any, c: list[Any]) -> ast.In:
        return ast.In(c[0], tuple(c[1]), True, self._sp(meta))

    def is_missing(self, meta: Any, c: list[Any]) -> ast.IsMissing:
        return ast.IsMissing(c[0], False, self._sp(meta))

    def is_present(self, meta: Any, c: list[Any]) -> ast.IsMissing:
        return ast.IsMissing(c[0], True, self._sp(meta))

    def within(self, meta: Any, c: list[Any]) -> ast.Within:
        return ast.Within(c[0], c[1], str(c[2]), c[3], self._sp(meta))

    def if_(self, meta: Any, c: list[Any]) -> ast.If:
        return ast.If(c[0], c[1], c[2], self._sp(meta))

    def match(self, meta: Any, c: list[Any]) -> ast.Match:
        op = re.sub(r"\s+", " ", str(c[1]))
        pattern = self.string(meta, [c[2]]).value
        return ast.Match(op, c[0], pattern, c[3] is not None, self._sp(meta), self._tok(c[2]))


def _flatten(op: str, items: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, ast.Logical) and item.op == op:
            out.extend(item.operands)
        else:
            out.append(item)
    return tuple(out)


def _brackets(text: str) -> Iterator[tuple[int, str]]:
    """Each bracket outside quoted strings, with its offset."""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "()[]":
            yield i, ch


def _nesting(text: str) -> tuple[int, int]:
    """The deepest bracket nesting, and where it first passes MAX_DEPTH."""
    depth = best = 0
    where = -1
    for i, ch in _brackets(text):
        depth += 1 if ch in "([" else -1
        best = max(best, depth)
        if depth > MAX_DEPTH and where < 0:
            where = i
    return best, where


def _huge_numbers(tree: Tree, locate: _Locator) -> list[Diagnostic]:
    """TS108 for each number beyond a double's range (``1e400`` would be read as infinity)."""
    out = []
    for tok in tree.scan_values(lambda v: isinstance(v, Token) and v.type in ("NUMBER", "QUANTITY")):
        m = _QUANTITY.match(str(tok))
        if m is None or math.isfinite(float(m.group(1))):
            continue
        out.append(Diagnostic(
            "TS108", f"the number {m.group(1)} is beyond the largest number trialspec computes with "
            f"({sys.float_info.max:.4g}); it would be read as infinity",
            locate(tok.start_pos or 0, tok.end_pos or 0),
            "Write the number in a unit where it is of everyday size (e.g. `5 g` for `5000000 ug`), "
            "or check for a typo in the exponent."))
    return out


def _tree_depth(tree: Tree) -> int:
    best = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if isinstance(node, Tree):
            stack.extend((ch, d + 1) for ch in node.children)
    return best


def _open_bracket(text: str, upto: int) -> int | None:
    """The offset of the innermost bracket still open at ``upto``, if any."""
    stack: list[int] = []
    for i, ch in _brackets(text[:upto]):
        if ch in "([":
            stack.append(i)
        elif stack:
            stack.pop()
    return stack[-1] if stack else None


def _expected(exp: set[str] | frozenset[str]) -> str:
    words = sorted({TOKEN_WORDS.get(e, e.lower()) for e in exp if not e.startswith("__")})
    if len(words) > 6:
        words = words[:6] + ["..."]
    return ", ".join(words)


def _syntax_diagnostic(err: UnexpectedInput, text: str, locate: _Locator) -> Diagnostic:
    pos = getattr(err, "pos_in_stream", None) or 0
    if isinstance(err, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        return Diagnostic("TS104", f"unexpected character {ch!r}", locate(pos, pos + 1),
                          CHAR_HINTS.get(ch, "Remove it, or quote it inside a string."))
    at_end = isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END")
    if at_end:
        opened = _open_bracket(text, len(text))
        if opened is not None:
            closer = ")" if text[opened] == "(" else "]"
            return Diagnostic("TS102", f"'{text[opened]}' is never closed", locate(opened, opened + 1),
                              f"Add the missing '{closer}' at the end of the expression.")
        end = len(text.rstrip())
        last = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end)) + 1  # the last token
        exp = _expected(getattr(err, "expected", set()) or set())
        return Diagnostic("TS103", "the expression ends too early" + (f"; expected {exp}" if exp else ""),
                          locate(last, end), "Complete the expression after the last operator.")
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    start = tok.start_pos if tok.start_pos is not None else pos
    end = tok.end_pos if tok.end_pos is not None else start + 1
    exp = _expected(err.expected)
    hint = "Check the operator before it; `and`/`or` join conditions, comparisons need two sides."
    if str(tok) in (")", "]") and _open_bracket(text, start) is None:
        return Diagnostic("TS102", f"'{tok}' has no matching opening bracket", locate(start, end),
                          "Remove it or add the opening bracket.")
    if tok.type == "COMP_OP":
        hint = "Comparisons do not chain: write `a <= x and x <= b` or `x between a and b`."
    return Diagnostic("TS101", f"unexpected {str(tok)!r}; expected {exp}", locate(start, end), hint)


def parse_expr(text: str, smap: ScalarMap | None = None,
               path: str = "<expr>") -> tuple[ast.Expr | None, list[Diagnostic]]:
    """Parse one expression; return the AST or the syntax diagnostics."""
    locate = _Locator(text, smap, path)
    depth, where = _nesting(text)
    if depth > MAX_DEPTH:
        return None, [Diagnostic("TS105", f"brackets nest {depth} deep (limit {MAX_DEPTH})",
                                 locate(where, where + 1),
                                 "Flatten the expression or split it into definitions.")]
    if len(text) > MAX_LENGTH:
        return None, [Diagnostic("TS107",
                                 f"expression is {len(text):,} characters long (limit {MAX_LENGTH:,})",
                                 locate(0, 1), "Split it into named definitions.")]
    if not text.strip():
        return None, [Diagnostic("TS103", "the expression is empty", locate(0, 1),
                                 "Write a condition, e.g. `age >= 18`.")]
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as err:
        return None, [_syntax_diagnostic(err, text, locate)]
    if isinstance(tree, Tree) and _tree_depth(tree) > MAX_DEPTH:
        return None, [Diagnostic("TS105", f"the expression nests deeper than {MAX_DEPTH} operators",
                                 locate(0, len(text)), "Split it into named definitions.")]
    if isinstance(tree, Token):  # a lone terminal: wrap so the transformer sees a tree
        tree = Tree("group", [tree])
    huge = _huge_numbers(tree, locate)
    if huge:
        return None, huge
    try:
        result = _ToAst(locate).transform(tree)
    except Exception as exc:  # a VisitError would be a bug in this module, not bad input
        raise RuntimeError(f"internal error building the AST for {text!r}") from exc
    return result, []


def parse(text: str, smap: ScalarMap | None = None, path: str = "<expr>") -> ast.Expr:
    """Parse or raise :class:`DiagnosticError` (for callers that cannot go on)."""
    tree, diags = parse_expr(text, smap, path)
    if tree is None:
        raise DiagnosticError(diags)
    return tree
