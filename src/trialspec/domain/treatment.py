"""Treatment: the protocol's regimen as a backend-neutral dosing plan.

:func:`build_plan` turns ``treatment:`` into a :class:`DosingPlan` (doses parsed with their
units, days of the cycle, allowed levels, tolerances in whole days) and says, as TS520,
what cannot be planned. :func:`plan_tables` hands the plan to a backend as plain data, and
:func:`run_dosing` joins the two: the backend's ``dosing`` computes cycles, deviations and
dose intensity; :mod:`trialspec.domain.treatment_section` turns its tables into the
report's ``dosing`` section. docs/dosing.md states every rule.

Nothing here imports an engine or pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from trialspec.backend import Backend
from trialspec.diagnostics import Diagnostic
from trialspec.domain.treatment_doses import StepPlan, convert, lint_doses, read_dose, read_steps, step_gaps
from trialspec.source import Span

# Administrations per planned day, by frequency; PRN (as needed) plans none.
PER_DAY = {"BID": 2, "TID": 3, "QID": 4, "PRN": 0}
ARM_COLUMN = "arm"  # the population table's column naming each subject's arm (several arms)
DEFAULT_EXPOSURE = "exposure"
# The exposure dataset's columns, by role (protocol column names).
ROLES = ("drug", "dose", "unit", "date", "start", "end", "frequency", "form", "route", "visit", "cycle")

Shape = Literal["administrations", "intervals"]


@dataclass(frozen=True)
class DrugPlan:
    """One drug of one arm: its dose, allowed levels and planned days of the cycle."""

    arm: str
    drug: str
    dose: float
    unit: str
    levels: tuple[float, ...]  # the dose, then each allowed reduction, in ``unit``
    days: tuple[int, ...]
    per_day: int  # administrations per planned day (BID: 2); 0 for PRN
    frequency: str | None
    reescalation: bool
    span: Span
    kind: str = "mass"  # mass, count (dosage units), per_m2, per_kg (treatment_doses.Kind)
    steps: tuple[StepPlan, ...] = ()  # a dose schedule (titration); empty: the dose throughout
    form: str | None = None
    route: str | None = None
    cap: float | None = None  # the most a dose per body size may come to, in ``unit``

    @property
    def placebo(self) -> bool:
        """A matching placebo planned as ``0 mg``: its doses are counted, not weighed."""
        return self.dose == 0 and not self.steps


@dataclass(frozen=True)
class DosingPlan:
    """What the protocol plans, in days and in each drug's dose unit."""

    cycle_days: int
    cycles: int | None  # None: until progression, or not limited (or a number per arm)
    until_progression: bool
    dose_window: int
    start_window: int
    max_delay: int
    rdi_min: float | None  # a fraction: 0.8
    arms: tuple[str, ...]
    drugs: tuple[DrugPlan, ...]
    exposure: str
    shape: Shape
    columns: dict[str, str | None]  # role -> protocol column name
    dose_unit: str | None  # the exposure dose column's fixed unit, if it has one
    arm_source: tuple[str, str] | None  # (population dataset, arm column) for several arms
    span: Span
    cycle_span: Span
    tolerance_span: Span
    exposure_span: Span
    column_spans: dict[str, Span]
    arm_cycles: tuple[int | None, ...] = ()  # per arm, in `arms` order: None is not limited
    cycles_span: Span | None = None
    cycles_given: Any = None  # as the protocol writes it: a number, `until progression`, by arm
    arm_cycle_days: tuple[int, ...] = ()  # per arm, in `arms` order
    skipped: tuple[int, ...] = ()  # arms whose dosing cannot be checked (TS530 says why)
    observation: tuple[str, ...] = ()  # arms with nothing to administer
    dose_tolerance: float = 1e-6  # relative: a dose this close to its planned level is at it
    body_size: Any = None  # protocol.model.BodySize, for doses per m2 or per kg
    without_cycles: bool = False  # `duration:` instead of `cycle:`

    def cycle_days_of(self, arm: int) -> int:
        """The cycle length of arm ``arm`` (its index)."""
        return self.arm_cycle_days[arm] if 0 <= arm < len(self.arm_cycle_days) else self.cycle_days

    def cycles_of(self, arm: int) -> int | None:
        """The planned number of cycles of arm ``arm`` (its index; -1: unknown arm)."""
        return self.arm_cycles[arm] if 0 <= arm < len(self.arm_cycles) else self.cycles


