"""trialspec.stats.tables against R's fisher.test, chisq.test and metafor::escalc
(tests/fixtures/r/tables.R)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rref import assert_r, load
from scipy.stats.contingency import odds_ratio

from trialspec.stats import tables
from trialspec.stats.errors import StatsInputError
from trialspec.stats.tables import chi_square, fisher_exact, odds_ratio_wald

REF = load("tables.json")
TWO_BY_TWO = REF["two_by_two"]
R_BY_C = REF["r_by_c"]
FISHER_VARIANTS = {  # fixture key -> (alternative, conf_level)
    "two_sided": ("two-sided", 0.95),
    "less": ("less", 0.95),
    "greater": ("greater", 0.95),
    "two_sided_90": ("two-sided", 0.90),
}


def _fisher_numbers(res: tables.FisherResult) -> list[float | None]:
    return [res.p_value, res.odds_ratio, res.conf_low, res.conf_high]


def _r_fisher_numbers(ref: dict) -> list[float]:
    return [ref["p_value"], ref["estimate"], *ref["conf_int"]]


@pytest.mark.parametrize("name", list(TWO_BY_TWO))
@pytest.mark.parametrize("variant", list(FISHER_VARIANTS))
def test_fisher_2x2_as_r(name: str, variant: str) -> None:
    case = TWO_BY_TWO[name]
    alternative, level = FISHER_VARIANTS[variant]
    res = fisher_exact(case["table"], alternative=alternative, conf_level=level)
    assert_r(_fisher_numbers(res), _r_fisher_numbers(case["fisher"][variant]))


@pytest.mark.parametrize("name", list(TWO_BY_TWO))
def test_fisher_2x2_precise_roots(name: str) -> None:
    """With a tight root tolerance: as R's fisher.test with uniroot(tol = 1e-12), and as
    scipy's independent conditional odds ratio."""
    case = TWO_BY_TWO[name]
    res = fisher_exact(case["table"], root_tol=1e-12)
    assert_r(_fisher_numbers(res), _r_fisher_numbers(case["fisher"]["two_sided_precise"]))
    sp = odds_ratio(np.array(case["table"]), kind="conditional")
    ci = sp.confidence_interval(0.95)
    assert_r([res.odds_ratio, res.conf_low, res.conf_high], [sp.statistic, ci.low, ci.high])


def test_r_default_tolerance_is_visible_in_extreme_tables() -> None:
    """Why root_tol exists: R's default tolerance puts this lower limit 50% off."""
    table = TWO_BY_TWO["lopsided"]["table"]
    as_r = fisher_exact(table).conf_low
    precise = fisher_exact(table, root_tol=1e-12).conf_low
    assert as_r == pytest.approx(6.103515625e-05, rel=1e-6)
    assert precise == pytest.approx(4.0026167850944e-05, rel=1e-6)


@pytest.mark.parametrize("name", list(TWO_BY_TWO))
@pytest.mark.parametrize(("key", "correct"), [("chisq_yates", True), ("chisq", False)])
def test_chi_square_2x2_as_r(name: str, key: str, correct: bool) -> None:
    case = TWO_BY_TWO[name]
    ref = case[key]
    res = chi_square(case["table"], correct=correct)
    assert res.yates is correct
    # Yates can make the statistic exactly 0, where R keeps rounding noise (8.5e-32)
    assert_r(res.statistic, ref["statistic"], atol=1e-12)
    assert_r([res.df, res.p_value], [ref["df"], ref["p_value"]])
    assert_r(res.expected, ref["expected"])
    assert res.min_expected == pytest.approx(np.min(ref["expected"]), rel=1e-12)


