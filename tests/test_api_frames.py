"""The Python API for notebooks: short reprs, tidy frames, native subject keys, labelled explain.

The notebook test renders `study`, each frame and an explanation through IPython's own display
formatter, as Jupyter does (text/plain and text/html)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import trialspec

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"
FRAMES = ("findings", "eligibility", "attrition", "analyses", "claims", "dosing", "responses")


@pytest.fixture(scope="module")
def study() -> trialspec.Study:
    return trialspec.run(SEED, data=DATA)


def test_run_is_visible_to_dir_and_completion() -> None:
    names = dir(trialspec)
    assert {"run", "Study", "ProtocolError", "Explanation"} <= set(names)


def test_short_repr_and_html_summary(study: trialspec.Study) -> None:
    text = repr(study)
    assert len(text) < 200 and text.startswith("<Study '") and "seed-rd-rrmm.yaml" in text
    assert "FAILED: 124 errors" in text and "193 claims" in text
    html = study._repr_html_()
    assert len(html) < 20_000 and "TS711" in html and "Claims: 193 checked" in html


def test_findings_carry_structured_fields(study: trialspec.Study) -> None:
    f = study.findings
    for column in ("code", "severity", "section", "subject", "dataset", "column", "row", "value", "claim",
                   "file", "line", "col", "message", "hint"):
        assert column in f.columns
    row = f[(f.code == "TS711") & (f.claim == "abstract.thalidomide.n.exposed")].iloc[0]
    assert (row.value, row.section, row.line, row.col) == ("7", "claims", 434, 20)
    assert row.file.endswith("seed-rd-rrmm.yaml")
    assert str(f["line"].dtype) == "Int64"
    response = f[f.code == "TS626"].iloc[0]  # a response finding carries its subject
    assert (response.section, response.subject) == ("response", "P17")
    assert len(f) == 124 + 22 + 1  # every finding, as the console counts them


def test_analyses_one_row_per_statistic_numeric(study: trialspec.Study) -> None:
    a = study.analyses
    assert a["value"].dtype == float
    t4 = a[(a.analysis == "T4") & (a.statistic == "tests.fisher.p")]
    assert t4["value"].iloc[0] == pytest.approx(0.047471620227038186)
    pooled = a[(a.analysis == "T2.orr") & (a.statistic == "fixed")]
    assert pooled["value"].iloc[0] == pytest.approx(3.2664, rel=1e-4)
    assert pooled["ci_lower"].iloc[0] < pooled["value"].iloc[0] < pooled["ci_upper"].iloc[0]


def test_claims_dosing_responses(study: trialspec.Study) -> None:
    c = study.claims
    assert len(c) == 193 and (c.status == "reproduced").sum() == 102
    assert c.loc["abstract.thalidomide.n.exposed", "computed"] == "15"
    d = study.dosing
    assert set(d.columns) >= {"subject", "drug", "planned", "delivered", "rdi"}
    assert d[(d.subject == "P20") & (d.drug == "lenalidomide")]["rdi"].iloc[0] == pytest.approx(0.6)
    r = study.responses
    assert r.loc["P01", "best_response"] == "PR"


def test_integer_subject_keys_stay_integers() -> None:
    subjects = pd.read_csv(DATA / "subjects.csv")
    labs = pd.read_csv(DATA / "lb.csv")
    subjects["subject_id"] = subjects["subject_id"].str[1:].astype(int)
    labs["USUBJID"] = labs["USUBJID"].str[1:].astype(int)
    study = trialspec.run(SEED, tables={"subjects": subjects, "labs": labs})
    assert study.eligibility.index.dtype == "int64"
    assert study.eligibility.loc[2, "I1"] == "fail"
    explained = study.explain(13)
    assert explained.subject == 13 and len(explained) > 0
    assert any(title.startswith("I2 fails") for title in explained.tables)


def test_explain_is_labelled(study: trialspec.Study) -> None:
    e = study.explain("P13")
    i2 = next(t for title, t in e.tables.items() if title.startswith("I2 fails"))
    assert i2.attrs["title"].startswith("I2 fails")
    assert repr(e).startswith("<Explanation of subject 'P13': ")


def test_notebook_renders_study_and_every_frame(study: trialspec.Study) -> None:
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    data, _ = formatter.format(study)
    assert "text/html" in data and "FAILED" in data["text/plain"]
    for name in FRAMES:
        frame = getattr(study, name)
        assert isinstance(frame, pd.DataFrame) and len(frame) > 0, name
        bundle, _ = formatter.format(frame)
        assert "<table" in bundle["text/html"], name
    bundle, _ = formatter.format(study.explain("P13"))
    assert "<h4>Subject P13</h4>" in bundle["text/html"]


def test_a_meta_analysis_table_shows_counts_and_the_measure_apart(study: trialspec.Study) -> None:
    analyses = study.result.section("analyses")
    assert analyses is not None
    table = next(t for t in analyses.tables if t.title.startswith("T2.orr"))
    assert table.columns[:3] == ("study", "2x2 counts (a / b / c / d)", "OR [CI]")
    castor = next(r for r in table.rows if r[0] == "CASTOR")
    assert castor[1] == "199 / 41 / 148 / 86"
    assert castor[2].startswith("2.82 [")  # 199 x 86 / (41 x 148): the study's own odds ratio
    pooled = next(r for r in table.rows if str(r[0]).startswith("pooled, fixed"))
    assert pooled[1] == "" and pooled[2].startswith("3.266 [")
