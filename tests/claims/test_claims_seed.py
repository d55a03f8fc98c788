"""The seed paper's Tables 2-7 (and the text around them) as reported claims: what each
number turns out to be. docs/claims.md walks through the same results."""

from __future__ import annotations

import pytest

from trialspec.claims.consistency import (
    estimate_ci,
    grim,
    group_sizes,
    must_sum,
    possible_denominators,
    statistic_p,
)
from trialspec.claims.explain import explain_test
from trialspec.claims.meta import pooled
from trialspec.claims.pooling import ModelRule

# Table 2: (study 1, study 2, pooled, weights)
TABLE2 = {
    "ORR": ("2.82 [1.84;4.33]", "4.02 [2.36;6.85]", "3.27 [2.34;4.56]", ("62.8%", "37.2%")),
    "VGPR": ("3.54 [2.41;5.18]", "4.10 [2.83;5.95]", "3.82 [2.93;4.99]", ("50.1%", "49.9%")),
    "MRD": ("4.38 [1.45;13.23]", "3.34 [1.99;5.60]", "3.52 [2.21;5.63]", ("17.9%", "82.1%")),
    "PFS": ("0.31 [0.29;0.33]", "0.41 [0.37;0.46]", "0.36 [0.27;0.47]", ("51.1%", "48.9%")),
    "OS": ("0.77 [0.59;1.01]", "0.64 [0.47;0.87]", "0.71 [0.58;0.87]", ("56.1%", "43.9%")),
}
# outcome -> (outputs fixed effect reproduces, outputs random effects reproduces, consistent)
ALL = ("estimate", "lower", "upper", "weight 1", "weight 2")
TABLE2_FINDINGS = {
    "ORR": ((), ("upper",), False),
    "VGPR": (("estimate", "lower", "upper"), ("estimate", "lower", "upper"), False),
    "MRD": (("weight 1", "weight 2"), ("weight 1", "weight 2"), False),
    "PFS": ((), ALL, True),
    "OS": (ALL, ALL, True),
}


@pytest.mark.parametrize("outcome", sorted(TABLE2))
def test_table2_every_ratio_sits_at_the_log_centre_of_its_ci(outcome: str) -> None:
    for text in TABLE2[outcome][:3]:
        assert estimate_ci(text).consistent, text


@pytest.mark.parametrize("outcome", sorted(TABLE2))
def test_table2_pooled_rows_against_their_studies(outcome: str) -> None:
    s1, s2, pooled_row, weights = TABLE2[outcome]
    res = pooled([s1, s2], pooled_row, weights, rule=ModelRule())
    fixed, random, consistent = TABLE2_FINDINGS[outcome]
    assert res.matches == {"fixed": fixed, "random": random}
    assert res.finding.consistent is consistent
    if outcome == "PFS":
        assert res.rule_choice == "random"  # I^2 91-97%: the paper's own rule picks random
        assert "random effects (DerSimonian-Laird)" in res.finding.message


# Tables 3-7: (2x2 of ORR counts by group, printed Test Value, printed P,
#              expected: statistic explained by, how; p explained by)
TESTS = {
    "T3 age": ([[7, 4], [6, 4]], "0.290", "1.0", "pearson_chi2", "decimal-shift"),
    "T3 gender": ([[7, 4], [6, 4]], "0.290", "1.0", "pearson_chi2", "decimal-shift"),
    "T3 chain": ([[4, 2], [9, 6]], "0.081", "1.0", "pearson_chi2", "reproduces"),
    "T4": ([[12, 4], [1, 4]], "4.887", "0.047", "pearson_chi2", "reproduces"),
    "T5": ([[9, 6], [4, 2]], "0.081", "1.0", "pearson_chi2", "reproduces"),
    "T6": ([[5, 6], [8, 2]], "2.651", "0.183", "pearson_chi2", "reproduces"),
    "T7": ([[4, 1], [9, 7]], "0.911", "0.606", "pearson_chi2", "reproduces"),
}


@pytest.mark.parametrize("table", sorted(TESTS))
def test_test_value_is_chi_square_without_yates_and_p_is_fisher(table: str) -> None:
    counts, stat, p, stat_by, how = TESTS[table]
    e = explain_test(counts, stat, p, planned="fisher")
    assert e.statistic and e.p
    first = e.statistic.explanations[0]
    assert (first.candidate, first.how) == (stat_by, how)
    assert "fisher" in {x.candidate for x in e.p.explanations if x.how == "reproduces"}
    assert e.p.reproduced  # the P column is Fisher's two-sided exact p throughout
    assert e.same_test is False and "different tests" in e.notes[0]
    assert not statistic_p(stat, p).consistent  # visible without the counts too


def test_table3_test_value_0290_is_0029_with_its_decimal_point_moved() -> None:
    e = explain_test([[7, 4], [6, 4]], "0.290", planned="pearson_chi2")
    assert e.statistic and e.statistic.code == "TS713"
    assert e.statistic.computed == pytest.approx(0.0293706293706294, rel=1e-9)


