"""The CDISC pilot (examples/cdiscpilot01, protocols/cdiscpilot01.yaml): the protocol's counts
against the same counts computed here with plain pandas, reading the files with pyreadstat and
the json module (never with trialspec's readers)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from trialspec.pipeline import check
from trialspec.results import CheckResult
from trialspec.units import parse_unit

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "cdiscpilot01" / "data"
PROTOCOL = ROOT / "protocols" / "cdiscpilot01.yaml"
ARMS = {"placebo": "Placebo", "xan_low": "Xanomeline Low Dose", "xan_high": "Xanomeline High Dose"}


def xpt(name: str) -> pd.DataFrame:
    return pyreadstat.read_xport(str(DATA / f"{name}.xpt"))[0]


def dataset_json(name: str) -> pd.DataFrame:
    path = next(DATA.glob(f"{name}.*"))
    raw = path.read_bytes()
    if path.suffix == ".dsjc":
        raw = zlib.decompress(raw)
    if path.suffix == ".json":
        whole = json.loads(raw)
        meta, rows = whole, whole["rows"]
    else:
        lines = raw.decode("utf-8").splitlines()
        meta, rows = json.loads(lines[0]), [json.loads(x) for x in lines[1:]]
    return pd.DataFrame(rows, columns=[c["name"] for c in meta["columns"]])


@pytest.fixture(scope="module")
def result() -> CheckResult:
    return check(PROTOCOL, DATA)


@pytest.fixture(scope="module")
def dm() -> pd.DataFrame:
    return xpt("dm")


def outcomes(result: CheckResult, criterion: str) -> pd.Series:
    subjects = result.section("eligibility").summary["subjects"]
    return pd.Series(subjects["outcomes"][criterion], index=subjects["id"])


def analysis(result: CheckResult, name: str) -> dict[str, Any]:
    return {g["label"]: g for g in result.section("analyses").summary["analyses"][name]["groups"]}


def test_check_reads_the_data_clean(result: CheckResult) -> None:
    codes = sorted({d.code for d in result.all_findings})
    # no TS410 for blank dates, no TS408 unit, no TS406 number: only the dosing findings of
    # the real EX data (next test) and its six blank end dates, read as one day (TS512)
    assert codes == ["TS508", "TS512"], codes
    assert sum(d.code == "TS512" for d in result.all_findings) == 6
    assert result.section("eligibility").summary["screened"] == 306
    claims = result.section("claims").summary
    assert claims["counts"]["reproduced"] == claims["claims"] == 52  # incl. the 7 ANCOVA rows


def test_arms_and_demographics(result: CheckResult, dm: pd.DataFrame) -> None:
    randomized = dm[dm["ARM"] != "Screen Failure"]
    counts = analysis(result, "T14-1.01")
    female = analysis(result, "T14-2.01")
    age = analysis(result, "T14-2.01.age")
    for label, arm in ARMS.items():
        rows = randomized[randomized["ARM"] == arm]
        assert counts[label]["n"] == len(rows)
        assert female[label]["events"] == int((rows["SEX"] == "F").sum())
        assert age[label]["mean"] == pytest.approx(rows["AGE"].mean(), rel=1e-12)
    assert [counts[k]["n"] for k in ARMS] == [86, 84, 84]


def test_zero_doses_are_zero(result: CheckResult, dm: pd.DataFrame) -> None:
    ex = xpt("ex")
    assert int((ex["EXDOSE"] == 0).sum()) == 226  # pyreadstat: exact zeros
    zero = set(ex.loc[ex["EXDOSE"] == 0, "USUBJID"])
    groups = analysis(result, "exposure")
    for label, arm in ARMS.items():
        ids = set(dm.loc[dm["ARM"] == arm, "USUBJID"])
        assert groups[label]["events"] == len(ids & zero)
    assert groups["placebo"]["events"] > 0 and groups["xan_high"]["events"] == 0


BLANKS = """\
trialspec: 1
study: {id: BLANKS}
datasets:
  dm:
    source: dm.xpt
    key: USUBJID
    columns:
      death_flag: {source: DTHFL, type: category, levels: ["Y"]}
      consent_date: {source: RFICDTC, type: date}
      last_dose: {source: RFXENDTC, type: date}
  ex:
    source: ex.xpt
    subject: USUBJID
    columns:
      ex_end: {source: EXENDTC, type: date}
