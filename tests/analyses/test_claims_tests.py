"""Claims tied to a test (`p: {fisher: "0.047"}`), several planned tests that disagree
(TS734), and the candidate that counts subjects with an unknown endpoint in the group sizes.
The seed's Table 4 counts: 12 of 16 respond in arm a, 1 of 5 in arm b (Fisher p = 0.0475,
chi-square p = 0.0271)."""

from __future__ import annotations

from analyses_helpers import finding, mini, mini_tables, t4_arms, verdicts

from trialspec.stats.tables import fisher_exact


def report(tests: str, *lines: str) -> str:
    body = "\n".join(f"    {line}" for line in lines)
    return f"analyses:\n  T: {{endpoint: orr, by: arm, tests: {tests}}}\nreported:\n  T:\n{body}\n"


def test_a_p_named_by_its_test_is_judged_against_that_test_only() -> None:
    _, claims = mini(report("[fisher, chi2]", 'p: {fisher: "0.047"}'))
    assert verdicts(claims)["T.p.fisher"] == ("reproduced", [])
    _, claims = mini(report("[fisher, chi2]", 'p: {chi2: "0.047"}'))
    status, codes = verdicts(claims)["T.p.chi2"]
    assert status == "not reproduced" and codes == ["TS712"]
    assert "Fisher's exact test" in (finding(claims, "TS712").hint or "")


def test_planned_tests_that_disagree_are_named() -> None:
    _, claims = mini(report("[fisher, chi2]", 'p: "0.047"'))
    assert verdicts(claims)["T.p"] == ("reproduced", ["TS734"])
    d = finding(claims, "TS734")
    assert d.severity.value == "warning"
    assert "reproduced by Fisher's exact test (two-sided) (0.04747); not by Pearson chi-square" in d.message


def test_group_sizes_counting_unknown_endpoints_are_a_candidate() -> None:
    arms = t4_arms()
    arms["a"] = arms["a"] + ["NE", "NE", "NE"]  # three subjects of arm a without a response
    tables = mini_tables(arms)
    tables["response"].loc[tables["response"]["best_response"] == "NE", "best_response"] = ""
    printed = f"{fisher_exact([[12, 7], [1, 4]]).p_value:.3f}"  # 19 in arm a, 3 unknown
    assert printed != f"{fisher_exact([[12, 4], [1, 4]]).p_value:.3f}"
    _, claims = mini(report("[fisher]", f'p: "{printed}"'), tables)
    status, codes = verdicts(claims)["T.p"]
    assert status == "not reproduced" and codes == ["TS712"]
    assert "counting the 3 subject(s) whose endpoint is unknown" in (finding(claims, "TS712").hint or "")


def test_a_ci_named_by_its_method() -> None:
    # chi-square planned (so the Wald OR is the default), the claim names the exact CI
    _, claims = mini(report("[chi2]", 'or: {exact: "10.41 [0.755;635.5]"}'))
    assert verdicts(claims)["T.or.exact"] == ("reproduced", [])
    _, claims = mini(report("[chi2]", 'or: {wald: "10.41 [0.755;635.5]"}'))
    assert verdicts(claims)["T.or.wald"][0] == "not reproduced"
