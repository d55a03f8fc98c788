"""Binding: a protocol's datasets read from a data directory (or given as DataFrames),
checked for conformance, converted to their declared types and units, and joined into
the engine's :class:`SubjectFrames`.

The population is the first dataset with a ``key:``. Other keyed tables and long tables
with a ``pick:`` become one value per subject; tables with a ``subject:`` column stay
row-grain, for aggregates and time series.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from trialspec.check.conformance_plan import CheckIndex, ConformanceCheck, conformance_checks
from trialspec.check.conformance_render import render
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.engine.binding import Bound, DatasetInfo, Failed, dataset_failure, failure_columns, sha256_file
from trialspec.engine.cells import increasing_text
from trialspec.engine.declared import exact_integer_columns
from trialspec.engine.files import delimiter, format_of, is_sdtm
from trialspec.engine.limits import refuse_reading, short_rows
from trialspec.engine.pandas.bind_rows import long_rows, read_limits
from trialspec.engine.pandas.conform import (
    Where,
    convert_column,
    factorized_text,
    report,
    text_and_arrow,
    text_values,
)
from trialspec.engine.pandas.factorize import memo as factorize_memo
from trialspec.engine.pandas.frames import StudyTable, SubjectFrames
from trialspec.engine.pandas.long_checks import absent_tests
from trialspec.engine.pandas.missing import mark_missing
from trialspec.engine.pandas.read import RECORD_LINES, frame_integers, read_table
from trialspec.engine.pandas.read_sas import ENCODING
from trialspec.protocol.model import study_level

# Provenance kept beside the values, for `explain`: the file row each subject's value came
# from (1-based data row) and the unit it was written in before conversion.
ROW_COLUMN = "@row"
LINE_COLUMN = "@line"  # each row's file line, kept only when blank lines make it differ from @row + 1
ROW_SUFFIX = "@row"
UNIT_SUFFIX = "@unit"


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
        try:
            path = (root / ds.source).resolve()
        except (OSError, RuntimeError):  # a symlink loop: said, not raised
            diags.append(Diagnostic("TS413", f"dataset '{name}': cannot read {ds.source}: a symbolic link "
                                    "that leads back to itself", ds.span, "Point the link at the real file.",
                                    context=(("dataset", name),)))
            continue
        if not path.is_relative_to(root):
            diags.append(Diagnostic("TS401", f"dataset '{name}' names {ds.source!r}, outside the data "
                                    "directory", ds.span,
                                    "Name a file inside the --data directory, relative to it.",
                                    context=(("dataset", name),)))
            continue
        if not path.is_file():
            files = [p.name for p in root.iterdir()] if root.is_dir() else []
            near = difflib.get_close_matches(ds.source, files, n=1)
            hint = f"Did you mean '{near[0]}'?" if near else "Check the file name."
            diags.append(Diagnostic("TS402", f"dataset '{name}': no file {ds.source!r} in {data_dir}",
                                    ds.span, hint, context=(("dataset", name),)))
            continue
        fmt = format_of(path, ds.format)
        refused = refuse_reading(path, fmt or "")
        if refused is not None:  # checked before any reader opens it (docs/reliability.md)
            diags.append(Diagnostic("TS416", f"dataset '{name}': {ds.source} is not read: {refused}",
                                    ds.span, "Split or export the data as CSV or Parquet; "
                                    "docs/reliability.md lists the limits.", context=(("dataset", name),)))
            continue
        try:
            df = read_table(path, fmt or "", exact_integer_columns(ds))
        except ValueError as err:
            diags.append(Diagnostic("TS413", f"dataset '{name}': cannot read {ds.source}: {err}", ds.span,
                                    "Export it as UTF-8 CSV, Parquet, XLSX, XPT, SAS7BDAT or Dataset-JSON.",
                                    context=(("dataset", name),)))
            continue
        if fmt == "csv":
            diags += short_rows(path, str(data_dir / ds.source), name, delimiter(path))
        infos[name] = DatasetInfo(name, str(Path(ds.source)), sha256_file(path), len(df))
        if (encoding := df.attrs.get(ENCODING)) is not None:
            diags.append(Diagnostic("TS421", f"dataset '{name}': the text of {ds.source} is not UTF-8; "
                                    f"read as {encoding}", ds.span,
                                    "Check accented and quote characters in its text; export it as "
                                    "UTF-8 to be sure.", Severity.WARNING, context=(("dataset", name),)))
        df = mark_missing(df, is_sdtm(getattr(ds, "standard", None), fmt), getattr(ds, "missing", ()))
        frames[name] = df
    return frames, infos, diags


def bind(protocol: Any, data_dir: Path) -> Bound:
    """Read, check and bind the protocol's datasets from ``data_dir``."""
    tables, infos, diags = read_datasets(protocol, data_dir)
    # spans name each file as the user can open it (inside --data); the manifest keeps the relative path
    paths = {n: str(data_dir / i.path) if i.path else n for n, i in infos.items()}
    bound = bind_frames(protocol, tables, paths,
                        # CSV lines and XLSX sheet rows count the header; other formats have no lines
                        header_lines={n: int(format_of(Path(i.path or ""), protocol.datasets[n].format)
                                             in ("csv", "xlsx")) for n, i in infos.items()})
    bound.diagnostics[:0] = diags
    bound.datasets = [infos.get(n) or DatasetInfo(n, None, None, len(tables.get(n, ())))
                      for n in protocol.datasets if n in infos]
    if any(d.code in ("TS401", "TS402", "TS413", "TS416") for d in diags):
        bound.frames = None
    return bound


