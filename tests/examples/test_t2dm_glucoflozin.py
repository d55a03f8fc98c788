"""The second reference protocol (protocols/t2dm-glucoflozin.yaml) on its synthetic data: what
examples/t2dm-glucoflozin/generate.py planted is what `check` finds, and the data regenerate
byte for byte."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import trialspec
from trialspec.cli import main

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "t2dm-glucoflozin.yaml"
EXAMPLE = ROOT / "examples" / "t2dm-glucoflozin"
DATA = EXAMPLE / "data"

# The two claims the protocol's `reported:` section gets wrong on purpose, and their codes.
DELIBERATE = {
    "T2.hba1c_lt7.glucoflozin": ["TS712", "TS721"],  # 25/81 (placebo's n), not 25/83
    "T3.hr": ["TS712"],  # placebo vs glucoflozin: the groups reversed
}


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def study() -> trialspec.api.Study:
    return trialspec.run(PROTOCOL, data=DATA)


def test_lint_is_clean(tmp_path: Path) -> None:
    out = tmp_path / "lint.json"
    assert main(["lint", str(PROTOCOL), "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text("utf-8"))["diagnostics"] == []


def test_check_runs_and_reports_findings(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    # exit 1: the planted deviations and the two deliberate claims are findings
    assert main(["check", str(PROTOCOL), "--data", str(DATA), "--format", "json", "--output", str(out)]) == 1
    doc = json.loads(out.read_text("utf-8"))
    assert doc["sections"]["eligibility"]["summary"]["counts"] == {
        "eligible": 162, "ineligible": 12, "indeterminate": 2}
    assert {d["name"]: d["rows"] for d in doc["manifest"]["datasets"]}["subjects"] == 176


def test_eligibility_is_what_the_generator_planted(study: trialspec.api.Study) -> None:
    expected = {r["subject_id"]: r for r in _rows("expected_eligibility.csv")}
    elig = study.eligibility
    assert elig["status"].to_dict() == {s: r["status"] for s, r in expected.items()}
    assert elig["status"].value_counts().to_dict() == {"eligible": 162, "ineligible": 12, "indeterminate": 2}
    criteria = [c for c in elig.columns if c != "status"]
    for sid, row in expected.items():
        if row["status"] == "eligible":
            continue
        # each planted subject fails (or leaves unknown) exactly the criterion its story names
        bad = "fail" if row["status"] == "ineligible" else "unknown"
        assert [c for c in criteria if elig.loc[sid, c] == bad] == [row["criteria"].split()[0]], sid
    # the mixed units are converted, not misread: every mg/dL glucose and g/day metformin passes
    subjects = {r["subject_id"]: r for r in _rows("subjects.csv")}
    g_day = [s for s, r in subjects.items()
             if r["metformin_unit"] == "g/day" and expected[s]["status"] == "eligible"]
    planted = {s for s, r in expected.items() if r["criteria"]}
    mg_dl = [r["USUBJID"] for r in _rows("lb.csv")
             if r["LBTESTCD"] == "GLUC" and r["LBSTRESU"] == "mg/dL" and r["USUBJID"] not in planted]
    assert len(g_day) > 10 and all(elig.loc[s, "I3"] == "pass" for s in g_day)
    assert len(mg_dl) > 50 and all(elig.loc[s, "E3"] == "pass" for s in mg_dl)


def test_eligibility_of_the_randomized(study: trialspec.api.Study) -> None:
    arms = {r["subject_id"]: r["arm"] for r in _rows("subjects.csv")}
    odd = {s: st for s, st in study.eligibility["status"].items() if arms[s] and st != "eligible"}
    assert odd == {"S166": "ineligible", "S146": "indeterminate"}  # eGFR 43; insulin in 2023-10


def _subject(message: str) -> str:
    found = re.search(r"\bS\d{3}\b", message)
    assert found, message
    return found.group()


def test_planted_dosing_deviations_are_found(study: trialspec.api.Study) -> None:
    expected = {r["subject_id"]: set(filter(None, r["codes"].split(";")))
                for r in _rows("expected_deviations.csv")}
    found: dict[str, set[str]] = {}
    for d in study.sections["dosing"].findings:
        found.setdefault(_subject(d.message), set()).add(d.code)
    assert found == {s: codes for s, codes in expected.items() if codes}
    summary = study.sections["dosing"].summary
    stories = {r["story"]: r["subject_id"] for r in _rows("expected_deviations.csv")}
    changes = {(c["subject"], c["kind"]) for c in summary["dose_changes"]}
    assert (stories["reduction"], "reduction") in changes  # allowed: not a deviation
    assert (stories["re_escalation"], "re-escalation") in changes
    assert summary["subjects"]["treated"] == 163  # 164 randomized, one never dosed
    rdi = {p["id"]: p["drugs"] for p in summary["per_subject"]}
    assert rdi[stories["low_compliance"]]["placebo"]["rdi"] == pytest.approx(0.75)


def _claims(study: trialspec.api.Study) -> dict[str, dict[str, Any]]:
    return {r["claim"]: r for r in study.sections["claims"].summary["results"]}


def test_claims_reproduce_except_the_deliberate_ones(study: trialspec.api.Study) -> None:
    claims = _claims(study)
    assert len(claims) == 34
    wrong = {k: r["codes"] for k, r in claims.items() if r["status"] != "reproduced"}
    assert wrong == DELIBERATE
    assert all(claims[k]["status"] == "not reproduced" for k in DELIBERATE)
    hints = [d.hint or "" for d in study.sections["claims"].findings if d.code == "TS712"]
    assert any("25 of the 81 in placebo" in h for h in hints)
    assert any("groups reversed" in h for h in hints)


def test_claims_are_the_generators_numbers(study: trialspec.api.Study) -> None:
    """Every claim not planted wrong is printed as the generator computed it (scipy,
    statsmodels), so trialspec's reproduction is an independent cross-check."""
    computed = {r["claim"]: r["value"] for r in _rows("expected_results.csv")}
    claims = _claims(study)
    for key, r in claims.items():
        if key in DELIBERATE or not key.startswith(("S1.", "T")):
            continue
        assert computed[key] == r["printed"], key
    assert claims["T3.hr"]["printed"] == computed["T3.hr_reversed"]
    assert claims["abstract.rescue.hr"]["printed"] == computed["T3.hr"]


def test_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, cwd=ROOT)
    shipped = sorted(p.name for p in DATA.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == shipped
    for name in shipped:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
