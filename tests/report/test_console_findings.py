"""The console report's findings: every kind of problem before many of one kind."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from rich.console import Console

from trialspec.report.check import console
from trialspec.report.console_report import INSTANCES
from trialspec.results import CheckResult


def text(result: CheckResult, width: int = 120, details: bool = False) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(console(result, details))
    return buffer.getvalue()


def test_summary_first_and_last(make_result: Callable[..., CheckResult]) -> None:
    out = text(make_result(findings=40)).splitlines()
    # 43 errors: 2 TS406 in the fixture's base plus 40; TS303, TS701; one warning, one note
    assert out[3] == "FAILED: 43 errors, 1 warning, 1 note"
    assert re.match(r"Top causes: 41 × TS406 wrong-type: ", out[4])
    assert out[-4:] == out[3:7]  # the same summary closes the report


def test_findings_grouped_by_cause_with_counts(make_result: Callable[..., CheckResult]) -> None:
    out = text(make_result(findings=40))
    assert len(re.findall(r"^  TS406 wrong-type \(41 errors\)", out, re.M)) == 1
    assert f"... and {41 - INSTANCES} more" in out
    # the protocol's findings come before the data's, and those before the sections' own
    assert out.index("Protocol findings") < out.index("Data findings")


def test_tables_only_with_details(make_result: Callable[..., CheckResult]) -> None:
    short, long = text(make_result()), text(make_result(), details=True)
    assert "Counts" not in short and "--details" in short
    assert "Counts" in long and "^^^^" in long  # tables, and each finding in full with its caret


def test_names_are_never_cut_and_lines_fit_the_terminal(make_result: Callable[..., CheckResult]) -> None:
    from trialspec.diagnostics import Diagnostic

    result = make_result(findings=40)
    for tail in ("first", "second"):  # two names alike up to their last word
        label = f"abstract.thalidomide.response.overall_response_rate.{tail}"
        result.diagnostics.append(Diagnostic("TS701", f"{label} = 71% (5/7) is not reproduced (the orr of "
                                             "exposed: 9/15 = 60%), and a long explanation follows " * 2))
    for width in (80, 200):
        out = text(result, width=width)
        assert max(len(line) for line in out.splitlines()) <= width
        for tail in ("first", "second"):
            assert f"abstract.thalidomide.response.overall_response_rate.{tail} = 71%" in out
    assert len(text(result, width=80).splitlines()) < 2 * len(text(result, width=200).splitlines())


def test_accepted_findings_are_shown_with_their_reason(make_result: Callable[..., CheckResult]) -> None:
    result = make_result()
    accepted = result.diagnostics[0]
    result.accepted[accepted] = "a known erratum"
    out = text(result)
    assert "1 accepted" in out and "accepted: a known erratum" in out


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
