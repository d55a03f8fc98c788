"""The seed study: its protocol uses imwg-2016 with its own overrides, and every subject's
best response equals the one the example data were built to have."""

from __future__ import annotations

import csv
import dataclasses
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trialspec.domain.response import derived_columns, lint_response, run_response
from trialspec.engine import get_backend
from trialspec.protocol import load_protocol

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"


@cache
def seed() -> tuple[Any, Any]:
    protocol, diags = load_protocol(PROTOCOL)
    assert protocol is not None, diags
    backend = get_backend()
    bound = backend.bind(protocol, DATA)
    assert bound.frames is not None, bound.diagnostics
    return protocol, run_response(protocol, bound.frames, backend)


def expected() -> dict[str, str]:
    with (DATA / "expected_best_response.csv").open(encoding="utf-8") as f:
        return {row["subject_id"]: row["best_response"] for row in csv.DictReader(f)}


def test_every_subject_has_the_intended_best_response() -> None:
    _protocol, section = seed()
    got = {s["id"]: s["best_response"] for s in section.summary["per_subject"]}
    assert got == expected()


def test_distribution_and_rates_match_the_papers_counts() -> None:
    summary = seed()[1].summary
    assert summary["best_response"] == {"sCR": 0, "CR": 0, "VGPR": 0, "PR": 11, "MR": 2, "SD": 5, "PD": 3,
                                        "NE": 0}
    assert summary["orr"] == {"categories": ["sCR", "CR", "VGPR", "PR"], "responders": 11, "subjects": 21,
                              "percent": 52.38}
    assert summary["rates"]["paper_ORR"]["responders"] == 13  # PR + MR, the paper's "ORR" 13/21
    assert summary["progressed"] == 4  # P08, P11, P17 at visit 1; P15 after its PR


def test_only_the_new_therapy_censoring_is_reported() -> None:
    section = seed()[1]
    assert [(f.code, f.message) for f in section.findings] == [
        ("TS626", "P17: 2 assessment(s) on or after the start of new therapy not used")]
    assert all(c.passed for c in section.cases)


def test_the_unconfirmed_pr_and_the_progression_after_pr() -> None:
    rows = {s["id"]: s for s in seed()[1].summary["per_subject"]}
    assert (rows["P16"]["best_response"], rows["P16"]["best_unconfirmed"], rows["P16"]["confirmed"]) == (
        "MR", "PR", False)
    p15 = rows["P15"]
    assert (p15["best_response"], p15["progression_date"], p15["progression_confirmed"]) == (
        "PR", "2016-12-25", True)
    assert p15["response_date"] == "2016-09-28" and p15["duration_of_response_days"] == 88
    assert rows["P17"]["progression_date"] == "2016-12-21"


def test_explain_shows_values_categories_and_pairing() -> None:
    section = seed()[1]
    summary, detail = section.explain("P16")
    assert summary.title == "P16: best overall response MR"
    columns = detail.columns
    rows = [dict(zip(columns, r, strict=True)) for r in detail.rows]
    assert [r["category"] for r in rows] == ["baseline", "MR", "PR", "MR", "MR"]
    assert rows[2]["serum M"] == "0.98 (-53.8%, -0.46)" and rows[2]["rule"] == "PR.m-protein"
    assert rows[1]["rule"] == "MR" and rows[0]["serum M"] == "2.12 (+0.0%, -)"
    assert rows[2]["confirmation"] == "confirmed MR with 2016-12-30"
    assert rows[4]["confirmation"] == "not confirmed"
    p17 = [dict(zip(columns, r, strict=True)) for r in section.explain("P17")[1].rows]
    assert [r["category"] for r in p17] == ["baseline", "PD", "PD", "after new therapy", "after new therapy"]
    assert section.explain("nobody") == []


def test_derived_columns_fill_the_response_dataset() -> None:
    protocol, section = seed()
    cols = derived_columns(section)
    declared = protocol.datasets["response"].columns
    assert set(declared) <= set(cols)
    assert cols["subject_id"][:2] == ["P01", "P02"] and cols["best_response"][:2] == ["PR", "SD"]


def test_lint_warns_where_the_paper_names_categories_differently() -> None:
    protocol, _diags = load_protocol(PROTOCOL)
    found = [(d.code, d.severity.value, d.message) for d in lint_response(protocol)]
    assert found == [
        ("TS609", "warning", "'MR' as defined here is not imwg-2016's MR; it is imwg-2016's CR"),
        ("TS609", "warning", "'PR' as defined here is not imwg-2016's PR; it is closest to imwg-2016's MR"),
    ]


def test_an_assessment_finding_points_at_the_data_file_row(tmp_path: Path) -> None:
    """A finding about one assessment row names the file as the user can open it (inside
    --data) and its line, past a blank line."""
    import shutil

    from trialspec.pipeline import check

    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "examples" / "seed" / "data", tmp_path / "data")
    path = tmp_path / "data" / "assessments.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(lines[2].split(",")[1], "", 1)  # P01's 2nd assessment: no date (TS622)
    path.write_text(lines[0] + "\n" + "".join(lines[1:]), "utf-8")  # and a blank line after the header
    result = check(root / "protocols" / "seed-rd-rrmm.yaml", tmp_path / "data")
    section = result.section("response")
    assert section is not None
    (found,) = [d for d in section.findings if d.code == "TS622"]
    assert found.span is not None and found.span.path == str(tmp_path / "data" / "assessments.csv")
    assert found.span.line == 4  # the file's 3rd line before the blank line was added


@pytest.mark.parametrize("size", [1, 2, 5, 20])
def test_deriving_in_batches_of_subjects_changes_nothing(size: int) -> None:
    """Every response rule is per subject: the seed's derivation in batches of ``size``
    subjects equals the one in one go, field by field (row indexes included)."""
    from trialspec.domain.response import compile_response, derive_table
    from trialspec.domain.response_derive import derive, derive_in_batches

    protocol, _section = seed()
    plan, _diags = compile_response(protocol)
    assert plan is not None
    backend = get_backend()
    table = derive_table(plan, backend.bind(protocol, DATA).frames, backend)
    assert table is not None and len(table["subjects"]) > size
    whole, batched = derive(plan, table), derive_in_batches(plan, table, size)
    for f in dataclasses.fields(whole):
        a, b = getattr(whole, f.name), getattr(batched, f.name)
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fM") if f.name != "rules" else a == b, f.name
    assert (whole.confirmed_by >= 0).any() and (whole.progression_confirmed).any()


def test_the_waterfall_numbers_do_not_depend_on_the_file_order(tmp_path: Path) -> None:
    """The best percent change (the waterfall) is measured from each subject's baseline in
    date order, as the response rules are, whatever order the assessment rows are written in
    (it once followed the file's row order: shuffled rows changed 7 of the 21 values)."""
    import shutil

    import pandas as pd

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    rows = pd.read_csv(data / "assessments.csv", dtype=str, keep_default_na=False)
    rows.sample(frac=1, random_state=3).to_csv(data / "assessments.csv", index=False)
    protocol, _diags = load_protocol(PROTOCOL)
    backend = get_backend()
    shuffled = run_response(protocol, backend.bind(protocol, data).frames, backend)
    want = seed()[1].summary["best_change"]
    assert want["percent"][3] is not None
    assert shuffled.summary["best_change"] == want
