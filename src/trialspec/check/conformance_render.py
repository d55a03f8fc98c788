"""The one place conformance findings (TS4xx) are worded: a failure table rendered as diagnostics.

A backend runs the declared checks (:mod:`trialspec.check.conformance_plan`) and returns a
failure table; this module turns each check's failing rows into diagnostics: the first
``SHOW`` rows one by one (the cell, its subject, its file line), then one diagnostic counting
the rest. Every message, hint and severity is here, looked up by the check's kind.

Plain Python on the few rows shown: no pandas, no numpy (``check/`` is imported by ``lint``).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from trialspec.check.conformance_plan import FAILURE_COLUMNS, SHOW, ConformanceCheck
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.source import Span

SHOW_CODES = 40  # test codes listed in a TS420 hint

Words = tuple[str, str, Severity]  # (what the cell is, the hint, the severity)


def _type(c: ConformanceCheck) -> Words:
    if c.param("type") == "boolean":
        return "not true/false:", "Write true or false (or yes/no, 1/0).", Severity.ERROR
    return "not a number:", "Correct the value or leave the cell empty.", Severity.ERROR


# kind -> the words of a failing cell (the message reads "<dataset>.<column>: <what> <value!r> for <who>")
CELL_WORDS: Mapping[str, Callable[[ConformanceCheck], Words]] = {
    "type": _type,
    "finite": lambda c: ("not a finite number:", "Leave the cell empty when there is no measurement.",
                         Severity.ERROR),
    "unit": lambda c: (f"cannot convert to {c.param('unit')} from unit",
                       "Correct the unit; docs/units.md lists the known ones.", Severity.ERROR),
    "allowed": lambda c: ("undeclared level", f"Declared levels: {', '.join(c.param('levels', ()))}.",
                          Severity.ERROR),
    "date": lambda c: ("not an ISO 8601 date:", "Write YYYY-MM-DD (or YYYY-MM, YYYY when partly unknown).",
                       Severity.ERROR),
    "key_present": lambda c: (f"no {c.noun} key:", "Fill in the key, or remove the row.", Severity.ERROR),
    "key_unique": lambda c: ("duplicate key",
                             f"Remove the duplicate row; a keyed table has one row per {c.noun}.",
                             Severity.ERROR),
    "subject_known": lambda c: ("no such subject", "Add the subject to the population table or remove "
                                "the rows.", Severity.WARNING),
    "repeated": lambda c: (f"repeated {c.param('test')} result", "The latest result is used.",
                           Severity.WARNING),
    "range": lambda c: (f"upper limit of normal ({c.param('high')}) below the lower limit "
                        f"({c.param('low')}):",
                        f"Check {c.param('low')} and {c.param('high')}; the limits are read as they are.",
                        Severity.WARNING),
}

# kind -> how a failing cell's value is shown: the value itself unless said here
def _or_missing(v: Any) -> Any:
    """A cell, or ``<missing>`` where it is empty (None from SQL, NaN from pandas: said alike)."""
    return "<missing>" if v is None or (isinstance(v, float) and v != v) else v


SHOWN: Mapping[str, Callable[[Any], Any]] = {
    "key_present": lambda v: "",  # the key cell is empty
    "unit": _or_missing,  # the unit cell
    "repeated": _or_missing,  # a repeated result whose value is missing
    "subject_known": _or_missing,  # a row without a subject
}


def render(table: Mapping[str, Any], checks: Iterable[ConformanceCheck]) -> list[Diagnostic]:
    """The diagnostics of a failure table (any mapping of :data:`FAILURE_COLUMNS` to equal-length
    sequences, a pandas DataFrame included), check by check in the table's order."""
    by_id = {c.id: c for c in checks}
    cols = {name: list(table[name]) for name in FAILURE_COLUMNS}
    groups: dict[str, list[int]] = {}
    for i, check_id in enumerate(cols["check"]):
        groups.setdefault(str(check_id), []).append(i)
    out: list[Diagnostic] = []
    for check_id, rows in groups.items():
        check = by_id[check_id]
        table_level = DATASET_WORDS.get(check.kind)
        if table_level is not None:
            out.append(table_level(check, _plain(cols["value"][rows[0]])))
        else:
            out += _cells(check, cols, rows)
    return out


