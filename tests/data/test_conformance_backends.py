"""The declared conformance checks on every registered backend (the ``backend`` fixture): each
kind's failing rows in the tidy failure table, as docs/engine.md "Conformance checks" defines
them, and the one renderer's findings from that table.

A backend that runs the checks differently (another row number, the value trimmed where the
table wants it as written, a count off by one) fails here with the check's id in the message.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest

from trialspec.backend import Backend
from trialspec.check.conformance_plan import FAILURE_COLUMNS, KINDS, SHOW, conformance_checks
from trialspec.check.conformance_render import CELL_WORDS, DATASET_WORDS, render
from trialspec.protocol import load_protocol_text

PROTOCOL = """\
trialspec: 1
study:
  id: CONFORM
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      stage: {type: category, levels: [I, II, III]}
      consent: {type: date}
      prior: {type: boolean}
      weight: {type: number, unit: kg, unit_column: weight_unit}
      height: {type: number, unit: cm}
  labs:
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU, time: LBDTC, visit: VISIT}
    pick: {visit: SCREENING}
    columns:
      alt: {test: ALT, type: number, unit: mg/dL, range: {low: LBSTNRLO, high: LBSTNRHI}}
      folate: {test: FOLATE, type: number}
      crp: {test: CRP, type: number}
  notes:
    subject: subject_id
    columns:
      subject_id: {type: string}
      note: {type: string}
eligibility:
  inclusion:
    I1:
      text: Adult
      when: age >= 18
"""


def tables() -> dict[str, pd.DataFrame]:
    subjects = pd.DataFrame({
        "subject_id": ["P1", "P2", "P2", " ", "P3"],
        "age": ["61", "old", "inf", "40", " 50 "],
        "stage": ["II", "IV", "I", " II ", "III"],
        "consent": ["2014-06-17", "2014-02-30", " x ", "2014", "2014-01"],
        "prior": ["true", "maybe", "no", "1", "0"],
        "weight": ["70", "80", "", "60", "55"],
        "weight_unit": ["kg", "stone?", "kg", "g", None],
    }, dtype=object)
    labs = pd.DataFrame([
        ("P1", "SCREENING", "ALT", "30", "mg/dL", "2014-06-21", "10", "40"),
        ("P1", "SCREENING", "ALT", "35", "mg/dL", "2014-06-20", "10", "40"),
        ("P3", "SCREENING", "ALT", "20", "mg/dL", "2014-06-20", "50", "40"),
        ("P99", "SCREENING", "ALT", "20", "mg/dL", "2014-06-20", "10", "40"),
        ("P1", "WEEK2", "CRP", "3", "mg/L", "2014-07-01", None, None),
    ], columns=["USUBJID", "VISIT", "LBTESTCD", "LBSTRESN", "LBSTRESU", "LBDTC", "LBSTNRLO", "LBSTNRHI"],
        dtype=object)
    notes = pd.DataFrame({"subject_id": pd.Series([], dtype=object), "note": pd.Series([], dtype=object)})
    return {"subjects": subjects, "labs": labs, "notes": notes}


@pytest.fixture(scope="module")
def protocol() -> Any:
    model, diags = load_protocol_text(PROTOCOL)
    assert model is not None, diags
    return model


def failures(backend: Backend, protocol: Any) -> dict[str, list[tuple[Any, ...]]]:
    """``{check id: [(row, line, position, value, subject, count), ...]}`` of the backend's table."""
    table = backend.conformance(protocol, tables(), conformance_checks(protocol))
    columns = {c: list(table[c]) for c in FAILURE_COLUMNS}
    out: dict[str, list[tuple[Any, ...]]] = {}
    for i, check in enumerate(columns["check"]):
        value = columns["value"][i]
        out.setdefault(check, []).append((int(columns["row"][i]), int(columns["line"][i]),
                                          int(columns["position"][i]), value, columns["subject"][i],
                                          int(columns["count"][i])))
    return out


