"""Markdown reports: a pull-request comment that renders every section generically."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from trialspec.report.markdown import SHOW_FINDINGS, cell, code, render_check, render_diagnostics
from trialspec.results import CheckResult

GOLDEN = Path(__file__).parent / "golden" / "check.md"


def test_golden(result: CheckResult) -> None:
    out = render_check(result)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(out, "utf-8")
    assert out == GOLDEN.read_text("utf-8"), "regenerate with UPDATE_GOLDEN=1 and review the diff"


def test_summary_findings_and_every_section(result: CheckResult) -> None:
    out = render_check(result)
    assert out.startswith("## trialspec: ❌ failed: `protocols/study.yaml`")
    assert "**3 errors, 1 warning, 1 note**" in out  # the shared summary line (report.summary)
    assert "- Top causes:\n  - 1 × TS303 dimension-mismatch: " in out
    assert "`protocols/study.yaml:5:37`" in out and "`data/subjects.csv:4:2`" in out
    assert "### Alpha \\| section" in out and "### Beta" in out
    for title in ("**Counts**", "**Empty**: none", "<b>Long</b> (20 rows)"):
        assert title in out
    # errors come first, then warnings and notes
    marks = re.findall(r"^\| ((?:❌|⚠️|ℹ️) \w+) \|", out, re.M)
    assert marks == ["❌ error"] * 3 + ["⚠️ warning", "ℹ️ info"]


def test_cells_cannot_break_the_table_or_inject_html(result: CheckResult) -> None:
    out = render_check(result)
    assert "<script>" not in out and "&lt;script>" in out
    lines = out.splitlines()
    start = lines.index("**Counts**")
    block = lines[start + 2:start + 7]
    widths = {len(re.split(r"(?<!\\)\|", ln)) for ln in block}
    assert widths == {5}, block  # header, rule and three rows: three cells each
    assert block[1] == "|---|---:|---|"  # the numeric column is right-aligned
    assert "line<br>break `tick`" in out
    assert "\x00" not in out and "left out \ufffd of T4" in out


def test_findings_are_capped(make_result: Callable[..., CheckResult]) -> None:
    out = render_check(make_result(findings=40))
    assert f"and {40 + 3 + 2 - SHOW_FINDINGS} more findings" in out


def test_cell_and_code_helpers() -> None:
    assert cell("a|b\nc") == "a\\|b<br>c"
    assert cell(None) == ""
    assert code("x`y") == "``x`y``"
    assert code("`x") == "`` `x ``"


def test_lint_diagnostics(tmp_path: Path) -> None:
    from trialspec.pipeline import lint

    bad = tmp_path / "bad.yaml"
    bad.write_text("trialspec: 1\nstudy: {id: X}\neligibilty: {}\n", "utf-8")
    result = lint([str(bad)])
    out = render_diagnostics(result.diagnostics, result.sources)
    assert out.startswith("## trialspec lint: ❌ failed")
    assert f"`{bad}:3:1`" in out and "TS208" in out
