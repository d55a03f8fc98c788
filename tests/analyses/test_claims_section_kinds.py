"""Each kind of mismatch between a report and its data, on small made-up reports run through
the claims section. The data are the seed's Table 4 counts: 12 of 16 respond in arm a (2 CR,
10 PR), 1 of 5 in arm b; Pearson chi-square 4.887 (p 0.02707), with Yates 2.833 (p 0.0924),
Fisher's exact p 0.04747."""

from __future__ import annotations

import numpy as np
import pytest
from analyses_helpers import MINI_HEAD, finding, mini, mini_protocol, mini_tables, sections, t4_arms, verdicts

from trialspec.domain.analyses_meta import meta_analysis
from trialspec.domain.analyses_plan import compile_analyses

T = """
analyses:
  T: {endpoint: orr, by: arm, tests: TESTS}
reported:
  T:
"""


def report(tests: str, *lines: str) -> str:
    return T.replace("TESTS", tests) + "".join(f"    {line}\n" for line in lines)


def test_a_faithful_report_is_reproduced_with_no_findings() -> None:
    _analyses, claims = mini(report("[fisher]", 'n: {a: "16", b: "5"}', 'orr: {a: "12 (75%)", b: "1 (20%)"}',
                                    'cr: {a: "2 (12.5%)", b: "0"}', 'pr: {a: "10 (62.5%)", b: "1 (20%)"}',
                                    'p: "0.047"', 'ci: {a: "75% [47.6%; 92.7%]"}'))
    assert claims.findings == []
    assert {s for s, _codes in verdicts(claims).values()} == {"reproduced"}
    assert all(c.passed for c in claims.cases)


@pytest.mark.parametrize(("tests", "line", "code", "hint"), [
    ("[chi2]", 'p: "0.047"', "TS712", "Fisher's exact test (two-sided) gives 0.04747"),
    ("[chi2]", 'statistic: "2.833"', "TS712", "with Yates' correction gives 2.833"),
    ("[fisher]", 'p: "0.0135"', "TS712", "0.0135 is its half, a one-sided p-value"),
    ("[chi2]", 'statistic: "48.87"', "TS713", "decimal point moved one place right"),
    ("[chi2]", 'p: "0.012"', "TS711", "no common computation"),
])
def test_a_test_value_from_another_computation_is_explained(tests: str, line: str, code: str,
                                                            hint: str) -> None:
    body = report(tests, line)
    _analyses, claims = mini(body)
    d = finding(claims, code)
    assert hint in d.hint
    assert d.span.line == (MINI_HEAD + body).splitlines().index(f"    {line}") + 1  # the claim's own line


def test_statistic_and_p_from_two_tests() -> None:
    _analyses, claims = mini(report("[chi2, fisher]", 'statistic: "4.887"', 'p: "0.047"'))
    # the p is Fisher's, not the planned chi-square's: TS734 says which planned test gives it
    assert verdicts(claims) == {"T.statistic": ("inconsistent", ["TS714", "TS724"]),
                                "T.p": ("inconsistent", ["TS714", "TS724", "TS734"])}
    mixed = finding(claims, "TS714")
    assert "4.887 is Pearson chi-square without Yates' correction" in mixed.message
    assert [name for name, _ in mixed.related] == ["T.statistic"]
    assert "gives p = 0.02705-0.02707, not 0.047" in finding(claims, "TS724").message


@pytest.mark.parametrize(("lines", "label", "code", "text"), [
    (['orr: {a: "12 (57.1%)"}'], "T.orr.a", "TS712", "12 of all 21 subjects (another denominator)"),
    (['orr: {a: "20%", b: "75%"}'], "T.orr.a", "TS712", "the orr of b (1/5) gives 1/5 = 20%"),
    (['orr: {a: "13 (81.3%)"}'], "T.orr.a", "TS711", "no common computation"),
    (['ci: {a: "75% [53.8%; 96.2%]"}'], "T.ci.a", "TS712", "the Wald (normal) CI"),
    (['or: "0.0833 [0.0071;0.98]"'], "T.or", "TS712", "groups reversed"),
])
def test_a_count_or_estimate_from_another_computation(lines: list[str], label: str, code: str,
                                                      text: str) -> None:
    _analyses, claims = mini(report("[chi2]", *lines))
    assert verdicts(claims)[label] == ("not reproduced", [code])
    d = finding(claims, code, label)
    assert text in (d.hint or "") + d.message


