"""Tests of categorical tables beyond one 2xk table: the Cochran-Armitage trend test,
Cochran-Mantel-Haenszel with the MH common odds ratio and the Breslow-Day test of equal odds
ratios (statsmodels ``StratifiedTable``), and McNemar's test, as R computes them.

- ``trend(events, totals, scores)``: ``prop.trend.test``: the weighted regression of the
  proportions on the scores (weights n / (p(1-p))), chi-square on 1 df.
- ``cmh(tables)``: ``mantelhaen.test`` of 2x2xK tables: the statistic with or without the
  continuity correction, the MH common odds ratio and its CI (Robins-Breslow-Greenland
  variance); ``breslow_day`` and ``tarone`` (Breslow-Day with Tarone's adjustment), K - 1 df.
- ``mcnemar(table)``: ``mcnemar.test`` of a paired 2x2 table, with or without the correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError


@dataclass(frozen=True)
class ChiSquare:
    """A chi-square statistic, its degrees of freedom and its upper-tail p."""

    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True)
class Cmh:
    """``mantelhaen.test`` of 2x2xK tables, and the Breslow-Day test."""

    statistic: float
    p_value: float
    correct: bool
    odds_ratio: float
    conf_low: float
    conf_high: float
    breslow_day: ChiSquare
    tarone: ChiSquare


def _chi2(stat: float, df: float) -> ChiSquare:
    return ChiSquare(float(stat), float(df), float(stats.chi2.sf(stat, df)))


def trend(events: ArrayLike, totals: ArrayLike, scores: ArrayLike | None = None) -> ChiSquare:
    x, n = np.asarray(events, np.float64), np.asarray(totals, np.float64)
    s = np.arange(1.0, len(x) + 1) if scores is None else np.asarray(scores, np.float64)
    shapes = x.shape == n.shape == s.shape
    if len(x) < 2 or not shapes or (n <= 0).any() or (x < 0).any() or (x > n).any():
        raise StatsInputError("a trend test needs two or more groups, each with 0 <= events <= n, n > 0")
    p = x.sum() / n.sum()
    if p in (0.0, 1.0):
        raise StatsInputError("a trend test needs both outcomes among the subjects")
    w = n / (p * (1 - p))
    f = x / n
    sw, fw = np.sum(w * s) / w.sum(), np.sum(w * f) / w.sum()
    den = np.sum(w * (s - sw) ** 2)
    if den == 0:
        raise StatsInputError("a trend test needs scores that differ")
    return _chi2(np.sum(w * (s - sw) * (f - fw)) ** 2 / den, 1)


def cmh(tables: ArrayLike, *, correct: bool = True, conf_level: float = 0.95) -> Cmh:
    from statsmodels.stats.contingency_tables import StratifiedTable

    t = np.asarray(tables, np.float64)
    if t.ndim != 3 or t.shape[1:] != (2, 2) or len(t) < 1 or (t < 0).any():
        raise StatsInputError("a Cochran-Mantel-Haenszel test needs K 2x2 tables of counts")
    level = check_level(conf_level)
    st = StratifiedTable(np.moveaxis(t, 0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero margin: inf / nan, as R gives
        null = st.test_null_odds(correction=correct)
        lo, hi = st.oddsratio_pooled_confint(alpha=1 - level)
        df = len(t) - 1
        bd = st.test_equal_odds(adjust=False)
        ta = st.test_equal_odds(adjust=True)
    # the upper tail, not statsmodels' 1 - cdf (which is 0 below 1e-16)
    p = float(stats.chi2.sf(null.statistic, 1))
    return Cmh(float(null.statistic), p, correct, float(st.oddsratio_pooled),
               float(lo), float(hi), _chi2(bd.statistic, df), _chi2(ta.statistic, df))


def mcnemar(table: ArrayLike, *, correct: bool = True) -> ChiSquare:
    t = np.asarray(table, np.float64)
    if t.shape != (2, 2) or (t < 0).any():
        raise StatsInputError("McNemar's test needs a 2x2 table of paired counts")
    b, c = t[0, 1], t[1, 0]
    if b + c == 0:
        raise StatsInputError("McNemar's test needs discordant pairs")
    num = (abs(b - c) - 1) ** 2 if correct else (b - c) ** 2
    return _chi2(num / (b + c), 1)


def cmh_general(tables: ArrayLike) -> ChiSquare:
    """``mantelhaen.test`` of K r x c tables (K, r, c): the generalized CMH statistic of
    general association, (r - 1)(c - 1) df. Each stratum needs two or more subjects."""
    t = np.asarray(tables, np.float64)
    if t.ndim != 3 or min(t.shape[1:]) < 2 or (t < 0).any():
        raise StatsInputError("a generalized CMH test needs K r x c tables of counts, r, c >= 2")
    totals = t.sum(axis=(1, 2))
    if (totals < 2).any():
        raise StatsInputError("each stratum of a CMH test needs at least two subjects")
    n_rows, n_cols = t.shape[1], t.shape[2]
    rows = t.sum(axis=2)[:, :-1]  # (K, r-1)
    cols = t.sum(axis=1)[:, :-1]  # (K, c-1)
    # R vectorizes column-major: the cell (i, j) of the (r-1) x (c-1) block is at j*(r-1) + i
    observed = t[:, :-1, :-1].transpose(0, 2, 1).reshape(len(t), -1).sum(axis=0)
    expected = (np.einsum("kj,ki->kji", cols, rows) / totals[:, None, None]).reshape(len(t), -1).sum(axis=0)
    n_k = totals[:, None, None]
    a = n_k * np.einsum("kj,jl->kjl", cols, np.eye(n_cols - 1)) - np.einsum("kj,kl->kjl", cols, cols)
    b = n_k * np.einsum("ki,il->kil", rows, np.eye(n_rows - 1)) - np.einsum("ki,kl->kil", rows, rows)
    scale = (totals ** 2 * (totals - 1))[:, None, None, None, None]
    v = (np.einsum("kjl,kim->kjilm", a, b) / scale).sum(axis=0)
    d = (n_cols - 1) * (n_rows - 1)
    v = v.reshape(d, d)
    diff = observed - expected
    try:
        stat = float(diff @ np.linalg.solve(v, diff))
    except np.linalg.LinAlgError as err:
        raise StatsInputError("the CMH variance is singular (a level is empty in every stratum)") from err
    return _chi2(stat, d)
