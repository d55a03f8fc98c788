"""Query results into value carriers (engine/sql/fetch.py): ``gather`` streams record batches
that come in any order, each row put at its subject position, and gives what ``fetch`` gives on
the whole result in subject order; flags come back as the bytes they were packed in."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from sqlglot import exp

from trialspec.engine.sql.fetch import fetch, gather
from trialspec.engine.sql.values import SCond, SDate, SFlags, SNum, SText
from trialspec.values import Dates, Labels, Numbers, Tri

X = exp.column("x")


def _table(n: int, rng: np.random.Generator) -> pa.Table:
    def holes(values: Any, typ: Any) -> pa.Array:
        return pa.array(values, typ, mask=rng.random(n) < 0.2)

    lo = rng.integers(0, 20000, n)
    return pa.table({
        "_i": pa.array(np.arange(n), pa.int64()),
        "cond": holes(rng.random(n) < 0.5, pa.bool_()),
        "num": holes(rng.normal(size=n), pa.float64()),
        "num_lo": holes(rng.normal(size=n), pa.float64()),
        "num_hi": pa.array(rng.normal(size=n) + 5, pa.float64()),
        "day_lo": holes(lo, pa.int64()),
        "day_hi": pa.array(lo + rng.integers(0, 30, n), pa.int64()),
        "text": holes(rng.choice(["a", "b", "c"], n), pa.string()),
        "flags": pa.array(rng.integers(0, 256, n), pa.int32()),
    })


VALUES = [SCond(X), SNum(X), SNum(X, X), SDate(X, X), SText(X), SFlags(X)]
SPANS = [(0, 1), (1, 2), (2, 4), (4, 6), (6, 7), (7, 8)]


def _same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if isinstance(a, Tri):
        assert np.array_equal(a.value, b.value) and np.array_equal(a.known, b.known)
    elif isinstance(a, Labels):
        assert list(a.levels[a.codes]) == list(b.levels[b.codes]) and np.array_equal(a.codes < 0, b.codes < 0)
    elif isinstance(a, Numbers | Dates):
        assert np.array_equal(a.lo, b.lo, equal_nan=True) and np.array_equal(a.hi, b.hi, equal_nan=True)
    else:
        assert np.array_equal(a, b)


@pytest.mark.parametrize("order", ["in order", "shuffled rows", "reversed batches", "one row a batch"])
def test_gather_puts_each_row_at_its_subject_whatever_the_order(order: str) -> None:
    rng = np.random.default_rng(7)
    n = 257
    table = _table(n, rng)
    if order == "shuffled rows":
        batches = table.take(rng.permutation(n)).to_batches(max_chunksize=50)
    elif order == "reversed batches":
        batches = table.to_batches(max_chunksize=64)[::-1]
    elif order == "one row a batch":
        batches = [table.slice(i, 1).to_batches()[0] for i in rng.permutation(n)]
    else:
        batches = table.to_batches(max_chunksize=100)
    got = gather(VALUES, SPANS, batches, n)
    columns = table.columns[1:]
    for value, (a, b), mine in zip(VALUES, SPANS, got, strict=True):
        if isinstance(value, SFlags):
            assert mine.dtype == np.uint8
            assert np.array_equal(mine, columns[a].to_numpy().astype(np.uint8))
        else:
            _same(mine, fetch(value, columns[a:b]))


def test_gather_refuses_a_result_of_the_wrong_size() -> None:
    table = _table(10, np.random.default_rng(1))
    with pytest.raises(ValueError, match="returned 9 rows for 10 subjects"):
        gather(VALUES, SPANS, table.slice(0, 9).to_batches(), 10)


def test_flags_pack_eight_conditions_a_byte() -> None:
    import duckdb

    conds = [exp.condition(f"x % {k + 2} = 0") for k in range(8)]
    sql = exp.select(SFlags.pack(conds).v.as_("f")).from_("range(1, 50) t(x)").sql("duckdb")
    got = [r[0] for r in duckdb.sql(sql).fetchall()]
    want = [sum(1 << k for k in range(8) if x % (k + 2) == 0) for x in range(1, 50)]
    assert got == want
    with pytest.raises(ValueError):
        SFlags.pack(conds + conds[:1])
