"""trialspec.stats.meta_more and the MH heterogeneity against metafor on dat.bcg
(tests/fixtures/r/meta_more.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rref import FIXTURES, assert_r, load
from scipy import stats

from trialspec.stats import meta
from trialspec.stats.categorical import cmh
from trialspec.stats.meta_more import knha, prediction_interval, tau2_ci, tau2_se

REF = load("meta_more.json")
BCG = pd.read_csv(FIXTURES / "bcg.csv")
COUNTS = [BCG[c].to_numpy(float) for c in ("tpos", "tneg", "cpos", "cneg")]


@pytest.mark.parametrize(("name", "measure", "method"), [
    ("or_dl", "OR", "DL"), ("or_reml", "OR", "REML"), ("rr_dl", "RR", "DL")])
def test_random_effects_extras_as_metafor(name: str, measure: str, method: str) -> None:
    ref = REF[name]
    es = meta.effect_sizes_2x2(*COUNTS, measure=measure)  # type: ignore[arg-type]
    fit = meta.pool(es, method=method)  # type: ignore[arg-type]  # metafor's REML tolerance
    assert_r([fit.estimate, fit.se, fit.tau2], [ref["estimate"], ref["se"], ref["tau2"]])
    assert_r(tau2_se(es.vi, fit.tau2, method), ref["se_tau2"])
    assert_r(list(prediction_interval(fit.estimate, fit.se, fit.tau2, stats.norm.ppf(0.975))), ref["pi"],
             )
    assert_r(list(tau2_ci(es.yi, es.vi)), ref["tau2_ci"])
    hk = knha(es.yi, es.vi, fit.tau2)
    r = ref["knha"]
    assert_r([hk.estimate, hk.se, hk.statistic, hk.df, hk.p_value, hk.conf_low, hk.conf_high],
             [r["estimate"], r["se"], r["statistic"], r["df"], r["p_value"], *r["ci"]])
    assert_r(list(prediction_interval(hk.estimate, hk.se, fit.tau2, hk.crit)), r["pi"])


@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_mh_heterogeneity_is_its_own_as_rma_mh(measure: str) -> None:
    ref = REF[f"mh_{measure.lower()}"]
    fit = meta.mantel_haenszel(*COUNTS, measure=measure)  # type: ignore[arg-type]
    assert_r([fit.q, fit.q_p_value, fit.i2, fit.h2], [ref["q"], ref["q_p"], ref["i2"], ref["h2"]])


def test_mh_cmh_and_breslow_day_as_metafor() -> None:
    ref = REF["mh_or"]
    treated = np.stack([COUNTS[0], COUNTS[1]], axis=1)
    control = np.stack([COUNTS[2], COUNTS[3]], axis=1)
    tables = np.stack([treated, control], axis=1)
    got = cmh(tables)
    assert_r([got.breslow_day.statistic, got.breslow_day.p_value, got.tarone.statistic, got.tarone.p_value],
             [ref["bd"], ref["bd_p"], ref["tarone"], ref["tarone_p"]])
    assert_r([got.statistic, got.p_value], [ref["cmh"]["statistic"], ref["cmh"]["p_value"]])
