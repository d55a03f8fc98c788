"""Reading a data folder and writing the draft protocol (YAML text, deterministic)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from trialspec.diagnostics import Diagnostic
from trialspec.infer.columns import NAME, ColumnDraft
from trialspec.infer.layout import DatasetDraft, draft_dataset
from trialspec.source import Span

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xpt": "xpt", ".sas7bdat": "sas7bdat"}
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./^%-]*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def infer_folder(folder: Path, standard: str | None = None) -> tuple[list[DatasetDraft], list[Diagnostic]]:
    """A draft dataset for every data file in ``folder`` (sorted by name), and what went wrong."""
    from trialspec.engine.pandas.read import read_table

    drafts: list[DatasetDraft] = []
    diags: list[Diagnostic] = []
    taken: set[str] = set()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FORMATS):
        try:
            df = read_table(path, FORMATS[path.suffix.lower()])
        except ValueError as err:
            diags.append(Diagnostic("TS445", f"{path.name} cannot be read: {err}",
                                    Span(str(path), 1, 1, 1, 1),
                                    "export it again as UTF-8 CSV, Parquet, XPT or SAS7BDAT"))
            continue
        name = _dataset_name(path.stem, taken)
        taken.add(name)
        drafts.append(draft_dataset(name, path, df, standard, diags))
    return sorted(drafts, key=_population_first), diags


POPULATION_NAMES = ("dm", "subjects", "demographics", "patients", "subject")


def _population_first(d: DatasetDraft) -> tuple[int, int, str]:
    """The table of subjects first (the first keyed table is the population a check screens):
    a one-row-per-subject table named dm/subjects/..., else the largest such; then the rest."""
    if d.key and d.level is None:
        return (0 if d.name in POPULATION_NAMES else 1, -d.rows, d.name)
    return (2, 0, d.name)


def _dataset_name(stem: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]+", "_", stem.lower()).strip("_") or "data"
    if not NAME.fullmatch(base):
        base = "d_" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def scalar(value: str) -> str:
    """A YAML scalar: plain where that reads back as the same string, else double-quoted."""
    if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def _column_yaml(c: ColumnDraft) -> str:
    bits = []
    if c.test is not None:
        bits.append(f"test: {scalar(c.test)}")
    bits.append(f"type: {c.type}")
    if c.unit:
        bits.append(f"unit: {scalar(c.unit)}")
    if c.unit_column:
        bits.append(f"unit_column: {scalar(c.unit_column)}")
    if c.analyte:
        bits.append(f"analyte: {scalar(c.analyte)}")
    if c.levels:
        bits.append("levels: [" + ", ".join(scalar(v) for v in c.levels) + "]")
    if c.source:
        bits.append(f"source: {scalar(c.source)}")
    if c.label:
        bits.append(f"label: {scalar(c.label)}")
    return "{" + ", ".join(bits) + "}"


def render(drafts: list[DatasetDraft], folder: str, standard: str | None) -> str:
    lines = [f"# Drafted by `trialspec infer {folder}`{' --standard ' + standard if standard else ''}.",
             "# Review every type, unit and level; then add eligibility, analyses and claims.",
             "trialspec: 1", "", "study:", "  id: DRAFT", "", "datasets:"]
    for d in drafts:
        block = [f"  {d.name}:  # {d.rows:,} rows" + (f"; {'; '.join(d.notes)}" if d.notes else "")]
        block.append(f"    source: {scalar(d.source)}")
        if d.level:
            block.append(f"    level: {d.level}")
        if d.key:
            block.append(f"    key: {scalar(d.key)}")
        if d.subject:
            block.append(f"    subject: {scalar(d.subject)}")
        if d.long:
            block.append("    long: {" + ", ".join(f"{k}: {scalar(v)}" for k, v in d.long.items()) + "}")
        if d.columns:
            block.append("    columns:")
        for c in d.columns:
            comment = f"  # {c.note}" if c.note else ""
            block.append(f"      {c.name}: {_column_yaml(c)}{comment}")
        lines += [f"# {line}" for line in block] if d.omitted else block
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
