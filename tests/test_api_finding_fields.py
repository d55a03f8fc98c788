"""Dosing (TS5xx) and data (TS4xx) findings carry their subject, dataset, column and row as
structured fields (Diagnostic.context), on every example.

The fields are set where each finding is produced; this test parses the MESSAGE (only here,
as an independent check) and compares what it names with the fields of `study.findings`.
A message's "row N" is the file's N-th data row; the `row` field is that row's file line,
which the test works out from the file itself (CSV: the header and blank lines counted).
"""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import trialspec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = {
    "seed": ("seed-rd-rrmm.yaml", "seed"),
    "t2dm": ("t2dm-glucoflozin.yaml", "t2dm-glucoflozin"),
    "rchop21": ("rchop21.yaml", "rchop21"),
    "cdiscpilot01": ("cdiscpilot01.yaml", "cdiscpilot01"),
}
DEVIATIONS = {"TS501", "TS502", "TS503", "TS504", "TS505", "TS506", "TS507", "TS508", "TS509", "TS510",
              "TS511", "TS531", "TS533"}
# "ex row 12 (P03, lenalidomide, 2014-12-01, 25 mg): ..."
EXPOSURE_ROW = re.compile(r"^(?P<dataset>\w+) row (?P<n>\d+) \((?P<subject>[^,]+), ")
# "dm.age: not a number: 'sixty' for subject P03 (row 3)" / "... for row 3"
CELL = re.compile(r"^(?P<dataset>[^.\s:]+)\.(?P<column>[^:\s]+): .* for "
                  r"(?:(?P<noun>subject|study) (?P<subject>.+) \(row (?P<n>\d+)\)|row (?P<n2>\d+))$")
MORE_CELLS = re.compile(r"^(?P<dataset>[^.\s:]+)\.(?P<column>[^:\s]+): [\d,]+ more rows like these")
SHORT_LINE = re.compile(r"^(?P<dataset>\S+): line (?P<n>\d+) has \d+ of the header's")
NAMED_DATASET = re.compile(r"^dataset '(?P<dataset>[^']+)'")
NO_COLUMN = re.compile(r"^dataset '(?P<dataset>[^']+)' has no column '(?P<column>[^']+)'")


def _run(protocol: Path, data: Path) -> pd.DataFrame:
    return trialspec.run(protocol, data=data).findings


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def example(request: pytest.FixtureRequest) -> tuple[str, Path, Path, pd.DataFrame]:
    protocol, folder = EXAMPLES[request.param]
    paths = ROOT / "protocols" / protocol, ROOT / "examples" / folder / "data"
    return request.param, *paths, _run(*paths)


@cache
def _sources(protocol: Path, data: Path) -> dict[str, Path]:
    doc = yaml.safe_load(protocol.read_text(encoding="utf-8"))
    return {ds: data / str(spec["source"])
            for ds, spec in doc["datasets"].items() if isinstance(spec, dict) and "source" in spec}


def _data_lines(path: Path) -> list[int]:
    """The file line of each data row of a CSV (after the header; blank lines skipped)."""
    text = path.read_text(encoding="utf-8-sig").splitlines()
    lines = [i for i, line in enumerate(text, 1) if line.strip()]
    return lines[1:]


def _line_of(where: tuple[Path, Path], dataset: str, n: int) -> int:
    """The file line of data row n (1-based) of a dataset: its CSV line; for formats without
    lines (XPT, Parquet, Dataset-JSON) the row number itself."""
    path = _sources(*where)[dataset]
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _data_lines(path)[n - 1]
    return n


