"""Data files past a limit are not read (TS416), and short CSV rows are findings (TS417)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from trialspec.engine import limits
from trialspec.engine.limits import refuse_reading, short_rows


def _bomb(path: Path, inflated: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b" " * inflated)
    return path


def test_an_xlsx_bomb_is_refused_in_milliseconds_before_openpyxl(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.xlsx", 50 << 20)
    assert bomb.stat().st_size < 100_000  # about 50 KB that inflates to 50 MB, as reported
    start = time.perf_counter()
    reason = refuse_reading(bomb, "xlsx")
    assert reason is not None and "ZIP bomb" in reason and "100 times" in reason
    assert time.perf_counter() - start < 1.0


def test_an_xlsx_larger_than_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_XLSX_BYTES", 1 << 20)
    reason = refuse_reading(_bomb(tmp_path / "big.xlsx", 2 << 20), "xlsx")
    assert reason is not None and "more than the 1 MiB" in reason


def test_a_real_workbook_is_read(tmp_path: Path) -> None:
    path = tmp_path / "real.xlsx"
    pd.DataFrame({"subject_id": [f"S{i:03}" for i in range(2000)], "age": range(2000)}).to_excel(
        path, index=False, engine="openpyxl")
    assert refuse_reading(path, "xlsx") is None


def test_a_file_larger_than_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10)
    path = tmp_path / "a.csv"
    path.write_text("subject_id\nS01\nS02\n", "utf-8")
    assert "larger than" in (refuse_reading(path, "csv") or "")


def _short(tmp_path: Path, text: str, sep: str = ",") -> list[tuple[int, str]]:
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    return [(d.span.line, d.message) for d in short_rows(path, str(path), "t", sep) if d.span]


def test_short_rows_are_found_at_their_file_line(tmp_path: Path) -> None:
    found = _short(tmp_path, "a,b,c\n1,2,3\n\n4,5\n6,7,8\n9\n")
    assert [line for line, _ in found] == [4, 6]
    assert "has 2 of the header's 3 cells" in found[0][1]


def test_quoted_delimiters_and_line_breaks_do_not_count(tmp_path: Path) -> None:
    text = 'a,b,c\n"x, y",2,3\n"multi\nline",5,6\n7,"8,9"\n'
    assert [line for line, _ in _short(tmp_path, text)] == [5]


def test_bom_crlf_semicolons_and_no_final_line_break(tmp_path: Path) -> None:
    [(line, message)] = _short(tmp_path, "\ufeffa;b\r\n1;2\r\n3", sep=";")
    assert line == 3 and message.startswith("t: line 3 has 1 of the header's 2 cells")
    assert _short(tmp_path, "a,b\n1,2\n") == [] and _short(tmp_path, "") == []


def test_many_short_rows_are_counted_in_one_more(tmp_path: Path) -> None:
    found = _short(tmp_path, "a,b\n" + "1\n" * 100)
    assert len(found) == limits.SHOW + 1 and "80 more rows" in found[-1][1]
