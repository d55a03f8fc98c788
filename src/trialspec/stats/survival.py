"""Survival analysis: Kaplan-Meier curves with medians, the log-rank test, Cox regression.

Kaplan-Meier follows R's ``survival::survfit`` row for row (one row per distinct time,
censored or not), with Greenwood's variance and the ``conf.type`` CIs "log" (R's default),
"log-log" and "plain". Medians and their CIs follow ``print.survfit`` /
``summary(fit)$table``. Everything over the data is numpy cumulative operations on the
distinct times; the only Python loop runs over groups.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import FloatArray, finite, floats, readonly, same_length
from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError

ConfType = Literal["log", "log-log", "plain"]
CONF_TYPES: tuple[ConfType, ...] = ("log", "log-log", "plain")
Ties = Literal["efron", "breslow"]

_MEDIAN_TOL = float(np.finfo(np.float64).eps) ** 0.5
"""survfit's tolerance for "S(t) is exactly 0.5"."""


@dataclass(frozen=True, eq=False)
class SurvivalAt:
    """A Kaplan-Meier curve read at chosen times, as ``summary(fit, times = ...)``."""

    time: FloatArray
    n_risk: FloatArray
    surv: FloatArray
    std_err: FloatArray
    """Standard error of S(t) (Greenwood)."""
    lower: FloatArray
    upper: FloatArray


@dataclass(frozen=True, eq=False)
class KaplanMeierCurve:
    """One Kaplan-Meier curve: one row per distinct time, as the arrays of a survfit object.

    Undefined CI limits (R's NA: log CIs where S = 0, log-log CIs where S is 0 or 1) are nan.
    """

    group: Hashable | None
    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    surv: FloatArray
    std_err: FloatArray
    """Standard error of S(t): S(t) times ``std_err_log``."""
    std_err_log: FloatArray
    """Standard error of -log S(t) (what a survfit object stores as ``std.err``)."""
    lower: FloatArray
    upper: FloatArray
    conf_type: ConfType
    conf_level: float
    n: int
    events: int
    median: float | None
    """None when the curve never falls to 0.5 ("not reached")."""
    median_lower: float | None
    median_upper: float | None

    def at(self, times: ArrayLike) -> SurvivalAt:
        """S(t), its SE and CI at ``times`` (the curve is a right-continuous step function;
        before the first time S = 1 with CI [1, 1])."""
        t = finite(np.atleast_1d(floats(times, "times")), "times")
        row = np.searchsorted(self.time, t, side="right") - 1
        before = row < 0
        row = np.maximum(row, 0)
        nxt = np.searchsorted(self.time, t, side="left")
        n_risk = np.where(nxt < len(self.time),
                          self.n_risk[np.minimum(nxt, len(self.time) - 1)], 0.0)
        return SurvivalAt(
            time=readonly(t), n_risk=readonly(n_risk),
            surv=readonly(np.where(before, 1.0, self.surv[row])),
            std_err=readonly(np.where(before, 0.0, self.std_err[row])),
            lower=readonly(np.where(before, 1.0, self.lower[row])),
            upper=readonly(np.where(before, 1.0, self.upper[row])))


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """Kaplan-Meier curves, one per group (a single curve with group None if ungrouped)."""

    curves: tuple[KaplanMeierCurve, ...]
    conf_type: ConfType
    conf_level: float

    @property
    def groups(self) -> tuple[Hashable | None, ...]:
        return tuple(c.group for c in self.curves)

    def curve(self, group: Hashable | None = None) -> KaplanMeierCurve:
        """The curve of ``group`` (or the only curve)."""
        for c in self.curves:
            if c.group == group or (group is None and len(self.curves) == 1):
                return c
        raise KeyError(group)


@dataclass(frozen=True, eq=False)
class LogRank:
    """The log-rank test of equal survival across groups."""

    chisq: float
    df: int
    p_value: float
    groups: tuple[Hashable, ...]
    n: FloatArray
    observed: FloatArray
    expected: FloatArray


@dataclass(frozen=True, eq=False)
class CoxModel:
    """A Cox proportional hazards fit: one entry per covariate in each array."""

    names: tuple[str, ...]
    coef: FloatArray
    se: FloatArray
    hazard_ratio: FloatArray
    conf_low: FloatArray
    conf_high: FloatArray
    z: FloatArray
    p_value: FloatArray
    """Wald test per coefficient."""
    loglik_null: float
    loglik: float
    conf_level: float
    ties: Ties
    n: int
    events: int