def bind_frames(protocol: Any, tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str] | None = None,
                header_lines: Mapping[str, int] | None = None,
                checks: Sequence[ConformanceCheck] | None = None) -> Bound:
    """Bind DataFrames given per dataset name (the Python API's entry point), running the
    declared conformance checks (``checks``; by default the protocol's) as the cells are read."""
    plan = CheckIndex(conformance_checks(protocol) if checks is None else checks)
    failed: list[Failed] = []
    with factorize_memo():  # a column read twice (a unit column declared as a column) is hashed once
        bound = _bind(protocol, tables, paths, header_lines, plan, failed)
    bound.failed = failed
    bound.diagnostics[:0] = render(failure_columns(failed), plan.checks)
    return bound


def _bind(protocol: Any, tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str] | None,
          header_lines: Mapping[str, int] | None, plan: CheckIndex, failed: list[Failed]) -> Bound:
    if paths is None:  # DataFrames from the API: integers and the declared missing rules apply here
        tables = {n: mark_missing(frame_integers(df, exact_integer_columns(protocol.datasets[n])),
                                  is_sdtm(getattr(protocol.datasets[n], "standard", None), None),
                                  getattr(protocol.datasets[n], "missing", ()))
                  if n in protocol.datasets else df for n, df in tables.items()}
    paths = paths or {}
    diags: list[Diagnostic] = []
    keyed = [n for n, ds in protocol.datasets.items() if ds.key and not study_level(ds)]
    if not keyed and all(study_level(ds) for ds in protocol.datasets.values()):
        return _studies_only(protocol, tables, paths, header_lines or {}, plan, failed)
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
    studies: dict[str, StudyTable] = {}
    index: pd.Index | None = None  # the population's keys, hashed once for the long tables' joins
    # the population first, so that long tables are pivoted straight into its order
    for name in [population, *(n for n in protocol.datasets if n != population)]:
        ds = protocol.datasets[name]
        df = tables.get(name)
        if df is None:
            continue
        where = Where(name, paths.get(name, name), None, (header_lines or {}).get(name, 1),
                      lines=df.attrs.get(RECORD_LINES), checks=plan)
        if not len(df):
            failed += dataset_failure(plan.cell(name, "", "rows"), where.path)
        if study_level(ds):  # one row per study: checked like a keyed table, joined to no one
            where.noun = "study"
            table, found, _ = _wide(ds, df, where, ds.key, ds.key)
            failed += found
            if table is not None:
                text = df.iloc[table[ROW_COLUMN].to_numpy() - 1].reset_index(drop=True)
                studies[name] = StudyTable(table, text, where)
            continue
        if ds.long is not None and ds.pick is None:  # one row per result, for aggregates
            table, found = long_rows(ds, df, where, key, _missing_column(df, where, ds))
        elif ds.long is not None:
            table, found = _long(ds, df, where, key, index)
        else:
            table, found, keys = _wide(ds, df, where, ds.key or ds.subject, key)
            if name == population:
                index = keys
        failed += found
        if where.keys is not None and not (ds.long is not None and ds.pick is not None
                                           and index is not None):
            # (a long table joined to the population has reported its unknown subjects already)
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
    known: pd.Index | None = None
    for name, (column, ids) in raw_keys.items():
        if name == population:
            continue
        known = pd.Index(subjects[key].dropna()) if known is None else known
        orphan = ~pd.Index(ids).isin(known)  # a row without a subject belongs to no one either
        where = Where(name, paths.get(name, name), None, (header_lines or {}).get(name, 1),
                      lines=tables[name].attrs.get(RECORD_LINES), checks=plan)
        ci = int(tables[name].columns.get_loc(column))
        failed += _unknown_subjects(where, column, ci, np.asarray(orphan), ids)
    frames = SubjectFrames.from_frames(subjects, key, subject_tables, row_tables, index)
    frames.studies = studies
    frames.paths = dict(paths)
    return Bound(frames, diags, [], key)


