"""JUnit XML: one test case per Case of every section (results, never failures), one failed case per
failing code; valid against junit-10.xsd."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from trialspec.report.junit import render_check, render_diagnostics
from trialspec.results import CheckResult

Errors = Callable[[str], list[str]]


def test_valid_against_the_junit_schema(result: CheckResult, junit_schema: Errors) -> None:
    assert junit_schema(render_check(result)) == []


def test_one_suite_per_section_one_case_per_rule(result: CheckResult) -> None:
    root = ET.fromstring(render_check(result))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["study.findings", "study.alpha", "study.beta"]
    alpha = suites["study.alpha"]
    assert [c.get("name") for c in alpha.iter("testcase")] == ["alpha/one", "alpha/two"]
    assert {c.get("classname") for c in alpha.iter("testcase")} == {"study.alpha"}
    # a section's cases are results, not failures: what failed is the findings suite's
    assert (alpha.get("tests"), alpha.get("failures")) == ("2", "0")
    out = alpha.findtext("testcase[@name='alpha/two']/system-out")
    assert out == "result: 2 fail & 1 unknown <of> 3 \ufffd"
    assert suites["study.beta"].find("testcase/failure") is None
    # failures: one per failing code (TS303, TS406, TS701), as SARIF and the exit status count them
    assert (root.get("tests"), root.get("failures")) == ("7", "3")


def test_accepted_findings_pass_and_say_why(make_result: Callable[..., CheckResult]) -> None:
    result = make_result()
    ts303 = result.diagnostics[0]
    result.accepted[ts303] = "the paper's known erratum"
    root = ET.fromstring(render_check(result))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert "TS303 dimension-mismatch" not in cases
    accepted = cases["TS303 dimension-mismatch (accepted)"]
    assert accepted.find("failure") is None
    assert "accepted: the paper's known erratum" in (accepted.findtext("system-out") or "")
    assert root.get("failures") == "2"


def test_findings_suite_groups_errors_by_code(result: CheckResult) -> None:
    root = ET.fromstring(render_check(result))
    findings = next(s for s in root.iter("testsuite") if s.get("name") == "study.findings")
    cases = {c.get("name"): c for c in findings.iter("testcase")}
    assert list(cases) == ["TS303 dimension-mismatch", "TS406 wrong-type", "TS701 analysis-invalid",
                           "warnings and notes"]
    body = cases["TS303 dimension-mismatch"].findtext("failure") or ""
    # as the console shows it: position, code, caret
    assert "protocols/study.yaml:5:37: error[TS303]" in body and "^^^^^^^^" in body
    out = cases["warnings and notes"].findtext("system-out") or ""
    assert "TS412" in out and "TS704" in out  # warnings and notes are shown, not failed
    props = {p.get("name"): p.get("value") for p in findings.iter("property")}
    assert props["protocol_sha256"] == "ab" * 32 and props["dataset.subjects.sha256"] == "cd" * 32


def test_clean_check_has_a_passing_findings_case(make_result: Callable[..., CheckResult],
                                                 junit_schema: Callable[[str], list[str]]) -> None:
    result = make_result()
    result.diagnostics.clear()
    result.sections[0].findings.clear()
    text = render_check(result)
    assert junit_schema(text) == []
    case = ET.fromstring(text).find("testsuite/testcase")
    assert case is not None and case.get("name") == "no error findings" and case.find("failure") is None


def test_lint(tmp_path: Path, junit_schema: Callable[[str], list[str]]) -> None:
    from trialspec.pipeline import lint

    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text("trialspec: 1\nstudy: {id: X}\neligibilty: {}\n", "utf-8")
    good.write_text("trialspec: 1\nstudy: {id: X}\n", "utf-8")
    result = lint([str(bad), str(good)])
    text = render_diagnostics(result.diagnostics, result.sources)
    assert junit_schema(text) == []
    cases = {c.get("name"): c for c in ET.fromstring(text).iter("testcase")}
    assert cases[str(bad)].find("failure") is not None
    assert cases[str(good)].find("failure") is None


def test_seed_check(cli: Callable[..., tuple[int, str]], junit_schema: Callable[[str], list[str]]) -> None:
    root = Path(__file__).resolve().parents[2]
    code, out = cli("check", str(root / "protocols" / "seed-rd-rrmm.yaml"), "--data",
                    str(root / "examples" / "seed" / "data"), "--format", "junit")
    assert junit_schema(out) == []
    names = [c.get("name") for c in ET.fromstring(out).iter("testcase")]
    assert "eligibility/I1" in names and "eligibility/E1" in names
