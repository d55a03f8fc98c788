"""Meta-analysis of 2x2 tables or of estimates with CIs, as R's metafor.

Study counts use metafor's names: ``ai``/``bi`` are events/non-events in the treated (first)
arm, ``ci``/``di`` the same in the control arm. Ratio measures are pooled on the log scale;
:class:`MetaResult` holds log-scale numbers and gives the ratios through ``effect*``.

- :func:`effect_sizes_2x2` (``escalc``), :func:`effect_sizes_from_ci` (generic inverse
  variance), :func:`effect_sizes` (your own estimates and variances);
- :func:`pool`: inverse variance, fixed effect or random effects with DerSimonian-Laird or
  REML (``rma(method = "FE" | "DL" | "REML")``);
- :func:`mantel_haenszel` (``rma.mh``) and :func:`peto` (``rma.peto``), fixed effect;
- :func:`choose_model`: the protocol's rule for fixed vs random effects.

All p-values are upper tails (``sf``), never ``1 - cdf``, so tiny p-values do not become 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from trialspec.stats._arrays import FloatArray, counts, floats, readonly, same_length
from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError

Measure2x2 = Literal["OR", "RR"]
PoolMethod = Literal["FE", "DL", "REML"]
Model = Literal["fixed", "random"]
ZeroCellRule = Literal["only0", "all", "none"]

REML_TOL = 1e-5
"""metafor's default convergence threshold on the change in tau^2."""
REML_MAX_ITER = 100
_LL0_TOL = float(np.finfo(np.float64).eps) ** 0.25


@dataclass(frozen=True, eq=False)
class EffectSizes:
    """Per-study estimates ``yi`` and sampling variances ``vi`` (nan: study has none)."""

    yi: FloatArray
    vi: FloatArray
    measure: str
    log_scale: bool
    """Whether ``yi`` is the log of a ratio (OR, RR, HR)."""


@dataclass(frozen=True, eq=False)
class MetaResult:
    """A pooled estimate with its heterogeneity statistics, as metafor prints them."""

    method: str
    """"FE", "DL", "REML", "MH" or "Peto"."""
    model: Model
    measure: str
    log_scale: bool
    k: int
    """Studies pooled."""
    estimate: float
    se: float
    z: float
    p_value: float
    ci_lower: float
    ci_upper: float
    conf_level: float
    q: float
    """Cochran's Q."""
    q_df: int
    q_p_value: float
    i2: float
    """I^2 in percent: from Q for fixed-effect models, from tau^2 for random-effects ones."""
    h2: float
    tau2: float
    weights: FloatArray
    """Percent weight of every input study (nan for a study left out)."""
    notes: tuple[str, ...] = ()

    @property
    def effect(self) -> float:
        """The pooled effect on its natural scale (the ratio for log-scale measures)."""
        return float(np.exp(self.estimate)) if self.log_scale else self.estimate

    @property
    def effect_ci(self) -> tuple[float, float]:
        """The CI of :attr:`effect`."""
        if self.log_scale:
            return float(np.exp(self.ci_lower)), float(np.exp(self.ci_upper))
        return self.ci_lower, self.ci_upper

    @property
    def i2_from_q(self) -> float:
        """Higgins' I^2 = max(0, (Q - df) / Q) in percent, whatever the model."""
        if self.q <= 0 or self.q_df < 1:
            return 0.0
        return max(0.0, 100.0 * (self.q - self.q_df) / self.q)


def effect_sizes(yi: ArrayLike, vi: ArrayLike, *, measure: str = "generic",
                 log_scale: bool = False) -> EffectSizes:
    """Estimates and their variances as they are (``rma(yi, vi)``)."""
    y, v = floats(yi, "yi"), floats(vi, "vi")
    if y.ndim != 1 or v.ndim != 1:
        raise StatsInputError("yi and vi must be 1-dimensional")
    same_length([("yi", y), ("vi", v)])
    return EffectSizes(readonly(y), readonly(v), measure, log_scale)


