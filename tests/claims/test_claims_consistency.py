"""Claims against each other, no patient data: each kind of mismatch on small made-up
reports (hand-computed expectations), then the seed paper's own numbers."""

from __future__ import annotations

import pytest
from claims_ref import close, load

from trialspec.claims.consistency import (
    estimate_ci,
    grim,
    group_sizes,
    must_sum,
    p_range,
    possible_denominators,
    statistic_p,
)

# --- GRIM ------------------------------------------------------------------------------------


def test_grim_accepts_a_possible_count_and_percentage() -> None:
    f = grim("12 (75%)", 16)
    assert f.consistent and f.code == "TS720"


def test_grim_rejects_a_percentage_no_count_of_n_gives() -> None:
    f = grim("3 (50.05%)", 6)  # 3/6 = 50.00%, and 50.05 to 2 decimals excludes it
    assert not f.consistent and f.code == "TS720"
    assert "3/6 = 50.00%" in f.message


def test_grim_names_the_count_the_percentage_belongs_to() -> None:
    f = grim("4 (75%)", 4)  # 75% of 4 is 3, not 4
    assert not f.consistent and "3/4" in f.message


def test_grim_finds_the_other_denominator_a_percentage_was_computed_on() -> None:
    f = grim("8 (80%)", 11, label="exposed", denominators={"exposed": 11, "unexposed": 10})
    assert not f.consistent and f.code == "TS721"
    assert "unexposed (n = 10: 8/10 = 80.00%)" in f.message
    assert f.claims == ("exposed",)


def test_grim_on_a_bare_percentage_asks_whether_any_count_fits() -> None:
    assert grim("45.5%", 11).consistent  # 5/11 = 45.45%
    f = grim("45.5%", 10, denominators={"other group": 11})
    assert not f.consistent and f.code == "TS721" and "other group (n = 11)" in f.message


def test_grim_refuses_a_count_above_the_group_size() -> None:
    f = grim("7 (70%)", 5)
    assert not f.consistent and "exceeds" in f.message


def test_grim_uses_the_printed_denominator() -> None:
    assert grim("5/7 (71%)").consistent
    assert not grim("5/7 (72%)").consistent
    f = grim("5/7 (71%)", 15)  # the abstract's 5/7 against Table 5's group of 15
    assert not f.consistent and f.code == "TS722" and "printed of 7" in f.message


def test_possible_denominators() -> None:
    assert possible_denominators("71.4%", 21) == (7, 14, 21)
    assert possible_denominators("61.1%", 21) == (18,)
    assert possible_denominators("57.2%", 137) == ()  # the smallest group is 138
    assert possible_denominators("57.2%", 138) == (138,)


# --- sums ------------------------------------------------------------------------------------


def test_rows_that_sum() -> None:
    f = must_sum({"PR": "10 (62.5%)", "MR": "2 (12.5%)"}, "12 (75%)", total_label="ORR")
    assert f.consistent and f.code == "TS723"


def test_rows_that_do_not_sum() -> None:
    f = must_sum({"PR": "10", "MR": "2"}, "13 (81%)", total_label="ORR")
    assert not f.consistent and f.message == "PR 10 + MR 2 = 12, but ORR is 13"


def test_percentages_that_cannot_sum_within_rounding() -> None:
    f = must_sum({"PR": "10 (62.5%)", "MR": "2 (12.5%)"}, "12 (76%)", total_label="ORR")
    assert not f.consistent and "percentages add to" in f.message


def test_group_sizes_against_the_stated_total() -> None:
    f = group_sizes({"male": "7", "female": "6"}, "21", total_label="patients")
    assert not f.consistent and f.code == "TS722"
    assert f.message == "male 7 + female 6 = 13, but patients is 21"
    assert group_sizes({"relapsed": 16, "refractory": 5}, 21).consistent


# --- statistic vs p ----------------------------------------------------------------------------


def test_p_range_of_a_rounded_chi_square_against_r() -> None:
    ref = load()["chi2_p"]
    by = dict(zip(ref["statistic"], ref["p_value"], strict=True))
    lo, hi = p_range("4.887")
    close([lo, hi], [by[4.8875], by[4.8865]])


def test_statistic_and_p_that_match() -> None:
    assert statistic_p("4.887", "0.027").consistent
    assert statistic_p("1.96", "0.05", test="z").consistent
    assert statistic_p("-1.96", "0.050", test="z").consistent
    assert statistic_p("2.10", "0.049", test="t", df=20).consistent
    assert statistic_p("25.3", "<0.001").consistent


def test_statistic_and_p_that_do_not_match() -> None:
    f = statistic_p("4.887", "0.047")
    assert not f.consistent and f.code == "TS724"
    assert "gives p = 0.02705-0.02707, not 0.047" in f.message
    assert "Fisher" in (f.hint or "")
    assert not statistic_p("3.84", "0.05", df=2).consistent  # df = 2 gives 0.147


# --- estimate vs CI ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["3.27 [2.34;4.56]", "0.31 [0.29;0.33]", "4.38 [1.45;13.23]",
                                  "0.71 (95% CI: 0.58-0.87)"])
def test_ratio_at_the_log_centre_of_its_ci(text: str) -> None:
    assert estimate_ci(text).consistent


def test_ratio_off_the_log_centre() -> None:
    f = estimate_ci("3.27 [2.34;5.56]")  # sqrt(2.34 * 5.56) = 3.607
    assert not f.consistent and f.code == "TS725" and "3.602-3.612" in f.message


def test_arithmetic_centre_is_not_the_log_centre() -> None:
    # 1.50 [0.50;2.50] is symmetric on the linear scale; as a ratio its centre is 1.118
    assert estimate_ci("1.50 [0.50;2.50]", scale="linear").consistent
    assert not estimate_ci("1.50 [0.50;2.50]").consistent


def test_difference_on_the_linear_scale() -> None:
    assert estimate_ci("-1.2 (95% CI -2.3 to -0.1)", scale="linear").consistent
    assert estimate_ci("39%, 95% CI: 16-61%", scale="linear").consistent
    assert not estimate_ci("-1.2 (95% CI -2.9 to -0.1)", scale="linear").consistent


def test_estimate_outside_its_ci() -> None:
    f = estimate_ci("0.80 [0.85;1.20]")
    assert not f.consistent and "outside" in f.message


@pytest.mark.parametrize("text", ["20.9 (95% CI: 15.1-NR)", "NR (95% CI: 15.1-NR)", "NE (95% CI: NE-NE)",
                                  "0.00 (95% CI: 0.00-NE)"])
def test_a_ci_with_a_bound_not_reached_has_no_centre_only_an_order(text: str) -> None:
    f = estimate_ci(text)
    assert f.consistent and f.code == "TS725" and "no centre" in f.message


@pytest.mark.parametrize(("text", "what"), [
    ("NR (95% CI: 15.1-30.2)", "the estimate is NR, but the upper bound 30.2 is reached"),
    ("12.0 (95% CI: 15.1-NR)", "the estimate is below its lower bound"),
    ("NE (95% CI: 31.0-30.2)", "the lower bound is above the upper bound"),
])
def test_a_ci_with_a_bound_not_reached_out_of_order(text: str, what: str) -> None:
    f = estimate_ci(text, label="K.median.a")
    assert not f.consistent and f.code == "TS725" and what in f.message
    assert f.claims == ("K.median.a",)
