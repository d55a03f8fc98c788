"""Endpoints: what each subject's outcome is, as IR the checker lowered, and its values.

A protocol's ``endpoints:`` become :class:`EndpointPlan` objects:

- ``response``: the subject's best overall response is one of ``responders``; it reads
  ``response.best_response``, the derived dataset the response section fills;
- ``proportion``: a condition (``when:``) holds for the subject;
- ``time_to_event``: the time from ``start`` to ``event`` (an event) or, when there is no
  event date, to ``censor`` (censored), in the endpoint's ``options.unit``.

Every expression is parsed, resolved, typed and lowered by the checker, exactly as
eligibility criteria are. The values come from whatever backend evaluates the IR: this
module only reads the arrays a backend's values expose (``value``/``known`` for conditions,
``lo``/``hi`` for numbers and dates, ``strings()`` for labels), so it imports no engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trialspec.check.protocol import parse_model_expr
from trialspec.check.scope import Scope
from trialspec.check.typecheck import Checker
from trialspec.diagnostics import Diagnostic
from trialspec.lang import ir
from trialspec.lang.types import Kind
from trialspec.source import Span

if TYPE_CHECKING:  # numpy is imported where data are computed, never by lint
    import numpy as np

RESPONSE_DATASET = "response"
RESPONSE_COLUMN = "best_response"
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
"""Time units of time-to-event endpoints: a month is 365.25 / 12 days, as R's survival
examples and most trial reports use."""

Evaluate = Callable[[ir.Node], Any]


@dataclass(frozen=True)
class EndpointPlan:
    """One endpoint, lowered: a condition per subject, or a time and an event indicator."""

    name: str
    kind: str  # response | proportion | time_to_event
    span: Span
    description: str | None = None
    condition: ir.Node | None = None  # response / proportion: the subject has the outcome
    responders: tuple[str, ...] = ()  # response: the categories counted
    population: ir.Node | None = None  # which subjects the endpoint is defined for
    start: ir.Node | None = None
    event: ir.Node | None = None
    censor: ir.Node | None = None
    unit: str = "months"
    time: ir.Node | None = None  # a duration per subject (then `event` is a condition)
    entry: ir.Node | None = None  # left truncation: a date (with start) or a number (with time)

    @property
    def binary(self) -> bool:
        return self.kind in ("response", "proportion")


def new_checker(protocol: Any) -> Checker:
    """The checker every analysis expression goes through (as criteria do)."""
    return Checker(Scope(protocol.datasets, protocol.definitions))


def lower_condition(checker: Checker, expr: Any, what: str, diags: list[Diagnostic]) -> ir.Node | None:
    tree = parse_model_expr(expr, diags)
    return None if tree is None else checker.condition(tree, what)


def lower_value(checker: Checker, expr: Any, kind: Kind, what: str,
                diags: list[Diagnostic]) -> ir.Node | None:
    """An expression that must give one value per subject of ``kind`` (a date, a number)."""
    tree = parse_model_expr(expr, diags)
    if tree is None:
        return None
    node, t = checker.check(tree, None)
    if node is None or t.kind is Kind.ANY:
        return None
    if t.kind is not kind or t.grain is not None:
        found = f"a value per row of '{t.grain}'" if t.grain else f"a {t}"
        diags.append(Diagnostic("TS701", f"{what} must be a {kind.value} per subject, not {found}",
                                expr.span, f"Give an expression that is a {kind.value} for each "
                                "subject, e.g. a date column."))
        return None
    return node


def compile_endpoints(protocol: Any, checker: Checker) -> tuple[dict[str, EndpointPlan], list[Diagnostic]]:
    """Every endpoint of the protocol lowered to IR; the ones in error are left out.

    The diagnostics returned are this module's own; the checker keeps the type errors it
    found in ``checker.diagnostics`` (the caller collects them once, at the end)."""
    diags: list[Diagnostic] = []
    plans: dict[str, EndpointPlan] = {}
    for name, ep in protocol.endpoints.items():
        plan = _compile(name, ep, protocol, checker, diags)
        if plan is not None:
            plans[name] = plan
    return plans, diags


def _text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "text", value))


def _compile(name: str, ep: Any, protocol: Any, checker: Checker,
             diags: list[Diagnostic]) -> EndpointPlan | None:
    spec: Mapping[str, Any] = ep.spec
    before = len(diags) + len(checker.diagnostics)
    population = None
    if spec.get("population") is not None:
        population = lower_condition(checker, spec["population"], f"the population of {name}", diags)
    base = {"name": name, "kind": ep.kind, "span": ep.span,
            "description": _text(spec.get("description")), "population": population}
    if ep.kind == "response":
        plan = _response(name, ep, protocol, diags)
        if plan is None:
            return None
        condition, responders = plan
        result = EndpointPlan(**base, condition=condition, responders=responders)
    elif ep.kind == "proportion":
        if spec.get("when") is None:
            diags.append(Diagnostic("TS701", f"the proportion endpoint `{name}` needs `when:`",
                                    ep.span, "Add the condition counted, e.g. `when: cr_reached`."))
            return None
        cond = lower_condition(checker, spec["when"], f"endpoint {name}", diags)
        result = EndpointPlan(**base, condition=cond)
    else:
        tte = _time_to_event(name, ep, checker, base, diags)
        if tte is None:
            return None
        result = tte
    return None if len(diags) + len(checker.diagnostics) > before else result


def _response(name: str, ep: Any, protocol: Any,
              diags: list[Diagnostic]) -> tuple[ir.Node, tuple[str, ...]] | None:
    responders = tuple(str(r.text) for r in ep.spec.get("responders") or ())
    ds = protocol.datasets.get(RESPONSE_DATASET)
    if ds is None or RESPONSE_COLUMN not in ds.columns:
        diags.append(Diagnostic(
            "TS701", f"the response endpoint `{name}` reads `{RESPONSE_DATASET}.{RESPONSE_COLUMN}`, "
            "which the protocol does not declare", ep.span,
            f"Declare the derived dataset: `{RESPONSE_DATASET}: {{derived: true, key: subject_id, "
            f"columns: {{{RESPONSE_COLUMN}: {{type: category, levels: [sCR, CR, VGPR, PR, MR, SD, "
            "PD, NE]}}}}`."))
        return None
    if not responders:
        diags.append(Diagnostic("TS701", f"the response endpoint `{name}` needs `responders:`",
                                ep.span, "List the categories counted, e.g. `[sCR, CR, VGPR, PR]`."))
        return None
    ref = Scope(protocol.datasets, {}).column(RESPONSE_DATASET, RESPONSE_COLUMN)
    assert ref is not None
    levels = ref.type.levels or ()
    for r, expr in zip(responders, ep.spec["responders"], strict=True):
        if levels and r not in levels:
            close = Scope.suggest(r, levels)
            diags.append(Diagnostic("TS701", f"`{r}` is not a response category ({', '.join(levels)})",
                                    expr.span, f"Did you mean `{close}`?" if close else
                                    "Use the categories declared for response.best_response."))
            return None
    col = ir.Col(RESPONSE_DATASET, RESPONSE_COLUMN, ref.type, ep.span)
    return ir.InSet(col, responders, False, ep.span), responders


def _time_to_event(name: str, ep: Any, checker: Checker, base: dict[str, Any],
                   diags: list[Diagnostic]) -> EndpointPlan | None:
    spec = ep.spec
    if spec.get("time") is not None:
        return _duration(name, ep, checker, base, diags)
    missing = [k for k in ("start", "event", "censor") if spec.get(k) is None]
    if missing:
        diags.append(Diagnostic("TS701", f"the time-to-event endpoint `{name}` needs "
                                + ", ".join(f"`{k}:`" for k in missing), ep.span,
                                "Give the time origin, the event date and the censoring date "
                                "(e.g. `start: first_dose_date, event: progression_date, "
                                "censor: last_assessment_date`)."))
        return None
    nodes = {k: lower_value(checker, spec[k], Kind.DATE, f"`{k}` of {name}", diags)
             for k in ("start", "event", "censor")}
    unit = _unit(name, ep, diags)
    if unit is None:
        return None
    entry = (lower_value(checker, spec["entry"], Kind.DATE, f"`entry` of {name}", diags)
             if spec.get("entry") is not None else None)
    return EndpointPlan(**base, unit=unit, start=nodes["start"], event=nodes["event"],
                        censor=nodes["censor"], entry=entry)


def _unit(name: str, ep: Any, diags: list[Diagnostic]) -> str | None:
    options = ep.spec.get("options") or {}
    unit = _text(options.get("unit")) or "months"
    if unit not in DAYS_PER_UNIT:
        close = Scope.suggest(unit, DAYS_PER_UNIT)
        diags.append(Diagnostic("TS701", f"unknown time unit `{unit}` for {name}",
                                options["unit"].span, f"Did you mean `{close}`?" if close else
                                f"One of {', '.join(DAYS_PER_UNIT)}."))
        return None
    return unit


def _duration(name: str, ep: Any, checker: Checker, base: dict[str, Any],
              diags: list[Diagnostic]) -> EndpointPlan | None:
    """``time:`` (a number in the endpoint's unit) and ``event:`` (a condition)."""
    spec = ep.spec
    if spec.get("event") is None:
        diags.append(Diagnostic("TS701", f"the time-to-event endpoint `{name}` gives `time:` but "
                                "no `event:`", ep.span, "Add the condition that the event "
                                "happened, e.g. `event: status == dead`."))
        return None
    unit = _unit(name, ep, diags)
    if unit is None:
        return None
    time = lower_value(checker, spec["time"], Kind.NUMBER, f"`time` of {name}", diags)
    event = lower_condition(checker, spec["event"], f"`event` of {name}", diags)
    entry = (lower_value(checker, spec["entry"], Kind.NUMBER, f"`entry` of {name}", diags)
             if spec.get("entry") is not None else None)
    return EndpointPlan(**base, unit=unit, time=time, event=event, entry=entry)


# -- values -------------------------------------------------------------------------------

def condition_arrays(value: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) bool arrays of length n from a backend's condition value."""
    import numpy as np
    true = np.broadcast_to(np.asarray(value.value, dtype=bool), (n,))
    known = np.broadcast_to(np.asarray(value.known, dtype=bool), (n,))
    return true & known, known


def number_array(value: Any, n: int) -> np.ndarray:
    """Floats (nan missing); an inexact value (an interval) counts as missing."""
    import numpy as np
    lo = np.broadcast_to(np.asarray(value.lo, dtype=np.float64), (n,))
    hi = np.broadcast_to(np.asarray(value.hi, dtype=np.float64), (n,))
    return np.where(lo == hi, lo, np.nan)


def day_array(value: Any, n: int) -> np.ndarray:
    """Dates as float day numbers (nan missing); a partial date counts as missing."""
    import numpy as np
    lo = np.broadcast_to(np.asarray(value.lo, dtype="datetime64[D]"), (n,))
    hi = np.broadcast_to(np.asarray(value.hi, dtype="datetime64[D]"), (n,))
    days = lo.astype(np.int64).astype(np.float64)
    return np.where(np.isnat(lo) | (lo != hi), np.nan, days)


def binary_values(plan: EndpointPlan, evaluate: Evaluate, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(has the outcome, known) per subject; outside the endpoint's population is unknown."""
    assert plan.condition is not None
    true, known = condition_arrays(evaluate(plan.condition), n)
    if plan.population is not None:
        inside, pk = condition_arrays(evaluate(plan.population), n)
        known = known & pk & inside
        true = true & known
    return true, known


@dataclass(frozen=True)
class TimeToEvent:
    """Per subject: follow-up time in the endpoint's unit, event (True) or censored."""

    time: np.ndarray  # nan: unknown (no date, partial date, or outside the population)
    event: np.ndarray
    negative: np.ndarray  # the date falls before the time origin (left out)
    entry: np.ndarray | None = None  # left truncation, in the endpoint's unit (nan unknown)


def time_values(plan: EndpointPlan, evaluate: Evaluate, n: int) -> TimeToEvent:
    import numpy as np
    if plan.time is not None:
        return _duration_values(plan, evaluate, n)
    assert plan.start is not None and plan.event is not None and plan.censor is not None
    start = day_array(evaluate(plan.start), n)
    event = day_array(evaluate(plan.event), n)
    censor = day_array(evaluate(plan.censor), n)
    has_event = ~np.isnan(event)
    end = np.where(has_event, event, censor)
    days = end - start
    negative = days < 0
    days = np.where(negative, np.nan, days)
    if plan.population is not None:
        inside, pk = condition_arrays(evaluate(plan.population), n)
        days = np.where(inside & pk, days, np.nan)
    time = days / DAYS_PER_UNIT[plan.unit]
    entry = None
    if plan.entry is not None:
        entry = (day_array(evaluate(plan.entry), n) - start) / DAYS_PER_UNIT[plan.unit]
    return TimeToEvent(time, has_event & ~np.isnan(time), negative, entry)


def _duration_values(plan: EndpointPlan, evaluate: Evaluate, n: int) -> TimeToEvent:
    import numpy as np
    assert plan.time is not None and plan.event is not None
    time = number_array(evaluate(plan.time), n)
    true, known = condition_arrays(evaluate(plan.event), n)
    negative = time < 0
    time = np.where(negative | ~known, np.nan, time)
    if plan.population is not None:
        inside, pk = condition_arrays(evaluate(plan.population), n)
        time = np.where(inside & pk, time, np.nan)
    entry = number_array(evaluate(plan.entry), n) if plan.entry is not None else None
    return TimeToEvent(time, true & ~np.isnan(time), negative, entry)
