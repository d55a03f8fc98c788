"""A protocol diff (and its impact) as console text, JSON and Markdown; computes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.text import Text

from trialspec.diff.compare import SECTIONS, Change, ProtocolDiff
from trialspec.diff.impact import Impact, Moved

MARKS = {"added": "+", "removed": "-", "changed": "~", "equivalent": "="}
STYLES = {"added": "green", "removed": "red", "changed": "yellow", "equivalent": "dim"}
SHOW_RESULTS = 40  # result lines shown per section; JSON has them all


def _count(diff: ProtocolDiff) -> str:
    n = sum(c.kind != "equivalent" for c in diff.changes)
    eq = len(diff.changes) - n
    text = "no semantic change" if not n else f"{n} change{'s' if n != 1 else ''}"
    return text + (f" ({eq} equivalent rewrite{'s' if eq != 1 else ''})" if eq else "")


def _by_section(diff: ProtocolDiff) -> Iterator[tuple[str, list[Change]]]:
    for section in SECTIONS:
        changes = [c for c in diff.changes if c.section == section]
        if changes:
            yield section, changes


def _number(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def moved_text(m: Moved) -> str:
    delta = m.delta
    shown = f" ({'+' if delta > 0 else ''}{_number(delta)})" if delta else ""
    return f"{_number(m.old)} -> {_number(m.new)}{shown}"


def counts_text(impact: Impact) -> str:
    parts = []
    for status, (a, b) in impact.counts.items():
        parts.append(f"{status} {a}" if a == b else f"{status} {moved_text(Moved('', '', a, b))}")
    return ", ".join(parts)


def _criteria(impact: Impact) -> list[tuple[str, str]]:
    """Per criterion: (id, 'pass 20 -> 21 (+1); fail 1 -> 0 (-1)')."""
    grouped: dict[str, list[str]] = {}
    for m in impact.criteria:
        cid, _, what = m.key.partition(".")
        grouped.setdefault(cid, []).append(f"{what} {moved_text(m)}" if what else f"{m.old} -> {m.new}")
    return [(cid, "; ".join(parts)) for cid, parts in grouped.items()]


def _results(impact: Impact) -> dict[str, list[Moved]]:
    grouped: dict[str, list[Moved]] = {}
    for m in impact.results:
        grouped.setdefault(m.section, []).append(m)
    return grouped


def _subject_text(s: Any) -> str:
    why = ", ".join(f"{c} {a} -> {b}" for c, a, b in s.criteria)
    status = s.old if s.old == s.new else f"{s.old} -> {s.new}"
    return f"{s.subject}: {status}" + (f" ({why})" if why else "")


# --- console -----------------------------------------------------------------------------------


def console(diff: ProtocolDiff, impact: Impact | None) -> Text:
    out = Text()
    out.append(f"trialspec diff {diff.old_path} -> {diff.new_path}\n", style="bold")
    out.append(_count(diff) + "\n")
    for section, changes in _by_section(diff):
        out.append(f"\n{section.capitalize()}\n", style="bold")
        for c in changes:
            out.append(f"  {MARKS[c.kind]} ", style=STYLES[c.kind])
            out.append(c.text + "\n")
    if impact is not None:
        out.append_text(console_impact(impact))
    return out


def console_impact(impact: Impact) -> Text:
    out = Text()
    out.append(f"\nImpact on {impact.data_dir}\n", style="bold")
    for d in impact.diagnostics:
        out.append(f"  {d.severity.value}[{d.code}] {d.message}\n", style="red")
    if not impact.computed:
        return out
    a, b = impact.screened
    out.append(f"  screened {a}" + (f" -> {b}" if a != b else "") + "\n")
    out.append(f"  {counts_text(impact)}\n")
    out.append(f"  subjects changing status: {len(impact.subjects)}\n")
    for s in impact.subjects:
        out.append(f"    {_subject_text(s)}\n")
    if impact.reasons:
        out.append(f"  criteria outcomes changed, status unchanged: {len(impact.reasons)}\n")
        for s in impact.reasons:
            out.append(f"    {_subject_text(s)}\n")
    if impact.criteria:
        out.append("  criteria:\n")
        for cid, text in _criteria(impact):
            out.append(f"    {cid}: {text}\n")
    for section, moved in _results(impact).items():
        out.append(f"  {section}: {len(moved)} result{'s' if len(moved) != 1 else ''} moved\n")
        for m in moved[:SHOW_RESULTS]:
            out.append(f"    {m.key}: {moved_text(m)}\n")
        if len(moved) > SHOW_RESULTS:
            out.append(f"    ... and {len(moved) - SHOW_RESULTS} more (--format json lists them all)\n")
    still = [s for s in impact.compared if s not in _results(impact)]
    if still:
        out.append(f"  {', '.join(still)}: no result moved\n")
    return out


# --- JSON ----------------------------------------------------------------------------------------


def to_json(diff: ProtocolDiff, impact: Impact | None) -> dict[str, Any]:
    from trialspec.report.diagnostics import span_json
    from trialspec.report.diagnostics import to_json as diag_json

    return {
        "old": diff.old_path,
        "new": diff.new_path,
        "identical": diff.identical,
        "changes": [{"section": c.section, "item": c.item, "kind": c.kind, "details": list(c.details),
                     "text": c.text, "old_location": span_json(c.old), "new_location": span_json(c.new)}
                    for c in diff.changes],
        "impact": None if impact is None else impact_json(impact),
        "diagnostics": [diag_json(d) for d in diff.diagnostics],
    }


def _moved_json(m: Moved) -> dict[str, Any]:
    return {"section": m.section, "key": m.key, "old": m.old, "new": m.new, "delta": m.delta}


def _subject_json(s: Any) -> dict[str, Any]:
    return {"subject": s.subject, "old": s.old, "new": s.new,
            "criteria": [{"criterion": c, "old": a, "new": b} for c, a, b in s.criteria]}


def impact_json(impact: Impact) -> dict[str, Any]:
    from trialspec.report.diagnostics import to_json as diag_json

    return {
        "data": impact.data_dir,
        "computed": impact.computed,
        "screened": {"old": impact.screened[0], "new": impact.screened[1]},
        "counts": {s: {"old": a, "new": b, "delta": b - a} for s, (a, b) in impact.counts.items()},
        "subjects": [_subject_json(s) for s in impact.subjects],
        "unchanged_status": [_subject_json(s) for s in impact.reasons],
        "criteria": [_moved_json(m) for m in impact.criteria],
        "results": [_moved_json(m) for m in impact.results],
        "sections_compared": impact.compared,
        "diagnostics": [diag_json(d) for d in impact.diagnostics],
    }


# --- Markdown --------------------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(diff: ProtocolDiff, impact: Impact | None) -> str:
    """A pull-request comment: the changes in words, then the impact tables."""
    out = [f"### Protocol amendment: `{diff.old_path}` → `{diff.new_path}`\n", f"**{_count(diff)}**\n"]
    for section, changes in _by_section(diff):
        out.append(f"#### {section.capitalize()}\n")
        out += [f"- {'' if c.kind == 'changed' else f'*{c.kind}* '}**{c.item}**: "
                f"{'; '.join(c.details)}" for c in changes]
        out.append("")
    if impact is not None:
        out.append(markdown_impact(impact))
    return "\n".join(out).rstrip() + "\n"


def markdown_impact(impact: Impact) -> str:
    out = [f"#### Impact on `{impact.data_dir}`\n"]
    out += [f"> **{d.code}** {_cell(d.message)}\n" for d in impact.diagnostics]
    if not impact.computed:
        return "\n".join(out)
    out += ["| status | old | new | change |", "|---|---:|---:|---:|"]
    for status, (a, b) in impact.counts.items():
        out.append(f"| {status} | {a} | {b} | {b - a:+d} |" if a != b else f"| {status} | {a} | {b} | |")
    out.append("")
    if impact.subjects:
        out += ["| subject | old status | new status | criteria that moved |", "|---|---|---|---|"]
        out += [f"| {s.subject} | {s.old} | {s.new} | "
                f"{_cell(', '.join(f'{c}: {a} → {b}' for c, a, b in s.criteria))} |" for s in impact.subjects]
        out.append("")
    else:
        out.append("No subject changes eligibility status.\n")
    if impact.reasons:
        out.append("Criteria outcomes changed without a status change: "
                   + "; ".join(_cell(_subject_text(s)) for s in impact.reasons) + "\n")
    if impact.criteria:
        out += ["| criterion | counts |", "|---|---|"]
        out += [f"| {cid} | {_cell(text)} |" for cid, text in _criteria(impact)]
        out.append("")
    for section, moved in _results(impact).items():
        out += [f"<details><summary>{section}: {len(moved)} result{'s' if len(moved) != 1 else ''} moved"
                "</summary>\n", "| result | old | new | change |", "|---|---|---|---:|"]
        out += [f"| {_cell(m.key)} | {_cell(_number(m.old))} | {_cell(_number(m.new))} | "
                f"{'' if not m.delta else ('+' if m.delta > 0 else '') + _number(m.delta)} |"
                for m in moved[:SHOW_RESULTS]]
        if len(moved) > SHOW_RESULTS:
            out.append(f"\n... and {len(moved) - SHOW_RESULTS} more.")
        out.append("\n</details>\n")
    still = [s for s in impact.compared if s not in _results(impact)]
    if still:
        out.append(f"No result moved in: {', '.join(still)}.\n")
    return "\n".join(out)
