"""The Hodges-Lehmann location shift with its confidence interval, as R's
``wilcox.test(x, y, conf.int = TRUE)`` computes them.

- Exact (R's rule: both groups under 50 values and no ties, unless told): the estimate is the
  median of the pairwise differences x_i - y_j and the CI is the pair of order statistics of
  those differences that ``qwilcox(alpha / 2, n_x, n_y)`` picks (Bauer 1972).
- Otherwise the normal approximation inverted: the shifts d at which the tie-corrected
  standardized rank sum of (x - d, y), with the continuity correction when ``correct``,
  crosses the normal quantiles, found by ``uniroot(tol = 1e-4)`` exactly as R's does
  (:func:`trialspec.stats._rcompat.uniroot`, the same iterates); the estimate is the shift
  where the rank sum *without* the continuity correction crosses 0 (R turns the correction
  off before that root), which is near, but not always equal to, the median of the
  differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats._rcompat import EPS, uniroot
from trialspec.stats.errors import StatsInputError

TOL_ROOT = 1e-4
"""``wilcox.test``'s ``tol.root``."""
EXACT_BELOW = 50


@dataclass(frozen=True)
class LocationShift:
    """The location shift x - y: estimate, CI, whether exact, the CI's level."""

    estimate: float
    conf_low: float
    conf_high: float
    exact: bool
    conf_level: float


def wilcox_counts(m: int, n: int) -> list[int]:
    """The number of arrangements giving each W = 0..m*n (the Gaussian binomial coefficient
    [m + n choose m] as a polynomial in q), in exact integers."""
    size = m * n + 1
    poly = np.zeros(size + m + n + 1, dtype=object)
    poly[:] = 0
    poly[0] = 1
    for i in range(1, m + 1):  # multiply by (1 - q^(n + i)) / (1 - q^i)
        shifted = np.zeros_like(poly)
        shifted[:] = 0
        shifted[n + i:] = poly[:len(poly) - n - i]
        poly = poly - shifted
        for r in range(i):  # divide by (1 - q^i): a running sum with stride i
            poly[r::i] = np.cumsum(poly[r::i])
    return [int(v) for v in poly[:size]]


def qwilcox(p: float, m: int, n: int) -> int:
    """R's ``qwilcox(p, m, n)`` (lower tail): the least q with P(W <= q) >= p, accumulated
    in doubles as R's nmath does."""
    if p <= 0:
        return 0
    if p >= 1:
        return m * n
    counts = wilcox_counts(m, n)
    c = float(sum(counts))
    acc, q = 0.0, 0
    if p <= 0.5:
        x = p - 10 * EPS
        while True:
            acc += counts[q] / c
            if acc >= x:
                return q
            q += 1
    x = 1 - p + 10 * EPS
    while True:
        acc += counts[q] / c
        if acc > x:
            return m * n - q
        q += 1


def location_shift(x: ArrayLike, y: ArrayLike, *, exact: bool | None = None, correct: bool = True,
                   conf_level: float = 0.95) -> LocationShift:
    """``wilcox.test(x, y, exact, correct, conf.int = TRUE, conf.level)``'s estimate and CI."""
    a = np.asarray(x, np.float64)
    b = np.asarray(y, np.float64)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        raise StatsInputError("a location shift needs values in both groups")
    level = check_level(conf_level)
    alpha = 1 - level
    ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
    if exact is None:
        exact = len(a) < EXACT_BELOW and len(b) < EXACT_BELOW
    if exact and not ties:
        return _exact(a, b, alpha, level)
    return _normal(a, b, alpha, level, correct)


def _exact(a: np.ndarray, b: np.ndarray, alpha: float, level: float) -> LocationShift:
    m, n = len(a), len(b)
    diffs = np.sort(np.subtract.outer(a, b).ravel())
    qu = qwilcox(alpha / 2, m, n)
    qu = qu or 1
    ql = m * n - qu
    return LocationShift(float(np.median(diffs)), float(diffs[qu - 1]), float(diffs[ql]), True, level)


def _tie_term(t: np.ndarray) -> float:
    """sum(t^3 - t) over tie groups of sizes t (exact in doubles for counts below 2^17)."""
    f = t.astype(np.float64)
    return float((f**3 - f).sum())


def _normal(a: np.ndarray, b: np.ndarray, alpha: float, level: float, correct: bool) -> LocationShift:
    nx, ny = float(len(a)), float(len(b))

    xs, ys = np.sort(a), np.sort(b)
    _, y_ties = np.unique(ys, return_counts=True)
    y_term = _tie_term(y_ties)

    def w(d: float, correct: bool = correct) -> float:
        """R's W(d): the standardized rank sum of (x - d) among (x - d, y), by binary searches
        on the sorted groups (x - d stays sorted), not a sort per call."""
        xd = xs - d
        new = np.empty(len(xd), bool)
        new[0], new[1:] = True, xd[1:] != xd[:-1]
        starts = np.flatnonzero(new)  # each distinct x - d: where its run starts, its size
        cx = np.diff(np.append(starts, len(xd)))
        ux = xd[starts]
        ly = np.searchsorted(ys, ux, "left")
        cy = np.searchsorted(ys, ux, "right") - ly
        # the run's average rank among both groups, times its size (exact halves)
        rank_sum = float((cx * (starts + ly + (cx + cy + 1) / 2)).sum())
        ties = _tie_term(cx + cy) + y_term - _tie_term(cy)
        dz = rank_sum - nx * (nx + 1) / 2 - nx * ny / 2
        corr = float(np.sign(dz)) * 0.5 if correct else 0.0
        sigma = np.sqrt((nx * ny / 12) * ((nx + ny + 1) - ties / ((nx + ny) * (nx + ny - 1))))
        if sigma == 0:
            raise StatsInputError("a confidence interval cannot be computed: every value ties")
        return float((dz - corr) / sigma)

    mumin, mumax = float(a.min() - b.max()), float(a.max() - b.min())
    w_min, w_max = w(mumin), w(mumax)

    def root(zq: float) -> float:
        if w_min - zq <= 0:
            return mumin
        if w_max - zq >= 0:
            return mumax
        return uniroot(lambda d: w(d) - zq, mumin, mumax, tol=TOL_ROOT)

    lo = root(float(stats.norm.isf(alpha / 2)))
    hi = root(float(stats.norm.ppf(alpha / 2)))
    # R sets `correct <- FALSE` before this root, and W reads it when called: the estimate is
    # the uncorrected rank sum's zero whatever `correct` was
    est = uniroot(lambda d: w(d, False), mumin, mumax, tol=TOL_ROOT)
    return LocationShift(est, lo, hi, False, level)
