"""One definition of "failed": on every shipped example, the exit status, the JSON report's
`ok`, the Markdown verdict, the JUnit failures and the SARIF results agree on what failed,
with and without accepted findings (the protocol's `accepted:` block)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "seed": ("protocols/seed-rd-rrmm.yaml", "examples/seed/data"),
    "amendment": ("protocols/seed-rd-rrmm-amendment-1.yaml", "examples/seed/data"),
    "t2dm": ("protocols/t2dm-glucoflozin.yaml", "examples/t2dm-glucoflozin/data"),
}


def _formats(tmp: Path, protocol: Path, data: str) -> dict[str, object]:
    """The command line's exit status, SARIF and JSON; Markdown and JUnit rendered from the
    same protocol and data in process (each format once, one check run fewer)."""
    from trialspec.pipeline import check
    from trialspec.report.formats import render_check

    status = main(["check", str(protocol), "--data", str(ROOT / data), "--format", "sarif",
                   "--output", str(tmp / "r.sarif"), "--json", str(tmp / "r.json")])
    result = check(protocol, ROOT / data)
    (tmp / "r.md").write_text(render_check("markdown", result), "utf-8")
    (tmp / "r.xml").write_text(render_check("junit", result), "utf-8")
    return {"status": status}


def _failing_codes_sarif(text: str) -> set[str]:
    results = json.loads(text)["runs"][0]["results"]
    return {r["ruleId"] for r in results if r["level"] == "error" and not r.get("suppressions")}


def _failing_codes_junit(text: str) -> set[str]:
    root = ET.fromstring(text)
    return {c.get("name", "").split()[0] for c in root.iter("testcase") if c.find("failure") is not None}


def _agree(tmp: Path, protocol: Path, data: str) -> tuple[int, set[str]]:
    status = _formats(tmp, protocol, data)["status"]
    doc = json.loads((tmp / "r.json").read_text("utf-8"))
    sarif = _failing_codes_sarif((tmp / "r.sarif").read_text("utf-8"))
    junit = _failing_codes_junit((tmp / "r.xml").read_text("utf-8"))
    md = (tmp / "r.md").read_text("utf-8").splitlines()[0]
    failed = status == 1
    assert status in (0, 1)
    assert doc["ok"] is (not failed) and doc["summary"]["verdict"] == ("failed" if failed else "passed")
    assert ("❌ failed" in md) is failed and ("✅ passed" in md) is (not failed)
    assert junit == sarif  # the same failing codes
    assert bool(junit) is failed
    every = [*doc["diagnostics"], *(f for s in doc["sections"].values() for f in s["findings"])]
    assert {f["code"] for f in every if f["severity"] == "error" and "accepted" not in f} == sarif
    assert doc["summary"]["errors"] == sum(f["severity"] == "error" and "accepted" not in f for f in every)
    return status, sarif


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_format_agrees_on_what_failed(name: str, tmp_path: Path) -> None:
    protocol, data = EXAMPLES[name]
    _agree(tmp_path, ROOT / protocol, data)


def test_accepting_every_failing_code_passes_everywhere(tmp_path: Path) -> None:
    protocol, data = EXAMPLES["t2dm"]
    status, failing = _agree(tmp_path, ROOT / protocol, data)
    assert status == 1 and failing
    text = (ROOT / protocol).read_text("utf-8")
    accepted = "\naccepted:\n" + "".join(
        f"  - {{code: {c}, reason: planted on purpose in the synthetic data}}\n" for c in sorted(failing))
    copy = tmp_path / "accepting" / "t2dm.yaml"
    copy.parent.mkdir()
    copy.write_text(text + accepted, "utf-8")
    status, still = _agree(copy.parent, copy, data)
    assert (status, still) == (0, set())
    doc = json.loads((copy.parent / "r.json").read_text("utf-8"))
    assert doc["summary"]["accepted"] > 0
    sarif = json.loads((copy.parent / "r.sarif").read_text("utf-8"))["runs"][0]["results"]
    suppressed = [r for r in sarif if r.get("suppressions")]
    reason = "planted on purpose in the synthetic data"
    assert suppressed and all(r["suppressions"][0]["justification"] == reason for r in suppressed)
    shutil.rmtree(copy.parent)


def test_lock_counts_the_accepted_errors_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lock` notes the error findings it locks; those the protocol accepts are said to be
    (before, 'the check has 4 error findings' beside check's '2 errors, 4 accepted')."""
    from trialspec.cli import main

    protocol, data = EXAMPLES["t2dm"]
    _status, failing = _agree(tmp_path, ROOT / protocol, data)
    first = sorted(failing)[0]
    copy = tmp_path / "accepting" / "t2dm.yaml"
    copy.parent.mkdir()
    copy.write_text((ROOT / protocol).read_text("utf-8")
                    + f"\naccepted:\n  - {{code: {first}, reason: planted in the synthetic data}}\n", "utf-8")
    capsys.readouterr()
    assert main(["lock", str(copy), "--data", str(data)]) == 0
    note = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    every = [*doc["diagnostics"], *(f for s in doc["sections"].values() for f in s["findings"])]
    errors = sum(f["severity"] == "error" for f in every)
    accepted = sum(f["severity"] == "error" and f["code"] == first for f in every)
    assert note and note[0].startswith(f"note: the check has {errors} error finding")
    assert f"({accepted} of them accepted)" in note[0]
