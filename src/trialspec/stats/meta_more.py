"""Random-effects extras, as metafor computes them: the prediction interval, the SE of tau^2
and its Q-profile CI, and the Hartung-Knapp(-Sidik-Jonkman) test.

- ``prediction_interval(mu, se, tau2, crit)``: mu +- crit sqrt(tau2 + se^2) (``predict.rma``;
  crit the normal quantile, or t on k - 1 df under Hartung-Knapp).
- ``tau2_se(v, tau2, method)``: ``rma``'s ``se.tau2`` for DL (from the FE projection P) and
  REML (sqrt(2 / sum(P * P)) with P at tau^2).
- ``tau2_ci(y, v)``: the Q-profile CI (``confint.rma``): the tau^2 at which the generalized Q
  equals the chi-square quantiles on k - 1 df, truncated at 0.
- ``knha(y, v, tau2)``: the estimate with the Hartung-Knapp SE, t on k - 1 df, its p and CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError


def _arrays(y: ArrayLike, v: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    ys, vs = np.asarray(y, float), np.asarray(v, float)
    ok = np.isfinite(ys) & np.isfinite(vs)
    ys, vs = ys[ok], vs[ok]
    if len(ys) < 2 or (vs <= 0).any():
        raise StatsInputError("needs two or more studies with positive variances")
    return ys, vs


def prediction_interval(mu: float, se: float, tau2: float, crit: float) -> tuple[float, float]:
    half = crit * float(np.sqrt(tau2 + se ** 2))
    return mu - half, mu + half


def _projection(w: np.ndarray) -> np.ndarray:
    return np.diag(w) - np.outer(w, w) / w.sum()


def tau2_se(v: ArrayLike, tau2: float, method: str) -> float:
    vs = np.asarray(v, float)
    vs = vs[np.isfinite(vs)]
    k = len(vs)
    if method == "DL":
        p = _projection(1 / vs)
        tr = float(np.trace(p))
        t = max(tau2, 0.0)
        return float(np.sqrt((2 * (k - 1) + 4 * t * tr + 2 * t ** 2 * float((p * p).sum())) / tr ** 2))
    if method == "REML":
        p = _projection(1 / (vs + tau2))
        return float(np.sqrt(2 / float((p * p).sum())))
    raise StatsInputError(f"no SE of tau^2 for {method}")


def _q_gen(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1 / (v + tau2)
    mu = (w * y).sum() / w.sum()
    return float((w * (y - mu) ** 2).sum())


def tau2_ci(y: ArrayLike, v: ArrayLike, *, conf_level: float = 0.95) -> tuple[float, float]:
    ys, vs = _arrays(y, v)
    level = check_level(conf_level)
    df = len(ys) - 1
    hi_q, lo_q = stats.chi2.ppf([(1 - level) / 2, 1 - (1 - level) / 2], df)

    def bound(target: float) -> float:
        if _q_gen(ys, vs, 0.0) < target:
            return 0.0
        top = 1.0
        while _q_gen(ys, vs, top) > target:
            top *= 10
            if top > 1e12:
                return float("inf")
        return float(optimize.brentq(lambda t: _q_gen(ys, vs, t) - target, 0.0, top, xtol=1e-14, rtol=1e-14))

    return bound(lo_q), bound(hi_q)


@dataclass(frozen=True)
class Knha:
    """The random-effects estimate with the Hartung-Knapp SE and its t test and CI."""

    estimate: float
    se: float
    statistic: float
    df: int
    p_value: float
    conf_low: float
    conf_high: float
    crit: float


def knha(y: ArrayLike, v: ArrayLike, tau2: float, *, conf_level: float = 0.95) -> Knha:
    ys, vs = _arrays(y, v)
    level = check_level(conf_level)
    w = 1 / (vs + tau2)
    mu = float((w * ys).sum() / w.sum())
    df = len(ys) - 1
    s2w = float((w * (ys - mu) ** 2).sum()) / df
    se = float(np.sqrt(s2w / w.sum()))
    t = mu / se
    crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
    return Knha(mu, se, t, df, float(2 * stats.t.sf(abs(t), df)), mu - crit * se, mu + crit * se, crit)
