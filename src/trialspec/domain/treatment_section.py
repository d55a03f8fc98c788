"""The ``dosing`` section of a check: the backend's dosing tables as findings and summaries.

Deviations (TS501-TS511) are grouped per subject, drug and cycle (one finding for "20 mg on
days 1-21", not 21); unusable exposure rows (TS521-TS529) are one finding per row. Each code
shows its first ``SHOW`` findings and counts the rest in one more. Spans point at the
protocol (the drug's line for drug findings, the tolerances for cycle findings, the exposure
column for data problems); the message names the data: subject, drug, cycle, day, date, dose.

Only numpy is used here; the tables arrive from the backend and are read column by column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np

from trialspec.codes import CODES
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.treatment import DosingPlan
from trialspec.domain.treatment_apply import planned_on
from trialspec.results import Case, Section, Table
from trialspec.source import Span

SHOW = 50  # findings shown per code; the rest are counted in one more
SHOW_ROWS = 20  # rows of the display tables
OK, REST, EXTRA = 0, 1, 2  # the backend's administration statuses
DEVIATIONS = ("TS501", "TS502", "TS503", "TS504", "TS505", "TS506", "TS507", "TS508", "TS509", "TS510",
              "TS511", "TS531", "TS533")
PROBLEM_CODES = {
    "unknown_drug": "TS521", "missing_drug": "TS521", "bad_unit": "TS522", "missing_date": "TS523",
    "end_before_start": "TS524", "interval_too_long": "TS524", "overlap": "TS525",
    "nonpositive_dose": "TS526", "missing_dose": "TS527", "bad_frequency": "TS528", "no_arm": "TS529",
    "no_exposure": "TS520", "open_end": "TS512", "form_mismatch": "TS532", "route_mismatch": "TS532",
}
WARNINGS = ("TS512",)  # input problems that are read, with a warning
INPUT_CODES = tuple(sorted(set(PROBLEM_CODES.values())))


def plan_only_section(diags: list[Diagnostic]) -> Section:
    """The section when the regimen cannot be planned: its TS520 findings only."""
    return Section("dosing", "Dosing", {"computed": False}, [], list(diags),
                   [Case("dosing/plan", False, "; ".join(d.message for d in diags))])


# -- small formatting helpers -------------------------------------------------------------------


def iso(days: Any) -> str:
    """Days since 1970-01-01 as YYYY-MM-DD."""
    return str(np.datetime64(int(days), "D"))


def amount(x: Any, unit: str) -> str:
    return "unknown" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{float(x):g} {unit}"


def day_ranges(days: Any) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    days = sorted({int(d) for d in days})
    parts, start = [], None
    for i, d in enumerate(days):
        start = d if start is None else start
        if i + 1 == len(days) or days[i + 1] != d + 1:
            parts.append(f"{start}" if start == d else f"{start}-{d}")
            start = None
    return ", ".join(parts)


def percent(x: float) -> str:
    return "unknown" if np.isnan(x) else f"{100 * x:.1f}%"


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "(empty)"
    if isinstance(v, np.datetime64):
        return str(v.astype("datetime64[D]"))
    if isinstance(v, float | np.floating):
        return f"{float(v):g}"
    return str(v)


def _bounds(*keys: np.ndarray) -> np.ndarray:
    """Start positions of each run of equal keys (the arrays are sorted by them), plus the end."""
    n = len(keys[0])
    change = np.zeros(n, bool)
    if n:
        change[0] = True
    for k in keys:
        change[1:] |= k[1:] != k[:-1]
    return np.r_[np.flatnonzero(change), n]


def _col(table: Any, name: str) -> np.ndarray:
    column = table[name]
    return column if isinstance(column, np.ndarray) else column.to_numpy()


Context = tuple[tuple[str, object], ...]


def _scalar(x: Any) -> Any:
    """A numpy scalar as its Python value (a finding's structured field)."""
    return x.item() if isinstance(x, np.generic) else x


def _about(v: _View, s: Any, d: Any = None, cycle: Any = None, **more: Any) -> Context:
    """A dosing finding's structured fields (Diagnostic.context): its subject (native key),
    drug, cycle, and any more given (``value``, ``dataset``, ``row``, ``column``)."""
    fields: list[tuple[str, object]] = [("subject", _scalar(v.ids[int(s)]))]
    if d is not None:
        fields.append(("drug", v.names[int(d)]))
    if cycle is not None:
        fields.append(("cycle", int(cycle)))
    return (*fields, *((k, _scalar(x)) for k, x in more.items() if x is not None))


# -- the section --------------------------------------------------------------------------------


class _Findings:
    """Collects findings per code: the first SHOW of each, and a count of the rest."""

    def __init__(self) -> None:
        self.by_code: dict[str, list[Diagnostic]] = {}
        self.hidden: dict[str, tuple[int, Span | None]] = {}

    def each(self, code: str, n: int, make: Callable[[int], tuple[Any, ...]]) -> None:
        """Findings 0..n-1 of a code; ``make(i)`` gives one's message, span and (optionally) its
        structured fields, and is called only for those shown (and the first hidden one, for
        its span)."""
        shown = self.by_code.setdefault(code, [])
        k = max(0, min(n, SHOW - len(shown)))
        for i in range(k):
            message, span, *about = make(i)
            shown.append(Diagnostic(code, message, span,
                                    severity=Severity.WARNING if code in WARNINGS else Severity.ERROR,
                                    context=about[0] if about else ()))
        if n > k:
            before, span = self.hidden.get(code, (0, None))
            self.hidden[code] = (before + n - k, span or make(k)[1])

    def all(self) -> list[Diagnostic]:
        out = [d for code in sorted(self.by_code) for d in self.by_code[code]]
        for code, (n, span) in sorted(self.hidden.items()):
            out.append(Diagnostic(code, f"{n:,} more {CODES[code].name} findings like these "
                                  "(the JSON report lists every subject)", span,
                                  severity=Severity.WARNING if code in WARNINGS else Severity.ERROR))
        return out


def dosing_section(plan: DosingPlan, tables: dict[str, Any], diags: list[Diagnostic]) -> Section:
    """The dosing part of a check report, from the backend's tables."""
    view = _View(plan, tables)
    findings = _Findings()
    events = _deviations(view, findings)
    problems = _problems(view, findings)
    summary = _summary(view, events, problems)
    cases = [Case(f"dosing/{code} {CODES[code].name}", events[code][0] == 0,
                  f"{events[code][0]} events in {events[code][1]} subjects") for code in DEVIATIONS]
    cases.append(Case("dosing/exposure-data", not any(n for c, n in problems.items() if c not in WARNINGS),
                      ", ".join(f"{c}: {n} rows" for c, n in problems.items() if n) or "all rows usable"))
    return Section("dosing", "Dosing", summary, _tables(view, events, problems),
                   [*diags, *findings.all()], cases, view.explain)


class _View:
    """The backend's tables with the plan: ids, names, units, and per-subject slices."""

    def __init__(self, plan: DosingPlan, tables: dict[str, Any]):
        self.plan = plan
        self.t = {name: {c: _col(table, c) for c in table} for name, table in tables.items()}
        subjects = self.t["subjects"]
        self.ids = _col(subjects, "id")
        self.treated = _col(subjects, "treated")
        self.arm = _col(subjects, "arm")
        self.names = [d.drug for d in plan.drugs]
        self.units = [d.unit for d in plan.drugs]
        self.position = {str(s): i for i, s in enumerate(self.ids)}
        self.deviating: dict[str, np.ndarray] = {}  # code -> the subjects with that deviation

    def sid(self, i: Any) -> str:
        return str(self.ids[int(i)])

    def rows_of(self, table: str, subject: int) -> np.ndarray:
        s = _col(self.t[table], "subject")
        return np.arange(np.searchsorted(s, subject), np.searchsorted(s, subject, side="right"))

    def explain(self, subject_id: str) -> list[Table]:
        from trialspec.domain.treatment_explain import explain_subject

        return explain_subject(self, subject_id)


# -- deviations ---------------------------------------------------------------------------------


def _deviations(v: _View, f: _Findings) -> dict[str, tuple[int, int]]:
    """Add each deviation's findings; return (events, subjects) per code."""
    plan, t = v.plan, v.t
    a, cycles, overall = t["admins"], t["cycles"], t["overall"]
    counts: dict[str, tuple[int, int]] = {}

    def count(code: str, subjects: np.ndarray, events: int | None = None) -> None:
        counts[code] = (len(subjects) if events is None else events, len(np.unique(subjects)))
        v.deviating[code] = np.unique(np.asarray(subjects, np.int64))

    reesc_ok = np.array([d.reescalation for d in plan.drugs], bool)
    status, drug = _col(a, "status"), _col(a, "drug")
    admin_kinds: tuple[tuple[str, np.ndarray, Callable[..., str]], ...] = (
        ("TS501", ~_col(a, "level_ok"), _level_message),
        ("TS502", status == REST, _rest_message),
        ("TS504", status == EXTRA, _extra_message),
        ("TS510", (_col(a, "change") > 0) & ~reesc_ok[drug], _reescalation_message),
    )
    for code, mask, message in admin_kinds:
        rows = np.flatnonzero(mask)
        rows = rows[np.lexsort((_col(a, "date")[rows], _col(a, "cycle")[rows], drug[rows],
                                _col(a, "subject")[rows]))]
        count(code, _col(a, "subject")[rows])
        b = _bounds(_col(a, "subject")[rows], drug[rows], _col(a, "cycle")[rows])
        f.each(code, len(b) - 1, partial(_admin_finding, v, rows, b, message))

    m = t["missed"]
    count("TS503", _col(m, "subject"), int(_col(m, "count").sum()))
    b = _bounds(_col(m, "subject"), _col(m, "drug"), _col(m, "cycle"))
    f.each("TS503", len(b) - 1, lambda i: (_missed_message(v, m, np.arange(b[i], b[i + 1])),
                                           plan.drugs[int(_col(m, "drug")[b[i]])].span,
                                           _about(v, _col(m, "subject")[b[i]], _col(m, "drug")[b[i]],
                                                  _col(m, "cycle")[b[i]])))

    for code, column, cycle_message in (("TS505", "short", _short_message), ("TS506", "long", _long_message),
                                        ("TS507", "window", _window_message)):
        rows = np.flatnonzero(_col(cycles, column))
        count(code, _col(cycles, "subject")[rows])
        f.each(code, len(rows), partial(_cycle_finding, v, rows, cycle_message))

    excess = np.flatnonzero(_col(cycles, "excess"))
    count("TS508", _col(cycles, "subject")[excess])
    b = _bounds(_col(cycles, "subject")[excess])

    def more_cycles(i: int) -> tuple[str, Span, Context]:
        first, last = excess[b[i]], excess[b[i + 1] - 1]
        s = int(_col(cycles, "subject")[first])
        arm = int(v.arm[s])
        where = f" in arm {plan.arms[arm]}" if len(plan.arms) > 1 and arm >= 0 else ""
        started = int(_col(cycles, "cycle")[first])
        if plan.without_cycles:  # one period: its "cycle 2" is treatment beyond the plan
            end = int(_col(cycles, "last_dose")[last])
            return (f"{v.sid(s)} was dosed until {iso(end)}, beyond the planned treatment "
                    f"({plan.cycle_days} days with `max_delay`; from {iso(_col(cycles, 'start')[first])} on)",
                    plan.span, _about(v, s))
        return (f"{v.sid(s)} had {int(_col(cycles, 'cycle')[last])} cycles; "
                f"{plan.cycles_of(arm)} are planned{where} (cycle {started} started "
                f"{iso(_col(cycles, 'start')[first])})", plan.cycles_span or plan.span,
                _about(v, s, cycle=started))

    f.each("TS508", len(b) - 1, more_cycles)

    subj, odrug = _col(overall, "subject"), _col(overall, "drug")
    never = np.flatnonzero(~_col(overall, "received") & v.treated[subj])
    count("TS509", subj[never])

    def never_given(i: int) -> tuple[str, Span, Context]:
        r = never[i]
        s, d = int(subj[r]), int(odrug[r])
        n_cycles = int(_col(t["subjects"], "cycles")[s])
        return (f"{v.sid(s)} never received {v.names[d]}: {int(_col(overall, 'planned_n')[r])} "
                f"administrations planned over {n_cycles} cycle(s), in which the subject received "
                f"{', '.join(_received(v, s))}", plan.drugs[d].span, _about(v, s, d))

    f.each("TS509", len(never), never_given)

    rdi = _col(overall, "rdi")
    with np.errstate(invalid="ignore"):
        low = np.flatnonzero(rdi < plan.rdi_min) if plan.rdi_min is not None else np.zeros(0, np.int64)
    count("TS511", subj[low])

    def low_intensity(i: int) -> tuple[str, Span, Context]:
        r = low[i]
        s, d = int(subj[r]), int(odrug[r])
        u = v.units[d]
        return (f"{v.sid(s)} {v.names[d]}: relative dose intensity {percent(rdi[r])} "
                f"({amount(_col(overall, 'delivered')[r], u)} of {amount(_col(overall, 'planned')[r], u)} "
                f"planned) is below {100 * (plan.rdi_min or 0):g}%", plan.drugs[d].span,
                _about(v, s, d, value=rdi[r]))

    f.each("TS511", len(low), low_intensity)
    _recorded_cycles(v, f, count)
    _body_unknown(v, f, count)
    return {code: counts.get(code, (0, 0)) for code in DEVIATIONS}


def _recorded_cycles(v: _View, f: _Findings, count: Callable[..., None]) -> None:
    """TS531: administrations whose recorded cycle is not the reconstructed one, one finding
    per subject, drug and recorded cycle."""
    a = v.t["admins"]
    if "recorded" not in a:
        return
    recorded, cycle = _col(a, "recorded"), _col(a, "cycle")
    rows = np.flatnonzero((recorded >= 0) & (recorded != cycle))
    rows = rows[np.lexsort((_col(a, "date")[rows], recorded[rows], _col(a, "drug")[rows],
                            _col(a, "subject")[rows]))]
    count("TS531", _col(a, "subject")[rows])
    b = _bounds(_col(a, "subject")[rows], _col(a, "drug")[rows], recorded[rows])

    def differs(i: int) -> tuple[str, Span, Context]:
        group = rows[b[i]:b[i + 1]]
        r = group[0]
        found = ", ".join(str(c) for c in np.unique(cycle[group]))
        s, d = int(_col(a, "subject")[r]), int(_col(a, "drug")[r])
        dates = _col(a, "date")[group]
        return (f"{v.sid(s)} {v.names[d]}: {len(group)} administration(s) recorded in cycle "
                f"{int(recorded[r])} "
                f"({iso(dates.min())} to {iso(dates.max())}) fall in reconstructed cycle(s) {found}",
                v.plan.column_spans.get("cycle", v.plan.exposure_span),
                _about(v, s, d, int(recorded[r]), value=int(recorded[r])))

    f.each("TS531", len(b) - 1, differs)


def _body_unknown(v: _View, f: _Findings, count: Callable[..., None]) -> None:
    """TS533: treated subjects given a drug dosed per m2 or per kg without a known body size."""
    body = v.t.get("body", {})
    o = v.t["overall"]
    subj, drug = _col(o, "subject"), _col(o, "drug")
    kinds = np.array([d.kind for d in v.plan.drugs] + ["mass"], dtype=object)
    found: list[int] = []
    for kind, size in body.items():
        found += np.flatnonzero((kinds[drug] == kind) & np.isnan(size[subj]) & _col(o, "received")).tolist()
    rows = np.array(sorted(found), np.int64)
    count("TS533", subj[rows])

    def unknown(i: int) -> tuple[str, Span, Context]:
        d = v.plan.drugs[int(drug[rows[i]])]
        how, what, needs = {"per_m2": ("per m2", "body surface area", "height/weight"),
                            "per_kg": ("per kg", "weight", "weight"),
                            "auc": ("by target AUC", "creatinine clearance",
                                    "age/sex/weight/creatinine")}[d.kind]
        return (f"{v.sid(subj[rows[i]])} {d.drug}: dosed {how} but the subject's {what} is unknown (no "
                f"{needs} in `{v.plan.body_size.dataset}`); its doses and dose intensity are not judged",
                d.span, _about(v, subj[rows[i]], drug[rows[i]]))

    f.each("TS533", len(rows), unknown)


def _admin_finding(v: _View, rows: np.ndarray, bounds: np.ndarray, message: Callable[..., str],
                   i: int) -> tuple[str, Span, Context]:
    """Group i of administration-level events: rows[bounds[i]:bounds[i + 1]]."""
    a = v.t["admins"]
    group = rows[bounds[i]:bounds[i + 1]]
    r = group[0]
    return (message(v, a, group), v.plan.drugs[int(_col(a, "drug")[r])].span,
            _about(v, _col(a, "subject")[r], _col(a, "drug")[r], _col(a, "cycle")[r],
                   value=_doses(v, a, group[:1] if message is _reescalation_message else group)))


def _cycle_finding(v: _View, rows: np.ndarray, message: Callable[..., str], i: int
                   ) -> tuple[str, Span, Context]:
    c = v.t["cycles"]
    return (message(v, c, rows[i]), v.plan.tolerance_span,
            _about(v, _col(c, "subject")[rows[i]], cycle=_col(c, "cycle")[rows[i]]))


def _problem_finding(v: _View, rows: np.ndarray, kind: str, i: int) -> tuple[str, Span, Context]:
    p = v.t["problems"]
    return (_problem_message(v, p, kind, rows[i]), _problem_span(v.plan, kind, p, rows[i]),
            _problem_about(v, p, kind, rows[i]))


def _received(v: _View, s: int) -> list[str]:
    rows = v.rows_of("overall", s)
    o = v.t["overall"]
    return [v.names[int(d)] for d in _col(o, "drug")[rows][_col(o, "received")[rows]]]


def _where(v: _View, a: Any, rows: np.ndarray) -> str:
    """'P03 lenalidomide cycle 3 days 1-21 (2014-12-01 to 2014-12-21)'."""
    s, d = int(_col(a, "subject")[rows[0]]), int(_col(a, "drug")[rows[0]])
    days, dates = _col(a, "day")[rows], _col(a, "date")[rows]
    when = iso(dates.min()) if dates.min() == dates.max() else f"{iso(dates.min())} to {iso(dates.max())}"
    word = "day" if len(np.unique(days)) == 1 else "days"
    cycle = int(_col(a, "cycle")[rows[0]])
    return f"{v.sid(s)} {v.names[d]} cycle {cycle} {word} {day_ranges(days)} ({when})"


def _doses(v: _View, a: Any, rows: np.ndarray) -> str:
    d = int(_col(a, "drug")[rows[0]])
    values, n = np.unique(_col(a, "dose")[rows], return_counts=True)
    return ", ".join(f"{k} x {amount(x, v.units[d])}" if k > 1 else amount(x, v.units[d])
                     for x, k in zip(values, n, strict=True))


def _level_message(v: _View, a: Any, rows: np.ndarray) -> str:
    d = v.plan.drugs[int(_col(a, "drug")[rows[0]])]
    if "planned" in a and (d.steps or d.kind in ("per_m2", "per_kg", "auc")):
        planned = np.unique(np.round(_col(a, "planned")[rows], 6))
        tol = f" +/-{100 * v.plan.dose_tolerance:g}%" if v.plan.dose_tolerance >= 1e-4 else ""
        reductions = f"; reductions {', '.join(f'{x:g}' for x in d.levels[1:])}" if len(d.levels) > 1 else ""
        per = {"per_m2": f" {d.unit}/m2", "per_kg": f" {d.unit}/kg"}.get(d.kind, f" {d.unit}")
        return (f"{_where(v, a, rows)}: {_doses(v, a, rows)}, not an allowed level (planned "
                f"{', '.join(amount(x, d.unit) for x in planned)}{tol} that day{reductions}"
                f"{per if reductions else ''})")
    allowed = ", ".join(f"{x:g}" for x in d.levels)
    return f"{_where(v, a, rows)}: {_doses(v, a, rows)}, not an allowed level ({allowed} {d.unit})"


def _rest_message(v: _View, a: Any, rows: np.ndarray) -> str:
    d = v.plan.drugs[int(_col(a, "drug")[rows[0]])]
    return (f"{_where(v, a, rows)}: {_doses(v, a, rows)} on a rest day (planned days "
            f"{day_ranges(d.days)}, +/-{v.plan.dose_window} day window)")


def _extra_message(v: _View, a: Any, rows: np.ndarray) -> str:
    d = v.plan.drugs[int(_col(a, "drug")[rows[0]])]
    per = f"{d.per_day} a day" if d.per_day != 1 else "one a day"
    return f"{_where(v, a, rows)}: {len(rows)} extra dose(s) ({_doses(v, a, rows)}) beyond the plan ({per})"


def _reescalation_message(v: _View, a: Any, rows: np.ndarray) -> str:
    r = rows[0]
    u = v.units[int(_col(a, "drug")[r])]
    return (f"{_where(v, a, rows[:1])}: re-escalated from {amount(_col(a, 'prev')[r], u)} to "
            f"{amount(_col(a, 'dose')[r], u)}; re-escalation is not allowed")


def _missed_message(v: _View, m: Any, rows: np.ndarray) -> str:
    s, d = int(_col(m, "subject")[rows[0]]), int(_col(m, "drug")[rows[0]])
    days, dates = _col(m, "day")[rows], _col(m, "date")[rows]
    when = iso(dates.min()) if len(rows) == 1 else f"{iso(dates.min())} to {iso(dates.max())}"
    word = "day" if len(rows) == 1 else "days"
    plan = v.plan.drugs[d]
    # the dose of each missed day: its step's, times the subject's body size (per kg, m2, AUC)
    doses = sorted({planned_on(v.plan, v.t, d, s, int(day)) for day in dates})
    known = [x for x in doses if x == x]
    planned = ("an amount unknown (no body size)" if not known else amount(known[0], plan.unit)
               if len(known) == 1 else f"{amount(known[0], plan.unit)} to {amount(known[-1], plan.unit)}")
    counts, each = _col(m, "count")[rows], max(int(plan.per_day), 1)
    # a day of several planned doses (BID) with some given is not a day without a dose
    lacking = "no dose" if bool((counts >= each).all()) else \
        f"{int(counts.sum())} of {each * len(rows)} planned administrations not given"
    return (f"{v.sid(s)} {plan.drug} cycle {int(_col(m, 'cycle')[rows[0]])} {word} {day_ranges(days)} "
            f"({when}): planned {planned}, {lacking} within +/-{v.plan.dose_window} day(s)")


def _cycle_where(v: _View, c: Any, r: int) -> str:
    start, length = int(_col(c, "start")[r]), _col(c, "length")[r]
    return (f"{v.sid(_col(c, 'subject')[r])} cycle {int(_col(c, 'cycle')[r])} lasted {int(length)} days "
            f"({iso(start)} to {iso(start + int(length) - 1)})")


def _short_message(v: _View, c: Any, r: int) -> str:
    p = v.plan
    return (f"{_cycle_where(v, c, r)}: the next cycle started before its window opened "
            f"({p.cycle_days} - {p.start_window} days)")


def _long_message(v: _View, c: Any, r: int) -> str:
    p = v.plan
    return f"{_cycle_where(v, c, r)}: longer than {p.cycle_days} + {p.max_delay} days (maximum delay)"


def _window_message(v: _View, c: Any, r: int) -> str:
    offset, start = int(_col(c, "offset")[r]), int(_col(c, "start")[r])
    side = "before" if offset < 0 else "after"
    return (f"{v.sid(_col(c, 'subject')[r])} cycle {int(_col(c, 'cycle')[r])} started {iso(start)}, "
            f"{abs(offset)} days {side} its planned day {iso(start - offset)} "
            f"(window +/-{v.plan.start_window} days)")


# -- exposure rows that cannot be used ---------------------------------------------------------


def _problems(v: _View, f: _Findings) -> dict[str, int]:
    p = v.t["problems"]
    kinds = _col(p, "kind")
    counts = dict.fromkeys(INPUT_CODES, 0)
    for kind, code in PROBLEM_CODES.items():
        rows = np.flatnonzero(kinds == kind)
        if kind == "no_arm":  # one finding per subject
            rows = rows[np.unique(_col(p, "subject")[rows], return_index=True)[1]]
        counts[code] += len(rows)
        f.each(code, len(rows), partial(_problem_finding, v, rows, kind))
    return counts


def _row_text(v: _View, p: Any, r: int) -> str:
    plan = v.plan
    parts = [v.sid(_col(p, "subject")[r]), _cell(_col(p, "drug")[r])]
    if plan.shape == "intervals":
        parts.append(f"{_cell(_col(p, 'date')[r])}..{_cell(_col(p, 'end')[r])}")
    else:
        parts.append(_cell(_col(p, "date")[r]))
    dose = _cell(_col(p, "dose")[r])
    unit = _col(p, "unit")[r]
    parts.append(dose if unit is None else f"{dose} {_cell(unit)}")
    return f"{plan.exposure} row {int(_col(p, 'source')[r]) + 1} ({', '.join(parts)})"


def _problem_message(v: _View, p: Any, kind: str, r: int) -> str:
    plan, detail = v.plan, _col(p, "detail")[r]
    if kind == "no_exposure":
        return f"no data were bound for the exposure dataset `{plan.exposure}`; no dosing was checked"
    s = int(_col(p, "subject")[r])
    arm = plan.arms[int(v.arm[s])] if v.arm[s] >= 0 else None
    messages: dict[str, Callable[[], str]] = {
        "unknown_drug": lambda: (f"drug {_cell(_col(p, 'drug')[r])!r} is not in the regimen"
                                 + (f" of arm {arm}" if len(plan.arms) > 1 else "")
                                 + f" ({', '.join(d.drug for d in plan.drugs if d.arm == arm)}); ignored"),
        "missing_drug": lambda: "no drug named; ignored",
        "bad_unit": lambda: (f"dose unit {_cell(_col(p, 'unit')[r])!r} is missing, unknown or {detail}; "
                             "the dose is unknown"),
        "missing_date": lambda: _date_problem(str(detail)),
        "open_end": lambda: "no end date; read as one day of administrations (the start date)",
        "end_before_start": lambda: "the interval ends before it starts; not counted",
        "interval_too_long": lambda: f"the interval spans more than {detail} days; not counted",
        "overlap": lambda: (f"overlaps an earlier interval of the same drug ending {iso(detail)}; "
                            "its days are counted once"),
        "nonpositive_dose": lambda: "the dose is zero or negative; not counted",
        "form_mismatch": lambda: f"the dose form is not the planned {str(detail).split(' ', 1)[1]}; counted",
        "route_mismatch": lambda: f"the route is not the planned {str(detail).split(' ', 1)[1]}; counted",
        "missing_dose": lambda: "no dose given; the day counts as dosed, the amount is unknown",
        "bad_frequency": lambda: ("the frequency cannot be expanded (QD, BID, TID, QID, QOD, QW, QnD, QnW, "
                                  "ONCE); not counted"),
        "no_arm": lambda: (f"the subject's arm is missing or not one of {', '.join(plan.arms)}; its "
                           "exposure is not checked"),
    }
    return f"{_row_text(v, p, r)}: {messages[kind]()}"


def _date_problem(detail: str) -> str:
    role, what = detail.split(":", 1)
    return f"the {'' if role == 'date' else role + ' '}date is {what}; not counted"


PROBLEM_ROLE = {"unknown_drug": "drug", "missing_drug": "drug", "bad_unit": "unit", "missing_date": "date",
                "end_before_start": "end", "interval_too_long": "end", "overlap": "start",
                "nonpositive_dose": "dose", "missing_dose": "dose", "bad_frequency": "frequency",
                "open_end": "end", "form_mismatch": "form", "route_mismatch": "route"}


def _problem_about(v: _View, p: Any, kind: str, r: int) -> Context:
    """An exposure row's finding: its subject, the dataset and the row's file line, the column
    at fault and its cell as given (none for a whole-row problem)."""
    if kind == "no_exposure":
        return (("dataset", v.plan.exposure),)
    role = PROBLEM_ROLE.get(kind)
    if kind == "missing_date":
        role = str(_col(p, "detail")[r]).split(":", 1)[0]
    line = _col(p, "line")[r] if "line" in p else int(_col(p, "source")[r]) + 2
    held = {"start": "date"}.get(role or "", role)  # the problem table holds a start in `date`
    cell = _col(p, held)[r] if held in ("drug", "date", "end", "dose", "unit") else None
    column = v.plan.columns.get(role or "")
    missing = cell is None or type(cell).__name__ in ("NAType", "NaTType") or bool(cell != cell)
    value = None if missing else _cell(cell)
    return _about(v, _col(p, "subject")[r], dataset=v.plan.exposure, column=column, row=int(line),
                  value=value)


def _problem_span(plan: DosingPlan, kind: str, p: Any, r: int) -> Span:
    role = PROBLEM_ROLE.get(kind)
    if kind == "missing_date":
        role = str(_col(p, "detail")[r]).split(":", 1)[0]
    if role == "unit" and "unit" not in plan.column_spans:
        role = "dose"
    return plan.column_spans.get(role or "", plan.exposure_span)


# -- summary and tables ------------------------------------------------------------------------


def _changes(v: _View) -> list[dict[str, Any]]:
    a = v.t["admins"]
    rows = np.flatnonzero(_col(a, "change") != 0)
    out = []
    for r in rows:
        d = int(_col(a, "drug")[r])
        out.append({"subject": v.sid(_col(a, "subject")[r]), "drug": v.names[d],
                    "cycle": int(_col(a, "cycle")[r]), "day": int(_col(a, "day")[r]),
                    "date": iso(_col(a, "date")[r]), "from": float(_col(a, "prev")[r]),
                    "to": float(_col(a, "dose")[r]), "unit": v.units[d],
                    "kind": "reduction" if _col(a, "change")[r] < 0 else "re-escalation"})
    return out


def _num(x: Any) -> float | None:
    return None if np.isnan(x) else round(float(x), 10)


def _plain(x: np.ndarray) -> list[float | None]:
    """Floats for JSON: rounded to 10 decimals, NaN as None."""
    return [None if f != f else f for f in np.round(np.asarray(x, float), 10).tolist()]


def _per_subject(v: _View) -> list[dict[str, Any]]:
    """Each treated subject's arm, cycles and, per drug, planned and delivered dose and RDI."""
    o = v.t["overall"]
    drugs_of: dict[int, dict[str, Any]] = {}
    compliance = _plain(o["compliance"]) if "compliance" in o else [None] * len(o["subject"])
    for s, d, p, x, r, c, n, g in zip(o["subject"].tolist(), o["drug"].tolist(), _plain(o["planned"]),
                                      _plain(o["delivered"]), _plain(o["rdi"]), compliance,
                                      _plain(o["planned_n"]), _plain(o["given_n"]), strict=True):
        drugs_of.setdefault(s, {})[v.names[d]] = {"planned": p, "delivered": x, "unit": v.units[d], "rdi": r,
                                                 "administrations_planned": n, "administrations_given": g,
                                                 "compliance": c}
    cycles, arms = v.t["subjects"]["cycles"].tolist(), v.arm.tolist()
    first, last = _dose_span(v)
    codes: dict[int, list[str]] = {}
    for code in sorted(v.deviating):
        for s in v.deviating[code].tolist():
            codes.setdefault(s, []).append(code)
    return [{"id": v.sid(s), "arm": v.plan.arms[arms[s]] if arms[s] >= 0 else None, "cycles": cycles[s],
             "first_dose": first[s], "last_dose": last[s], "deviations": codes.get(s, []),
             "drugs": drugs_of.get(s, {})} for s in np.flatnonzero(v.treated).tolist()]


def _dose_span(v: _View) -> tuple[list[str | None], list[str | None]]:
    """Each subject's first and last administration date (None: never treated)."""
    a = v.t["admins"]
    subj, date = _col(a, "subject"), np.asarray(_col(a, "date"), np.int64)
    n = len(v.ids)
    first, last = np.full(n, np.iinfo(np.int64).max), np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, subj, date)
    np.maximum.at(last, subj, date)
    seen = np.bincount(subj, minlength=n) > 0
    days = np.where(seen, first, 0).astype("datetime64[D]").astype(str)
    ends = np.where(seen, last, 0).astype("datetime64[D]").astype(str)
    return ([str(x) if k else None for x, k in zip(days.tolist(), seen.tolist(), strict=True)],
            [str(x) if k else None for x, k in zip(ends.tolist(), seen.tolist(), strict=True)])


