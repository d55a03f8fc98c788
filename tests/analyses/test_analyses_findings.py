"""Analyses that cannot be set up or cannot run: TS70x at the analysis's (or the
expression's) line, and analyses that run on what is left."""

from __future__ import annotations

import subprocess
import sys

import pytest
from analyses_helpers import MINI_HEAD, mini_protocol, mini_tables, sections, t4_arms

from trialspec.domain.analyses_plan import compile_analyses, lint_analyses
from trialspec.protocol import load_protocol_text


def codes(body: str, head: str = MINI_HEAD) -> list[tuple[str, str, str | None]]:
    protocol, diags = load_protocol_text(head + body, "mini.yaml")
    assert protocol is not None, diags
    return [(d.code, d.message, d.hint) for d in compile_analyses(protocol).diagnostics]


@pytest.mark.parametrize(("body", "message", "hint"), [
    ("analyses:\n  T: {endpoint: orrr}\n", "unknown endpoint `orrr`", "Did you mean `orr`?"),
    ("analyses:\n  T: {endpoint: orr, tests: [fishr]}\n", "`fishr` is not a test", "`fisher`"),
    ("analyses:\n  T: {endpoint: orr, options: {grups: {a: age > 1}}}\n", "`grups` is not an option",
     "`groups`"),
    ("analyses:\n  T: {endpoint: orr, by: age}\n", "grouping needs a category", "levels"),
    ("analyses:\n  T: {endpoint: pfs, method: proportion}\n", "a proportion needs a response",
     "kaplan_meier"),
    ("analyses:\n  T: {method: meta_analysis, options: {measure: OR}}\n", "needs its studies", "studies"),
    ("analyses:\n  T: {method: kaplan_meier}\n", "needs `endpoint:`", "endpoints"),
    ("analyses:\n  T: {endpoint: orr, method: proportions}\n", "unknown method", "`proportion`"),
    ("analyses:\n  T: {endpoint: pfs, options: {conf_type: loglog}}\n", "is not one of", "`log-log`"),
])
def test_analyses_that_cannot_be_set_up(body: str, message: str, hint: str) -> None:
    [(code, msg, h)] = codes(body)
    assert code == "TS701" and message in msg and hint in (h or "")


def test_endpoint_errors() -> None:
    head = MINI_HEAD.replace("responders: [CR, PR]", "responders: [CR, PRR]").replace(
        "    censor: last_seen\n", "")
    found = codes("analyses:\n  T: {endpoint: cr}\n", head)
    assert [(c, h) for c, _m, h in found if "PRR" in _m] == [("TS701", "Did you mean `PR`?")]
    assert any("needs `censor:`" in m for _c, m, _h in found)


def test_expressions_in_analyses_are_type_checked() -> None:
    found = codes("analyses:\n  T: {endpoint: orr, options: {groups: {x: arm == c, y: agee > 3}}}\n")
    assert {c for c, _m, _h in found} == {"TS304", "TS301"}


def run(body: str, tables: dict | None = None) -> dict:
    analyses, _claims = sections(mini_protocol(body), tables or mini_tables(t4_arms()))
    return analyses


def test_empty_group_overlap_and_missing_values() -> None:
    arms = t4_arms()
    tables = mini_tables(arms, age=[70, 60, 60] + [50] * 18)
    tables["response"].loc[0, "best_response"] = ""
    body = ("analyses:\n  T:\n    endpoint: orr\n    options:\n"
            "      groups: {old: age >= 60, young: age <= 60, none: age > 99}\n")
    section = run(body, tables)
    found = {d.code: d for d in section.findings}
    assert set(found) == {"TS702", "TS704", "TS708"}
    assert "S002, S003" in found["TS708"].message
    assert found["TS708"].span.line == (MINI_HEAD + body).splitlines().index("  T:") + 1
    assert "1 subject(s) left out, endpoint unknown: S001" in found["TS704"].message
    assert found["TS702"].severity.value == "warning"


def test_a_test_that_does_not_exist_for_the_table() -> None:
    section = run("analyses:\n  T: {endpoint: orr, by: arm, tests: [chi2, fisher]}\n",
                  mini_tables({"a": ["PR"] * 4, "b": ["CR"] * 3}))
    [d] = section.findings
    assert d.code == "TS705" and "chi-square" in d.message.lower()
    assert section.summary["analyses"]["T"]["tests"]["fisher"]["p"] == 1.0


def test_time_to_event_without_events_or_with_dates_before_start() -> None:
    tables = mini_tables({"a": ["PR"] * 3, "b": ["PR"] * 2},
                         event_date=["", "", "", "", "2019-12-01"])
    section = run("analyses:\n  K: {endpoint: pfs, by: arm}\n", tables)
    assert {d.code for d in section.findings} == {"TS703", "TS709"}
    assert "S005" in next(d for d in section.findings if d.code == "TS709").message


def test_a_derived_dataset_that_no_section_filled() -> None:
    protocol = mini_protocol("analyses:\n  T: {endpoint: orr, by: arm}\n")
    tables = mini_tables(t4_arms())
    del tables["response"]
    analyses, _claims = sections(protocol, tables)
    [d] = analyses.findings
    assert d.code == "TS706" and "response is derived by trialspec" in d.hint
    assert analyses.summary["analyses"]["T"]["ran"] is False
    assert [c.passed for c in analyses.cases] == [False]


def test_lint_reports_the_same_without_data_and_without_pandas_or_scipy() -> None:
    protocol = mini_protocol('analyses:\n  T: {endpoint: orrr}\nreported:\n  T: {p: "about 5"}\n')
    assert [d.code for d in lint_analyses(protocol)] == ["TS701", "TS710"]
    code = ("import sys; from trialspec.domain.analyses_plan import lint_analyses; "
            "print(sorted(m for m in ('pandas', 'scipy', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
