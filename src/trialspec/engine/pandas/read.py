"""Reading one data file into a DataFrame, whatever its format. Never raises on bad files.

CSV is read as text (every cell a string, empty cells missing) so the conformance stage can
say exactly which cell is wrong; the other formats arrive typed by their readers (SAS files
through pyreadstat, :mod:`read_sas`; CDISC Dataset-JSON, :mod:`read_datasetjson`). A CSV's
delimiter (`,` `;` tab `|`) is taken from its header line (``engine/files.py``), and a UTF-8
BOM is skipped.
"""

from __future__ import annotations

import csv
import sys
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine.files import delimiter, line_map_needed

RECORD_LINES = "trialspec_record_lines"  # DataFrame.attrs key: each row's line, when not row + header


def _record_lines(path: Path, sep: str) -> np.ndarray | None:
    """The 1-based file line on which each data record starts, past blank lines (as pandas
    skips them: empty or only spaces, tabs and CR) and quoted line breaks; None when the
    file's records cannot be told apart this way. Reads record by record: only for a file
    that needs it."""
    csv.field_size_limit(sys.maxsize)
    lines: list[int] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, delimiter=sep)
            start = 1
            for record in reader:
                if not (record == [] or (len(record) == 1 and not record[0].strip(" \t\r"))):
                    lines.append(start)
                start = reader.line_num + 1
    except (csv.Error, UnicodeDecodeError):
        return None
    return np.asarray(lines[1:], dtype=np.int64)  # the first record is the header


def _read_parquet(path: Path, exact: Collection[str] = ()) -> pd.DataFrame:
    """A Parquet file as pandas reads it; when a day or time is beyond what pandas holds
    (before year 1, after 9999), the file's days and times are read as their ISO text instead,
    so that the day out of range fails its own `date` check (as the DuckDB binder finds it)
    rather than the whole file being unreadable. The integer columns named in ``exact`` that
    hold a null, which pandas makes float64 (``7`` -> ``7.0``), are read again as Python ints
    and None, so a key, a level or a text keeps its digits."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        df = pd.read_parquet(path)
    except (ValueError, OverflowError):
        schema = pq.read_schema(path)  # (a file without days or times failed for another reason)
        if not any(pa.types.is_date(f.type) or pa.types.is_timestamp(f.type) for f in schema):
            raise
        table = pq.read_table(path)
        columns = [pc.strftime(c, "%Y-%m-%d") if pa.types.is_date(c.type)
                   else pc.strftime(c, "%Y-%m-%dT%H:%M:%S") if pa.types.is_timestamp(c.type) else c
                   for c in table.columns]
        df = pa.table(columns, names=table.column_names).to_pandas()
    floated = _floated(df, exact)
    if floated:
        ints = [f.name for f in pq.read_schema(path) if f.name in floated and pa.types.is_integer(f.type)]
        if ints:
            for name, column in zip(ints, pq.read_table(path, columns=ints).columns, strict=True):
                df.isetitem(floated[name], _python_ints(column))
    return df


def _read_xlsx(path: Path, exact: Collection[str] = ()) -> pd.DataFrame:
    """The first sheet; the columns named in ``exact`` that pandas made float64 (whole numbers
    with an empty cell: ``7`` -> ``7.0``) are read again as the cells are (``7`` an int), so
    a key, a level or a text keeps its digits, as in ``_read_parquet``."""
    df = pd.read_excel(path, engine="openpyxl")
    floated = _floated(df, exact)
    if floated:
        cells = pd.read_excel(path, engine="openpyxl", dtype=dict.fromkeys(floated, object))
        for i in floated.values():
            df.isetitem(i, cells.iloc[:, i].to_numpy(dtype=object, na_value=None))
    return df


def _floated(df: pd.DataFrame, exact: Collection[str]) -> dict[str, int]:
    """{name: position} of the float64 columns named in ``exact`` (by position: a name may repeat)."""
    return {c: i for i, (c, dtype) in enumerate(zip(df.columns, df.dtypes, strict=True))
            if c in exact and dtype.kind == "f"}


def _python_ints(column: Any) -> np.ndarray:
    """An Arrow integer column with nulls as an object array of Python ints and None."""
    import pyarrow.compute as pc

    out = column.fill_null(0).to_numpy().astype(object)
    out[pc.is_null(column).to_numpy(zero_copy_only=False)] = None
    return out


def frame_integers(df: pd.DataFrame, exact: Collection[str]) -> pd.DataFrame:
    """A DataFrame given to the API, its nullable integer columns (``Int64``, ``int64[pyarrow]``)
    read as a Parquet file's are (``_read_parquet``): those named in ``exact`` as Python ints
    and None, the others as float64 with NaN. The caller's frame is not changed."""
    # (by position: a frame may repeat a column name, and df[name] is then a frame)
    nullable = [i for i, dtype in enumerate(df.dtypes)
                if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iu"]
    if not nullable:
        return df
    df = df.copy(deep=False)
    for i in nullable:
        column = df.iloc[:, i]
        df.isetitem(i, column.to_numpy(dtype=object, na_value=None) if df.columns[i] in exact
                    else column.to_numpy(dtype=np.float64, na_value=np.nan))
    return df


def read_table(path: Path, fmt: str, exact: Collection[str] = ()) -> pd.DataFrame:
    """Read ``path``; raises ``ValueError`` with a readable reason if it cannot. ``exact``: the
    columns whose integers keep their digits though a Parquet column holds nulls
    (``engine.declared.exact_integer_columns``)."""
    try:
        if fmt == "csv":
            # index_col=False: a row with more cells than the header is an error, never a silent
            # shift of every column (pandas would take the extra leading cells as the row index)
            sep = delimiter(path)
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                                 na_values=[""], encoding="utf-8-sig", skipinitialspace=False,
                                 index_col=False)
            if line_map_needed(path, len(df)):  # keep each record's own line for findings
                lines = _record_lines(path, sep)
                if lines is not None and len(lines) == len(df):  # else: positions, as before
                    df.attrs[RECORD_LINES] = lines
            return df
        if fmt == "parquet":
            return _read_parquet(path, exact)
        if fmt == "xlsx":
            return _read_xlsx(path, exact)
        if fmt in ("xpt", "sas7bdat"):
            from trialspec.engine.pandas.read_sas import read_sas

            return read_sas(path, fmt)
        if fmt == "dataset-json":
            from trialspec.engine.pandas.read_datasetjson import read_dataset_json

            return read_dataset_json(path)
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text (byte {err.start}): {err.reason}") from err
    except pd.errors.ParserWarning as err:
        raise ValueError("a row has more cells than the header line") from err
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(str(err).splitlines()[0] if str(err) else type(err).__name__) from err
    except Exception as err:  # third-party readers raise their own types on corrupt files
        raise ValueError(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}") from err
    raise ValueError(f"unknown format {fmt!r}")

