"""Model-based analyses: ``ancova`` (a number by arm, adjusted for covariates) and
``logistic`` (a binary endpoint by arm, adjusted for covariates).

The arm is ``by:`` (its first level the reference); covariates are numbers or categories
(``options.covariates``). A subject with the outcome, the arm or a covariate unknown is left
out (TS704). Numbers from :mod:`trialspec.stats.models` (held against R's lm + emmeans, glm).
Summary keys: ``lsmeans`` (per arm: estimate, se, ci), ``differences`` (each arm against the
first: estimate, se, t, p, ci), ``arm_test`` (F, df, p), ``coefficients``; for logistic
``coefficients`` (estimate = log odds ratio, se, z, p, ci) and ``odds_ratios``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic
from trialspec.domain.analyses_compute import (
    AnalysisResult,
    Context,
    _title,
    cohort,
    empty_groups,
    fmt,
    num,
)
from trialspec.domain.analyses_plan import AnalysisPlan, Covariate
from trialspec.domain.endpoints import condition_arrays, number_array
from trialspec.lang import ir
from trialspec.results import Table


def _covariates(plan: AnalysisPlan, ctx: Context) -> tuple[list[tuple[Covariate, Any]], np.ndarray]:
    """Each covariate's values (floats, or level codes with -1 unknown), and who has them all."""
    known = np.ones(ctx.n, bool)
    out: list[tuple[Covariate, Any]] = []
    for cov in plan.covariates:
        if cov.levels is None:
            x = number_array(ctx.value(cov.node), ctx.n)
            known &= ~np.isnan(x)
            out.append((cov, x))
            continue
        codes = np.full(ctx.n, -1)
        t = cov.type
        for i, level in enumerate(cov.levels):
            true, _k = condition_arrays(ctx.value(ir.Cmp("==", cov.node, ir.Const(level, t, plan.span),
                                                         plan.span)), ctx.n)
            codes[true] = i
        known &= codes >= 0
        out.append((cov, codes))
    return out, known


def _design(plan: AnalysisPlan, covs: list[tuple[Covariate, Any]], mask: np.ndarray) -> tuple[list, list]:
    from trialspec.stats.models import Factor

    numeric, factors = [], []
    for cov, values in covs:
        if cov.levels is None:
            numeric.append((cov.name, values[mask]))
        else:
            codes = values[mask]
            present = [i for i in range(len(cov.levels)) if (codes == i).any()]
            remap = np.full(len(cov.levels), -1)
            remap[present] = np.arange(len(present))
            factors.append((cov.name, Factor(remap[codes], tuple(cov.levels[i] for i in present))))
    return numeric, factors


def _arm(co: Any) -> Any:
    from trialspec.stats.models import Factor

    codes = np.argmax(co.masks, axis=0)[co.included]
    return Factor(codes, co.labels)