def _cells(check: ConformanceCheck, cols: Mapping[str, Sequence[Any]], rows: list[int]) -> list[Diagnostic]:
    what, hint, severity = CELL_WORDS[check.kind](check)
    shown = SHOWN.get(check.kind, lambda v: v)
    related = (("declared here", check.span),) if check.span is not None else ()
    column = check.column
    out = []
    for i in rows[:SHOW]:
        value = shown(_plain(cols["value"][i]))
        subject = _plain(cols["subject"][i])
        row = int(cols["row"][i])
        who = f"row {row}" if _blank(subject) else f"{check.noun} {subject!s} (row {row})"
        fields: tuple[tuple[str, object], ...] = ()
        if check.noun == "subject" and not _blank(subject):
            fields = (("subject", subject),)
        about = str(value) if isinstance(value, float) and not math.isfinite(value) else value
        out.append(Diagnostic(check.code, f"{check.dataset}.{column}: {what} {value!r} for {who}",
                              _span(cols, i), hint, severity, related,
                              (*fields, ("dataset", check.dataset), ("column", column),
                               ("row", int(cols["line"][i])), ("value", about))))
    count = int(cols["count"][rows[0]])
    if count > SHOW:
        out.append(Diagnostic(check.code, f"{check.dataset}.{column}: {count - SHOW:,} more rows like these "
                              f"({count:,} in all)", _span(cols, rows[SHOW]), hint, severity, related,
                              (("dataset", check.dataset), ("column", column))))
    return out


def _span(cols: Mapping[str, Sequence[Any]], i: int) -> Span:
    line, position = int(cols["line"][i]), int(cols["position"][i])
    return Span(str(cols["path"][i]), line, position + 1, line, position + 2)


def _required(check: ConformanceCheck, file_columns: Any) -> Diagnostic:
    """TS403: the file lacks the column; the closest one (ignoring case, not one the protocol
    reads for something else) is offered with how to declare it."""
    columns = list(file_columns or ())
    taken = check.param("taken", ())
    folded = {str(c).lower(): str(c) for c in reversed(columns) if c not in taken}
    near = [folded[m] for m in difflib.get_close_matches(check.source.lower(), list(folded), n=1)]
    declare = check.param("declare", "source: {}")
    hint = (f"The file has {near[0]!r}; declare `{declare.format(near[0])}`?" if near
            else f"The file's columns: {', '.join(map(str, columns[:12]))}")
    return Diagnostic("TS403", f"dataset '{check.dataset}' has no column {check.source!r} "
                      f"(for '{check.param('want')}')", check.span, hint,
                      context=(("dataset", check.dataset), ("column", check.source)))


def _rows(check: ConformanceCheck, value: Any) -> Diagnostic:
    return Diagnostic("TS405", f"dataset '{check.dataset}' has no rows", check.span, "Check the export.",
                      context=(("dataset", check.dataset),))


def _test_present(check: ConformanceCheck, codes: Any) -> Diagnostic:
    """TS420: no row of the file carries the declared test (``codes``: the file's test codes)."""
    present = list(codes or ())
    listed = ", ".join(present[:SHOW_CODES]) + (" ..." if len(present) > SHOW_CODES else "")
    cname = check.column
    return Diagnostic(
        "TS420", f"dataset '{check.dataset}': no rows with {check.param('test_column')} "
        f"{check.param('test')!r} (for '{cname}'); every subject's {cname} is missing", check.span,
        f"Codes in the file: {listed or '(none)'}. Correct the code, or declare the column "
        "`collected: false` if the study did not measure it.", Severity.WARNING,
        context=(("dataset", check.dataset), ("column", cname)))


def _test_at_visit(check: ConformanceCheck, value: Any) -> Diagnostic:
    """TS420: the file has the test's rows, none at the picked visit."""
    cname = check.column
    return Diagnostic(
        "TS420", f"dataset '{check.dataset}': no rows with {check.param('test_column')} "
        f"{check.param('test')!r} at visit {check.param('visit')!r} (for '{cname}'); every subject's "
        f"{cname} is missing", check.span,
        f"The file has {check.param('test')} rows at other visits; check `pick: {{visit: ...}}` against "
        f"the file's {check.param('visit_column')} values.", Severity.WARNING,
        context=(("dataset", check.dataset), ("column", cname)))


# kind -> the one diagnostic of a dataset-level failure (row 0), from the check and its value
DATASET_WORDS: Mapping[str, Callable[[ConformanceCheck, Any], Diagnostic]] = {
    "required": _required,
    "rows": _rows,
    "test_present": _test_present,
    "test_at_visit": _test_at_visit,
}


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value, so messages read 'inf', not 'np.float64(inf)'."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def _blank(key: Any) -> bool:
    """No key: missing (None, NaN, pandas' NA) or empty."""
    try:
        return bool(key is None or key == "" or key != key)  # (NaN is not itself)
    except TypeError:  # pandas' NA: its truth is ambiguous
        return True