def effect_sizes_2x2(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *,
    measure: Measure2x2 = "OR", add: float = 0.5, to: ZeroCellRule = "only0",
    drop00: bool = False,
) -> EffectSizes:
    """Log odds ratios or log risk ratios per study, as ``escalc``'s defaults.

    ``add`` is added to all four cells of the studies ``to`` names: "only0" (those with a
    zero cell; the default), "all", or "none" (a study with a zero cell then has no
    estimate). ``drop00`` leaves out studies with no events, or only events, in both arms.
    """
    a, b, c, d = _tables(ai, bi, ci, di)
    if measure not in ("OR", "RR"):
        raise StatsInputError(f"measure must be 'OR' or 'RR', got {measure!r}")
    if to not in ("only0", "all", "none"):
        raise StatsInputError(f"to must be 'only0', 'all' or 'none', got {to!r}")
    dropped = _double_zero(a, b, c, d) if drop00 else np.zeros(len(a), dtype=bool)
    cells = np.vstack([a, b, c, d])
    if to == "all":
        cells = cells + add
    elif to == "only0":
        cells = cells + add * np.any(cells == 0, axis=0)
    # an odds ratio needs all four cells, a risk ratio only the two event counts
    needed = cells if measure == "OR" else cells[[0, 2]]
    undefined = dropped | np.any(needed <= 0, axis=0)
    a, b, c, d = np.where(undefined, 1.0, cells)  # placeholders, replaced by nan below
    if measure == "OR":
        yi = np.log(a * d / (b * c))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    else:
        yi = np.log(a / (a + b)) - np.log(c / (c + d))
        vi = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    yi[undefined] = np.nan
    vi[undefined] = np.nan
    return EffectSizes(readonly(yi), readonly(vi), measure, True)


def effect_sizes_from_ci(
    estimate: ArrayLike, lower: ArrayLike, upper: ArrayLike, *, log_scale: bool = True,
    ci_level: float = 0.95, measure: str = "generic",
) -> EffectSizes:
    """Generic inverse variance: estimates from their reported CIs.

    For ratios (``log_scale``) ``yi = log(estimate)`` and
    ``SE = (log(upper) - log(lower)) / (2 z)``; otherwise the same without logs. ``z`` is
    the normal quantile of ``ci_level`` (1.959963984540054 for 95%).
    """
    est, lo, hi = floats(estimate, "estimate"), floats(lower, "lower"), floats(upper, "upper")
    if est.ndim != 1 or lo.ndim != 1 or hi.ndim != 1:
        raise StatsInputError("estimate, lower and upper must be 1-dimensional")
    same_length([("estimate", est), ("lower", lo), ("upper", hi)])
    if not np.all(np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi)):
        raise StatsInputError("estimates and CIs must be finite numbers")
    if not np.all((lo < est) & (est < hi)):
        raise StatsInputError("every CI must satisfy lower < estimate < upper")
    if log_scale:
        if np.any(lo <= 0):
            raise StatsInputError("ratio estimates and CI limits must be positive")
        est, lo, hi = np.log(est), np.log(lo), np.log(hi)
    z = float(stats.norm.isf((1 - check_level(ci_level)) / 2))
    se = (hi - lo) / (2 * z)
    return EffectSizes(readonly(est), readonly(se**2), measure, log_scale)


def pool(
    effects: EffectSizes, *, method: PoolMethod = "FE", conf_level: float = 0.95,
    reml_tol: float = REML_TOL, reml_max_iter: int = REML_MAX_ITER,
) -> MetaResult:
    """Inverse-variance pooling, as ``rma(yi, vi, method = method)``.

    "FE" is the fixed-effect model; "DL" and "REML" are random-effects models whose tau^2
    is DerSimonian-Laird's moment estimate truncated at 0, or the REML estimate by metafor's
    Fisher scoring (started at the Hedges estimate, stopped when tau^2 changes by less than
    ``reml_tol``: metafor's default 1e-5 reproduces its printout; use 1e-10 for the
    optimum itself). Studies without an estimate (nan) are left out.
    """
    if method not in ("FE", "DL", "REML"):
        raise StatsInputError(f"method must be 'FE', 'DL' or 'REML', got {method!r}")
    level = check_level(conf_level)
    used = np.isfinite(effects.yi) & np.isfinite(effects.vi)
    y, v = effects.yi[used], effects.vi[used]
    k = len(y)
    if k == 0:
        raise StatsInputError("no study has an estimate to pool")
    if np.any(v <= 0):
        raise StatsInputError("every sampling variance must be positive")
    notes: list[str] = []
    if k < len(effects.yi):
        notes.append(f"{len(effects.yi) - k} of {len(effects.yi)} studies have no estimate "
                     f"and were left out")

    w = 1 / v
    sum_w = w.sum()
    q = float(max(0.0, (w * (y - (w * y).sum() / sum_w) ** 2).sum())) if k > 1 else 0.0
    df = k - 1
    tr_p = sum_w - (w**2).sum() / sum_w  # trace of the FE projection P
    tau2 = 0.0
    if k > 1 and method == "DL":
        tau2 = max(0.0, (q - df) / tr_p)
    elif k > 1 and method == "REML":
        tau2, note = _tau2_reml(y, v, reml_tol, reml_max_iter)
        notes.extend(note)

    w_model = 1 / (v + tau2)
    estimate = float((w_model * y).sum() / w_model.sum())
    se = float(np.sqrt(1 / w_model.sum()))
    if k == 1:
        i2, h2 = 0.0, 1.0
    elif method == "FE":
        i2, h2 = _i2_from_q(q, df), q / df
    else:
        typical = df / tr_p  # metafor's "typical" within-study variance
        i2 = 100 * tau2 / (typical + tau2)
        h2 = tau2 / typical + 1
    weights = np.full(len(effects.yi), np.nan)
    weights[used] = 100 * w_model / w_model.sum()
    return _result(method=method, model="fixed" if method == "FE" else "random",
                   measure=effects.measure, log_scale=effects.log_scale, k=k,
                   estimate=estimate, se=se, level=level, q=q, df=df,
                   q_p=float(stats.chi2.sf(q, df)) if k > 1 else 1.0, i2=i2, h2=h2,
                   tau2=tau2, weights=weights, notes=tuple(notes))