# -- building the plan --------------------------------------------------------------------


def build_plan(protocol: Any) -> tuple[DosingPlan | None, list[Diagnostic]]:
    """The plan of ``protocol.treatment`` (None, with TS520 findings, if it has none)."""
    t = protocol.treatment
    if t is None:
        return None, []
    diags: list[Diagnostic] = []

    def bad(message: str, span: Span, hint: str) -> None:
        diags.append(Diagnostic("TS520", message, span, hint))

    by_arm = t.cycle_by_arm or {}
    cycle_days = _days_of(t.cycle, "the treatment duration" if t.duration is not None else
                          "the cycle length", bad, minimum=1)
    arm_days = tuple(_days_of(by_arm[a], f"the cycle length of arm {a}", bad, minimum=1) if a in by_arm
                     else cycle_days for a in t.arms)
    for a in by_arm:
        if a not in t.arms:
            bad(f"`cycle` names `{a}`, which is not an arm", by_arm[a].span,
                f"The arms are {', '.join(t.arms)}.")
    tol = t.tolerances
    dose_window = tol.dose_window if tol and tol.dose_window is not None else 0
    start_window = _days_of(tol.start_window, "`start_window`", bad) if tol and tol.start_window else 0
    max_delay = _days_of(tol.max_delay, "`max_delay`", bad) if tol and tol.max_delay else None
    if t.duration is not None and cycle_days is not None:
        # without cycles, treatment is one period: `duration`, and up to `max_delay` more
        # awaiting the final visit; planned days after the last dose are never due
        cycle_days += max_delay or 0
        arm_days = (cycle_days,) * len(t.arms)
    if not any(r.drugs for r in t.arms.values()):
        return None, diags  # nothing to administer in any arm (observation only)
    skipped: dict[str, tuple[str, Span, str]] = {}
    drugs = []
    for i, (arm, regimen) in enumerate(t.arms.items()):
        for d in regimen.drugs.values():
            p = _drug_plan(arm, d, _skip(arm, skipped), arm_days[i] or 1)
            if p is not None and arm not in skipped:
                drugs.append(p)
    drugs = [p for p in drugs if p.arm not in skipped]
    if not drugs:  # every arm that administers something has a problem: nothing to check
        for message, span, hint in skipped.values():
            bad(message, span, hint)
    exposure = _exposure(protocol, bad)
    arm_source = _arm_source(protocol, bad)
    arm_cycles = _arm_cycles(t, bad)
    if cycle_days is None or None in arm_days or start_window is None or exposure is None or \
            (len(t.arms) > 1 and arm_source is None):
        return None, diags
    for p in drugs:
        length = arm_days[list(t.arms).index(p.arm)] or cycle_days
        if p.days and p.days[-1] > length:
            bad(f"{p.drug} is planned on day {p.days[-1]}, beyond the {length}-day cycle", p.span,
                f"Plan days 1-{length}, or lengthen `cycle`.")
    if diags:
        return None, diags
    diags += [Diagnostic("TS530", f"dosing of arm {arm} is not checked: {message}", span, hint)
              for arm, (message, span, hint) in skipped.items()]
    name, shape, columns, dose_unit, spans = exposure
    plan = DosingPlan(
        cycle_days=cycle_days, cycles=t.cycles if isinstance(t.cycles, int) else None,
        until_progression=t.cycles == "until progression", dose_window=int(dose_window),
        start_window=start_window,
        max_delay=max_delay if max_delay is not None else start_window,
        rdi_min=None if t.dose_intensity_min is None else t.dose_intensity_min / 100.0,
        arms=tuple(t.arms), drugs=tuple(drugs), exposure=name, shape=shape, columns=columns,
        dose_unit=dose_unit, arm_source=arm_source, span=t.span, cycle_span=t.cycle.span,
        tolerance_span=tol.span if tol else t.span,
        exposure_span=protocol.datasets[name].span, column_spans=spans,
        arm_cycles=(1,) * len(t.arms) if t.duration is not None else arm_cycles,
        cycles_span=t.cycles_span, cycles_given=1 if t.duration is not None else t.cycles,
        arm_cycle_days=tuple(a or cycle_days for a in arm_days),
        skipped=tuple(i for i, a in enumerate(t.arms) if a in skipped),
        observation=tuple(a for a, r in t.arms.items() if not r.drugs),
        dose_tolerance=(tol.dose_tolerance / 100.0 if tol and tol.dose_tolerance else 1e-6),
        body_size=t.body_size, without_cycles=t.duration is not None)
    return plan, diags


