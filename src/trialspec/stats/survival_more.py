"""More time-to-event statistics, as R's survival package computes them: the restricted
mean survival time, the stratified log-rank test, and the Cox model with covariates, strata
and left truncation (entry times).

- ``rmst(curve, tau)``: the area under a Kaplan-Meier curve from 0 to ``tau`` and its SE,
  as ``summary(survfit(...), rmean = tau)$table[, c("rmean", "se(rmean)")]``: the variance
  sums, over event times before tau, the squared area after each time times
  d / (n (n - d)).
- ``rmst_difference(a, b)``: the difference of two groups' RMSTs with the normal CI.
- ``log_rank_stratified(time, event, group, strata)``: ``survdiff(... + strata(s))``.
- ``cox(time, event, x, strata=None, entry=None)``: ``coxph(Surv([entry,] time, event) ~ x
  + strata(s))`` (statsmodels ``PHReg``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError


@dataclass(frozen=True)
class Rmst:
    """Restricted mean survival time up to ``tau``, its SE and normal CI."""

    tau: float
    estimate: float
    se: float
    conf_low: float
    conf_high: float


def rmst(curve: Any, tau: float, *, conf_level: float = 0.95) -> Rmst:
    """``curve`` is a :class:`trialspec.stats.survival.KaplanMeierCurve`."""
    level = check_level(conf_level)
    if not np.isfinite(tau) or tau <= 0:
        raise StatsInputError(f"tau must be a positive time, not {tau}")
    t = np.asarray(curve.time, float)
    s = np.asarray(curve.surv, float)
    keep = t < tau
    t, s = t[keep], s[keep]
    n, d = np.asarray(curve.n_risk, float)[keep], np.asarray(curve.n_event, float)[keep]
    edges = np.concatenate([[0.0], t, [tau]])
    heights = np.concatenate([[1.0], s])
    pieces = heights * np.diff(edges)
    area = float(pieces.sum())
    # area after each time (from that step to tau): the suffix sums of the pieces after it
    after = np.cumsum(pieces[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((d > 0) & (n > d), after ** 2 * d / (n * (n - d)), 0.0)
    se = float(np.sqrt(terms.sum()))
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    return Rmst(float(tau), area, se, area - z * se, area + z * se)


def rmst_difference(a: Rmst, b: Rmst, *, conf_level: float = 0.95) -> dict[str, float]:
    """a - b with SE sqrt(se_a^2 + se_b^2), the normal CI and the z-test's p."""
    level = check_level(conf_level)
    d, se = a.estimate - b.estimate, float(np.hypot(a.se, b.se))
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    p = float(2 * stats.norm.sf(abs(d / se))) if se > 0 else float("nan")
    return {"estimate": d, "se": se, "conf_low": d - z * se, "conf_high": d + z * se, "p": p}


@dataclass(frozen=True)
class ChiSquare:
    statistic: float
    df: int
    p_value: float


def log_rank_stratified(time: ArrayLike, event: ArrayLike, group: ArrayLike, strata: ArrayLike) -> ChiSquare:
    from statsmodels.duration.survfunc import survdiff

    t, e = np.asarray(time, float), np.asarray(event, float)
    g, s = np.asarray(group), np.asarray(strata)
    k = len(np.unique(g))
    if k < 2:
        raise StatsInputError("the log-rank test needs at least two groups")
    chisq = float(survdiff(t, e, g, strata=s)[0])
    return ChiSquare(chisq, k - 1, float(stats.chi2.sf(chisq, k - 1)))


@dataclass(frozen=True)
class Cox:
    """Per covariate: coefficient, SE, hazard ratio, its CI, z and p."""

    names: tuple[str, ...]
    table: np.ndarray  # (p, 7): coef, se, hr, lower, upper, z, p
    n: int
    events: int


def cox(time: ArrayLike, event: ArrayLike, x: ArrayLike, *, names: tuple[str, ...],
        strata: ArrayLike | None = None, entry: ArrayLike | None = None, ties: str = "efron",
        conf_level: float = 0.95) -> Cox:
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    level = check_level(conf_level)
    t, e = np.asarray(time, float), np.asarray(event, float)
    xs = np.asarray(x, float)
    xs = xs[:, None] if xs.ndim == 1 else xs
    if xs.shape[0] != len(t) or not np.isfinite(xs).all() or e.sum() == 0:
        raise StatsInputError("a Cox model needs finite covariates, one row per subject, and events")
    if entry is not None:
        # R's Surv(entry, time) is at risk on (entry, time]; PHReg counts a subject whose
        # entry equals an event time as at risk then: enter just after the entry time
        entry = np.nextafter(np.asarray(entry, float), np.inf)
    model = PHReg(t, xs, status=e, ties=ties, strata=strata, entry=entry)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = model.fit()
        except ConvergenceWarning as err:
            raise StatsInputError("the Cox model did not converge") from err
    coef, se = np.asarray(fit.params, float), np.asarray(fit.bse, float)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    zs = coef / se
    table = np.column_stack([coef, se, np.exp(coef), np.exp(coef - z * se), np.exp(coef + z * se),
                             zs, 2 * stats.norm.sf(np.abs(zs))])
    return Cox(names, table, len(t), int(e.sum()))