def _tau2_reml(y: FloatArray, v: FloatArray, tol: float,
               max_iter: int) -> tuple[float, list[str]]:
    """REML tau^2 by Fisher scoring, step for step as metafor's ``rma.uni``."""
    k = len(y)
    rss = ((y - y.mean()) ** 2).sum()
    tau2 = max(0.0, (rss - v.sum() * (1 - 1 / k)) / (k - 1))  # Hedges' estimator
    for _ in range(max_iter):
        w = 1 / (v + tau2)
        sw = w.sum()
        py = w * (y - (w * y).sum() / sw)  # P y, P = W - w w'/sum(w)
        tr_p = sw - (w**2).sum() / sw
        tr_pp = (w**2).sum() - 2 * (w**3).sum() / sw + ((w**2).sum() / sw) ** 2
        step = ((py**2).sum() - tr_p) / tr_pp
        while tau2 + step < 0:
            step /= 2
        old, tau2 = tau2, tau2 + step
        if abs(tau2 - old) <= tol:
            break
    else:
        raise StatsInputError(f"REML estimation of tau^2 did not converge in {max_iter} "
                              f"iterations")
    if tau2 > tol and _reml_loglik(y, v, 0.0) - _reml_loglik(y, v, tau2) > _LL0_TOL:
        return 0.0, ["REML: Fisher scoring may have stopped at a local maximum; tau^2 set "
                     "to 0, which has a higher restricted likelihood (as metafor does)"]
    return tau2, []


def _reml_loglik(y: FloatArray, v: FloatArray, tau2: float) -> float:
    w = 1 / (v + tau2)
    mu = (w * y).sum() / w.sum()
    return float(-0.5 * (len(y) - 1) * np.log(2 * np.pi) - 0.5 * np.log(v + tau2).sum()
                 - 0.5 * np.log(w.sum()) - 0.5 * (w * (y - mu) ** 2).sum())


def mantel_haenszel(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *,
    measure: Measure2x2 = "OR", conf_level: float = 0.95,
) -> MetaResult:
    """The Mantel-Haenszel pooled odds ratio or risk ratio, as ``rma.mh``.

    OR: statsmodels' ``StratifiedTable`` (Robins-Breslow-Greenland variance). RR: the
    Greenland-Robins variance, as metafor. The counts enter uncorrected; Q, I^2 and H^2
    use the per-study estimates of :func:`effect_sizes_2x2` with 0.5 added to studies
    with a zero cell and double-zero studies left out, as metafor does. Weights are the
    Mantel-Haenszel weights.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    a, b, c, d = _tables(ai, bi, ci, di)
    if measure not in ("OR", "RR"):
        raise StatsInputError(f"measure must be 'OR' or 'RR', got {measure!r}")
    level = check_level(conf_level)
    n = a + b + c + d
    n1, n2 = a + b, c + d
    if measure == "OR":
        num, den = (a * d / n).sum(), (b * c / n).sum()
        if num == 0 or den == 0:
            raise StatsInputError("the Mantel-Haenszel odds ratio is undefined: every study "
                                  "has a*d = 0 or every study has b*c = 0")
        strat = StratifiedTable(np.stack([np.stack([a, b]), np.stack([c, d])]))
        estimate = float(strat.logodds_pooled)
        se = float(strat.logodds_pooled_se)
        weights = b * c / n
    else:
        if a.sum() == 0 or c.sum() == 0:
            raise StatsInputError("the Mantel-Haenszel risk ratio is undefined: one arm has "
                                  "no events in any study")
        r, s = (a * n2 / n).sum(), (c * n1 / n).sum()
        estimate = float(np.log(r / s))
        se = float(np.sqrt(((n1 / n) * (n2 / n) * (a + c) - (a / n) * c).sum() / (r * s)))
        weights = c * n1 / n
    return _fixed_from_counts(
        method="MH", measure=measure, estimate=estimate, se=se, level=level,
        per_study=effect_sizes_2x2(a, b, c, d, measure=measure, drop00=True),
        weights=100 * weights / weights.sum())


def peto(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *,
         conf_level: float = 0.95) -> MetaResult:
    """Peto's pooled odds ratio (one-step, O - E over V), as ``rma.peto``."""
    a, b, c, d = _tables(ai, bi, ci, di)
    level = check_level(conf_level)
    n = a + b + c + d
    if np.any(n < 2):
        raise StatsInputError("Peto's method needs at least 2 patients in every study")
    n1, n2, events, non_events = a + b, c + d, a + c, b + d
    o_minus_e = a - events * n1 / n
    var = events * non_events * (n1 / n) * (n2 / n) / (n - 1)
    if var.sum() == 0:
        raise StatsInputError("Peto's odds ratio is undefined: one of the two outcomes "
                              "never occurred in any study")
    estimate = float(o_minus_e.sum() / var.sum())
    se = float(np.sqrt(1 / var.sum()))
    informative = var > 0
    q = float(max(0.0, (o_minus_e[informative] ** 2 / var[informative]).sum()
                  - o_minus_e.sum() ** 2 / var.sum()))
    k_yi = int((~_double_zero(a, b, c, d)).sum())
    df = k_yi - 1
    if informative.sum() > 1:
        q_p, i2, h2 = float(stats.chi2.sf(q, df)), _i2_from_q(q, df), q / df
    else:
        q_p, i2, h2 = 1.0, 0.0, 1.0
    return _result(method="Peto", model="fixed", measure="OR", log_scale=True, k=len(a),
                   estimate=estimate, se=se, level=level, q=q, df=df, q_p=q_p, i2=i2, h2=h2,
                   tau2=0.0, weights=100 * var / var.sum(), notes=())


