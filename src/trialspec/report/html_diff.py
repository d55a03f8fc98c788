"""`trialspec diff --format html`: an amendment in words and its impact, as one self-contained
page in the HTML report's style (inline CSS, no script, nothing external). Computes nothing."""

from __future__ import annotations

from typing import Any

from trialspec.diff.compare import ProtocolDiff
from trialspec.diff.impact import Impact
from trialspec.diff.render import SHOW_RESULTS, _by_section, _count, _criteria, _results, moved_text
from trialspec.report.html import _t
from trialspec.report.html import _table as _html_table
from trialspec.report.html_style import CSS
from trialspec.results import Table

KIND = {"added": "added", "removed": "removed", "changed": "changed", "equivalent": "equivalent rewrite"}


def render_diff(diff: ProtocolDiff, impact: Impact | None) -> str:
    title = f"{diff.old_path} → {diff.new_path}"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>trialspec diff: {_t(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
           f"<h1>Protocol amendment: <code>{_t(diff.old_path)}</code> → "
           f"<code>{_t(diff.new_path)}</code></h1>",
           f"<p><b>{_t(_count(diff))}</b></p>"]
    for section, changes in _by_section(diff):
        out.append(f"<h2>{_t(section.capitalize())}</h2><ul>")
        out += [f"<li>{'' if c.kind == 'changed' else f'<i>{_t(KIND[c.kind])}</i> '}<b>{_t(c.item)}</b>: "
                f"{_t('; '.join(c.details))}</li>" for c in changes]
        out.append("</ul>")
    if impact is not None:
        out.append(_impact(impact))
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _impact(impact: Impact) -> str:
    out = [f"<h2>Impact on <code>{_t(impact.data_dir)}</code></h2>"]
    out += [f"<p><code>{_t(d.code)}</code> {_t(d.message)}</p>" for d in impact.diagnostics]
    if not impact.computed:
        return "\n".join(out)
    out.append(_table("Eligibility", ("status", "old", "new", "change"),
                      [(s, a, b, f"{b - a:+d}" if a != b else "") for s, (a, b) in impact.counts.items()]))
    if impact.subjects:
        out.append(_table("Subjects whose status moves", ("subject", "old status", "new status",
                                                          "criteria that moved"),
                          [(s.subject, s.old, s.new, ", ".join(f"{c}: {a} → {b}" for c, a, b in s.criteria))
                           for s in impact.subjects]))
    else:
        out.append("<p>No subject changes eligibility status.</p>")
    if impact.criteria:
        out.append(_table("Criteria", ("criterion", "counts"), _criteria(impact)))
    for section, moved in _results(impact).items():
        rows = [(m.key, moved_text(m)) for m in moved[:SHOW_RESULTS]]
        out.append(_table(f"{section}: {len(moved)} result{'s' if len(moved) != 1 else ''} moved",
                          ("result", "old -> new"), rows))
        if len(moved) > SHOW_RESULTS:
            out.append(f'<p class="note">... and {len(moved) - SHOW_RESULTS} more '
                       "(--format json lists all).</p>")
    return "\n".join(out)


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    """As the check report draws a table (numbers right-aligned, at most html.MAX_ROWS rows)."""
    return _html_table(Table(title, columns, tuple(rows)))
