"""trialspec.stats.survival against R's survival package (tests/fixtures/r/survival.R):
survfit curves, summary(fit, times), medians, survdiff and coxph on survival::lung."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rref import FIXTURES, assert_r, load
from scipy import stats

from trialspec.stats.errors import StatsInputError
from trialspec.stats.survival import (
    CONF_TYPES,
    KaplanMeierCurve,
    cox_ph,
    kaplan_meier,
    log_rank,
)

REF = load("survival.json")
TIMES = [0, 100, 180.5, 365, 500, 730, 1000]
CURVE_FIELDS = ("time", "n_risk", "n_event", "n_censor", "surv", "std_err_log", "lower",
                "upper")


def _lung() -> dict[str, np.ndarray]:
    with open(FIXTURES / "lung.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {col: np.array([float(r[col]) for r in rows]) for col in rows[0]}


LUNG = _lung()
TIME, EVENT, SEX, AGE = LUNG["time"], LUNG["status"] == 2, LUNG["sex"], LUNG["age"]


def _assert_curve(curve: KaplanMeierCurve, ref: dict) -> None:
    for field in CURVE_FIELDS:
        assert_r(getattr(curve, field), ref[field], what=field)
    assert_r([curve.n, curve.events], [ref["n"], ref["events"]])
    assert_r([curve.median, curve.median_lower, curve.median_upper],
             [ref["median"], ref["median_lower"], ref["median_upper"]], what="median")


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("sex", [1, 2])
def test_km_by_group_as_survfit(conf_type: str, sex: int) -> None:
    fit = kaplan_meier(TIME, EVENT, SEX, conf_type=conf_type)  # type: ignore[arg-type]
    assert fit.groups == (1, 2)
    _assert_curve(fit.curve(sex), REF["km"][conf_type]["by_sex"][str(sex)])


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("sex", [1, 2])
def test_km_90_percent_as_survfit(conf_type: str, sex: int) -> None:
    fit = kaplan_meier(TIME, EVENT, SEX, conf_type=conf_type,  # type: ignore[arg-type]
                       conf_level=0.90)
    _assert_curve(fit.curve(sex), REF["km"][conf_type]["by_sex_90"][str(sex)])


@pytest.mark.parametrize("conf_type", CONF_TYPES)
def test_km_pooled_as_survfit(conf_type: str) -> None:
    fit = kaplan_meier(TIME, EVENT, conf_type=conf_type)  # type: ignore[arg-type]
    assert fit.groups == (None,)
    _assert_curve(fit.curve(), REF["km"][conf_type]["all"])


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("sex", [1, 2])
def test_km_at_times_as_summary(conf_type: str, sex: int) -> None:
    curve = kaplan_meier(TIME, EVENT, SEX, conf_type=conf_type).curve(sex)  # type: ignore[arg-type]
    at = curve.at(TIMES)
    ref = REF["km"][conf_type]["by_sex_at"][str(sex)]
    for field in ("time", "n_risk", "surv", "std_err", "lower", "upper"):
        assert_r(getattr(at, field), ref[field], what=field)


@pytest.mark.parametrize("conf_type", CONF_TYPES)
@pytest.mark.parametrize("name", list(REF["toy"]))
def test_km_median_rules_as_survfit(conf_type: str, name: str) -> None:
    """S(t) = 0.5 exactly (midpoint rule), a plateau at 0.5, S reaching 0, not reached,
    tied events and censorings."""
    case = REF["toy"][name]
    fit = kaplan_meier(case["time"], case["event"], conf_type=conf_type)  # type: ignore[arg-type]
    _assert_curve(fit.curve(), case[conf_type])


def test_median_not_reached_is_none() -> None:
    case = REF["toy"]["not_reached"]
    assert kaplan_meier(case["time"], case["event"]).curve().median is None


def test_km_survival_agrees_with_scipy_ecdf() -> None:
    """The numpy Kaplan-Meier against scipy's own estimator, on random tied data."""
    rng = np.random.default_rng(7)
    time = rng.integers(1, 60, size=5000).astype(float)
    event = rng.random(5000) < 0.7
    curve = kaplan_meier(time, event).curve()
    sf = stats.ecdf(stats.CensoredData.right_censored(time, ~event)).sf
    np.testing.assert_allclose(curve.surv, sf.evaluate(curve.time), rtol=1e-12)


