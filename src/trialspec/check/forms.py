"""Type checking of ``if ... then ... else ...`` and of the string predicates."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from trialspec import units
from trialspec.lang import ast, ir
from trialspec.lang.regex import vet
from trialspec.lang.types import ANY, BOOL, Kind, Type
from trialspec.source import Span

if TYPE_CHECKING:
    from trialspec.check.typecheck import Checker, Typed

TEXT_KINDS = (Kind.STRING, Kind.CATEGORY)


def check_if(ck: Checker, e: ast.If, row: str | None) -> Typed:
    """``if C then A else B``: C a condition; A and B of one kind (numbers of one dimension,
    brought to one unit as a comparison would); the result has the arms' type."""
    from trialspec.check.typecheck import _Level

    c, tc = ck._value(e.condition, row)
    if isinstance(c, _Level):
        ck._level_alone(c, row)
        return None, ANY
    if tc.kind is not Kind.BOOL:
        if tc.kind is not Kind.ANY:
            ck._error("TS326", f"the condition of `if` must be a condition, but this is a {tc}",
                      e.condition.span, "Compare it with something, e.g. `if dose > 0 mg then ...`.")
        return None, ANY
    a, ta = ck._value(e.then, row)
    b, tb = ck._value(e.otherwise, row)
    if isinstance(a, _Level) and isinstance(b, _Level):
        ck._level_alone(a, row)
        return None, ANY
    swapped = isinstance(a, _Level)
    if swapped:
        a, ta, b, tb = b, tb, a, ta
    if isinstance(b, _Level):
        b = ck._level(b, ta, row)
        if b is None:
            return None, ANY
        tb = ta
    if Kind.ANY in (ta.kind, tb.kind):
        return None, ANY
    if not _same_kind(ta, tb):
        return _arms_error(ck, e, ta, tb, swapped)
    if ta.kind is Kind.NUMBER and ta.unit and tb.unit and not _one_dimension(ta, tb):
        return _arms_error(ck, e, ta, tb, swapped)
    res = ck._compatible(a, ta, b, tb, e.span, (e.then if swapped else e.otherwise).span)
    if res is None:
        return None, ANY
    a, b, t = res
    if swapped:
        a, b = b, a
    t = _levels(t, ta, tb)
    rt = ck._grain(replace(t, grain=None), [c, a, b])
    return ir.Cond(c, a, b, rt, e.span), rt


def _same_kind(ta: Type, tb: Type) -> bool:
    return ta.kind is tb.kind or {ta.kind, tb.kind} <= set(TEXT_KINDS)


def _one_dimension(ta: Type, tb: Type) -> bool:
    try:
        return units.compatible(units.resolve(ta.unit or ""), units.resolve(tb.unit or ""),
                                ta.analyte or tb.analyte)
    except units.UnitError:
        return True  # reported where the unit was written


def _levels(t: Type, ta: Type, tb: Type) -> Type:
    """Two category arms: the union of their levels (a string arm: any text)."""
    if t.kind is not Kind.CATEGORY:
        return t
    if ta.kind is Kind.CATEGORY and tb.kind is Kind.CATEGORY and ta.levels and tb.levels:
        return replace(t, levels=tuple(dict.fromkeys((*ta.levels, *tb.levels))))
    return replace(t, kind=Kind.STRING, levels=None)


def _arms_error(ck: Checker, e: ast.If, ta: Type, tb: Type, swapped: bool) -> Typed:
    if swapped:
        ta, tb = tb, ta
    return ck._error("TS325", f"the arms of `if` differ: `then` gives a {ta}, `else` a {tb}",
                     e.otherwise.span, "Both arms must give the same kind of value (numbers of one "
                     "dimension, dates, conditions, or text), e.g. "
                     "`if weight >= 60 kg then 25 mg else 15 mg`.")


def check_match(ck: Checker, e: ast.Match, row: str | None) -> Typed:
    """``x contains "A"`` / ``starts with`` / ``matches``: x a string or category."""
    x, t = ck.check(e.operand, row)
    if t.kind is Kind.ANY:
        return None, ANY
    if t.kind not in TEXT_KINDS:
        return ck._error("TS330", f"'{e.op}' tests text, but this is a {t}", e.operand.span,
                         "Use it on a string or category column, e.g. `cm_decod contains \"ZEPAM\"`.")
    if e.op == "matches" and (problem := vet(e.pattern)) is not None:
        return ck._error(problem.code, problem.message, _pattern_span(e, problem.offset), problem.hint)
    return ir.Match(e.op, x, e.pattern, e.ignore_case, e.span), ck._grain(BOOL, [x])


def _pattern_span(e: ast.Match, offset: int | None) -> Span:
    """The character ``offset`` of the pattern (None: the quoted pattern as a whole)."""
    span = e.pattern_span
    if offset is None or span.line != span.end_line:
        return span
    col = min(span.col + 1 + offset, span.end_col - 1)
    return Span(span.path, span.line, col, span.line, col + 1)