def _survival_data(time: ArrayLike, event: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = finite(time, "time")
    e = finite(event, "event")
    same_length([("time", t), ("event", e)])
    if len(t) == 0:
        raise StatsInputError("no observations")
    if not np.all((e == 0) | (e == 1)):
        raise StatsInputError("event must be 0 (censored) or 1 (event), or boolean")
    return t, e


def _groups(group: ArrayLike, n: int) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(group)
    if g.ndim != 1 or len(g) != n:
        raise StatsInputError(f"group must be 1-dimensional with one value per observation "
                              f"({n}), got shape {g.shape}")
    try:
        return np.unique(g, return_inverse=True)
    except TypeError as err:
        raise StatsInputError("group values must be all numbers or all strings") from err


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike | None = None,
    *,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    entry: ArrayLike | None = None,
) -> KaplanMeier:
    """Kaplan-Meier curves, as ``survfit(Surv(time, event) ~ group, conf.type, conf.int)``.

    ``event`` is 1 (or True) for an event, 0 for a censoring. Groups come out in sorted
    order, as R's factor levels for numbers. With ``entry`` (left truncation, as
    ``Surv(entry, time, event)``) a subject is at risk at t when entry < t <= time.
    """
    t, e = _survival_data(time, event)
    ent = None if entry is None else floats(entry, "entry")
    if ent is not None and (ent.shape != t.shape or not np.all(np.isfinite(ent)) or np.any(ent >= t)):
        raise StatsInputError("each entry time must be known and before its subject's time")
    if conf_type not in CONF_TYPES:
        raise StatsInputError(f"conf_type must be one of {', '.join(CONF_TYPES)}, "
                              f"got {conf_type!r}")
    level = check_level(conf_level)
    z = float(stats.norm.isf((1 - level) / 2))
    curves: tuple[KaplanMeierCurve, ...]
    if group is None:
        curves = (_km_curve(None, t, e, z, conf_type, level, ent),)
    else:
        labels, index = _groups(group, len(t))
        curves = tuple(_km_curve(label.item() if hasattr(label, "item") else label,
                                 t[index == i], e[index == i], z, conf_type, level,
                                 None if ent is None else ent[index == i])
                       for i, label in enumerate(labels))
    return KaplanMeier(curves=curves, conf_type=conf_type, conf_level=level)


def _km_curve(group: Hashable | None, t: FloatArray, e: FloatArray, z: float,
              conf_type: ConfType, level: float, entry: FloatArray | None = None) -> KaplanMeierCurve:
    times, index = np.unique(t, return_inverse=True)
    n_event = np.bincount(index, weights=e, minlength=len(times)).astype(np.float64)
    n_all = np.bincount(index, minlength=len(times)).astype(np.float64)
    n_risk = np.cumsum(n_all[::-1])[::-1]
    if entry is not None:  # not yet entered at t: entry >= t
        n_risk = n_risk - (len(entry) - np.searchsorted(np.sort(entry), times, side="left"))
    surv = np.cumprod(1.0 - n_event / n_risk).astype(np.float64, copy=False)
    # Greenwood: var(-log S) = sum d / (n (n - d)); infinite once everyone at risk has died
    survivors = n_risk - n_event
    term = np.divide(n_event, n_risk * survivors, out=np.full_like(n_event, np.inf),
                     where=survivors > 0)
    std_err_log = np.sqrt(np.cumsum(term))
    std_err = np.multiply(surv, std_err_log, out=np.full_like(surv, np.nan), where=surv > 0)
    lower, upper = _confidence_band(surv, std_err_log, z, conf_type)
    median = _first_at_or_below_half(surv, times)
    return KaplanMeierCurve(
        group=group, time=readonly(times), n_risk=readonly(n_risk),
        n_event=readonly(n_event), n_censor=readonly(n_all - n_event), surv=readonly(surv),
        std_err=readonly(std_err), std_err_log=readonly(std_err_log), lower=readonly(lower),
        upper=readonly(upper), conf_type=conf_type, conf_level=level, n=len(t),
        events=int(e.sum()), median=median,
        median_lower=_first_at_or_below_half(lower, times),
        median_upper=_first_at_or_below_half(upper, times))


def _confidence_band(surv: FloatArray, se: FloatArray, z: float,
                     conf_type: ConfType) -> tuple[FloatArray, FloatArray]:
    """survival:::survfit_confint for a Kaplan-Meier curve (se is that of -log S)."""
    nan = np.full_like(surv, np.nan)
    if conf_type == "plain":
        half = np.multiply(se * z, surv, out=nan.copy(), where=surv > 0)
        return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
    if conf_type == "log":
        ok = surv > 0
        log_s = np.log(surv, out=nan.copy(), where=ok)
        lower = np.exp(log_s - z * se, out=nan.copy(), where=ok)
        return lower, np.minimum(np.exp(log_s + z * se, out=nan.copy(), where=ok), 1.0)
    ok = (surv > 0) & (surv < 1)  # log-log: undefined at 0 and 1
    log_s = np.log(surv, out=nan.copy(), where=ok)
    loglog = np.log(-log_s, out=nan.copy(), where=ok)
    half = np.divide(z * se, log_s, out=nan.copy(), where=ok)
    lower = np.exp(-np.exp(loglog - half, out=nan.copy(), where=ok), out=nan.copy(), where=ok)
    upper = np.exp(-np.exp(loglog + half, out=nan.copy(), where=ok), out=nan.copy(), where=ok)
    return lower, upper


