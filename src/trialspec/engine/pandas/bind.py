"""Binding: a protocol's datasets read from a data directory (or given as DataFrames),
checked for conformance, converted to their declared types and units, and joined into
the engine's :class:`SubjectFrames`.

The population is the first dataset with a ``key:``. Other keyed tables and long tables
with a ``pick:`` become one value per subject; tables with a ``subject:`` column stay
row-grain, for aggregates and time series.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.engine.pandas.conform import Where, convert_column, report
from trialspec.engine.pandas.frames import SubjectFrames
from trialspec.engine.pandas.read import format_of, read_table


# Provenance kept beside the values, for `explain`: the file row each subject's value came
# from (1-based data row) and the unit it was written in before conversion.
ROW_COLUMN = "@row"
ROW_SUFFIX = "@row"
UNIT_SUFFIX = "@unit"


@dataclass(frozen=True)
class DatasetInfo:
    """What was read for one dataset: for the report's manifest and for lock files."""

    name: str
    path: str | None
    sha256: str | None
    rows: int


@dataclass
class Bound:
    """The bound data: frames to evaluate on (None if screening cannot run), and findings."""

    frames: SubjectFrames | None
    diagnostics: list[Diagnostic]
    datasets: list[DatasetInfo]
    key: str | None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_datasets(protocol: Any, data_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, DatasetInfo],
                                                          list[Diagnostic]]:
    """Read every dataset with a ``source:`` from inside ``data_dir``."""
    root = data_dir.resolve()
    frames: dict[str, pd.DataFrame] = {}
    infos: dict[str, DatasetInfo] = {}
    diags: list[Diagnostic] = []
    for name, ds in protocol.datasets.items():
        if not ds.source:
            continue
        path = (root / ds.source).resolve()
        if not path.is_relative_to(root):
            diags.append(Diagnostic("TS401", f"dataset '{name}' names {ds.source!r}, outside the data directory",
                                    ds.span, "Name a file inside the --data directory, relative to it."))
            continue
        if not path.is_file():
            near = difflib.get_close_matches(ds.source, [p.name for p in root.iterdir()], n=1) if root.is_dir() else []
            diags.append(Diagnostic("TS402", f"dataset '{name}': no file {ds.source!r} in {data_dir}", ds.span,
                                    f"Did you mean '{near[0]}'?" if near else "Check the file name."))
            continue
        fmt = format_of(path, ds.format)
        try:
            df = read_table(path, fmt or "")
        except ValueError as err:
            diags.append(Diagnostic("TS413", f"dataset '{name}': cannot read {ds.source}: {err}", ds.span,
                                    "Export it as UTF-8 CSV, Parquet, XLSX, XPT or SAS7BDAT."))
            continue
        frames[name] = df
        infos[name] = DatasetInfo(name, str(Path(ds.source)), sha256_file(path), len(df))
    return frames, infos, diags


def bind(protocol: Any, data_dir: Path) -> Bound:
    """Read, check and bind the protocol's datasets from ``data_dir``."""
    tables, infos, diags = read_datasets(protocol, data_dir)
    bound = bind_frames(protocol, tables, {n: str(data_dir / i.path) if i.path else n for n, i in infos.items()},
                        header_lines={n: int(format_of(Path(i.path or ""), protocol.datasets[n].format) == "csv")
                                      for n, i in infos.items()})
    bound.diagnostics[:0] = diags
    bound.datasets = [infos.get(n) or DatasetInfo(n, None, None, len(tables.get(n, ())))
                      for n in protocol.datasets if n in infos]
    if any(d.code in ("TS401", "TS402", "TS413") for d in diags):
        bound.frames = None
    return bound


def bind_frames(protocol: Any, tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str] | None = None,
                header_lines: Mapping[str, int] | None = None) -> Bound:
    """Bind DataFrames given per dataset name (the Python API's entry point)."""
    paths = paths or {}
    diags: list[Diagnostic] = []
    keyed = [n for n, ds in protocol.datasets.items() if ds.key]
    if not keyed:
        diags.append(Diagnostic("TS414", "no dataset has a `key:`; there are no subjects to screen", None,
                                "Declare the subjects table with `key: subject_id`."))
        return Bound(None, diags, [], None)
    population = keyed[0]
    key = protocol.datasets[population].key
    subject_tables: dict[str, pd.DataFrame] = {}
    row_tables: dict[str, tuple[pd.DataFrame, str]] = {}
    raw_keys: dict[str, tuple[str, np.ndarray]] = {}  # dataset -> (its subject column, each row's key)
    unbound: list[str] = []
    for name, ds in protocol.datasets.items():
        df = tables.get(name)
        if df is None:
            continue
        where = Where(name, paths.get(name, name), None, (header_lines or {}).get(name, 1),
                      {c: col.span for c, col in ds.columns.items()})
        if not len(df):
            diags.append(Diagnostic("TS405", f"dataset '{name}' has no rows", ds.span, "Check the export."))
        if ds.long is not None:
            table, found = _long(ds, df, where, key)
        else:
            table, found = _wide(ds, df, where, ds.key or ds.subject, key)
        diags += found
        if where.keys is not None:  # set by _long / _wide from the file's subject column
            raw_keys[name] = (ds.long.subject if ds.long is not None else ds.key or ds.subject, where.keys)
        if table is None:  # its key or layout columns are missing (TS403): nothing to join on
            unbound.append(name)
            continue
        if ds.key or ds.long is not None and ds.pick is not None:
            subject_tables[name] = table
        else:
            row_tables[name] = (table, key)
    if population not in subject_tables or unbound:
        return Bound(None, diags, [], key)
    subjects = subject_tables[population]
    known = pd.Index(subjects[key].dropna())
    for name, (column, ids) in raw_keys.items():
        if name == population:
            continue
        orphan = ~pd.Index(ids).isin(known)  # a row without a subject belongs to no one either
        where = Where(name, paths.get(name, name), None, (header_lines or {}).get(name, 1))
        diags += report(where, column, int(tables[name].columns.get_loc(column)), np.asarray(orphan), ids,
                        "TS412", "no such subject", "Add the subject to the population table or remove the rows.",
                        Severity.WARNING)
    frames = SubjectFrames.from_frames(subjects, key, subject_tables, row_tables)
    return Bound(frames, diags, [], key)


