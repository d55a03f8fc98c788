"""The JSON report matches its published schema (schemas/report.schema.json), for check and verify;
verify's other formats validate too."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from trialspec.report.formats import check_json
from trialspec.results import CheckResult

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"


Cli = Callable[..., tuple[int, str]]
Errors = Callable[[str], list[str]]


def test_seed_check_json(cli: Cli, report_schema: Errors) -> None:
    code, out = cli("check", str(SEED), "--data", str(DATA), "--format", "json")
    assert report_schema(out) == []
    doc = json.loads(out)
    assert doc["ok"] is (code == 0)
    assert "eligibility" in doc["sections"]


def test_check_json_with_data_findings(seed: Path, cli: Callable[..., tuple[int, str]],
                                       report_schema: Callable[[str], list[str]]) -> None:
    path = seed / "data" / "subjects.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[3][rows[0].index("age")] = "sixty"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    code, out = cli("check", str(seed / "protocols" / "seed-rd-rrmm.yaml"), "--data", str(seed / "data"),
                    "--format", "json")
    assert code == 1 and report_schema(out) == []
    assert any(d["code"] == "TS406" for d in json.loads(out)["diagnostics"])


def test_generic_sections(result: CheckResult, report_schema: Callable[[str], list[str]]) -> None:
    assert report_schema(check_json(result)) == []


def test_verify_outputs(seed: Path, cli: Cli, report_schema: Errors, sarif_schema: Errors,
                        junit_schema: Errors) -> None:
    protocol = seed / "protocols" / "seed-rd-rrmm.yaml"
    assert cli("lock", str(protocol), "--data", str(seed / "data"))[0] == 0
    protocol.write_text(protocol.read_text("utf-8").replace("age between 18 and 75", "age between 18 and 70"),
                        "utf-8")
    outputs = {fmt: cli("verify", str(protocol), "--data", str(seed / "data"), "--format", fmt)
               for fmt in ("json", "sarif", "junit", "markdown")}
    assert {code for code, _ in outputs.values()} == {1}
    assert report_schema(outputs["json"][1]) == []
    assert sarif_schema(outputs["sarif"][1]) == []
    assert junit_schema(outputs["junit"][1]) == []
    sarif = json.loads(outputs["sarif"][1])["runs"][0]["results"]
    lock = str(protocol) + ".lock.json"
    assert {r["ruleId"] for r in sarif} >= {"TS801", "TS802"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == Path(lock).as_uri()
               for r in sarif)  # findings sit on the lock file's lines
    assert "### Lock (" in outputs["markdown"][1] and "<b>Changed results</b>" in outputs["markdown"][1]


def test_accepted_and_structured_fields_fit_the_schema(make_result: Callable[..., CheckResult],
                                                       report_schema: Callable[[str], list[str]]) -> None:
    import json

    from trialspec.diagnostics import Diagnostic
    from trialspec.report.formats import check_json

    result = make_result()
    result.accepted[result.diagnostics[0]] = "known"
    result.diagnostics.append(Diagnostic("TS711", "T2.orr = 3.27 is not reproduced",
                                         context=(("claim", "T2.orr"), ("value", "3.27"))))
    text = check_json(result)
    assert report_schema(text) == []
    doc = json.loads(text)
    assert doc["diagnostics"][0]["accepted"] == "known"
    assert doc["diagnostics"][-1]["about"] == {"claim": "T2.orr", "value": "3.27"}
    assert doc["summary"]["accepted"] == 1 and doc["summary"]["verdict"] == "failed"