eligibility:
  inclusion:
    I1: {text: no death flag, when: death_flag is missing}
    I2: {text: no consent date, when: consent_date is missing}
    I3: {text: last dose recorded, when: last_dose is present}
    I4: {text: an exposure without end date, when: any(ex where ex_end is missing)}
"""


def test_blank_text_and_dates_are_missing(tmp_path: Path, dm: pd.DataFrame) -> None:
    (tmp_path / "p.yaml").write_text(BLANKS, encoding="utf-8")
    blanks = check(tmp_path / "p.yaml", DATA)
    assert [d.code for d in blanks.all_findings] == []  # 306 blank RFICDTC: no TS410
    criteria = {c["id"]: c for c in blanks.section("eligibility").summary["criteria"]}
    assert criteria["I1"]["pass"] == int((dm["DTHFL"] == "").sum()) == 303
    assert criteria["I2"]["pass"] == int((dm["RFICDTC"] == "").sum()) == 306
    assert criteria["I3"]["pass"] == int((dm["RFXENDTC"] != "").sum())
    ex = xpt("ex")
    assert criteria["I4"]["pass"] == ex.loc[ex["EXENDTC"] == "", "USUBJID"].nunique() > 0


def test_alzheimer_diagnosis_and_coverage(result: CheckResult, dm: pd.DataFrame) -> None:
    mh = xpt("mh")
    primary = (mh["MHCAT"] == "PRIMARY DIAGNOSIS") & (mh["MHTERM"] == "ALZHEIMER'S DISEASE")
    ad = set(mh.loc[primary, "USUBJID"])
    got = outcomes(result, "INCL02")
    screen_failures = set(dm.loc[dm["ARM"] == "Screen Failure", "USUBJID"])
    assert set(got[got == "pass"].index) == ad
    # MH covers the randomized only (complete_for): a screen failure without rows is unknown
    assert set(got[got == "unknown"].index) == screen_failures
    assert not (got == "fail").any()


def _at_screening(df: pd.DataFrame, prefix: str, codes: list[str], value: str, time: str) -> pd.DataFrame:
    rows = df[(df["VISIT"] == "SCREENING 1") & df[f"{prefix}TESTCD"].isin(codes)]
    rows = rows.sort_values(time, kind="stable").drop_duplicates(["USUBJID", f"{prefix}TESTCD"], keep="last")
    return rows.pivot(index="USUBJID", columns=f"{prefix}TESTCD", values=value)


def test_mmse_criterion(result: CheckResult, dm: pd.DataFrame) -> None:
    qs = dataset_json("qs")
    items = [f"MMITM0{i}" for i in range(1, 7)]
    wide = _at_screening(qs, "QS", items, "QSSTRESN", "QSDTC").reindex(dm["USUBJID"])
    total = wide[items].sum(axis=1, min_count=len(items))
    got = outcomes(result, "INCL03")
    known = total.notna()
    inside = known & total.between(10, 23)
    assert (got[known & inside] == "pass").all() and (got[known & ~inside] == "fail").all()
    assert (got[~known] == "unknown").all()
    assert int((known & ~inside).sum()) == int((got == "fail").sum()) == 2


def test_b12_and_thyroid_exclusion(result: CheckResult, dm: pd.DataFrame) -> None:
    lb = dataset_json("lb")
    lb = lb.assign(LBSTRESN=pd.to_numeric(lb["LBSTRESN"]))
    value = _at_screening(lb, "LB", ["TSH", "VITB12"], "LBSTRESN", "LBDTC").reindex(dm["USUBJID"])
    low = _at_screening(lb, "LB", ["TSH", "VITB12"], "LBSTNRLO", "LBDTC").reindex(dm["USUBJID"])
    high = _at_screening(lb, "LB", ["TSH", "VITB12"], "LBSTNRHI", "LBDTC").reindex(dm["USUBJID"])
    # Kleene OR of three comparisons: true if any is true, false if all are known and false
    parts = [(value["VITB12"], low["VITB12"], np.less), (value["TSH"], low["TSH"], np.less),
             (value["TSH"], high["TSH"], np.greater)]
    true = np.zeros(len(dm), bool)
    known = np.ones(len(dm), bool)
    for x, limit, op in parts:
        present = (x.notna() & limit.notna()).to_numpy()
        true |= present & op(x.to_numpy(dtype=float), limit.to_numpy(dtype=float))
        known &= present
    expected = np.where(true, "fail", np.where(known, "pass", "unknown"))
    got = outcomes(result, "EXCL28")
    assert got.tolist() == expected.tolist()
    assert int(true.sum()) == 21


def test_status_counts(result: CheckResult) -> None:
    counts = result.section("eligibility").summary["counts"]
    assert sum(counts.values()) == 306
    criteria = {c["id"]: c for c in result.section("eligibility").summary["criteria"]}
    assert len(criteria) == 31  # every TI criterion
    ti = xpt("ti")
    assert set(criteria) == set(ti["IETESTCD"])
    not_recorded = [c for c in criteria.values() if c["not_assessable"]]
    assert all(c["not_assessable"] == 306 and c["unknown"] == 0 for c in not_recorded)
    assert len(not_recorded) == 21  # 10 of the 31 are decided by DM, MH, CM, QS and LB


def test_every_lab_and_vital_sign_unit_is_registered() -> None:
    units = set(dataset_json("lb")["LBSTRESU"]) | set(dataset_json("vs")["VSSTRESU"])
    units.discard("")
    assert units == {"g/L", "U/L", "GI/L", "umol/L", "mmol/L", "1", "fmol(Fe)", "fL", "TI/L", "mU/L",
                     "pmol/L", "mmHg", "BEATS/MIN", "cm", "kg", "C"}
    for unit in units:
        parse_unit(unit)  # raises UnitError for an unknown one


TS = """\
trialspec: 1
study: {id: TS}
datasets:
  dm:
    source: dm.xpt
    key: USUBJID
    columns:
      age: {source: AGE, type: number, unit: years}
  ts:
    source: ts.xpt
    subject: STUDYID
    columns:
      parameter: {source: TSPARMCD, type: string}
      value: {source: TSVAL, type: string}
