"""--format xlsx|csv: the sheets a data manager expects (summary, findings, per-subject
eligibility, rules run with status), with the counts and verdict every other format gives."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

from trialspec.report.spreadsheet import render_csv, render_xlsx
from trialspec.results import CheckResult

ROOT = Path(__file__).resolve().parents[2]


def test_seed_workbook_agrees_with_the_json_report(tmp_path: Path) -> None:
    from trialspec.cli import main

    book, report = tmp_path / "findings.xlsx", tmp_path / "r.json"
    args = ["check", str(ROOT / "protocols" / "seed-rd-rrmm.yaml"), "--data",
            str(ROOT / "examples" / "seed" / "data")]
    assert main([*args, "--format", "xlsx", "--output", str(book), "--json", str(report)]) == 1
    doc = json.loads(report.read_text("utf-8"))
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["Summary", "Findings", "Eligibility", "Rules"]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["verdict"] == doc["summary"]["verdict"] == "failed"
    assert (summary["errors"], summary["warnings"]) == (doc["summary"]["errors"], doc["summary"]["warnings"])
    findings = list(wb["Findings"].iter_rows(min_row=2, values_only=True))
    every = [*doc["diagnostics"], *(f for s in doc["sections"].values() for f in s["findings"])]
    assert len(findings) == len(every)
    assert sum(r[0] == "fails" for r in findings) == doc["summary"]["errors"]
    eligibility = list(wb["Eligibility"].iter_rows(values_only=True))
    assert eligibility[0][:3] == ("subject", "status", "I1") and len(eligibility) == 22
    rules = list(wb["Rules"].iter_rows(min_row=2, values_only=True))
    assert ("eligibility", "eligibility/I1", "result", "1 fail, 0 unknown of 21") in rules
    assert any(r[1].startswith("TS711 ") and r[2] == "fails" for r in rules)


def test_csv_is_the_findings_sheet(make_result: Callable[..., CheckResult]) -> None:
    result = make_result()
    result.accepted[result.diagnostics[0]] = "known"
    rows = list(csv.DictReader(io.StringIO(render_csv(result))))
    assert len(rows) == len(result.all_findings)
    first = next(r for r in rows if r["code"] == "TS303")
    assert (first["status"], first["accepted"]) == ("accepted", "known")
    assert (first["line"], first["col"]) == ("5", "37")
    data = next(r for r in rows if r["code"] == "TS406")
    assert (data["dataset"], data["row"]) == ("subjects", "4")  # a span in a data file names its row


def test_workbook_is_deterministic_and_never_runs_a_formula(make_result: Callable[..., CheckResult]) -> None:
    from trialspec.diagnostics import Diagnostic

    result = make_result()
    result.diagnostics.append(Diagnostic("TS406", '=HYPERLINK("http://x","y")'))
    first = render_xlsx(result)
    time.sleep(1.1)  # openpyxl stamps the save time (to the second): none must remain
    assert render_xlsx(result) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml")
    assert b"<dcterms:modified xsi:type=\"dcterms:W3CDTF\">2000-01-01T00:00:00Z<" in core
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(result)))
    messages = [r[15] for r in wb["Findings"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in messages


def test_xlsx_needs_an_output_file(cli: Callable[..., tuple[int, str]]) -> None:
    code, _ = cli("check", str(ROOT / "protocols" / "t2dm-glucoflozin.yaml"), "--data",
                  str(ROOT / "examples" / "t2dm-glucoflozin" / "data"), "--format", "xlsx")
    assert code == 2
