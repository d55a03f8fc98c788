"""Builders for the response tests: a small protocol, subjects and assessments as frames."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import yaml

from trialspec.domain.response import compile_response, derive_table
from trialspec.domain.response_derive import Derived, derive
from trialspec.domain.response_section import response_section
from trialspec.engine import get_backend
from trialspec.protocol import load_protocol_text

PROTOCOL = """\
trialspec: 1
study: {id: RESPONSE-TEST}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      first_dose_date: {type: date}
  assessments:
    subject: subject_id
    columns:
      date: {type: date}
      serum_m_protein: {type: number, unit: g/dL}
      urine_m_protein: {type: number, unit: mg/24h}
      flc_kappa: {type: number, unit: mg/dL}
      flc_lambda: {type: number, unit: mg/dL}
      serum_ife: {type: category, levels: [positive, negative]}
      urine_ife: {type: category, levels: [positive, negative]}
      bm_plasma_cells: {type: number, unit: "%"}
      plasmacytoma: {type: boolean}
      new_lesions: {type: boolean}
      new_therapy: {type: boolean}
"""

FIRST_DOSE = dt.date(2020, 1, 10)
BASELINE = dt.date(2020, 1, 5)
FIRST_VISIT = dt.date(2020, 2, 7)
DEFAULTS = {"s": 0.0, "u": 0.0, "k": 1.2, "l": 1.0, "sife": "positive", "uife": "positive",
            "bm": None, "pc": False, "nl": False, "nt": False}
COLUMNS = {"s": "serum_m_protein", "u": "urine_m_protein", "k": "flc_kappa", "l": "flc_lambda",
           "sife": "serum_ife", "uife": "urine_ife", "bm": "bm_plasma_cells", "pc": "plasmacytoma",
           "nl": "new_lesions", "nt": "new_therapy"}


def protocol_text(response: dict[str, Any] | None = None) -> str:
    section = {"criteria": "imwg-2016", "assessments": "assessments", **(response or {})}
    return PROTOCOL + yaml.safe_dump({"response": section}, sort_keys=False)


def load(response: dict[str, Any] | None = None, text: str | None = None) -> Any:
    protocol, diags = load_protocol_text(text if text is not None else protocol_text(response))
    assert protocol is not None, diags
    return protocol


def trajectory_rows(subject: str, case: dict[str, Any]) -> list[dict[str, Any]]:
    """One case's assessments: the baseline, then each visit (values carry over from defaults)."""
    rows = []
    visits = [dict(case["baseline"], date=BASELINE), *case["visits"]]
    for i, visit in enumerate(visits):
        row = {"subject_id": subject}
        day = visit.get("date") or FIRST_VISIT + dt.timedelta(days=28 * (i - 1))
        row["date"] = str(day)
        for key, column in COLUMNS.items():
            value = visit.get(key, case["baseline"].get(key, DEFAULTS[key]) if key in ("k", "l")
                              else DEFAULTS[key])
            if key in visit:
                value = visit[key]
            row[column] = value
        rows.append(row)
    return rows


def frames_for(protocol: Any, subjects: list[dict[str, Any]], assessments: list[dict[str, Any]]) -> Any:
    backend = get_backend()
    columns = ["subject_id", "date", *COLUMNS.values()]
    tables = {"subjects": pd.DataFrame(subjects, columns=["subject_id", "first_dose_date"]),
              "assessments": pd.DataFrame(assessments, columns=columns)}
    bound = backend.bind_frames(protocol, tables)
    assert bound.frames is not None, bound.diagnostics
    return bound.frames


def run(protocol: Any, frames: Any) -> tuple[Any, dict[str, Any], Derived, Any]:
    """(plan, table, derived, section) for bound frames."""
    plan, diags = compile_response(protocol)
    assert plan is not None, diags
    table = derive_table(plan, frames, get_backend(), explain=True)
    assert table is not None
    derived = derive(plan, table)
    return plan, table, derived, response_section(plan, table, derived)
