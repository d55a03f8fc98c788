"""The CDISC pilot's three arms on its real SDTM EX data (examples/cdiscpilot01/data).

protocols/cdiscpilot01.yaml plans placebo patches (0 mg), xanomeline 54 mg, and the
high-dose arm titrated by visit: 54 mg from baseline, 81 mg from the WEEK 2 visit, 54 mg again
from the WEEK 24 visit (TA/TE: High_Start, High_Middle, High_End). Expected values are
computed here from ex.xpt directly with pandas, independently of the dosing code.

ex.xpt writes the placebo's EXDOSE 0; pandas' read_sas decodes it as 5.4e-79 and other
readers as 0. The tests hold for both: a placebo is judged by its count of patches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from trialspec.domain.treatment import run_dosing
from trialspec.engine import get_backend
from trialspec.engine.pandas.bind import bind
from trialspec.protocol import load_protocol_text
from trialspec.results import Section

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "cdiscpilot01.yaml"
DATA = ROOT / "examples" / "cdiscpilot01" / "data"


def check(text: str) -> Section:
    model, diags = load_protocol_text(text, str(PROTOCOL))
    assert model is not None and [d for d in diags if d.severity == "error"] == [], diags
    bound = bind(model, DATA)
    assert bound.frames is not None
    section = run_dosing(model, bound.frames, get_backend("pandas"))
    assert section is not None
    return section


@pytest.fixture(scope="module")
def pilot() -> Section:
    return check(PROTOCOL.read_text("utf-8"))


def text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else ("" if value is None else str(value))


@pytest.fixture(scope="module")
def ex() -> pd.DataFrame:
    """ex.xpt with DM's planned arm, and each row's days (EXSTDTC..EXENDTC, inclusive)."""
    ex = pd.read_sas(DATA / "ex.xpt", encoding="latin1")
    dm = pd.read_sas(DATA / "dm.xpt", encoding="latin1")
    for frame in (ex, dm):
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].map(text)
    ex = ex.merge(dm[["USUBJID", "ARMCD"]], on="USUBJID")
    ex = ex[ex.EXSTDTC != ""].copy()
    # a blank end date is a single-day administration (TS512, docs/sdtm.md)
    ex["EXENDTC"] = ex.EXENDTC.where(ex.EXENDTC != "", ex.EXSTDTC)
    ex["days"] = (pd.to_datetime(ex.EXENDTC) - pd.to_datetime(ex.EXSTDTC)).dt.days + 1
    return ex


def subjects(section: Section) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in section.summary["per_subject"]}


def test_the_titration_is_neither_a_reduction_nor_a_reescalation(pilot: Section, ex: pd.DataFrame) -> None:
    # the data do titrate: 72 high-dose subjects go 54 -> 81 mg, and 28 back to 54 mg
    hi = ex[ex.ARMCD == "Xan_Hi"]
    assert (hi.EXDOSE == 81).groupby(hi.USUBJID).any().sum() == 72
    assert ((hi.EXDOSE == 54) & (hi.VISIT == "WEEK 24")).groupby(hi.USUBJID).any().sum() == 28
    deviations = pilot.summary["deviations"]
    assert pilot.summary["dose_changes"] == []
    for code in ("TS501", "TS510", "TS511", "TS502", "TS503", "TS504"):
        assert deviations[code]["events"] == 0, (code, [f.message for f in pilot.findings if f.code == code])


def test_rdi_is_against_the_planned_dose_of_each_day(pilot: Section, ex: pd.DataFrame) -> None:
    """Planned: every day from the first patch to the last, at that day's step (54 mg from
    baseline, 81 from WEEK 2, 54 from WEEK 24); delivered: what EX says was given."""
    per = subjects(pilot)
    hi = ex[ex.ARMCD == "Xan_Hi"]
    delivered = (hi.EXDOSE * hi.days).groupby(hi.USUBJID).sum()
    assert len(delivered) == 84  # every randomized subject; a blank end date is one day
    for sid, amount in delivered.items():
        got = per[sid]["drugs"]["xanomeline"]
        assert got["delivered"] == pytest.approx(amount, rel=1e-9)
        assert got["planned"] == pytest.approx(amount, rel=1e-9)  # the patches were given as planned
        assert got["rdi"] == pytest.approx(1.0)
    # a subject on 81 mg: 14 days of 54 mg then 81 mg; RDI against 81 mg would be ~0.97
    sid = "01-701-1028"
    rows = hi[sid == hi.USUBJID]
    assert set(rows.EXDOSE) == {54.0, 81.0}
    assert per[sid]["drugs"]["xanomeline"]["planned"] == pytest.approx((rows.EXDOSE * rows.days).sum())
    assert per[sid]["drugs"]["xanomeline"]["planned"] < 81 * rows.days.sum()


def test_placebo_compliance_is_counted_in_patches(pilot: Section, ex: pd.DataFrame) -> None:
    dm = pd.read_sas(DATA / "dm.xpt", encoding="latin1")
    placebo = {text(s) for s, a in zip(dm.USUBJID, dm.ARMCD, strict=True) if text(a) == "Pbo"}
    assert len(placebo) == 86
    per = subjects(pilot)
    got = {s: per[s]["drugs"]["placebo"] for s in placebo if s in per}
    # all 86: 01-705-1018's only row has no EXENDTC, read as one day with a warning (TS512)
    assert set(got) == placebo
    assert any("01-705-1018" in f.message for f in pilot.findings if f.code == "TS512")
    pbo = ex[ex.ARMCD == "Pbo"]
    patches = pbo.days.groupby(pbo.USUBJID).sum()
    for sid, p in got.items():
        assert p["administrations_given"] == patches[sid]
        assert p["compliance"] == pytest.approx(p["administrations_given"] / p["administrations_planned"])
        assert p["rdi"] == p["compliance"]  # a 0 mg placebo's intensity is its compliance
    assert pilot.summary["dose_intensity"]["Pbo/placebo"]["subjects"] == 86


def test_missed_patches_lower_placebo_compliance() -> None:
    """Cut 10 days out of one placebo subject's WEEK 2 interval: 10 patches are missed
    (TS503), and compliance counts the patches that are left."""
    from trialspec.engine.pandas.bind import bind_frames

    model, _ = load_protocol_text(PROTOCOL.read_text("utf-8"), str(PROTOCOL))
    assert model is not None
    tables = {}
    for name in ("dm", "ex"):
        frame = pd.read_sas(DATA / f"{name}.xpt", encoding="latin1")
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].map(text)
        tables[name] = frame
    ex = tables["ex"]
    sid = "01-701-1015"
    row = ex.index[(sid == ex.USUBJID) & (ex.VISIT == "WEEK 2")][0]  # 2014-01-17 .. 2014-06-18
    cut = ex.loc[[row]].copy()
    ex.loc[row, "EXENDTC"] = "2014-01-31"
    cut["EXSTDTC"] = "2014-02-11"  # 2014-02-01 .. 2014-02-10 without a patch
    tables["ex"] = pd.concat([ex, cut], ignore_index=True)
    bound = bind_frames(model, tables)
    assert bound.frames is not None
    section = run_dosing(model, bound.frames, get_backend("pandas"))
    assert section is not None
    placebo = subjects(section)[sid]["drugs"]["placebo"]
    assert placebo["administrations_planned"] == 182 and placebo["administrations_given"] == 172
    assert placebo["compliance"] == pytest.approx(172 / 182) and placebo["rdi"] == placebo["compliance"]
    missed = [f.message for f in section.findings if f.code == "TS503"]
    assert missed == [f"{sid} placebo cycle 1 days 31-40 (2014-02-01 to 2014-02-10): planned 0 mg, "
                      "no dose within +/-0 day(s)"]


def test_the_fixed_dose_workaround_would_have_raised_false_findings() -> None:
    """The issue's workaround (81 mg, 54 mg as a reduction, re-escalation allowed) labels the
    titration as dose changes and measures the 54 mg run-in against 81 mg."""
    source = PROTOCOL.read_text("utf-8")
    start = source.index("        dose:\n")
    end = source.index("        form: patch", start)
    fixed = "        dose: 81 mg\n        reductions: [54 mg]\n        reescalation: true\n"
    workaround = source[:start] + fixed \
        + source[end:]
    section = check(workaround)
    kinds = {c["kind"] for c in section.summary["dose_changes"]}
    assert kinds == {"reduction", "re-escalation"}
    assert section.summary["deviations"]["TS511"]["events"] > 0


def test_treatment_beyond_26_weeks_and_two_weeks_is_reported(pilot: Section, ex: pd.DataFrame) -> None:
    last = ex.groupby("USUBJID").EXENDY.max()
    beyond = set(last[last > 26 * 7 + 14].index)
    found = {f.message.split()[0] for f in pilot.findings if f.code == "TS508"}
    assert found == beyond and len(beyond) == 7


def test_forms_and_routes_match_the_plan(pilot: Section) -> None:
    assert pilot.summary["input_problems"]["TS532"]["rows"] == 0
    steps = pilot.summary["plan"]["arms"]["Xan_Hi"]["xanomeline"]["steps"]
    assert [(s["first"], s["dose"]) for s in steps] == [
        ("BASELINE", 54.0), ("WEEK 2", 81.0), ("WEEK 24", 54.0)]
    assert np.isclose(pilot.summary["plan"]["arms"]["Pbo"]["placebo"]["dose"], 0.0)


def test_explain_shows_each_days_planned_step(pilot: Section) -> None:
    assert pilot.explain is not None
    calendar = next(t for t in pilot.explain("01-701-1028") if t.title.startswith("Dosing calendar"))
    by_day = {row[1]: row[3] for row in calendar.rows}
    assert by_day[14] == "54 mg / 54 mg" and by_day[15] == "81 mg / 81 mg"


def test_a_placebo_written_in_patches_counts_the_0_mg_rows_as_patches(pilot: Section) -> None:
    """`dose: 1 patch`: EX writes each placebo patch as EXDOSE 0, EXDOSU mg; every row is one
    patch, never an unconvertible unit."""
    source = PROTOCOL.read_text("utf-8").replace("placebo: {dose: 0 mg,", "placebo: {dose: 1 patch,")
    assert "dose: 1 patch" in source
    section = check(source)
    assert section.summary["input_problems"]["TS522"]["rows"] == 0
    zero_mg = {p["id"]: p["drugs"]["placebo"] for p in pilot.summary["per_subject"]
               if "placebo" in p["drugs"]}
    patches = {p["id"]: p["drugs"]["placebo"] for p in section.summary["per_subject"]
               if "placebo" in p["drugs"]}
    assert patches.keys() == zero_mg.keys() and len(patches) == 86
    for sid, p in patches.items():
        assert p["unit"] == "patch"
        assert p["delivered"] == p["administrations_given"] == zero_mg[sid]["administrations_given"]
        assert p["rdi"] == zero_mg[sid]["rdi"]


def test_the_protocol_follows_the_trial_design_datasets() -> None:
    """TA/TE: the high-dose arm is High_Start (2 weeks, from the first dose), High_Middle (22
    weeks, from the patches of visit 4: WEEK 2) and High_End (2 weeks, from visit 12: WEEK 24);
    placebo and low dose are one 26-week element each."""
    ta = pd.read_sas(DATA / "ta.xpt", encoding="latin1")
    te = pd.read_sas(DATA / "te.xpt", encoding="latin1")
    elements = {text(a): [] for a in ta.ARMCD}
    for arm, code, epoch in zip(ta.ARMCD, ta.ETCD, ta.EPOCH, strict=True):
        if text(epoch) == "Treatment":
            elements[text(arm)].append(text(code))
    duration = {text(c): text(d) for c, d in zip(te.ETCD, te.TEDUR, strict=True)}
    assert elements == {"Pbo": ["PBO"], "Xan_Hi": ["HIS", "HIM", "HIE"], "Xan_Lo": ["LO"]}
    assert [duration[e] for e in elements["Xan_Hi"]] == ["P2W", "P22W", "P2W"]
    assert duration["PBO"] == duration["LO"] == "P26W"
    starts = {text(c): text(r) for c, r in zip(te.ETCD, te.TESTRL, strict=True)}
    assert "Visit 4" in starts["HIM"] and "Visit 12" in starts["HIE"]
    protocol = PROTOCOL.read_text("utf-8")
    assert "duration: 26 weeks" in protocol
    assert "{from: visit WEEK 2, dose: 81 mg}" in protocol
    assert "{from: visit WEEK 24, dose: 54 mg}" in protocol