def _cycle_intensity(v: _View) -> list[dict[str, Any]]:
    """Per drug and cycle number: subjects dosed in that cycle, planned and delivered totals
    and their ratio, for the dosing heat map (planned vs received per cycle)."""
    c = v.t.get("intensity")
    if not c or not len(_col(c, "subject")):
        return []
    drug, cycle = _col(c, "drug").astype(np.int64), _col(c, "cycle").astype(np.int64)
    planned, delivered = np.asarray(_col(c, "planned"), float), np.asarray(_col(c, "delivered"), float)
    n_cyc = int(cycle.max()) + 1
    key = drug * n_cyc + cycle
    size = len(v.names) * n_cyc
    rows = np.bincount(key, minlength=size)
    p_sum = np.bincount(key, weights=planned, minlength=size)
    d_sum = np.bincount(key, weights=delivered, minlength=size)
    out = []
    for k in np.flatnonzero(rows).tolist():
        d, cy = divmod(k, n_cyc)
        out.append({"arm": v.plan.drugs[d].arm, "drug": v.names[d], "cycle": cy,
                    "subjects": int(rows[k]), "unit": v.units[d],
                    "planned": _num(p_sum[k]), "delivered": _num(d_sum[k]),
                    "rdi": _num(d_sum[k] / p_sum[k]) if p_sum[k] > 0 else None})
    return out


