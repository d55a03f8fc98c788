"""The new expression forms end to end on a SYNTHETIC SDTM-like study
(tests/fixtures/sdtm_expr: make_data.py writes the CSVs; protocol.yaml uses each form).

Outcomes per subject are held against a hand-derived table (make_data.py says why each row
decides what it decides) and, for the range and count criteria, against plain pandas."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trialspec
from trialspec.pipeline import explain_subject

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "sdtm_expr"
PROTOCOL = HERE / "protocol.yaml"

# exclusion columns read "fail" when the exclusion is met
EXPECTED = pd.DataFrame.from_dict({
    "S01": ["pass", "pass", "fail", "fail", "pass", "pass", "ineligible"],
    "S02": ["fail", "fail", "pass", "pass", "fail", "pass", "ineligible"],
    "S03": ["pass", "fail", "fail", "pass", "pass", "pass", "ineligible"],
    "S04": ["pass", "pass", "fail", "pass", "pass", "fail", "ineligible"],
    "S05": ["unknown", "pass", "unknown", "fail", "pass", "pass", "ineligible"],
    "S06": ["pass", "unknown", "pass", "pass", "unknown", "pass", "indeterminate"],
    "S07": ["pass", "pass", "unknown", "unknown", "pass", "pass", "indeterminate"],
    "S08": ["pass", "pass", "pass", "pass", "pass", "pass", "eligible"],
}, orient="index", columns=["I1", "I2", "E1", "E2", "E3", "E4", "status"])


@pytest.fixture(scope="module")
def result() -> trialspec.Study:
    return trialspec.run(PROTOCOL, data=HERE)


def test_every_criterion_as_derived_by_hand(result: trialspec.Study) -> None:
    got = result.eligibility[EXPECTED.columns].astype(str)
    got.index = got.index.astype(str)
    pd.testing.assert_frame_equal(got, EXPECTED, check_names=False)


def _tri(true: pd.Series, known: pd.Series) -> pd.Series:
    return pd.Series(np.where(~known, "unknown", np.where(true, "yes", "no")), index=true.index)


def test_alt_against_each_rows_own_uln_agrees_with_plain_pandas(result: trialspec.Study) -> None:
    lb = pd.read_csv(HERE / "lb.csv")
    alt = lb[lb.LBTESTCD == "ALT"].copy()
    to_ul = alt.LBSTRESU.map({"U/L": 1.0, "ukat/L": 60.0})  # 1 ukat/L = 60 U/L
    value, uln = alt.LBSTRESN * to_ul, alt.LBSTNRHI * to_ul
    over = (value > 3 * uln).groupby(alt.USUBJID).any()
    unknown = (value.isna() | uln.isna()).groupby(alt.USUBJID).any()
    want = _tri(over, over | ~unknown).map({"yes": "fail", "no": "pass", "unknown": "unknown"})
    assert result.eligibility["E1"].to_dict() == want.to_dict()


def test_free_t4_within_its_range_agrees_with_plain_pandas(result: trialspec.Study) -> None:
    lb = pd.read_csv(HERE / "lb.csv")
    ft4 = lb[(lb.LBTESTCD == "FT4") & (lb.VISIT == "SCREENING")].set_index("USUBJID")
    low_ok, high_ok = ft4.LBSTRESN >= ft4.LBSTNRLO, ft4.LBSTRESN <= ft4.LBSTNRHI
    false = (ft4.LBSTNRLO.notna() & ~low_ok) | (ft4.LBSTNRHI.notna() & ~high_ok)
    known = false | (ft4.LBSTNRLO.notna() & ft4.LBSTNRHI.notna())
    want = _tri(low_ok & high_ok & known, known).map({"yes": "pass", "no": "fail", "unknown": "unknown"})
    assert result.eligibility["I2"].to_dict() == want.to_dict()


def test_distinct_antipsychotics_agree_with_plain_pandas(result: trialspec.Study) -> None:
    cm = pd.read_csv(HERE / "cm.csv")
    n = cm[cm.CMCLAS.str.contains("PSYCHOTIC")].groupby("USUBJID").CMDECOD.nunique()
    met = n.reindex(result.eligibility.index, fill_value=0) >= 2
    assert result.eligibility["E4"].to_dict() == met.map({True: "fail", False: "pass"}).to_dict()


def test_explain_shows_the_rows_limits(tmp_path: Path) -> None:
    _result, tables = explain_subject(PROTOCOL, HERE, "S06")
    i2 = next(t for t in tables if t.title.startswith("I2"))
    cells = {row[0].strip(): row[1] for row in i2.rows}
    assert cells["screening.ft4@uln"] == "22 pmol/L"
    assert cells["screening.ft4@lln"] == "missing"


def test_crossed_range_is_a_warning_and_is_read_as_it_is(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(HERE, data, ignore=shutil.ignore_patterns("*.py", "*.yaml"))
    lb = pd.read_csv(data / "lb.csv")
    row = lb.index[(lb.USUBJID == "S08") & (lb.LBTESTCD == "FT4")][0]
    lb.loc[row, ["LBSTNRLO", "LBSTNRHI"]] = [22.0, 12.0]
    lb.to_csv(data / "lb.csv", index=False)
    result = trialspec.run(PROTOCOL, data=data)
    found = result.findings[result.findings.code == "TS440"]
    assert list(found.severity) == ["warning"]
    first = found.iloc[0]
    assert (first.file.endswith("lb.csv"), first.line, first.col) == (True, row + 2, 6)  # header: line 1
    # the message names both limits' columns, the value shown being the upper one
    assert "upper limit of normal (LBSTNRHI) below the lower limit (LBSTNRLO): 12.0 for subject S08" \
        in first.message
    assert result.eligibility.loc["S08", "I2"] == "fail"


def test_explain_shows_both_arms_of_if() -> None:
    _result, tables = explain_subject(PROTOCOL, HERE, "S06")
    i1 = next(t for t in tables if t.title.startswith("I1"))
    cells = {row[0].strip(): (row[1], row[2]) for row in i1.rows}
    assert cells["sex == F"] == ("M == F", "false")
    assert cells["age >= 50 years"] == ("59 years >= 50 years", "true")


WIDE = """\
trialspec: 1
study: {id: WIDE, title: A range on a wide table}
datasets:
  subjects:
    key: id
    columns:
      alt: {type: number, unit: U/L, unit_column: alt_unit, range: {low: alt_lo, high: alt_hi}}
