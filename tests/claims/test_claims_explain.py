"""The explainer: which common computation gives a printed number, on small made-up reports
whose candidate values come from R (tests/fixtures/r/claims.R)."""

from __future__ import annotations

import pytest
from claims_ref import close, load

from trialspec.claims.explain import explain_percent, explain_test, judge, table_candidates
from trialspec.claims.meta import explain_pooled_counts

REF = load()
TABLES = REF["tables"]


@pytest.mark.parametrize("key", sorted(TABLES))
def test_every_candidate_agrees_with_r(key: str) -> None:
    ref = TABLES[key]
    cands = {c.name: c for c in table_candidates(ref["table"])}
    assert set(cands) == set(ref) - {"table"}
    for name, c in cands.items():
        close(c.p, ref[name]["p_value"])
        if c.statistic is not None:
            close(c.statistic, ref[name]["statistic"], atol=1e-12)  # Yates: 0 vs R's 1e-32


def test_reproduced_by_the_planned_test() -> None:
    e = explain_test([[15, 5], [6, 14]], "8.120", "0.004", planned="pearson_chi2")
    assert e.statistic and e.statistic.reproduced and e.statistic.code is None
    assert e.p and e.p.reproduced and e.same_test and not e.notes


def test_with_or_without_yates() -> None:
    # R: chisq.test(correct = TRUE) gives 6.416, p 0.0113; without, 8.120, p 0.00438
    e = explain_test([[15, 5], [6, 14]], "6.416", "0.011", planned="pearson_chi2")
    assert e.statistic and not e.statistic.reproduced and e.statistic.code == "TS712"
    assert [x.candidate for x in e.statistic.explanations] == ["pearson_chi2_yates"]
    assert e.p and e.p.explanations[0].candidate == "pearson_chi2_yates"
    assert e.same_test


def test_fisher_instead_of_chi_square() -> None:
    e = explain_test([[15, 5], [6, 14]], p="0.010", planned="pearson_chi2")
    assert e.p and not e.p.reproduced and e.p.code == "TS712"
    assert e.p.explanations[0].candidate == "fisher"
    close(e.p.computed, TABLES["made_up_a"]["pearson_chi2"]["p_value"])


def test_one_sided_fisher() -> None:
    e = explain_test([[15, 5], [6, 14]], p="0.005", planned="fisher")
    assert e.p and not e.p.reproduced
    assert [x.candidate for x in e.p.explanations] == ["fisher_greater"]


def test_one_sided_chi_square_is_half_its_p() -> None:
    e = explain_test([[15, 5], [6, 14]], p="0.0022", planned="pearson_chi2")
    assert e.p and e.p.explanations[0].how == "one-sided"
    assert e.p.code == "TS712"


def test_misplaced_decimal_either_way() -> None:
    e = explain_test([[15, 5], [6, 14]], "81.20", planned="pearson_chi2")
    assert e.statistic and e.statistic.code == "TS713"
    assert e.statistic.explanations[0].how == "decimal-shift"
    assert "moved one place right" in e.statistic.explanations[0].message
    e = explain_test([[15, 5], [6, 14]], "0.812", planned="pearson_chi2")
    assert e.statistic and "moved one place left" in e.statistic.explanations[0].message


def test_statistic_and_p_from_different_tests() -> None:
    e = explain_test([[15, 5], [6, 14]], "8.120", "0.010")
    assert e.same_test is False and e.statistic and e.p
    assert e.statistic.reproduced and e.p.reproduced  # each is some test's number ...
    assert "different tests" in e.notes[0]  # ... but not the same test's
    assert "whose own p is 0.004377" in e.notes[0]
    assert e.code == "TS714"
    assert explain_test([[15, 5], [6, 14]], "8.120", "0.004").code is None


def test_nothing_reproduces() -> None:
    e = explain_test([[15, 5], [6, 14]], "5.500", "0.300")
    assert e.statistic and e.statistic.code == "TS711" and not e.statistic.explanations
    assert e.p and e.p.code == "TS711"


def test_zero_cell_table() -> None:
    ref = TABLES["made_up_zero"]
    e = explain_test(ref["table"], "8.571", "0.011")
    assert e.statistic and e.statistic.explanations[0].candidate == "pearson_chi2"
    assert e.p and e.p.explanations[0].candidate == "fisher"


def test_two_by_k_table() -> None:
    ref = TABLES["made_up_2x4"]
    cands = {c.name for c in table_candidates(ref["table"])}
    assert cands == {"pearson_chi2", "likelihood_ratio", "fisher"}
    e = explain_test(ref["table"], "6.830", "0.106")
    assert e.statistic and e.statistic.reproduced and e.p and e.p.reproduced
    assert e.same_test is False


def test_a_bound_is_reproduced_by_anything_below_it() -> None:
    r = judge("<0.001", [("a", "test a", 0.0004), ("b", "test b", 0.002)], quantity="p")
    assert [e.candidate for e in r.explanations] == ["a"]


@pytest.mark.parametrize("bad", [[[1, -2], [3, 4]], [[1.5, 2], [3, 4]], [[1, 2, 3]],
                                 [[1, 2, 3], [4, 5, 6], [7, 8, 9]]])
def test_a_table_that_is_not_counts_is_refused(bad: list) -> None:
    with pytest.raises(ValueError):
        table_candidates(bad)


def test_unknown_planned_test() -> None:
    with pytest.raises(ValueError, match="unknown test"):
        explain_test([[1, 2], [3, 4]], p="0.5", planned="barnard")


def test_percentage_of_another_denominator() -> None:
    r = explain_percent("80%", 8, {"exposed": 11, "unexposed": 10, "all": 21},
                        planned="exposed")
    assert not r.reproduced and r.code == "TS712"
    assert [(e.candidate, e.how) for e in r.explanations] == [("unexposed", "other-denominator")]
    assert r.computed == pytest.approx(800 / 11)
    assert explain_percent("72.7%", 8, {"exposed": 11}, planned="exposed").reproduced


def test_mantel_haenszel_vs_inverse_variance_against_r() -> None:
    ref = REF["counts"]["made_up"]
    tables = [[[a, b], [c, d]] for a, b, c, d in
              zip(ref["ai"], ref["bi"], ref["ci"], ref["di"], strict=True)]
    e = explain_pooled_counts(tables, "2.13 [1.36;3.32]", ["27.0%", "49.3%", "23.7%"],
                              planned="mh")
    assert all(r.reproduced for r in e.results)
    mh, fe = ref["mh"], ref["fixed"]
    close(e.candidates["mh"], [mh["estimate"], mh["lower"], mh["upper"], *mh["weights"]])
    close(e.candidates["fixed"], [fe["estimate"], fe["lower"], fe["upper"], *fe["weights"]])
    # the pooled OR cannot tell MH from inverse variance here, the weights can
    e = explain_pooled_counts(tables, "2.13 [1.36;3.32]", ["27.0%", "49.3%", "23.7%"],
                              planned="fixed")
    assert e.results[0].reproduced
    assert not e.results[3].reproduced and e.results[3].code == "TS712"
    assert [x.candidate for x in e.results[3].explanations] == ["mh"]
