"""The Python API: the same results from a folder and from DataFrames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trialspec

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"


def test_run_on_folder_and_on_frames_agree() -> None:
    folder = trialspec.run(SEED, data=DATA)
    frames = trialspec.run(SEED, tables={"subjects": pd.read_csv(DATA / "subjects.csv"),
                                         "labs": pd.read_csv(DATA / "lb.csv")})
    pd.testing.assert_frame_equal(folder.eligibility, frames.eligibility)
    assert folder.eligibility.loc["P02", "I1"] == "fail"
    assert folder.eligibility.loc["P18", "status"] == "indeterminate"
    assert folder.attrition.loc["I4", "gain"] == 2


def test_explain_gives_frames() -> None:
    tables = trialspec.run(SEED, data=DATA).explain("P13")
    i2 = next(t for t in tables if t.attrs["title"].startswith("I2 fails"))
    assert "prior_cycles >= 2" in set(i2["clause"].str.strip())


def test_protocol_errors_raise_with_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SEED.read_text("utf-8").replace("when: ecog in [0, 1, 2]", "when: ecgo in [0, 1, 2]"),
                   "utf-8")
    with pytest.raises(trialspec.ProtocolError) as info:
        trialspec.run(bad, data=DATA)
    assert [d.code for d in info.value.diagnostics] == ["TS301"]


def test_exactly_one_data_source() -> None:
    with pytest.raises(TypeError):
        trialspec.run(SEED)


@pytest.mark.parametrize("table", [{"subject_id": ["P01"]}, pd.Series(["P01"], name="subject_id"),
                                   np.rec.fromrecords([("P01",)], names="subject_id")])
def test_tables_that_are_not_dataframes_are_a_type_error_naming_the_dataset(table: object) -> None:
    with pytest.raises(TypeError, match="tables= takes a pandas DataFrame per dataset: 'subjects' is a"):
        trialspec.run(SEED, tables={"subjects": table})
