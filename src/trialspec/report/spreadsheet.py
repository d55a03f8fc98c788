"""Findings for data managers: an XLSX workbook and a CSV file, as CDISC CORE gives. Computes nothing.

The workbook has four sheets: **Summary** (what was checked, the verdict and counts, the summary
lines), **Findings** (one row per finding with its structured fields, and whether it fails, is
accepted (why) or only warns), **Eligibility** (one row per subject: status and each criterion's
outcome) and **Rules** (every rule run with its status: each section's rules and each diagnostic
code found). ``--format csv`` is the Findings sheet alone. The counts and the verdict are
:mod:`trialspec.triage`'s, as in every other format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult

FINDING_COLUMNS = ("status", "code", "name", "severity", "section", "subject", "dataset", "column", "row",
                   "value", "claim", "analysis", "file", "line", "col", "message", "hint", "accepted")


def _status(result: CheckResult, d: Diagnostic) -> str:
    if d in result.accepted:
        return "accepted"
    return "fails" if d.severity is Severity.ERROR else d.severity.value


def finding_rows(result: CheckResult) -> Iterator[tuple[Any, ...]]:
    from trialspec.api_frames import finding_row

    data_paths = {str(d["path"]): str(d["name"]) for d in result.manifest.datasets if d.get("path")}
    for d, section in result.tagged_findings:
        row = finding_row(d, section, data_paths, result.accepted.get(d))
        row["status"] = _status(result, d)
        yield tuple(row.get(c) for c in FINDING_COLUMNS)


def render_csv(result: CheckResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    writer.writerows(finding_rows(result))
    return buffer.getvalue()


def summary_rows(result: CheckResult) -> list[tuple[Any, ...]]:
    from trialspec.report.summary import summary_lines
    from trialspec.triage import failed, tally

    m, t = result.manifest, tally(result)
    rows: list[tuple[Any, ...]] = [
        ("protocol", m.protocol_path), ("protocol sha256", m.protocol_sha256),
        ("trialspec", m.trialspec_version), ("verdict", "failed" if failed(result) else "passed"),
        ("errors", t.errors), ("warnings", t.warnings), ("notes", t.infos), ("accepted", t.accepted)]
    rows += [(f"dataset {d['name']}",
              f"{d.get('path') or ''} ({d['rows']} rows, sha256 {d.get('sha256') or ''})")
             for d in m.datasets]
    rows += [("summary", " ".join(line.split())) for line in summary_lines(result)]
    return rows


def eligibility_rows(result: CheckResult) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    s = result.section("eligibility")
    if s is None:
        return ("subject", "status"), []
    if s.subjects is None:  # a section rebuilt from a report: its lists
        subjects = s.summary["subjects"]
        criteria = list(subjects["outcomes"])
        rows = [(sid, status, *(subjects["outcomes"][c][i] for c in criteria))
                for i, (sid, status) in enumerate(zip(subjects["id"], subjects["status"], strict=True))]
        return ("subject", "status", *criteria), rows
    r = s.subjects  # the arrays: one row per subject, as the report lists them
    ids = [x if isinstance(x, str) else str(x) for x in r.ids.tolist()]
    columns_ = [ids, r.status.tolist(), *(r.outcome_words(j).tolist() for j in range(len(r.criteria)))]
    return ("subject", "status", *r.criteria), list(zip(*columns_, strict=True))


def rule_rows(result: CheckResult) -> list[tuple[Any, ...]]:
    """Every rule run: each section's cases (a result, not a failure, when not all pass) and each
    diagnostic code found, with the status the verdict gives it."""
    from trialspec.codes import CODES

    rows: list[tuple[Any, ...]] = []
    for s in result.sections:
        rows += [(s.name, c.name, "passed" if c.passed else "result", c.message) for c in s.cases]
    by_code: dict[str, list[Diagnostic]] = {}
    for d in result.all_findings:
        by_code.setdefault(d.code, []).append(d)
    for code, ds in sorted(by_code.items()):
        statuses = {_status(result, d) for d in ds}
        status = next(s for s in ("fails", "warning", "info", "accepted") if s in statuses)
        rows.append(("findings", f"{code} {CODES[code].name}", status,
                     f"{len(ds)} finding{'s' * (len(ds) != 1)}"))
    return rows


def render_xlsx(result: CheckResult) -> bytes:
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheets = [("Summary", ("item", "value"), summary_rows(result)),
              ("Findings", FINDING_COLUMNS, list(finding_rows(result))),
              ("Eligibility", *eligibility_rows(result)),
              ("Rules", ("section", "rule", "status", "detail"), rule_rows(result))]
    wb.remove(wb.active)
    for title, columns, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = ws.dimensions
    stamp = dt.datetime(2000, 1, 1)  # a fixed time: the same result gives the same bytes
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return _fixed_times(buffer.getvalue())


FIXED = (2000, 1, 1, 0, 0, 0)


def _fixed_times(xlsx: bytes) -> bytes:
    """The workbook with no clock in it: openpyxl stamps the save time on the document's
    ``modified`` property and on every zip entry, so two renders a second apart differed."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED)
            fixed.compress_type, fixed.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
            zout.writestr(fixed, data)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A value a cell holds as itself: numbers and text; text that a spreadsheet would run as a
    formula (=, +, -, @ first) is prefixed with a quote mark; control characters become U+FFFD."""
    if value is None or isinstance(value, bool | int | float):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))  # control characters XML cannot carry
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
