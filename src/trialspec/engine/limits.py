"""What a data file may be before it is read, and rows that are shorter than the header.

- a data file larger than ``MAX_FILE_BYTES`` is not read (TS416);
- an XLSX file is a ZIP archive: its members' declared sizes are summed before openpyxl
  opens it, and one that inflates beyond ``MAX_XLSX_BYTES``, or more than
  ``MAX_XLSX_RATIO`` times its own size (a ZIP bomb), is not read (TS416);
- a CSV record with fewer cells than the header is a finding at its file line (TS417):
  pandas reads the missing cells as empty, which would make values silently missing.

docs/reliability.md lists these limits.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from trialspec.diagnostics import Diagnostic
from trialspec.source import Span

MAX_FILE_BYTES = 4 << 30  # 4 GiB: the largest data file read
MAX_XLSX_BYTES = 256 << 20  # 256 MiB: the most an XLSX file may inflate to
MAX_XLSX_RATIO = 100  # and at most this many times its own size, once past 1 MiB
MAX_XLSX_MEMBERS = 10_000
MAX_SCAN_BYTES = 512 << 20  # CSV files up to this size are scanned for short rows
SHOW = 20  # short rows shown one by one; the rest are counted in one more


def refuse_reading(path: Path, fmt: str) -> str | None:
    """Why ``path`` is not read (a sentence naming the limit), or None to read it."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"it is {size / (1 << 30):.1f} GiB, larger than the {MAX_FILE_BYTES >> 30} GiB trialspec reads"
    if fmt == "xlsx":
        return _zip_bomb(path, size)
    return None


def _zip_bomb(path: Path, size: int) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # not a ZIP at all: the reader says what is wrong with it
    if len(members) > MAX_XLSX_MEMBERS:
        return f"the XLSX archive holds {len(members):,} parts, more than {MAX_XLSX_MEMBERS:,}"
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_XLSX_BYTES:
        return (f"the XLSX file inflates to {inflated / (1 << 20):,.0f} MiB, more than the "
                f"{MAX_XLSX_BYTES >> 20} MiB trialspec reads (a ZIP bomb, or a sheet to export as CSV)")
    if inflated > 1 << 20 and inflated > MAX_XLSX_RATIO * max(size, 1):
        return (f"the XLSX file inflates {inflated / max(size, 1):,.0f} times, from {size:,} bytes to "
                f"{inflated:,}: more than the {MAX_XLSX_RATIO} times a real workbook does (a ZIP bomb)")
    return None


def short_rows(path: Path, shown: str, dataset: str, sep: str) -> list[Diagnostic]:
    """TS417 for each CSV record with fewer cells than the header, at its file line.

    Vectorized over the file's bytes: a delimiter or line break inside double quotes does not
    count (the parity of the quotes before it says whether it is inside), blank lines are
    skipped as pandas skips them.
    """
    if path.stat().st_size > MAX_SCAN_BYTES or len(sep) != 1:
        return []
    raw = np.frombuffer(path.read_bytes().removeprefix(b"\xef\xbb\xbf"), dtype=np.uint8)
    if not len(raw):
        return []
    # About a byte of memory per byte of the file, never a running count of 8 bytes per byte:
    # the quote parity as uint8 (it wraps, its parity does not); each record's delimiters and
    # blank bytes counted from their positions (searchsorted on the record bounds).
    newline = raw == 10
    outside = (np.cumsum(raw == 34, dtype=np.uint8) & 1) == 0 if (raw == 34).any() else None
    ends = np.flatnonzero(newline if outside is None else newline & outside)
    if len(ends) == 0 or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))  # the last record has no line break
    starts = np.concatenate(([0], ends[:-1] + 1))
    delim = raw == ord(sep)
    if outside is not None:
        delim &= outside
    at = np.flatnonzero(delim)
    cells = np.searchsorted(at, ends) - np.searchsorted(at, starts) + 1
    at = np.flatnonzero(np.isin(raw, (9, 10, 13, 32)))
    filled = ends - starts > np.searchsorted(at, ends) - np.searchsorted(at, starts)
    lines = np.searchsorted(np.flatnonzero(newline), starts) + 1
    cells, lines = cells[filled], lines[filled]
    if len(cells) < 2:
        return []
    width = int(cells[0])
    short = np.flatnonzero(cells[1:] < width) + 1
    out = [Diagnostic(
        "TS417", f"{dataset}: line {int(lines[i])} has {int(cells[i])} of the header's {width} cells; "
        "the missing cells are read as empty", Span(shown, int(lines[i]), 1, int(lines[i]), 2),
        "Complete the row (a lost delimiter, or a row cut short by the export); an empty cell "
        "is written as nothing between two delimiters.",
        context=(("dataset", dataset), ("row", int(lines[i])))) for i in short[:SHOW]]
    if len(short) > SHOW:
        i = short[SHOW]
        out.append(Diagnostic(
            "TS417", f"{dataset}: {len(short) - SHOW:,} more rows shorter than the header "
            f"({len(short):,} in all)", Span(shown, int(lines[i]), 1, int(lines[i]), 2),
            "Complete the rows; the export cut them short.", context=(("dataset", dataset),)))
    return out