def test_table4_as_a_2x3_table_does_not_give_its_numbers() -> None:
    e = explain_test([[10, 2, 4], [1, 0, 4]], "4.887", "0.047")  # PR, MR, no response
    assert e.statistic and e.statistic.code == "TS711" and e.p and e.p.code == "TS711"


# Every "count (percent)" of Tables 3-7 with its column's n
PERCENTS = [
    ("7(53.8%)", 13), ("4(50%)", 8), ("6(46.2%)", 13), ("4(50%)", 8), ("4(30.8%)", 13),
    ("2(25%)", 8), ("9(69.2%)", 13), ("6(75%)", 8),
    ("10(62.5%)", 16), ("1(20%)", 5), ("2(12.5%)", 16), ("12(75%)", 16),
    ("8(53.3%)", 15), ("1(6.7%)", 15), ("1(16.7%)", 6), ("9(60.0%)", 15), ("4(66.7%)", 6),
    ("4(36.4%)", 11), ("7(70.0%)", 10), ("1(9.1%)", 11), ("1(10.0%)", 10), ("5(45.5%)", 11),
    ("8(80.0%)", 10),
    ("4(80.0%)", 5), ("7(43.8%)", 16), ("2(12.5%)", 16), ("4(80.0%)", 5), ("9(56.3%)", 16),
]


@pytest.mark.parametrize(("text", "n"), PERCENTS)
def test_tables3_to_7_percentages_are_possible(text: str, n: int) -> None:
    assert grim(text, n).consistent


def test_table5_50_05_percent_of_6_is_impossible() -> None:
    f = grim("3(50.05%)", 6)
    assert not f.consistent and f.code == "TS720"


@pytest.mark.parametrize(("pr", "mr", "orr"), [
    ("10(62.5%)", "2(12.5%)", "12(75%)"), ("1(20%)", "0", "1(20%)"),
    ("8(53.3%)", "1(6.7%)", "9(60.0%)"), ("3(50.05%)", "1(16.7%)", "4(66.7%)"),
    ("4(36.4%)", "1(9.1%)", "5(45.5%)"), ("7(70.0%)", "1(10.0%)", "8(80.0%)"),
    ("4(80.0%)", "0", "4(80.0%)"), ("7(43.8%)", "2(12.5%)", "9(56.3%)"),
])
def test_pr_plus_mr_is_orr_in_tables_4_to_7(pr: str, mr: str, orr: str) -> None:
    assert must_sum({"PR": pr, "MR": mr}, orr, total_label="ORR").consistent


def test_group_sizes() -> None:
    for groups in ({"effective": 13, "invalid": 8}, {"relapsed": 16, "refractory": 5},
                   {"exposed": 15, "unexposed": 6}, {"exposed": 11, "unexposed": 10},
                   {"exposed": 5, "unexposed": 16}):
        assert group_sizes(groups, 21).consistent
    # Table 1 and the methods text describe 13 patients where the paper says 21
    assert not group_sizes({"male": "7", "female": "6"}, "21").consistent
    assert not group_sizes({"relapsed": "9", "refractory": "4"}, "21").consistent


def test_text_swaps_table6_percentages() -> None:
    # "the ORR of the lenalidomide exposed group and the unexposed group were 80% vs 45.5%"
    sizes = {"lenalidomide exposed": 11, "lenalidomide unexposed": 10}
    f80 = grim("80%", 11, denominators=sizes)
    f45 = grim("45.5%", 10, denominators=sizes)
    assert f80.code == f45.code == "TS721"
    assert "lenalidomide unexposed (n = 10)" in f80.message
    assert "lenalidomide exposed (n = 11)" in f45.message


def test_text_57_2_percent_is_impossible_for_any_group_of_the_study() -> None:
    # "the ORR of the renal insufficiency group/normal renal function group was 71.4% vs 57.2%"
    assert possible_denominators("71.4%", 21) == (7, 14, 21)
    assert possible_denominators("57.2%", 21) == ()


def test_section_3_3_p_values_with_counts_read_from_the_text() -> None:
    # IgA ORR 9/12 vs IgG 5/5, "p=0.3235": Fisher's one-sided p, not the two-sided one
    e = explain_test([[9, 3], [5, 0]], p="0.3235", planned="fisher")
    assert e.p and not e.p.reproduced and e.p.code == "TS712"
    assert [x.candidate for x in e.p.explanations] == ["fisher_less"]
    # non-light chain 15/18 vs light chain 3/4, "p=0.4462"; IgA CR 3/12 vs IgG 2/5, "P=0.3555"
    for counts, p in (([[15, 3], [3, 1]], "0.4462"), ([[3, 9], [2, 3]], "0.3555")):
        e = explain_test(counts, p=p)
        assert e.p and e.p.code == "TS711" and not e.p.explanations