def test_every_kind_fails_as_the_contract_says(backend: Backend, protocol: Any) -> None:
    got = failures(backend, protocol)
    subjects_columns = tuple(tables()["subjects"].columns)
    want = {
        # dataset checks: row 0, the evidence as value
        "notes:rows": [(0, 0, -1, None, None, 1)],
        "subjects.height:required:height": [(0, 0, -1, subjects_columns, None, 1)],
        "labs.folate:test_present": [(0, 0, -1, ("ALT", "CRP"), None, 1)],
        "labs.crp:test_at_visit": [(0, 0, -1, None, None, 1)],
        # keys: an empty key (shown as ''), then a repeat of P2 after the first
        "subjects.subject_id:key_present": [(4, 5, 0, "", None, 1)],
        "subjects.subject_id:key_unique": [(3, 4, 0, "P2", "P2", 1)],
        # cells: 'as written' (untrimmed) for numbers and booleans, the trimmed text for levels and dates
        "subjects.age:type": [(2, 3, 1, "old", "P2", 1)],
        "subjects.age:finite": [(3, 4, 1, "inf", "P2", 1)],
        "subjects.stage:allowed": [(2, 3, 2, "IV", "P2", 1)],
        "subjects.consent:date": [(2, 3, 3, "2014-02-30", "P2", 2), (3, 4, 3, "x", "P2", 2)],
        "subjects.prior:type": [(2, 3, 4, "maybe", "P2", 1)],
        # a present value whose unit does not convert, or is missing
        "subjects.weight:unit": [(2, 3, 5, "stone?", "P2", 2), (5, 6, 5, None, "P3", 2)],
        # the long table: the earlier of P1's two ALT results by time, an unknown subject, a crossed range
        "labs.alt:repeated": [(2, 3, 3, "35", "P1", 1)],
        "labs.USUBJID:subject_known": [(4, 5, 0, "P99", None, 1)],
        "labs.alt:range": [(3, 4, 7, 40.0, "P3", 1)],
    }
    assert got == want


def test_the_renderer_words_the_table_as_binding_reports_it(backend: Backend, protocol: Any) -> None:
    checks = conformance_checks(protocol)
    table = backend.conformance(protocol, tables(), checks)
    rendered = render(table, checks)
    bound = backend.bind_frames(protocol, tables())
    reported = [d for d in bound.diagnostics if d.code.startswith("TS4")]
    assert sorted(map(repr, rendered)) == sorted(map(repr, reported))
    messages = {d.message for d in rendered}
    assert "subjects.age: not a number: 'old' for subject P2 (row 2)" in messages
    assert "subjects.weight: cannot convert to kg from unit '<missing>' for subject P3 (row 5)" in messages
    assert "subjects.subject_id: no subject key: '' for row 4" in messages
    assert "labs.USUBJID: no such subject 'P99' for row 4" in messages


def test_a_check_not_declared_is_not_run(backend: Backend, protocol: Any) -> None:
    """The plan decides what is checked: a backend reports only the checks it is given."""
    only = [c for c in conformance_checks(protocol) if c.kind == "date"]
    table = backend.conformance(protocol, tables(), only)
    assert set(table["check"]) == {"subjects.consent:date"}


def test_many_failures_list_the_first_rows_and_count_all(backend: Backend, protocol: Any) -> None:
    data = tables()
    data["subjects"] = pd.DataFrame({"subject_id": [f"S{i}" for i in range(9)], "age": ["old"] * 9,
                                     "stage": ["I"] * 9, "consent": [None] * 9, "prior": [None] * 9,
                                     "weight": [None] * 9, "weight_unit": [None] * 9, "height": [None] * 9},
                                    dtype=object)
    checks = conformance_checks(protocol)
    table = backend.conformance(protocol, data, checks)
    rows = [(int(r), int(n)) for c, r, n in zip(table["check"], table["row"], table["count"], strict=True)
            if c == "subjects.age:type"]
    assert len(rows) > SHOW and rows[:SHOW + 1] == [(r, 9) for r in range(1, SHOW + 2)]
    found = [d for d in render(table, checks) if d.code == "TS406"]
    assert [d.message for d in found][-1] == "subjects.age: 4 more rows like these (9 in all)"
    assert found[-1].span is not None and found[-1].span.line == SHOW + 2  # the sixth row, after the header


def test_every_kind_has_its_words() -> None:
    assert set(KINDS) == set(CELL_WORDS) | set(DATASET_WORDS)
    assert not set(CELL_WORDS) & set(DATASET_WORDS)


def test_the_plan_and_the_renderer_import_no_dataframe_library() -> None:
    code = ("import sys, trialspec.check.conformance_plan, trialspec.check.conformance_render; "
            "print(sorted(m for m in ('pandas', 'numpy', 'duckdb', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_pandas_checks_write_no_message() -> None:
    """The modules computing the pandas backend's checks build no Diagnostic: the renderer words them."""
    import ast
    from pathlib import Path

    import trialspec.engine.pandas as engine

    root = Path(engine.__file__).parent
    for name in ("conform.py", "long_checks.py", "bind_rows.py"):
        tree = ast.parse((root / name).read_text("utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "trialspec.diagnostics" not in imported, name
        assert not any(isinstance(n, ast.Name) and n.id == "Diagnostic" for n in ast.walk(tree)), name
