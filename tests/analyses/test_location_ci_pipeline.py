"""The Wilcoxon tests of a summary analysis report the Hodges-Lehmann location shift with its
CI as wilcox.test(conf.int = TRUE) gives it (tests/fixtures/r/location_ci.json): PlantGrowth's
control and trt2 weights (exact) and the sleep data (ties: normal approximation)."""

from __future__ import annotations

from analyses_helpers import close, mini_protocol, mini_tables, r_reference, sections

CASES = r_reference("location_ci.json")["cases"]


def run(case: dict, tests: str, level: str = "95") -> tuple[dict, object]:
    body = (f"analyses:\n  W: {{method: summary, by: arm, options: {{variable: age, level: {level}}},"
            f" tests: {tests}}}\n")
    arms = {"a": ["PR"] * len(case["x"]), "b": ["SD"] * len(case["y"])}
    values = [str(v) for v in case["x"] + case["y"]]
    analyses, _ = sections(mini_protocol(body), mini_tables(arms, age=values))
    return analyses.summary["analyses"]["W"]["tests"], analyses


def test_exact_shift_and_ci_beside_the_estimate() -> None:
    case = CASES["plant_ctrl_trt2"]
    tests, section = run(case, "[wilcoxon]", "90")
    loc, ref = tests["wilcoxon"]["location"], case["default_90"]
    assert loc["exact"] is True and loc["level"] == 0.9
    close([loc["estimate"], *loc["ci"]], [ref["estimate"], *ref["conf_int"]])
    close(tests["wilcoxon"]["hodges_lehmann"], ref["estimate"])  # exact: the same number
    assert "Hodges-Lehmann -0.49 (90% CI -0.97; -0.08)" in (section.tables[0].note or "")


def test_normal_approximation_shift_and_ci_with_and_without_the_correction() -> None:
    case = CASES["sleep"]
    tests, section = run(case, "[wilcoxon, wilcoxon_nocc]")
    for test, key in (("wilcoxon", "normal"), ("wilcoxon_nocc", "normal_nocc")):
        loc, ref = tests[test]["location"], case[key]
        assert loc["exact"] is False
        close([loc["estimate"], *loc["ci"]], [ref["estimate"], *ref["conf_int"]], test)
    assert "normal approximation" in (section.tables[0].note or "")
