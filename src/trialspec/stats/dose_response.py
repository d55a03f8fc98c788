"""A dose-response test: the ANCOVA with the treatment entered as its dose (a number), as
R's ``lm(y ~ dose + covariates)`` gives the dose's coefficient: the change in the mean outcome
per unit of dose, its SE, t, df, two-sided p and CI (the CDISC pilot's test of a linear dose
response, placebo 0, low 54 mg, high 81 mg).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError
from trialspec.stats.models import Factor, _dummies


@dataclass(frozen=True)
class DoseSlope:
    """The dose coefficient of the linear model: estimate (per unit of dose), SE, t, df, p, CI."""

    n: int
    estimate: float
    se: float
    t: float
    df: int
    p_value: float
    conf_low: float
    conf_high: float


def dose_slope(y: np.ndarray, dose: np.ndarray, numeric: Sequence[tuple[str, np.ndarray]] = (),
               factors: Sequence[tuple[str, Factor]] = (), *, conf_level: float = 0.95) -> DoseSlope:
    """``summary(lm(y ~ dose + numeric + factors))``'s row for ``dose`` and ``confint``."""
    level = check_level(conf_level)
    y, d = np.asarray(y, np.float64), np.asarray(dose, np.float64)
    n = len(y)
    if len(np.unique(d)) < 2:
        raise StatsInputError("a dose-response test needs two doses or more with subjects")
    blocks = [np.ones((n, 1)), d[:, None]]
    blocks += [np.asarray(x, np.float64)[:, None] for _name, x in numeric]
    blocks += [_dummies(f) for _name, f in factors]
    X = np.hstack(blocks)
    if n <= X.shape[1] or np.linalg.matrix_rank(X) < X.shape[1]:
        raise StatsInputError("the dose-response model is singular (a covariate is constant or "
                              "duplicates the dose, or too few subjects)")
    q, r = np.linalg.qr(X)
    beta = np.linalg.solve(r, q.T @ y)
    resid = y - X @ beta
    df = n - X.shape[1]
    sigma2 = float(resid @ resid) / df
    r_inv = np.linalg.solve(r, np.eye(X.shape[1]))
    se = float(np.sqrt(sigma2 * (r_inv[1] @ r_inv[1])))  # (X'X)^-1 = R^-1 R^-T
    est = float(beta[1])
    t = est / se
    crit = float(stats.t.ppf(1 - (1 - level) / 2, df))
    return DoseSlope(n, est, se, t, df, float(2 * stats.t.sf(abs(t), df)), est - crit * se, est + crit * se)
