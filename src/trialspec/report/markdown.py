"""Markdown reports, for a pull-request comment (GitHub-flavoured tables). Computes nothing.

A check report reads top to bottom: the verdict and summary line, what was checked (versions
and hashes), the first findings with their ``file:line:col``, then every section's tables in
report order (eligibility, dosing, response, analyses, claims, lock drift: whatever the result
holds). Long tables fold into ``<details>`` so the comment stays short.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult, Table

SHOW_FINDINGS = 30
FOLD_ROWS = 15  # tables longer than this are folded
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MARK = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


def render_check(result: CheckResult) -> str:
    from trialspec.report.check import failed, summary_line
    from trialspec.report.summary import cause_lines, claims_line, section_lines

    m = result.manifest
    findings = result.all_findings
    verdict = "❌ failed" if failed(result) else "✅ passed"
    out = [f"## trialspec: {verdict}: {code(m.protocol_path)}", "", f"**{cell(summary_line(result))}**", ""]
    # the console's summary: the claims tally, the top causes, one line per section
    claims, causes = claims_line(result), cause_lines(result)
    rest = [*([claims] if claims else []), *(["Top causes:"] if causes else []),
            *(f"  - {c}" for c in causes), *section_lines(result)]
    if rest:
        out += [(line[:4] if line.startswith("  - ") else "- ") + cell(line.removeprefix("  - "))
                for line in rest] + [""]
    data = ", ".join(f"{code(d['path'] or d['name'])} ({d['rows']:,} rows, "
                     f"sha256 {code(_short(d['sha256']))})" for d in m.datasets)
    out += [f"trialspec {cell(m.trialspec_version)} · protocol sha256 {code(_short(m.protocol_sha256))}"
            + (f" · data: {data}" if data else ""), ""]
    if findings:
        out += findings_block(findings, result.accepted)
    for section in result.sections:
        out += [f"### {cell(section.title)}", ""]
        if not section.tables:
            out += ["*No tables: see the findings above.*" if section.findings else "*Nothing to show.*", ""]
        for t in section.tables:
            out += table_block(t)
    return "\n".join(out).rstrip("\n") + "\n"


def render_diagnostics(diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    """Lint findings: one line of counts and the findings table."""
    errors = sum(d.severity is Severity.ERROR for d in diags)
    files = sorted(sources)
    verdict = "❌ failed" if errors else "✅ passed"
    out = [f"## trialspec lint: {verdict}", "", f"**{_counts(diags)}** in {len(files)} "
           f"file{'s' * (len(files) != 1)}: " + ", ".join(code(f) for f in files), ""]
    if diags:
        out += findings_block(diags)
    return "\n".join(out).rstrip("\n") + "\n"


def findings_block(findings: Iterable[Diagnostic],
                   accepted: Mapping[Diagnostic, str] | None = None) -> list[str]:
    accepted = accepted or {}
    shown = sorted(findings, key=lambda d: (d in accepted, d.severity is not Severity.ERROR, d.sort_key()))
    out = [f"### Findings ({_counts(shown, accepted)})", "", "| | code | where | finding |",
           "|---|---|---|---|"]
    previous = None
    for d in shown[:SHOW_FINDINGS]:
        # a hint shared with the row above is not repeated
        text = cell(d.message) + (f"<br>*hint:* {cell(d.hint)}" if d.hint and d.hint != previous else "")
        previous = d.hint
        mark = MARK[d.severity]
        if d in accepted:
            mark, text = "✔️ accepted", f"{text}<br>*accepted:* {cell(accepted[d])}"
        out.append(f"| {mark} | {code(d.code)} {cell(d.name)} | "
                   f"{code(str(d.span)) if d.span else ''} | {text} |")
    if len(shown) > SHOW_FINDINGS:
        out += ["", f"*... and {len(shown) - SHOW_FINDINGS} more findings (`--format json` lists all).*"]
    return [*out, ""]


def table_block(t: Table) -> list[str]:
    width = len(t.columns)
    rows = [tuple(row[i] if i < len(row) else None for i in range(width)) for row in t.rows]
    numeric = [bool(filled) and all(_is_number(v) for v in filled)
               for filled in ([r[i] for r in rows if r[i] not in (None, "")] for i in range(width))]
    head = "| " + " | ".join(cell(c) for c in t.columns) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    body = ["| " + " | ".join(cell(_value(v)) for v in row) + " |" for row in rows]
    note = [f"*{cell(t.note)}*", ""] if t.note else []
    if not t.rows:
        return [f"**{cell(t.title)}**: none", "", *note]
    if len(t.rows) > FOLD_ROWS:
        return [f"<details><summary><b>{cell(t.title)}</b> ({len(t.rows)} rows)</summary>", "",
                head, rule, *body, "", *note, "</details>", ""]
    return [f"**{cell(t.title)}**", "", head, rule, *body, "", *note]


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: no pipes, line breaks or HTML tags."""
    text = _CONTROL.sub("\ufffd", "" if value is None else str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")
    return "<br>".join(text.splitlines())


def code(text: str) -> str:
    """An inline code span that survives backticks and pipes in ``text``."""
    text = " ".join(str(text).splitlines()).replace("|", "\\|")
    fence = "`" * (_longest_run(text, "`") + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _longest_run(text: str, ch: str) -> int:
    best = run = 0
    for c in text:
        run = run + 1 if c == ch else 0
        best = max(best, run)
    return best


def _counts(diags: Iterable[Diagnostic], accepted: Mapping[Diagnostic, str] | None = None) -> str:
    accepted = accepted or {}
    every = list(diags)
    diags = [d for d in every if d not in accepted]
    parts = []
    for sev in Severity:
        n = sum(d.severity is sev for d in diags)
        if n or sev is Severity.ERROR:
            parts.append(f"{n} {sev.value}{'s' * (n != 1)}")
    n_accepted = len(every) - len(diags)
    return ", ".join(parts) + (f", {n_accepted} accepted" if n_accepted else "")


def _value(v: Any) -> Any:
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None else v


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    try:
        float(str(v).replace(",", ""))
    except ValueError:
        return False
    return True


def _short(sha: str | None) -> str:
    return (sha or "")[:12] or "none"
