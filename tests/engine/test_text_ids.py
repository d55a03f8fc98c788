"""``TextIds`` (trialspec/text_ids.py) reads as the numpy text array ``compact`` makes of the
same Arrow text: every use the checks and reports make of subject ids gives the same answer
either way, and the numpy text is built only by the uses that need an array."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from trialspec.text_ids import TextIds, compact

IDS = ["S001", "S002", "x" * 20, "é1", "S010", "S002"]  # a long id, a non-ASCII one, a repeat


def _chunked() -> Any:
    return pa.chunked_array([pa.array(IDS[:2]), pa.array([], pa.string()), pa.array(IDS[2:])])


@pytest.mark.parametrize("arrow", [pa.array(IDS), pa.array(IDS, pa.large_string()), _chunked(),
                                   pa.array(IDS, pa.string_view())])
def test_text_ids_read_as_their_numpy_text(arrow: Any) -> None:
    ids, plain = TextIds(arrow), compact(arrow)
    assert len(ids) == len(plain) == ids.shape[0]
    assert isinstance(ids.dtype, np.dtypes.StringDType)
    assert [ids[i] for i in range(len(ids))] == plain.tolist() == ids.tolist() == list(ids)
    assert ids[np.int64(3)] == "é1" and isinstance(ids[np.int64(3)], str)
    assert ids._numpy is None  # (nothing above needed an array)
    for text in ("S002", "é1", "nobody"):
        assert (ids == text).tolist() == (plain == text).tolist()
    assert ids.position("S002") == 1 and ids.position("S010") == 4
    assert ids.position("nobody") is None and ids.position(2) is None
    part = ids[1:4]
    assert isinstance(part, TextIds) and part.tolist() == IDS[1:4]
    assert ids[2:2].tolist() == []
    assert ids._numpy is None
    keep = np.array([True, False, True, False, False, True])
    assert ids[keep].tolist() == plain[keep].tolist()
    assert ids[::2].tolist() == plain[::2].tolist()
    assert np.asarray(ids, dtype=object).tolist() == IDS
    assert np.asarray(ids).tolist() == IDS and ids._numpy is not None
    assert pa.array(ids, pa.string()).to_pylist() == IDS  # (pyarrow takes them as they are)
    assert repr(ids) == "TextIds(['S001', 'S002', 'xxxxxxxxxxxxxxxxxxxx'], ...; 6 ids)"


def test_text_ids_hold_text_only() -> None:
    with pytest.raises(TypeError):
        TextIds(pa.array(["S1", None]))
    with pytest.raises(TypeError):
        TextIds(pa.array([1, 2]))
