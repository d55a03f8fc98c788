"""trialspec diff --data: both versions run on the same small dataset; the subjects that change
status, the counts and the per-criterion numbers are exactly those worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialspec.cli import main
from trialspec.diff import measure_impact
from trialspec.diff.impact import compare_summaries

PROTOCOL = """\
trialspec: 1
study: {id: IMPACT}
datasets:
  subjects:
    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      anc: {type: number, unit: 10^9/L}
      stage: {type: category, levels: [IIA, IIB, IIIA]}
      pn_grade: {type: number}
eligibility:
  inclusion:
    I1: {text: Age, when: age between 18 and 75}
    I2: {text: Stage, when: 'stage in [IIA, IIIA]'}
    I3: {text: ANC, when: anc >= 1.0 10^9/L}
  exclusion:
    E1: {text: Neuropathy, when: pn_grade >= 2}
"""

# worked by hand, old rules -> new rules (I1 upper limit 70, I3 threshold 0.75):
SUBJECTS = """\
subject_id,age,anc,stage,pn_grade
S1,30,1.2,IIA,0
S2,72,1.2,IIA,0
S3,50,0.8,IIIA,0
S4,50,,IIA,0
S5,80,1.2,IIB,3
S6,60,1.1,IIA,1
"""
# S1 eligible -> eligible; S2 eligible -> ineligible (I1); S3 ineligible -> eligible (I3);
# S4 indeterminate both (anc missing, I3 unknown); S5 ineligible both; S6 eligible both.


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "subjects.csv").write_text(SUBJECTS, "utf-8")
    old = tmp_path / "old.yaml"
    old.write_text(PROTOCOL, "utf-8")
    both = tmp_path / "both.yaml"
    both.write_text(PROTOCOL.replace("between 18 and 75", "between 18 and 70")
                    .replace("anc >= 1.0", "anc >= 0.75"), "utf-8")
    age = tmp_path / "age.yaml"
    age.write_text(PROTOCOL.replace("between 18 and 75", "between 18 and 70"), "utf-8")
    return data, old, both, age


def test_subjects_that_move_and_counts(setup: tuple[Path, Path, Path, Path]) -> None:
    data, old, both, _age = setup
    impact = measure_impact(old, both, data)
    assert impact.computed and impact.screened == (6, 6)
    # the counts do not move, yet two subjects swap places: exactly what a reviewer must see
    assert impact.counts == {"eligible": (3, 3), "ineligible": (2, 2), "indeterminate": (1, 1)}
    assert [(s.subject, s.old, s.new, s.criteria) for s in impact.subjects] == [
        ("S2", "eligible", "ineligible", (("I1", "pass", "fail"),)),
        ("S3", "ineligible", "eligible", (("I3", "fail", "pass"),)),
    ]
    assert impact.reasons == []
    moved = {m.key: (m.old, m.new, m.delta) for m in impact.criteria}
    assert moved["I1.pass"] == (5, 4, -1) and moved["I1.fail"] == (1, 2, 1)
    assert moved["I3.pass"] == (4, 5, 1) and moved["I3.fail"] == (1, 0, -1)
    assert "I3.unknown" not in moved  # S4 stays unknown
    assert "I2.pass" not in moved and "E1.fail" not in moved


def test_counts_move_by_the_right_amount(setup: tuple[Path, Path, Path, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data, old, _both, age = setup
    assert main(["diff", str(old), str(age), "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "I1: upper age limit lowered from 75 to 70 (tightened)" in out
    assert "eligible 3 -> 2 (-1), ineligible 2 -> 3 (+1), indeterminate 1" in out
    assert "subjects changing status: 1\n    S2: eligible -> ineligible (I1 pass -> fail)\n" in out
    assert "I1: pass 5 -> 4 (-1); fail 1 -> 2 (+1)" in out


def test_impact_as_json_and_markdown(setup: tuple[Path, Path, Path, Path], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    data, old, both, _age = setup
    out_file = tmp_path / "impact.json"
    assert main(["diff", str(old), str(both), "--data", str(data), "--format", "json",
                 "--output", str(out_file)]) == 1
    impact = json.loads(out_file.read_text("utf-8"))["impact"]
    assert impact["computed"] is True
    assert impact["counts"]["eligible"] == {"old": 3, "new": 3, "delta": 0}
    assert [(s["subject"], s["old"], s["new"]) for s in impact["subjects"]] == [
        ("S2", "eligible", "ineligible"), ("S3", "ineligible", "eligible")]
    assert main(["diff", str(old), str(both), "--data", str(data), "--format", "markdown"]) == 1
    md = capsys.readouterr().out
    assert "| S2 | eligible | ineligible | I1: pass → fail |" in md
    assert "| eligible | 3 | 3 | |" in md


def test_no_semantic_change_means_no_impact_run(setup: tuple[Path, Path, Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    data, old, _both, _age = setup
    same = tmp_path / "same.yaml"
    same.write_text("# reformatted\n" + PROTOCOL.replace("anc >= 1.0 10^9/L", "anc>=1 10^9/l"), "utf-8")
    assert main(["diff", str(old), str(same), "--data", str(data)]) == 0
    assert "none (no semantic change)" in capsys.readouterr().out


def test_a_version_that_cannot_run_is_reported(setup: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    data, old, _both, _age = setup
    other = tmp_path / "other.yaml"
    other.write_text(PROTOCOL.replace("source: subjects.csv", "source: missing.csv"), "utf-8")
    impact = measure_impact(old, other, data)
    assert not impact.computed
    (d,) = impact.diagnostics
    assert d.code == "TS860" and "the new protocol could not be run" in d.message and "TS402" in d.message


def test_other_sections_are_compared_leaf_by_leaf() -> None:
    old = {"computed": True, "subjects": [{"id": "P1", "best": "PR"}, {"id": "P2", "best": "SD"}],
           "counts": {"PR": 1, "SD": 1}, "rdi": 0.95, "tests": ["fisher"],
           "changes": [{"subject": "P1", "cycle": 2, "to": 15}, {"subject": "P1", "cycle": 4, "to": 10}]}
    new = {"computed": True, "subjects": [{"id": "P1", "best": "PR"}, {"id": "P2", "best": "MR"}],
           "counts": {"PR": 1, "SD": 0, "MR": 1}, "rdi": 0.9, "tests": ["fisher", "chi2"],
           "changes": [{"subject": "P1", "cycle": 2, "to": 10}]}
    assert compare_summaries(old, new) == [
        ("subjects[P2].best", "SD", "MR"), ("counts.SD", 1, 0), ("counts.MR", None, 1), ("rdi", 0.95, 0.9),
        ("tests", ["fisher"], ["fisher", "chi2"]),
        ("changes[P1/2].to", 15, 10), ("changes[P1/4]", "{to=10}", "absent")]


SEED = Path(__file__).resolve().parents[2]


def test_seed_amendment_moves_p02() -> None:
    new = SEED / "protocols" / "seed-rd-rrmm-amendment-1.yaml"
    data = SEED / "examples" / "seed" / "data"
    if not new.exists() or not (data / "subjects.csv").exists():
        pytest.skip("the amendment example or the seed data are not there")
    impact = measure_impact(SEED / "protocols" / "seed-rd-rrmm.yaml", new, data)
    assert impact.computed, impact.diagnostics
    moves = {s.subject: (s.old, s.new) for s in impact.subjects}
    assert moves.get("P02") == ("ineligible", "eligible")  # aged 80: the amendment's limit is 80
