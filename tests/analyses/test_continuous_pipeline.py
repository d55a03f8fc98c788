"""A summary analysis with its tests in a report: PlantGrowth's control and trt2 weights
(R's datasets) as a number per subject in two arms, against tests/fixtures/r/continuous.json."""

from __future__ import annotations

from analyses_helpers import close, mini_protocol, mini_tables, r_reference, sections

REF = r_reference("continuous.json")["two_sample"]["plant_ctrl_trt2"]
K = r_reference("continuous.json")["k_sample"]["plant_growth"]


def run(body: str, values: list[float]) -> tuple[dict, object]:
    arms = {"a": ["PR"] * 10, "b": ["SD"] * 10}
    analyses, _ = sections(mini_protocol(body), mini_tables(arms, age=[str(v) for v in values]))
    return analyses.summary["analyses"], analyses


def test_two_groups_summary_and_tests_as_r() -> None:
    body = ("analyses:\n  W: {method: summary, by: arm, options: {variable: age},\n"
            "      tests: [welch, student, wilcoxon, wilcoxon_nocc, anova, kruskal]}\n")
    out, section = run(body, REF["x"] + REF["y"])
    w = out["W"]
    assert w["unit"] == "years"
    g = w["groups"][0]
    s = REF["summary_x"]
    close([g["n"], g["mean"], g["sd"], g["median"], g["q1"], g["q3"], g["min"], g["max"]],
          [s["n"], s["mean"], s["sd"], s["median"], s["q1"], s["q3"], s["min"], s["max"]])
    t = w["tests"]
    close([t["welch"]["statistic"], t["welch"]["df"], t["welch"]["p"], *t["welch"]["ci"]],
          [REF["welch"]["statistic"], REF["welch"]["df"], REF["welch"]["p_value"], *REF["welch"]["conf_int"]])
    close(t["student"]["p"], REF["student"]["p_value"])
    close([t["wilcoxon"]["statistic"], t["wilcoxon"]["p"], t["wilcoxon"]["hodges_lehmann"]],
          [REF["wilcoxon_default"]["statistic"], REF["wilcoxon_default"]["p_value"], REF["hodges_lehmann"]])
    assert t["wilcoxon"]["exact"] is True
    close(t["wilcoxon_nocc"]["p"], REF["wilcoxon_normal_nocc"]["p_value"])
    # with two groups the F test is the Student t-test squared
    close(t["anova"]["statistic"], REF["student"]["statistic"] ** 2)
    assert "mean (SD) (years)" in section.tables[0].columns
    assert "Welch two-sample t-test" in section.tables[0].note


def test_three_groups_anova_kruskal_and_a_two_group_test_refused() -> None:
    head = mini_protocol("").source.text.replace("levels: [a, b]", "levels: [ctrl, trt1, trt2]")
    from trialspec.protocol import load_protocol_text

    body = ("analyses:\n  K: {method: summary, by: arm, tests: [anova, kruskal, welch],\n"
            "      options: {variable: age}}\n")
    protocol, _ = load_protocol_text(head + body, "k.yaml")
    groups = {level: ["SD"] * 10 for level in ("ctrl", "trt1", "trt2")}
    section, _ = sections(protocol, mini_tables(groups, age=[str(v) for v in K["y"]]))
    t = section.summary["analyses"]["K"]["tests"]
    close([t["anova"]["statistic"], *t["anova"]["df"], t["anova"]["p"]],
          [K["anova"]["statistic"], *K["anova"]["df"], K["anova"]["p_value"]])
    close([t["kruskal"]["statistic"], t["kruskal"]["p"]],
          [K["kruskal"]["statistic"], K["kruskal"]["p_value"]])
    assert "welch" not in t
    assert any(d.code == "TS705" and "compares two groups, not 3" in d.message for d in section.findings)


def test_a_claim_on_a_method_no_judge_reads_is_not_checked_never_a_crash() -> None:
    """An ordinal model's printed odds ratio is kept as a claim and said to be unchecked (TS707)."""
    from analyses_helpers import t4_arms

    body = ("analyses:\n  O: {method: ordinal, by: arm, options: {outcome: best_response}}\n"
            "reported:\n  O: {odds_ratio: \"1.5\"}\n")
    _, claims = sections(mini_protocol(body), mini_tables(t4_arms()))
    (record,) = claims.summary["results"]
    assert record["status"] == "not checked"
    assert [d.code for d in claims.findings] == ["TS707"]
    assert "`ordinal` analysis are not checked yet" in claims.findings[0].message


def test_an_ancova_claim_is_judged_in_a_check() -> None:
    """An ANCOVA's printed difference from the reference arm is judged against its summary.
    With no covariate it is Student's t: b - a = 0.494, p = 0.04685 (R: t.test(y, x,
    var.equal = TRUE) on REF)."""
    body = ("analyses:\n  A: {method: ancova, by: arm, options: {variable: age}}\n"
            "  B: {method: ancova, by: arm, options: {variable: age}}\n"
            "reported:\n  A: {difference: {b: \"0.49\"}, p: {b: \"0.047\"}}\n"
            "  B: {difference: {b: \"-0.49\"}}\n")
    _, claims = sections(mini_protocol(body), mini_tables({"a": ["PR"] * 10, "b": ["SD"] * 10},
                                                          age=[str(v) for v in REF["x"] + REF["y"]]))
    by_claim = {r["claim"]: r for r in claims.summary["results"]}
    assert by_claim["A.difference.b"]["status"] == "reproduced"
    assert by_claim["A.difference.b"]["computed"] == "0.494"
    assert by_claim["A.p.b"]["status"] == "reproduced"
    swapped = by_claim["B.difference.b"]
    assert swapped["status"] == "not reproduced" and swapped["codes"] == ["TS712"]
