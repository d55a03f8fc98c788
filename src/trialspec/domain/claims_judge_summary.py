"""Claims on a ``summary`` analysis (a number per subject by group): its descriptive
statistics and the tests that compare the groups.

Paths after the analysis id: ``<group>`` (a median, or ``median (min-max)``), ``n.<group>``
and ``<stat>.<group>`` for every statistic in :data:`STATS`, ``p`` / ``statistic`` (judged
against every planned test) and ``p.<test>`` / ``statistic.<test>`` (``p: {welch: "0.048"}``:
judged against that test only, planned or not). A test claim that no candidate gives says
which other test does (Welch, Student, Wilcoxon exact / normal / without the continuity
correction, ANOVA, Kruskal-Wallis), computed on the analysis's groups by the same runners as
the analysis itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trialspec.claims.explain import ClaimResult
from trialspec.claims.values import MedianRange, Number
from trialspec.domain.analyses_compute import SummaryFacts, fmt
from trialspec.domain.analyses_plan import TESTS, AnalysisPlan
from trialspec.domain.claims_judge import (
    PairFinding,
    Record,
    _did_you_mean,
    _n,
    _Sizes,
    from_result,
    judge_parts,
    judge_planned,
    parse,
    unchecked,
)

STATS = {"median": "median", "mean": "mean", "sd": "sd", "q1": "q1", "q3": "q3",
         "min": "minimum", "max": "maximum"}
"""Claim path head -> the SummaryFacts array of that statistic per group."""
TEST_KEYS = {"p": "p", "statistic": "statistic"}
"""Claim path head -> the key of a test's result that it prints."""
HALVES = ("welch", "student", "wilcoxon_normal", "wilcoxon_nocc")
"""Tests whose p halved is a one-sided p (a candidate explanation of a p too small)."""


@dataclass(frozen=True)
class _Candidate:
    name: str
    label: str
    statistic: float | None
    p: float | None


def _candidates(f: SummaryFacts) -> dict[str, _Candidate]:
    """Every test that applies to the groups (two-group tests only for two), computed."""
    from trialspec.domain.analyses_continuous import RUNNERS, TEST_LABELS, TWO_GROUP
    from trialspec.stats.errors import StatsInputError

    groups = [v for v in f.values if len(v)]
    out: dict[str, _Candidate] = {}
    for name in dict.fromkeys(TESTS["summary"].values()):  # canonical names, in order
        if name in TWO_GROUP and len(groups) != 2:
            continue
        try:
            r = RUNNERS[name](groups, f.level)
        except StatsInputError:
            continue
        out[name] = _Candidate(name, TEST_LABELS[name], r["statistic"], r["p"])
    return out


def judge_summary(plan: AnalysisPlan, f: SummaryFacts, records: Sequence[Record]) -> list[PairFinding]:
    labels = list(f.labels)
    cands: dict[str, _Candidate] | None = None
    for r in records:
        c = parse(r, kind=None)
        if c is None:
            continue
        rest = r.rest
        if rest[:1] and rest[0] in TEST_KEYS and len(rest) <= 2:
            cands = _candidates(f) if cands is None else cands
            _test(plan, r, c, cands, rest[0], rest[1] if len(rest) == 2 else None)
            continue
        stat = rest[0] if rest and (rest[0] in STATS or rest[0] == "n") else None
        tail = rest[1:] if stat else rest
        group = tail[0] if tail else ("all" if labels == ["all"] else None)
        if len(tail) > 1 or group not in labels:
            unchecked(r, f"{r.label}: analysis {plan.id} has no group `{group or ''}`",
                      _did_you_mean(str(group), labels))
            continue
        i = labels.index(group)
        if stat == "n":
            _n(r, c, _Sizes(labels, f.n), i)
            continue
        values = {name: float(arr[i]) for name, attr in STATS.items()
                  if (arr := getattr(f, attr)) is not None}
        planned = stat or "median"
        if isinstance(c, MedianRange):
            cands_r = {name: (f"the {name} ({fmt(values[name])}) with the range",
                              [values[name], values["min"], values["max"]]) for name in ("median", "mean")}
            judge_parts(r, [c.median, c.low, c.high], cands_r, planned if planned in cands_r else "median",
                        lambda v: f"{fmt(v[0])} ({fmt(v[1])}-{fmt(v[2])})")
        elif isinstance(c, Number):
            res = judge_planned(c, [(n, f"the {n}", v) for n, v in values.items()], {planned}, planned)
            from_result(r, res, fmt(values[planned]), f"the {planned}")
        else:
            unchecked(r, f"{r.label}: a summary is a number or `median (min-max)`")
    return []


def _test(plan: AnalysisPlan, r: Record, c: Any, cands: dict[str, _Candidate], which: str,
          named: str | None) -> None:
    from trialspec.domain.claims_judge_tests import per_test_note

    known = TESTS["summary"]
    if named is not None and named not in known:
        unchecked(r, f"{r.label}: `{named}` is not a test of summary analyses",
                  _did_you_mean(named, list(known)))
        return
    if not isinstance(c, Number) and type(c).__name__ not in ("Bound", "Percent"):
        unchecked(r, f"{r.label}: a {which} is a single number (or a bound like `<0.001`)")
        return
    chosen = (named,) if named else plan.tests
    if not chosen:
        unchecked(r, f"{r.label}: analysis {plan.id} plans no test",
                  f"Name the test, e.g. `{which}: {{welch: \"{r.claim.text}\"}}`, or plan it (`tests:`).")
        return
    mine = {known[t] for t in chosen if known[t] in cands and
            getattr(cands[known[t]], which) is not None}
    values = [(n, x.label, getattr(x, which)) for n, x in cands.items()]
    res = judge_planned(c, values, mine, which, halves=HALVES if which == "p" else ())
    if not mine:
        res = ClaimResult(res.printed, which, None, None, False, res.explanations)
    shown = "; ".join(f"{cands[n].label} {fmt(_num(getattr(cands[n], which)))}" for n in sorted(mine)) \
        or f"no test of {plan.id} could be computed"
    from_result(r, res, shown, f"the {'test' if named else 'plan'} ({', '.join(chosen)})")
    per_test_note(r, res, mine, cands, which)


def _num(v: float | None) -> float:
    return float("nan") if v is None else float(v)
