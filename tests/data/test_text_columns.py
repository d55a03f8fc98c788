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
import pytest

from trialspec.engine.pandas.conform import text_and_arrow, text_values
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
