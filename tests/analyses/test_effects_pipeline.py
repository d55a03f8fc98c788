"""Effect measures of a two-group proportion analysis in a report, and claims about them.

The counts are the MRC 1948 streptomycin trial's deaths at six months (BMJ 1948;2:769,
Table II): 4 of 55 on streptomycin (arm a), 14 of 52 on bed rest (arm b); the R values
come from tests/fixtures/r/effects.R. Death is coded as best response `PD`."""

from __future__ import annotations

from typing import Any

import pytest
from analyses_helpers import MINI_HEAD, close, mini_tables, r_reference, sections, verdicts

from trialspec.protocol import load_protocol_text

REF = r_reference("effects.json")["strep_deaths"]


def strep() -> Any:
    return mini_tables({"a": ["PD"] * 4 + ["SD"] * 51, "b": ["PD"] * 14 + ["SD"] * 38})


HEAD = MINI_HEAD.replace("endpoints:\n", "endpoints:\n  death: {kind: response, responders: [PD]}\n")
BODY = """
analyses:
  D: {endpoint: death, by: arm, tests: [chi2_yates], options: {measure: RD, rd_ci: newcombe}}
reported:
  D: {rd: "@RD", rr: "@RR", nnt: "@NNT"}
"""


def run(rd: str, rr: str, nnt: str) -> tuple[Any, Any]:
    body = BODY.replace("@RD", rd).replace("@RR", rr).replace("@NNT", nnt)
    protocol, diags = load_protocol_text(HEAD + body, "strep.yaml")
    assert protocol is not None, diags
    return sections(protocol, strep())


def test_every_effect_in_the_summary_as_r() -> None:
    analyses, _ = run("-0.197 [-0.337; -0.054]", "0.270 [0.095; 0.768]", "-5.1")
    out = analyses.summary["analyses"]["D"]
    eff = out["effects"]
    close([eff["rd"]["estimate"], eff["rd"]["se"], *eff["rd"]["wald"], eff["rd"]["p"]],
          [REF["rd"]["estimate"], REF["rd"]["se"], *REF["rd"]["wald"], REF["rd"]["p_value"]])
    close(eff["rd"]["ci"], REF["rd"]["newcombe"])  # the planned CI method
    close(eff["rd"]["prop_test"], REF["prop_test"]["conf_int"])
    close([eff["rr"]["estimate"], eff["rr"]["log_estimate"], eff["rr"]["se"], *eff["rr"]["ci"]],
          [REF["rr"]["estimate"], REF["rr"]["log_estimate"], REF["rr"]["se"], *REF["rr"]["conf_int"]])
    close(eff["nnt"]["estimate"], REF["nnt"])
    pt = out["prop_test"]["corrected"]
    close([pt["statistic"], pt["p"]], [REF["prop_test"]["statistic"], REF["prop_test"]["p_value"]])
    # X-squared with Yates' correction is prop.test's statistic
    close(out["tests"]["chi2_yates"]["statistic"], REF["prop_test"]["statistic"])
    assert "risk difference -0.1965" in analyses.tables[0].note


def test_claims_reproduced_with_the_planned_ci() -> None:
    _, claims = run("-0.197 [-0.337; -0.054]", "0.270 [0.095; 0.768]", "-5.1")
    v = verdicts(claims)
    assert v["D.rd"][0] == "reproduced" and v["D.rr"][0] == "reproduced"
    assert v["D.nnt"][0] == "reproduced"


@pytest.mark.parametrize(("rd", "says"), [
    ("-0.197 [-0.335; -0.058]", "Wald CI gives"),                 # another CI method
    ("19.7% [5.4%; 33.7%]", "groups reversed gives"),              # reversed, in percent
])
def test_an_rd_with_another_computation_says_which(rd: str, says: str) -> None:
    _, claims = run(rd, "0.270 [0.095; 0.768]", "-5.1")
    status, codes = verdicts(claims)["D.rd"]
    assert status == "not reproduced" and codes[0] == "TS712"
    hints = [d.hint for d in claims.findings if d.message.startswith("D.rd") and d.code == "TS712"]
    assert says in (hints[0] or "")


def test_an_odds_ratio_printed_as_rr_is_named() -> None:
    _, claims = run("-0.197 [-0.337; -0.054]", "0.213 [0.065; 0.698]", "-5.1")
    assert verdicts(claims)["D.rr"][0] == "not reproduced"
    [hint] = [d.hint for d in claims.findings if d.message.startswith("D.rr")]
    assert "odds ratio (not the risk ratio)" in (hint or "")


def test_fishers_exact_ci_as_r_prints_it_is_reproduced_not_inconsistent() -> None:
    # fisher.test(matrix(c(4, 14, 51, 38), 2)): 0.216 (95% CI 0.048-0.759), asymmetric on the log
    # scale; the planned test is Fisher's, so the CI is its own, not a Wald CI printed wrong
    body = BODY.replace("tests: [chi2_yates]", "tests: [fisher]").replace(
        'nnt: "@NNT"}', 'nnt: "@NNT", or: "0.216 (95% CI 0.048-0.759)"}')
    body = body.replace("@RD", "-0.197 [-0.337; -0.054]").replace("@RR", "0.270 [0.095; 0.768]")
    protocol, _ = load_protocol_text(HEAD + body.replace("@NNT", "-5.1"), "strep.yaml")
    _, claims = sections(protocol, strep())
    assert verdicts(claims)["D.or"] == ("reproduced", [])
    assert not [d for d in claims.findings if d.code == "TS725"]
    # a symmetric-looking CI that is not the planned one still gets the centre check
    _, wrong = sections(load_protocol_text(HEAD + body.replace("@NNT", "-5.1").replace(
        "0.216 (95% CI 0.048-0.759)", "0.216 (95% CI 0.048-0.900)"), "s.yaml")[0], strep())
    assert verdicts(wrong)["D.or"][0] != "reproduced"
    assert [d.code for d in wrong.findings if d.message.startswith("D.or")].count("TS725") == 1


def test_logistic_regression_on_arm_alone_is_the_wald_odds_ratio() -> None:
    body = ("analyses:\n  D: {endpoint: death, by: arm}\n"
            "  L: {method: logistic, endpoint: death, by: arm, options: {covariates: [age]}}\n"
            "  L0: {method: logistic, endpoint: death, by: arm}\n")
    protocol, diags = load_protocol_text(HEAD + body, "strep.yaml")
    assert protocol is not None, diags
    section, _ = sections(protocol, strep())
    out = section.summary["analyses"]
    wald = out["D"]["odds_ratio"]["wald"]
    [odds] = out["L0"]["odds_ratios"]
    assert odds["label"] == "b vs a"
    # logistic regression compares b with a; the 2x2 odds ratio a with b
    close([odds["estimate"], *odds["ci"]], [1 / wald["estimate"], 1 / wald["ci"][1], 1 / wald["ci"][0]])
    assert out["L"]["covariates"] == ["age"] and out["L"]["included"] == 107


def test_an_rd_naming_its_ci_method_is_judged_by_it() -> None:
    wald = "-0.197 [-0.335; -0.058]"
    body = BODY.replace('rd: "@RD"', f'rd: {{wald: "{wald}", newcombe: "{wald}"}}')
    body = body.replace("@RR", "0.270 [0.095; 0.768]").replace("@NNT", "-5.1")
    protocol, _ = load_protocol_text(HEAD + body, "s.yaml")
    _, claims = sections(protocol, strep())
    v = verdicts(claims)
    assert v["D.rd.wald"] == ("reproduced", []) and v["D.rd.newcombe"][0] == "not reproduced"
