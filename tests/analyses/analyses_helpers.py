"""Shared helpers for the analyses and claims tests: the seed protocol and data, small
made-up protocols, and the R reference files (they are read, never recomputed)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialspec.domain.analyses import run_analyses
from trialspec.domain.claims_section import run_claims
from trialspec.engine import get_backend
from trialspec.protocol import load_protocol, load_protocol_text
from trialspec.results import Section

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "r"
RTOL = 1e-6
DERIVED = ("confirmed", "response_date", "progression_date")


def r_reference(name: str) -> dict[str, Any]:
    """An R reference file; "NA"/"NaN" become nan, "Inf" infinity."""
    special = {"NA": math.nan, "NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}

    def decode(v: Any) -> Any:
        if isinstance(v, str) and v in special:
            return special[v]
        if isinstance(v, list):
            return [decode(x) for x in v]
        if isinstance(v, dict):
            return {k: decode(x) for k, x in v.items()}
        return v

    return decode(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def close(actual: Any, expected: Any, what: str = "") -> None:
    """Equal to R's value to 1e-6 relative (None is R's NA)."""
    a = np.asarray([math.nan if x is None else x for x in np.atleast_1d(actual)], dtype=float)
    np.testing.assert_allclose(a, np.asarray(expected, dtype=float), rtol=RTOL, err_msg=what)


def seed_tables(protocol: Any) -> dict[str, pd.DataFrame]:
    """Every dataset of the seed protocol read from the example data, and ``response`` (the
    derived dataset) from expected_best_response.csv, as the response section would fill it."""
    from trialspec.engine.pandas.read import read_table

    tables = {n: read_table(DATA / ds.source, "csv") for n, ds in protocol.datasets.items() if ds.source}
    response = read_table(DATA / "expected_best_response.csv", "csv")
    for column in DERIVED:
        response[column] = ""
    tables["response"] = response
    return tables


def seed() -> tuple[Any, Section, Section]:
    """The seed protocol with its analyses and claims sections on the example data."""
    protocol, diags = load_protocol(SEED)
    assert protocol is not None, diags
    analyses, claims = sections(protocol, seed_tables(protocol))
    assert analyses is not None and claims is not None
    return protocol, analyses, claims


def sections(protocol: Any, tables: dict[str, pd.DataFrame]) -> tuple[Any, Any]:
    """The analyses and claims sections (None when the protocol has none)."""
    backend = get_backend("pandas")
    bound = backend.bind_frames(protocol, tables)
    assert bound.frames is not None, [d.message for d in bound.diagnostics]
    analyses = run_analyses(protocol, bound.frames, backend)
    claims = run_claims(protocol, bound.frames, backend)
    return analyses, claims


MINI_HEAD = """\
trialspec: 1
study: {id: MINI}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      arm: {type: category, levels: [a, b]}
      age: {type: number, unit: years}
      exposed: {type: boolean}
      start: {type: date}
      event_date: {type: date}
      last_seen: {type: date}
  response:
    derived: true
    key: subject_id
    columns:
      best_response: {type: category, levels: [sCR, CR, VGPR, PR, MR, SD, PD, NE]}
endpoints:
  orr: {kind: response, responders: [CR, PR]}
  cr: {kind: response, responders: [CR]}
  pr: {kind: response, responders: [PR]}
  pfs:
    kind: time_to_event
    start: start
    event: event_date
    censor: last_seen
    options: {unit: days}
"""


def mini_protocol(body: str) -> Any:
    protocol, diags = load_protocol_text(MINI_HEAD + body, "mini.yaml")
    assert protocol is not None, [d.message for d in diags]
    return protocol


def mini_tables(arms: dict[str, list[str]], **columns: list[Any]) -> dict[str, pd.DataFrame]:
    """Subjects in arms with their best responses: ``{"a": ["PR", "SD"], "b": [...]}``."""
    arm = [a for a, responses in arms.items() for _ in responses]
    best = [r for responses in arms.values() for r in responses]
    ids = [f"S{i + 1:03d}" for i in range(len(best))]
    n = len(ids)
    subjects = pd.DataFrame({"subject_id": ids, "arm": arm,
                             "age": columns.pop("age", [50 + i % 30 for i in range(n)]),
                             "exposed": columns.pop("exposed", ["true"] * n),
                             "start": columns.pop("start", ["2020-01-01"] * n),
                             "event_date": columns.pop("event_date", [""] * n),
                             "last_seen": columns.pop("last_seen", ["2020-07-01"] * n), **columns})
    return {"subjects": subjects.astype(str),
            "response": pd.DataFrame({"subject_id": ids, "best_response": best})}


def t4_arms() -> dict[str, list[str]]:
    """The seed's Table 4 counts: 12 of 16 respond in arm a, 1 of 5 in arm b."""
    return {"a": ["CR"] * 2 + ["PR"] * 10 + ["SD"] * 4, "b": ["PR"] + ["PD"] * 4}


def mini(body: str, tables: dict[str, pd.DataFrame] | None = None) -> tuple[Any, Section]:
    """The analyses section (None without analyses) and the claims section of a report."""
    analyses, claims = sections(mini_protocol(body), tables or mini_tables(t4_arms()))
    assert claims is not None
    return analyses, claims


def verdicts(claims: Section) -> dict[str, tuple[str, list[str]]]:
    """claim label -> (status, codes)."""
    return {r["claim"]: (r["status"], r["codes"]) for r in claims.summary["results"]}


def finding(section: Section, code: str, contains: str = "") -> Any:
    found = [d for d in section.findings if d.code == code and contains in d.message]
    assert found, f"no {code} with {contains!r} in {[(d.code, d.message) for d in section.findings]}"
    return found[0]
