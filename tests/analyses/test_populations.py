"""Analysis populations: built-in screened and eligible, the protocol's own (within others),
the default, and the population and n each analysis reports."""

from __future__ import annotations

import pytest
from analyses_helpers import MINI_HEAD, mini_protocol, mini_tables, sections, t4_arms

from trialspec.domain.analyses_plan import compile_analyses
from trialspec.protocol import load_protocol_text

# MINI_HEAD has no eligibility; this one admits subjects aged 18-65 (age unknown: indeterminate)
ELIG = "eligibility:\n  inclusion:\n    I1: {text: Adult under 66, when: age between 18 and 65}\n"


def run(body: str, ages: list | None = None, exposed: list | None = None) -> dict:
    arms = t4_arms()  # 21 subjects: 16 in arm a (12 respond), 5 in arm b (1 responds)
    n = 21
    columns = {"age": ages or [50] * n, "exposed": exposed or ["true"] * n}
    analyses, _claims = sections(mini_protocol(body), mini_tables(arms, **columns))
    return analyses.summary["analyses"]


def test_default_is_screened_and_every_analysis_reports_its_population() -> None:
    out = run("analyses:\n  T: {endpoint: orr, by: arm}\n")
    assert out["T"]["population"] == {"name": "screened", "n": 21,
                                      "description": "every subject screened (each row of the "
                                      "subjects table)"}


def test_eligible_uses_the_eligibility_statuses_not_every_row() -> None:
    # S001-S003 too old (ineligible), S004 age unknown (indeterminate): neither is eligible
    ages = ["70", "80", "90", ""] + ["50"] * 17
    out = run(ELIG + "analyses:\n  T: {endpoint: orr, by: arm, population: eligible}\n", ages)
    assert out["T"]["population"]["n"] == 17
    assert [g["n"] for g in out["T"]["groups"]] == [12, 5]


def test_protocol_populations_within_each_other_and_the_default() -> None:
    body = ELIG + (
        "populations:\n"
        "  itt: {when: arm is present, within: eligible, default: true}\n"
        "  safety: {when: exposed, within: itt, description: dosed}\n"
        "analyses:\n"
        "  A: {endpoint: orr, by: arm}\n"
        "  S: {endpoint: orr, by: arm, population: safety}\n"
        "  Y: {endpoint: orr, by: arm, population: age < 40}\n"
        "  ALL: {endpoint: orr, population: screened}\n")
    ages = ["70"] + ["50"] * 10 + ["30"] * 10
    exposed = ["false", "false"] + ["true"] * 19
    out = run(body, ages, exposed)
    assert out["A"]["population"]["name"] == "itt" and out["A"]["population"]["n"] == 20
    assert out["S"]["population"] == {"name": "safety", "description": "dosed", "n": 19}
    # a condition is read within the default population
    assert out["Y"]["population"]["n"] == 10
    assert out["Y"]["population"]["description"] == "age < 40 (within itt)"
    assert out["ALL"]["population"]["n"] == 21


def test_title_prints_population_and_n() -> None:
    protocol = mini_protocol("analyses:\n  T: {endpoint: orr, by: arm, population: screened}\n")
    section, _ = sections(protocol, mini_tables(t4_arms()))
    assert section.tables[0].title.endswith("[population: screened, n = 21]")


def codes(body: str) -> list[tuple[str, str, int]]:
    protocol, diags = load_protocol_text(MINI_HEAD + ELIG + body, "mini.yaml")
    assert protocol is not None, diags
    return [(d.code, d.message + " | " + (d.hint or ""), d.span.line)
            for d in compile_analyses(protocol).diagnostics]


@pytest.mark.parametrize(("body", "code", "text"), [
    ("analyses:\n  T: {endpoint: orr, population: eligble}\n", "TS732", "Did you mean `eligible`?"),
    ("populations:\n  pp: {when: exposed, within: itt}\nanalyses: {}\n", "TS732", "unknown population `itt`"),
    ("populations:\n  a: {when: exposed, within: b}\n  b: {when: exposed, within: a}\n", "TS733",
     "a -> b -> a"),
    ("populations:\n  eligible: exposed\n", "TS225", "built in"),
    ("populations:\n  a: {when: exposed, default: true}\n  b: {when: exposed, default: true}\n",
     "TS226", "more than one default"),
    ("populations:\n  a: {description: nobody}\n", "TS733", "neither `when` nor `within`"),
])
def test_population_errors(body: str, code: str, text: str) -> None:
    found = codes(body)
    assert any(c == code and text in m for c, m, _line in found), found
    line = next(line for c, _m, line in found if c == code)
    assert line > (MINI_HEAD + ELIG).count("\n")


def test_a_population_condition_is_type_checked() -> None:
    found = codes("populations:\n  itt: {when: agee > 3}\n")
    assert [c for c, _m, _l in found] == ["TS301"]
