"""Rendering a check result: the console report (rich) and the JSON report. Computes nothing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from trialspec.report.diagnostics import to_json
from trialspec.results import CheckResult, Table

if TYPE_CHECKING:  # (rich is imported by the console's renderers only: a JSON report needs none of it)
    from rich.console import RenderableType
    from rich.table import Table as RichTable
    from rich.text import Text

REPORT_VERSION = 1


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def plain(value: object) -> str:
    """Control characters from the data shown escaped, never sent to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", "" if value is None else str(value))


def _text(value: object) -> Text:
    """A cell as plain text: never rich markup (``[relapsed, refractory]`` stays as written),
    and control characters escaped (``plain``)."""
    from rich.text import Text

    return Text(plain(value))


def rich_table(t: Table) -> RichTable:
    """A results table for the console, every text of it plain (see ``_text``)."""
    from rich.table import Table as RichTable

    out = RichTable(title=_text(t.title), title_justify="left",
                    caption=_text(t.note) if t.note else None, caption_justify="left")
    for c in t.columns:  # fold, never cut: two long names that differ at the end stay apart
        out.add_column(_text(c), overflow="fold")
    for row in _merge_subjects(t):
        out.add_row(*(_text(v) for v in row))
    return out


def _merge_subjects(t: Table) -> list[tuple[object, ...]]:
    """Rows of a per-subject table that say the same thing (107 subjects indeterminate for one
    reason) as one row listing the subjects."""
    if not t.columns or t.columns[0] != "subject" or len(t.columns) < 2:
        return list(t.rows)
    merged: dict[tuple[object, ...], list[str]] = {}
    for row in t.rows:
        merged.setdefault(tuple(row[1:]), []).append(str(row[0]))
    if len(merged) == len(t.rows):
        return list(t.rows)
    return [(_subjects(ids), *rest) for rest, ids in merged.items()]


def _subjects(ids: list[str]) -> str:
    shown = ", ".join(ids[:6])
    return shown + (f", ... ({len(ids)} subjects)" if len(ids) > 6 else "")


def console(result: CheckResult, details: bool = False) -> RenderableType:
    """The console report: summary first, findings by cause, tables with ``details``
    (see :mod:`trialspec.report.console_report`)."""
    from trialspec.report.console_report import console_report

    return console_report(result, details)


def failed(result: CheckResult) -> bool:
    """Whether the check failed: the one definition, :func:`trialspec.triage.failed`."""
    from trialspec.triage import failed as failed_

    return failed_(result)


def summary_line(result: CheckResult) -> str:
    from trialspec.report.summary import summary_line as line

    return line(result)


def to_document(result: CheckResult) -> dict[str, Any]:
    """The JSON report (schemas/report.schema.json): stable keys, deterministic order."""
    m = result.manifest
    return {
        "report_version": REPORT_VERSION,
        "manifest": {
            "trialspec_version": m.trialspec_version,
            "protocol": {"path": m.protocol_path, "sha256": m.protocol_sha256},
            "datasets": m.datasets,
        },
        "ok": not failed(result),
        "summary": _summary(result),
        "diagnostics": [_finding(result, d) for d in result.diagnostics],
        "sections": {
            s.name: {
                "title": s.title,
                "summary": s.summary,
                "findings": [_finding(result, d) for d in s.findings],
                "cases": [{"name": c.name, "passed": c.passed, "message": c.message} for c in s.cases],
            }
            for s in result.sections
        },
    }


def _summary(result: CheckResult) -> dict[str, Any]:
    from trialspec.report.summary import as_dict

    return as_dict(result)


def _finding(result: CheckResult, d: Any) -> dict[str, Any]:
    out = to_json(d)
    if d in result.accepted:
        out["accepted"] = result.accepted[d]
    if d.context:
        out["about"] = {k: v for k, v in d.context}
    return out


def explain_console(result: CheckResult, subject: str, tables: list[Table]) -> RenderableType:
    from rich.console import Group
    from rich.text import Text

    head = Text(f"{result.manifest.protocol_path}: subject {subject}\n", style="bold")
    return Group(head, *(rich_table(t) for t in tables))
