"""SAS files read exactly: XPT v5 and v8 (synthetic fixtures with zeros, negatives, tiny values,
special missing values and blanks; tests/fixtures/sdtm/make_xpt.py writes them) and SAS7BDAT
(a real SDTM EX from phuse-scripts), against pyreadstat and against what pandas gets wrong."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trialspec.engine.files import format_of
from trialspec.engine.pandas.missing import mark_missing
from trialspec.engine.pandas.read import read_table
from trialspec.pipeline import check

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sdtm"
EXPECTED = [0.0, -1.5, 1e-10, 123456.789, None, None, None, None, 0.0]  # . .A .Z ._ are missing


@pytest.mark.parametrize("version", [5, 8])
def test_xpt_numbers_are_exact_and_special_missing_values_missing(version: int) -> None:
    df = read_table(FIXTURES / f"lb_v{version}.xpt", "xpt")
    values = df["LBSTRESN"].tolist()
    assert len(values) == len(EXPECTED)
    for got, want in zip(values, EXPECTED, strict=True):
        if want is None:
            assert math.isnan(got)
        else:
            assert got == want  # exactly: the zero is 0.0, not 16**-65
    assert df["LBSTRESC"].tolist()[4:8] == ["", "", "NOT DONE", ""]  # blanks as SAS stores them


def test_pandas_own_xport_reader_misreads_the_zero() -> None:
    """Why trialspec reads XPT through pyreadstat: pandas decodes the IBM-float zero as 16**-65."""
    wrong = pd.read_sas(FIXTURES / "lb_v5.xpt", format="xport")["LBSTRESN"]
    assert wrong.iloc[0] == 16.0 ** -65 != 0.0
    assert read_table(FIXTURES / "lb_v5.xpt", "xpt")["LBSTRESN"].iloc[0] == 0.0


def test_sas7bdat_is_read_through_pyreadstat() -> None:
    path = FIXTURES / "ex_fda.sas7bdat"
    ours = read_table(path, format_of(path, None) or "")
    theirs, _meta = pyreadstat.read_sas7bdat(str(path))
    pd.testing.assert_frame_equal(ours, theirs)
    assert int((ours["EXDOSE"] == 0).sum()) == 50  # the placebo doses


def test_an_unreadable_sas_file_is_a_value_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.xpt"
    bad.write_bytes(b"HEADER RECORD" + b"\0" * 100)
    with pytest.raises(ValueError, match="XPT"):
        read_table(bad, "xpt")


def test_blank_text_is_missing_under_the_sdtm_rule() -> None:
    df = read_table(FIXTURES / "lb_v5.xpt", "xpt")
    marked = mark_missing(df, blank=True)
    assert marked["LBSTRESC"].tolist()[4:8] == [None, None, "NOT DONE", None]
    assert df["LBSTRESC"].tolist()[4] == ""  # the input is not changed
    assert mark_missing(df, blank=False) is df


def test_missing_tokens_of_a_csv() -> None:
    df = pd.DataFrame({"a": ["1", "NA", " . ", "x", None], "b": np.arange(5)})
    marked = mark_missing(df, blank=False, tokens=("NA", "."))
    assert marked["a"].tolist() == ["1", None, None, "x", None]
    assert marked["b"].tolist() == [0, 1, 2, 3, 4]


PROTOCOL = """\
trialspec: 1
study: {id: XPT}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    columns:
      arm: {type: category, levels: [A, B]}
  lb:
    source: lb_v5.xpt
    subject: USUBJID
    columns:
      value: {source: LBSTRESN, type: number, unit: U/L}
      text: {source: LBSTRESC, type: string}
      date: {source: LBDTC, type: date}
definitions:
  zero: any(lb where value == 0 U/L)
  negative: any(lb where value < 0 U/L)
  not_done: any(lb where text == "NOT DONE")
eligibility:
  inclusion:
    I1: {text: a zero result, when: zero}
    I2: {text: no negative result, when: not negative}
    I3: {text: some test not done, when: not_done}
"""


def _study(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "lb_v5.xpt").write_bytes((FIXTURES / "lb_v5.xpt").read_bytes())
    ids = [f"S0{i}" for i in range(1, 10)]
    (data / "dm.csv").write_text("USUBJID,arm\n" + "".join(f"{s},A\n" for s in ids), encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PROTOCOL, encoding="utf-8")
    return tmp_path


def test_xpt_through_the_pipeline(tmp_path: Path) -> None:
    root = _study(tmp_path)
    result = check(root / "p.yaml", root / "data")
    codes = [d.code for d in result.all_findings]
    # one TS410, for the impossible date 2014-02-30; the blank dates are missing, not errors
    assert codes.count("TS410") == 1
    assert not any(c in ("TS406", "TS408", "TS409") for c in codes)
    outcomes = result.section("eligibility").summary["subjects"]["outcomes"]
    assert outcomes["I1"][0] == "pass" and outcomes["I1"][8] == "pass"  # EXDOSE-like zeros are 0
    assert outcomes["I1"][1] == "fail"  # -1.5 is not zero
    assert outcomes["I1"][4] == "unknown"  # `.`: missing, so unknown, never a number
    assert outcomes["I1"][5:8] == ["unknown"] * 3  # .A .Z ._
    assert outcomes["I2"][1] == "fail"
    # a blank text is missing: "NOT DONE" matches only S07, the blank rows are unknown
    assert outcomes["I3"][6] == "pass"
    assert outcomes["I3"][4] == "unknown" and outcomes["I3"][0] == "fail"


def test_the_python_api_applies_the_declared_missing_rules(tmp_path: Path) -> None:
    import trialspec

    protocol = PROTOCOL.replace("    source: lb_v5.xpt\n", "    source: lb.csv\n    standard: sdtm\n")
    protocol = protocol.replace("    source: dm.csv\n", "    source: dm.csv\n    missing: [\"NA\"]\n")
    (tmp_path / "p.yaml").write_text(protocol, encoding="utf-8")
    lb = read_table(FIXTURES / "lb_v5.xpt", "xpt")
    dm = pd.DataFrame({"USUBJID": [f"S0{i}" for i in range(1, 10)], "arm": ["A"] * 8 + ["NA"]})
    study = trialspec.run(tmp_path / "p.yaml", tables={"dm": dm, "lb": lb})
    codes = [d.code for d in study.result.all_findings]
    assert codes.count("TS410") == 1 and "TS409" not in codes  # blank dates and "NA" are missing


def test_is_sdtm_by_format_and_declaration() -> None:
    from trialspec.engine.files import is_sdtm

    assert is_sdtm(None, "xpt") and is_sdtm(None, "dataset-json") and is_sdtm("sdtm", "csv")
    assert not is_sdtm(None, "csv") and not is_sdtm("none", "xpt")
