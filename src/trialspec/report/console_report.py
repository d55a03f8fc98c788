"""The console report of a check: summary first, findings grouped by cause, tables on request.

Reads top to bottom as a person would want it:

1. the summary (:mod:`trialspec.report.summary`): verdict, claims tally, the top causes in
   plain words, one line per section;
2. the findings grouped by root cause (one code, its cause, counts, the first few
   instances), the protocol's and the paper's before the data's and the subjects';
3. with ``--details`` (``-v``): every finding in full (source line and caret, hint) and every
   section's tables;
4. the same summary again, so the last lines of a long log say how it went.

Widths follow the terminal; an instance that does not fit is shortened at its end (the JSON
report and ``--details`` keep the whole message), never in a name that tells rows apart.
"""

from __future__ import annotations

from rich.console import Group as RichGroup
from rich.console import RenderableType
from rich.text import Text

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.report.summary import LEVEL_TITLES, Group, groups, summary_lines
from trialspec.results import CheckResult
from trialspec.triage import failed

INSTANCES = 3  # instances shown per cause without --details
STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def summary_block(result: CheckResult, top: int = 3) -> Text:
    lines = summary_lines(result, top)
    out = Text()
    out.append(lines[0] + ("\n" if len(lines) > 1 else ""),
               style="bold red" if failed(result) else "bold green")
    out.append("\n".join(lines[1:]))
    out.no_wrap = True
    out.overflow = "ellipsis"
    return out


def console_report(result: CheckResult, details: bool = False) -> RenderableType:
    from trialspec.report.check import rich_table

    m = result.manifest
    parts: list[RenderableType] = []
    head = Text(f"trialspec {m.trialspec_version}: {m.protocol_path}\n", style="bold")
    if m.datasets:
        head.append("data: " + ", ".join(f"{d['name']} ({d['rows']:,} rows)" for d in m.datasets) + "\n")
    head.no_wrap, head.overflow = True, "ellipsis"
    parts.append(head)
    parts.append(summary_block(result))
    found = groups(result)
    if found:
        parts.append(_findings(result, found, details))
    if details:
        for section in result.sections:
            parts.append(Text(f"\n{section.title}\n", style="bold underline"))
            parts.extend(rich_table(t) for t in section.tables)
    elif result.sections:
        parts.append(Text("Tables of every section: --details (-v).  Every finding: --format json.",
                          style="dim"))
    parts.append(Text(""))
    parts.append(summary_block(result))
    return RichGroup(*parts)


def _findings(result: CheckResult, found: list[Group], details: bool) -> RenderableType:
    from trialspec.report.diagnostics import render

    out = Text()
    if not details:  # one line per instance, shortened at its end to the terminal's width
        out.no_wrap, out.overflow = True, "ellipsis"
    level = None
    for g in found:
        if g.level != level:
            level = g.level
            out.append(f"\n{LEVEL_TITLES[level]} findings\n", style="bold underline")
        out.append_text(_group_head(g))
        shown = g.findings if details else g.findings[:INSTANCES]
        for d in shown:
            if details:
                block = render(d, result.sources)
                block.pad_left(4)
                out.append_text(block)
            else:
                out.append_text(_instance(d, result.manifest.protocol_path))
            reason = result.accepted.get(d)
            if reason is not None:
                out.append(f"      accepted: {reason}\n", style="green")
        if len(shown) < g.count:
            out.append(f"    ... and {g.count - len(shown)} more\n", style="dim")
        hints = {d.hint for d in g.findings if d.hint}
        if len(hints) == 1 and not details:
            out.append(f"    hint: {hints.pop()}\n", style="cyan")
    return out


def _group_head(g: Group) -> Text:
    t = Text("  ")
    t.append(f"{g.code}", style=STYLE[g.severity] if g.accepted < g.count else "green")
    t.append(f" {g.name}", style="bold")
    counts = f" ({g.count} {g.severity.value}{'s' * (g.count != 1)}"
    counts += f", {g.accepted} accepted)" if g.accepted else ")"
    t.append(counts + f": {g.cause}\n")
    return t


def _instance(d: Diagnostic, protocol_path: str) -> Text:
    """One finding on one line: where (line:col in the protocol, else file:line), what."""
    where = ""
    if d.span is not None:
        where = (f"{d.span.line}:{d.span.col}" if d.span.path == protocol_path
                 else f"{d.span.path}:{d.span.line}")
    line = Text(f"    {where:<8} " if where else "    ", style="dim")
    line.append(_one_line(d.message))
    line.append("\n")
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


def _one_line(text: str) -> str:
    from trialspec.report.check import plain

    return plain(" ".join(text.split()))