def _check(where: tuple[Path, Path], row: Any) -> str:
    """Compare one finding's fields with what its message names; say which kind it was."""
    msg, code = row.message, row.code
    if code.startswith("TS5") and (m := EXPOSURE_ROW.match(msg)):
        assert (row.dataset, str(row.subject)) == (m["dataset"], m["subject"]), msg
        assert row.row == _line_of(where, m["dataset"], int(m["n"])), msg
        return "exposure row"
    if code in DEVIATIONS and " more " not in msg:
        assert str(row.subject) == msg.split()[0], msg
        return "deviation"
    if code.startswith("TS4") and (m := CELL.match(msg)):
        n = int(m["n"] or m["n2"])
        assert (row.dataset, row.column) == (m["dataset"], m["column"]), msg
        assert row.row == _line_of(where, m["dataset"], n), msg
        if m["noun"] == "subject":
            assert str(row.subject) == m["subject"], msg
        else:
            assert pd.isna(row.subject), msg
        assert not pd.isna(row.value), msg
        return "cell"
    if code.startswith("TS4") and (m := MORE_CELLS.match(msg)):
        assert (row.dataset, row.column) == (m["dataset"], m["column"]), msg
        return "more cells"
    if code == "TS417" and (m := SHORT_LINE.match(msg)):
        assert (row.dataset, row.row) == (m["dataset"], int(m["n"])), msg
        return "short line"
    if code.startswith("TS4") and (m := NO_COLUMN.match(msg)):
        assert (row.dataset, row.column) == (m["dataset"], m["column"]), msg
        return "no column"
    if code.startswith("TS4") and (m := NAMED_DATASET.match(msg)):
        assert row.dataset == m["dataset"], msg
        return "dataset"
    # a finding that names no subject, row or dataset (an "n more" count)
    assert " more " in msg or not re.search(r"\brow \d+", msg), msg
    return "other"


def _kinds(where: tuple[Path, Path], f: pd.DataFrame) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for row in f[f.code.str.startswith("TS4") | f.code.str.startswith("TS5")].itertuples():
        kind = _check(where, row)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


# what each example's dosing and data findings are (by message), each checked against its fields
SEEN = {"seed": {"deviation": 13}, "t2dm": {"deviation": 13, "exposure row": 1},
        "rchop21": {"deviation": 15, "exposure row": 1}, "cdiscpilot01": {"deviation": 7, "exposure row": 6}}


def test_dosing_and_data_findings_carry_what_their_message_names(
        example: tuple[str, Path, Path, pd.DataFrame]) -> None:
    name, protocol, data, f = example
    assert _kinds((protocol, data), f) == SEEN[name]


def test_bad_cells_and_exposure_rows_carry_their_fields(tmp_path: Path) -> None:
    """The seed's data with bad cells, an orphan, a short row and blank lines (which shift
    the file lines): every TS4xx and TS5xx finding names the dataset, row and subject."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "seed" / "data", data)
    protocol = tmp_path / "p.yaml"
    shutil.copy(ROOT / "protocols" / "seed-rd-rrmm.yaml", protocol)

    def edit(file: str, change: Any) -> None:
        lines = (data / file).read_text(encoding="utf-8").splitlines()
        (data / file).write_text("\n".join(change(lines)) + "\n", encoding="utf-8")

    def subjects(lines: list[str]) -> list[str]:
        cells = lines[3].split(",")
        cells[2], cells[3] = "sixty", "unknown"  # age, sex of the third subject
        lines[3] = ",".join(cells)
        lines.insert(5, "")  # a blank line: the rows after it are one line further down
        cells = lines[8].split(",")
        cells[-2] = "2014-13-45"  # a date that is no date, after the blank line
        lines[8] = ",".join(cells)
        lines[10] = ",".join(lines[10].split(",")[:-3])  # a row cut short
        return lines

    def exposure(lines: list[str]) -> list[str]:
        lines.insert(3, "")
        lines[6] = lines[6].replace("lenalidomide", "aspirin").replace("dexamethasone", "aspirin")
        return lines

    edit("subjects.csv", subjects)
    edit("exposure.csv", exposure)
    edit("lb.csv", lambda lines: [*lines, lines[-1].replace(lines[-1].split(",")[0], "P99", 1)])
    f = _run(protocol, data)
    kinds = _kinds((protocol, data), f)
    assert kinds["cell"] >= 4 and kinds["short line"] == 1 and kinds["exposure row"] >= 1, kinds
    cells = f[f.code.isin(["TS406", "TS409", "TS410"])]
    assert set(cells.subject) == {"P03", "P07"} and set(cells.dataset) == {"subjects"}, cells.message.tolist()
    orphan = f[f.code == "TS412"].iloc[0]
    assert (orphan.subject, orphan.dataset, orphan.column, orphan.value) == (None, "labs", "USUBJID", "P99")
    assert orphan.row == orphan.line == 191, orphan.message  # "for row 190": no subject, by its row
    shifted = f[f.code == "TS410"].iloc[0]
    assert shifted.row == shifted.line == 9, shifted.message  # data row 7, below a blank line
