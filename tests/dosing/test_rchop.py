"""R-CHOP-21 dosed per m2 (protocols/rchop21.yaml) on the SYNTHETIC data of
examples/rchop21: every planted deviation is found, and nothing else.

The data are regenerated here from the committed, seeded script and must match the committed
files byte for byte. Planned doses are recomputed here from vs.csv with Mosteller's formula.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pandas as pd
import pytest

from trialspec.domain.treatment import run_dosing
from trialspec.domain.treatment_schedule import bsa_dubois, bsa_mosteller
from trialspec.engine import get_backend
from trialspec.engine.pandas.bind import bind
from trialspec.protocol import load_protocol_text
from trialspec.results import Section

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "rchop21.yaml"
EXAMPLE = ROOT / "examples" / "rchop21"

# (code, subject) of every dosing finding, from the generator's PLANTED list
EXPECTED = {
    ("TS501", "R-05"),  # cyclophosphamide 600 mg/m2 in cycle 2
    ("TS501", "R-13"),  # vincristine above its 2 mg cap
    ("TS506", "R-07"), ("TS507", "R-07"),  # cycle 3 ten days late: cycle 2 lasts 31 days
    ("TS503", "R-09"),  # prednisone days 4-5 of cycle 2
    ("TS533", "R-11"),  # no screening height: its per-m2 doses are not judged
    ("TS531", "R-15"),  # cycle 4 recorded as CYCLE 5
    ("TS508", "R-17"),  # a 7th cycle
    ("TS532", "R-19"),  # rituximab subcutaneous
}


def load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("rchop_generate", EXAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def section() -> Section:
    model, diags = load_protocol_text(PROTOCOL.read_text("utf-8"), str(PROTOCOL))
    assert model is not None and [d for d in diags if d.severity == "error"] == [], diags
    bound = bind(model, EXAMPLE / "data")
    assert bound.frames is not None
    out = run_dosing(model, bound.frames, get_backend("pandas"))
    assert out is not None
    return out


def test_the_committed_data_are_what_the_seeded_script_writes(tmp_path: Path) -> None:
    generator = load_generator()
    generator.OUT = tmp_path
    generator.main()
    for name in ("dm", "vs", "ex"):
        assert (tmp_path / f"{name}.csv").read_bytes() == (EXAMPLE / "data" / f"{name}.csv").read_bytes()
    assert set(generator.PLANTED) == {s for _, s in EXPECTED} | {"R-03", "R-21"}


def test_bsa_formulas_against_published_values() -> None:
    # Mosteller (NEJM 1987): sqrt(180 x 80 / 3600) = 2.000; DuBois (1916): 1.996 m2 for
    # 180 cm / 80 kg and 1.810 m2 for 170 cm / 70 kg, as the standard BSA tables print them
    assert bsa_mosteller(180, 80) == 2.0
    assert bsa_mosteller(170, 70) == pytest.approx(1.818, abs=5e-4)
    assert bsa_dubois(180, 80) == pytest.approx(1.996, abs=5e-4)
    assert bsa_dubois(170, 70) == pytest.approx(1.810, abs=5e-4)


def test_every_planted_deviation_and_nothing_else(section: Section) -> None:
    found = {(f.code, f.message.split()[0] if f.code != "TS532" else f.message.split("(")[1].split(",")[0])
             for f in section.findings if f.code.startswith("TS5")}
    assert found == EXPECTED, sorted(found ^ EXPECTED)


def test_messages_name_the_planned_dose(section: Section) -> None:
    by = {(f.code, f.message.split()[0]): f.message for f in section.findings}
    assert "planned 2 mg +/-5% that day" in by[("TS501", "R-13")]
    assert by[("TS501", "R-05")].startswith("R-05 cyclophosphamide cycle 2 day 1")
    (route,) = [f.message for f in section.findings if f.code == "TS532"]
    assert route.startswith("ex row 566 (R-19, RITUXIMAB") and "route is not the planned intravenous" in route
    assert "recorded in cycle 5" in by[("TS531", "R-15")]


def test_an_allowed_reduction_is_a_dose_change_not_a_deviation(section: Section) -> None:
    changes = [(c["subject"], c["drug"], c["cycle"], c["kind"]) for c in section.summary["dose_changes"]]
    assert changes == [("R-03", "doxorubicin", 4, "reduction")]


def test_planned_amounts_are_per_m2_times_mosteller_bsa(section: Section) -> None:
    vs = pd.read_csv(EXAMPLE / "data" / "vs.csv")
    size = vs.pivot(index="USUBJID", columns="VSTESTCD", values="VSSTRESN")
    per = {p["id"]: p["drugs"] for p in section.summary["per_subject"]}
    for sid in ("R-01", "R-02", "R-13"):
        bsa = math.sqrt(size.loc[sid, "HEIGHT"] * size.loc[sid, "WEIGHT"] / 3600)
        assert per[sid]["rituximab"]["planned"] == pytest.approx(6 * 375 * bsa, rel=1e-9)
        assert per[sid]["vincristine"]["planned"] == pytest.approx(6 * min(1.4 * bsa, 2.0), rel=1e-9)
        assert per[sid]["prednisone"]["planned"] == 6 * 5 * 100
    # R-21 stopped after cycle 3: three cycles planned, none missing
    assert per["R-21"]["doxorubicin"]["administrations_planned"] == 3
    assert per["R-11"]["rituximab"]["rdi"] is None  # body size unknown: not judged


def test_an_infusion_with_start_and_end_times_is_one_administration(section: Section) -> None:
    per = {p["id"]: p["drugs"] for p in section.summary["per_subject"]}
    assert per["R-01"]["rituximab"]["administrations_given"] == 6


def test_dubois_and_per_kg_doses_follow_the_protocol() -> None:
    text = PROTOCOL.read_text("utf-8").replace("bsa: mosteller", "bsa: dubois").replace(
        "rituximab: {dose: 375 mg/m2,", "rituximab: {dose: 5 mg/kg,")
    model, _ = load_protocol_text(text, str(PROTOCOL))
    assert model is not None
    bound = bind(model, EXAMPLE / "data")
    out = run_dosing(model, bound.frames, get_backend("pandas"))
    assert out is not None
    vs = pd.read_csv(EXAMPLE / "data" / "vs.csv")
    size = vs.pivot(index="USUBJID", columns="VSTESTCD", values="VSSTRESN")
    per = {p["id"]: p["drugs"] for p in out.summary["per_subject"]}
    height, weight = size.loc["R-02", "HEIGHT"], size.loc["R-02", "WEIGHT"]
    assert per["R-02"]["doxorubicin"]["planned"] == pytest.approx(6 * 50 * float(bsa_dubois(height, weight)))
    assert per["R-02"]["rituximab"]["planned"] == pytest.approx(6 * 5 * weight)
    # R-11 has a weight but no height: its per-kg dose is judged, its per-m2 doses are not
    assert per["R-11"]["rituximab"]["rdi"] is not None and per["R-11"]["doxorubicin"]["rdi"] is None