def _first_at_or_below_half(curve: FloatArray, times: FloatArray) -> float | None:
    """The first time a curve is <= 0.5, as survfit's median (``minmin`` in
    ``survival:::survmean``).

    If the curve sits at 0.5 (within sqrt(machine eps)) there, the median is the midpoint
    between that time and the time the curve next drops; if it never drops again, the
    first time. Missing CI values are skipped; None if the curve never reaches 0.5.
    """
    keep = ~np.isnan(curve) & (curve < 0.5 + _MEDIAN_TOL)
    if not keep.any():
        return None
    y, x = curve[keep], times[keep]
    lower = y < y[0]
    if abs(y[0] - 0.5) < _MEDIAN_TOL and lower.any():
        return float((x[0] + x[np.argmax(lower)]) / 2)
    return float(x[0])


def log_rank(time: ArrayLike, event: ArrayLike, group: ArrayLike) -> LogRank:
    """The log-rank test, as ``survdiff(Surv(time, event) ~ group)``.

    The statistic is statsmodels' ``survdiff`` (hypergeometric variance, any number of
    groups); the p-value is the chi-square upper tail on groups - 1 df. Observed and
    expected events per group are as ``survdiff``'s ``obs`` and ``exp``.
    """
    from statsmodels.duration.survfunc import survdiff

    t, e = _survival_data(time, event)
    labels, g = _groups(group, len(t))
    if len(labels) < 2:
        raise StatsInputError("the log-rank test needs at least two groups")
    times, ti = np.unique(t, return_inverse=True)
    shape = (len(times), len(labels))
    flat = ti * len(labels) + g
    d = np.bincount(flat, weights=e, minlength=shape[0] * shape[1]).reshape(shape)
    at_risk = np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape).astype(float)
    at_risk = np.cumsum(at_risk[::-1], axis=0)[::-1]
    expected = (d.sum(axis=1) / at_risk.sum(axis=1)) @ at_risk
    chisq = float(survdiff(t, e, g)[0])
    df = len(labels) - 1
    return LogRank(chisq=chisq, df=df, p_value=float(stats.chi2.sf(chisq, df)),
                   groups=tuple(x.item() if hasattr(x, "item") else x for x in labels),
                   n=readonly(np.bincount(g).astype(float)), observed=readonly(d.sum(axis=0)),
                   expected=readonly(expected))


def cox_ph(
    time: ArrayLike,
    event: ArrayLike,
    covariates: ArrayLike,
    *,
    names: tuple[str, ...] | None = None,
    ties: Ties = "efron",
    conf_level: float = 0.95,
) -> CoxModel:
    """Cox regression, as ``coxph(Surv(time, event) ~ covariates, ties = ties)``.

    ``covariates`` is one column (1-d) or one column per covariate (n x p), numeric (code
    factors as 0/1 yourself). Hazard ratios are ``exp(coef)`` with Wald CIs and z-tests,
    as ``summary(coxph)``. Fitted with statsmodels' ``PHReg``.
    """
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    t, e = _survival_data(time, event)
    x = floats(covariates, "covariates")
    x = x[:, None] if x.ndim == 1 else x
    if x.ndim != 2 or x.shape[0] != len(t) or x.shape[1] == 0:
        raise StatsInputError(f"covariates must have one row per observation ({len(t)}), "
                              f"got shape {np.shape(covariates)}")
    if not np.all(np.isfinite(x)):
        raise StatsInputError("covariates have missing or infinite values")
    if ties not in ("efron", "breslow"):
        raise StatsInputError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if e.sum() == 0:
        raise StatsInputError("a Cox model needs at least one event")
    level = check_level(conf_level)
    labels = names or tuple(f"x{i + 1}" for i in range(x.shape[1]))
    if len(labels) != x.shape[1]:
        raise StatsInputError(f"{len(labels)} names for {x.shape[1]} covariates")

    model = PHReg(t, x, status=e, ties=ties)
    with warnings.catch_warnings():
        # non-convergence is an answer here (see below), not a warning to pass on
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fit = model.fit()
        except ConvergenceWarning:
            fit = None
    if fit is None or not np.all(np.isfinite(fit.bse)):
        raise StatsInputError(
            "the Cox model did not converge: the partial likelihood has no maximum, as when "
            "a covariate separates those with events from those without (the hazard ratio "
            "is 0 or infinite); R's coxph warns and prints an arbitrary large coefficient")
    coef = np.asarray(fit.params, dtype=np.float64)
    se = np.asarray(fit.bse, dtype=np.float64)
    crit = float(stats.norm.isf((1 - level) / 2))
    zval = coef / se
    return CoxModel(
        names=tuple(labels), coef=readonly(coef), se=readonly(se),
        hazard_ratio=readonly(np.exp(coef)), conf_low=readonly(np.exp(coef - crit * se)),
        conf_high=readonly(np.exp(coef + crit * se)), z=readonly(zval),
        p_value=readonly(2 * stats.norm.sf(np.abs(zval))),
        loglik_null=float(model.loglike(np.zeros(x.shape[1]))), loglik=float(fit.llf),
        conf_level=level, ties=ties, n=len(t), events=int(e.sum()))
