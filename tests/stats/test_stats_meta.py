"""trialspec.stats.meta against R's metafor (tests/fixtures/r/meta.R): rma FE/DL/REML,
rma.mh, rma.peto and generic inverse variance, on dat.bcg, a data set with zero cells and
the seed paper's Table 2."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from rref import FIXTURES, assert_r, load
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from trialspec.stats import meta
from trialspec.stats.errors import StatsInputError

REF = load("meta.json")
RESULT_FIELDS = ("estimate", "se", "z", "p_value", "ci_lower", "ci_upper", "q", "q_df",
                 "q_p_value", "i2", "h2", "tau2", "k", "weights")
POOLINGS = {  # fixture key -> pool() arguments
    "fixed": {"method": "FE"},
    "dl": {"method": "DL"},
    "dl_90": {"method": "DL", "conf_level": 0.90},
    "reml": {"method": "REML"},  # metafor's default stopping rule
    "reml_converged": {"method": "REML", "reml_tol": 1e-12, "reml_max_iter": 10_000},
}
COUNT_DATA = ("bcg", "zero_cells")


def _assert_result(res: meta.MetaResult, ref: dict) -> None:
    for field in RESULT_FIELDS:
        assert_r(getattr(res, field), ref[field], what=field)


def _counts(name: str) -> tuple[list[float], ...]:
    case = REF[name]
    return case["ai"], case["bi"], case["ci"], case["di"]


def test_bcg_csv_is_the_data_of_the_reference() -> None:
    with open(FIXTURES / "bcg.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for col, key in [("tpos", "ai"), ("tneg", "bi"), ("cpos", "ci"), ("cneg", "di")]:
        assert [float(r[col]) for r in rows] == REF["bcg"][key]


@pytest.mark.parametrize("data", COUNT_DATA)
@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_effect_sizes_as_escalc(data: str, measure: str) -> None:
    es = meta.effect_sizes_2x2(*_counts(data), measure=measure)  # type: ignore[arg-type]
    assert_r(es.yi, REF[data][measure]["yi"])
    assert_r(es.vi, REF[data][measure]["vi"])


@pytest.mark.parametrize("data", COUNT_DATA)
@pytest.mark.parametrize("measure", ["OR", "RR"])
@pytest.mark.parametrize("pooling", list(POOLINGS))
def test_inverse_variance_as_rma(data: str, measure: str, pooling: str) -> None:
    es = meta.effect_sizes_2x2(*_counts(data), measure=measure)  # type: ignore[arg-type]
    _assert_result(meta.pool(es, **POOLINGS[pooling]), REF[data][measure][pooling])


@pytest.mark.parametrize("data", COUNT_DATA)
@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_mantel_haenszel_as_rma_mh(data: str, measure: str) -> None:
    res = meta.mantel_haenszel(*_counts(data), measure=measure)  # type: ignore[arg-type]
    _assert_result(res, REF[data][measure]["mh"])
    assert res.method == "MH" and res.model == "fixed"


@pytest.mark.parametrize("data", COUNT_DATA)
def test_peto_as_rma_peto(data: str) -> None:
    _assert_result(meta.peto(*_counts(data)), REF[data]["PETO"])


@pytest.mark.parametrize("name", list(REF["generic"]))
@pytest.mark.parametrize("pooling", list(POOLINGS))
def test_generic_inverse_variance_as_rma(name: str, pooling: str) -> None:
    case = REF["generic"][name]
    es = meta.effect_sizes_from_ci(case["estimate"], case["lower"], case["upper"])
    assert_r(es.yi, case["yi"])
    assert_r(es.vi, case["vi"])
    _assert_result(meta.pool(es, **POOLINGS[pooling]), case[pooling])


@pytest.mark.parametrize("name", ["q_below_df", "extreme_z"])
@pytest.mark.parametrize("pooling", list(POOLINGS))
def test_special_cases_as_rma(name: str, pooling: str) -> None:
    case = REF[name]
    es = meta.effect_sizes(case["yi"], case["vi"])
    _assert_result(meta.pool(es, **POOLINGS[pooling]), case[pooling])


def test_q_below_df_truncates_tau2_at_zero() -> None:
    """DerSimonian-Laird's moment estimate is negative here; metafor (and we) report 0.
    statsmodels' combine_effects does not truncate, which is why it is not used for DL."""
    case = REF["q_below_df"]
    es = meta.effect_sizes(case["yi"], case["vi"])
    fixed = meta.pool(es, method="FE")
    assert fixed.q < fixed.q_df
    assert meta.pool(es, method="DL").tau2 == 0.0
    assert meta.pool(es, method="REML").tau2 == 0.0
    # ... and then takes square roots of negative variances
    with pytest.warns(RuntimeWarning, match="invalid value encountered in sqrt"):
        sm = combine_effects(np.array(case["yi"]), np.array(case["vi"]), method_re="dl")
    assert sm.tau2 < 0


def test_extreme_z_keeps_a_positive_p_value() -> None:
    """|z| = 34.5: 1 - cdf is exactly 0 in double precision, the upper tail is not."""
    case = REF["extreme_z"]
    res = meta.pool(meta.effect_sizes(case["yi"], case["vi"]), method="FE")
    assert 1 - stats.norm.cdf(abs(res.z)) == 0.0
    assert 0 < res.p_value < 1e-250
    assert_r(res.p_value, case["fixed"]["p_value"])


def test_tiny_q_p_value_is_not_zero() -> None:
    """Q = 163.9 on 12 df (dat.bcg, MH): p = 8e-29, where 1 - cdf gives 0."""
    res = meta.mantel_haenszel(*_counts("bcg"))
    assert 1 - stats.chi2.cdf(res.q, res.q_df) == 0.0
    assert_r(res.q_p_value, REF["bcg"]["OR"]["mh"]["q_p_value"])


