"""Units at check time: a unit the registry does not know, in the data or in the declaration
with a unit column, is a coded finding at its row (TS408), never a traceback; the CDISC
spellings convert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trialspec.engine.pandas.unit_column import convert_unit_column
from trialspec.pipeline import check
from trialspec.units import factor, parse_unit

PROTOCOL = """\
trialspec: 1
study: {id: U}
datasets:
  dm:
    source: dm.csv
    key: USUBJID
    columns:
      wbc: {type: number, unit_column: WBCU, unit: UNIT}
eligibility:
  inclusion:
    I1: {text: a count, when: wbc is present}
"""


def _study(tmp_path: Path, declared: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "dm.csv").write_text("USUBJID,wbc,WBCU\nS1,5.2,GI/L\nS2,6100,/uL\nS3,7,bogus\nS4,3,mEq/L\n",
                                 encoding="utf-8")
    (tmp_path / "p.yaml").write_text(PROTOCOL.replace("UNIT", declared), encoding="utf-8")
    return data


def test_unknown_units_are_findings_at_their_rows(tmp_path: Path) -> None:
    result = check(tmp_path / "p.yaml", _study(tmp_path, "10^9/L"))
    ts408 = [d for d in result.all_findings if d.code == "TS408"]
    assert len(ts408) == 2  # bogus, and mEq/L (no count per volume)
    assert all(d.span is not None and d.span.path.endswith("dm.csv") for d in ts408)


def test_an_unknown_declared_unit_is_said_at_the_protocol_before_any_data(tmp_path: Path) -> None:
    result = check(tmp_path / "p.yaml", _study(tmp_path, "mU/X"))
    found = [d for d in result.all_findings if d.code == "TS302"]
    assert len(found) == 1 and found[0].span is not None and found[0].span.path.endswith("p.yaml")
    assert not [d for d in result.all_findings if d.code == "TS408"]


def test_cdisc_spellings_convert() -> None:
    values, bad = convert_unit_column(np.array([5.2, 6100.0, 4.5, 30.0]),
                                      np.array(["GI/L", "/uL", "TI/L", "fmol(Fe)"], dtype=object), "10^9/L")
    assert values[:3].tolist() == pytest.approx([5.2, 6.1, 4500.0], rel=1e-12)  # TI/L is 10^12/L
    assert bad.tolist() == [False, False, False, True]  # fmol is an amount, not a count per litre
    assert factor(parse_unit("uIU/mL"), parse_unit("mU/L")) == 1.0
    assert factor(parse_unit("pg"), parse_unit("fmol(Fe)"), "hemoglobin") == pytest.approx(0.06206, rel=1e-3)
