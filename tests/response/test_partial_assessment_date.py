"""An assessment dated only to the month (2015-11) is placed on its first day, and said so
(TS628): before, the response date and the duration of response moved silently. A test on the
seed study's own data with one assessment's date cut to its month."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from trialspec.pipeline import check

ROOT = Path(__file__).resolve().parents[2]


def test_a_partial_assessment_date_is_a_finding_and_its_first_day(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "seed" / "data", data)
    path = next(p for p in data.iterdir() if "assess" in p.name and p.suffix == ".csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    date_column = next(c for c in table.columns if "date" in c.lower())
    row = 5
    day = table.loc[row, date_column]
    table.loc[row, date_column] = day[:7]  # 2015-11-02 -> 2015-11
    table.to_csv(path, index=False)
    result = check(ROOT / "protocols" / "seed-rd-rrmm.yaml", data)
    found = [d for d in result.section("response").findings if d.code == "TS628"]
    subject = table.loc[row].iloc[0]
    assert [d.message for d in found] == [
        f"{subject}: an assessment dated only to the month or year is placed on its first day, {day[:7]}-01"]
    assert found[0].span is not None and found[0].span.line == row + 2  # its line in the CSV
