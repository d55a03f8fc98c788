"""``explain --subject`` on the SQL engines: one subject's data context (``Backend.narrow``).

The engines that narrow run every section for the one subject asked about; pandas runs them
for every subject and reads that one. The tables must be the same, clause by clause, value by
value and origin by origin, on every shipped example; an unknown id gives none.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trialspec.pipeline import check, explain_subject

from .shipped import EXAMPLES, paths


def _tables(tables: list[Any] | None) -> list[Any] | None:
    if tables is None:
        return None
    return [(t.title, list(t.columns), [list(map(str, r)) for r in t.rows]) for t in tables]


@cache
def _pandas(name: str) -> tuple[int, dict[str, Any]]:
    """The pandas engine's whole run of an example: how many subjects it screened, and the
    explain tables of the subjects worth explaining (the first of each status)."""
    result = check(*paths(name))
    elig = result.section("eligibility")
    assert elig is not None and elig.subjects is not None
    ids, status = elig.subjects.ids, elig.subjects.status_code
    picked = [ids[int(np.flatnonzero(status == s)[0])] for s in np.unique(status)]
    tables = {}
    for subject in dict.fromkeys(str(x) for x in picked):
        tables[subject] = _tables([t for section in result.sections if section.explain is not None
                                   for t in section.explain(subject)])
    return len(ids), tables


def _read_natively(name: str) -> bool:
    """Whether DuckDB reads an example's files itself (not XPT files, which pandas reads)."""
    from trialspec.engine import get_backend
    from trialspec.protocol import load_protocol

    model, _ = load_protocol(paths(name)[0])
    return get_backend("duckdb").bind(model, paths(name)[1]).frames.source is None


# examples DuckDB reads itself, between them every section explain shows: eligibility, dosing
# and response (seed-rd-rrmm), dosing alone (rchop21), none but analyses, which a narrowed
# check does not run (streptomycin-1948). Not here:
# cdiscpilot01, whose XPT files pandas reads (the DataFrames test below stands for it);
# seed-rd-rrmm-amendment-1, seed's data again; t2dm-glucoflozin, whose sections seed has.
@pytest.mark.parametrize("name", ["rchop21", "seed-rd-rrmm", "streptomycin-1948"])
def test_duckdb_explains_each_subject_as_pandas_does(name: str) -> None:
    assert _read_natively(name)
    _whole, want = _pandas(name)
    assert any(want.values()) == (name != "streptomycin-1948")  # (it has tables to compare)
    for subject, tables in want.items():
        result, got = explain_subject(*paths(name), subject, "duckdb")
        assert _tables(got) == tables, f"{name}: subject {subject}"
        elig = result.section("eligibility")
        assert elig is not None and elig.summary["screened"] == 1, "the sections ran for the one subject only"


def test_every_example_is_tested_or_said_why_not() -> None:
    assert set(EXAMPLES) == {"cdiscpilot01", "seed-rd-rrmm-amendment-1", "rchop21", "seed-rd-rrmm",
                             "streptomycin-1948", "t2dm-glucoflozin"}


def test_an_unknown_subject_has_no_tables_on_every_engine() -> None:
    for engine in ("pandas", "duckdb"):
        result, tables = explain_subject(*paths("rchop21"), "NO-SUCH-ID", engine)
        assert tables is None
        assert result.section("eligibility") is not None, engine  # (screened: the id is unknown)


def test_spark_explains_as_pandas_does(spark: Any) -> None:
    name = "rchop21"
    subject, tables = next(iter(_pandas(name)[1].items()))
    assert _tables(explain_subject(*paths(name), subject, "spark")[1]) == tables


def test_a_context_from_dataframes_is_explained_whole() -> None:
    """A data context registered from pandas (DataFrames, or files pandas reads, such as XPT)
    holds its data in memory: not narrowed, explained from the whole run."""
    import pandas as pd

    from trialspec.engine import get_backend

    backend = get_backend("duckdb")
    subjects = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    frames = backend.frames_from_pandas(subjects, "id", {"s": subjects}, {})
    assert frames.n == 2 and backend.narrow(frames, "a") is None


def test_narrowing_keeps_the_rows_and_their_order(tmp_path: Path) -> None:
    """A row dataset narrowed to one subject keeps that subject's rows, in order, renumbered
    0..m-1, with their file rows; the subject's position is 0."""
    from trialspec.engine import get_backend
    from trialspec.protocol import load_protocol

    protocol, data = paths("seed-rd-rrmm")
    model, _ = load_protocol(protocol)
    backend = get_backend("duckdb")
    bound = backend.bind(model, data)
    frames = bound.frames
    rows = next(name for name, ds in frames.datasets.items() if ds.rows)
    view = frames.datasets[rows].view
    whole = frames.conn.query(f"SELECT _i, _r, _row FROM {view} ORDER BY _r").to_pydict()
    at = int(np.bincount(whole["_i"]).argmax())  # the subject with the most rows
    subject = str(frames.subjects[at])
    one = backend.narrow(frames, subject)
    assert one.n == 1 and one.position(subject) == 0
    got = one.conn.query(f"SELECT _i, _r, _row FROM {one.datasets[rows].view} ORDER BY _r").to_pydict()
    mine = [r for i, r in zip(whole["_i"], whole["_row"], strict=True) if i == at]
    assert len(mine) > 1
    assert got == {"_i": [0] * len(mine), "_r": list(range(len(mine))), "_row": mine}
    none = backend.narrow(frames, "NO-SUCH-ID")
    assert none.n == 0
    empty = one.conn.query(f"SELECT count(*) AS n FROM {none.datasets[rows].view}")
    assert empty.column("n").to_pylist() == [0]