def ancova(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats.models import ancova as fit_ancova

    findings: list[Diagnostic] = []
    assert plan.variable is not None
    y = number_array(ctx.value(plan.variable), ctx.n)
    covs, cov_known = _covariates(plan, ctx)
    co = cohort(plan, ctx, ~np.isnan(y) & cov_known, findings)
    empty_groups(plan, co, findings)
    numeric, factors = _design(plan, covs, co.included)
    m = fit_ancova(y[co.included], _arm(co), numeric, factors, conf_level=plan.level)
    unit = getattr(getattr(plan.variable, "type", None), "unit", None)
    summary = {
        "method": "ancova", "by": plan.grouped_by, "unit": unit, "included": m.n, "level": plan.level,
        "covariates": [c.name for c in plan.covariates], "df_resid": m.df_resid, "sigma": num(m.sigma),
        "lsmeans": [{"label": lab, "n": int(k), "estimate": num(r[0]), "se": num(r[1]),
                     "ci": [num(r[2]), num(r[3])]}
                    for lab, k, r in zip(m.labels, co.sizes, m.lsmeans, strict=True)],
        "differences": [{"label": f"{lab} - {m.labels[0]}", "estimate": num(r[0]), "se": num(r[1]),
                         "t": num(r[2]), "df": m.df_resid, "p": num(r[3]), "ci": [num(r[4]), num(r[5])]}
                        for lab, r in zip(m.labels[1:], m.differences, strict=True)],
        "arm_test": {"statistic": num(m.arm_f[0]), "df": [m.arm_f[1], m.df_resid], "p": num(m.arm_f[2])},
        "coefficients": {name: num(b) for name, b in zip(m.coef_names, m.coefficients, strict=True)},
    }
    dose_note = _dose_response(plan, y[co.included], _arm(co), numeric, factors, summary, findings)
    pct = int(round(plan.level * 100))
    rows = tuple((lab, int(k), f"{fmt(r[0])} ({fmt(r[1])})", f"{fmt(r[2])}-{fmt(r[3])}",
                  "" if i == 0 else f"{fmt(m.differences[i - 1][0])} [{fmt(m.differences[i - 1][4])}; "
                  f"{fmt(m.differences[i - 1][5])}], p = {fmt(m.differences[i - 1][3])}")
                 for i, (lab, k, r) in enumerate(zip(m.labels, co.sizes, m.lsmeans, strict=True)))
    note = (f"adjusted for {', '.join(c.name for c in plan.covariates) or 'nothing'}; "
            f"F test of {plan.grouped_by}: {fmt(m.arm_f[0])} (df {m.arm_f[1]}, {m.df_resid}), "
            f"p = {fmt(m.arm_f[2])}{dose_note}")
    table = Table(_title(plan), ("arm", "n", "adjusted mean (SE)", f"{pct}% CI",
                                 f"difference from {m.labels[0]} [{pct}% CI]"), rows, note)
    return AnalysisResult(plan, summary, table, findings, m)


def _dose_response(plan: AnalysisPlan, y: np.ndarray, arm: Any, numeric: list, factors: list,
                   summary: dict[str, Any], findings: list[Diagnostic]) -> str:
    """With ``dose:``, the same model with the arm entered as its dose (``lm(y ~ dose +
    covariates)``): the slope per unit of dose with its SE, t, df, p and CI."""
    from trialspec.domain.analyses_compute import finding
    from trialspec.stats.dose_response import dose_slope
    from trialspec.stats.errors import StatsInputError

    if not plan.doses:
        return ""
    by_label = dict(zip((g.label for g in plan.groups), plan.doses, strict=True))
    dose = np.array([by_label[lab] for lab in arm.labels])[arm.codes]
    try:
        r = dose_slope(y, dose, numeric, factors, conf_level=plan.level)
    except StatsInputError as err:
        findings.append(finding("TS705", plan, f"the dose-response test cannot be computed: {err}",
                                "Check the doses and the covariates."))
        return ""
    summary["dose_response"] = {
        "doses": dict(zip(arm.labels, (by_label[lab] for lab in arm.labels), strict=True)),
        "estimate": num(r.estimate), "se": num(r.se), "t": num(r.t), "df": r.df, "p": num(r.p_value),
        "ci": [num(r.conf_low), num(r.conf_high)]}
    return (f"; dose response (slope per unit of dose): {fmt(r.estimate)} "
            f"[{fmt(r.conf_low)}; {fmt(r.conf_high)}], t = {fmt(r.t)} (df {r.df}), p = {fmt(r.p_value)}")


def logistic(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats.models import logistic as fit_logistic

    findings: list[Diagnostic] = []
    assert plan.endpoint is not None
    true, known = ctx.binary(plan.endpoint)
    covs, cov_known = _covariates(plan, ctx)
    co = cohort(plan, ctx, known & cov_known, findings)
    empty_groups(plan, co, findings)
    numeric, factors = _design(plan, covs, co.included)
    arm = _arm(co)
    m = fit_logistic(true[co.included].astype(float), numeric, [(str(plan.grouped_by), arm), *factors],
                     conf_level=plan.level)
    coefs = {name: {"estimate": num(r[0]), "se": num(r[1]), "z": num(r[2]), "p": num(r[3]),
                    "ci": [num(r[4]), num(r[5])]} for name, r in zip(m.names, m.table, strict=True)}
    first = 1 + len(numeric)  # the intercept, the numeric covariates, then the arm's dummies
    arm_rows = list(zip(m.names[first:first + len(co.labels) - 1],
                        m.table[first:first + len(co.labels) - 1], strict=True))
    odds: list[dict[str, Any]] = [{"label": f"{lab} vs {co.labels[0]}", "estimate": num(np.exp(r[0])),
             "ci": [num(np.exp(r[4])), num(np.exp(r[5]))], "p": num(r[3])}
            for lab, (_n, r) in zip(co.labels[1:], arm_rows, strict=True)]
    summary = {"method": "logistic", "endpoint": plan.endpoint.name, "by": plan.grouped_by,
               "included": m.n, "level": plan.level, "covariates": [c.name for c in plan.covariates],
               "coefficients": coefs, "odds_ratios": odds, "deviance": num(m.deviance), "aic": num(m.aic)}
    rows = tuple((o["label"], fmt(o["estimate"]), f"{fmt(o['ci'][0])}-{fmt(o['ci'][1])}", fmt(o["p"]))
                 for o in odds)
    table = Table(_title(plan), ("comparison", "adjusted odds ratio", f"{int(round(plan.level * 100))}% CI",
                                 "p (Wald)"), rows,
                  f"adjusted for {', '.join(c.name for c in plan.covariates) or 'nothing'}")
    return AnalysisResult(plan, summary, table, findings, m)


def ordinal(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    """Proportional odds (``MASS::polr``) of ``outcome`` (its levels in declared order) by arm,
    adjusted for the other covariates: each arm's odds ratio of a higher level."""
    from trialspec.stats.models import Factor, proportional_odds

    findings: list[Diagnostic] = []
    covs, known = _covariates(plan, ctx)
    co = cohort(plan, ctx, known, findings)
    empty_groups(plan, co, findings)
    (outcome, codes), rest = covs[0], covs[1:]
    numeric, factors = _design(plan, rest, co.included)
    arm = _arm(co)
    m = proportional_odds(codes[co.included], len(outcome.levels or ()), numeric,
                          [(str(plan.grouped_by), Factor(arm.codes, arm.labels)), *factors],
                          conf_level=plan.level)
    coefs = {name: {"estimate": num(r[0]), "se": num(r[1]), "z": num(r[2]), "p": num(r[3]),
                    "ci": [num(r[4]), num(r[5])]} for name, r in zip(m.names, m.table, strict=True)}
    first = len(numeric)
    odds: list[dict[str, Any]] = [
        {"label": f"{lab} vs {co.labels[0]}", "estimate": num(np.exp(r[0])),
         "ci": [num(np.exp(r[4])), num(np.exp(r[5]))], "p": num(r[3])}
        for lab, r in zip(co.labels[1:], m.table[first:first + len(co.labels) - 1], strict=True)]
    summary = {"method": "ordinal", "outcome": outcome.name, "levels": list(outcome.levels or ()),
               "by": plan.grouped_by, "included": m.n, "level": plan.level,
               "covariates": [c.name for c, _v in rest], "coefficients": coefs, "odds_ratios": odds,
               "cutpoints": [num(x) for x in m.cutpoints], "cutpoint_se": [num(x) for x in m.cutpoint_se],
               "loglik": num(m.loglik)}
    rows = tuple((o["label"], fmt(o["estimate"]), f"{fmt(o['ci'][0])}-{fmt(o['ci'][1])}", fmt(o["p"]))
                 for o in odds)
    table = Table(_title(plan), ("comparison", "odds ratio (higher level)",
                                 f"{int(round(plan.level * 100))}% CI", "p (Wald)"), rows,
                  f"proportional odds of {outcome.name} ({' < '.join(outcome.levels or ())})")
    return AnalysisResult(plan, summary, table, findings, m)