def test_log_rank_two_groups_as_survdiff() -> None:
    res = log_rank(TIME, EVENT, SEX)
    ref = REF["survdiff"]["sex"]
    assert_r([res.chisq, res.df, res.p_value], [ref["chisq"], ref["df"], ref["p_value"]])
    assert_r(res.observed, ref["observed"])
    assert_r(res.expected, ref["expected"])
    assert_r(res.n, ref["n"])
    assert res.groups == (1, 2)


def test_log_rank_three_groups_as_survdiff() -> None:
    ref = REF["survdiff"]
    low, high = ref["age_breaks"]
    labels = np.array(ref["age_groups"])
    # R's cut(age, c(0, 60, 70, Inf)) is right-closed; 'a', 'b', 'c' sort as R's levels
    group = np.array(["a", "b", "c"])[np.searchsorted([low, high], AGE, side="left")]
    res = log_rank(TIME, EVENT, group)
    case = ref["age_group"]
    assert len(res.groups) == len(labels)
    assert_r([res.chisq, res.df, res.p_value], [case["chisq"], case["df"], case["p_value"]])
    assert_r(res.observed, case["observed"])
    assert_r(res.expected, case["expected"])


COX_CASES = {
    "sex_efron": (("sex",), "efron", 0.95),
    "sex_breslow": (("sex",), "breslow", 0.95),
    "sex_age_efron": (("sex", "age"), "efron", 0.95),
    "sex_efron_90": (("sex",), "efron", 0.90),
}


@pytest.mark.parametrize("name", list(COX_CASES))
def test_cox_as_coxph(name: str) -> None:
    covariates, ties, level = COX_CASES[name]
    x = np.column_stack([LUNG[c] for c in covariates])
    res = cox_ph(TIME, EVENT, x, names=covariates, ties=ties,  # type: ignore[arg-type]
                 conf_level=level)
    ref = REF["coxph"][name]
    assert res.names == covariates
    for field, key in [("coef", "coef"), ("se", "se"), ("hazard_ratio", "hazard_ratio"),
                       ("conf_low", "conf_int_lower"), ("conf_high", "conf_int_upper"),
                       ("z", "z"), ("p_value", "p_value")]:
        assert_r(getattr(res, field), ref[key], what=field)
    assert_r([res.loglik_null, res.loglik], ref["loglik"], what="loglik")


def test_cox_without_a_maximum_is_refused() -> None:
    """Events only where the covariate is 1: the hazard ratio is infinite."""
    with pytest.raises(StatsInputError, match="did not converge"):
        cox_ph([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0])


def test_results_cannot_be_modified() -> None:
    curve = kaplan_meier(TIME, EVENT).curve()
    with pytest.raises(ValueError, match="read-only"):
        curve.surv[0] = 0.5


@pytest.mark.parametrize(("time", "event", "match"), [
    ([1, 2, 3], [1, 0], "event has 2 values"),
    ([1, 2, np.nan], [1, 0, 1], "missing"),
    ([1, 2, 3], [1, 2, 0], "0 \\(censored\\) or 1"),
    ([], [], "no observations"),
])
def test_bad_survival_data_is_refused(time: list, event: list, match: str) -> None:
    with pytest.raises(StatsInputError, match=match):
        kaplan_meier(time, event)


def test_log_rank_needs_two_groups() -> None:
    with pytest.raises(StatsInputError, match="two groups"):
        log_rank([1, 2, 3], [1, 1, 0], [1, 1, 1])


def test_unknown_conf_type_is_refused() -> None:
    with pytest.raises(StatsInputError, match="conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="logit")  # type: ignore[arg-type]


def _km_row_by_row(time: np.ndarray, event: np.ndarray) -> tuple[list[float], list[float]]:
    """The textbook estimator, one distinct time at a time: the reference for the numpy one."""
    surv, var, s_out, se_out = 1.0, 0.0, [], []
    for t in sorted(set(time.tolist())):
        at_risk = int((time >= t).sum())
        deaths = int(((time == t) & event).sum())
        surv *= 1 - deaths / at_risk
        var += deaths / (at_risk * (at_risk - deaths)) if at_risk > deaths else np.inf
        s_out.append(surv)
        se_out.append(np.sqrt(var))
    return s_out, se_out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.booleans()), min_size=1, max_size=40))
def test_km_agrees_with_a_row_by_row_reference(data: list[tuple[int, bool]]) -> None:
    time = np.array([d[0] for d in data], dtype=float)
    event = np.array([d[1] for d in data])
    curve = kaplan_meier(time, event).curve()
    surv, se = _km_row_by_row(time, event)
    np.testing.assert_allclose(curve.surv, surv, rtol=1e-12)
    np.testing.assert_allclose(curve.std_err_log, se, rtol=1e-12)
