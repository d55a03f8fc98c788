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

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.console import Group as RichGroup
from rich.text import Text

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.report.summary import LEVEL_TITLES, Group, groups, summary_lines
from trialspec.results import CheckResult
from trialspec.triage import failed

INSTANCES = 3  # instances shown per cause without --details
INSTANCES_NOT_FAILING = 2  # for a cause of warnings or notes, which never fail the check
INSTANCE_LINES = 2  # lines an instance may take before its message's tail is cut
HINT_LINES = 3
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
    parts.append(Text(f"trialspec {m.trialspec_version}: {m.protocol_path}", style="bold"))  # wraps
    if m.datasets:
        data = Text("data: " + ", ".join(f"{d['name']} ({d['rows']:,} rows)" for d in m.datasets))
        data.no_wrap, data.overflow = True, "ellipsis"
        parts.append(data)
    parts.append(Text(""))
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
    return _Findings(result, found, details)


class _Findings:
    """The findings block. Group heads and hints take one line (shortened at the terminal's
    width); each instance wraps onto at most INSTANCE_LINES lines, so the name or path it
    starts with is never cut, and only a long message's tail is."""

    def __init__(self, result: CheckResult, found: list[Group], details: bool):
        self.result, self.found, self.details = result, found, details

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from trialspec.report.diagnostics import render

        width = options.max_width
        level = None
        for g in self.found:
            if g.level != level:
                level = g.level
                yield _line(f"\n{LEVEL_TITLES[level]} findings", "bold underline")
            yield _group_head(g)
            files = {d.span.path for d in g.findings if d.span is not None}
            file = next(iter(files)) if len(files) == 1 else None
            protocol = self.result.manifest.protocol_path
            if file is not None and file != protocol and not self.details:
                yield _wrapped("    in ", file, width, 3)  # said once, whole; instances give lines
            shown = g.findings if self.details else g.findings[:_instances(g)]
            for d in shown:
                if self.details:
                    block = render(d, self.result.sources)
                    block.pad_left(4)
                    block.rstrip()
                    yield block
                else:
                    yield _instance(d, file or protocol, width)
                reason = self.result.accepted.get(d)
                if reason is not None:
                    yield _line(f"      accepted: {reason}", "green")
            if len(shown) < g.count:
                yield _line(f"    ... and {g.count - len(shown)} more", "dim")
            hints = {d.hint for d in g.findings if d.hint}
            if len(hints) == 1 and not self.details:  # wrapped: a hint may name paths (verify's causes)
                yield _wrapped("    hint: ", _one_line(hints.pop()), width, HINT_LINES, "cyan")


def _line(text: str, style: str = "") -> Text:
    t = Text(text, style=style)
    t.no_wrap, t.overflow = True, "ellipsis"
    return t


def _group_head(g: Group) -> Text:
    t = Text("  ")
    t.append(f"{g.code}", style=STYLE[g.severity] if g.accepted < g.count else "green")
    t.append(f" {g.name}", style="bold")
    counts = f" ({g.count} {g.severity.value}{'s' * (g.count != 1)}"
    counts += f", {g.accepted} accepted)" if g.accepted else ")"
    t.append(counts + f": {g.cause}")
    t.no_wrap, t.overflow = True, "ellipsis"
    return t


def _instance(d: Diagnostic, known_file: str, width: int) -> Text:
    """One finding: where (line:col in ``known_file``, the protocol or the file its group names,
    else file:line), what; wrapped under itself, at most INSTANCE_LINES lines (a longer message
    ends in ...: --details shows it)."""
    where = ""
    if d.span is not None:
        where = (f"{d.span.line}:{d.span.col}" if d.span.path == known_file
                 else f"{d.span.path}:{d.span.line}")
    head = f"    {where:<8} " if where else "    "
    return _wrapped(head, _one_line(d.message), width, INSTANCE_LINES)


def _wrapped(head: str, message: str, width: int, max_lines: int, style: str = "") -> Text:
    """``head`` then ``message`` wrapped under itself, at most ``max_lines`` lines; a longer
    message loses its tail (ending in …), never its start."""
    room = max(max_lines * (width - len(head)) - 1, 20)
    if len(message) > room:
        message = message[:room - 1].rstrip() + "…"
    out = Text("\n").join(Text(head if i == 0 else " " * len(head), style="dim") + Text(part, style=style)
                          for i, part in enumerate(_wrap(message, max(width - len(head), 10))))
    out.no_wrap, out.overflow = True, "ellipsis"
    return out


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _one_line(text: str) -> str:
    from trialspec.report.check import plain

    return plain(" ".join(text.split()))


def _instances(g: Group) -> int:
    return INSTANCES if g.severity is Severity.ERROR else INSTANCES_NOT_FAILING
