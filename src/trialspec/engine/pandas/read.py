"""Reading one data file into a DataFrame, whatever its format. Never raises on bad files.

CSV is read as text (every cell a string, empty cells missing) so the conformance stage can
say exactly which cell is wrong; the other formats arrive typed by their readers (SAS files
through pyreadstat, :mod:`read_sas`; CDISC Dataset-JSON, :mod:`read_datasetjson`). A CSV's
delimiter (`,` `;` tab `|`) is taken from its header line, and a UTF-8 BOM is skipped.
"""

from __future__ import annotations

import csv
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xls": "xlsx", ".xpt": "xpt", ".sas7bdat": "sas7bdat",
           ".json": "dataset-json", ".ndjson": "dataset-json", ".dsjc": "dataset-json"}
DELIMITERS = (",", ";", "\t", "|")
RECORD_LINES = "trialspec_record_lines"  # DataFrame.attrs key: each row's line, when not row + header


def format_of(path: Path, declared: str | None) -> str | None:
    return declared or FORMATS.get(path.suffix.lower())


def _delimiter(path: Path) -> str:
    """The delimiter most frequent in the header: the first line that is not blank."""
    with path.open("rb") as f:
        head = b""
        for _ in range(1000):
            head = f.readline(1 << 20)
            if not head or head.strip(b" \t\r\n\xef\xbb\xbf"):
                break
    return max(DELIMITERS, key=head.decode("utf-8-sig", errors="replace").count)


_BLANK = re.compile(rb"\n(?=[ \t\r]*\n)")  # a line break followed by a blank line (pandas skips it)
_CONTENT = re.compile(rb"[^ \t\r\n]")


def _line_map_needed(path: Path, n_rows: int, chunk: int = 1 << 24) -> bool:
    """Whether a data row's file line is not simply its position + the header's: a blank
    line before some record (pandas skips it), or a record spread over several lines (a
    quoted line break). Reads the file in chunks of whole lines, at the speed of a byte
    search (every pattern starts with a line break); blank lines at the end, the common case,
    shift nothing."""
    carry, pending, lines, trailing = b"", False, 0, 0
    with path.open("rb") as f:
        start = b""  # the line break before this chunk's first line, so its blank line is seen
        first = True
        while block := f.read(chunk):
            if first:
                block, first = block.removeprefix(b"\xef\xbb\xbf"), False
                start = b"\n"  # the file's first line starts a line too
            data = start + carry + block
            cut = data.rfind(b"\n") + 1
            whole, carry, start = data[:cut], data[cut:], b"\n"
            if pending and _CONTENT.search(whole):
                return True
            lines += whole.count(b"\n") - 1  # the line break put in front is no line
            blank = _BLANK.search(whole)
            if blank is not None:
                if _CONTENT.search(whole, blank.end()):
                    return True
                pending = True  # blank lines so far only at the end: count them out
                trailing += len(_BLANK.findall(whole, blank.start()))
    if carry.strip(b" \t\r"):
        if pending:
            return True
        lines += 1
    return lines - trailing != n_rows + 1  # one header line, one line per record: nothing to map


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
            if _line_map_needed(path, len(df)):  # keep each record's own line for findings
                lines = _record_lines(path, sep)
                if lines is not None and len(lines) == len(df):  # else: positions, as before
                    df.attrs[RECORD_LINES] = lines
            return df
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "xlsx":
            return pd.read_excel(path, engine="openpyxl")
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

