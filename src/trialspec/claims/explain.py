"""Which common computation gives a printed number, the way statcheck explains p-values.

Each explainer computes the candidates (the tests, models or denominators a report could
have used), and for every printed number says whether the planned computation reproduces
it within its rounding interval and, if not, which candidate does and how: as printed, with
the decimal point moved one place, or as a one-sided (halved) p-value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike

from trialspec.claims.values import (
    Bound,
    Claim,
    CountPercent,
    Interval,
    Number,
    Percent,
    as_claim,
)

REPRODUCES, DECIMAL_SHIFT, HALVED, OTHER_DENOMINATOR = (
    "reproduces", "decimal-shift", "one-sided", "other-denominator")

CODE_NOT_REPRODUCED, CODE_OTHER, CODE_DECIMAL, CODE_MIXED = "TS711", "TS712", "TS713", "TS714"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One common computation on the data and what it gives."""

    name: str
    label: str
    statistic: float | None
    p: float | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """A candidate computation that gives a printed number, and how it gives it."""

    candidate: str
    value: float
    how: str  # reproduces | decimal-shift | one-sided | other-denominator
    message: str


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """One printed number against its computation: reproduced, or what else gives it."""

    printed: str
    quantity: str
    planned: str | None
    computed: float | None
    reproduced: bool
    explanations: tuple[Explanation, ...]

    @property
    def code(self) -> str | None:
        """The diagnostic code for this result, or None when it is reproduced."""
        if self.reproduced:
            return None
        hows = {e.how for e in self.explanations}
        if REPRODUCES in hows or HALVED in hows or OTHER_DENOMINATOR in hows:
            return CODE_OTHER
        return CODE_DECIMAL if DECIMAL_SHIFT in hows else CODE_NOT_REPRODUCED


@dataclass(frozen=True, slots=True)
class TestExplanation:
    """A printed test statistic and p-value against every common test of one table."""

    candidates: tuple[Candidate, ...]
    statistic: ClaimResult | None
    p: ClaimResult | None
    same_test: bool | None  # None unless both were printed
    notes: tuple[str, ...]

    @property
    def code(self) -> str | None:
        """TS714 when the statistic and the p-value come from different tests."""
        return CODE_MIXED if self.same_test is False and self.notes else None


def _shifted(printed: Number, value: float) -> int | None:
    """The power of ten (+1: printed too large, -1: too small) by which the printed digits
    are the value's with a misplaced decimal point, or None."""
    if printed.value == 0 or value == 0:
        return None
    for k in (1, -1):
        factor = Decimal(10) ** -k
        scaled = printed.interval.scaled(factor)  # value rounded at the shifted precision
        centre = printed.value * factor  # or rounded at the printed precision, then shifted
        same_digits = Interval(centre - printed.half_unit, centre + printed.half_unit)
        if scaled.contains(value) or same_digits.contains(value):
            return k
    return None


def judge(printed: str | Claim, values: Sequence[tuple[str, str, float | None]], *,
          quantity: str, planned: str | None = None, halves: Sequence[str] = ()) -> ClaimResult:
    """Judge one printed number against candidate values ``(name, label, value)``.

    ``planned`` names the candidate the report should have used; without it, any
    candidate that reproduces the number counts. ``halves``: candidates whose halved value
    is a one-sided p-value.
    """
    c = as_claim(printed)
    if not isinstance(c, Number | Bound | Percent):
        raise TypeError(f"{c.text!r} is not a single printed number")
    iv = c.interval
    found: list[Explanation] = []
    for name, label, value in values:
        if value is None or not np.isfinite(value):
            continue
        if iv.contains(value):
            found.append(Explanation(name, value, REPRODUCES, f"{label} gives {value:.4g}"))
            continue
        k = _shifted(c.number if isinstance(c, Percent) else c, value) \
            if not isinstance(c, Bound) else None
        if k is not None:
            way = "right" if k == 1 else "left"
            found.append(Explanation(
                name, value, DECIMAL_SHIFT,
                f"{label} gives {value:.4g}: {c.text} is that with the decimal point moved "
                f"one place {way} (a factor of {10 ** abs(k)})"))
        elif name in halves and iv.contains(value / 2):
            found.append(Explanation(
                name, value / 2, HALVED,
                f"{label} gives {value:.4g}; {c.text} is its half, a one-sided p-value"))
    found.sort(key=lambda e: (e.how != REPRODUCES, e.candidate != planned))
    by_name = {name: value for name, _, value in values}
    exact = [e for e in found if e.how == REPRODUCES]
    if planned is not None:
        reproduced = any(e.candidate == planned for e in exact)
        computed = by_name.get(planned)
    else:
        reproduced = bool(exact)
        computed = found[0].value if found else None
    return ClaimResult(c.text, quantity, planned, computed, reproduced, tuple(found))


