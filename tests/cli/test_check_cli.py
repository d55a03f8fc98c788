"""`trialspec check` and `explain --subject` on the shipped seed study, through the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"


def _expected() -> dict[str, str]:
    with (DATA / "expected_eligibility.csv").open(encoding="utf-8") as f:
        return {row["subject_id"]: row["status"] for row in csv.DictReader(f)}


def test_check_json_report_matches_the_example_design(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    main(["check", str(SEED), "--data", str(DATA), "--format", "json", "--output", str(out)])
    doc = json.loads(out.read_text("utf-8"))
    elig = doc["sections"]["eligibility"]["summary"]
    assert dict(zip(elig["subjects"]["id"], elig["subjects"]["status"], strict=True)) == _expected()
    assert elig["counts"] == {"eligible": 17, "ineligible": 3, "indeterminate": 1}
    assert [a["remaining"] for a in elig["attrition"]][:4] == [20, 19, 19, 17]
    assert elig["subjects"]["missing"] == {"P18": ["I4: labs.platelets missing"]}
    assert elig["subjects"]["outcomes"]["I4"][elig["subjects"]["id"].index("P18")] == "unknown"
    manifest = doc["manifest"]
    assert manifest["protocol"]["sha256"] == hashlib.sha256(SEED.read_bytes()).hexdigest()
    assert {d["name"]: d["rows"] for d in manifest["datasets"]}["subjects"] == 21
    assert list(tmp_path.iterdir()) == [out]  # written atomically: no temporary file left


def test_check_json_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out in (a, b):
        main(["check", str(SEED), "--data", str(DATA), "--format", "json", "--output", str(out)])
    assert a.read_bytes() == b.read_bytes()


def test_check_console_shows_attrition_and_summary(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(SEED), "--data", str(DATA)])
    out = capsys.readouterr().out
    assert "Attrition (protocol order)" not in out  # tables only with --details
    assert "Eligibility: 21 screened: 17 eligible, 3 ineligible, 1 indeterminate" in out
    main(["check", str(SEED), "--data", str(DATA), "--details"])
    out = capsys.readouterr().out
    assert "Attrition (protocol order)" in out


def test_inputs_are_not_modified(tmp_path: Path) -> None:
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DATA.iterdir()}
    main(["check", str(SEED), "--data", str(DATA), "--format", "json", "--output", str(tmp_path / "r.json")])
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in DATA.iterdir()}
    assert before == after


def test_explain_subject_traces_each_clause(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "p04.json"
    assert main(["explain", str(SEED), "--data", str(DATA), "--subject", "P04", "--format", "json",
                 "--output", str(out)]) == 0
    tables = json.loads(out.read_text("utf-8"))["tables"]
    i4 = next(t for t in tables if t["title"].startswith("I4 fails"))
    anc = next(r for r in i4["rows"] if r[0].strip() == "anc >= 1.0 10^9/L")
    assert anc[1:] == ["0.8 10^9/L >= 1 10^9/L", "false"]
    source = next(r for r in i4["rows"] if r[0].strip() == "labs.anc")
    assert source[2].startswith("labs row ") and "written in 10^9/L" in source[2]


def test_explain_unknown_subject_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(SEED), "--data", str(DATA), "--subject", "P99"]) == 2
    assert "no subject 'P99'" in capsys.readouterr().err


def test_missing_data_directory_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(SEED), "--data", "no/such/dir"]) == 2
    assert "no such data directory" in capsys.readouterr().err


def test_unknown_format_for_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(SEED), "--format", "junit"]) == 2


@pytest.mark.parametrize("command", [["lock"], ["check"], ["check", "--format", "json"]])
def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path, command: list[str]) -> None:
    """`trialspec check ... | head`: the closed pipe ends the command quietly, with the status a
    shell gives a command killed by SIGPIPE (141), whatever wrote the output."""
    import shutil
    import subprocess
    import sys

    shutil.copy(SEED, tmp_path / SEED.name)
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from trialspec.cli import main; "
                             "sys.exit(main())", command[0], str(tmp_path / SEED.name), "--data", str(DATA),
                             *command[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `head` does once it has its lines
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
