"""The README's demo: `trialspec check` on the seed study, as `make demo` runs it (console
report and `--json`), finds what the seed paper gets wrong. The paper's contradictions are
the demo's point, so each is asserted where the JSON report lists it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    import contextlib
    import io

    out = tmp_path_factory.mktemp("demo") / "demo-report.json"
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        status = main(["check", str(SEED), "--data", str(DATA), "--json", str(out)])
    return status, console.getvalue(), json.loads(out.read_text("utf-8"))


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [*report["diagnostics"], *(f for s in report["sections"].values() for f in s["findings"])]


def one(report: dict[str, Any], code: str, pattern: str) -> dict[str, Any]:
    found = [f for f in findings(report) if f["code"] == code and re.search(pattern, f["message"])]
    assert found, f"no {code} matching {pattern!r}"
    return found[0]


def test_the_demo_reports_findings_and_every_section(demo: tuple[int, str, dict[str, Any]]) -> None:
    status, console, report = demo
    assert status == 1  # findings: the Makefile's demo target passes --exit-zero for them
    for heading in ("Claims: 193 checked", "Eligibility: ", "Dosing: ", "Response (imwg-2016): ",
                    "Analyses: "):
        assert f"\n{heading}" in console
    assert set(report["sections"]) == {"eligibility", "dosing", "response", "analyses", "claims"}
    claims = report["sections"]["claims"]["summary"]
    assert claims["counts"]["not checked"] == 0  # every claim of the paper is judged
    assert all(r["status"] in ("reproduced", "not reproduced", "inconsistent") for r in claims["results"])


def test_the_papers_contradictions(demo: tuple[int, str, dict[str, Any]]) -> None:
    _status, _console, report = demo
    # Table 1 and section 2.1 describe 13 patients; the study has 21
    t1 = one(report, "TS722", r"^T1\.gender\.male: .* = 13, but the stated number of patients is 21")
    assert t1["location"]["line"] == SEED.read_text("utf-8").splitlines().index(
        '    gender: {male: "7", female: "6"}') + 1
    # Table 5: "3 (50.05%)" of 6 patients
    one(report, "TS720", r"^T5\.pr\.unexposed: 3\(50\.05%\) is impossible with n = 6")
    # Table 3's "0.290": the data give chi-square 0.029, the decimal point moved
    assert "0.02937" in one(report, "TS713", r"^T3\.age\.statistic = 0\.290")["hint"]
    # Tables 4, 6 and 7: a chi-square statistic printed beside a Fisher p-value
    for table in ("T4", "T6", "T7"):
        one(report, "TS714", rf"^{table}\.p: .* is Pearson chi-square without Yates' correction.*"
                             r" is Fisher's exact test")
    # Table 6 and the text swap the lenalidomide groups' percentages
    one(report, "TS721", r"^S3\.2\.lenalidomide\.orr\.exposed: 80% .* another denominator: unexposed")
    # Table 2's pooled ORR: Mantel-Haenszel on the trials' counts gives it, inverse variance not
    mh = one(report, "TS728", r"^T2\.orr\.pooled = 3\.27 \[2\.34;4\.56\] is reproduced by Mantel-Haenszel")
    assert "not by inverse-variance pooling of the same counts (3.241 [2.321; 4.527])" in mh["message"]
    assert mh["severity"] == "warning"
    # Table 2's PFS rows: the trials' published CIs with the SE read on the hazard-ratio scale
    for trial, published in (("CASTOR", "0.31 [0.24;0.39]"), ("POLLUX", "0.41 [0.31;0.53]")):
        one(report, "TS729", rf"^T2\.pfs\.studies\.{trial} = .* is the input {re.escape(published)} "
                             r"with its standard error taken on the HR scale")


def test_the_readme_tells_the_demo_as_it_is(demo: tuple[int, str, dict[str, Any]]) -> None:
    _status, console, report = demo
    readme = (ROOT / "README.md").read_text("utf-8")
    claims = report["sections"]["claims"]["summary"]["claims"]
    assert f"all {claims} numbers the paper prints" in readme
    summary = next(line for line in console.splitlines() if " screened: " in line).strip()
    assert f"\n{summary}\n" in readme  # the excerpt shows the demo's own summary
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert "--json $(DEMO_JSON) --exit-zero" in makefile and "DEMO_JSON := demo-report.json" in makefile


@pytest.fixture(scope="module")
def seed_result() -> Any:
    from trialspec.pipeline import check

    return check(SEED, DATA)


@pytest.mark.parametrize("columns", [80, 200])
def test_the_summary_comes_first_and_last_and_the_report_is_short(columns: int, seed_result: Any) -> None:
    import io

    from rich.console import Console

    from trialspec.report.check import console

    buffer = io.StringIO()
    Console(file=buffer, width=columns, color_system=None).print(console(seed_result))
    lines = buffer.getvalue().splitlines()
    assert len(lines) < 200
    assert max(len(line) for line in lines) <= columns
    summary = ["FAILED: 124 errors, 22 warnings, 1 note",
               "Claims: 193 checked: 102 reproduced, 73 not reproduced, 18 inconsistent"]
    for where in (lines[:25], lines[-10:]):
        assert all(line in where for line in summary)
        assert any(line.startswith("Top causes: 61 × TS711 claim-not-reproduced") for line in where)
        for section in ("Eligibility: 21 screened", "Dosing: ", "Response (imwg-2016): ",
                        "Analyses: 31 of 31"):
            assert any(line.startswith(section) for line in where), section
    # the paper's findings come before the per-subject ones
    text = "\n".join(lines)
    assert text.index("Paper and analyses findings") < text.index("Subjects findings")


def test_the_readme_excerpt_is_the_demos_output(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # the excerpt was taken from a 100-column terminal
    monkeypatch.chdir(ROOT)  # and with the README's relative paths
    main(["check", "protocols/seed-rd-rrmm.yaml", "--data", "examples/seed/data"])
    out = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("```text\ntrialspec ")
    excerpt = readme[start + len("```text\n"):readme.index("```", start + 8)]
    lines = [line.rstrip() for line in excerpt.splitlines() if line.strip() and "..." not in line]
    assert len(lines) > 10
    missing = [line for line in lines if line not in out]
    assert missing == []
