"""Time-to-event analyses: Kaplan-Meier curves and medians by group, the log-rank test and
the Cox hazard ratio of each group against the first (R's reference level)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.analyses_compute import (
    TEST_LABELS,
    AnalysisResult,
    Context,
    _title,
    cohort,
    empty_groups,
    finding,
    fmt,
    num,
)
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.domain.endpoints import time_values
from trialspec.results import Table


@dataclass(frozen=True)
class SurvivalFacts:
    """Per group: the Kaplan-Meier curve; across groups: log-rank and Cox; and the data, so
    claims can try other computations (another CI type, Breslow ties, groups reversed)."""

    labels: tuple[str, ...]
    unit: str
    curves: tuple[Any, ...]  # trialspec.stats.survival.KaplanMeierCurve, one per group
    logrank: Any  # LogRank or None
    cox: Any  # CoxModel or None
    time: np.ndarray
    event: np.ndarray
    group: np.ndarray  # index into labels
    level: float
    conf_type: str


def kaplan_meier(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats import survival
    from trialspec.stats.errors import StatsInputError

    assert plan.endpoint is not None
    findings: list[Diagnostic] = []
    tte = time_values(plan.endpoint, ctx.value, ctx.n)
    if tte.negative.any():
        findings.append(finding("TS709", plan, "event or censoring before the time origin for "
                                + ", ".join(map(str, ctx.subjects[tte.negative][:5])),
                                "Correct the dates; these subjects are left out.", Severity.WARNING))
    entry_known = np.ones(ctx.n, bool) if tte.entry is None else ~np.isnan(tte.entry)
    co = cohort(plan, ctx, (~np.isnan(tte.time) | tte.negative) & entry_known, findings)
    co_ok = co.included & ~tte.negative
    masks = co.masks & co_ok
    empty_groups(plan, co, findings)
    index = np.argmax(masks, axis=0)[co_ok]
    time, event = tte.time[co_ok], tte.event[co_ok].astype(float)
    conf_type = plan.options.get("conf_type", "log")
    present = np.unique(index)
    curves: list[Any] = [None] * len(co.labels)
    if len(time):
        km = survival.kaplan_meier(time, event, index, conf_type=conf_type,  # type: ignore[arg-type]
                                   conf_level=plan.level,
                                   entry=None if tte.entry is None else tte.entry[co_ok])
        for c in km.curves:
            curves[int(c.group)] = c  # type: ignore[call-overload]
    if len(time) and event.sum() == 0:
        findings.append(finding("TS703", plan, "no events: no median, log-rank test or hazard ratio",
                                "Check the event dates, or wait for more follow-up."))
    for lab, c in zip(co.labels, curves, strict=True):
        if c is not None and c.events == 0 and event.sum() > 0 and plan.groups:
            findings.append(finding("TS703", plan, f"no events in group {lab}",
                                    "Its median is not reached and its hazard ratio is not "
                                    "estimable.", Severity.WARNING))
    logrank = cox = None
    if len(present) >= 2 and event.sum() > 0:
        if "logrank" in plan.tests:
            logrank = survival.log_rank(time, event, index)
        if "cox" in plan.tests:
            dummies = np.column_stack([(index == g).astype(float) for g in present[1:]])
            try:
                ties: Any = plan.options.get("ties", "efron")
                cox = survival.cox_ph(time, event, dummies, ties=ties,
                                      names=tuple(co.labels[g] for g in present[1:]),
                                      conf_level=plan.level)
            except StatsInputError as err:
                findings.append(finding("TS705", plan, f"Cox model: {err}",
                                        "Report the hazard ratio as not estimable."))
    facts = SurvivalFacts(co.labels, plan.endpoint.unit, tuple(curves), logrank, cox, time,
                          event, index, plan.level, conf_type)
    summary = _summary(plan, facts)
    if len(time):
        _more(plan, ctx, co_ok, tte, facts, curves, summary, findings)
    return AnalysisResult(plan, summary, _table(plan, facts), findings,
                          facts if len(time) else None)


def _more(plan: AnalysisPlan, ctx: Context, keep: np.ndarray, tte: Any, f: SurvivalFacts,
          curves: list[Any], summary: dict[str, Any], findings: list[Diagnostic]) -> None:
    """Landmarks, RMST, the stratified log-rank test and the adjusted Cox model."""
    from trialspec.domain import analyses_survival_more as more

    for g, marks in zip(summary["groups"], more.landmarks(plan, curves), strict=True):
        if marks:
            g["landmarks"] = marks
    rm = more.restricted_means(plan, f.labels, curves)
    if rm is not None:
        summary["rmst"] = rm
    strata = more.strata_codes(plan, ctx, keep)
    several = len(np.unique(f.group)) >= 2 and f.event.sum() > 0
    if strata is not None and "logrank" in plan.tests and several:
        summary["tests"]["logrank"] = more.stratified_logrank(f.time, f.event, f.group, strata)
    entry = None if tte.entry is None else tte.entry[keep]
    if "cox" in plan.tests and several and (plan.covariates or strata is not None or entry is not None):
        adjusted = more.adjusted_cox(plan, ctx, keep, f.labels, f.time, f.event, f.group, entry,
                                     strata, findings)
        if adjusted is not None:
            summary["tests"]["cox"] = adjusted


def _median(c: Any) -> dict[str, Any]:
    if c is None:
        return {"n": 0, "events": 0, "median": None, "median_ci": [None, None]}
    return {"n": c.n, "events": c.events, "median": num(c.median),
            "median_ci": [num(c.median_lower), num(c.median_upper)], "curve": _curve(c)}


def _curve(c: Any) -> dict[str, Any]:
    """The survfit rows of a curve, for figures and for readers of the JSON: one per distinct
    time (undefined CI limits are null)."""
    return {k: [num(x) for x in np.asarray(getattr(c, k), float).tolist()]
            for k in ("time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper")}


def risk_times(curves: tuple[Any, ...], breaks: int = 6) -> list[float]:
    """Round times from 0 to the last follow-up, for a number-at-risk table (as survminer's
    default breaks): steps of 1, 2, 2.5 or 5 times a power of ten."""
    last = max((float(c.time[-1]) for c in curves if c is not None and len(c.time)), default=0.0)
    if last <= 0:
        return [0.0]
    raw = last / breaks
    power = 10 ** np.floor(np.log10(raw))
    step = float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))
    return [round(i * step, 10) for i in range(int(np.floor(last / step + 1e-9)) + 1)]


def at_risk(c: Any, times: list[float]) -> list[int]:
    """Subjects at risk at each time: those whose time is >= t (n before the first time)."""
    if c is None:
        return [0 for _ in times]
    t, n_risk = np.asarray(c.time, float), np.asarray(c.n_risk, float)
    i = np.searchsorted(t, np.asarray(times, float), side="left")
    return [int(n_risk[j]) if j < len(t) else 0 for j in i.tolist()]


def _summary(plan: AnalysisPlan, f: SurvivalFacts) -> dict[str, Any]:
    out: dict[str, Any] = {
        "method": "kaplan_meier", "endpoint": plan.endpoint.name if plan.endpoint else None,
        "by": plan.grouped_by, "unit": f.unit, "conf_type": f.conf_type, "level": f.level,
        "groups": [{"label": lab, **_median(c)} for lab, c in zip(f.labels, f.curves, strict=True)],
        "tests": {},
    }
    times = risk_times(f.curves)
    out["at_risk"] = {"times": times, "counts": {lab: at_risk(c, times)
                                                 for lab, c in zip(f.labels, f.curves, strict=True)}}
    if f.logrank is not None:
        out["tests"]["logrank"] = {"statistic": num(f.logrank.chisq), "df": float(f.logrank.df),
                                   "p": num(f.logrank.p_value),
                                   "observed": [num(x) for x in f.logrank.observed],
                                   "expected": [num(x) for x in f.logrank.expected]}
    if f.cox is not None:
        out["tests"]["cox"] = {"hazard_ratios": [
            {"group": name, "reference": f.labels[0], "estimate": num(hr), "ci": [num(lo), num(hi)],
             "p": num(p), "coef": num(b), "se": num(se), "z": num(z)}
            for name, hr, lo, hi, p, b, se, z in zip(f.cox.names, f.cox.hazard_ratio, f.cox.conf_low,
                                                     f.cox.conf_high, f.cox.p_value, f.cox.coef,
                                                     f.cox.se, f.cox.z, strict=True)],
            "ties": f.cox.ties}
    return out


def _table(plan: AnalysisPlan, f: SurvivalFacts) -> Table:
    pct = int(round(f.level * 100))

    def med(x: Any) -> str:
        return "not reached" if x is None else fmt(x)

    rows = tuple((lab, c.n if c else 0, c.events if c else 0, med(c.median) if c else "NA",
                  f"{med(c.median_lower)} - {med(c.median_upper)}" if c else "NA")
                 for lab, c in zip(f.labels, f.curves, strict=True))
    notes = []
    if f.logrank is not None:
        notes.append(f"{TEST_LABELS['logrank']}: chi-square {fmt(f.logrank.chisq)} (df {f.logrank.df}), "
                     f"p = {fmt(f.logrank.p_value)}")
    if f.cox is not None:
        for name, hr, lo, hi in zip(f.cox.names, f.cox.hazard_ratio, f.cox.conf_low, f.cox.conf_high,
                                    strict=True):
            notes.append(f"HR {name} vs {f.labels[0]} {fmt(hr)} [{fmt(lo)}; {fmt(hi)}]")
    return Table(_title(plan), ("group", "n", "events", f"median ({f.unit})",
                                f"{pct}% CI ({f.conf_type})"), rows, "; ".join(notes) or None)
