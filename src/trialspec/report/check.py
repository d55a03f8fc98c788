"""Rendering a check result: the console report (rich) and the JSON report. Computes nothing."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table as RichTable
from rich.text import Text

from trialspec.diagnostics import Severity
from trialspec.report.diagnostics import render_all, to_json
from trialspec.results import CheckResult, Table

SHOW_FINDINGS = 40  # findings shown in full on the console; PER_CODE of each code at most
PER_CODE = 2
REPORT_VERSION = 1


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: object) -> Text:
    """A cell as plain text: never rich markup (``[relapsed, refractory]`` stays as written),
    and control characters from the data shown escaped, never sent to the terminal."""
    return Text(_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", "" if value is None else str(value)))


def rich_table(t: Table) -> RichTable:
    """A results table for the console, every text of it plain (see ``_text``)."""
    out = RichTable(title=_text(t.title), title_justify="left",
                    caption=_text(t.note) if t.note else None, caption_justify="left")
    for c in t.columns:
        out.add_column(_text(c))
    for row in t.rows:
        out.add_row(*(_text(v) for v in row))
    return out


def console(result: CheckResult) -> RenderableType:
    parts: list[RenderableType] = []
    m = result.manifest
    head = Text(f"trialspec {m.trialspec_version}: {m.protocol_path}\n", style="bold")
    for d in m.datasets:
        head.append(f"  {d['name']}: {d['path']} ({d['rows']:,} rows)\n")
    parts.append(head)
    findings = result.all_findings
    if findings:
        ordered = sorted(findings, key=lambda d: (d.severity is not Severity.ERROR, d.sort_key()))
        shown = _first_of_each_code(ordered)
        parts.append(Text("Findings\n", style="bold underline"))
        parts.append(render_all(shown, result.sources))
        if len(shown) < len(ordered):
            parts.append(_by_code(ordered, shown))
            parts.append(Text(f"... and {len(ordered) - len(shown)} more findings "
                              f"(--format json lists all)\n", style="bold"))
    for section in result.sections:
        parts.append(Text(f"\n{section.title}\n", style="bold underline"))
        parts.extend(rich_table(t) for t in section.tables)
    style = "bold red" if failed(result) else "bold green"
    parts.append(Text("\n" + summary_line(result) + "\n", style=style))
    return Group(*parts)


def _first_of_each_code(ordered: list[Any]) -> list[Any]:
    """The first PER_CODE findings of each code, at most SHOW_FINDINGS, in report order: a long
    report shows every kind of problem before it shows many of one kind."""
    seen: dict[str, int] = {}
    out: list[Any] = []
    for d in ordered:
        if seen.get(d.code, 0) < PER_CODE and len(out) < SHOW_FINDINGS:
            seen[d.code] = seen.get(d.code, 0) + 1
            out.append(d)
    return out


def _by_code(ordered: list[Any], shown: list[Any]) -> RichTable:
    from trialspec.codes import CODES

    table = RichTable(title="Findings by code", title_justify="left")
    for c in ("code", "name", "severity", "findings", "shown above"):
        table.add_column(c)
    counts: dict[str, list[Any]] = {}
    for d in ordered:
        counts.setdefault(d.code, []).append(d)
    shown_ids = {id(d) for d in shown}
    for code, ds in counts.items():
        known = CODES.get(code)
        table.add_row(code, known.name if known else "", ds[0].severity.value, str(len(ds)),
                      str(sum(id(d) in shown_ids for d in ds)))
    return table


def failed(result: CheckResult) -> bool:
    return any(d.severity is Severity.ERROR for d in result.all_findings)


def summary_line(result: CheckResult) -> str:
    errors = sum(d.severity is Severity.ERROR for d in result.all_findings)
    warnings = sum(d.severity is Severity.WARNING for d in result.all_findings)
    bits = [f"{errors} error{'s' * (errors != 1)}", f"{warnings} warning{'s' * (warnings != 1)}"]
    elig = result.section("eligibility")
    if elig is not None:
        c = elig.summary["counts"]
        bits.insert(0, f"{elig.summary['screened']} screened: {c['eligible']} eligible, "
                       f"{c['ineligible']} ineligible, {c['indeterminate']} indeterminate")
    return "; ".join(bits)


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
        "diagnostics": [to_json(d) for d in result.diagnostics],
        "sections": {
            s.name: {
                "title": s.title,
                "summary": s.summary,
                "findings": [to_json(d) for d in s.findings],
                "cases": [{"name": c.name, "passed": c.passed, "message": c.message} for c in s.cases],
            }
            for s in result.sections
        },
    }


def explain_console(result: CheckResult, subject: str, tables: list[Table]) -> RenderableType:
    head = Text(f"{result.manifest.protocol_path}: subject {subject}\n", style="bold")
    return Group(head, *(rich_table(t) for t in tables))
