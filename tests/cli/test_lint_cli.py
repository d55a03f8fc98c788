"""`trialspec lint` and `explain CODE` driven through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.name)
def test_shipped_protocols_lint_clean(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "lint.json"
    assert main(["lint", str(path), "--format", "json", "--output", str(out)]) == 0
    diags = json.loads(out.read_text("utf-8"))["diagnostics"]
    # the only finding: the seed states the paper's own MR/PR definitions, which differ from IMWG
    assert {(d["code"], d["severity"]) for d in diags} <= {("TS609", "warning")}


def test_findings_exit_1_with_location_caret_and_hint(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    text = (ROOT / "protocols" / "seed-rd-rrmm.yaml").read_text("utf-8")
    bad.write_text(text.replace("when: est_survival >= 3 months", "when: est_survival >= 3 mg/dL"),
                   "utf-8")
    assert main(["lint", str(bad)]) == 1
    out = capsys.readouterr().out
    line = next(i for i, ln in enumerate(bad.read_text("utf-8").splitlines(), 1) if "3 mg/dL" in ln)
    col = bad.read_text("utf-8").splitlines()[line - 1].index("3 mg/dL") + 1
    assert f"{bad}:{line}:{col}: error[TS303] dimension-mismatch" in out
    assert " " * (col - 1) + "^^^^^^^" in out
    assert "= hint:" in out


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("trialspec: 1\nstudy: {id: X}\neligibilty: {}\n", "utf-8")
    out_file = tmp_path / "report.json"
    assert main(["lint", str(bad), "--format", "json", "--output", str(out_file)]) == 1
    doc = json.loads(out_file.read_text("utf-8"))
    assert doc["ok"] is False
    first = doc["diagnostics"][0]
    assert first["code"] == "TS208" and first["location"]["line"] == 3
    assert "eligibility" in first["hint"]


def test_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "no/such/protocol.yaml"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_explain_code_prints_its_page(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "ts303"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("TS303 dimension-mismatch") and "Fix:" in out


def test_explain_unknown_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "TS999"]) == 2


def test_lint_imports_no_pandas_scipy_or_statsmodels() -> None:
    probe = (
        "import sys\n"
        "from trialspec.cli import main\n"
        f"rc = main(['lint', {str(PROTOCOLS[0])!r}])\n"
        "heavy = sorted(m for m in ('pandas', 'scipy', 'statsmodels', 'numpy', 'matplotlib')\n"
        "               if m in sys.modules)\n"
        "print(rc, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"


def test_diagnostics_page_is_current() -> None:
    from trialspec.report.codes import diagnostics_markdown

    assert (ROOT / "docs" / "diagnostics.md").read_text("utf-8") == diagnostics_markdown(), (
        "regenerate: python -m trialspec.report.codes > docs/diagnostics.md")
