"""The vectorized time-series kernels agree with a per-subject Python reference.

Differences are rounded to 9 decimals on both sides (the engine's DECIMALS).

Random subjects with random numbers of rows, rows in random file order, repeated and missing
dates, missing values and a three-valued baseline flag; every series function is evaluated by
the engine over the whole table at once and by the reference one subject at a time.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.backend import Backend
from trialspec.engine import get_backend
from trialspec.engine.pandas.series import seg_cummin
from trialspec.lang import ir
from trialspec.lang.types import BOOL, Kind, Type
from trialspec.row_batch import RowBatch, plain

DS = "a"
NUM = Type(Kind.NUMBER, "g/dL", grain=DS)
TIME = ir.Col(DS, "day", Type(Kind.DATE, grain=DS))
FLAG = ir.Col(DS, "flag", Type(Kind.BOOL, grain=DS))
X = ir.Col(DS, "x", NUM)
COND = ir.Col(DS, "cond", Type(Kind.BOOL, grain=DS))
FUNCS = ("baseline", "nadir", "change", "pct_change", "change_from_nadir", "previous")

rows_strategy = st.lists(
    st.tuples(st.integers(0, 4),  # subject
              st.one_of(st.none(), st.integers(0, 12)),  # day (None: no date)
              st.one_of(st.none(), st.integers(0, 40).map(lambda v: v / 4)),  # x (None: missing)
              st.sampled_from([True, False, None]),  # may be baseline
              st.sampled_from([True, False, None])),  # condition for consecutive
    max_size=40)


def reference(rows: list[tuple[Any, ...]], k: int) -> dict[str, list[Any]]:
    """Each function per row, in file order, computed one subject at a time."""
    out: dict[str, list[Any]] = {f: [None] * len(rows) for f in (*FUNCS, "consecutive")}
    for s in {r[0] for r in rows}:
        idx = sorted((i for i, r in enumerate(rows) if r[0] == s),
                     key=lambda i: (rows[i][1] is None, rows[i][1] or 0, i))
        xs = [rows[i][2] for i in idx]
        flags = [rows[i][3] for i in idx]
        base = max((p for p, f in enumerate(flags) if f is True), default=None)
        for p, i in enumerate(idx):
            x = xs[p]
            b = xs[base] if base is not None else None
            out["baseline"][i] = b
            out["previous"][i] = xs[p - 1] if p > 0 else None
            out["change"][i] = None if x is None or b is None else round(x - b, 9)
            out["pct_change"][i] = None if x is None or not b else round(100 * (x - b) / b, 9)
            if base is not None and p >= base:
                upto = [v for v in xs[base:p + 1] if v is not None]
                out["nadir"][i] = min(upto) if upto else None
            if base is not None and p > base and x is not None:
                before = [v for v in xs[base:p] if v is not None]
                out["change_from_nadir"][i] = round(x - min(before), 9) if before else None
            window = [rows[j][4] for j in idx[max(p - k + 1, 0):p + 1]]
            if p < k - 1 or False in window:
                out["consecutive"][i] = False
            else:
                out["consecutive"][i] = None if None in window else True
    return out


def engine(rows: list[tuple[Any, ...]], k: int, backend_name: str, batch: int = 2) -> dict[str, list[Any]]:
    subjects = pd.DataFrame({"id": [f"S{i}" for i in range(5)]})
    table = pd.DataFrame({
        "id": [f"S{r[0]}" for r in rows],
        "day": [None if r[1] is None else str(np.datetime64("2020-01-01") + r[1]) for r in rows],
        "x": [np.nan if r[2] is None else r[2] for r in rows],
        "flag": pd.array([r[3] for r in rows], dtype="boolean"),
        "cond": pd.array([r[4] for r in rows], dtype="boolean"),
    })
    backend = get_backend(backend_name)
    frames = backend.frames_from_pandas(subjects, "id", {"s": subjects}, {DS: (table, "id")})
    nodes = {f: ir.Series(f, DS, (X,), NUM, order_by=TIME, baseline=FLAG) for f in FUNCS}
    count = ir.Const(float(k), Type(Kind.NUMBER))
    nodes["consecutive"] = ir.Series("consecutive", DS, (COND, count), BOOL, order_by=TIME, baseline=FLAG)
    batches = list(backend.row_batches(frames, DS, nodes, [TIME], batch_subjects=batch))
    check_batches(batches, [r[0] for r in rows], 5, batch)
    # rows come sorted by (subject, day, file order): the reference order
    order = np.lexsort((np.arange(len(rows)), [r[1] if r[1] is not None else 10**6 for r in rows],
                        [r[0] for r in rows]))
    file_rows = np.concatenate([b.row for b in batches]) - 1
    assert file_rows.tolist() == order.tolist()
    result: dict[str, list[Any]] = {}
    for name in nodes:
        values = np.concatenate([plain(b.values[name]) for b in batches])
        back: list[Any] = [None] * len(rows)
        for sorted_pos, file_row in enumerate(order):
            v = values[sorted_pos]
            if name == "consecutive":
                back[file_row] = None if v == -1 else bool(v == 1)
            else:
                back[file_row] = None if np.isnan(v) else float(v)
        result[name] = back
    return result


def check_batches(batches: list[RowBatch], subject_of_row: list[int], n_subjects: int, size: int) -> None:
    """The RowBatch contract: batches of ``size`` consecutive subjects cover every subject
    once, in order; each holds exactly its subjects' rows, grouped by subject."""
    covered = np.concatenate([b.subjects for b in batches]) if batches else np.zeros(0, np.int64)
    assert covered.tolist() == list(range(n_subjects))
    for b in batches:
        assert 1 <= len(b.subjects) <= size
        assert set(b.subject.tolist()) <= set(b.subjects.tolist())
        assert np.all(np.diff(b.subject) >= 0)
        want = sum(1 for s in subject_of_row if s in set(b.subjects.tolist()))
        assert b.n == want == len(b.row) == len(b.line)
        assert all(len(plain(v)) == b.n for v in b.values.values())


