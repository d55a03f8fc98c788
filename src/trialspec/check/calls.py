"""Type checking of function calls: scalar, aggregate and time-series forms."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from trialspec.check.long_rows import restrict_to_test, test_partition
from trialspec.lang import ast, ir
from trialspec.lang.functions import AGGREGATE_FORMS, FUNCTIONS, Signature
from trialspec.lang.types import ANY, BOOL, Kind, Type

if TYPE_CHECKING:
    from trialspec.check.typecheck import Checker, Typed


def check_call(ck: Checker, e: ast.Call, row: str | None) -> Typed:
    sig = FUNCTIONS.get(e.name)
    if sig is None:
        hint = ck.scope.suggest(e.name, FUNCTIONS)
        return ck._error("TS308", f"unknown function '{e.name}'", e.span,
                         f"Did you mean '{hint}'?" if hint else "docs/language.md lists the functions.")
    n = len(e.args)
    aggregate = e.name in AGGREGATE_FORMS and (
        sig.kind == "aggregate" or (n == 1 and _row_grain(ck, e.args[0], row)) or e.where is not None)
    if aggregate:
        return _aggregate(ck, e, row)
    if e.where is not None:
        return ck._error("TS307", f"'{e.name}' does not take `where`", e.where.span,
                         "`where` filters the rows of an aggregate such as count(...) or any(...).")
    if n < sig.min_args or (sig.max_args is not None and n > sig.max_args):
        return _arity(ck, e, sig)
    if sig.kind == "series":
        return _series(ck, e, sig, row)
    if sig.args == "ranged":
        from trialspec.check.ranges import check_limit

        return check_limit(ck, e, row)
    return _scalar(ck, e, sig, row)


def _arity(ck: Checker, e: ast.Call, sig: Signature) -> Typed:
    if sig.max_args is None:
        want = f"at least {sig.min_args}"
    elif sig.min_args == sig.max_args:
        want = str(sig.min_args)
    else:
        want = f"{sig.min_args} to {sig.max_args}"
    return ck._error("TS306", f"'{e.name}' takes {want} argument(s), got {len(e.args)}", e.span,
                     f"{e.name}: {sig.doc}")


def _row_grain(ck: Checker, arg: ast.Expr, row: str | None) -> bool:
    if isinstance(arg, ast.Name):
        if len(arg.parts) == 1 and arg.parts[0] in ck.scope.datasets and not (
                row and ck.scope.column(row, arg.parts[0])):
            return True
        if len(arg.parts) == 2 and arg.parts[0] in ck.scope.row_grain:
            return True
    return False


def _aggregate(ck: Checker, e: ast.Call, row: str | None) -> Typed:
    if len(e.args) != 1:
        return _arity(ck, e, replace(FUNCTIONS[e.name], min_args=1, max_args=1))
    arg = e.args[0]
    value: Any = None
    if isinstance(arg, ast.Name) and len(arg.parts) == 1 and arg.parts[0] in ck.scope.datasets:
        dataset = arg.parts[0]
        if e.name not in ("count", "any", "all"):
            return ck._error("TS307" if e.name != "count_distinct" else "TS334",
                             f"'{e.name}' needs a column, not the dataset '{dataset}'", arg.span,
                             f"e.g. `{e.name}({dataset}.some_column)`.")
    else:
        value, tv = ck.check(arg, row)
        if tv.kind is Kind.ANY:
            return None, ANY
        if tv.grain is None:
            return ck._error("TS307", f"'{e.name}' over one value per subject aggregates nothing",
                             arg.span, "Name a column of a dataset with several rows per subject.")
        dataset = tv.grain
        if e.name in ("count", "any", "all") and tv.kind is not Kind.BOOL:
            return ck._error("TS307", f"'{e.name}' takes a dataset or a condition", arg.span,
                             f"e.g. `{e.name}({dataset} where ...)`.")
        if e.name in ("min", "max") and tv.kind not in (Kind.NUMBER, Kind.DATE):
            return ck._error("TS307", f"'{e.name}' needs numbers, durations or dates, found a {tv}",
                             arg.span)
        if e.name in ("sum", "mean") and tv.kind is not Kind.NUMBER:
            return ck._error("TS307", f"'{e.name}' needs numbers, found a {tv}", arg.span)
    if dataset not in ck.scope.row_grain:
        return ck._error("TS307", f"'{dataset}' has one row per subject; there is nothing to aggregate",
                         arg.span, "Use its columns directly.")
    where = None
    if e.where is not None:
        where, tw = ck.check(e.where, dataset)
        if tw.kind is Kind.ANY:
            return None, ANY
        if tw.kind is not Kind.BOOL:
            return ck._error("TS307", f"`where` needs a condition, found a {tw}", e.where.span)
    value, where, bad = restrict_to_test(ck, e, dataset, value, where)
    if bad:
        return None, ANY
    if e.name in ("count", "count_distinct"):
        t = Type(Kind.NUMBER)
    elif e.name in ("any", "all"):
        t = BOOL
    else:
        t = replace(ir.type_of(value), grain=None)
    return ir.Aggregate(e.name, dataset, value, where, t, e.span), t


def _series(ck: Checker, e: ast.Call, sig: Signature, row: str | None) -> Typed:
    x, t = ck.check(e.args[0], row)
    if t.kind is Kind.ANY:
        return None, ANY
    if t.grain is None:
        return ck._error("TS307", f"'{e.name}' needs a value that changes over assessments",
                         e.args[0].span, "Use a column of a dataset with one row per assessment.")
    want = {"series-number": Kind.NUMBER, "series-condition": Kind.BOOL}.get(sig.args)
    if want is not None and t.kind is not want:
        return ck._error("TS307", f"'{e.name}' needs a {want.value}, found a {t}", e.args[0].span)
    args: list[Any] = [x]
    if e.name == "consecutive":
        n = e.args[1]
        if not (isinstance(n, ast.Number) and n.value.is_integer() and n.value >= 1):
            return ck._error("TS307", "the count of `consecutive` must be a whole number >= 1", n.span,
                             "e.g. `consecutive(pct_change(serum_m_protein) <= -50%, 2)`.")
        args.append(ir.Const(n.value, Type(Kind.NUMBER), n.span))
    rt = t
    if sig.returns == "percent":
        rt = replace(t, unit="%", analyte=None)
    elif sig.returns == "condition":
        rt = replace(BOOL, grain=t.grain)
    return ir.Series(e.name, t.grain, tuple(args), rt, span=e.span,
                     partition=test_partition(ck, t.grain, x, e.span)), rt


def _scalar(ck: Checker, e: ast.Call, sig: Signature, row: str | None) -> Typed:
    checked = [ck.check(a, row) for a in e.args]
    if any(t.kind is Kind.ANY for _, t in checked):
        return None, ANY
    if sig.args == "number":
        for (_node, t), a in zip(checked, e.args, strict=True):
            if t.kind is not Kind.NUMBER:
                return ck._error("TS307", f"'{e.name}' needs numbers, found a {t}", a.span)
    if sig.args == "ordered":  # numbers (durations are numbers in days) or dates, one kind
        first = checked[0][1].kind
        for (_node, t), a in zip(checked, e.args, strict=True):
            if t.kind not in (Kind.NUMBER, Kind.DATE) or t.kind is not first:
                return ck._error("TS307", f"'{e.name}' needs numbers, durations or dates of one kind, "
                                 f"found a {t}", a.span, "e.g. `max(first_dose, consent)` or "
                                 "`min(dose, 25 mg)`.")
    if e.name == "ratio":
        (a, ta), (b, tb) = checked
        return ck._muldiv("/", a, ta, b, tb, e.span, e.args[1].span,
                          lambda x, y, t: ir.Func("ratio", (x, y), t, e.span))
    # The arguments take the unit of the first one that is not a constant (the column side
    # wins, as in a comparison): coalesce(hba1c, 0.5 * ratio) reads the ratio as a fraction.
    lead = next((i for i, (node, _t) in enumerate(checked) if not isinstance(node, ir.Const)), 0)
    lead_node, lead_type = checked[lead]
    nodes = []
    for i, ((node, t), a) in enumerate(zip(checked, e.args, strict=True)):
        if i == lead:
            nodes.append(lead_node)
            continue
        res = ck._compatible(lead_node, lead_type, node, t, e.span, a.span)
        if res is None:
            return None, ANY
        nodes.append(res[1])
    rt = ck._grain(lead_type, nodes)
    return ir.Func(e.name, tuple(nodes), rt, e.span), rt
