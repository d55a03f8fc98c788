"""The ``summary`` method: a number per subject by group, with the tests that compare groups.

Per group: n, mean (SD), median (Q1-Q3, R's type 7), min-max, in the variable's unit. Tests
(``tests:``, none by default): ``ttest``/``welch`` (Welch), ``student`` (equal variances),
``wilcoxon`` (R's default: exact when R is, else normal with the continuity correction),
``wilcoxon_normal``, ``wilcoxon_nocc`` (normal without it), each of two groups, the first
against the second (the Wilcoxon tests with the Hodges-Lehmann location shift and its CI as
``wilcox.test(conf.int = TRUE)`` gives them, :mod:`trialspec.stats.location_ci`); ``anova``
and ``kruskal`` of two or more. Numbers from
:mod:`trialspec.stats.continuous` (held against R).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic
from trialspec.domain.analyses_compute import (
    AnalysisResult,
    Context,
    SummaryFacts,
    _title,
    cohort,
    empty_groups,
    finding,
    fmt,
    num,
)
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.domain.endpoints import number_array
from trialspec.results import Table

TEST_LABELS = {
    "ttest": "Welch two-sample t-test", "welch": "Welch two-sample t-test",
    "student": "two-sample t-test (equal variances)",
    "wilcoxon": "Wilcoxon rank-sum test", "wilcoxon_normal": "Wilcoxon rank-sum test (normal, corrected)",
    "wilcoxon_nocc": "Wilcoxon rank-sum test (normal, no continuity correction)",
    "anova": "one-way ANOVA (F test)", "kruskal": "Kruskal-Wallis test",
}
TWO_GROUP = {"ttest", "welch", "student", "wilcoxon", "wilcoxon_normal", "wilcoxon_nocc"}


def _t(equal: bool) -> Callable[[list[np.ndarray], float], dict[str, Any]]:
    def run(groups: list[np.ndarray], level: float) -> dict[str, Any]:
        from trialspec.stats.continuous import t_test

        r = t_test(groups[0], groups[1], equal_var=equal, conf_level=level)
        return {"statistic": num(r.statistic), "df": num(r.df), "p": num(r.p_value),
                "estimate": num(r.estimate), "se": num(r.se), "ci": [num(r.conf_low), num(r.conf_high)]}
    return run


def _w(exact: bool | None, correct: bool) -> Callable[[list[np.ndarray], float], dict[str, Any]]:
    def run(groups: list[np.ndarray], level: float) -> dict[str, Any]:
        from trialspec.stats.continuous import wilcoxon
        from trialspec.stats.location_ci import location_shift

        r = wilcoxon(groups[0], groups[1], exact=exact, correct=correct)
        loc = location_shift(groups[0], groups[1], exact=r.exact, correct=correct, conf_level=level)
        return {"statistic": num(r.statistic), "df": None, "p": num(r.p_value), "exact": r.exact,
                "continuity": r.correct, "hodges_lehmann": num(r.hodges_lehmann),
                "location": {"estimate": num(loc.estimate), "ci": [num(loc.conf_low), num(loc.conf_high)],
                             "level": loc.conf_level, "exact": loc.exact}}
    return run


def _k(kind: str) -> Callable[[list[np.ndarray], float], dict[str, Any]]:
    def run(groups: list[np.ndarray], level: float) -> dict[str, Any]:
        from trialspec.stats import continuous

        r = getattr(continuous, kind)(groups)
        df = [num(d) for d in r.df]
        return {"statistic": num(r.statistic), "df": df[0] if len(df) == 1 else df, "p": num(r.p_value)}
    return run


RUNNERS: dict[str, Callable[[list[np.ndarray], float], dict[str, Any]]] = {
    "ttest": _t(False), "welch": _t(False), "student": _t(True),
    "wilcoxon": _w(None, True), "wilcoxon_normal": _w(False, True), "wilcoxon_nocc": _w(False, False),
    "anova": _k("anova_oneway"), "kruskal": _k("kruskal"),
}
"""Test name (analyses_plan.TESTS["summary"]) -> its computation on the groups' values."""