def _studies_only(protocol: Any, tables: Mapping[str, pd.DataFrame], paths: Mapping[str, str],
                  header_lines: Mapping[str, int], plan: CheckIndex, failed: list[Failed]) -> Bound:
    """A protocol of study-level tables only (or none: a meta-analysis of inline counts) has
    no subjects to screen, and is not in error: its frames hold no subject and the studies."""
    studies: dict[str, StudyTable] = {}
    for name, ds in protocol.datasets.items():
        df = tables.get(name)
        if df is None:
            continue
        where = Where(name, paths.get(name, name), None, header_lines.get(name, 1),
                      lines=df.attrs.get(RECORD_LINES), checks=plan)
        where.noun = "study"
        table, found, _ = _wide(ds, df, where, ds.key, ds.key)
        failed += found
        if table is not None:
            text = df.iloc[table[ROW_COLUMN].to_numpy() - 1].reset_index(drop=True)
            studies[name] = StudyTable(table, text, where)
    frames = SubjectFrames(pd.Index([], dtype=object))
    frames.studies = studies
    frames.paths = dict(paths)
    return Bound(frames, [], [], None)


def unique_keys(keys: pd.Index) -> bool:
    """Whether the keys are unique, without hashing them when they are sorted (as most exports
    are): strictly increasing neighbours are unique, compared in one vectorized pass. Other
    keys are hashed (``Index.is_unique``). The answer is cached on the index either way, so
    :meth:`SubjectFrames.from_frames` does not hash them again."""
    values = keys.to_numpy()
    if len(values) > 1 and "is_unique" not in keys._cache:
        try:
            with np.errstate(invalid="ignore"):
                if bool(np.all(values[1:] > values[:-1])):
                    keys._cache["is_unique"] = True  # pandas' own cache of the property
                    return True
        except TypeError:  # keys that do not compare (None among text): hashed
            pass
    return bool(keys.is_unique)


def _unique(keys: pd.Index, arrow: pa.Array | None) -> bool:
    """:func:`unique_keys`, with the order of text keys compared by Arrow when it has them."""
    if arrow is None:
        return unique_keys(keys)
    if increasing_text(arrow):
        keys._cache["is_unique"] = True  # pandas' own cache of the property, as unique_keys
        return True
    return bool(keys.is_unique)


def _blank(ids: np.ndarray, arrow: pa.Array | None) -> np.ndarray:
    """Which keys are missing or empty text (by Arrow when the keys are text: no Python
    comparison per cell)."""
    if arrow is None:
        return pd.isna(ids) | (ids == "")
    blank = pc.fill_null(pc.equal(arrow, ""), True)
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


