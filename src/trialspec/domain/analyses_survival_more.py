"""What a Kaplan-Meier analysis adds when the protocol asks: survival and numbers at risk at
landmark times (``landmarks``), the restricted mean survival time and its difference at
``tau``, the log-rank test stratified by ``strata``, and the Cox model adjusted for
``covariates`` and stratified, with left truncation when the endpoint has ``entry``.
Numbers from :mod:`trialspec.stats.survival_more` (held against R's survival)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic
from trialspec.domain.analyses_compute import Context, _group, finding, num
from trialspec.domain.analyses_plan import AnalysisPlan


def landmarks(plan: AnalysisPlan, curves: list[Any]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    for c in curves:
        if c is None or not plan.landmarks:
            out.append([])
            continue
        at = c.at(list(plan.landmarks))
        out.append([{"time": float(t), "surv": num(s), "ci": [num(lo), num(hi)], "n_risk": int(n)}
                    for t, s, lo, hi, n in zip(at.time, at.surv, at.lower, at.upper, at.n_risk, strict=True)])
    return out


def restricted_means(plan: AnalysisPlan, labels: tuple[str, ...], curves: list[Any]) -> dict[str, Any] | None:
    from trialspec.stats.survival_more import rmst, rmst_difference

    if plan.tau is None:
        return None
    per = [None if c is None else rmst(c, plan.tau, conf_level=plan.level) for c in curves]
    groups = [{"label": lab, "estimate": num(r.estimate), "se": num(r.se),
               "ci": [num(r.conf_low), num(r.conf_high)]} if r else {"label": lab, "estimate": None}
              for lab, r in zip(labels, per, strict=True)]
    diffs = []
    if per and per[0] is not None:
        for lab, r in zip(labels[1:], per[1:], strict=True):
            if r is not None:
                d = rmst_difference(r, per[0], conf_level=plan.level)
                diffs.append({"label": f"{lab} - {labels[0]}", "estimate": num(d["estimate"]),
                              "se": num(d["se"]), "ci": [num(d["conf_low"]), num(d["conf_high"])],
                              "p": num(d["p"])})
    return {"tau": plan.tau, "groups": groups, "differences": diffs}


def strata_codes(plan: AnalysisPlan, ctx: Context, keep: np.ndarray) -> np.ndarray | None:
    """Each kept subject's stratum (index into plan.strata; -1 unknown), or None."""
    if not plan.strata:
        return None
    masks = np.array([_group(g, ctx)[0] for g in plan.strata])
    codes = np.where(masks.any(axis=0), np.argmax(masks, axis=0), -1)
    return codes[keep]


def stratified_logrank(time: np.ndarray, event: np.ndarray, index: np.ndarray,
                       strata: np.ndarray) -> dict[str, Any]:
    from trialspec.stats.survival_more import log_rank_stratified

    ok = strata >= 0
    r = log_rank_stratified(time[ok], event[ok], index[ok], strata[ok])
    return {"statistic": num(r.statistic), "df": float(r.df), "p": num(r.p_value), "stratified": True}


def adjusted_cox(plan: AnalysisPlan, ctx: Context, keep: np.ndarray, labels: tuple[str, ...],
                 time: np.ndarray, event: np.ndarray, index: np.ndarray, entry: np.ndarray | None,
                 strata: np.ndarray | None, findings: list[Diagnostic]) -> dict[str, Any] | None:
    """The Cox model of the groups (each against the first) with covariates and strata."""
    from trialspec.domain.analyses_models import _covariates, _design
    from trialspec.stats.errors import StatsInputError
    from trialspec.stats.survival_more import cox

    present = np.unique(index)
    covs, known = _covariates(plan, ctx)
    ok = known[keep]
    if strata is not None:
        ok &= strata >= 0
    if entry is not None:
        ok &= ~np.isnan(entry)
    full = np.zeros(ctx.n, bool)
    full[np.flatnonzero(keep)[ok]] = True
    numeric, factors = _design(plan, covs, full)
    cols = [(index[ok] == g).astype(float) for g in present[1:]]
    names = [labels[g] for g in present[1:]]
    for name, x in numeric:
        cols.append(x)
        names.append(name)
    for name, f in factors:
        for j, lab in enumerate(f.labels[1:], start=1):
            cols.append((f.codes == j).astype(float))
            names.append(f"{name}{lab}")
    try:
        m = cox(time[ok], event[ok], np.column_stack(cols), names=tuple(names),
                strata=None if strata is None else strata[ok],
                entry=None if entry is None else entry[ok],
                ties=plan.options.get("ties", "efron"), conf_level=plan.level)
    except StatsInputError as err:
        findings.append(finding("TS705", plan, f"Cox model: {err}", "Report it as not estimable."))
        return None
    rows = [{"term": n, "coef": num(r[0]), "se": num(r[1]), "estimate": num(r[2]),
             "ci": [num(r[3]), num(r[4])], "z": num(r[5]), "p": num(r[6])}
            for n, r in zip(m.names, m.table, strict=True)]
    return {"hazard_ratios": [dict(r, group=r["term"], reference=labels[0]) for r in rows[:len(present) - 1]],
            "coefficients": rows, "ties": plan.options.get("ties", "efron"),
            "covariates": [c.name for c in plan.covariates], "stratified": strata is not None,
            "left_truncated": entry is not None, "n": m.n, "events": m.events}