eligibility:
  inclusion:
    I1: {text: ALT at most 2.5 x ULN, when: alt <= 2.5 x ULN}
    I2: {text: ALT not below normal, when: alt >= lln(alt)}
"""


def test_range_on_a_wide_table_converts_with_the_rows_unit(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text(WIDE, "utf-8")
    subjects = pd.DataFrame({
        "id": ["A", "B", "C", "D"],
        "alt": [100.0, 1.5, 30.0, 5.0],
        "alt_unit": ["U/L", "ukat/L", "U/L", "U/L"],
        "alt_lo": [7.0, 0.12, np.nan, 7.0],
        "alt_hi": [40.0, 0.68, 40.0, np.nan],
    })
    got = trialspec.run(path, tables={"subjects": subjects}).eligibility
    # B: 1.5 ukat/L = 90 U/L against 2.5 x 0.68 ukat/L = 102 U/L; D has no ULN
    assert got["I1"].to_dict() == {"A": "pass", "B": "pass", "C": "pass", "D": "unknown"}
    assert got["I2"].to_dict() == {"A": "pass", "B": "pass", "C": "unknown", "D": "fail"}


def test_rows_of_unknown_subjects_in_a_long_table_read_by_row_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(HERE, data, ignore=shutil.ignore_patterns("*.py", "*.yaml"))
    lb = pd.read_csv(data / "lb.csv")
    extra = lb.iloc[[0]].assign(USUBJID="S99", LBTESTCD="ALT", LBSTRESN=500.0)
    pd.concat([lb, extra]).to_csv(data / "lb.csv", index=False)
    result = trialspec.run(PROTOCOL, data=data)
    found = result.findings
    orphans = found[(found.code == "TS412") & found.message.str.startswith("labs.")]
    assert len(orphans) == 1 and "S99" in orphans.message.iloc[0]
    first = orphans.iloc[0]
    assert (first.file.endswith("lb.csv"), first.line, first.col) == (True, len(lb) + 2, 1)
    assert result.eligibility["E1"].to_dict() == EXPECTED["E1"].to_dict()  # S99's ALT is no one's
