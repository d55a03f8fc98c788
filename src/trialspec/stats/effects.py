"""Effect measures of two proportions: risk difference, risk ratio, number needed to treat,
and R's ``prop.test`` for k proportions.

- RD: ``p1 - p2`` with the Wald CI (SE from each group's binomial variance, the interval
  ``prop.test(correct = FALSE)`` prints) and Newcombe's hybrid score CI (his method 10, from
  each group's Wilson interval, as ``prop.test(x, n, correct = FALSE)$conf.int`` gives it).
- RR: ``p1 / p2`` with the CI on the log scale; a zero cell adds 1/2 to every cell of the
  table, as ``escalc(measure = "RR")`` does by default.
- NNT: ``1 / RD``; its CI inverts the RD's CI when that excludes 0 (Altman 1998), and is
  unbounded (None) otherwise. A negative NNT is a number needed to harm.
- ``prop_test``: the chi-square test of equal proportions and, for two groups, the CI of
  the difference, each with or without the continuity correction, exactly as R computes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError


@dataclass(frozen=True)
class Effect:
    """An effect with its CI; for ratios ``log_estimate`` and ``se`` are on the log scale."""

    estimate: float
    se: float
    conf_low: float
    conf_high: float
    p_value: float
    log_estimate: float | None = None


@dataclass(frozen=True)
class TwoProportions:
    """Every effect measure of x1/n1 against x2/n2."""

    rd: Effect
    rd_newcombe: tuple[float, float]
    rr: Effect
    nnt: float
    nnt_ci: tuple[float | None, float | None]
    conf_level: float


@dataclass(frozen=True)
class PropTest:
    """``prop.test``: X-squared, df, p, and for two groups the CI of p1 - p2."""

    statistic: float
    df: int
    p_value: float
    conf_int: tuple[float, float] | None
    correct: bool


def _z(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def _check(x: np.ndarray, n: np.ndarray) -> None:
    if (n < 1).any() or (x < 0).any() or (x > n).any() or (x != np.round(x)).any():
        raise StatsInputError("each group needs 0 <= events <= n and n >= 1, in whole numbers")


def wilson(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (``prop.test(x, n, correct = FALSE)$conf.int``)."""
    z = _z(level)
    p = x / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)


def two_proportions(x1: int, n1: int, x2: int, n2: int, *, conf_level: float = 0.95) -> TwoProportions:
    """RD (Wald and Newcombe), RR (log CI) and NNT of group 1 against group 2."""
    level = check_level(conf_level)
    _check(np.array([x1, x2], float), np.array([n1, n2], float))
    z = _z(level)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    p_rd = float(2 * stats.norm.sf(abs(d / se))) if se > 0 else math.nan
    rd = Effect(d, se, d - z * se, d + z * se, p_rd)
    l1, u1 = wilson(x1, n1, level)
    l2, u2 = wilson(x2, n2, level)
    newcombe = (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
                d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    rr = _risk_ratio(x1, n1, x2, n2, z)
    nnt = 1 / d if d != 0 else math.inf
    lo, hi = rd.conf_low, rd.conf_high
    nnt_ci: tuple[float | None, float | None] = (1 / hi, 1 / lo) if lo > 0 or hi < 0 else (None, None)
    return TwoProportions(rd, newcombe, rr, nnt, nnt_ci, level)


def _risk_ratio(x1: int, n1: int, x2: int, n2: int, z: float) -> Effect:
    a, b, c, d = float(x1), float(n1 - x1), float(x2), float(n2 - x2)
    if 0 in (a, b, c, d):
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    if a == 0.5 and c == 0.5:  # no events in either group: not estimable (escalc drops it)
        return Effect(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
    m1, m2 = a + b, c + d
    log_rr = math.log((a / m1) / (c / m2))
    se = math.sqrt(1 / a - 1 / m1 + 1 / c - 1 / m2)
    p = float(2 * stats.norm.sf(abs(log_rr / se)))
    return Effect(math.exp(log_rr), se, math.exp(log_rr - z * se), math.exp(log_rr + z * se), p,
                  log_rr)


def prop_test(x: np.ndarray | list[int], n: np.ndarray | list[int], *, correct: bool = True,
              conf_level: float = 0.95) -> PropTest:
    """``prop.test(x, n, correct)`` for k >= 2 groups (equal proportions, two-sided)."""
    xs, ns = np.asarray(x, float), np.asarray(n, float)
    if xs.shape != ns.shape or xs.ndim != 1 or len(xs) < 2:
        raise StatsInputError("prop.test needs the events and sizes of two or more groups")
    _check(xs, ns)
    level = check_level(conf_level)
    k = len(xs)
    est = xs / ns
    yates = 0.5 if correct and k <= 2 else 0.0
    ci = None
    if k == 2:
        delta = est[0] - est[1]
        yates = min(yates, abs(delta) / float(np.sum(1 / ns)))
        width = _z(level) * math.sqrt(float(np.sum(est * (1 - est) / ns))) + yates * float(np.sum(1 / ns))
        ci = (max(delta - width, -1.0), min(delta + width, 1.0))
    p = xs.sum() / ns.sum()
    obs = np.column_stack([xs, ns - xs])
    exp = np.column_stack([ns * p, ns * (1 - p)])
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = float(np.sum((np.abs(obs - exp) - yates) ** 2 / exp))
    df = k - 1
    return PropTest(stat, df, float(stats.chi2.sf(stat, df)), ci, correct)
