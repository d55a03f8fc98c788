"""The data context: subject alignment, row tables, unit columns, traces, status, start-up."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from trialspec import engine
from trialspec.engine import EngineError, get_backend
from trialspec.engine.pandas import (
    SubjectFrames,
    Tri,
    convert_unit_column,
    evaluate_with_trace,
    to_python,
)
from trialspec.lang import ir
from trialspec.lang.types import NUMBER

from .helpers import col, num, run

NAN = math.nan


# -- alignment -------------------------------------------------------------------------------------


def test_subject_tables_are_joined_on_the_key() -> None:
    subjects = pd.DataFrame({"id": ["a", "b", "c"]})
    labs = pd.DataFrame({"id": ["c", "a"], "x": [3.0, 1.0]})
    fr = SubjectFrames.from_frames(subjects, "id", {"s": labs})
    assert run(col("x"), fr) == [1.0, None, 3.0]
    assert fr.position("c") == 2


def test_subject_table_in_subject_order_is_used_as_is() -> None:
    subjects = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    fr = SubjectFrames.from_frames(subjects, "id", {"s": subjects})
    assert fr.tables["s"].positions is None


def test_integer_column_of_a_partial_table_gets_missing() -> None:
    subjects = pd.DataFrame({"id": [1, 2, 3]})
    t = pd.DataFrame({"id": [3, 1], "x": [30, 10], "c": pd.Categorical(["b", "a"])})
    fr = SubjectFrames.from_frames(subjects, "id", {"s": t})
    assert run(col("x"), fr) == [10.0, None, 30.0]


def test_add_columns_aligned_to_the_subjects() -> None:
    subjects = pd.DataFrame({"id": ["a", "b"], "x": [1.0, 2.0]})
    fr = SubjectFrames.from_frames(subjects, "id", {"s": subjects})
    assert run(col("x"), fr) == [1.0, 2.0]
    fr.add_columns("s", {"x": np.array([5.0, NAN]), "y": np.array([3.0, 4.0])})
    assert run(col("x"), fr) == [5.0, None]  # replaced, and the cached value dropped
    fr.add_columns("derived", {"z": np.array([7.0, 8.0])})
    assert run(ir.Col("derived", "z", NUMBER), fr) == [7.0, 8.0]
    with pytest.raises(EngineError, match="1 values for 2 subjects"):
        fr.add_columns("s", {"w": np.array([1.0])})


def test_duplicate_subject_keys_are_an_engine_error() -> None:
    with pytest.raises(EngineError, match="duplicate subject keys"):
        SubjectFrames.from_frames(pd.DataFrame({"id": ["a", "a"]}), "id")
    with pytest.raises(EngineError, match="several rows"):
        SubjectFrames.from_frames(pd.DataFrame({"id": ["a", "b"]}), "id",
                                  {"s": pd.DataFrame({"id": ["a", "a"], "x": [1, 2]})})


def test_unknown_dataset_and_column_are_engine_errors() -> None:
    fr = SubjectFrames.from_frames(pd.DataFrame({"id": ["a"], "x": [1.0]}), "id",
                                   {"s": pd.DataFrame({"id": ["a"], "x": [1.0]})})
    with pytest.raises(EngineError, match="unknown dataset 'labs'"):
        run(ir.Col("labs", "x", NUMBER), fr)
    with pytest.raises(EngineError, match="no column 'y'"):
        run(col("y"), fr)


def test_no_subjects() -> None:
    fr = SubjectFrames.from_frames(pd.DataFrame({"id": pd.Series([], dtype=object)}), "id",
                                   {"s": pd.DataFrame({"id": pd.Series([], dtype=object),
                                                       "x": pd.Series([], dtype=float)})})
    value, _ = evaluate_with_trace(ir.Cmp(">", col("x"), num(1)), fr)
    assert isinstance(value, Tri) and value.value.shape == (0,)


# -- unit columns ----------------------------------------------------------------------------------


def test_convert_unit_column_with_the_unit_registry() -> None:
    values = np.array([1.0, 17.1, 2.0, NAN, 3.0, 4.0])
    units = np.array(["mg/dL", "umol/L", None, "mg/dL", "furlong", "mg/dL"], dtype=object)
    converted, bad = convert_unit_column(values, units, "mg/dL", "bilirubin")
    assert converted[0] == 1.0 and converted[5] == 4.0
    assert converted[1] == pytest.approx(17.1 * 584.66 / 1e4, rel=1e-6)
    assert np.isnan(converted[[2, 3, 4]]).all()
    assert bad.tolist() == [False, False, True, False, True, False]


def test_convert_unit_column_resolves_each_unit_once() -> None:
    calls: list[str] = []

    def factor_of(unit: str) -> float:
        calls.append(unit)
        if unit == "g/L":
            return 0.1
        raise LookupError(unit)

    units = np.array(["g/L", "g/L", " g/L ", "", "x", None], dtype=object)
    converted, bad = convert_unit_column(np.ones(6), units, "g/dL", factor_of=factor_of)
    assert sorted(calls) == ["g/L", "g/L", "x"]  # distinct texts, stripped, empty skipped
    assert converted[:3].tolist() == [0.1, 0.1, 0.1]
    assert bad.tolist() == [False, False, False, True, True, True]


def test_convert_unit_column_treats_inf_as_missing() -> None:
    converted, bad = convert_unit_column(np.array([math.inf, 1e308]), np.array(["a", "a"]),
                                         "b", factor_of=lambda u: 10.0)
    assert np.isnan(converted).all() and not bad.any()


# -- trace -----------------------------------------------------------------------------------------


def test_trace_holds_every_clause_per_subject() -> None:
    fr = SubjectFrames.from_frames(pd.DataFrame({"id": ["a", "b"], "age": [40.0, NAN]}), "id",
                                   {"s": pd.DataFrame({"id": ["a", "b"], "age": [40.0, NAN]})})
    low = ir.Cmp(">=", col("age"), num(18))
    high = ir.Cmp("<=", col("age"), num(75))
    node = ir.BoolOp("and", (low, high))
    value, trace = evaluate_with_trace(node, fr)
    assert to_python(trace.get(low), 0) is True
    assert to_python(trace.get(high), 1) is None
    assert to_python(trace.get(low.right), 1) == 18.0  # constants broadcast on request
    assert [type(n).__name__ for n, _g, _v in trace.items()][-1] == "BoolOp"
    assert low in trace and len(trace) == 7  # 2 columns, 2 constants, 2 clauses, and


def test_shared_trace_computes_a_shared_node_once() -> None:
    df = pd.DataFrame({"id": ["a"], "x": [1.0]})
    fr = SubjectFrames.from_frames(df, "id", {"s": df})
    shared = ir.Cmp(">", col("x"), num(0))
    _, trace = evaluate_with_trace(ir.Negate(shared), fr)
    before = len(trace)
    evaluate_with_trace(ir.BoolOp("or", (shared, shared)), fr, trace)
    assert len(trace) == before + 1  # only the new `or` was evaluated
    other = SubjectFrames.from_frames(df, "id", {"s": df})
    with pytest.raises(EngineError, match="one SubjectFrames"):
        evaluate_with_trace(shared, other, trace)


# -- status and attrition --------------------------------------------------------------------------


def _tri(values: list[bool | None]) -> Tri:
    return Tri([v is True for v in values], [v is not None for v in values])


# -- registry and start-up -------------------------------------------------------------------------


def test_backend_registry() -> None:
    backend = get_backend("pandas")
    assert backend.name == "pandas" and "pandas" in engine.backends()
    assert "duckdb" in engine.backends()
    with pytest.raises(EngineError, match="unknown backend"):
        get_backend("no-such-engine")


def test_importing_the_engine_package_imports_no_numpy_or_pandas() -> None:
    code = ("import sys, trialspec.engine; "
            "print(any(m in sys.modules for m in ('numpy', 'pandas')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