def _skip(arm: str, skipped: dict[str, tuple[str, Span, str]]) -> Any:
    """A ``bad`` callback that skips the arm (TS530): one arm's problem never switches off
    dosing for the others."""
    def bad(message: str, span: Span, hint: str) -> None:
        skipped.setdefault(arm, (message, span, hint))
    return bad


def _arm_cycles(t: Any, bad: Any) -> tuple[int | None, ...]:
    """Each arm's planned number of cycles (None: until progression, or no limit)."""
    given = t.cycles
    if not isinstance(given, Mapping):
        return tuple(given if isinstance(given, int) else None for _ in t.arms)
    span = t.cycles_span or t.span
    for arm in given:
        if arm not in t.arms:
            bad(f"`cycles` names `{arm}`, which is not an arm", span, f"The arms are {', '.join(t.arms)}.")
    for arm in t.arms:
        if arm not in given:
            bad(f"`cycles` gives no number for the arm `{arm}`", span,
                f"Add `{arm}: <number>` (or `until progression`) under `cycles`.")
    return tuple(given.get(a) if isinstance(given.get(a), int) else None for a in t.arms)


def _quantity(expr: Any) -> tuple[float, str] | None:
    """``25 mg`` -> (25.0, "mg") with the unit's canonical spelling; None if not one."""
    from trialspec.lang import ast
    from trialspec.lang.parser import parse_expr
    from trialspec.units import UnitError, parse_unit

    node, _ = parse_expr(expr.text, expr.smap)
    if not isinstance(node, ast.Quantity):
        return None
    try:
        return node.value, parse_unit(node.unit).text
    except UnitError:
        return None


def _days_of(expr: Any, what: str, bad: Any, minimum: int = 0) -> int | None:
    from trialspec.units import UnitError, factor, parse_unit

    q = _quantity(expr)
    try:
        days = None if q is None else q[0] * factor(parse_unit(q[1]), parse_unit("days"))
    except UnitError:
        days = None
    if days is None or days < minimum or abs(days - round(days)) > 1e-9:
        shown = "" if days is None else f" ({days:g} days)"
        least = f", at least {minimum}" if minimum else ""
        bad(f"{what} `{expr.text}` is not a whole number of days{least}{shown}", expr.span,
            "Write it in days or weeks, e.g. `28 days` or `4 weeks`.")
        return None
    return int(round(days))


def _drug_plan(arm: str, d: Any, bad: Any, cycle_days: int) -> DrugPlan | None:
    dose, why = read_dose(d.dose)
    if dose is None:
        bad(f"the dose of {d.drug} `{d.dose.text}` {why}", d.dose.span,
            "Write the dose with its unit, e.g. `25 mg`, `75 mg/m2`, `0 mg` (a placebo) or `1 patch`.")
        return None
    if dose.value == 0 and dose.kind != "mass":
        bad(f"the dose of {d.drug} `{d.dose.text}` plans nothing", d.dose.span,
            "Write a matching placebo as `0 mg`, or as the units it is given in (`1 patch`).")
        return None
    levels = [dose.value]
    for r in d.reductions:
        q, _ = read_dose(r)
        level = convert(q.value, q.unit, dose.unit) if q is not None and q.kind == dose.kind else None
        if level is None or level <= 0:
            bad(f"the reduced dose `{r.text}` of {d.drug} is not an amount in units of {dose.unit}",
                r.span, f"Write it like the dose, e.g. `{max(dose.value, 1) / 2:g} {dose.unit}`.")
            return None
        levels.append(level)
    steps = read_steps(d, dose, bad)
    if len(steps) < len(d.steps):
        return None
    for code, message, span, hint in step_gaps(d) if d.steps else ():
        bad(f"{message} ({code})", span, hint)
        return None
    cap = None
    if d.max_dose is not None:
        q, _ = read_dose(d.max_dose)
        cap = convert(q.value, q.unit, dose.unit) if q is not None and q.kind == "mass" else None
        if cap is None or dose.kind not in ("per_m2", "per_kg"):
            bad(f"the cap `{d.max_dose.text}` of {d.drug} is not an amount in {dose.unit} of a dose per "
                "m2 or per kg", d.max_dose.span, f"Write e.g. `max_dose: 2 {dose.unit}` on a dose per m2.")
            return None
    freq = (d.frequency or "").upper() or None
    days = tuple(d.days) or tuple(range(1, cycle_days + 1))
    return DrugPlan(arm, d.drug, dose.value, dose.unit, tuple(levels), days,
                    PER_DAY.get(freq or "", 1), freq, d.reescalation, d.span, kind=dose.kind, steps=steps,
                    form=d.form, route=d.route, cap=cap)


