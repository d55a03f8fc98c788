"""Contingency tables: Fisher's exact test, Pearson's chi-square and the Wald odds ratio.

Tables are given as rows of counts. For a 2x2 table ``[[a, b], [c, d]]`` the odds ratio is
``(a * d) / (b * c)``: rows are the two groups and the first column the outcome counted
(or rows the outcome and columns the groups; the odds ratio is the same). R's
``matrix(c(a, c, b, d), 2)`` is this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats import _rcompat
from trialspec.stats._arrays import FloatArray, counts, readonly
from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError

Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES: tuple[Alternative, ...] = ("two-sided", "less", "greater")

MAX_ENUMERATED_TABLES = 2_000_000
"""Above this many tables with the observed margins, the exact 2xk test is refused."""


@dataclass(frozen=True)
class FisherResult:
    """Fisher's exact test; the odds ratio and its CI exist for 2x2 tables only."""

    p_value: float
    alternative: Alternative
    odds_ratio: float | None
    """Conditional maximum likelihood estimate (what ``fisher.test`` reports)."""
    conf_low: float | None
    conf_high: float | None
    conf_level: float


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson's chi-square test of independence."""

    statistic: float
    df: int
    p_value: float
    yates: bool
    """Whether Yates' continuity correction was applied (2x2 tables only)."""
    expected: FloatArray
    min_expected: float
    """The smallest expected count; R warns that the approximation may be poor below 5."""


@dataclass(frozen=True)
class OddsRatio:
    """Sample odds ratio with a Wald CI on the log scale."""

    estimate: float
    log_estimate: float
    se: float
    """Standard error of the log odds ratio."""
    conf_low: float
    conf_high: float
    conf_level: float
    z: float
    p_value: float
    corrected: bool
    """Whether 0.5 was added to every cell because one of them was zero."""


def _table(table: ArrayLike) -> FloatArray:
    t = counts(table, "table", ndim=2)
    if t.shape[0] < 2 or t.shape[1] < 2:
        raise StatsInputError(f"a contingency table needs at least 2 rows and 2 columns, "
                              f"got shape {t.shape}")
    return t


def _alternative(alternative: str) -> Alternative:
    if alternative not in ALTERNATIVES:
        raise StatsInputError(f"alternative must be one of {', '.join(ALTERNATIVES)}, "
                              f"got {alternative!r}")
    return alternative


def fisher_exact(
    table: ArrayLike,
    *,
    alternative: str = "two-sided",
    conf_level: float = 0.95,
    root_tol: float = _rcompat.UNIROOT_TOL,
) -> FisherResult:
    """Fisher's exact test, as R's ``fisher.test``.

    2x2 tables: p-value, conditional MLE of the odds ratio and its exact CI, for any
    ``alternative``. The two-sided p-value sums the tables at most ``1 + 1e-7`` times as
    probable as the observed one. The MLE and CI are roots found the way R finds them
    (:func:`trialspec.stats._rcompat.uniroot` at ``root_tol``, R's default): they reproduce
    ``fisher.test``'s numbers, which are only as precise as that tolerance (off by up to 30%
    from the true root for extreme tables). Pass e.g. ``root_tol=1e-12`` for the precise
    values.

    2xk and kx2 tables: the two-sided p-value only, by enumerating every table with the
    observed margins (R uses the FEXACT network algorithm; the sum is the same). Tables
    with more than two rows and more than two columns go to
    :func:`trialspec.stats.fisher_rxc.fisher_rxc_p_value`; 2xk tables with more than
    :data:`MAX_ENUMERATED_TABLES` candidate tables are refused.
    """
    t = _table(table)
    alt = _alternative(alternative)
    level = check_level(conf_level)
    if t.shape != (2, 2):
        if alt != "two-sided":
            raise StatsInputError("one-sided Fisher tests are defined for 2x2 tables only")
        return FisherResult(p_value=_fisher_2xk_p_value(t), alternative=alt, odds_ratio=None,
                            conf_low=None, conf_high=None, conf_level=level)

    x = int(t[0, 0])
    m, n, k = int(t[:, 0].sum()), int(t[:, 1].sum()), int(t[0].sum())
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)
    nc = _NoncentralHypergeometric(support, logdc, x)

    if alt == "less":
        p_value = float(stats.hypergeom.cdf(x, m + n, m, k))
    elif alt == "greater":
        p_value = float(stats.hypergeom.sf(x - 1, m + n, m, k))
    else:
        d = nc.density(1.0)
        p_value = float(d[d <= d[x - lo] * _rcompat.REL_ERR].sum())
    p_value = min(1.0, max(0.0, p_value))

    def root(f: Callable[[float], float], lower: float) -> float:
        return _rcompat.uniroot(f, lower, 1.0, tol=root_tol)

    alpha = 1 - level
    if alt == "less":
        low, high = 0.0, nc.upper_limit(alpha, root)
    elif alt == "greater":
        low, high = nc.lower_limit(alpha, root), np.inf
    else:
        low, high = nc.lower_limit(alpha / 2, root), nc.upper_limit(alpha / 2, root)
    return FisherResult(p_value=p_value, alternative=alt, odds_ratio=nc.mle(root),
                        conf_low=float(low), conf_high=float(high), conf_level=level)


