"""Claims on a continuous endpoint (a `summary` analysis): the tests' p-values and statistics,
named or judged against the planned tests, and every descriptive statistic. PlantGrowth's
control and trt2 weights (R's datasets) as a number per subject in two arms; the printed
numbers are R's values (tests/fixtures/r/continuous.json) rounded as a report prints them:
Welch p = 0.0479, Student p = 0.0469, Wilcoxon (exact) W = 25, p = 0.0630."""

from __future__ import annotations

from analyses_helpers import finding, mini_protocol, mini_tables, r_reference, sections, verdicts

REF = r_reference("continuous.json")["two_sample"]["plant_ctrl_trt2"]


def claims_of(tests: str, *lines: str):  # type: ignore[no-untyped-def]
    body = "\n".join(f"    {line}" for line in lines)
    text = (f"analyses:\n  W: {{method: summary, by: arm, options: {{variable: age}}, tests: {tests}}}\n"
            f"reported:\n  W:\n{body}\n")
    arms = {"a": ["PR"] * 10, "b": ["SD"] * 10}
    _, claims = sections(mini_protocol(text), mini_tables(arms, age=[str(v) for v in REF["x"] + REF["y"]]))
    return claims


def r3(v: float) -> str:
    return f"{v:.3f}"


def test_a_p_named_by_its_test_is_judged_against_that_test() -> None:
    welch, student = r3(REF["welch"]["p_value"]), r3(REF["student"]["p_value"])
    assert (welch, student) == ("0.048", "0.047")
    wilcoxon = r3(REF["wilcoxon_default"]["p_value"])
    claims = claims_of("[welch]", f'p: {{welch: "{welch}", student: "{welch}", wilcoxon: "{wilcoxon}"}}')
    v = verdicts(claims)
    assert v["W.p.welch"] == ("reproduced", [])
    assert v["W.p.wilcoxon"] == ("reproduced", [])  # named: judged although not planned
    assert v["W.p.student"] == ("not reproduced", ["TS712"])
    assert "Welch two-sample t-test" in (finding(claims, "TS712").hint or "")


def test_statistics_and_a_p_against_the_planned_tests() -> None:
    stat, w = f"{REF['welch']['statistic']:.2f}", f"{REF['wilcoxon_default']['statistic']:g}"
    claims = claims_of("[welch, student, wilcoxon]", f'p: "{r3(REF["student"]["p_value"])}"',
                       f'statistic: {{welch: "{stat}", wilcoxon: "{w}"}}')
    v = verdicts(claims)
    assert v["W.p"] == ("reproduced", ["TS734"])  # Student gives 0.047, Welch and Wilcoxon do not
    d = finding(claims, "TS734")
    assert "reproduced by two-sample t-test (equal variances)" in d.message and "not by Welch" in d.message
    assert v["W.statistic.welch"] == ("reproduced", [])
    assert v["W.statistic.wilcoxon"] == ("reproduced", [])


def test_a_p_no_planned_test_gives_is_not_reproduced_with_the_test_that_does() -> None:
    claims = claims_of("[wilcoxon]", f'p: "{r3(REF["welch"]["p_value"])}"')
    status, codes = verdicts(claims)["W.p"]
    assert status == "not reproduced" and codes == ["TS712"]
    assert "Welch" in (finding(claims, "TS712").hint or "")


def test_descriptive_statistics_of_each_group() -> None:
    sx, sy = REF["summary_x"], REF["summary_y"]
    claims = claims_of("[]", f'mean: {{a: "{sx["mean"]:.2f}", b: "{sy["mean"]:.2f}"}}',
                       f'sd: {{a: "{sx["sd"]:.2f}", b: "{sx["sd"]:.2f}"}}',
                       f'q1: {{a: "{sx["q1"]:.2f}"}}', f'max: {{b: "{sy["max"]:.2f}"}}')
    v = verdicts(claims)
    assert v["W.mean.a"] == v["W.mean.b"] == v["W.sd.a"] == v["W.q1.a"] == v["W.max.b"] == ("reproduced", [])
    assert v["W.sd.b"][0] == "not reproduced"


def test_a_test_claim_without_a_planned_test_or_with_an_unknown_test_is_not_checked() -> None:
    claims = claims_of("[]", 'p: "0.048"', 'statistic: {wilcox: "25"}')
    v = verdicts(claims)
    assert v["W.p"] == ("not checked", ["TS707"]) and v["W.statistic.wilcox"] == ("not checked", ["TS707"])
    assert "wilcoxon" in (finding(claims, "TS707", "`wilcox`").hint or "")