@pytest.mark.parametrize("name", list(TWO_BY_TWO))
@pytest.mark.parametrize(("key", "level"), [("wald_or", 0.95), ("wald_or_90", 0.90)])
def test_wald_odds_ratio_as_escalc(name: str, key: str, level: float) -> None:
    case = TWO_BY_TWO[name]
    ref = case[key]
    res = odds_ratio_wald(case["table"], conf_level=level)
    assert_r([res.log_estimate, res.se, res.estimate, res.conf_low, res.conf_high,
              res.p_value], [ref["log_or"], ref["se"], ref["estimate"], *ref["conf_int"],
                             ref["p_value"]])
    assert res.corrected is bool(np.any(np.array(case["table"]) == 0))


@pytest.mark.parametrize("name", list(R_BY_C))
def test_chi_square_r_by_c_as_r(name: str) -> None:
    case = R_BY_C[name]
    res = chi_square(case["table"], correct=True)  # ignored beyond 2x2, as in R
    assert not res.yates
    ref = case["chisq"]
    assert_r([res.statistic, res.df, res.p_value], [ref["statistic"], ref["df"],
                                                    ref["p_value"]])
    assert_r(res.expected, ref["expected"])


@pytest.mark.parametrize("name", [n for n in R_BY_C if n != "three_by_three"])
def test_fisher_2xk_as_r(name: str) -> None:
    case = R_BY_C[name]
    res = fisher_exact(case["table"])
    assert_r(res.p_value, case["fisher_p_value"])
    assert res.odds_ratio is None and res.conf_low is None


def test_fisher_r_by_c_beyond_2xk_as_r() -> None:
    case = R_BY_C["three_by_three"]
    assert_r(fisher_exact(case["table"]).p_value, case["fisher_p_value"])


def test_fisher_r_by_c_refuses_too_many_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    from trialspec.stats import fisher_rxc

    monkeypatch.setattr(fisher_rxc, "MAX_VALUES", 0)
    with pytest.raises(StatsInputError, match="too many tables"):
        fisher_exact(R_BY_C["three_by_three"]["table"])


def test_fisher_2xk_refuses_too_many_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_ENUMERATED_TABLES", 10)
    with pytest.raises(StatsInputError, match="too many tables"):
        fisher_exact(R_BY_C["two_by_four"]["table"])


def test_seed_table_4_claims() -> None:
    """The seed paper prints "4.887" (uncorrected chi-square) beside "0.047" (Fisher)."""
    table = TWO_BY_TWO["seed_relapsed_vs_refractory"]["table"]
    assert f"{chi_square(table, correct=False).statistic:.3f}" == "4.887"
    assert f"{fisher_exact(table).p_value:.3f}" == "0.047"
    assert f"{chi_square(table, correct=True).p_value:.3f}" == "0.092"


@pytest.mark.parametrize("bad", [
    [[1, 2], [3]],           # ragged
    [[1, -2], [3, 4]],       # negative
    [[1.5, 2], [3, 4]],      # not a count
    [[1, 2, 3]],             # one row
    [[1, np.nan], [3, 4]],   # missing
])
def test_bad_tables_are_refused(bad: object) -> None:
    with pytest.raises(StatsInputError):
        fisher_exact(bad)  # type: ignore[arg-type]


def test_chi_square_with_an_empty_row_is_refused() -> None:
    with pytest.raises(StatsInputError, match="empty row or column"):
        chi_square([[0, 0], [3, 4]])


def test_one_sided_fisher_needs_2x2() -> None:
    with pytest.raises(StatsInputError, match="one-sided"):
        fisher_exact(R_BY_C["two_by_three"]["table"], alternative="less")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=4, max_size=4))
def test_enumeration_agrees_with_the_2x2_test(cells: list[int]) -> None:
    """The 2xk enumeration, run on 2x2 tables, against the 2x2 code path."""
    t = np.array(cells, dtype=float).reshape(2, 2)
    assume(np.all(t.sum(axis=0) > 0) and np.all(t.sum(axis=1) > 0))
    assert tables._fisher_2xk_p_value(t) == pytest.approx(fisher_exact(t).p_value, rel=1e-9)
