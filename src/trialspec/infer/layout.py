"""A table's draft: its shape (one row per subject, several, or an SDTM findings domain in long
form), its key, and its columns. Reads values only through pandas, column by column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.infer.columns import ColumnDraft, infer_type, name_for, present, unit_for, unit_sibling
from trialspec.source import Span

# the subject key, by the names studies give it, best first (case-insensitive)
SUBJECT_NAMES = ("usubjid", "subject_id", "subjid", "subject", "patient_id", "patient", "subj_id", "pt_id")
MAX_TESTS = 200  # a long table with more tests than this is drafted with the first ones


@dataclass
class DatasetDraft:
    """One dataset of the draft."""

    name: str
    source: str
    key: str | None = None
    subject: str | None = None
    long: dict[str, str] = field(default_factory=dict)
    columns: list[ColumnDraft] = field(default_factory=list)
    rows: int = 0
    notes: list[str] = field(default_factory=list)
    level: str | None = None  # "study": one row per study, joined to no subject
    omitted: bool = False  # no shape could be drafted: written as a comment


def subject_column(columns: list[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in SUBJECT_NAMES if n in lower), None)


def findings_prefix(columns: list[str]) -> str | None:
    """The domain prefix of an SDTM findings table (LB for LBTESTCD + LBSTRESN/LBSTRESC)."""
    for c in columns:
        m = re.fullmatch(r"([A-Z]{2})TESTCD", c)
        if m and ({m[1] + "STRESN", m[1] + "STRESC", m[1] + "ORRES"} & set(columns)):
            return m[1]
    return None


def draft_dataset(name: str, path: Path, df: Any, standard: str | None,
                  diags: list[Diagnostic]) -> DatasetDraft:
    columns = [str(c) for c in df.columns]
    df.columns = columns
    out = DatasetDraft(name, path.name, rows=len(df))
    subject = subject_column(columns)
    prefix = findings_prefix(columns) if subject else None
    if prefix is not None:
        _long(out, df, prefix, subject or "")
        return out
    if subject is None:
        study_key = next((c for c in columns if present(df[c]).size == len(df) and present(df[c]).is_unique
                          and df[c].dtype == object), None)
        shape = (f"drafted as a study-level table keyed by {study_key}" if study_key
                 else "left out of the draft (as a comment)")
        diags.append(Diagnostic("TS446", f"{path.name}: no column names a subject (USUBJID, subject_id, "
                                f"...); {shape}", Span(str(path), 1, 1, 1, 1),
                                "add `key: COLUMN` (one row per subject) or `subject: COLUMN` (several)",
                                Severity.WARNING, context=(("dataset", name),)))
        if study_key is None:
            out.omitted = True
        out.key, out.level = study_key, "study"
        out.notes.append("no subject column: a study-level table? (TS446)")
    elif present(df[subject]).is_unique:
        out.key = subject
    else:
        out.subject = subject
    taken: set[str] = set()
    for c in columns:
        if standard == "sdtm" and c in ("STUDYID", "DOMAIN"):
            continue  # the same in every row of an SDTM table
        out.columns.append(_column(df, c, columns, taken, name, path, diags))
    return out


def _column(df: Any, c: str, columns: list[str], taken: set[str], dataset: str, path: Path,
            diags: list[Diagnostic]) -> ColumnDraft:
    values = present(df[c])
    name, source = name_for(c, taken)
    taken.add(name)
    if len(values) == 0:
        diags.append(Diagnostic("TS447", f"{path.name}: column {c} is empty in every row; drafted as string",
                                Span(str(path), 1, 1, 1, 1), "give it its type by hand, or drop it",
                                Severity.WARNING, context=(("dataset", dataset), ("column", c))))
        return ColumnDraft(name, source, "string", empty=True, note="empty in every row (TS447)")
    kind, levels = infer_type(values)
    if c == subject_column(columns):
        kind, levels = "string", ()  # a subject key is a name, never a number or a category
    unit = unit_column = analyte = note = None
    if kind == "number":
        sibling = unit_sibling(c, columns)
        if sibling is not None:
            units = [str(u) for u in present(df[sibling]).value_counts().index]
            unit, analyte, note = unit_for(units, (c,))
            if unit is not None and len(units) > 1:
                unit_column = sibling
    return ColumnDraft(name, source, kind, levels, unit, unit_column, analyte=analyte, note=note)


def _long(out: DatasetDraft, df: Any, prefix: str, subject: str) -> None:
    """An SDTM findings domain: one row per subject, test and time; a column per test code."""
    import pandas as pd

    cols = set(df.columns)
    numeric = prefix + "STRESN"
    value = numeric if numeric in cols and present(df[numeric]).size == present(df[prefix + "TESTCD"]).size \
        else next(c for c in (prefix + "STRESC", numeric, prefix + "ORRES") if c in cols)
    layout = {"subject": subject, "test": prefix + "TESTCD", "value": value}
    optional = {"unit": prefix + "STRESU", "time": prefix + "DTC", "visit": "VISIT"}
    layout.update({k: c for k, c in optional.items() if c in cols})
    out.long = layout
    tests = present(df[prefix + "TESTCD"])
    frame = pd.DataFrame({"test": tests, "value": df.loc[tests.index, value]})
    labels = present(df[prefix + "TEST"]) if prefix + "TEST" in cols else None
    units = present(df[layout["unit"]]) if "unit" in layout else None
    taken: set[str] = set()
    codes = sorted(pd.unique(frame["test"]))
    if len(codes) > MAX_TESTS:
        out.notes.append(f"{len(codes)} test codes: the first {MAX_TESTS} are drafted")
    for code in codes[:MAX_TESTS]:
        rows = frame["test"] == code
        kind, levels = infer_type(present(frame.loc[rows, "value"]))
        name, _ = name_for(str(code).lower(), taken)
        taken.add(name)
        unit = note = None
        label = None
        if labels is not None:
            here = labels.reindex(frame.index[rows]).dropna()
            label = str(here.iloc[0]) if len(here) else None
        analyte = None
        if units is not None and kind == "number":
            seen = units.reindex(frame.index[rows]).dropna()
            unit, analyte, note = unit_for([str(u) for u in seen.value_counts().index],
                                           (str(code), *((label,) if label else ())))
        out.columns.append(ColumnDraft(name, None, kind, levels, unit, label=label, test=str(code),
                                       analyte=analyte, note=note))
    if "visit" in layout or "time" in layout:
        out.notes.append("several rows per subject and test: add `pick:` (a visit, or a time rule) "
                         "to say which row is a subject's value")
    out.subject = None
