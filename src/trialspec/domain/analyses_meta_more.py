"""The figures of a meta-analysis beyond the pooled rows: each model's log-scale estimate
and SE, each study's own effect with its CI and SE, the random-effects prediction interval,
the SE and Q-profile CI of tau^2, the Hartung-Knapp test, the heterogeneity of the fixed
model's own method (rma.mh's Q around the MH estimate), and for 2x2 counts the CMH test and
the Breslow-Day test. Numbers from :mod:`trialspec.stats.meta_more` and
:mod:`trialspec.stats.categorical` (held against metafor and R)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from trialspec.domain.analyses_compute import num


def _back(x: float, log_scale: bool) -> float | None:
    return num(np.exp(x) if log_scale else x)


def model_scale(r: Any) -> dict[str, Any]:
    """A model's estimate on the analysis scale (log for ratios): estimate, SE, z, CI."""
    return {"estimate": num(r.estimate), "se": num(r.se), "z": num(r.z),
            "ci": [num(r.ci_lower), num(r.ci_upper)]}


def study_effects(es: Any, labels: tuple[str, ...], level: float) -> list[dict[str, Any]]:
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    out = []
    for lab, y, v in zip(labels, es.yi, es.vi, strict=True):
        se = float(np.sqrt(v)) if np.isfinite(v) else float("nan")
        out.append({"study": lab, "estimate": _back(y, es.log_scale), "ci": [
            _back(y - z * se, es.log_scale), _back(y + z * se, es.log_scale)],
            "scale_estimate": num(y), "se": num(se)})
    return out


def random_extras(es: Any, random: Any, level: float) -> dict[str, Any]:
    from trialspec.stats.errors import StatsInputError
    from trialspec.stats.meta_more import knha, prediction_interval, tau2_ci, tau2_se

    out: dict[str, Any] = {}
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    lo, hi = prediction_interval(random.estimate, random.se, random.tau2, z)
    out["prediction_interval"] = [_back(lo, es.log_scale), _back(hi, es.log_scale)]
    try:
        out["tau2_se"] = num(tau2_se(es.vi, random.tau2, random.method))
    except StatsInputError:
        out["tau2_se"] = None
    try:
        out["tau2_ci"] = [num(x) for x in tau2_ci(es.yi, es.vi, conf_level=level)]
        hk = knha(es.yi, es.vi, random.tau2, conf_level=level)
        plo, phi = prediction_interval(hk.estimate, hk.se, random.tau2, hk.crit)
        out["hartung_knapp"] = {
            "estimate": _back(hk.estimate, es.log_scale), "scale_estimate": num(hk.estimate),
            "se": num(hk.se), "statistic": num(hk.statistic), "df": hk.df, "p": num(hk.p_value),
            "ci": [_back(hk.conf_low, es.log_scale), _back(hk.conf_high, es.log_scale)],
            "prediction_interval": [_back(plo, es.log_scale), _back(phi, es.log_scale)]}
    except StatsInputError:
        pass
    return out


def counts_tests(tables: np.ndarray | None, level: float) -> dict[str, Any] | None:
    """CMH and Breslow-Day of the studies' 2x2 tables (treated row first)."""
    from trialspec.stats.categorical import cmh
    from trialspec.stats.errors import StatsInputError

    if tables is None:
        return None
    t = np.asarray(tables, float).reshape(-1, 2, 2)
    t = t[t.sum(axis=(1, 2)) > 0]
    try:
        c = cmh(t, conf_level=level)
    except StatsInputError:
        return None
    return {"cmh": {"statistic": num(c.statistic), "df": 1, "p": num(c.p_value), "correct": True},
            "breslow_day": {"statistic": num(c.breslow_day.statistic), "df": c.breslow_day.df,
                            "p": num(c.breslow_day.p_value)},
            "tarone": {"statistic": num(c.tarone.statistic), "df": c.tarone.df, "p": num(c.tarone.p_value)}}