def summary(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats.continuous import describe

    findings: list[Diagnostic] = []
    assert plan.variable is not None
    x = number_array(ctx.value(plan.variable), ctx.n)
    co = cohort(plan, ctx, ~np.isnan(x), findings)
    empty_groups(plan, co, findings)
    stats = np.full((len(co.labels), 7), np.nan)
    values = [x[mask] for mask in co.masks]
    for i, v in enumerate(values):
        if len(v):
            d = describe(v)
            stats[i] = (d.median, d.mean, d.minimum, d.maximum, d.sd, d.q1, d.q3)
    med, mean, lo, hi, sd, q1, q3 = stats.T
    facts = SummaryFacts(co.labels, co.sizes.astype(int), med, mean, lo, hi, sd, q1, q3,
                         values=tuple(values), level=plan.level)
    unit = getattr(getattr(plan.variable, "type", None), "unit", None)
    tests = _tests(plan, [v for v in values if len(v)], findings)
    out = {"method": "summary", "by": plan.grouped_by, "unit": unit, "tests": tests,
           "groups": [{"label": lab, "n": int(k), "mean": num(s[1]), "sd": num(s[4]),
                       "median": num(s[0]), "q1": num(s[5]), "q3": num(s[6]),
                       "min": num(s[2]), "max": num(s[3])}
                      for lab, k, s in zip(co.labels, facts.n, stats, strict=True)]}
    rows = tuple((lab, int(k), f"{fmt(s[1])} ({fmt(s[4])})", f"{fmt(s[0])} ({fmt(s[5])}-{fmt(s[6])})",
                  f"{fmt(s[2])}-{fmt(s[3])}")
                 for lab, k, s in zip(co.labels, facts.n, stats, strict=True))
    in_unit = f" ({unit})" if unit else ""
    note = "; ".join(f"{TEST_LABELS[t]}: {_show(r)}" for t, r in tests.items())
    table = Table(_title(plan), ("group", "n", f"mean (SD){in_unit}", f"median (Q1-Q3){in_unit}",
                                 f"min-max{in_unit}"), rows, note or None)
    return AnalysisResult(plan, out, table, findings, facts)


def _show(r: dict[str, Any]) -> str:
    df = r.get("df")
    dfs = "" if df is None else f" (df {', '.join(fmt(d) for d in df) if isinstance(df, list) else fmt(df)})"
    extra = ""
    if "estimate" in r:
        extra = f", difference {fmt(r['estimate'])} [{fmt(r['ci'][0])}; {fmt(r['ci'][1])}]"
    elif "hodges_lehmann" in r:
        loc = r["location"]
        ci = f"{round(100 * loc['level'], 4):g}% CI {fmt(loc['ci'][0])}; {fmt(loc['ci'][1])}"
        extra = (f", Hodges-Lehmann {fmt(r['hodges_lehmann'])} ({ci})" if loc["exact"] else
                 f", Hodges-Lehmann {fmt(r['hodges_lehmann'])}, location shift {fmt(loc['estimate'])} "
                 f"({ci}, normal approximation)")
    return f"{fmt(r['statistic'])}{dfs}, p = {fmt(r['p'])}{extra}"


def _tests(plan: AnalysisPlan, groups: list[np.ndarray], findings: list[Diagnostic]) -> dict[str, Any]:
    from trialspec.stats.errors import StatsInputError

    out: dict[str, Any] = {}
    for test in plan.tests:
        if test in TWO_GROUP and len(groups) != 2:
            findings.append(finding("TS705", plan, f"{TEST_LABELS[test]} compares two groups, "
                                    f"not {len(groups)}", "Use `anova` or `kruskal` for more groups."))
            continue
        try:
            out[test] = RUNNERS[test](groups, plan.level)
        except StatsInputError as err:
            findings.append(finding("TS705", plan, f"{TEST_LABELS[test]} cannot be computed: {err}",
                                    "Check the groups' values."))
    return out
