"""The fast paths for long text columns give what the general ones give.

``factorize`` hashes the cells' addresses when a column holds few distinct objects, and
``text_values`` trims such a column per distinct text: both must answer exactly as
``pd.factorize`` and the Arrow path do, whatever objects the cells are (equal texts held by
different objects, None, NaN, numbers beside text, 1 and 1.0 and True).
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from trialspec.engine.pandas.conform import _plain_edges, text_and_arrow, text_values
from trialspec.engine.pandas.factorize import SAMPLE, factorize

POOL = ["mg/dL", "umol/L", " mg/dL", "mg/dL ", "", "  ", None, float("nan"), 1, 1.0, True, pd.NA, 2]


def _column(seed: int, pool: list[object], fresh: bool) -> np.ndarray:
    rng = random.Random(seed)
    cells = [rng.choice(pool) for _ in range(SAMPLE * 2 + rng.randint(1, 999))]
    if fresh:  # equal texts held by different str objects
        cells = ["".join(list(c)) if isinstance(c, str) and len(c) > 1 else c for c in cells]
    return np.array(cells, dtype=object)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fresh", [False, True])
def test_factorize_is_pandas(seed: int, fresh: bool) -> None:
    pool = POOL[:3 + seed] if seed < len(POOL) - 3 else POOL
    column = _column(seed, pool, fresh)
    codes, uniques = factorize(column)
    want_codes, want_uniques = pd.factorize(column, use_na_sentinel=True)
    assert np.array_equal(codes, want_codes)
    assert len(uniques) == len(want_uniques)
    assert all(u is w for u, w in zip(uniques, want_uniques, strict=True))


def test_factorize_many_objects_and_short_columns() -> None:
    keys = np.array([f"S{i:06d}" for i in range(SAMPLE * 3)], dtype=object)
    for column in (keys, keys[:10], np.array([1.5, np.nan, 1.5]), np.array([], dtype=object)):
        codes, uniques = factorize(column)
        want_codes, want_uniques = pd.factorize(column, use_na_sentinel=True)
        assert np.array_equal(codes, want_codes)
        assert np.array_equal(np.asarray(uniques, dtype=object), np.asarray(want_uniques, dtype=object))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pool", [POOL[:2], POOL[:4], POOL[:8], [p for p in POOL if isinstance(p, str)]])
def test_text_values_per_distinct_text(seed: int, pool: list[object]) -> None:
    column = _column(seed, pool, seed % 2 == 1)
    texts, _ = text_and_arrow(column)
    # the general path: the same cells after as many distinct texts (no longer few objects)
    general = text_values(np.array([f"x{i}" for i in range(SAMPLE)] + list(column), dtype=object))[SAMPLE:]
    assert texts is not column
    assert list(texts) == list(general)
    assert all(type(t) is type(g) for t, g in zip(texts, general, strict=True))


EDGE_CHARS = ["a", "Z", "0", "~", "!", " ", "\t", "\n", "\x1c", "\x7f", "\u00a0", "\u2028", "\u3000", "é"]


@pytest.mark.parametrize("seed", range(8))
def test_plain_edges_never_hides_whitespace(seed: int) -> None:
    """The byte test that lets keys skip trimming says "plain" only of texts that trim to
    themselves (Arrow's trim is the reference), sliced arrays and missing cells included."""
    rng = random.Random(seed)
    for _ in range(300):
        n = rng.randint(0, 6)
        texts = [None if rng.random() < 0.1 else
                 "".join(rng.choice(EDGE_CHARS) for _ in range(rng.randint(0, 4))) for _ in range(n)]
        arrow = pa.array(texts, pa.string())
        if n > 2 and rng.random() < 0.5:
            arrow = arrow.slice(1, n - 2)
        if _plain_edges(arrow):
            assert not pc.any(pc.not_equal(arrow, pc.utf8_trim_whitespace(arrow))).as_py(), texts
    assert _plain_edges(pa.array([f"S{i:09d}" for i in range(100)]))
    assert not _plain_edges(pa.array(["S1 ", "S2"]))