class _NoncentralHypergeometric:
    """Fisher's noncentral hypergeometric distribution of the (1, 1) cell given the margins,
    with the functions ``fisher.test`` solves for its estimate and limits."""

    def __init__(self, support: np.ndarray, logdc: np.ndarray, x: int) -> None:
        self.support, self.logdc, self.x = support, logdc, x
        self.lo, self.hi = int(support[0]), int(support[-1])

    def density(self, ncp: float) -> np.ndarray:
        d = self.logdc + np.log(ncp) * self.support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if np.isinf(ncp):
            return float(self.hi)
        return float((self.support * self.density(ncp)).sum())

    def cdf(self, ncp: float, *, upper: bool) -> float:
        """P(X <= x), or P(X >= x) when ``upper``, at odds ratio ``ncp``."""
        x = self.x
        if ncp == 0:
            return float(x <= self.lo if upper else x >= self.lo)
        if np.isinf(ncp):
            return float(x <= self.hi if upper else x >= self.hi)
        d = self.density(ncp)
        return float(d[self.support >= x].sum() if upper else d[self.support <= x].sum())

    def mle(self, root: Callable[[Callable[[float], float], float], float]) -> float:
        x = self.x
        if x == self.lo:
            return 0.0
        if x == self.hi:
            return float(np.inf)
        mu = self.mean(1.0)
        if mu > x:
            return root(lambda t: self.mean(t) - x, 0.0)
        if mu < x:
            return 1 / root(lambda t: self.mean(1 / t) - x, _rcompat.EPS)
        return 1.0

    def upper_limit(self, alpha: float, root: Callable[..., float]) -> float:
        if self.x == self.hi:
            return float(np.inf)
        p = self.cdf(1.0, upper=False)
        if p < alpha:
            return root(lambda t: self.cdf(t, upper=False) - alpha, 0.0)
        if p > alpha:
            return 1 / root(lambda t: self.cdf(1 / t, upper=False) - alpha, _rcompat.EPS)
        return 1.0

    def lower_limit(self, alpha: float, root: Callable[..., float]) -> float:
        if self.x == self.lo:
            return 0.0
        p = self.cdf(1.0, upper=True)
        if p > alpha:
            return root(lambda t: self.cdf(t, upper=True) - alpha, 0.0)
        if p < alpha:
            return 1 / root(lambda t: self.cdf(1 / t, upper=True) - alpha, _rcompat.EPS)
        return 1.0