def test_dl_agrees_with_statsmodels_when_tau2_is_positive() -> None:
    es = meta.effect_sizes_2x2(*_counts("bcg"), measure="RR")
    ours = meta.pool(es, method="DL")
    sm = combine_effects(np.asarray(es.yi), np.asarray(es.vi), method_re="dl")
    assert ours.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert ours.estimate == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert ours.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
    assert ours.q == pytest.approx(sm.q, rel=1e-10)


@pytest.mark.parametrize("data", COUNT_DATA)
def test_mantel_haenszel_rr_agrees_with_statsmodels(data: str) -> None:
    from statsmodels.stats.contingency_tables import StratifiedTable

    a, b, c, d = (np.array(x) for x in _counts(data))
    res = meta.mantel_haenszel(a, b, c, d, measure="RR")
    strat = StratifiedTable(np.stack([np.stack([a, b]), np.stack([c, d])]))
    assert res.effect == pytest.approx(strat.riskratio_pooled, rel=1e-12)


def test_reml_converged_maximises_the_restricted_likelihood() -> None:
    """metafor's Fisher scoring run to convergence lands on the optimum scipy finds."""
    es = meta.effect_sizes_2x2(*_counts("bcg"), measure="OR")
    y, v = np.asarray(es.yi), np.asarray(es.vi)

    def neg_reml(tau2: float) -> float:
        w = 1 / (v + tau2)
        mu = (w * y).sum() / w.sum()
        return 0.5 * (np.log(v + tau2).sum() + np.log(w.sum()) + (w * (y - mu) ** 2).sum())

    best = optimize.minimize_scalar(neg_reml, bounds=(0, 10), method="bounded",
                                    options={"xatol": 1e-12})
    res = meta.pool(es, method="REML", reml_tol=1e-12, reml_max_iter=10_000)
    assert res.tau2 == pytest.approx(best.x, rel=1e-6)


def test_zero_cell_studies_are_handled_without_warnings() -> None:
    """Double-zero studies: kept with 0.5 added by escalc's defaults, left out of Q by MH
    and Peto (drop00), weight 0 in MH. pytest turns any RuntimeWarning into an error."""
    es = meta.effect_sizes_2x2(*_counts("zero_cells"), drop00=True)
    assert np.isnan(es.yi[3]) and np.isnan(es.vi[3])
    res = meta.pool(es, method="FE")
    assert res.k == 5 and np.isnan(res.weights[3]) and res.notes
    assert meta.mantel_haenszel(*_counts("zero_cells")).weights[3] == 0.0


def test_zero_cells_without_correction_have_no_estimate() -> None:
    es = meta.effect_sizes_2x2([0, 3], [10, 7], [2, 4], [8, 6], to="none")
    assert np.isnan(es.yi[0]) and np.isfinite(es.yi[1])
    rr = meta.effect_sizes_2x2([3, 3], [0, 7], [2, 4], [8, 6], measure="RR", to="none")
    assert np.all(np.isfinite(rr.yi))  # a risk ratio needs only the event counts


def test_ratio_scale_accessors() -> None:
    case = REF["generic"]["seed_orr"]
    es = meta.effect_sizes_from_ci(case["estimate"], case["lower"], case["upper"])
    res = meta.pool(es, method="FE")
    assert res.effect == pytest.approx(np.exp(res.estimate))
    assert res.effect_ci == pytest.approx((np.exp(res.ci_lower), np.exp(res.ci_upper)))
    assert res.log_scale and res.measure == "generic"


@pytest.mark.parametrize(("name", "expected"), [
    ("seed_orr", "fixed"),   # Q p = 0.31, I^2 = 3.3%
    ("seed_os", "fixed"),
    ("seed_pfs", "random"),  # Q p = 1.5e-5, I^2 = 94.7%
    ("five_hr", "fixed"),    # Q p = 0.12, I^2 = 45.0%: close to both thresholds
])
def test_choose_model_seed_rule(name: str, expected: str) -> None:
    case = REF["generic"][name]
    es = meta.effect_sizes_from_ci(case["estimate"], case["lower"], case["upper"])
    for method in ("FE", "DL", "REML"):
        assert meta.choose_model(meta.pool(es, method=method)) == expected  # type: ignore[arg-type]


def test_choose_model_thresholds() -> None:
    es = meta.effect_sizes_2x2(*_counts("bcg"))
    res = meta.pool(es, method="FE")
    assert res.q_p_value < 1e-20
    assert meta.choose_model(res) == "random"
    assert meta.choose_model(res, q_p_above=0.0, i2_below=100.0) == "fixed"
    assert meta.choose_model(res, q_p_above=0.0, i2_below=res.i2) == "random"  # strict <


@pytest.mark.parametrize(("estimate", "lower", "upper"), [
    ([1.2], [1.3], [2.0]),     # estimate outside its CI
    ([1.2], [0.0], [2.0]),     # ratio limit not positive
    ([1.2, 1.1], [0.9], [2.0]),
])
def test_bad_estimates_with_ci_are_refused(estimate: list, lower: list, upper: list) -> None:
    with pytest.raises(StatsInputError):
        meta.effect_sizes_from_ci(estimate, lower, upper)


def test_undefined_mantel_haenszel_is_refused() -> None:
    with pytest.raises(StatsInputError, match="undefined"):
        meta.mantel_haenszel([0, 0], [10, 12], [3, 4], [7, 8])


def test_arm_without_patients_is_refused() -> None:
    with pytest.raises(StatsInputError, match="both arms"):
        meta.peto([0, 2], [0, 8], [1, 3], [9, 7])
