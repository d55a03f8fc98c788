"""SARIF 2.1.0: results at the protocol's line and column, rules from the code table; schema-valid."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trialspec.codes import CODES
from trialspec.report.sarif import render_check, render_diagnostics
from trialspec.results import CheckResult

ROOT = Path(__file__).resolve().parents[2]


def _run(text: str) -> dict[str, Any]:
    return dict(json.loads(text)["runs"][0])


def _by_rule(run: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(r for r in run["results"] if r["ruleId"] == rule)


Errors = Callable[[str], list[str]]


def test_valid_against_the_sarif_schema(result: CheckResult, sarif_schema: Errors) -> None:
    text = render_check(result)
    assert sarif_schema(text) == []
    assert json.loads(text)["version"] == "2.1.0"


def test_results_at_the_protocols_line_and_column(result: CheckResult) -> None:
    run = _run(render_check(result))
    r = _by_rule(run, "TS303")
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "protocols/study.yaml", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 5, "startColumn": 37, "endLine": 5, "endColumn": 45,
                             "snippet": {"text": "18 mg/dL"}}
    assert r["level"] == "error" and r["message"]["text"].endswith("hint: Write the threshold in years.")
    related = r["relatedLocations"][0]
    assert related["message"]["text"] == "declared here"
    assert related["physicalLocation"]["region"]["startLine"] == 2
    assert run["columnKind"] == "unicodeCodePoints"


def test_data_file_findings_give_the_row_only(result: CheckResult) -> None:
    loc = _by_rule(_run(render_check(result)), "TS406")["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "data/subjects.csv"
    assert loc["region"] == {"startLine": 4}  # a data span's column is a field number, not a character


def test_levels_and_placeless_findings(result: CheckResult) -> None:
    run = _run(render_check(result))
    assert _by_rule(run, "TS412")["level"] == "warning"
    assert _by_rule(run, "TS704")["level"] == "note"
    placeless = _by_rule(run, "TS412")["locations"][0]["physicalLocation"]
    assert placeless == {"artifactLocation": {"uri": "protocols/study.yaml", "uriBaseId": "%SRCROOT%"},
                         "region": {"startLine": 1}}


def test_rules_come_from_the_code_table(result: CheckResult) -> None:
    run = _run(render_check(result))
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["TS303", "TS406", "TS412", "TS701", "TS704"]
    for r in rules:
        c = CODES[r["id"]]
        assert r["name"] == c.name and r["shortDescription"]["text"] == c.summary
        assert c.fix in r["help"]["text"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_artifacts_carry_hashes(result: CheckResult) -> None:
    artifacts = _run(render_check(result))["artifacts"]
    assert artifacts[0]["location"]["uri"] == "protocols/study.yaml"
    assert artifacts[0]["hashes"] == {"sha-256": "ab" * 32}
    assert artifacts[1]["location"] == {"uri": "subjects.csv", "uriBaseId": "DATADIR"}
    here = _run(render_check(result, data_dir="data"))["artifacts"][1]["location"]
    assert here == {"uri": "data/subjects.csv", "uriBaseId": "%SRCROOT%"}


def test_output_is_deterministic(result: CheckResult) -> None:
    assert render_check(result) == render_check(result)


def test_lint_cli(tmp_path: Path, cli: Callable[..., tuple[int, str]],
                  sarif_schema: Callable[[str], list[str]]) -> None:
    bad = tmp_path / "my protocol.yaml"
    text = (ROOT / "protocols" / "seed-rd-rrmm.yaml").read_text("utf-8")
    bad.write_text(text.replace("when: est_survival >= 3 months", "when: est_survival >= 3 mg/dL"), "utf-8")
    code, out = cli("lint", str(bad), "--format", "sarif")
    assert code == 1 and sarif_schema(out) == []
    r = _by_rule(_run(out), "TS303")
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == bad.as_uri()  # absolute paths become file URIs
    line = next(i for i, ln in enumerate(bad.read_text("utf-8").splitlines(), 1) if "3 mg/dL" in ln)
    assert loc["region"]["startLine"] == line and loc["region"]["snippet"]["text"] == "3 mg/dL"
    assert render_diagnostics([], {}) and sarif_schema(render_diagnostics([], {})) == []


def test_seed_check(cli: Callable[..., tuple[int, str]], sarif_schema: Callable[[str], list[str]]) -> None:
    code, out = cli("check", str(ROOT / "protocols" / "seed-rd-rrmm.yaml"), "--data",
                    str(ROOT / "examples" / "seed" / "data"), "--format", "sarif")
    assert sarif_schema(out) == []
    assert _run(out)["tool"]["driver"]["name"] == "trialspec"


def test_accepted_findings_are_suppressed_with_their_reason(result: CheckResult,
                                                            sarif_schema: Errors) -> None:
    ts303 = result.diagnostics[0]
    result.accepted[ts303] = "the paper's erratum"
    text = render_check(result)
    assert sarif_schema(text) == []
    found = _by_rule(_run(text), "TS303")
    assert found["suppressions"] == [{"kind": "external", "status": "accepted",
                                      "justification": "the paper's erratum"}]
    assert "suppressions" not in _by_rule(_run(text), "TS701")