def test_an_exact_ci_is_explained_and_its_asymmetry_noted() -> None:
    _analyses, claims = mini(report("[chi2]", 'or: "10.41 [0.755;635.5]"'))
    assert verdicts(claims)["T.or"] == ("not reproduced", ["TS712", "TS725"])
    assert "Fisher's conditional MLE with its exact CI" in finding(claims, "TS712").hint
    assert "an exact or profile CI need not be" in finding(claims, "TS725").hint


@pytest.mark.parametrize(("lines", "label", "code", "text"), [
    (['n: {a: "16", b: "5"}', 'pr: {a: "10 (62.6%)"}'], "T.pr.a", "TS720",
     "10 (62.6%) is impossible with n = 16"),
    (['n: {a: "16", b: "5"}', 'orr: {a: "20%"}'], "T.orr.a", "TS721",
     "a percentage of another denominator: b (n = 5)"),
    (['cr: {a: "2"}', 'pr: {a: "9"}', 'orr: {a: "12"}'], "T.orr.a", "TS723",
     "T.cr.a 2 + T.pr.a 9 = 11, but T.orr.a is 12"),
    (['or: "12.0 [1.02;200]"'], "T.or", "TS725", "not the centre of its CI"),
])
def test_numbers_that_contradict_each_other(lines: list[str], label: str, code: str, text: str) -> None:
    _analyses, claims = mini(report("[chi2]", *lines))
    status, codes = verdicts(claims)[label]
    assert code in codes and status in ("inconsistent", "not reproduced")
    assert text in finding(claims, code, label).message


def test_group_sizes_against_the_stated_number_of_patients() -> None:
    _analyses, claims = mini("""
analyses:
  P: {method: counts}
  G: {method: counts, by: arm}
reported:
  P: {n: "21"}
  G: {a: "15", b: "5"}
""")
    v = verdicts(claims)
    assert v["P.n"] == ("reproduced", [])
    assert v["G.a"] == ("not reproduced", ["TS711", "TS722"])
    assert v["G.b"] == ("inconsistent", ["TS722"])
    assert "= 20, but the stated number of patients is 21" in finding(claims, "TS722").message


def test_unchecked_and_unreadable_claims() -> None:
    _analyses, claims = mini(report("[chi2]", 'orr: {aa: "12 (75%)"}', 'p: "about 0.05"') + """\
  T9:
    p: "0.047"
""")
    assert finding(claims, "TS707", "T.orr.aa").hint == "Did you mean `a`?"
    assert finding(claims, "TS707", "T9.p").severity.value == "warning"
    assert finding(claims, "TS710").message.startswith("not a reported value")
    assert verdicts(claims)["T.p"] == ("not reproduced", ["TS710"])


def test_a_summary_that_is_a_mean_printed_as_median() -> None:
    ages = [40, 50, 60, 70, 100] + [30] * 16  # arm b (the last five) has mean 64, median 60
    body = """
analyses:
  A: {method: summary, by: arm, options: {variable: age}}
reported:
  A: {b: "64 (40-100)", a: "30 (30-30)", n: {a: "16"}}
"""
    tables = mini_tables({"a": ["PR"] * 16, "b": ["PR"] * 5}, age=[30] * 16 + ages[:5])
    _analyses, claims = mini(body, tables)
    v = verdicts(claims)
    assert v["A.b"] == ("not reproduced", ["TS712"]) and v["A.a"] == ("reproduced", [])
    assert "the mean (64) with the range" in finding(claims, "TS712").hint


def test_time_to_event_claims() -> None:
    days = [30, 60, 90, 120, 150, 180, 210, 240] + [45, 100, 200, 300]
    events = ["2020-01-01"] * 12
    tables = mini_tables({"a": ["PR"] * 8, "b": ["PR"] * 4},
                         event_date=[str(np.datetime64("2020-01-01") + d) for d in days],
                         start=events)
    analyses, claims = mini("""
analyses:
  K: {endpoint: pfs, by: arm, tests: [logrank, cox]}
reported:
  K:
    median: {a: "135", b: "NR"}  # a: S = 0.5 from day 120 to 150, R's midpoint
    n: {a: "8"}
    events: {b: "4"}
    hr: "1.3 [0.1;9]"
""", tables)
    assert analyses.findings == []
    v = verdicts(claims)
    assert v["K.median.a"] == ("reproduced", [])
    assert v["K.median.b"] == ("not reproduced", ["TS711"])
    assert v["K.n.a"] == v["K.events.b"] == ("reproduced", [])
    assert v["K.hr"][0] == "not reproduced"