def _exposure(protocol: Any, bad: Any) -> tuple[str, Shape, dict[str, str | None], str | None,
                                                 dict[str, Span]] | None:
    t = protocol.treatment
    name = t.exposure or DEFAULT_EXPOSURE
    ds = protocol.datasets.get(name)
    if ds is None:
        bad(f"the exposure dataset `{name}` is not declared", t.span,
            f"Declare `{name}` under `datasets:` (one row per administration: subject, drug, date, "
            "dose, unit), or name it with `treatment.exposure`.")
        return None
    if ds.key or ds.long is not None or not ds.subject:
        bad(f"the exposure dataset `{name}` must have one row per administration or interval, "
            "with a `subject:` column", ds.span, "Declare `subject: <column>` and no `key:` or `long:`.")
        return None
    cols = ds.columns
    role = {r: (r if r in cols else None) for r in ROLES}
    dose = cols.get("dose")
    if dose is not None and dose.unit_column and dose.unit_column in cols:
        role["unit"] = dose.unit_column
    if role["date"] is None and role["end"] is None and role["start"] is not None:
        role["date"], role["start"] = role["start"], None
    shape: Shape = "intervals" if role["date"] is None else "administrations"
    need = ("drug", "dose", "start", "end") if shape == "intervals" else ("drug", "dose", "date")
    missing = [r for r in need if role[r] is None]
    if missing or (dose is not None and dose.type != "number"):
        what = ", ".join(f"`{m}`" for m in missing) or "`dose` as a number column"
        bad(f"the exposure dataset `{name}` needs the column(s) {what}", ds.span,
            "Declare `drug`, `dose` (a number), and `date` (one row per administration) or "
            "`start` and `end` (EX intervals), using `source:` for other file column names.")
        return None
    spans = {r: cols[c].span for r, c in role.items() if c is not None}
    return name, shape, role, dose.unit if dose is not None else None, spans


def _arm_source(protocol: Any, bad: Any) -> tuple[str, str] | None:
    t = protocol.treatment
    if len(t.arms) < 2:
        return None
    population = protocol.population
    if population is None or ARM_COLUMN not in protocol.datasets[population].columns:
        bad(f"with several arms, the subjects table needs an `{ARM_COLUMN}` column naming each "
            "subject's arm", t.span, f"Declare `{ARM_COLUMN}: {{type: category, levels: "
            f"[{', '.join(t.arms)}]}}` in the subjects table.")
        return None
    return population, ARM_COLUMN


# -- the plan as plain data, for a backend ------------------------------------------------