def _summary(v: _View, events: dict[str, tuple[int, int]], problems: dict[str, int]) -> dict[str, Any]:
    plan, t = v.plan, v.t
    o = t["overall"]
    subj, drug, rdi = _col(o, "subject"), _col(o, "drug"), _col(o, "rdi")
    intensity: dict[str, Any] = {}
    for d, p in enumerate(plan.drugs):
        x = rdi[drug == d]
        known = x[~np.isnan(x)]
        below = subj[(drug == d) & (rdi < plan.rdi_min)] if plan.rdi_min is not None else []
        key = p.drug if len(plan.arms) == 1 else f"{p.arm}/{p.drug}"
        intensity[key] = {
            "subjects": int(len(x)), "unknown": int(len(x) - len(known)),
            "median": _num(np.median(known)) if len(known) else None,
            "min": _num(known.min()) if len(known) else None,
            "below_threshold": [v.sid(s) for s in below]}
    per_subject = _per_subject(v)
    return {
        "computed": True,
        "exposure": plan.exposure, "shape": plan.shape,
        "plan": {"cycle_days": plan.cycle_days, **_planned_cycles(plan), "dose_window": plan.dose_window,
                 "start_window": plan.start_window, "max_delay": plan.max_delay,
                 "dose_intensity_min": plan.rdi_min,
                 "arms": {arm: {d.drug: {"dose": d.dose, "unit": d.unit, "levels": list(d.levels),
                                         "days": list(d.days), "per_day": d.per_day,
                                         "reescalation": d.reescalation, "kind": d.kind,
                                         "form": d.form, "route": d.route,
                                         "steps": [{"from": s.basis if s.basis != "visit" else "visit",
                                                    "first": s.visit if s.basis == "visit" else s.first,
                                                    "last": s.last, "dose": s.dose} for s in d.steps]}
                                for d in plan.drugs if d.arm == arm} for arm in plan.arms},
                 "observation_arms": list(plan.observation),
                 "arms_not_checked": [plan.arms[i] for i in plan.skipped]},
        "subjects": {"screened": len(v.ids), "treated": int(v.treated.sum()),
                     "cycles": int(len(t["cycles"]["subject"]))},
        "administrations": int(len(t["admins"]["subject"])),
        "deviations": {code: {"name": CODES[code].name, "events": n, "subjects": k}
                       for code, (n, k) in events.items()},
        "input_problems": {code: {"name": CODES[code].name, "rows": n} for code, n in problems.items()},
        "dose_changes": _changes(v),
        "dose_intensity": intensity,
        "cycle_intensity": _cycle_intensity(v),
        "per_subject": per_subject,
    }