def test_a_hazard_ratio_with_the_groups_reversed() -> None:
    days = [30, 60, 90, 120, 150, 180, 210, 240, 45, 100, 200, 300]
    tables = mini_tables({"a": ["PR"] * 8, "b": ["PR"] * 4},
                         event_date=[str(np.datetime64("2020-01-01") + d) for d in days])
    analyses, _claims = sections(mini_protocol("""
analyses:
  K: {endpoint: pfs, by: arm, tests: [cox]}
"""), tables)
    [hr] = analyses.summary["analyses"]["K"]["tests"]["cox"]["hazard_ratios"]
    inverse = f'"{1 / hr["estimate"]:.3f} [{1 / hr["ci"][1]:.3f};{1 / hr["ci"][0]:.3f}]"'
    _analyses, claims = mini(f"""
analyses:
  K: {{endpoint: pfs, by: arm, tests: [cox]}}
reported:
  K: {{hr: {inverse}}}
""", tables)
    assert verdicts(claims)["K.hr"] == ("not reproduced", ["TS712"])
    assert "groups reversed" in finding(claims, "TS712").hint


META = """
analyses:
  M:
    method: meta_analysis
    options:
      measure: HR
      model: MODEL
      studies: {s1: "0.31 [0.29;0.33]", s2: "0.41 [0.37;0.46]"}
reported:
  M: {pooled: "0.36 [0.27;0.47]", weights: {s1: "51.1%"}}
"""


def test_a_pooled_row_from_the_model_the_plan_does_not_pick() -> None:
    _analyses, claims = mini(META.replace("MODEL", "fixed"))
    v = verdicts(claims)
    assert v["M.pooled"] == ("not reproduced", ["TS727"]) == v["M.weights.s1"]
    assert "reproduced only by inverse variance, random effects" in finding(claims, "TS727").message
    _analyses, claims = mini(META.replace("MODEL", "rule"))
    assert verdicts(claims)["M.pooled"] == ("reproduced", [])


def test_a_pooled_row_tied_to_no_analysis_is_checked_against_its_studies() -> None:
    _analyses, claims = mini("""
reported:
  X:
    studies: {s1: "2.82 [1.84;4.33]", s2: "4.02 [2.36;6.85]"}
    pooled: "3.27 [2.34;4.56]"
    weights: {s1: "62.8%", s2: "37.2%"}
""")
    assert verdicts(claims)["X.pooled"] == ("inconsistent", ["TS726"])
    assert verdicts(claims)["X.studies.s1"] == ("inconsistent", ["TS726"])


def test_a_pooled_odds_ratio_from_counts_mh_vs_random_effects() -> None:
    body = """
analyses:
  C:
    method: meta_analysis
    options:
      model: fixed
      counts: {s1: [12, 4, 6, 10], s2: [20, 30, 10, 40], s3: [5, 5, 5, 5]}
"""
    plan = compile_analyses(mini_protocol(body)).plans["C"]
    random = meta_analysis(plan).summary["random"]
    printed = f'"{random["estimate"]:.2f} [{random["ci"][0]:.2f};{random["ci"][1]:.2f}]"'
    _analyses, claims = mini(body + f"reported:\n  C: {{pooled: {printed}}}\n")
    assert verdicts(claims)["C.pooled"] == ("not reproduced", ["TS712"])
    assert "random effects (DerSimonian-Laird)" in finding(claims, "TS712").hint



def test_group_sizes_are_summed_only_when_the_groups_cover_everyone() -> None:
    body = """
analyses:
  P: {method: counts}
  OLD: {method: counts, options: {groups: {old: age > 70, young: age < 55}}}
  EXP: {method: counts, options: {groups: {yes: exposed, no: not exposed}}}
reported:
  P: {n: "21"}
  OLD: {old: "3", young: "5"}
  EXP: {"yes": "15", "no": "5"}
"""
    tables = mini_tables(t4_arms(), age=[80] * 3 + [50] * 5 + [60] * 13,
                         exposed=["true"] * 15 + ["false"] * 6)
    _analyses, claims = mini(body, tables)
    v = verdicts(claims)
    assert v["OLD.old"] == v["OLD.young"] == ("reproduced", [])
    assert v["EXP.no"] == ("not reproduced", ["TS711", "TS722"])
