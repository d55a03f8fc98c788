"""trialspec diff: each kind of amendment said in words; formatting, comments and key order
ignored; exit codes as diff(1); JSON and Markdown output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialspec.cli import main
from trialspec.diff import diff_files

BASE = """\
# base protocol for diff tests
trialspec: 1
study: {id: D, title: Diff test}
datasets:
  subjects:
    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      anc: {type: number, unit: 10^9/L}
      bilirubin: {type: number, unit: mg/dL, analyte: bilirubin}
      stage: {type: category, levels: [IIA, IIB, IIIA]}
      pn_grade: {type: number}
      first_dose_date: {type: date}
  assessments:
    source: assessments.csv
    subject: subject_id
    columns:
      date: {type: date}
      serum_m_protein: {type: number, unit: g/dL}
      urine_m_protein: {type: number, unit: mg/24h}
      flc_kappa: {type: number, unit: mg/dL}
      flc_lambda: {type: number, unit: mg/dL}
      serum_ife: {type: category, levels: [positive, negative]}
      urine_ife: {type: category, levels: [positive, negative]}
  response:
    derived: true
    key: subject_id
    columns:
      best_response: {type: category, levels: [sCR, CR, VGPR, PR, MR, SD, PD, NE]}
definitions:
  fit: anc >= 1.0 10^9/L
eligibility:
  inclusion:
    I1: {text: Age 18-75, when: age between 18 and 75}
    I2: {text: Stage, when: 'stage in [IIA, IIIA]'}
    I3: {text: Fit, when: fit}
    I4: {text: Bilirubin, when: bilirubin <= 2.0 mg/dL}
  exclusion:
    E1: {text: Neuropathy, when: pn_grade >= 2}
treatment:
  cycle: 28 days
  cycles: until progression
  regimen:
    lenalidomide: {dose: 25 mg, days: 1-21, reductions: [15 mg, 10 mg, 5 mg]}
    dexamethasone: {dose: 40 mg, days: [1, 8, 15, 22]}
response:
  criteria: imwg-2016
  assessments: assessments
  confirmation: {min_interval: 4 weeks}
endpoints:
  orr: {kind: response, responders: [PR]}
analyses:
  T4: {method: proportion, endpoint: orr, by: stage, tests: [fisher]}
reported:
  T4: {p: "0.047"}