def _source_index(df: pd.DataFrame, name: str, where: Where, ds: Any, want: str) -> tuple[int, list[Diagnostic]]:
    if name in df.columns:
        return int(df.columns.get_loc(name)), []
    near = difflib.get_close_matches(name, [str(c) for c in df.columns], n=1)
    span = where.declared.get(want, ds.span)
    return -1, [Diagnostic("TS403", f"dataset '{ds.name}' has no column {name!r} (for '{want}')", span,
                           f"The file has {near[0]!r}; declare `source: {near[0]}`?" if near
                           else f"The file's columns: {', '.join(map(str, df.columns[:12]))}")]


def _wide(ds: Any, df: pd.DataFrame, where: Where, id_col: str | None,
          key: str) -> tuple[pd.DataFrame | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    out: dict[str, Any] = {}
    if id_col:
        ci, found = _source_index(df, id_col, where, ds, id_col)
        if found:
            return None, found
        ids = df[id_col].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
        where.keys = ids
        if ds.key:
            dup = pd.Series(ids).duplicated(keep="first").to_numpy()
            diags += report(where, id_col, ci, dup, ids, "TS404", "duplicate key",
                            "Remove the duplicate row; a keyed table has one row per subject.")
            keep = ~dup
        else:
            keep = np.ones(len(df), bool)
        out[key] = ids
    for cname, col in ds.columns.items():
        if cname == id_col:
            continue
        src = col.source or cname
        ci, found = _source_index(df, src, where, ds, cname)
        diags += found
        if found:  # every rule using it is unknown, never an engine error
            out[cname] = np.full(len(df), None, dtype=object)
            continue
        units = None
        if col.unit_column:
            ui, ufound = _source_index(df, col.unit_column, where, ds, cname)
            diags += ufound
            if ufound:  # values whose unit is unknown are missing, not read in some other unit
                out[cname] = np.full(len(df), None, dtype=object)
                continue
            units = df[col.unit_column]
        values, more = convert_column(df[src], col, where, ci, units)
        diags += more
        out[cname] = values
        if units is not None:
            out[f"{cname}{UNIT_SUFFIX}"] = units.astype("string").to_numpy(dtype=object, na_value=None)
    out[ROW_COLUMN] = np.arange(1, len(df) + 1)
    table = pd.DataFrame(out)
    if id_col and ds.key:
        table = table.loc[keep].reset_index(drop=True)
    return table, diags


def _long(ds: Any, df: pd.DataFrame, where: Where, key: str) -> tuple[pd.DataFrame | None, list[Diagnostic]]:
    lay = ds.long
    diags: list[Diagnostic] = []
    needed = [c for c in (lay.subject, lay.test, lay.value, lay.unit, lay.time, lay.visit) if c]
    for c in needed:
        diags += _source_index(df, c, where, ds, c)[1]
    if diags:
        return None, diags
    subj = df[lay.subject].astype("string").str.strip().to_numpy(dtype=object, na_value=None)
    where.keys = subj
    keep = np.ones(len(df), bool)
    if ds.pick is not None and ds.pick.visit and lay.visit:
        keep &= (df[lay.visit].astype("string").str.strip() == ds.pick.visit).fillna(False).to_numpy()
    tests = df[lay.test].astype("string").str.strip()
    columns: dict[str, Any] = {}
    subjects = pd.unique(subj[keep & pd.notna(subj)])
    for cname, col in ds.columns.items():
        if not col.test:
            continue
        pos = np.flatnonzero(keep & (tests == col.test).fillna(False).to_numpy())
        part = df.iloc[pos]
        sub = where.subset(pos)
        if lay.time:  # the latest result counts when a test was repeated
            order = np.argsort(part[lay.time].astype("string").fillna("").to_numpy(), kind="stable")
            pos, part, sub = pos[order], part.iloc[order], sub.subset(order)
        dup = pd.Series(subj[pos]).duplicated(keep="last").to_numpy()
        diags += report(sub, cname, int(df.columns.get_loc(lay.value)), dup, subj[pos], "TS411",
                        f"repeated {col.test} result for subject", "The latest result is used.",
                        Severity.WARNING)
        units = part[lay.unit] if lay.unit and col.unit else None
        values, more = convert_column(part[lay.value], col, sub, int(df.columns.get_loc(lay.value)), units)
        diags += more
        last = ~dup
        index = subj[pos][last]
        columns[cname] = pd.Series(np.asarray(values, dtype=object)[last] if col.type != "number"
                                   else np.asarray(values)[last], index=index)
        columns[f"{cname}{ROW_SUFFIX}"] = pd.Series(pos[last] + 1, index=index)
        if units is not None:
            columns[f"{cname}{UNIT_SUFFIX}"] = pd.Series(
                units.astype("string").to_numpy(dtype=object, na_value=None)[last], index=index)
    table = pd.DataFrame({key: subjects})
    for cname, series in columns.items():
        table[cname] = series.reindex(subjects).to_numpy()
    return table, diags
