"""The ``crosstab`` method: ``by: [rows, columns]``, the subjects counted in each cell.

Rows are the first name's groups, columns the second's (a category's declared levels, in
order, a boolean or a binary endpoint). Tests: ``chi2`` (Pearson, r x c, ``chisq.test(correct
= FALSE)``), ``g_test``, ``fisher`` (exact: 2xk and kx2 by enumeration, r x c by a simplified
network algorithm, each with a size guard: beyond it TS705), ``trend`` (Cochran-Armitage,
``prop.trend.test``, for a 2xk or kx2 table: the ordered levels scored 1..k), ``cmh``, and
for paired data (``by: [before, after]``, two columns of each subject with the same two
levels) ``mcnemar`` / ``mcnemar_nocc`` (``mcnemar.test`` with and without the correction).
Summary keys: ``rows``, ``columns``, ``table`` (row-major counts), ``tests``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic
from trialspec.domain.analyses_compute import (
    AnalysisResult,
    Context,
    _group,
    _title,
    cohort,
    empty_groups,
    finding,
    fmt,
    num,
)
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.results import Table

TEST_LABELS = {"chi2": "Pearson chi-square", "g_test": "likelihood-ratio G-test",
               "cmh": "Cochran-Mantel-Haenszel test",
               "fisher": "Fisher's exact test", "trend": "Cochran-Armitage trend test",
               "mcnemar": "McNemar's test", "mcnemar_nocc": "McNemar's test (no correction)"}


def _chi2(t: np.ndarray) -> dict[str, Any]:
    from trialspec.stats.tables import chi_square

    r = chi_square(t, correct=False)
    return {"statistic": num(r.statistic), "df": float(r.df), "p": num(r.p_value)}


def _g(t: np.ndarray) -> dict[str, Any]:
    from scipy.stats import chi2_contingency

    stat, p, df, _e = chi2_contingency(t, correction=False, lambda_="log-likelihood")
    return {"statistic": num(stat), "df": float(df), "p": num(p)}


def _fisher(t: np.ndarray) -> dict[str, Any]:
    from trialspec.stats.tables import fisher_exact

    return {"statistic": None, "df": None, "p": num(fisher_exact(t).p_value)}


def _trend(t: np.ndarray) -> dict[str, Any]:
    from trialspec.stats.categorical import trend
    from trialspec.stats.errors import StatsInputError

    if 2 not in t.shape:
        raise StatsInputError(f"the trend test needs two rows or two columns, not {t.shape[0]}x{t.shape[1]}")
    two = t if t.shape[0] == 2 else t.T
    r = trend(two[0], two.sum(axis=0))
    return {"statistic": num(r.statistic), "df": r.df, "p": num(r.p_value)}


def _mcnemar(t: np.ndarray, *, correct: bool = True) -> dict[str, Any]:
    from trialspec.stats.categorical import mcnemar

    r = mcnemar(t, correct=correct)
    return {"statistic": num(r.statistic), "df": r.df, "p": num(r.p_value), "correct": correct,
            "discordant": [int(t[0, 1]), int(t[1, 0])]}


def _stat(v: dict[str, Any]) -> str:
    return "" if v["statistic"] is None else f"{fmt(v['statistic'])} (df {fmt(v['df'])}), "


RUNNERS: dict[str, Callable[[np.ndarray], dict[str, Any]]] = {
    "chi2": _chi2, "g_test": _g, "fisher": _fisher, "trend": _trend,
    "mcnemar": _mcnemar, "mcnemar_nocc": lambda t: _mcnemar(t, correct=False)}
PAIRED = {"mcnemar", "mcnemar_nocc"}  # on the whole square table: a level nobody has stays


def _cmh(plan: AnalysisPlan, ctx: Context, co: Any, col_masks: np.ndarray,
         findings: list[Diagnostic]) -> dict[str, Any]:
    """The CMH test over the strata: general association; for 2x2 tables also the MH
    common odds ratio, its CI and the Breslow-Day test."""
    from trialspec.stats.categorical import cmh, cmh_general

    strata = np.array([_group(g, ctx)[0] for g in plan.strata]) & co.included
    cells = np.einsum("rn,cn,kn->krc", co.masks.astype(np.int64), col_masks.astype(np.int64),
                      strata.astype(np.int64))
    keep = cells.sum(axis=(1, 2)) >= 2
    dropped = [g.label for g, k in zip(plan.strata, keep, strict=True) if not k and cells.sum() > 0]
    cells = cells[keep]
    cells = cells[:, cells.sum(axis=(0, 2)) > 0][:, :, cells.sum(axis=(0, 1)) > 0]
    g = cmh_general(cells)
    out: dict[str, Any] = {"statistic": num(g.statistic), "df": g.df, "p": num(g.p_value),
                           "strata": int(keep.sum()), "strata_dropped": dropped}
    if cells.shape[1:] == (2, 2):
        c = cmh(cells, conf_level=plan.level)
        out.update({"statistic": num(c.statistic), "p": num(c.p_value), "correct": True,
                    "common_odds_ratio": {"estimate": num(c.odds_ratio),
                                          "ci": [num(c.conf_low), num(c.conf_high)]},
                    "breslow_day": {"statistic": num(c.breslow_day.statistic), "df": c.breslow_day.df,
                                    "p": num(c.breslow_day.p_value)},
                    "tarone": {"statistic": num(c.tarone.statistic), "df": c.tarone.df,
                               "p": num(c.tarone.p_value)}})
    return out


def crosstab(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats.errors import StatsInputError

    findings: list[Diagnostic] = []
    cols = [_group(g, ctx) for g in plan.columns]
    col_masks = np.array([m for m, _k in cols]) if cols else np.zeros((0, ctx.n), bool)
    col_known: np.ndarray = np.asarray(col_masks.any(axis=0)) if cols else np.zeros(ctx.n, bool)
    co = cohort(plan, ctx, col_known, findings)
    empty_groups(plan, co, findings)
    table = (co.masks.astype(np.int64) @ (col_masks & co.included).T.astype(np.int64))
    labels = tuple(g.label for g in plan.columns)
    keep_r, keep_c = table.sum(axis=1) > 0, table.sum(axis=0) > 0
    t = table[keep_r][:, keep_c].astype(float)
    tests: dict[str, Any] = {}
    for test in plan.tests:
        try:
            if test in PAIRED:
                tests[test] = RUNNERS[test](table.astype(float))
                continue
            if min(t.shape) < 2:
                raise StatsInputError("fewer than two rows or columns have subjects")
            tests[test] = (_cmh(plan, ctx, co, col_masks, findings) if test == "cmh"
                           else RUNNERS[test](t))
        except StatsInputError as err:
            findings.append(finding("TS705", plan, f"{TEST_LABELS[test]} cannot be computed: {err}",
                                    "Use the chi-square test, or merge sparse levels."))
    summary = {"method": "crosstab", "by": [plan.grouped_by, plan.column_by], "rows": list(co.labels),
               "columns": list(labels), "table": table.tolist(), "total": int(table.sum()),
               "tests": tests}
    rows = tuple((lab, *(int(x) for x in row), int(row.sum()))
                 for lab, row in zip(co.labels, table, strict=True))
    rows += (("total", *(int(x) for x in table.sum(axis=0)), int(table.sum())),)
    note = "; ".join(f"{TEST_LABELS[k]}: {_stat(v)}p = {fmt(v['p'])}" for k, v in tests.items())
    title = _title(plan).replace(f" by {plan.grouped_by}", f" by {plan.grouped_by} and {plan.column_by}")
    out = Table(title, (str(plan.grouped_by), *labels, "total"), rows, note or None)
    return AnalysisResult(plan, summary, out, findings, table)