eligibility:
  inclusion:
    I1: {text: adult, when: age >= 18 years}
"""


def test_a_windows_1252_transport_file_is_read_with_a_warning(tmp_path: Path) -> None:
    from trialspec.engine.pandas.read import read_table

    ts = read_table(DATA / "ts.xpt", "xpt")
    assert "Patients with Probable Mild to Moderate Alzheimer\u2019s Disease" in ts["TSVAL"].tolist()
    (tmp_path / "p.yaml").write_text(TS, encoding="utf-8")
    found = [d for d in check(tmp_path / "p.yaml", DATA).all_findings if d.code == "TS421"]
    assert len(found) == 1 and found[0].severity.value == "warning" and "windows-1252" in found[0].message


@pytest.mark.parametrize("path", sorted(DATA.glob("*.xpt")), ids=lambda p: p.name)
def test_every_pilot_xpt_reads_as_pyreadstat_reads_it(path: Path) -> None:
    from trialspec.engine.pandas.read import read_table

    ours = read_table(path, "xpt")
    theirs = pyreadstat.read_xport(str(path), encoding="windows-1252")[0]  # ts.xpt is not UTF-8
    pd.testing.assert_frame_equal(ours, theirs)
    legacy = pd.read_sas(path, format="xport")
    for column in theirs.select_dtypes("number").columns:  # pandas: a zero is 5.4e-79
        zero = (theirs[column] == 0).to_numpy()
        assert not (legacy[column].to_numpy()[: len(zero)][zero] == 0).any()


def test_dosed_beyond_the_26_weeks_as_plain_pandas_finds() -> None:
    """TS508: exposure past 26 weeks + the 14-day `max_delay` (day 196 from the first patch on);
    a blank end date is the start date."""
    ex = xpt("ex")
    ex = ex[ex["EXSTDTC"] != ""]
    start = pd.to_datetime(ex["EXSTDTC"])
    end = pd.to_datetime(ex["EXENDTC"].where(ex["EXENDTC"] != "", ex["EXSTDTC"]))
    span = pd.DataFrame({"id": ex["USUBJID"], "s": start, "e": end}).groupby("id").agg(
        first=("s", "min"), last=("e", "max"))
    beyond = set(span.index[(span["last"] - span["first"]).dt.days >= 196])
    found = {d.message.split()[0] for d in check(PROTOCOL, DATA).all_findings if d.code == "TS508"}
    assert found == beyond and len(beyond) == 7


# -- CSR Tables 14-1.02, 14-5.01 and 14-3.01 (the claims of the `reported:` section) ---------

def claim_results(result: CheckResult, analysis_id: str) -> dict[str, dict[str, Any]]:
    return {c["claim"]: c for c in result.section("claims").summary["results"]
            if c["analysis"] == analysis_id}


def printed_count(result: CheckResult, path: str) -> int:
    """The count of a printed `k (p%)` claim."""
    for c in result.section("claims").summary["results"]:
        if c["claim"] == path:
            return int(c["printed"].split("(")[0])
    raise AssertionError(f"no claim {path}")


def test_end_of_study_table_as_adsl_counts_it(result: CheckResult) -> None:
    """Table 14-1.02 (ITT): completion at Week 24, early termination, and early termination for
    an adverse event, counted from ADSL with pandas; every printed cell is reproduced."""
    adsl = xpt("adam/adsl")
    itt = adsl[adsl["ITTFL"] == "Y"]
    early = itt["COMP24FL"] == "N"
    rows = {"completed_week24": itt["COMP24FL"] == "Y", "early_termination": early,
            "early_termination_ae": early & (itt["DCDECOD"] == "ADVERSE EVENT")}
    verdicts = claim_results(result, "T14-1.02")
    assert len(verdicts) == 9 and {v["status"] for v in verdicts.values()} == {"reproduced"}
    groups = analysis(result, "T14-1.02")
    for label, arm in ARMS.items():
        in_arm = itt["TRT01P"] == arm
        assert groups[label]["n"] == int(in_arm.sum())
        assert groups[label]["events"] == int((rows["completed_week24"] & in_arm).sum())
        for row, flag in rows.items():
            assert printed_count(result, f"T14-1.02.{row}.{label}") == int((flag & in_arm).sum())
    # ADSL's 40 high-dose discontinuations for an adverse event include one after Week 24
    high = itt["TRT01P"] == ARMS["xan_high"]
    assert int((high & (itt["DCDECOD"] == "ADVERSE EVENT")).sum()) == 40
    assert printed_count(result, "T14-1.02.early_termination_ae.xan_high") == 39


def test_any_treatment_emergent_adverse_event(result: CheckResult, dm: pd.DataFrame) -> None:
    """Table 14-5.01: subjects with an AE starting on or after the first dose (RFXSTDTC), per
    arm of the safety population, as plain pandas finds them (ISO dates compare as text; the
    partial AE start dates of these subjects do not decide it)."""
    ae = xpt("ae").merge(dm[["USUBJID", "RFXSTDTC"]], on="USUBJID")
    emergent = set(ae.loc[ae["AESTDTC"] >= ae["RFXSTDTC"], "USUBJID"])
    adsl = xpt("adam/adsl")
    safety = adsl[adsl["SAFFL"] == "Y"]
    groups = analysis(result, "T14-5.01")
    verdicts = claim_results(result, "T14-5.01")
    for label, arm in ARMS.items():
        ids = set(safety.loc[safety["TRT01P"] == arm, "USUBJID"])
        k = len(ids & emergent)
        assert groups[label]["n"] == len(ids)
        assert groups[label]["events"] == k == printed_count(result, f"T14-5.01.any_teae.{label}")
        claim = verdicts[f"T14-5.01.any_teae.{label}"]
        assert claim["status"] == "reproduced"
        assert float(claim["printed"].split("(")[1].rstrip("%)")) == round(100 * k / len(ids), 1)


def test_adas_cog_summaries_by_arm(result: CheckResult) -> None:
    """Table 14-3.01: n and the means of the ADAS-Cog(11) baseline, Week 24 and change from
    baseline per arm of the efficacy population, against pandas on the same files; each printed
    mean holds the pandas mean within its rounding."""
    adsl = xpt("adam/adsl")
    week24 = pd.read_csv(DATA / "analysis" / "week24.csv").merge(
        adsl[adsl["EFFFL"] == "Y"][["USUBJID", "TRT01P"]], on="USUBJID")
    for name, column in (("baseline", "BASE"), ("week24", "ADAS24"), ("change", "CHG")):
        groups = analysis(result, f"T14-3.01.{name}")
        verdicts = claim_results(result, f"T14-3.01.{name}")
        assert {v["status"] for v in verdicts.values()} == {"reproduced"}
        for label, arm in ARMS.items():
            values = week24.loc[week24["TRT01P"] == arm, column]
            assert groups[label]["n"] == len(values)
            assert groups[label]["mean"] == pytest.approx(values.mean(), rel=1e-12)
            printed = float(verdicts[f"T14-3.01.{name}.mean.{label}"]["printed"])
            assert abs(values.mean() - printed) <= 0.05 + 1e-12
    assert [analysis(result, "T14-3.01.baseline")[k]["n"] for k in ARMS] == [79, 81, 74]