@settings(max_examples=300)
@given(rows_strategy, st.integers(1, 3), st.integers(1, 6))
def test_series_functions_match_the_reference(backend: Backend, rows: list[tuple[Any, ...]], k: int,
                                              batch: int) -> None:
    """Through ``Backend.row_batches``, in batches of ``batch`` subjects (a series is computed
    over the whole dataset, whatever the batches)."""
    want, got = reference(rows, k), engine(rows, k, backend.name, batch)
    for name in want:
        for i, (w, g) in enumerate(zip(want[name], got[name], strict=True)):
            if isinstance(w, float) and isinstance(g, float):
                assert math.isclose(w, g, rel_tol=1e-12, abs_tol=2e-9), (name, i, rows)
            else:
                assert w == g, (name, i, w, g, rows)


@settings(max_examples=100)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=60), st.integers(0, 2**32 - 1))
def test_both_running_minimum_strategies_agree(lengths: list[int], seed: int) -> None:
    """The padded grid and the log-step scan (used for very uneven groups) give the same minima."""
    from trialspec.engine.pandas import series as mod

    codes = np.repeat(np.arange(len(lengths)), lengths)
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 50, len(codes)).astype(float)
    v[rng.random(len(codes)) < 0.2] = np.inf
    order = mod.make_order(codes, None, None)
    grid = seg_cummin(v, order)
    saved = mod._PADDED_MAX_WASTE
    try:
        mod._PADDED_MAX_WASTE = -1e9  # force the scan
        scan = seg_cummin(v, order)
    finally:
        mod._PADDED_MAX_WASTE = saved
    expect = np.concatenate([np.minimum.accumulate(part) for part in np.split(v, np.cumsum(lengths)[:-1])])
    assert np.array_equal(grid, expect) and np.array_equal(scan, expect)