"""


E1_LINE = next(i for i, line in enumerate(BASE.splitlines(), 1) if line.strip().startswith("E1:"))


def pair(tmp_path: Path, *edits: tuple[str, str]) -> tuple[Path, Path]:
    new = BASE
    for a, b in edits:
        assert a in new, a
        new = new.replace(a, b, 1)
    (tmp_path / "old.yaml").write_text(BASE, "utf-8")
    (tmp_path / "new.yaml").write_text(new, "utf-8")
    return tmp_path / "old.yaml", tmp_path / "new.yaml"


def lines(tmp_path: Path, *edits: tuple[str, str]) -> list[str]:
    old, new = pair(tmp_path, *edits)
    return [c.text for c in diff_files(old, new).changes]


def test_formatting_comments_and_key_order_are_not_changes(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair(
        tmp_path,
        ("# base protocol for diff tests\n", "# a different comment\n"),
        ("study: {id: D, title: Diff test}", "study:\n  title: Diff test   # reordered\n  id: D"),
        ("    E1: {text: Neuropathy, when: pn_grade >= 2}",
         "    E1:\n      when: >-\n        pn_grade>=2.0\n      text: Neuropathy"),
        ("when: age between 18 and 75", "when: (age  between 18 and 75)"),
        ("'stage in [IIA, IIIA]'", "\"stage in [IIIA, IIA]\""),  # set order is not meaning
        ("bilirubin <= 2.0 mg/dL}", "bilirubin ≤ 2 mg/dl}"),
        ("unit: mg/dL, analyte", "unit: mg/dl, analyte"),
        ("days: [1, 8, 15, 22]", "days: [22, 15, 8, 1]"),
        ("days: 1-21,", 'days: "1-10, 11-21",'),
    )
    assert diff_files(old, new).changes == []
    assert main(["diff", str(old), str(new)]) == 0
    assert "no semantic change" in capsys.readouterr().out


@pytest.mark.parametrize(("edits", "expected"), [
    ([("fit: anc >= 1.0 10^9/L", "fit: anc >= 1.5 10^9/L")],
     "fit: anc threshold raised from 1.0 to 1.5 10^9/L; used by I3"),
    ([("age between 18 and 75}", "age between 18 and 70}")],
     "I1: upper age limit lowered from 75 to 70 (tightened)"),
    ([("age between 18 and 75}", "age between 21 and 75}")],
     "I1: lower age limit raised from 18 to 21 (tightened)"),
    ([("'stage in [IIA, IIIA]'", "'stage in [IIA, IIB, IIIA]'")], "I2: stage levels added IIB (relaxed)"),
    ([("'stage in [IIA, IIIA]'", "'stage in [IIIA]'")], "I2: stage levels removed IIA (tightened)"),
    ([("pn_grade >= 2", "pn_grade >= 3")], "E1: pn_grade threshold raised from 2 to 3 (relaxed)"),
    ([("bilirubin <= 2.0 mg/dL}", "bilirubin <= 1.5 mg/dL}")],
     "I4: upper bilirubin limit lowered from 2.0 to 1.5 mg/dL (tightened)"),
    ([("bilirubin <= 2.0 mg/dL}", "bilirubin <= 40 umol/L}")],
     "I4: upper bilirubin limit raised from 2.0 mg/dL to 40 umol/L (= 2.3386 mg/dL) (relaxed)"),
    ([("pn_grade >= 2", "pn_grade > 2")],
     "E1: pn_grade comparison changed from `>= 2` to `> 2` (relaxed)"),
    ([("age between 18 and 75}", "age between 18 and 75 and pn_grade is present}")],
     "I1: clause added: `pn_grade is present` (tightened)"),
    ([("age between 18 and 75}", "age >= 18}")],
     "I1: `age between 18 and 75` -> `age >= 18`"),
    ([("levels: [IIA, IIB, IIIA]", "levels: [IIA, IIB, IIIA, IIIB]")], "subjects.stage: levels added IIIB"),
    ([("anc: {type: number, unit: 10^9/L}", "anc: {type: number, unit: 10^3/uL}")],
     "subjects.anc: unit 10^9/L -> 10^3/uL"),
    ([("      pn_grade: {type: number}\n", "      pn_grade: {type: number}\n      ecog: {type: number}\n")],
     "subjects.ecog: column added (number)"),
    ([("    I4: {text: Bilirubin, when: bilirubin <= 2.0 mg/dL}\n", "")],
     "I4: inclusion criterion removed: Bilirubin (`bilirubin <= 2.0 mg/dL`) (relaxed)"),
    ([("  exclusion:\n", "  exclusion:\n    E2: {text: Old, when: age > 80}\n")],
     "E2: exclusion criterion added: Old (`age > 80`) (tightened)"),
    ([("    I4: {text: Bilirubin", "    I9: {text: Bilirubin")], "I4: renamed to I9"),
    ([("I1: {text: Age 18-75,", "I1: {text: Age 18-70,")], "I1: wording changed: 'Age 18-75' -> 'Age 18-70'"),
    ([("lenalidomide: {dose: 25 mg", "lenalidomide: {dose: 15 mg")],
     "lenalidomide: dose 25 mg -> 15 mg; days 1-21 unchanged"),
    ([("days: [1, 8, 15, 22]", "days: [1-4, 15-18]")],
     "dexamethasone: days [1, 8, 15, 22] -> [1-4, 15-18]; dose 40 mg unchanged"),
    ([("reductions: [15 mg, 10 mg, 5 mg]", "reductions: [10 mg]")],
     "lenalidomide: reductions [15 mg, 10 mg, 5 mg] -> [10 mg]; dose 25 mg unchanged; days 1-21 unchanged"),
    ([("cycles: until progression", "cycles: 4")], "treatment: cycles until progression -> 4"),
    ([("cycle: 28 days", "cycle: 21 days")], "treatment: cycle length 28 days -> 21 days"),
    ([("lenalidomide: {dose: 25 mg,",
       "lenalidomide: {dose: [{days: 1-14, dose: 25 mg}, {from: day 15, dose: 15 mg}],")],
     "lenalidomide: dose steps none -> 25 mg from day 1-14; 15 mg from day 15 on; days 1-21 unchanged"),
    ([("dexamethasone: {dose: 40 mg,", "dexamethasone: {dose: 40 mg, form: tablet,")],
     "dexamethasone: form none -> tablet; dose 40 mg unchanged; days [1, 8, 15, 22] unchanged"),
    ([("    dexamethasone:", "    bortezomib: {dose: 1.3 mg/m2, days: [1, 4, 8, 11]}\n    dexamethasone:")],
     "bortezomib: drug added (1.3 mg/m2, days [1, 4, 8, 11])"),
    ([("min_interval: 4 weeks", "min_interval: 6 weeks")],
     "confirmation: min_interval 4 weeks -> 6 weeks"),
    ([("criteria: imwg-2016", "criteria: imwg-2011")], "response: criteria imwg-2016 -> imwg-2011"),
    ([("tests: [fisher]", "tests: [fisher, chi2]")], "T4: tests added chi2"),
    ([("by: stage", "by: age")], "T4: by stage -> age"),
    ([("responders: [PR]", "responders: [PR, MR]")], "orr: responders [PR] -> [PR, MR]"),
    ([('p: "0.047"', 'p: "0.029"')], "T4: p: '0.047' -> '0.029'"),
    ([("title: Diff test", "title: Diff test v2")], "study: title Diff test -> Diff test v2"),
])
def test_each_amendment_is_said_in_words(tmp_path: Path, edits: list[tuple[str, str]], expected: str) -> None:
    assert lines(tmp_path, *edits) == [expected]


def test_new_treatment_keys_moved_or_respaced_are_no_change(tmp_path: Path) -> None:
    """Spans differ when keys move; the body size, steps and forms are compared by value."""
    root = Path(__file__).resolve().parents[2] / "protocols"
    for name in ("rchop21.yaml", "cdiscpilot01.yaml"):
        text = (root / name).read_text("utf-8")
        (tmp_path / "old.yaml").write_text(text, "utf-8")
        moved = "# moved down a line\n" + text.replace("cycle: 21 days", "cycle:   21 days")
        (tmp_path / "new.yaml").write_text(moved, "utf-8")
        assert [c.text for c in diff_files(tmp_path / "old.yaml", tmp_path / "new.yaml").changes] == []


def test_an_equivalent_rewrite_is_listed_but_is_no_change(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair(tmp_path, ("when: age between 18 and 75}", "when: 75 >= age and age >= 18}"))
    result = diff_files(old, new)
    assert [(c.item, c.kind) for c in result.changes] == [("I1", "equivalent")]
    assert result.identical
    assert main(["diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert ("= I1: rewritten with the same meaning: `age between 18 and 75` -> "
            "`75 >= age and age >= 18`") in out


def test_changes_carry_both_locations(tmp_path: Path) -> None:
    old, new = pair(tmp_path, ("pn_grade >= 2", "pn_grade >= 3"))
    (change,) = diff_files(old, new).changes
    assert change.old is not None and change.new is not None
    assert (change.old.path, change.old.line) == (str(old), E1_LINE)
    assert (change.new.path, change.new.line) == (str(new), E1_LINE)


def test_console_output_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair(tmp_path, ("age between 18 and 75}", "age between 18 and 70}"),
                    ("lenalidomide: {dose: 25 mg", "lenalidomide: {dose: 15 mg"))
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "2 changes" in out
    assert "Eligibility\n  ~ I1: upper age limit lowered from 75 to 70 (tightened)\n" in out
    assert "Treatment\n  ~ lenalidomide: dose 25 mg -> 15 mg; days 1-21 unchanged\n" in out


def test_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = pair(tmp_path, ("pn_grade >= 2", "pn_grade >= 3"))
    out_file = tmp_path / "diff.json"
    assert main(["diff", str(old), str(new), "--format", "json", "--output", str(out_file)]) == 1
    doc = json.loads(out_file.read_text("utf-8"))
    assert doc["identical"] is False and doc["impact"] is None
    (change,) = doc["changes"]
    assert change["section"] == "eligibility" and change["item"] == "E1" and change["kind"] == "changed"
    assert change["details"] == ["pn_grade threshold raised from 2 to 3 (relaxed)"]
    assert change["new_location"]["line"] == E1_LINE
    assert main(["diff", str(old), str(new), "--format", "markdown"]) == 1
    md = capsys.readouterr().out
    assert md.startswith(f"### Protocol amendment: `{old}` → `{new}`")
    assert "- **E1**: pn_grade threshold raised from 2 to 3 (relaxed)" in md


def test_usage_errors_exit_2_protocol_errors_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, _new = pair(tmp_path)
    assert main(["diff", str(old), str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("eligibility:", "eligibilty:"), "utf-8")
    assert main(["diff", str(old), str(bad)]) == 1  # a finding, as lint says it: not a usage error
    captured = capsys.readouterr()
    assert "TS208" in captured.out and "cannot diff" in captured.err
    assert main(["diff", str(old), str(old), "--data", str(tmp_path / "nodata")]) == 2


SEED = Path(__file__).resolve().parents[2] / "protocols"


def test_seed_amendment_regimen_and_eligibility() -> None:
    old, new = SEED / "seed-rd-rrmm.yaml", SEED / "seed-rd-rrmm-amendment-1.yaml"
    texts = {c.item: c.text for c in diff_files(old, new).changes}
    assert set(texts) == {"I1", "treatment", "Rd/dexamethasone"}  # the Ld arm's drugs are unchanged
    assert texts["Rd/dexamethasone"] == "Rd/dexamethasone: dose 40 mg -> 20 mg; days [1, 8, 15, 22] unchanged"
    assert texts["treatment"] == ("treatment: cycles Rd: until progression, Ld: 4 -> "
                                  "Rd: until progression, Ld: 6")
    assert texts["I1"].startswith("I1: upper age limit raised from 75 to 80 (relaxed)")
