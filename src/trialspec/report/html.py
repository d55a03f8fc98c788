"""The HTML report: one self-contained file (inline CSS, figures as inline SVG, no script, no
external reference) that opens offline and prints. Computes nothing: every number comes from
the result objects, as in the JSON report.

Layout: the summary first (the tally, claims, top root causes in words and one line per
section, counted as every report counts them in :mod:`trialspec.report.summary`; the
manifest), the figures, then one part per check section: its tables and its findings
grouped by root cause (diagnostic code) with the protocol line quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult, Section, Table

MAX_ROWS = 500  # rows shown per table; the JSON report has them all
PER_CAUSE = 25  # findings shown in full per root cause
TOP_CAUSES = 5
FIGURE_ORDER = ("consort", "km", "forest", "swimmer", "dosing", "waterfall")
FIGURE_NAMES = {"consort": "CONSORT flow", "km": "Kaplan-Meier curves", "forest": "Forest plots",
                "swimmer": "Swimmer plot", "dosing": "Dosing heat map", "waterfall": "Waterfall plot"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER = re.compile(r"^[-+]?\d[\d,]*(\.\d+)?%?$")  # 21, 1,234, 0.047, 100.0%
_NUM = ' class="num"'


def render_check(result: CheckResult) -> str:
    """The whole report as one HTML5 document."""
    from trialspec.report.check import failed
    from trialspec.report.html_style import CSS

    m = result.manifest
    verdict = "failed" if failed(result) else "passed"
    figures = _figures(result)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>trialspec: {_t(m.protocol_path)} ({verdict})</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f'<h1>trialspec check: <code>{_t(m.protocol_path)}</code> '
        f'<span class="verdict {verdict}">{verdict}</span></h1>',
        _nav(result),
        _summary(result),
        figures,
    ]
    if result.diagnostics:
        parts += ['<section id="protocol-and-data">', "<h2>Protocol and data</h2>",
                  _findings(result.diagnostics, result.sources), "</section>"]
    parts += [_section(s, result.sources) for s in result.sections]
    parts += [f"<footer>Written by trialspec {_t(m.trialspec_version)}. Self-contained: no script, "
              "no external resource. The JSON report (<code>--format json</code>) holds every "
              "number shown here.</footer>", "</body>", "</html>", ""]
    return "\n".join(parts)


# -- summary ------------------------------------------------------------------------------------


def _nav(result: CheckResult) -> str:
    links = [("summary", "Summary"), ("figures", "Figures")]
    if result.diagnostics:
        links.append(("protocol-and-data", "Protocol and data"))
    links += [(f"section-{s.name}", s.title) for s in result.sections]
    return "<nav>" + "".join(f'<a href="#{_t(i)}">{_t(t)}</a>' for i, t in links) + "</nav>"


def _summary(result: CheckResult) -> str:
    from trialspec.report.summary import section_lines
    from trialspec.triage import tally

    m = result.manifest
    out = ['<section id="summary">', "<h2>Summary</h2>", '<div class="lines">',
           f"<p><b>{_t(tally(result).words().capitalize())}.</b></p>"]
    out += [f"<p>{_t(line)}.</p>" for line in section_lines(result)]  # the console's lines
    out.append("</div>")
    out.append(_tally(result))
    out.append(_causes(result))
    rows = [("trialspec", m.trialspec_version), ("protocol", m.protocol_path),
            ("protocol sha256", m.protocol_sha256)]
    rows += [(f"data: {d['name']}", f"{d['path']} ({d['rows']:,} rows) sha256 {d.get('sha256') or 'none'}")
             for d in m.datasets]
    out.append(_table(Table("Manifest", ("item", "value"), tuple(rows))))
    out.append("</section>")
    return "\n".join(out)


def _tally(result: CheckResult) -> str:
    claims = result.section("claims")
    if claims is None:
        return '<p class="absent">Claims: the protocol states no reported numbers.</p>'
    c = claims.summary["counts"]
    checked = claims.summary["claims"] - c.get("not checked", 0)
    cells = [("checked", checked), ("reproduced", c.get("reproduced", 0) + c.get("consistent", 0)),
             ("not reproduced", c.get("not reproduced", 0)), ("inconsistent", c.get("inconsistent", 0))]
    return ('<table class="tally"><caption>Reported claims</caption><tr>'
            + "".join(f'<td><span class="n">{n}</span> {_t(w)}</td>' for w, n in cells)
            + "</tr></table>")


def _causes(result: CheckResult) -> str:
    """The top root causes, counted and grouped as every other report does
    (:func:`trialspec.report.summary.groups`): failing errors first, accepted findings apart."""
    from trialspec.report.summary import groups

    found = groups(result)
    if not found:
        return "<p>No findings.</p>"
    ranked = sorted(found, key=lambda g: (not (g.severity is Severity.ERROR and g.accepted < g.count),
                                          -(g.count - g.accepted), g.code))
    items = []
    for g in ranked[:TOP_CAUSES]:
        sev = g.severity.value
        accepted = f" ({g.accepted} accepted)" if g.accepted else ""
        items.append(f'<li><span class="sev {sev}">{sev}</span> <b>{g.count - g.accepted}</b> &times; '
                     f"<code>{_t(g.code)}</code> {_t(g.name)}{_t(accepted)}: {_t(g.cause)}.</li>")
    more = len(ranked) - TOP_CAUSES
    tail = f"<p class=\"note\">... and {more} more kinds of finding below.</p>" if more > 0 else ""
    return "<h3>Top root causes</h3><ol>" + "".join(items) + "</ol>" + tail


# -- figures ------------------------------------------------------------------------------------


def _figures(result: CheckResult) -> str:
    from trialspec.figures import module, specs
    from trialspec.figures._render import svg_text

    out = ['<section id="figures">', "<h2>Figures</h2>"]
    if not any(s.name in ("eligibility", "analyses") for s in result.sections):  # verify: the lock only
        out += ['<p class="absent">No figures: this report holds no check sections to draw from '
                "(<code>trialspec check --format html</code> draws them).</p>", "</section>"]
        return "\n".join(out)
    absent = []
    for name in FIGURE_ORDER:
        found, why = specs(result, name)
        if not found:
            absent.append(f"<li>{_t(FIGURE_NAMES[name])}: not drawn: {_t(why or '')}</li>")
        for spec in found:
            try:
                svg = svg_text(module(name).draw(spec))
            except Exception as err:  # a figure that cannot be drawn must not lose the report
                absent.append(f"<li>{_t(spec.title)}: could not be drawn: {_t(type(err).__name__)}: "
                              f"{_t(err)}</li>")
                continue
            out.append(f'<figure id="figure-{_t(spec.key)}" data-figure="{_t(name)}">'
                       f"{svg}<figcaption><b>{_t(spec.title)}.</b> {_t(spec.caption)}</figcaption></figure>")
    if absent:
        out.append('<ul class="absent">' + "".join(absent) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


# -- sections -----------------------------------------------------------------------------------


def _section(s: Section, sources: dict[str, Any]) -> str:
    out = [f'<section id="section-{_t(s.name)}">', f"<h2>{_t(s.title)}</h2>"]
    # small tables side by side (they wrap on a narrow screen), each with its note
    out += ['<div class="tables">', *(f"<div>{_table(t)}</div>" for t in s.tables), "</div>"]
    if not s.tables:
        out.append('<p class="absent">No tables for this section.</p>')
    if s.findings:
        out.append(f"<h3>Findings ({len(s.findings)})</h3>")
        out.append(_findings(s.findings, sources))
    out.append("</section>")
    return "\n".join(out)


def _findings(findings: Iterable[Diagnostic], sources: dict[str, Any]) -> str:
    """Findings grouped by root cause (their code), errors first, each with the line quoted."""
    from trialspec.codes import CODES

    groups = _by_code(findings)
    ranked = sorted(groups.items(), key=lambda kv: (kv[1][0].severity is not Severity.ERROR, kv[0]))
    out = []
    for code, ds in ranked:
        sev = ds[0].severity.value
        known = CODES.get(code)
        head = (f'<div class="cause {sev}"><div><span class="sev {sev}">{sev}</span> '
                f"<code>{_t(code)}</code> <b>{_t(ds[0].name)}</b>: {len(ds)} finding{'s' * (len(ds) != 1)}"
                + (f" &mdash; {_t(known.summary)}" if known else "") + "</div>")
        body = [_finding(d, sources) for d in ds[:PER_CAUSE]]
        if len(ds) > PER_CAUSE:
            body.append(f'<p class="note">... and {len(ds) - PER_CAUSE} more '
                        "(the JSON report lists all).</p>")
        out.append(head + "".join(body) + "</div>")
    return "\n".join(out)


def _finding(d: Diagnostic, sources: dict[str, Any]) -> str:
    where = quote = ""
    if d.span is not None:
        where = f'<div class="where">{_t(str(d.span))}</div>'
        source = sources.get(d.span.path)
        line = source.line(d.span.line) if source is not None else ""
        if line.strip():
            quote = f'<pre class="quote">{d.span.line:>5} | {_t(line)}</pre>'
    hint = f'<div class="hint">hint: {_t(d.hint)}</div>' if d.hint else ""
    return f'<div class="finding">{_t(d.message)}{where}{quote}{hint}</div>'


def _by_code(findings: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    groups: dict[str, list[Diagnostic]] = {}
    for d in findings:
        groups.setdefault(d.code, []).append(d)
    return groups


def _table(t: Table) -> str:
    rows = t.rows[:MAX_ROWS]
    # a column is right-aligned when every value it has is a number (21, 0.047, 100.0%)
    numeric = [bool(filled) and all(_is_number(v) for v in filled)
               for filled in ([r[i] for r in rows if i < len(r) and r[i] not in (None, "")]
                              for i in range(len(t.columns)))]
    head = "".join(f'<th{_NUM if n else ""}>{_t(c)}</th>' for c, n in zip(t.columns, numeric, strict=True))
    body = "".join("<tr>" + "".join(_cell(v, n) for v, n in zip(row, numeric, strict=False)) + "</tr>"
                   for row in rows)
    notes = [t.note] if t.note else []
    if len(t.rows) > MAX_ROWS:
        notes.append(f"first {MAX_ROWS:,} of {len(t.rows):,} rows; the JSON report lists all")
    note = "".join(f'<p class="note">{_t(n)}</p>' for n in notes)
    if not t.rows:
        return f"<p><b>{_t(t.title)}</b>: none</p>{note}"
    return (f"<table><caption>{_t(t.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{note}")


def _cell(v: Any, numeric: bool) -> str:
    text = str(v).lower() if isinstance(v, bool) else v
    return f'<td{_NUM if numeric else ""}>{_t(text)}</td>'


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and (isinstance(v, int | float) or bool(_NUMBER.match(str(v))))


def _t(value: Any) -> str:
    """Text for HTML: escaped, control characters shown as U+FFFD."""
    return escape(_CONTROL.sub("\ufffd", "" if value is None else str(value)), quote=True)
