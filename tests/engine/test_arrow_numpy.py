"""numpy <-> Arrow through buffers (trialspec/arrow_numpy.py): the same arrays pyarrow's own
conversions give, without them (they import pandas)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from trialspec.arrow_numpy import arrow_ints, arrow_texts, arrow_words, valid_of, values_of


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1000])
def test_arrow_ints_equal_pyarrows_conversion(dtype: type, n: int) -> None:
    rng = np.random.default_rng(n)
    values = rng.integers(0, 100, n).astype(dtype)
    valid = rng.random(n) > 0.3
    assert arrow_ints(values).equals(pa.array(values))
    got = arrow_ints(values, valid)
    assert got.equals(pa.array(values, mask=~valid))
    assert got.null_count == n - int(valid.sum())
    assert np.array_equal(valid_of(got), valid)
    assert np.array_equal(values_of(got, dtype)[valid], values[valid])


def test_arrow_ints_of_a_strided_slice() -> None:
    matrix = np.arange(40, dtype=np.int8).reshape(10, 4, order="F")
    assert arrow_ints(matrix[2:8, 1]).to_pylist() == matrix[2:8, 1].tolist()


@pytest.mark.parametrize("texts", [[], [""], ["pass", "fail"], ["é", "I3: subjects.serum_m missing", "日本"]])
def test_arrow_texts_equal_pyarrows(texts: list[str]) -> None:
    assert arrow_texts(texts).equals(pa.array(texts, pa.string()))
    assert arrow_texts(np.array(texts, dtype=object)).to_pylist() == texts


def test_arrow_words_are_a_dictionary_with_nulls() -> None:
    codes = np.array([1, 0, 3, 2, 1], dtype=np.int8)
    valid = np.array([True, True, False, True, True])
    got = arrow_words(codes, ["fail", "pass", "not assessable", "unknown"], valid)
    assert got.to_pylist() == ["pass", "fail", None, "not assessable", "pass"]
    assert pa.types.is_dictionary(got.type) and got.type.index_type == pa.int8()
