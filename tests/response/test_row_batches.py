"""``Backend.row_batches``: the contract every backend keeps (docs/engine.md, "Row batches"),
on every registered backend: order by several keys of each kind with missing values last and
ties in file order, batches of whole subjects covering every subject, subject-grain values
broadcast to rows, and an unbound dataset said so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialspec.backend import Backend, UnboundDataset
from trialspec.lang import ir
from trialspec.lang.types import Kind, Type
from trialspec.row_batch import concat, plain

DS = "r"
SUBJECTS = pd.DataFrame({"id": ["A", "B", "C", "D"], "age": [30.0, 40.0, np.nan, 50.0]})
ROWS = pd.DataFrame({
    "id": ["C", "A", "A", "C", "A", "B", "A", "C"],
    "day": ["2020-01-03", "2020-01-02", None, "2020-01-01", "2020-01-02", "2020-01-09", "2020-01-01",
            "2020-01-03"],
    "x": [1.0, 5.0, 2.0, np.nan, 3.0, 4.0, 9.0, 0.5],
    "tag": ["b", "a", "c", None, "a", "z", "d", "a"],
})
DAY = ir.Col(DS, "day", Type(Kind.DATE, grain=DS))
X = ir.Col(DS, "x", Type(Kind.NUMBER, grain=DS))
TAG = ir.Col(DS, "tag", Type(Kind.STRING, grain=DS))
AGE = ir.Col("s", "age", Type(Kind.NUMBER))


def batches(backend: Backend, order_by: list[ir.Node], size: int = 10) -> list:
    frames = backend.frames_from_pandas(SUBJECTS, "id", {"s": SUBJECTS}, {DS: (ROWS, "id")})
    return list(backend.row_batches(frames, DS, {"x": X, "tag": TAG, "age": AGE}, order_by, size))


def file_order(batch_list: list) -> list[int]:
    one = concat(batch_list)
    assert one is not None
    return (one.row - 1).tolist()


def test_rows_in_subject_then_date_order_missing_last_ties_in_file_order(backend: Backend) -> None:
    # A: rows 6 (01-01), 1 and 4 (01-02, file order), 2 (no date); B: 5; C: 3 (01-01), 0 and 7 (01-03)
    assert file_order(batches(backend, [DAY])) == [6, 1, 4, 2, 5, 3, 0, 7]


def test_several_keys_of_each_kind(backend: Backend) -> None:
    # by date, then by text: A's 01-02 rows are tagged a (row 1) and a (row 4): file order
    assert file_order(batches(backend, [DAY, TAG])) == [6, 1, 4, 2, 5, 3, 7, 0]
    # by number alone, missing last: A 2 3 5 9 | B 4 | C 0.5 1 NaN
    assert file_order(batches(backend, [X])) == [2, 4, 1, 6, 5, 7, 0, 3]
    # no key: the file's order within each subject
    assert file_order(batches(backend, [])) == [1, 2, 4, 6, 5, 0, 3, 7]


def test_values_follow_their_rows_and_subject_values_are_broadcast(backend: Backend) -> None:
    one = concat(batches(backend, [DAY]))
    assert one is not None
    assert plain(one.values["x"]).tolist()[:4] == [9.0, 5.0, 3.0, 2.0]
    assert plain(one.values["tag"]).tolist()[:4] == ["d", "a", "a", "c"]
    age = plain(one.values["age"]).tolist()
    assert age[:5] == [30.0] * 4 + [40.0] and all(np.isnan(a) for a in age[5:])
    assert one.subject.tolist() == [0, 0, 0, 0, 1, 2, 2, 2]


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_batches_hold_whole_subjects_and_cover_every_subject(backend: Backend, size: int) -> None:
    found = batches(backend, [DAY], size)
    assert np.concatenate([b.subjects for b in found]).tolist() == [0, 1, 2, 3]  # D has no rows
    assert all(1 <= len(b.subjects) <= size for b in found)
    for b in found:
        assert set(b.subject.tolist()) <= set(b.subjects.tolist())
        assert b.n == int(np.isin(ROWS["id"].map({"A": 0, "B": 1, "C": 2}), b.subjects).sum())
    assert file_order(found) == [6, 1, 4, 2, 5, 3, 0, 7]


def test_an_unbound_dataset_is_said_so(backend: Backend) -> None:
    frames = backend.frames_from_pandas(SUBJECTS, "id", {"s": SUBJECTS}, {DS: (ROWS, "id")})
    with pytest.raises(UnboundDataset):
        list(backend.row_batches(frames, "nope", {"x": X}, []))
    with pytest.raises(UnboundDataset):  # one row per subject: not a row dataset
        list(backend.row_batches(frames, "s", {"age": AGE}, []))