def _fisher_2xk_p_value(t: FloatArray) -> float:
    """Two-sided exact p-value of a 2xk (or kx2) table by enumerating its margins' tables.

    Column by column, the first row's candidate counts are extended and pruned to those
    that can still reach the row total, so the work is one numpy step per column.
    """
    if t.shape[0] != 2:
        if t.shape[1] != 2:  # r x c: scipy has only a Monte Carlo test (stats.fisher_rxc)
            from trialspec.stats.fisher_rxc import fisher_rxc_p_value

            return fisher_rxc_p_value(t)
        t = t.T
    cols = t.sum(axis=0).astype(np.int64)
    r1 = int(t[0].sum())
    r2 = int(t[1].sum())
    low = np.maximum(0, cols - r2)
    high = np.minimum(cols, r1)
    # bounds on what the columns after j can still add to the first row
    rest_low = np.concatenate([np.cumsum(low[::-1])[::-1][1:], [0]])
    rest_high = np.concatenate([np.cumsum(high[::-1])[::-1][1:], [0]])

    partial = np.zeros((1, 0), dtype=np.int64)
    for j in range(len(cols) - 1):  # the last column is fixed by the row total
        values = np.arange(low[j], high[j] + 1)
        if len(partial) * len(values) > MAX_ENUMERATED_TABLES:
            raise StatsInputError(
                f"too many tables with these margins for an exact test (more than "
                f"{MAX_ENUMERATED_TABLES:,}); use the chi-square test instead")
        grown = np.column_stack([np.repeat(partial, len(values), axis=0),
                                 np.tile(values, len(partial))])
        total = grown.sum(axis=1)
        partial = grown[(total + rest_low[j] <= r1) & (total + rest_high[j] >= r1)]
    partial = np.column_stack([partial, r1 - partial.sum(axis=1)])

    log_p = stats.multivariate_hypergeom.logpmf(partial, m=cols, n=r1)
    observed = stats.multivariate_hypergeom.logpmf(t[0].astype(np.int64), m=cols, n=r1)
    p_value = float(np.exp(log_p[log_p <= observed + _rcompat.FEXACT_TOL]).sum())
    return min(1.0, max(0.0, p_value))


def chi_square(table: ArrayLike, *, correct: bool = True) -> ChiSquareResult:
    """Pearson's chi-square test, as R's ``chisq.test(table, correct = correct)``.

    Yates' correction applies to 2x2 tables only (as in R, ``correct`` is ignored for larger
    tables) and never moves a count past its expected value: each ``|O - E|`` is reduced by
    ``min(0.5, |O - E|)``. A table with an empty row or column has no test.
    """
    t = _table(table)
    yates = bool(correct) and t.shape == (2, 2)
    if np.any(t.sum(axis=0) == 0) or np.any(t.sum(axis=1) == 0):
        raise StatsInputError("the chi-square test is undefined for a table with an empty "
                              "row or column (an expected count is zero)")
    res = stats.chi2_contingency(t, correction=yates)
    expected = readonly(np.asarray(res.expected_freq, dtype=np.float64))
    return ChiSquareResult(statistic=float(res.statistic), df=int(res.dof),
                           p_value=float(res.pvalue), yates=yates, expected=expected,
                           min_expected=float(expected.min()))


def odds_ratio_wald(table: ArrayLike, *, conf_level: float = 0.95) -> OddsRatio:
    """The sample odds ratio ``ad / bc`` with a Wald CI and z-test on the log scale.

    As ``metafor::escalc(measure = "OR")`` with its defaults (``add = 1/2, to = "only0"``):
    when any cell is zero, 0.5 is added to all four. SE = sqrt(1/a + 1/b + 1/c + 1/d).
    """
    from statsmodels.stats.contingency_tables import Table2x2

    t = counts(table, "table", ndim=2)
    if t.shape != (2, 2):
        raise StatsInputError(f"an odds ratio needs a 2x2 table, got shape {t.shape}")
    level = check_level(conf_level)
    corrected = bool(np.any(t == 0))
    # statsmodels' own shift_zeros replaces the zero cells by 0.5 instead of adding 0.5 to
    # all four (its docstring says the latter), so the correction is made here.
    tab = Table2x2(t + 0.5 if corrected else t, shift_zeros=False)
    log_or, se = float(tab.log_oddsratio), float(tab.log_oddsratio_se)
    crit = float(stats.norm.isf((1 - level) / 2))
    z = log_or / se
    return OddsRatio(estimate=float(np.exp(log_or)), log_estimate=log_or, se=se,
                     conf_low=float(np.exp(log_or - crit * se)),
                     conf_high=float(np.exp(log_or + crit * se)), conf_level=level, z=z,
                     p_value=float(2 * stats.norm.sf(abs(z))), corrected=corrected)
