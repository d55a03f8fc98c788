"""What a data file is, before any reader opens it, the same for every binder: its format
(by its declared ``format:`` or its suffix), a CSV file's delimiter (the one most frequent in
its header line), whether a CSV record's file line differs from its position (blank lines,
quoted line breaks), and whether the SDTM missing rule applies to it.

No pandas: the pandas binder (``engine/pandas/read.py``) and the DuckDB binder
(``engine/duckdb/bind.py``) both read these.
"""

from __future__ import annotations

import re
from pathlib import Path

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".xlsx": "xlsx", ".xls": "xlsx", ".xpt": "xpt", ".sas7bdat": "sas7bdat",
           ".json": "dataset-json", ".ndjson": "dataset-json", ".dsjc": "dataset-json"}
DELIMITERS = (",", ";", "\t", "|")
SDTM_FORMATS = frozenset({"xpt", "sas7bdat", "dataset-json"})


def format_of(path: Path, declared: str | None) -> str | None:
    return declared or FORMATS.get(path.suffix.lower())


def is_sdtm(standard: str | None, fmt: str | None) -> bool:
    """Whether the SDTM missing rule applies (``engine/pandas/missing.py``): declared, or
    implied by the file format (``standard: none`` turns it off, e.g. for a non-SDTM XPT whose
    blanks are values)."""
    declared = (standard or "").lower()
    return declared == "sdtm" or (declared != "none" and fmt in SDTM_FORMATS)


def delimiter(path: Path) -> str:
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


def line_map_needed(path: Path, n_rows: int, chunk: int = 1 << 24) -> bool:
    """Whether a data row's file line is not simply its position + the header's: a blank
    line before some record (pandas skips it), or a record spread over several lines (a
    quoted line break). Reads the file in chunks of whole lines, at the speed of a byte
    search (every pattern starts with a line break); blank lines at the end, the common case,
    shift nothing."""
    return csv_layout(path, n_rows, None, chunk) is not None


BLANK_OR_SPREAD = "blank lines or records over several lines"
SPACED_QUOTE = "a quote after spaces at the start of a cell (text to pandas, quoting to DuckDB)"


def csv_layout(path: Path, n_rows: int, sep: str | None = None, chunk: int = 1 << 24) -> str | None:
    """Why a CSV's data rows are not simply one a line after the header (None: they are):
    ``BLANK_OR_SPREAD`` (see ``line_map_needed``); and, given the delimiter ``sep``,
    ``SPACED_QUOTE``: a cell that starts with spaces and then a quote (``S1, "A, B"``), which
    pandas reads as text up to the next delimiter and DuckDB as a quoted cell, so the two
    would split the row differently (found by a byte search for the quote after a space)."""
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
            if sep is not None and _spaced_quote(whole, sep.encode()):
                return SPACED_QUOTE
            if pending and _CONTENT.search(whole):
                return BLANK_OR_SPREAD
            lines += whole.count(b"\n") - 1  # the line break put in front is no line
            blank = _BLANK.search(whole)
            if blank is not None:
                if _CONTENT.search(whole, blank.end()):
                    return BLANK_OR_SPREAD
                pending = True  # blank lines so far only at the end: count them out
                trailing += len(_BLANK.findall(whole, blank.start()))
    if sep is not None and _spaced_quote(b"\n" + carry, sep.encode()):
        return SPACED_QUOTE
    if carry.strip(b" \t\r"):
        if pending:
            return BLANK_OR_SPREAD
        lines += 1
    # one header line, one line per record: nothing to map
    return None if lines - trailing == n_rows + 1 else BLANK_OR_SPREAD


def _spaced_quote(data: bytes, sep: bytes) -> bool:
    """Whether some quote in ``data`` follows spaces or tabs that follow a delimiter or a line
    break (lines start after a ``\\n``)."""
    for gap in (b' "', b'\t"') if b"\t" in data else (b' "',):  # (a tab is found at memchr's speed)
        at = data.find(gap)
        while at >= 0:
            i = at
            while i > 0 and data[i - 1:i] in (b" ", b"\t"):
                i -= 1
            if i == 0 or data[i - 1:i] in (sep, b"\n"):
                return True
            at = data.find(gap, at + 2)
    return False