def plan_tables(plan: DosingPlan) -> dict[str, Any]:
    """The plan as plain Python data: what ``treatment_rows.dosing_tables`` reads."""
    return {
        "exposure": plan.exposure, "shape": plan.shape, "columns": dict(plan.columns),
        "dose_unit": plan.dose_unit, "arm_source": plan.arm_source, "arms": list(plan.arms),
        "cycle_days": plan.cycle_days, "cycles": [c or 0 for c in plan.arm_cycles],
        "arm_cycle_days": list(plan.arm_cycle_days or [plan.cycle_days] * len(plan.arms)),
        "skipped_arms": list(plan.skipped),
        "body": None if plan.body_size is None else {
            "dataset": plan.body_size.dataset, "height": plan.body_size.height,
            "weight": plan.body_size.weight, "age": plan.body_size.age, "sex": plan.body_size.sex,
            "creatinine": plan.body_size.creatinine},
        "dose_window": plan.dose_window,
        "start_window": plan.start_window, "max_delay": plan.max_delay,
        "without_cycles": plan.without_cycles,
        "drugs": {
            "arm": [plan.arms.index(d.arm) for d in plan.drugs],
            "name": [d.drug for d in plan.drugs],
            "dose": [d.dose for d in plan.drugs],
            "unit": [d.unit for d in plan.drugs],
            "per_day": [d.per_day for d in plan.drugs],
            "frequency": [d.frequency for d in plan.drugs],
            "reescalation": [d.reescalation for d in plan.drugs],
            "levels": [list(d.levels) for d in plan.drugs],
            "days": [list(d.days) for d in plan.drugs],
            "placebo": [d.placebo for d in plan.drugs],
            "count": [d.kind == "count" for d in plan.drugs],
            "form": [d.form for d in plan.drugs],
            "route": [d.route for d in plan.drugs],
        },
    }


def lint_treatment(protocol: Any) -> list[Diagnostic]:
    """What ``lint`` reports of the treatment plan (no data, no pandas): `cycles` by arm that
    names an unknown arm or leaves one out, and the doses' static checks (TS220-TS224). An
    exposure dataset not declared yet is a warning (TS220), so that the other sections of a
    check still run while the treatment is being written; its TS520 stays in the section."""
    if protocol.treatment is None:
        return []
    diags: list[Diagnostic] = lint_doses(protocol)
    _arm_cycles(protocol.treatment, lambda message, span, hint: diags.append(
        Diagnostic("TS520", message, span, hint)))
    return diags


def run_dosing(protocol: Any, frames: Any, backend: Any) -> Any:
    """The ``dosing`` section of a check (None when the protocol plans no treatment)."""
    if protocol.treatment is None or frames is None:
        return None
    plan, diags = build_plan(protocol)
    return _run(protocol, plan, diags, frames, backend)


def dosing_runner(compiled: Any, frames: Any, backend: Backend,
                  results: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The pipeline's runner, on the compile stage's dosing plan."""
    if compiled.dosing is None or frames is None:
        return None, {}
    plan, diags = compiled.dosing
    return _run(compiled.model, plan, list(diags), frames, backend), {}


def _run(protocol: Any, plan: DosingPlan | None, diags: list[Diagnostic], frames: Any,
         backend: Backend) -> Any:
    from trialspec.domain.treatment_apply import apply_plan
    from trialspec.domain.treatment_section import dosing_section, plan_only_section

    if plan is None:
        return plan_only_section(diags)
    from trialspec.domain.treatment_rows import dosing_tables

    tables = dosing_tables(plan_tables(plan), frames, backend)
    return dosing_section(plan, apply_plan(plan, tables, _body_factors(protocol, plan)), diags)


def _body_factors(protocol: Any, plan: DosingPlan) -> dict[str, float]:
    """Factors from the declared units of the body-size columns to cm, kg, years, mg/dL and
    mL/min (the cap); 1 where no unit is declared."""
    from trialspec.units import UnitError, factor, parse_unit

    body = plan.body_size
    if body is None or body.dataset not in protocol.datasets:
        return {}
    columns = protocol.datasets[body.dataset].columns
    out: dict[str, float] = {}
    for role, name, target in (("height", body.height, "cm"), ("weight", body.weight, "kg"),
                               ("age", body.age, "years"), ("creatinine", body.creatinine, "mg/dL")):
        unit = getattr(columns.get(name or ""), "unit", None)
        try:
            out[role] = factor(parse_unit(unit), parse_unit(target), "creatinine") if unit else 1.0
        except UnitError:
            out[role] = float("nan")  # not convertible: every value unknown (TS533)
    if body.crcl_max is not None:
        cap = _quantity(body.crcl_max)
        limit = convert(cap[0], cap[1], "mL/min") if cap else None
        out["crcl_max"] = float("nan") if limit is None else limit
    return out