def choose_model(result: MetaResult, q_p_above: float = 0.1, i2_below: float = 50.0) -> Model:
    """The seed paper's rule: "fixed" if Q's p-value > ``q_p_above`` and I^2 <
    ``i2_below`` percent, else "random".

    I^2 here is Higgins' Q-based I^2 (:attr:`MetaResult.i2_from_q`), so the rule gives the
    same answer whichever model ``result`` was fitted with.
    """
    if result.q_p_value > q_p_above and result.i2_from_q < i2_below:
        return "fixed"
    return "random"


def _tables(ai: ArrayLike, bi: ArrayLike, ci: ArrayLike,
            di: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    cells = [counts(x, name, ndim=1) for x, name in ((ai, "ai"), (bi, "bi"), (ci, "ci"),
                                                     (di, "di"))]
    same_length(list(zip(("ai", "bi", "ci", "di"), cells, strict=True)))
    a, b, c, d = cells
    if np.any(a + b == 0) or np.any(c + d == 0):
        raise StatsInputError("every study needs patients in both arms")
    return a, b, c, d


def _double_zero(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> np.ndarray:
    """Studies with no events in both arms, or only events in both arms."""
    return ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))


def _i2_from_q(q: float, df: int) -> float:
    return max(0.0, 100 * (q - df) / q) if q > 0 else 0.0


def _fixed_from_counts(*, method: str, measure: str, estimate: float, se: float, level: float,
                       per_study: EffectSizes, weights: FloatArray) -> MetaResult:
    """A fixed-effect result whose Q is taken around ``estimate`` with the per-study
    inverse-variance weights (rma.mh's heterogeneity test)."""
    used = np.isfinite(per_study.yi)
    y, v = per_study.yi[used], per_study.vi[used]
    k_yi = len(y)
    if k_yi > 1:
        q = float(max(0.0, ((y - estimate) ** 2 / v).sum()))
        df = k_yi - 1
        q_p, i2, h2 = float(stats.chi2.sf(q, df)), _i2_from_q(q, df), q / df
    else:
        q, df, q_p, i2, h2 = 0.0, max(0, k_yi - 1), 1.0, 0.0, 1.0
    return _result(method=method, model="fixed", measure=per_study.measure,
                   log_scale=per_study.log_scale, k=len(per_study.yi),
                   estimate=estimate, se=se, level=level, q=q, df=df, q_p=q_p, i2=i2, h2=h2,
                   tau2=0.0, weights=weights, notes=())


def _result(*, method: str, model: Model, measure: str, log_scale: bool, k: int,
            estimate: float, se: float, level: float, q: float, df: int, q_p: float,
            i2: float, h2: float, tau2: float, weights: FloatArray,
            notes: tuple[str, ...]) -> MetaResult:
    crit = float(stats.norm.isf((1 - level) / 2))
    z = estimate / se
    return MetaResult(
        method=method, model=model, measure=measure, log_scale=log_scale, k=k,
        estimate=estimate, se=se, z=z, p_value=float(2 * stats.norm.sf(abs(z))),
        ci_lower=estimate - crit * se, ci_upper=estimate + crit * se, conf_level=level,
        q=q, q_df=df, q_p_value=q_p, i2=i2, h2=h2, tau2=tau2,
        weights=readonly(np.asarray(weights, dtype=np.float64)), notes=notes)
