"""The one place diagnostics are formatted: ``file:line:col``, the source line, a caret, the hint.

``to_text`` builds a rich ``Text``: a console prints it in colour on a terminal and plain
when piped. ``to_json`` gives the machine-readable form with stable keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.source import SourceFile, Span

if TYPE_CHECKING:  # (rich is imported by the text renderers only: ``to_json`` needs none of it)
    from rich.text import Text

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def _snippet(out: Text, span: Span, source: SourceFile | None) -> None:
    if source is None:
        return
    line = source.line(span.line)
    if not line and span.line > 1 and not source.text:
        return
    gutter = len(str(span.end_line if span.end_line > span.line else span.line))
    pad = " " * gutter
    out.append(f"{pad} |\n", style="blue")
    out.append(f"{span.line:>{gutter}} | ", style="blue")
    out.append(line.expandtabs(1) + "\n")
    start = max(span.col - 1, 0)
    # a span over several lines is underlined to the end of its first line
    width = max(span.end_col - span.col if span.end_line == span.line else len(line) - start, 1)
    out.append(f"{pad} | ", style="blue")
    out.append(" " * start + "^" * width + "\n", style="bold red")


def render(diag: Diagnostic, sources: Mapping[str, SourceFile]) -> Text:
    """One diagnostic, as a block of (styled) text."""
    from rich.text import Text

    out = Text()
    if diag.span is not None:
        out.append(f"{diag.span}: ", style="bold")
    out.append(f"{diag.severity.value}[{diag.code}]", style=STYLE[diag.severity])
    out.append(f" {diag.name}: ", style="bold")
    out.append(diag.message + "\n")
    if diag.span is not None:
        _snippet(out, diag.span, sources.get(diag.span.path))
    for label, span in diag.related:
        out.append(f"  note: {label} at {span}\n", style="blue")
    if diag.hint:
        out.append("  = hint: ", style="bold cyan")
        out.append(diag.hint + "\n")
    return out


def render_all(diags: Iterable[Diagnostic], sources: Mapping[str, SourceFile]) -> Text:
    from rich.text import Text

    out = Text()
    counts = {s: 0 for s in Severity}
    for d in diags:
        out.append_text(render(d, sources))
        out.append("\n")
        counts[d.severity] += 1
    summary = ", ".join(f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    out.append(summary + "\n" if summary else "no problems found\n",
               style="bold red" if counts[Severity.ERROR] else "bold green")
    return out


def span_json(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"path": span.path, "line": span.line, "column": span.col,
            "end_line": span.end_line, "end_column": span.end_col}


def to_json(diag: Diagnostic) -> dict[str, Any]:
    return {
        "code": diag.code,
        "name": diag.name,
        "severity": diag.severity.value,
        "message": diag.message,
        "location": span_json(diag.span),
        "hint": diag.hint,
        "related": [{"message": m, "location": span_json(s)} for m, s in diag.related],
    }
