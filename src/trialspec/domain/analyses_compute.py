"""Running a plan: which subjects are in which group, and the statistics of each method.

Every number comes from :mod:`trialspec.stats` (held against R). A result keeps a JSON-ready
``summary`` with stable keys, a display :class:`~trialspec.results.Table`, its findings
(TS70x), and ``facts``: the method's numbers in a form the claims section reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.analyses_plan import TESTS, AnalysisPlan, GroupPlan
from trialspec.domain.endpoints import EndpointPlan, binary_values, condition_arrays
from trialspec.domain.populations import PopulationPlan
from trialspec.lang import ir
from trialspec.results import Table
from trialspec.source import Span

SHOW_SUBJECTS = 5
TEST_LABELS = {
    "fisher": "Fisher's exact test (two-sided)",
    "fisher_less": "Fisher's exact test (one-sided, less)",
    "fisher_greater": "Fisher's exact test (one-sided, greater)",
    "chi2": "Pearson chi-square without Yates' correction",
    "chi2_yates": "Pearson chi-square with Yates' correction",
    "g_test": "likelihood-ratio G-test",
    "logrank": "log-rank test",
    "cox": "Cox proportional hazards (Wald test)",
}


@dataclass
class Context:
    """What every computation shares: the evaluator (memoized per node) and the subjects."""

    evaluate: Callable[[ir.Node], Any]
    subjects: np.ndarray
    endpoints: dict[str, EndpointPlan]
    # a study-level dataset's rows by name (see Backend.study_rows); None when not bound
    study_rows: Callable[[str], list[dict[str, Any]] | None] = lambda name: None
    # each subject's eligibility (True: eligible), computed when a population needs it
    eligible: Callable[[], np.ndarray] | None = None
    _cache: dict[int, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.subjects)

    def value(self, node: ir.Node) -> Any:
        hit = self._cache.get(id(node))
        if hit is None:
            hit = self._cache[id(node)] = (node, self.evaluate(node))
        return hit[1]

    def population(self, pop: PopulationPlan | None) -> np.ndarray:
        """Who is in a population: every condition true (unknown is out), eligible if asked."""
        inside = np.ones(self.n, bool)
        for node in pop.conditions if pop is not None else ():
            true, _known = condition_arrays(self.value(node), self.n)
            inside &= true
        if pop is not None and pop.eligible:
            inside &= self.eligible() if self.eligible is not None else False
        return inside

    def binary(self, plan: EndpointPlan) -> tuple[np.ndarray, np.ndarray]:
        return binary_values(plan, self.value, self.n)


@dataclass
class AnalysisResult:
    """One analysis computed: summary (JSON), a table to show, findings, and facts for claims."""

    plan: AnalysisPlan
    summary: dict[str, Any]
    table: Table | None
    findings: list[Diagnostic]
    facts: Any = None

    @property
    def ran(self) -> bool:
        return self.facts is not None


@dataclass(frozen=True)
class Cohort:
    """The subjects an analysis includes and their groups (one row of ``masks`` per group)."""

    labels: tuple[str, ...]
    masks: np.ndarray  # (groups, subjects) bool, only included subjects
    included: np.ndarray  # (subjects,) bool

    @property
    def sizes(self) -> np.ndarray:
        return self.masks.sum(axis=1)


def num(x: Any) -> float | None:
    """A JSON-ready float: None for nan, inf and None."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def fmt(x: Any, digits: int = 4) -> str:
    v = num(x)
    return "NA" if v is None else f"{v:.{digits}g}"


def finding(code: str, plan: AnalysisPlan, message: str, hint: str | None = None,
            severity: Severity = Severity.ERROR, span: Span | None = None) -> Diagnostic:
    """A finding of an analysis, at the analysis (or at ``span``: e.g. a data file's row)."""
    return Diagnostic(code, f"analysis {plan.id}: {message}", span or plan.span, hint, severity)


def cohort(plan: AnalysisPlan, ctx: Context, known: np.ndarray | None,
           findings: list[Diagnostic]) -> Cohort:
    """Who is in the analysis: its population, a known endpoint (``known``), a known group."""
    n = ctx.n
    base = ctx.population(plan.population)
    if plan.groups:
        rows = [_group(g, ctx) for g in plan.groups]
        masks = np.array([t for t, _ in rows])
        all_known = np.logical_and.reduce([k for _, k in rows])
        in_any = masks.any(axis=0)
        group_known = in_any | all_known
        overlap = masks.sum(axis=0) > 1
        if plan.grouped_by == "groups" and (overlap & base).any():
            findings.append(finding("TS708", plan, "subjects in more than one group: "
                                    + _names(ctx.subjects[overlap & base]),
                                    "Make the group conditions exclusive."))
        labels = tuple(g.label for g in plan.groups)
        _missing(plan, ctx, base & ~group_known, "group unknown", findings)
        base = base & in_any & ~overlap
    else:
        masks, labels = np.ones((1, n), bool), ("all",)
    if known is not None:
        _missing(plan, ctx, base & ~known, "endpoint unknown", findings)
        base = base & known
    return Cohort(labels, masks & base, base)


