"""A number per subject compared between groups: summaries, t-tests, Wilcoxon rank-sum,
one-way ANOVA and Kruskal-Wallis, as R computes them.

- ``describe``: n, mean, SD (n - 1), median, Q1 and Q3 by R's ``quantile(type = 7)`` (numpy's
  default linear interpolation), min, max.
- ``t_test``: ``t.test(x, y, var.equal)``: Welch (default) or Student; the difference of
  means ``x - y``, its SE and CI.
- ``wilcoxon``: ``wilcox.test(x, y, exact, correct)``: W is the rank sum of x minus
  n_x(n_x + 1)/2; exact when R is (both groups under 50 and no ties) unless told, else the
  normal approximation with the tie correction, with or without the continuity correction.
  The Hodges-Lehmann estimate is the median of the pairwise differences x_i - y_j (R's
  ``conf.int = TRUE`` estimate when exact).
- ``anova_oneway``: ``aov(y ~ g)``'s F test; ``kruskal``: ``kruskal.test`` (tie-corrected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError

EXACT_BELOW = 50
"""R's wilcox.test is exact when both groups have fewer than 50 values and none tie."""


@dataclass(frozen=True)
class Description:
    """n, mean, SD, median, quartiles (type 7), minimum and maximum."""

    n: int
    mean: float
    sd: float
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class TTest:
    """``t.test``: t, df, p, the difference of means x - y, its SE and CI."""

    statistic: float
    df: float
    p_value: float
    estimate: float
    se: float
    conf_low: float
    conf_high: float
    equal_var: bool


@dataclass(frozen=True)
class RankSum:
    """``wilcox.test``: W, p, whether exact, the continuity correction, Hodges-Lehmann."""

    statistic: float
    p_value: float
    exact: bool
    correct: bool
    hodges_lehmann: float


@dataclass(frozen=True)
class KSample:
    """An F or chi-square test of k groups: statistic, degrees of freedom, p."""

    statistic: float
    df: tuple[float, ...]
    p_value: float


def _values(x: ArrayLike, name: str, at_least: int = 1) -> np.ndarray:
    v = np.asarray(x, dtype=np.float64)
    if v.ndim != 1 or len(v) < at_least or not np.isfinite(v).all():
        raise StatsInputError(f"{name} needs at least {at_least} finite value(s)")
    return v


def describe(x: ArrayLike) -> Description:
    v = _values(x, "a summary")
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
    sd = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
    return Description(len(v), float(v.mean()), sd, float(med), float(q1), float(q3),
                       float(v.min()), float(v.max()))


def t_test(x: ArrayLike, y: ArrayLike, *, equal_var: bool = False, conf_level: float = 0.95) -> TTest:
    a, b = _values(x, "a t-test", 2), _values(y, "a t-test", 2)
    level = check_level(conf_level)
    res = stats.ttest_ind(a, b, equal_var=equal_var)
    ci = res.confidence_interval(confidence_level=level)
    diff = float(a.mean() - b.mean())
    se = diff / float(res.statistic) if res.statistic else float("nan")
    return TTest(float(res.statistic), float(res.df), float(res.pvalue), diff, se,
                 float(ci.low), float(ci.high), equal_var)


def wilcoxon(x: ArrayLike, y: ArrayLike, *, exact: bool | None = None, correct: bool = True) -> RankSum:
    a, b = _values(x, "a rank-sum test"), _values(y, "a rank-sum test")
    ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
    if exact is None:
        exact = len(a) < EXACT_BELOW and len(b) < EXACT_BELOW and not ties
    if exact and ties:
        exact = False  # R falls back to the normal approximation ("cannot compute exact")
    method = "exact" if exact else "asymptotic"
    res = stats.mannwhitneyu(a, b, alternative="two-sided", method=method, use_continuity=correct)
    hl = hodges_lehmann(a, b)
    return RankSum(float(res.statistic), float(res.pvalue), exact, correct and not exact, hl)


OUTER_LIMIT = 4_000_000
"""Above this many pairs, the Hodges-Lehmann median is found by bisection, not by forming
every difference (50,000 x 50,000 differences would take 20 GB)."""


def hodges_lehmann(a: np.ndarray, b: np.ndarray) -> float:
    """The median of the differences a_i - b_j."""
    if len(a) * len(b) <= OUTER_LIMIT:
        return float(np.median(np.subtract.outer(a, b)))
    ys = np.sort(b)
    a = np.sort(a)  # sorted needles: numpy's binary search starts from the previous hit
    total = len(a) * len(b)

    def kth(k: int) -> float:
        """The k-th smallest difference (1-based): the least d with #(a_i - b_j <= d) >= k."""
        lo, hi = float(a.min() - ys[-1]), float(a.max() - ys[0])
        for _ in range(200):
            mid = lo + (hi - lo) / 2
            if mid in (lo, hi):
                break
            count = int(np.searchsorted(ys, a - mid, side="left").sum())  # b_j < a_i - mid
            if total - count >= k:  # differences <= mid
                hi = mid
            else:
                lo = mid
        return hi

    half = total // 2
    return kth(half + 1) if total % 2 else (kth(half) + kth(half + 1)) / 2


def anova_oneway(groups: Sequence[ArrayLike]) -> KSample:
    gs = [_values(g, "an ANOVA") for g in groups]
    if len(gs) < 2:
        raise StatsInputError("an ANOVA needs two or more groups")
    n = sum(len(g) for g in gs)
    if n <= len(gs):
        raise StatsInputError("an ANOVA needs more values than groups")
    res = stats.f_oneway(*gs)
    return KSample(float(res.statistic), (float(len(gs) - 1), float(n - len(gs))), float(res.pvalue))


def kruskal(groups: Sequence[ArrayLike]) -> KSample:
    gs = [_values(g, "a Kruskal-Wallis test") for g in groups]
    if len(gs) < 2:
        raise StatsInputError("a Kruskal-Wallis test needs two or more groups")
    if len(np.unique(np.concatenate(gs))) < 2:
        raise StatsInputError("a Kruskal-Wallis test needs values that differ")
    res = stats.kruskal(*gs)
    return KSample(float(res.statistic), (float(len(gs) - 1),), float(res.pvalue))
