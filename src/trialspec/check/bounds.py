"""Static checks of declarations the expression checker does not see: units and bounds.

Run by ``lint`` (``check.protocol.check_protocol``), with no data and no pandas:

- every column's declared ``unit:`` is a unit the registry knows (TS302, at the column);
- every treatment quantity parses, and is finite (TS108 from the parser);
- a dose (and each reduction) is an amount of drug, not a time or a length (TS315);
- the cycle length, the windows and the dose window lie within a sane calendar (TS214).

The limits are named here and in docs/reliability.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.source import Span

MAX_DAYS = 3653  # ten years: the longest cycle, window or delay trialspec plans
# Dimensions that are never an amount of drug (a dose of `25 days` is a slip of the pen).
NOT_A_DOSE = {"[time]": "a time", "[length]": "a length", "[length]^2": "an area", "uln": "a multiple of ULN",
              "[temperature]": "a temperature", "1/[time]": "a frequency"}


def lint_bounds(protocol: Any) -> list[Diagnostic]:
    """Every finding of this module, in protocol order."""
    return [*_column_units(protocol), *_treatment(protocol)]


def _column_units(protocol: Any) -> Iterator[Diagnostic]:
    from trialspec.units import UnitError, parse_unit

    for dataset in protocol.datasets.values():
        for column in dataset.columns.values():
            if not column.unit:
                continue
            try:
                parse_unit(column.unit)
            except UnitError as err:
                yield Diagnostic(
                    "TS302", f"column `{column.name}` of `{dataset.name}` declares the unit "
                    f"{column.unit!r}, which the unit registry does not know", column.span,
                    (err.hint.rstrip(".") + (" " if err.hint.endswith("?") else ". ") if err.hint else "")
                    + "docs/units.md lists the known units; "
                    "a value with an unknown unit cannot be converted or compared.")


def _treatment(protocol: Any) -> Iterator[Diagnostic]:
    t = getattr(protocol, "treatment", None)
    if t is None:
        return
    yield from _duration(t.cycle, "the cycle length")
    tol = t.tolerances
    if tol is not None:
        for expr, what in ((tol.start_window, "`start_window`"), (tol.max_delay, "`max_delay`")):
            if expr is not None:
                yield from _duration(expr, what)
        yield from _dose_window(tol.dose_window, tol.span)
    for regimen in t.arms.values():
        for drug in regimen.drugs.values():
            for expr in (drug.dose, *drug.reductions):
                yield from _dose(expr, drug.drug)


def _quantity(expr: Any) -> tuple[Any, list[Diagnostic]]:
    from trialspec.lang.parser import parse_expr

    if expr is None or not getattr(expr, "text", None):
        return None, []
    return parse_expr(expr.text, expr.smap, expr.span.path)


def _duration(expr: Any, what: str) -> Iterator[Diagnostic]:
    from trialspec.lang import ast
    from trialspec.units import UnitError, factor, parse_unit

    node, diags = _quantity(expr)
    yield from (d for d in diags if d.code == "TS108")
    if not isinstance(node, ast.Quantity):
        return
    try:
        days = node.value * factor(parse_unit(node.unit), parse_unit("days"))
    except (UnitError, OverflowError):
        return  # not a duration: the dosing plan says so (TS520)
    if not math.isfinite(days) or abs(days) > MAX_DAYS:
        yield Diagnostic(
            "TS214", f"{what} `{expr.text}` is {_days(days)}, beyond the {MAX_DAYS:,} days (ten years) "
            "trialspec plans", expr.span,
            "Write the length in days or weeks, e.g. `28 days`; check for a typo in the number.")


def _dose_window(value: Any, span: Span) -> Iterator[Diagnostic]:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return  # the schema says what a dose_window is
    if not math.isfinite(value) or not 0 <= value <= MAX_DAYS:
        yield Diagnostic(
            "TS214", f"`dose_window: {value:g}` is beyond the 0 to {MAX_DAYS:,} days (ten years) a "
            "window may span", span,
            "`dose_window` is the number of days a dose may move from its planned day, e.g. `1`.")


def _dose(expr: Any, drug: str) -> Iterator[Diagnostic]:
    from trialspec.lang import ast
    from trialspec.units import UnitError, parse_unit

    node, diags = _quantity(expr)
    yield from (d for d in diags if d.code == "TS108")
    if not isinstance(node, ast.Quantity):
        return
    try:
        unit = parse_unit(node.unit)
    except UnitError:
        return  # the dosing plan says so (TS520)
    kind = NOT_A_DOSE.get(unit.dimension)
    if kind is not None:
        yield Diagnostic(
            "TS315", f"the dose `{expr.text}` of {drug} is {kind} ({unit.text}), not an amount of drug",
            expr.span, "Write the dose as an amount with its unit, e.g. `25 mg`, `75 mg/m2`, "
            "`1 tablets`; the days of the cycle go under `days:`.")


def _days(days: float) -> str:
    return "infinitely long" if not math.isfinite(days) else f"{days:.4g} days"