def _group(g: GroupPlan, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    if g.endpoint is not None:
        true, known = ctx.binary(g.endpoint)
        return (known & ~true if g.negate else true), known
    assert g.condition is not None
    return condition_arrays(ctx.value(g.condition), ctx.n)


def _names(subjects: np.ndarray) -> str:
    shown = ", ".join(str(s) for s in subjects[:SHOW_SUBJECTS])
    return shown + (f" and {len(subjects) - SHOW_SUBJECTS} more" if len(subjects) > SHOW_SUBJECTS else "")


def _missing(plan: AnalysisPlan, ctx: Context, mask: np.ndarray, why: str,
             findings: list[Diagnostic]) -> None:
    if mask.any():
        findings.append(finding(
            "TS704", plan, f"{int(mask.sum())} subject(s) left out, {why}: {_names(ctx.subjects[mask])}",
            "Complete the data, or define in the protocol how unknown values count.",
            Severity.WARNING))


def empty_groups(plan: AnalysisPlan, co: Cohort, findings: list[Diagnostic]) -> None:
    sizes = co.sizes
    if not co.included.any():
        findings.append(finding("TS702", plan, "no subject is included",
                                "Check the population, the groups and the endpoint's data."))
    elif (sizes == 0).any() and plan.groups:
        empty = [lab for lab, s in zip(co.labels, sizes, strict=True) if s == 0]
        findings.append(finding("TS702", plan, "empty group(s): " + ", ".join(empty),
                                "Check the grouping; tests that compare groups need subjects "
                                "in each.", Severity.WARNING))


# -- proportion ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ProportionFacts:
    """A binary endpoint by group: counts, exact CIs, tests, and every other binary endpoint's
    counts in the same groups (for rows such as PR and MR beside ORR)."""

    endpoint: str
    labels: tuple[str, ...]
    n: np.ndarray
    events: np.ndarray
    other_events: dict[str, np.ndarray]
    ci: np.ndarray  # (groups, 2) proportions
    tests: dict[str, dict[str, float | None]]
    candidates: tuple[Any, ...]  # trialspec.claims.explain.Candidate, every common test
    odds_ratio: dict[str, dict[str, Any]]  # wald, conditional: estimate, ci, p
    level: float
    effects: dict[str, Any] = field(default_factory=dict)  # rd, rr, nnt (analyses_effects)
    n_with_unknown: np.ndarray | None = None  # group sizes counting unknown endpoints

    @property
    def table(self) -> np.ndarray:
        return np.column_stack([self.events, self.n - self.events])


def proportion(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    from trialspec.stats.proportions import binomial_proportion

    findings: list[Diagnostic] = []
    assert plan.endpoint is not None
    true, known = ctx.binary(plan.endpoint)
    co = cohort(plan, ctx, known, findings)
    empty_groups(plan, co, findings)
    n = co.sizes.astype(int)
    events = (co.masks & true).sum(axis=1).astype(int)
    others = {}
    for name, ep in ctx.endpoints.items():
        if ep.binary:
            t, _k = ctx.binary(ep)
            others[name] = (co.masks & t).sum(axis=1).astype(int)
    ci = np.full((len(n), 2), np.nan)
    for i in np.flatnonzero(n > 0):
        p = binomial_proportion(int(events[i]), int(n[i]), conf_level=plan.level)
        ci[i] = (p.conf_low, p.conf_high)
    table = np.column_stack([events, n - events])
    tests, cands, ors = _table_tests(plan, table[n > 0], findings)
    from trialspec.domain.analyses_effects import binary_effects, effects_note

    more = binary_effects(plan, events, n)
    n_all = cohort(plan, ctx, None, []).sizes.astype(int)
    facts = ProportionFacts(plan.endpoint.name, co.labels, n, events, others, ci, tests, cands,
                            ors, plan.level, more.get("effects", {}), n_all)
    summary = {
        "method": "proportion", "endpoint": plan.endpoint.name, "by": plan.grouped_by,
        "included": int(co.included.sum()), "level": plan.level,
        "groups": [{"label": lab, "n": int(k_n), "events": int(k),
                    "proportion": num(k / k_n) if k_n else None, "ci": [num(lo), num(hi)]}
                   for lab, k_n, k, (lo, hi) in zip(co.labels, n, events, ci, strict=True)],
        "tests": tests, "odds_ratio": ors, **more,
    }
    pct = int(round(plan.level * 100))
    rows = tuple((lab, int(k_n), int(k), f"{100 * k / k_n:.1f}%" if k_n else "NA",
                  f"{100 * lo:.1f}-{100 * hi:.1f}%" if k_n else "NA")
                 for lab, k_n, k, (lo, hi) in zip(co.labels, n, events, ci, strict=True))
    note = "; ".join(x for x in (_tests_note(tests, ors), effects_note(summary, plan.options.get("measure")))
                     if x)
    table_out = Table(_title(plan), ("group", "n", plan.endpoint.name, "%", f"{pct}% CI (exact)"),
                      rows, note or None)
    return AnalysisResult(plan, summary, table_out, findings, facts)


def _title(plan: AnalysisPlan) -> str:
    what = plan.endpoint.name if plan.endpoint else plan.method
    by = f" by {plan.grouped_by}" if plan.grouped_by and plan.grouped_by != "groups" else (
        " by group" if plan.grouped_by else "")
    return f"{plan.id}: {what}{by}" + (f" - {plan.description}" if plan.description else "")


def _table_tests(plan: AnalysisPlan, table: np.ndarray, findings: list[Diagnostic]
                 ) -> tuple[dict[str, dict[str, float | None]], tuple[Any, ...], dict[str, Any]]:
    from trialspec.claims.explain import table_candidates
    from trialspec.stats import tables
    from trialspec.stats.errors import StatsInputError

    if table.shape[0] < 2:
        return {}, (), {}
    try:
        by_name = {c.name: c for c in table_candidates(table)}
    except ValueError:  # not a table of whole counts with two rows or columns
        by_name = {}
    tests: dict[str, dict[str, float | None]] = {}
    for test in plan.tests:
        cand = by_name.get(TESTS["proportion"][test])
        if cand is None:
            why = _why_not(table, test)
            findings.append(finding("TS705", plan, f"{TEST_LABELS[test]} cannot be computed: {why}",
                                    "Use a test defined for this table (Fisher's exact test is)."))
            continue
        df = None if cand.statistic is None else float((table.shape[0] - 1) * (table.shape[1] - 1))
        tests[test] = {"statistic": num(cand.statistic), "df": df, "p": num(cand.p)}
    ors: dict[str, Any] = {}
    if table.shape == (2, 2):
        try:
            w = tables.odds_ratio_wald(table, conf_level=plan.level)
            ors["wald"] = {"estimate": num(w.estimate), "ci": [num(w.conf_low), num(w.conf_high)],
                           "p": num(w.p_value), "corrected": w.corrected,
                           "log_estimate": num(w.log_estimate), "se": num(w.se), "z": num(w.z)}
        except StatsInputError:
            pass
        f = tables.fisher_exact(table, conf_level=plan.level)
        ors["conditional"] = {"estimate": num(f.odds_ratio), "ci": [num(f.conf_low), num(f.conf_high)],
                              "p": num(f.p_value)}
    return tests, tuple(by_name.values()), ors


def _why_not(table: np.ndarray, test: str) -> str:
    from trialspec.stats import tables
    from trialspec.stats.errors import StatsInputError

    if test == "chi2_yates" and table.shape != (2, 2):
        return "Yates' correction applies to 2x2 tables only"
    try:
        tables.chi_square(table, correct=False)
        tables.fisher_exact(table)
    except StatsInputError as err:
        return str(err)
    return f"not defined for a {table.shape[0]}x{table.shape[1]} table"


def _tests_note(tests: dict[str, dict[str, float | None]], ors: dict[str, Any]) -> str:
    parts = []
    for name, r in tests.items():
        stat = "" if r["statistic"] is None else f"{fmt(r['statistic'])} (df {fmt(r['df'])}), "
        parts.append(f"{TEST_LABELS[name]}: {stat}p = {fmt(r['p'])}")
    for name, label in (("wald", "odds ratio (Wald)"), ("conditional", "odds ratio (conditional MLE)")):
        if name in ors and ors[name]["estimate"] is not None:
            lo, hi = ors[name]["ci"]
            parts.append(f"{label} {fmt(ors[name]['estimate'])} [{fmt(lo)}; {fmt(hi)}]")
    return "; ".join(parts)


# -- counts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountFacts:
    """How many subjects each group has (or in all)."""

    labels: tuple[str, ...]
    counts: np.ndarray
    total: int


def counts(plan: AnalysisPlan, ctx: Context) -> AnalysisResult:
    findings: list[Diagnostic] = []
    co = cohort(plan, ctx, None, findings)
    sizes = co.sizes.astype(int)
    total = int(co.included.sum())
    facts = CountFacts(co.labels, sizes, total)
    summary = {"method": "counts", "by": plan.grouped_by, "total": total,
               "groups": [{"label": lab, "n": int(k)} for lab, k in zip(co.labels, sizes, strict=True)]}
    rows = tuple((lab, int(k), f"{100 * k / total:.1f}%" if total else "NA")
                 for lab, k in zip(co.labels, sizes, strict=True))
    if not plan.groups:
        rows = (("all", total, "100.0%" if total else "NA"),)
    return AnalysisResult(plan, summary, Table(_title(plan), ("group", "n", "%"), rows), findings, facts)


# -- summary of a number ------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryFacts:
    """A number per subject summarised by group: n, median, mean, minimum, maximum (and SD,
    quartiles); computed in ``analyses_continuous``."""

    labels: tuple[str, ...]
    n: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    sd: np.ndarray | None = None
    q1: np.ndarray | None = None
    q3: np.ndarray | None = None
    values: tuple[np.ndarray, ...] = ()  # each group's values, for the tests a claim names
    level: float = 0.95
