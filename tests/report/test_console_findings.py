"""The console report's findings: every kind of problem before many of one kind."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from rich.console import Console

from trialspec.report.check import PER_CODE, console
from trialspec.results import CheckResult


def text(result: CheckResult) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(console(result))
    return buffer.getvalue()


def test_a_long_report_shows_each_code_and_counts_the_rest(make_result: Callable[..., CheckResult]) -> None:
    out = text(make_result(findings=40))  # 41 TS406, one TS303, TS412, TS701, TS704
    shown = re.findall(r"(?:error|warning|info)\[(TS\d+)\]", out)
    assert shown.count("TS406") == PER_CODE
    assert {"TS303", "TS412", "TS701", "TS704"} <= set(shown)
    table = out[out.index("Findings by code"):]
    assert re.search(r"TS406 .*│ error +│ 41 +│ 2 ", table)
    assert f"... and {41 - PER_CODE} more findings (--format json lists all)" in out


def test_a_short_report_shows_everything(make_result: Callable[..., CheckResult]) -> None:
    out = text(make_result(findings=1))
    assert "Findings by code" not in out and "more findings" not in out
    assert len(re.findall(r"(?:error|warning|info)\[TS406\]", out)) == 2


def test_table_text_is_never_read_as_markup() -> None:
    from trialspec.report.check import rich_table
    from trialspec.results import Table

    table = Table("T [bold]title[/bold]", ("clause", "values"),
                  (("disease_status in [relapsed, refractory]", "[red]x[/red]"),), "note [dim]y[/dim]")
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(rich_table(table))
    out = buffer.getvalue()
    for written in ("disease_status in [relapsed, refractory]", "[red]x[/red]", "T [bold]title[/bold]",
                    "note [dim]y[/dim]"):
        assert written in out


def test_control_characters_from_the_data_are_shown_not_sent() -> None:
    from trialspec.report.check import rich_table
    from trialspec.results import Table

    table = Table("t", ("site",), (("A\x1b]0;pwned\x07\x1b[2J",),))
    buffer = io.StringIO()
    Console(file=buffer, width=120, color_system=None).print(rich_table(table))
    out = buffer.getvalue()
    assert "\x1b" not in out and "\x07" not in out
    assert "A\\x1b]0;pwned\\x07\\x1b[2J" in out
