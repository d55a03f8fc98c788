"""trialspec.stats.effects against R: RD (Wald, Newcombe), RR (log CI), NNT and prop.test
(tests/fixtures/r/effects.R)."""

from __future__ import annotations

import pytest
from rref import assert_r, load

from trialspec.stats.effects import prop_test, two_proportions
from trialspec.stats.errors import StatsInputError

REF = load("effects.json")
CASES = [k for k in REF if k != "k3_esoph" and not k.startswith("_")]


@pytest.mark.parametrize("name", CASES)
def test_rd_rr_nnt_as_r(name: str) -> None:
    case = REF[name]
    x1, n1, x2, n2 = case["counts"]
    got = two_proportions(x1, n1, x2, n2, conf_level=case["level"])
    rd, rr = case["rd"], case["rr"]
    assert_r([got.rd.estimate, got.rd.se, got.rd.conf_low, got.rd.conf_high, got.rd.p_value],
             [rd["estimate"], rd["se"], *rd["wald"], rd["p_value"]])
    assert_r(list(got.rd_newcombe), rd["newcombe"])
    assert_r([got.rr.estimate, got.rr.log_estimate, got.rr.se, got.rr.conf_low,
              got.rr.conf_high, got.rr.p_value],
             [rr["estimate"], rr["log_estimate"], rr["se"], *rr["conf_int"], rr["p_value"]])
    if rd["estimate"] != 0:
        assert_r([got.nnt], [case["nnt"]])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("correct", [True, False])
def test_prop_test_as_r(name: str, correct: bool) -> None:
    case = REF[name]
    x1, n1, x2, n2 = case["counts"]
    ref = case["prop_test" if correct else "prop_test_uncorrected"]
    got = prop_test([x1, x2], [n1, n2], correct=correct, conf_level=case["level"])
    assert got.conf_int is not None
    assert_r([got.statistic, got.df, got.p_value, *got.conf_int],
             [ref["statistic"], ref["df"], ref["p_value"], *ref["conf_int"]])


def test_prop_test_three_groups_esoph() -> None:
    ref = REF["k3_esoph"]
    got = prop_test(ref["x"], ref["n"])
    assert got.conf_int is None
    assert_r([got.statistic, got.df, got.p_value], [ref["statistic"], ref["df"], ref["p_value"]])


def test_nnt_ci_unbounded_when_rd_ci_covers_zero() -> None:
    got = two_proportions(10, 40, 10, 40)
    assert got.nnt_ci == (None, None)
    strep = two_proportions(4, 55, 14, 52)
    assert strep.nnt_ci[0] is not None and strep.nnt_ci[0] < strep.nnt < strep.nnt_ci[1]


def test_bad_counts_raise() -> None:
    with pytest.raises(StatsInputError):
        two_proportions(5, 4, 1, 3)
    with pytest.raises(StatsInputError):
        prop_test([1], [3])
