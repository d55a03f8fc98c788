"""Each bad protocol in bad/ fails `trialspec lint` with the code and position its first line
states: `# expect: CODE LINE:COL [text the message or hint contains]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialspec.cli import main

BAD = sorted((Path(__file__).parent / "bad").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_lint_reports_the_expected_diagnostic(path: Path, tmp_path: Path) -> None:
    code, where, *words = path.read_text("utf-8").splitlines()[0].removeprefix("# expect: ").split()
    line, col = map(int, where.split(":"))
    out = tmp_path / "lint.json"
    assert main(["lint", str(path), "--format", "json", "--output", str(out)]) == 1
    first = json.loads(out.read_text("utf-8"))["diagnostics"][0]
    assert (first["code"], first["location"]["line"], first["location"]["column"]) == (code, line, col)
    assert first["hint"]
    for word in words:
        assert word in first["message"] + " " + first["hint"]
