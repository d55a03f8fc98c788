"""Number cells read by Arrow's parser (conform._parsed) agree with pandas' to_numeric, which
decides whenever Arrow cannot read some cell of a column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialspec.engine.pandas.conform import _parsed

READ = ["1", "1.5", "-2", "+3", ".5", "5.", "1e5", "1E-3", "00012", "nan", "NaN", "inf", "-inf",
        "Infinity", "+nan", "-nan", "1e-400", "4.9e-324", None]


def test_arrow_reads_what_pandas_reads_the_same() -> None:
    cells = np.array(READ, dtype=object)
    got = _parsed(cells)
    want = pd.to_numeric(pd.Series(cells), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    assert got is not None and np.array_equal(got, want, equal_nan=True)


def test_beyond_a_double_is_infinite_to_arrow() -> None:  # pandas says NaN; both are `finite` findings
    got = _parsed(np.array(["1e400", "-1e400"], dtype=object))
    assert got is not None and list(got) == [np.inf, -np.inf]


def test_a_cell_arrow_cannot_read_leaves_the_column_to_pandas() -> None:
    for bad in ("abc", "0x10", "1_000", "1,5", "", "1.5.2", "1d5"):
        assert _parsed(np.array(["1", bad], dtype=object)) is None, bad
