"""Reading one data file into a DataFrame, whatever its format. Never raises on bad files.

CSV is read as text (every cell a string, empty cells missing) so the conformance stage can
say exactly which cell is wrong; the other formats arrive typed by their readers. A CSV's
delimiter (`,` `;` tab `|`) is taken from its header line, and a UTF-8 BOM is skipped.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xls": "xlsx", ".xpt": "xpt", ".sas7bdat": "sas7bdat"}
DELIMITERS = (",", ";", "\t", "|")
RECORD_LINES = "trialspec_record_lines"  # DataFrame.attrs key: each row's line, when not row + header


def format_of(path: Path, declared: str | None) -> str | None:
    return declared or FORMATS.get(path.suffix.lower())


def _delimiter(path: Path) -> str:
    with path.open("rb") as f:
        head = f.readline(1 << 20).decode("utf-8-sig", errors="replace")
    return max(DELIMITERS, key=head.count)


def _has_blank_line(path: Path, chunk: int = 1 << 24) -> bool:
    """Whether the file has an empty line between records (read in chunks, never whole)."""
    tail = b""
    with path.open("rb") as f:
        while block := f.read(chunk):
            data = tail + block
            if b"\n\n" in data or b"\n\r\n" in data:
                return True
            tail = data[-2:]
    return False


def _record_lines(path: Path, sep: str, n_rows: int) -> np.ndarray:
    """The 1-based file line on which each data record starts, past blank lines and quoted
    line breaks (only for a file that has blank lines: it reads record by record)."""
    lines: list[int] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=sep)
        start = 1
        for record in reader:
            if record:  # a blank line reads as []
                lines.append(start)
            start = reader.line_num + 1
    return np.asarray(lines[1:1 + n_rows], dtype=np.int64)  # the first record is the header


def read_table(path: Path, fmt: str) -> pd.DataFrame:
    """Read ``path``; raises ``ValueError`` with a readable reason if it cannot."""
    try:
        if fmt == "csv":
            # index_col=False: a row with more cells than the header is an error, never a silent
            # shift of every column (pandas would take the extra leading cells as the row index)
            sep = _delimiter(path)
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False,
                                 na_values=[""], encoding="utf-8-sig", skipinitialspace=False,
                                 index_col=False)
            if _has_blank_line(path):  # pandas skips blank lines: keep each record's own line
                df.attrs[RECORD_LINES] = _record_lines(path, sep, len(df))
            return df
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "xlsx":
            return pd.read_excel(path, engine="openpyxl")
        if fmt == "xpt":
            return _decoded(pd.read_sas(path, format="xport"))
        if fmt == "sas7bdat":
            return _decoded(pd.read_sas(path, format="sas7bdat", encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text (byte {err.start}): {err.reason}") from err
    except pd.errors.ParserWarning as err:
        raise ValueError("a row has more cells than the header line") from err
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ValueError(str(err).splitlines()[0] if str(err) else type(err).__name__) from err
    except Exception as err:  # third-party readers raise their own types on corrupt files
        raise ValueError(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}") from err
    raise ValueError(f"unknown format {fmt!r}")


def _decoded(df: pd.DataFrame) -> pd.DataFrame:
    """SAS readers may return bytes for text columns; decode them as UTF-8."""
    for col in df.select_dtypes(include="object").columns:
        present = df[col].dropna()
        if len(present) and isinstance(present.iloc[0], bytes):
            df[col] = df[col].str.decode("utf-8", errors="replace")
    return df
