"""The bad-input corpus: every case in corpus/cases.yaml, run through the real command line.

Each case breaks a copy of the small clean study in corpus/base/ in one place (``edit``:
text replacements per file; ``write``: a file's whole text; ``make``: a special file such as
a symlink loop or a ZIP bomb), runs one command (``run``, with ``{report}`` and ``{tmp}``
outside the study folder), and states what must come out: the diagnostic ``code``, where
(``at``: file:line:col, for a finding in the JSON report), and the exit status (``exit``).
Every case also asserts that no input changed: each file of the study folder is
byte-identical afterwards, and no traceback was printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from trialspec.cli import main

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text("utf-8"))
REPORTING = {"lint", "check", "verify", "diff", "explain"}


def _make(study: Path, what: str, name: str) -> None:
    """The special files a case may need."""
    path = study / name
    if what == "symlink-loop":
        path.unlink(missing_ok=True)
        path.symlink_to(path.name)
    elif what == "zip-bomb":  # a small file that inflates to 64 MiB of one repeated byte
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("xl/worksheets/sheet1.xml", b" " * (64 << 20))
    elif what == "folder":
        path.mkdir()
    elif what == "hardlink-to-protocol":
        os.link(study / "p.yaml", path)
    elif what == "symlink-to-protocol":
        path.symlink_to("p.yaml")
    elif what == "lock":
        assert main(["lock", str(study / "p.yaml"), "--data", str(study / "data")]) == 0
    elif what in ("lock-data-etc", "lock-data-dotdot"):
        assert main(["lock", str(study / "p.yaml"), "--data", str(study / "data")]) == 0
        doc = json.loads(path.read_text("utf-8"))
        doc["data_dir"] = "/etc" if what == "lock-data-etc" else "../../../../../../../etc"
        path.write_text(json.dumps(doc), "utf-8")
    elif what == "copy-of-protocol":
        shutil.copy(study / "p.yaml", path)
    elif what == "copy-of-protocol-with-error":
        path.write_text((study / "p.yaml").read_text("utf-8").replace("eligibility:", "eligibilty:"))
    elif what == "not-utf8":
        path.write_bytes(path.read_bytes().replace(b"Adults", b"Adult\xe9s"))
    elif what == "not-utf8-data":
        path.write_bytes(path.read_bytes().replace(b"S02", b"S\xe902"))
    else:
        raise AssertionError(f"unknown make: {what}")


def _study(case: dict[str, Any], tmp: Path) -> Path:
    study = tmp / "study"
    shutil.copytree(CORPUS / "base", study)
    for name, pairs in (case.get("edit") or {}).items():
        text = (study / name).read_text("utf-8")
        for old, new in pairs:
            assert old in text, f"{case['name']}: {old!r} is not in {name}"
            text = text.replace(old, new, 1)
        (study / name).write_text(text, "utf-8")
    for name, text in (case.get("write") or {}).items():
        (study / name).write_text(text, "utf-8")
    for name, what in (case.get("make") or {}).items():
        _make(study, what, name)
    return study


def _snapshot(study: Path) -> dict[str, str]:
    out = {}
    for root, dirs, files in os.walk(study):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(study))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _argv(case: dict[str, Any], study: Path, tmp: Path) -> tuple[list[str], Path | None]:
    argv = shlex.split(case["run"].format(report=tmp / "report.json", tmp=tmp))
    report = None
    if case.get("at") and argv[0] in REPORTING and "--output" not in argv and "--format" not in argv:
        report = tmp / "findings.json"
        argv += ["--format", "json", "--output", str(report)]
    return argv, report


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     capfd: pytest.CaptureFixture[str]) -> None:
    study = _study(case, tmp_path)
    monkeypatch.chdir(study)
    argv, report = _argv(case, study, tmp_path)
    before = _snapshot(study)
    capfd.readouterr()
    status = main(argv)
    out, err = capfd.readouterr()
    assert status == case["exit"], f"{argv}: exit {status}\n{out}\n{err}"
    assert "Traceback" not in out + err and "internal error" not in err
    assert _snapshot(study) == before, "an input was modified"
    code = case["code"]
    if code is None:
        return
    if report is not None:
        doc = json.loads(report.read_text("utf-8"))
        found = [(d["location"] or {}) for d in _diagnostics(doc) if d["code"] == code]
        assert found, f"{code} not among {[d['code'] for d in _diagnostics(doc)]}"
        where = [f"{Path(f['path']).name}:{f['line']}:{f['column']}" for f in found if f]
        assert case["at"] in where, f"{code} at {where}, not {case['at']}"
        assert all(d["hint"] for d in _diagnostics(doc))
    else:
        assert re.search(rf"\b{code}\b", out + err), f"{code} not in\n{out}\n{err}"


def _diagnostics(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(doc.get("diagnostics", []))
    for section in (doc.get("sections") or {}).values():
        found += section.get("findings", [])
    return found


def test_the_corpus_is_large_and_covers_every_input() -> None:
    assert len(CASES) >= 100
    commands = {c["run"].split()[0] for c in CASES}
    assert {"lint", "check", "verify", "diff", "lock", "explain", "fmt"} <= commands
    assert len({c["name"] for c in CASES}) == len(CASES)
