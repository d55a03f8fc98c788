"""Subject ids held compactly (the Arrow text a database read, ``TextIds``, or numpy
``StringDType``: no Python object per subject): found by id, and written to the per-subject
Parquet exactly as an object array of the same ids."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from trialspec.domain.eligibility import FAIL, PASS, UNKNOWN, SubjectResults
from trialspec.engine.sql.frames import SqlFrames
from trialspec.text_ids import TextIds

IDS = ["S1", "S2", "S3", "S4"]


def test_a_compact_id_array_finds_subjects_by_id_and_refuses_others() -> None:
    frames = SqlFrames(conn=None, subjects=TextIds(pa.array(IDS)),  # type: ignore[arg-type]
                       key="id", subjects_view="v")
    assert [frames.position(s) for s in IDS] == [0, 1, 2, 3]
    for absent in ("S9", 1, None):
        with pytest.raises(KeyError):
            frames.position(absent)
    assert frames._positions is None  # no dict of one string per subject


def test_compact_ids_give_the_same_parquet_rows_as_object_ids() -> None:
    outcomes = np.array([[PASS, UNKNOWN], [FAIL, PASS], [UNKNOWN, UNKNOWN], [PASS, PASS]], dtype=np.int8)
    status = np.array([2, 1, 2, 0], dtype=np.int8)
    missing = (("C1: s.x missing", np.array([2])), ("C2: s.y missing", np.array([0, 2])),
               ("C3", np.array([], dtype=np.intp)))
    tables = [SubjectResults(ids, ("C1", "C2"), outcomes, status, missing).to_arrow()
              for ids in (np.array(IDS, dtype=object), np.array(IDS, dtype=np.dtypes.StringDType()),
                          TextIds(pa.chunked_array([pa.array(IDS[:1]), pa.array(IDS[1:])])))]
    assert tables[0].equals(tables[1]) and tables[0].equals(tables[2])
    assert tables[0].column("missing").to_pylist() == [
        "C2: s.y missing", None, "C1: s.x missing; C2: s.y missing", None]
    assert SubjectResults(np.array(IDS, dtype=object), ("C1", "C2"), outcomes, status, missing
                          ).missing_text().tolist() == tables[0].column("missing").to_pylist()