def table_candidates(table: ArrayLike) -> tuple[Candidate, ...]:
    """Every common test of a 2x2 or 2xk table: Pearson chi-square (with and without
    Yates' correction for 2x2), the likelihood-ratio G-test, and Fisher's exact test
    (two-sided; one-sided too for 2x2)."""
    from scipy.stats import chi2_contingency

    from trialspec.stats import tables
    from trialspec.stats.errors import StatsInputError

    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or 2 not in t.shape or min(t.shape) < 2:
        raise ValueError(f"a 2x2, 2xk or kx2 table of counts is needed, not shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("a table holds non-negative whole counts")
    two = t.shape == (2, 2)
    out: list[Candidate] = []

    def add(name: str, label: str, fn: Callable[[], tuple[float | None, float]]) -> None:
        try:
            stat, p = fn()
        except StatsInputError:
            return
        out.append(Candidate(name, label, stat, p))

    def chi(correct: bool) -> tuple[float, float]:
        r = tables.chi_square(t, correct=correct)
        return r.statistic, r.p_value

    def g_test() -> tuple[float, float]:
        tables.chi_square(t, correct=False)  # same validation: no empty row or column
        r = chi2_contingency(t, correction=False, lambda_="log-likelihood")
        return float(r.statistic), float(r.pvalue)

    def fisher(alt: str) -> tuple[None, float]:
        return None, tables.fisher_exact(t, alternative=alt).p_value

    add("pearson_chi2", "Pearson chi-square without Yates' correction", lambda: chi(False))
    if two:
        add("pearson_chi2_yates", "Pearson chi-square with Yates' correction", lambda: chi(True))
    add("likelihood_ratio", "likelihood-ratio G-test", g_test)
    add("fisher", "Fisher's exact test (two-sided)", lambda: fisher("two-sided"))
    if two:
        add("fisher_less", "Fisher's exact test (one-sided, less)", lambda: fisher("less"))
        add("fisher_greater", "Fisher's exact test (one-sided, greater)",
            lambda: fisher("greater"))
    return tuple(out)


_ASYMPTOTIC = ("pearson_chi2", "pearson_chi2_yates", "likelihood_ratio")


def explain_test(table: ArrayLike, statistic: str | Claim | None = None,
                 p: str | Claim | None = None, *, planned: str | None = None) -> TestExplanation:
    """Which test of ``table`` gives the printed statistic and p-value, and whether both
    come from the same test. ``planned`` names the test the protocol plans (a candidate
    name: pearson_chi2, pearson_chi2_yates, likelihood_ratio, fisher, fisher_less, ...)."""
    cands = table_candidates(table)
    by = {c.name: c for c in cands}
    if planned is not None and planned not in by:
        raise ValueError(f"unknown test {planned!r}; one of {', '.join(by)}")
    s_res = p_res = None
    if statistic is not None:
        s_res = judge(statistic, [(c.name, c.label, c.statistic) for c in cands],
                      quantity="statistic",
                      planned=planned if planned and by[planned].statistic is not None else None)
    if p is not None:
        p_res = judge(p, [(c.name, c.label, c.p) for c in cands], quantity="p",
                      planned=planned, halves=_ASYMPTOTIC)
    same, notes = None, []
    if s_res is not None and p_res is not None:
        s_by = [e.candidate for e in s_res.explanations if e.how in (REPRODUCES, DECIMAL_SHIFT)]
        p_by = [e.candidate for e in p_res.explanations if e.how in (REPRODUCES, HALVED)]
        same = bool(set(s_by) & set(p_by))
        if s_by and p_by and not same:
            own = by[s_by[0]].p
            moved = " (its decimal point moved)" if s_res.explanations[0].how == DECIMAL_SHIFT \
                else ""
            notes.append(
                f"the statistic and the p-value come from different tests: {s_res.printed} is "
                f"{by[s_by[0]].label}{moved}, whose own p is {own:.4g}; {p_res.printed} is "
                f"{' or '.join(by[n].label for n in p_by)}")
    return TestExplanation(cands, s_res, p_res, same, tuple(notes))


def explain_percent(printed: str | Claim, count: int, denominators: Mapping[str, int], *,
                    planned: str) -> ClaimResult:
    """Which denominator turns ``count`` into the printed percentage."""
    c = as_claim(printed)
    pct = c.percent if isinstance(c, CountPercent) else c
    if not isinstance(pct, Percent):
        raise TypeError(f"{c.text!r} is not a percentage")
    if planned not in denominators:
        raise ValueError(f"the planned denominator {planned!r} is not among {list(denominators)}")
    values = [(name, f"{count}/{n}", 100 * count / n) for name, n in denominators.items() if n > 0]
    res = judge(pct, values, quantity="percent", planned=planned)
    out = tuple(
        Explanation(e.candidate, e.value, OTHER_DENOMINATOR,
                    f"{e.message}% (a percentage of {e.candidate}, n = "
                    f"{denominators[e.candidate]})")
        if e.how == REPRODUCES and e.candidate != planned else e
        for e in res.explanations)
    return ClaimResult(c.text, "percent", planned, res.computed, res.reproduced, out)
