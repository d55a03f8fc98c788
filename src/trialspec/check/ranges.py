"""Reference ranges: ``lln(x)``, ``uln(x)`` and ``x <= 3 x ULN`` against each row's own range.

A column may declare the file columns holding its row's normal range
(``range: {low: LBSTNRLO, high: LBSTNRHI}``); the binding reads them in the column's unit
beside it as ``x@lln`` and ``x@uln``. ``uln(x)`` is that column; a value in a unit compared
with a multiple of ULN (``alt <= 3 x ULN``) is compared with ``3 * uln(alt)``, row by row
(or pick by pick). A missing limit makes the comparison unknown, like any missing value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from trialspec import units
from trialspec.lang import ast, ir
from trialspec.lang.types import ANY, NUMBER, Kind, Type
from trialspec.source import Span

if TYPE_CHECKING:
    from trialspec.check.typecheck import Checker, Typed

NOT_ULN: Any = object()  # "not a comparison with a multiple of ULN": the usual rules apply

RANGE_HINT = ("Declare where each row's range is: `{col}: {{type: number, unit: ..., "
              "range: {{low: LBSTNRLO, high: LBSTNRHI}}}}`.")


def declared_range(ck: Checker, node: Any) -> Any:
    """The ``range:`` of the column ``node`` reads, if it is a column that declares one."""
    if not isinstance(node, ir.Col):
        return None
    ds = ck.scope.datasets.get(node.dataset)
    col = None if ds is None else ds.columns.get(node.column)
    return getattr(col, "range", None)


def check_limit(ck: Checker, e: ast.Call, row: str | None) -> Typed:
    """``lln(x)`` / ``uln(x)``: the limit column beside x, in x's unit and grain."""
    arg = e.args[0]
    node, t = ck.check(arg, row)
    if t.kind is Kind.ANY:
        return None, ANY
    rng = declared_range(ck, node)
    bound = None if rng is None else rng.low if e.name == "lln" else rng.high
    if bound is None:
        what = f"{node.dataset}.{node.column}" if isinstance(node, ir.Col) else "this value"
        key = "low" if e.name == "lln" else "high"
        hint = RANGE_HINT.format(col=node.column if isinstance(node, ir.Col) else "x")
        return ck._error("TS333", f"'{e.name}' needs a column with a normal range, but {what} "
                         f"declares no `range: {{{key}: ...}}`", arg.span, hint)
    return ir.Col(node.dataset, node.column + ir.LIMIT_SUFFIX[e.name], node.type, e.span), t


def _is_uln(t: Type) -> bool:
    if t.unit is None:
        return False
    try:
        return units.resolve(t.unit).dimension == "uln"
    except units.UnitError:
        return False


def relative_to_uln(ck: Checker, a: Any, ta: Type, b: Any, tb: Type, span: Span,
                    where: Span) -> Any:
    """``(a, b, type)`` with the multiple of ULN turned into ``k * uln(column)``; None after
    an error; NOT_ULN when neither side is a multiple of ULN next to a value in a unit."""
    ua, ub = _is_uln(ta), _is_uln(tb)
    if ua == ub:
        return NOT_ULN
    value, tv, multiple, tm = (b, tb, a, ta) if ua else (a, ta, b, tb)
    if tv.unit is None or isinstance(value, ir.Const):
        return NOT_ULN  # a plain ratio is a multiple; a constant in U/L next to x ULN is TS303
    rng = declared_range(ck, value)
    if rng is None or rng.high is None:
        what = f"{value.dataset}.{value.column}" if isinstance(value, ir.Col) else "this value"
        col = value.column if isinstance(value, ir.Col) else "x"
        ck._error("TS331", f"a multiple of ULN needs each value's upper limit of normal, but {what} "
                  f"(in {tv.unit}) has no `range: {{high: ...}}`", where,
                  RANGE_HINT.format(col=col) + " Only a column read directly has its row's range.")
        return None
    uln = ir.Col(value.dataset, value.column + ir.LIMIT_SUFFIX["uln"], replace(tv, analyte=None),
                 value.span)
    if isinstance(multiple, ir.Const):
        plain: Any = ir.Const(float(multiple.value), NUMBER, multiple.span)
    else:
        plain = _retype(multiple, replace(tm, unit=None))
    scaled = ir.Arith("*", plain, uln, ck._grain(tv, [plain, uln]), span)
    return (scaled, b, tb) if ua else (a, scaled, ta)


def _retype(node: Any, t: Type) -> Any:
    return replace(node, type=t) if hasattr(node, "type") else node