def _tables(v: _View, events: dict[str, tuple[int, int]], problems: dict[str, int]) -> list[Table]:
    s = _summary_rows(v)
    changes = [(c["subject"], c["drug"], c["cycle"], c["day"], f"{c['from']:g} {c['unit']}",
                f"{c['to']:g} {c['unit']}", c["kind"]) for c in _changes(v)]
    out = [
        Table("Dosing deviations", ("code", "deviation", "events", "subjects"),
              tuple((c, CODES[c].name, n, k) for c, (n, k) in events.items())),
        Table("Relative dose intensity (delivered / planned, all cycles)",
              ("drug", "subjects", "median", "min", "below threshold"), s,
              None if v.plan.rdi_min is None else f"threshold {100 * v.plan.rdi_min:g}%"),
        Table("Dose changes" + (f" (first {SHOW_ROWS})" if len(changes) > SHOW_ROWS else ""),
              ("subject", "drug", "cycle", "day", "from", "to", "kind"), tuple(changes[:SHOW_ROWS])),
    ]
    if any(problems.values()):
        out.append(Table("Exposure rows not fully usable", ("code", "problem", "rows"),
                         tuple((c, CODES[c].name, n) for c, n in problems.items() if n)))
    return out


def _summary_rows(v: _View) -> tuple[tuple[Any, ...], ...]:
    o = v.t["overall"]
    drug, rdi = _col(o, "drug"), _col(o, "rdi")
    rows = []
    for d, p in enumerate(v.plan.drugs):
        x = rdi[drug == d]
        known = x[~np.isnan(x)]
        below = int((known < v.plan.rdi_min).sum()) if v.plan.rdi_min is not None else ""
        name = p.drug if len(v.plan.arms) == 1 else f"{p.arm}/{p.drug}"
        rows.append((name, len(x), percent(float(np.median(known))) if len(known) else "unknown",
                     percent(float(known.min())) if len(known) else "unknown", below))
    return tuple(rows)


def _planned_cycles(plan: Any) -> dict[str, Any]:
    """``cycles`` (a number, ``until progression``, or one per arm) and ``until_progression``
    (a boolean, or one per arm), as the protocol gives them."""
    given = plan.cycles_given
    if isinstance(given, Mapping):
        return {"cycles": dict(given),
                "until_progression": {arm: n == "until progression" for arm, n in given.items()}}
    return {"cycles": given if given is not None else plan.cycles,
            "until_progression": plan.until_progression}
