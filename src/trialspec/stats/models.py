"""Regression models of a trial's primary analyses: ANCOVA and logistic regression
(statsmodels), as R's ``lm`` + ``emmeans`` and ``glm(family = binomial)`` report them.

- ``ancova(y, arm, numeric, factors)``: ``lm(y ~ arm + numeric... + factors...)`` with
  treatment coding (the first arm level is the reference). Adjusted (least-squares) means
  per arm as ``emmeans`` computes them: numeric covariates at their mean, each factor
  covariate averaged over its levels with equal weights; their differences from the first
  arm with SE, t, p and CI (t on the residual df); and the F test of arm (``drop1``).
- ``logistic(y, columns)``: ``glm(y ~ ..., family = binomial)``'s coefficients, SEs, Wald z
  and p, Wald CIs, deviance and AIC.

A factor is given as integer codes 0..k-1 with its level labels; code 0 is the reference.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError


@dataclass(frozen=True)
class Factor:
    """A categorical covariate: integer codes per row (0 the reference) and the labels."""

    codes: np.ndarray
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Ancova:
    """Adjusted means per arm and differences from the first arm, with the arm F test."""

    labels: tuple[str, ...]
    n: int
    df_resid: int
    sigma: float
    lsmeans: np.ndarray  # (arms, 4): estimate, se, lower, upper
    differences: np.ndarray  # (arms - 1, 6): estimate, se, t, p, lower, upper
    arm_f: tuple[float, int, float]  # F, df, p
    coef_names: tuple[str, ...]
    coefficients: np.ndarray


@dataclass(frozen=True)
class Logistic:
    """``glm(family = binomial)``: per coefficient estimate, SE, z, p, Wald CI."""

    names: tuple[str, ...]
    table: np.ndarray  # (k, 6): estimate, se, z, p, lower, upper
    deviance: float
    aic: float
    n: int


def _dummies(f: Factor) -> np.ndarray:
    k = len(f.labels)
    return (f.codes[:, None] == np.arange(1, k)[None, :]).astype(np.float64)


def _covariates(numeric: Sequence[tuple[str, np.ndarray]], factors: Sequence[tuple[str, Factor]]
                ) -> tuple[list[np.ndarray], list[str]]:
    """The covariates' columns of a design matrix (numeric as they are, factors as treatment
    dummies) and their coefficient names, as R names them."""
    blocks: list[np.ndarray] = []
    names: list[str] = []
    for name, x in numeric:
        blocks.append(np.asarray(x, np.float64)[:, None])
        names.append(name)
    for name, f in factors:
        blocks.append(_dummies(f))
        names.extend(f"{name}{lab}" for lab in f.labels[1:])
    return blocks, names


def ancova(y: np.ndarray, arm: Factor, numeric: Sequence[tuple[str, np.ndarray]] = (),
           factors: Sequence[tuple[str, Factor]] = (), *, conf_level: float = 0.95) -> Ancova:
    import statsmodels.api as sm

    level = check_level(conf_level)
    y = np.asarray(y, np.float64)
    n, k = len(y), len(arm.labels)
    if k < 2 or len(np.unique(arm.codes)) < k:
        raise StatsInputError("an ANCOVA needs subjects in every arm, and two arms or more")
    blocks, cov_names = _covariates(numeric, factors)
    X = np.hstack([np.ones((n, 1)), _dummies(arm), *blocks])
    names = ["(Intercept)", *(f"{arm.labels[0]}->{lab}" for lab in arm.labels[1:]), *cov_names]
    # emmeans' reference grid: numeric covariates at their mean, factors at equal weights
    means = [b.mean(axis=0) for b in blocks[:len(numeric)]]
    weights = [np.full(len(f.labels) - 1, 1.0 / len(f.labels)) for _, f in factors]
    ref_row = [np.ones(1), np.zeros(k - 1), *means, *weights]
    if np.linalg.matrix_rank(X.T @ X) < X.shape[1] or n <= X.shape[1]:
        raise StatsInputError("the ANCOVA's design is singular (a covariate is constant or "
                              "duplicates another, or too few subjects)")
    fit = sm.OLS(y, X).fit(method="qr")
    beta, cov, df = fit.params, fit.cov_params(), int(fit.df_resid)
    t_crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
    base = np.concatenate(ref_row)
    L = np.tile(base, (k, 1))
    L[np.arange(1, k), np.arange(1, k)] = 1.0
    est = L @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, cov, L))
    lsmeans = np.column_stack([est, se, est - t_crit * se, est + t_crit * se])
    d_est, d_se = beta[1:k], np.sqrt(np.diag(cov)[1:k])
    t = d_est / d_se
    p = 2 * stats.t.sf(np.abs(t), df)
    diffs = np.column_stack([d_est, d_se, t, p, d_est - t_crit * d_se, d_est + t_crit * d_se])
    Xr = np.delete(X, np.arange(1, k), axis=1)
    resid = y - Xr @ np.linalg.lstsq(Xr, y, rcond=None)[0]
    f_stat = ((float(resid @ resid) - fit.ssr) / (k - 1)) / (fit.ssr / df)
    arm_f = (float(f_stat), k - 1, float(stats.f.sf(f_stat, k - 1, df)))
    return Ancova(arm.labels, n, df, float(np.sqrt(fit.scale)), lsmeans, diffs, arm_f,
                  tuple(names), np.asarray(beta))


def logistic(y: np.ndarray, numeric: Sequence[tuple[str, np.ndarray]] = (),
             factors: Sequence[tuple[str, Factor]] = (), *, conf_level: float = 0.95) -> Logistic:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    level = check_level(conf_level)
    y = np.asarray(y, np.float64)
    n = len(y)
    if not np.isin(y, (0.0, 1.0)).all() or len(np.unique(y)) < 2:
        raise StatsInputError("a logistic regression needs an outcome of 0s and 1s, both present")
    blocks, names = _covariates(numeric, factors)
    X = np.hstack([np.ones((n, 1)), *blocks])
    names = ["(Intercept)", *names]
    if np.linalg.matrix_rank(X.T @ X) < X.shape[1]:
        raise StatsInputError("the logistic model's design is singular")
    try:
        fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    except PerfectSeparationError as err:  # pragma: no cover - statsmodels version dependent
        raise StatsInputError("the outcome is perfectly separated by the covariates") from err
    z_crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    est, se = np.asarray(fit.params), np.asarray(fit.bse)
    z = est / se
    table = np.column_stack([est, se, z, 2 * stats.norm.sf(np.abs(z)), est - z_crit * se,
                             est + z_crit * se])
    return Logistic(tuple(names), table, float(fit.deviance), float(fit.aic), n)


@dataclass(frozen=True)
class ProportionalOdds:
    """``MASS::polr``: per covariate the log odds ratio (of a higher level), SE, z, p, Wald CI;
    the cut-points between consecutive levels; the log-likelihood."""

    names: tuple[str, ...]
    table: np.ndarray  # (p, 6): estimate, se, z, p, lower, upper
    cutpoints: np.ndarray  # (levels - 1,)
    cutpoint_se: np.ndarray
    loglik: float
    n: int


def proportional_odds(codes: np.ndarray, levels: int, numeric: Sequence[tuple[str, np.ndarray]] = (),
                      factors: Sequence[tuple[str, Factor]] = (), *,
                      conf_level: float = 0.95) -> ProportionalOdds:
    """``polr(y ~ ...)``: logit P(Y <= j) = zeta_j - x'beta (statsmodels ``OrderedModel``);
    ``codes`` are the outcome's level indices 0..levels-1, in order."""
    import pandas as pd
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    level = check_level(conf_level)
    y = np.asarray(codes)
    if len(np.unique(y)) < 2:
        raise StatsInputError("a proportional-odds model needs two or more outcome levels present")
    blocks, names = _covariates(numeric, factors)
    if not blocks:
        raise StatsInputError("a proportional-odds model needs a covariate")
    X = np.hstack(blocks)
    present = np.unique(y)
    endog = pd.Series(pd.Categorical(np.searchsorted(present, y), categories=range(len(present)),
                                     ordered=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is checked below
        fit = OrderedModel(endog, X, distr="logit").fit(method="bfgs", disp=False, maxiter=1000, gtol=1e-10)
    params, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    p = X.shape[1]
    # statsmodels' thresholds: the first, then log increments; R reports the cut-points
    raw = params[p:]
    cuts = np.cumsum(np.concatenate([raw[:1], np.exp(raw[1:])]))
    jac = np.zeros((len(raw), len(raw)))
    jac[:, 0] = 1.0
    for j in range(1, len(raw)):
        jac[j:, j] = np.exp(raw[j])
    cut_cov = jac @ cov[p:, p:] @ jac.T
    est, se = params[:p], np.sqrt(np.diag(cov)[:p])
    z = est / se
    crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    table = np.column_stack([est, se, z, 2 * stats.norm.sf(np.abs(z)), est - crit * se, est + crit * se])
    return ProportionalOdds(tuple(names), table, cuts, np.sqrt(np.diag(cut_cov)), float(fit.llf), len(y))