def _join(keys: pd.Series, population: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """``(subjects, slots)``: each row's subject (trimmed text) and its position in ``population``
    (-1: none). The population's keys are trimmed text, so a cell equal to one needs no trimming:
    only the cells that match nothing as they are (rare) are trimmed and looked up again."""
    raw = keys.to_numpy()
    if raw.dtype != object:  # numbers: compared as their text
        subj = text_values(keys)
        slot = population.get_indexer(subj)
    else:
        subj, slot = raw, population.get_indexer(raw)
        missed = np.flatnonzero(slot < 0)
        if len(missed):
            subj = subj.copy()
            subj[missed] = text_values(raw[missed])
            slot[missed] = population.get_indexer(subj[missed])
    if (population.get_indexer([None]) >= 0).any():  # a row without a subject belongs to no one
        slot[pd.isna(subj)] = -1
    return subj, slot


def _unknown_subjects(where: Where, column: str, ci: int, orphan: np.ndarray,
                      ids: np.ndarray) -> list[Failed]:
    return report(where, column, ci, orphan, ids, "subject_known")


def _source_index(df: pd.DataFrame, name: str, where: Where, ds: Any, want: str) -> tuple[int, list[Failed]]:
    """The position of column ``name`` in ``df``, or -1 and the failure of the ``required``
    check that wants it for ``want`` (carrying the file's columns, for the did-you-mean)."""
    if name in df.columns:
        return int(df.columns.get_loc(name)), []
    return -1, dataset_failure(where.checks.required(ds.name, want, name), where.path, tuple(df.columns))


def _missing_column(df: pd.DataFrame, where: Where, ds: Any) -> Any:
    """``missing(name, role)``: the failure for a column the file lacks (for bind_rows)."""
    return lambda name, role: _source_index(df, name, where, ds, role)[1]


def _wide(ds: Any, df: pd.DataFrame, where: Where, id_col: str | None,
          key: str) -> tuple[pd.DataFrame | None, list[Failed], pd.Index | None]:
    """A table with a column per declared column, and (keyed tables) its keys as a hashed index."""
    diags: list[Failed] = []
    out: dict[str, Any] = {}
    keys: pd.Index | None = None
    keep = np.ones(len(df), bool)
    if id_col:
        ci, found = _source_index(df, id_col, where, ds, id_col)
        if ci < 0:
            return None, found, None
        ids, arrow = text_and_arrow(df[id_col])
        where.keys = ids
        if ds.key:
            blank = _blank(ids, arrow)  # a row with no key is no one's: reported, not screened
            if blank.any():
                diags += report(where, id_col, ci, blank, ids, "key_present")
                keep = ~blank
                keys = pd.Index(ids[keep])
                arrow = None if arrow is None else arrow.filter(pa.array(keep))
            else:
                keys = pd.Index(ids, copy=False)
            if not _unique(keys, arrow):
                dup = np.zeros(len(ids), bool)
                dup[np.flatnonzero(keep)[keys.duplicated(keep="first")]] = True
                diags += report(where, id_col, ci, dup, ids, "key_unique")
                keep &= ~dup
                keys = pd.Index(ids[keep])
        out[key] = ids
    for cname, col in ds.columns.items():
        if cname == id_col:
            continue
        src = col.source or cname
        if not getattr(col, "collected", True) and src not in df.columns:  # not collected: no finding
            out[cname] = np.full(len(df), None, dtype=object)
            continue
        ci, found = _source_index(df, src, where, ds, cname)
        diags += found
        if ci < 0:  # every rule using it is unknown, never an engine error
            out[cname] = np.full(len(df), None, dtype=object)
            continue
        units = None
        if col.unit_column:
            ui, ufound = _source_index(df, col.unit_column, where, ds, cname)
            diags += ufound
            if ui < 0:  # values whose unit is unknown are missing, not read in some other unit
                out[cname] = np.full(len(df), None, dtype=object)
                continue
            units = df[col.unit_column]
        values, more = convert_column(df[src], col, where, ci, units)
        diags += more
        out[cname] = values
        limits, more = read_limits(df, col, where, None, units, _missing_column(df, where, ds))
        diags += more
        out.update(limits)
        if units is not None:
            out[f"{cname}{UNIT_SUFFIX}"] = units.to_numpy(dtype=object)  # as written, for explain
    out[ROW_COLUMN] = np.arange(1, len(df) + 1)
    if where.lines is not None:  # blank lines shift the file lines of the rows
        out[LINE_COLUMN] = where.lines
    table = pd.DataFrame(out, copy=False)  # no copy into one block: columns stay the arrays built here
    if not keep.all():
        table = table.loc[keep].reset_index(drop=True)
    return table, diags, keys


def _long(ds: Any, df: pd.DataFrame, where: Where, key: str,
          population: pd.Index | None = None) -> tuple[pd.DataFrame | None, list[Failed]]:
    """One column per declared test, one row per subject: in the order of ``population`` (whose
    keys are then the table's, and rows of other subjects are reported), else of first appearance."""
    lay = ds.long
    diags: list[Failed] = []
    roles = {"subject": lay.subject, "test": lay.test, "value": lay.value, "unit": lay.unit, "time": lay.time,
             "visit": lay.visit}
    absent = False
    for role, c in roles.items():
        if c:
            ci, found = _source_index(df, c, where, ds, f"long.{role}")
            diags += found
            absent |= ci < 0
    if absent:
        return None, diags
    keep = np.ones(len(df), bool)
    if ds.pick is not None and ds.pick.visit and lay.visit:
        vcodes, visits = factorized_text(df[lay.visit])
        keep &= np.append(visits == ds.pick.visit, False)[vcodes]
    tcodes, tests = factorized_text(df[lay.test])
    # each row's subject as a slot of the pivoted table: one pass over the keys for every test
    if population is not None:
        subj, slot = _join(df[lay.subject], population)
        subjects: Any = population
        si = int(df.columns.get_loc(lay.subject))
        by_row = Where(where.dataset, where.path, None, where.header_lines,  # "row N", not "subject X"
                       lines=where.lines, checks=where.checks)
        diags += _unknown_subjects(by_row, lay.subject, si, slot < 0, subj)
    else:
        subj = text_values(df[lay.subject])
        slot, subjects = pd.factorize(subj, use_na_sentinel=True)
    where.keys = subj
    columns: dict[str, Any] = {key: np.asarray(subjects, dtype=object)}
    at_visit = None
    if ds.pick is not None and ds.pick.visit and lay.visit:  # the test codes of the picked visit
        at_visit = np.unique(tcodes[keep & (tcodes >= 0)])
        at_visit = tests[at_visit] if len(at_visit) else np.array([], dtype=object)
    diags += absent_tests(ds, tests, where, at_visit)
    for cname, col in ds.columns.items():
        if not col.test:
            continue
        # a column may read another value column of the test's rows (`source: LBSTNRHI`)
        source = col.source or lay.value
        vi, found = _source_index(df, source, where, ds, cname)
        if vi < 0:
            diags += found
            columns[cname] = np.full(len(subjects), np.nan if col.type == "number" else None,
                                     dtype=float if col.type == "number" else object)
            continue
        value_column = df[source]
        pos = np.flatnonzero(keep & np.append(tests == col.test, False)[tcodes])
        sub = where.subset(pos)
        if lay.time:  # the latest result counts when a test was repeated
            times = df[lay.time].iloc[pos].astype("string").fillna("").to_numpy()
            order = np.argsort(times, kind="stable")
            pos, sub = pos[order], sub.subset(order)
        # repeated results of one subject; rows of no (known) subject are never each other's repeats
        of = np.where(slot[pos] >= 0, slot[pos], -1 - np.arange(len(pos)))
        dup = pd.Series(of).duplicated(keep="last").to_numpy()
        diags += report(sub, cname, vi, dup, value_column.to_numpy()[pos], "repeated")
        units = df[lay.unit].iloc[pos] if lay.unit and col.unit else None
        values, more = convert_column(value_column.iloc[pos], col, sub, vi, units)
        diags += more
        last = ~dup & (slot[pos] >= 0)
        at = slot[pos][last]
        if col.type == "number":
            column = np.full(len(subjects), np.nan)
            column[at] = np.asarray(values, dtype=float)[last]
        else:
            column = np.full(len(subjects), None, dtype=object)
            column[at] = np.asarray(values, dtype=object)[last]
        limits, more = read_limits(df, col, where, pos, units, _missing_column(df, sub, ds))
        diags += more
        for lname, lim in limits.items():
            columns[lname] = np.full(len(subjects), np.nan)
            columns[lname][at] = lim[last]
        rows = np.full(len(subjects), np.nan)
        rows[at] = pos[last] + 1
        columns[cname], columns[f"{cname}{ROW_SUFFIX}"] = column, rows
        if units is not None:
            written = np.full(len(subjects), None, dtype=object)
            written[at] = units.to_numpy(dtype=object)[last]  # as written, for explain
            columns[f"{cname}{UNIT_SUFFIX}"] = written
    table = pd.DataFrame(columns, copy=False)
    return table, diags
