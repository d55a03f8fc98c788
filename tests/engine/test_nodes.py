"""One behaviour per test, per IR node type, with missing values and partial dates."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from trialspec.engine import EngineError
from trialspec.engine.pandas import Numbers, SubjectFrames, Tri, evaluate
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, STRING, Kind, Type

from .helpers import CAT, DAYS, col, day, num, run, subjects, text, true

NAN = math.nan
D = dt.date


# -- Col and Const ---------------------------------------------------------------------------------


def test_number_column_nan_and_inf_are_missing() -> None:
    fr = subjects(x=[1.5, NAN, math.inf, -math.inf])
    assert run(col("x"), fr) == [1.5, None, None, None]


def test_integer_and_nullable_columns_become_float() -> None:
    fr = subjects(x=pd.array([1, None, 3], dtype="Int64"), y=[1, 2, 3])
    assert run(col("x"), fr) == [1.0, None, 3.0]
    assert run(col("y"), fr) == [1.0, 2.0, 3.0]


def test_text_in_a_number_column_is_missing() -> None:
    fr = subjects(x=pd.Series(["1.5", "abc", None], dtype=object))
    assert run(col("x"), fr) == [1.5, None, None]


def test_input_frames_are_not_modified() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "x": [1.0, math.inf]})
    before = df.copy()
    fr = SubjectFrames.from_frames(df, "id", {"s": df})
    evaluate(ir.Cmp(">", col("x"), num(0)), fr)
    pd.testing.assert_frame_equal(df, before)


def test_constant_broadcasts_to_every_subject() -> None:
    fr = subjects(x=[1.0, 2.0, 3.0])
    assert run(num(4), fr) == [4.0, 4.0, 4.0]
    assert run(true(), fr) == [True, True, True]


def test_boolean_column_with_missing() -> None:
    fr = subjects(f=[True, False, None])
    assert run(col("f", BOOL), fr) == [True, False, None]


def test_boolean_from_nullable_and_numeric() -> None:
    fr = subjects(f=pd.array([True, None, False], dtype="boolean"), g=[1.0, NAN, 0.0])
    assert run(col("f", BOOL), fr) == [True, None, False]
    assert run(col("g", BOOL), fr) == [True, None, False]


def test_category_column_object_and_categorical() -> None:
    values = ["IIIA", None, "IA"]
    fr = subjects(a=values, b=pd.Categorical(values, categories=CAT.levels))
    assert run(col("a", CAT), fr) == ["IIIA", None, "IA"]
    assert run(col("b", CAT), fr) == ["IIIA", None, "IA"]


# -- Cmp --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "expected"), [
    ("<", [True, False, False, None]),
    ("<=", [True, True, False, None]),
    (">", [False, False, True, None]),
    (">=", [False, True, True, None]),
    ("==", [False, True, False, None]),
    ("!=", [True, False, True, None]),
])
def test_number_comparison_with_missing_is_unknown(op: str, expected: list[object]) -> None:
    fr = subjects(x=[1.0, 2.0, 3.0, NAN])
    assert run(ir.Cmp(op, col("x"), num(2)), fr) == expected


def test_comparison_of_two_columns() -> None:
    fr = subjects(x=[1.0, NAN, 3.0], y=[2.0, 1.0, NAN])
    assert run(ir.Cmp("<", col("x"), col("y")), fr) == [True, None, None]


def test_label_equality_with_missing() -> None:
    fr = subjects(c=["IIIA", None, "IA"])
    assert run(ir.Cmp("==", col("c", CAT), text("IIIA")), fr) == [True, None, False]
    assert run(ir.Cmp("!=", col("c", CAT), text("IIIA")), fr) == [False, None, True]
    assert run(ir.Cmp("==", text("IIIA"), col("c", CAT)), fr) == [True, None, False]


def test_label_equality_across_columns_with_different_levels() -> None:
    fr = subjects(a=["x", "y", None, "z"], b=pd.Categorical(["x", "x", "x", "w"]))
    assert run(ir.Cmp("==", col("a", STRING), col("b", STRING)), fr) == [True, False, None, False]


def test_label_ordering_is_an_engine_error() -> None:
    fr = subjects(c=["IA"])
    with pytest.raises(EngineError, match="does not order"):
        evaluate(ir.Cmp("<", col("c", CAT), text("IIA")), fr)


def test_condition_equality() -> None:
    fr = subjects(f=[True, False, None, True])
    assert run(ir.Cmp("==", col("f", BOOL), true()), fr) == [True, False, None, True]


def test_mismatched_kinds_are_an_engine_error() -> None:
    fr = subjects(x=[1.0], d=["2014-01-01"])
    with pytest.raises(EngineError, match="cannot compare"):
        evaluate(ir.Cmp("<", col("x"), col("d", DATE)), fr)


# -- dates ------------------------------------------------------------------------------------------


def test_partial_dates_parse_to_intervals() -> None:
    fr = subjects(d=["2014-06-15", "2014-06", "2014", "2014-02", "2016-02", None, "junk",
                     "2014-02-30", "2014-13", "2014-06-15T08:30:00"])
    assert run(col("d", DATE), fr) == [
        D(2014, 6, 15), (D(2014, 6, 1), D(2014, 6, 30)), (D(2014, 1, 1), D(2014, 12, 31)),
        (D(2014, 2, 1), D(2014, 2, 28)), (D(2016, 2, 1), D(2016, 2, 29)), None, None, None,
        None, D(2014, 6, 15)]


def test_datetime64_and_date_objects() -> None:
    fr = subjects(a=pd.to_datetime(["2014-06-15 13:00", None]),
                  b=pd.Series([dt.date(2014, 6, 15), None], dtype=object),
                  c=pd.to_datetime(["2014-06-15 23:30", None]).tz_localize("Europe/Paris"))
    assert run(col("a", DATE), fr) == [D(2014, 6, 15), None]
    assert run(col("b", DATE), fr) == [D(2014, 6, 15), None]
    assert run(col("c", DATE), fr) == [D(2014, 6, 15), None]  # the wall-clock date


def test_far_dates_are_shown_as_text() -> None:
    fr = subjects(d=["9999-12-31"], n=[400.0])
    later = ir.Arith("+", col("d", DATE), col("n", DAYS), DATE)
    assert run(later, fr) == ["10001-02-03"]  # 10000 is a leap year


@pytest.mark.parametrize(("op", "const", "expected"), [
    # subjects: 2014-06-15, 2014-06 (June), 2014 (year), missing
    ("<", "2014-07-01", [True, True, None, None]),
    ("<", "2014-06-15", [False, None, None, None]),
    ("<", "2014-06-01", [False, False, None, None]),
    ("<=", "2014-06-30", [True, True, None, None]),
    (">=", "2014-06-01", [True, True, None, None]),
    (">", "2014-12-31", [False, False, False, None]),
    ("==", "2014-06-15", [True, None, None, None]),
    ("==", "2014-07-01", [False, False, None, None]),
    ("!=", "2015-01-01", [True, True, True, None]),
    ("<", "2015", [True, True, True, None]),
    ("==", "2014-06", [None, None, None, None]),
])
def test_partial_date_comparisons(op: str, const: str, expected: list[object]) -> None:
    fr = subjects(d=["2014-06-15", "2014-06", "2014", None])
    assert run(ir.Cmp(op, col("d", DATE), day(const)), fr) == expected


def test_date_plus_days_moves_both_bounds() -> None:
    fr = subjects(d=["2014-06-15", "2014-06", None])
    node = ir.Arith("+", col("d", DATE), ir.Const(28.0, DAYS), DATE)
    assert run(node, fr) == [D(2014, 7, 13), (D(2014, 6, 29), D(2014, 7, 28)), None]


def test_fractional_days_round_to_the_nearest_day() -> None:
    fr = subjects(d=["2014-01-01", "2014-01-01"], n=[182.625, -0.5])
    node = ir.Arith("+", col("d", DATE), col("n", DAYS), DATE)
    assert run(node, fr) == [D(2014, 7, 3), D(2013, 12, 31)]  # halves away from zero
    minus = ir.Arith("-", col("d", DATE), ir.Const(91.3125, DAYS), DATE)
    assert run(minus, fr) == [D(2013, 10, 2), D(2013, 10, 2)]


def test_date_minus_date_is_days_an_interval_when_partial() -> None:
    fr = subjects(a=["2014-06-15", "2014-06-15", None], b=["2014-06-01", "2014-06", "2014-01-01"])
    node = ir.Arith("-", col("a", DATE), col("b", DATE), DAYS)
    assert run(node, fr) == [14.0, (-15.0, 14.0), None]
    within = ir.Cmp("<=", node, ir.Const(28.0, DAYS))
    assert run(within, fr) == [True, True, None]


def test_missing_days_make_the_date_missing() -> None:
    fr = subjects(d=["2014-06-15"], n=[NAN])
    assert run(ir.Arith("+", col("d", DATE), col("n", DAYS), DATE), fr) == [None]


# -- BoolOp and Negate --------------------------------------------------------------------------------

T, F, U = True, False, None
THREE = [T, F, U]


def _pairs() -> tuple[list[object], list[object]]:
    a = [x for x in THREE for _ in THREE]
    b = [y for _ in THREE for y in THREE]
    return a, b


def test_kleene_and_or_truth_tables() -> None:
    a, b = _pairs()
    fr = subjects(a=a, b=b)
    both = run(ir.BoolOp("and", (col("a", BOOL), col("b", BOOL))), fr)
    either = run(ir.BoolOp("or", (col("a", BOOL), col("b", BOOL))), fr)
    assert both == [T, F, U, F, F, F, U, F, U]
    assert either == [T, T, T, T, F, U, T, U, U]


def test_kleene_not() -> None:
    fr = subjects(a=THREE)
    assert run(ir.Negate(col("a", BOOL)), fr) == [F, T, U]


def test_and_of_clauses_on_one_column_shares_known() -> None:
    fr = subjects(age=[17.0, 40.0, 80.0, NAN])
    between = ir.BoolOp("and", (ir.Cmp(">=", col("age"), num(18)),
                                ir.Cmp("<=", col("age"), num(75))))
    assert run(between, fr) == [F, T, F, U]
    assert run(ir.Negate(between), fr) == [T, F, T, U]


def test_or_of_three_branches_decides_despite_missing() -> None:
    fr = subjects(a=[1.0, NAN, NAN, 0.0], b=[NAN, 300.0, NAN, 0.0], c=[NAN, NAN, NAN, 0.0])
    node = ir.BoolOp("or", (ir.Cmp(">=", col("a"), num(0.5)), ir.Cmp(">=", col("b"), num(200)),
                            ir.Cmp(">=", col("c"), num(10))))
    assert run(node, fr) == [T, T, U, F]


# -- Arith ---------------------------------------------------------------------------------------------


def test_arithmetic_propagates_missing() -> None:
    fr = subjects(x=[6.0, NAN, 6.0], y=[3.0, 1.0, NAN])
    assert run(ir.Arith("+", col("x"), col("y"), NUMBER), fr) == [9.0, None, None]
    assert run(ir.Arith("-", col("x"), col("y"), NUMBER), fr) == [3.0, None, None]
    assert run(ir.Arith("*", col("x"), col("y"), NUMBER), fr) == [18.0, None, None]
    assert run(ir.Arith("/", col("x"), col("y"), NUMBER), fr) == [2.0, None, None]
    assert run(ir.Arith("neg", col("x"), None, NUMBER), fr) == [-6.0, None, -6.0]


def test_division_by_zero_and_overflow_are_missing() -> None:
    fr = subjects(x=[1.0, 0.0, -1.0, 1e308], y=[0.0, 0.0, -0.0, 1e-308])
    assert run(ir.Arith("/", col("x"), col("y"), NUMBER), fr) == [None, None, None, None]
    big = ir.Arith("*", col("x"), num(1e308), NUMBER)
    assert run(big, fr)[3] is None


def test_negating_an_interval_swaps_bounds() -> None:
    fr = subjects(a=["2014-06-15"], b=["2014-06"])
    diff = ir.Arith("-", col("a", DATE), col("b", DATE), DAYS)
    assert run(ir.Arith("neg", diff, None, DAYS), fr) == [(-14.0, 15.0)]


# -- InSet and IsNull ----------------------------------------------------------------------------------


def test_category_in_set() -> None:
    fr = subjects(c=pd.Categorical(["IIIA", "IA", None], categories=CAT.levels))
    node = ir.InSet(col("c", CAT), ("IIIA", "IIIB"))
    assert run(node, fr) == [T, F, U]
    assert run(ir.InSet(col("c", CAT), ("IIIA", "IIIB"), negated=True), fr) == [F, T, U]


def test_value_not_among_levels_is_simply_not_in_the_set() -> None:
    fr = subjects(c=["IIIA", None])
    assert run(ir.InSet(col("c", CAT), ("nope",)), fr) == [F, U]


def test_number_in_set() -> None:
    fr = subjects(ecog=[0.0, 1.0, 3.0, NAN])
    assert run(ir.InSet(col("ecog"), (0.0, 1.0, 2.0)), fr) == [T, T, F, U]


def test_partial_date_in_set() -> None:
    fr = subjects(d=["2014-06-15", "2014-06", "2014-07", None])
    assert run(ir.InSet(col("d", DATE), ("2014-06-15", "2015")), fr) == [T, U, F, U]


def test_condition_in_set() -> None:
    fr = subjects(f=[True, False, None])
    assert run(ir.InSet(col("f", BOOL), (True,)), fr) == [T, F, U]
    assert run(ir.InSet(col("f", BOOL), (True, False)), fr) == [T, T, U]
    assert run(ir.InSet(col("f", BOOL), ()), fr) == [F, F, U]


def test_is_missing_is_never_unknown() -> None:
    fr = subjects(x=[1.0, NAN], c=[None, "IA"], d=["2014", None], f=[None, True])
    for name, type_ in (("x", NUMBER), ("c", CAT), ("d", DATE), ("f", BOOL)):
        missing = run(ir.IsNull(col(name, type_)), fr)
        present = run(ir.IsNull(col(name, type_), negated=True), fr)
        assert [m is not None for m in missing] == [True, True]
        assert present == [not m for m in missing]
    assert run(ir.IsNull(col("x")), fr) == [F, T]


# -- Func ------------------------------------------------------------------------------------------------


def test_min_max_are_missing_if_any_argument_is() -> None:
    fr = subjects(k=[12.0, NAN, 3.0], lam=[4.0, 5.0, NAN])
    assert run(ir.Func("max", (col("k"), col("lam")), NUMBER), fr) == [12.0, None, None]
    assert run(ir.Func("min", (col("k"), col("lam")), NUMBER), fr) == [4.0, None, None]


def test_min_of_dates() -> None:
    fr = subjects(a=["2014-06-15", "2014-06", None], b=["2014-06-20", "2014-06-10", "2014"])
    node = ir.Func("min", (col("a", DATE), col("b", DATE)), DATE)
    assert run(node, fr) == [D(2014, 6, 15), (D(2014, 6, 1), D(2014, 6, 10)), None]


def test_coalesce_takes_the_first_present() -> None:
    fr = subjects(x=[1.0, NAN, NAN], y=[2.0, 3.0, NAN], c=[None, "IA", None], e=["IIA", "z", None])
    assert run(ir.Func("coalesce", (col("x"), col("y"), num(0)), NUMBER), fr) == [1.0, 3.0, 0.0]
    node = ir.Func("coalesce", (col("c", CAT), col("e", STRING)), STRING)
    assert run(node, fr) == ["IIA", "IA", None]


def test_coalesce_of_conditions() -> None:
    fr = subjects(a=[None, None, True], b=[False, None, False])
    node = ir.Func("coalesce", (col("a", BOOL), col("b", BOOL)), BOOL)
    assert run(node, fr) == [F, U, T]


def test_abs_and_ratio() -> None:
    fr = subjects(k=[-12.0, 1.0, NAN, 5.0], lam=[4.0, 0.0, 1.0, 2.0])
    assert run(ir.Func("abs", (col("k"),), NUMBER), fr) == [12.0, 1.0, None, 5.0]
    assert run(ir.Func("ratio", (col("k"), col("lam")), NUMBER), fr) == [-3.0, None, None, 2.5]


def test_abs_of_an_interval_around_zero() -> None:
    fr = subjects(a=["2014-06-15"], b=["2014-06"])
    diff = ir.Arith("-", col("a", DATE), col("b", DATE), DAYS)
    assert run(ir.Func("abs", (diff,), DAYS), fr) == [(0.0, 15.0)]


def test_unknown_function_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="unknown function"):
        evaluate(ir.Func("median", (col("x"),), NUMBER), subjects(x=[1.0]))


# -- Series and unknown nodes ----------------------------------------------------------------------------


def test_a_series_read_per_subject_is_an_engine_error() -> None:
    # time series vary over a dataset's rows; the response section reads them per row
    node = ir.Series("baseline", "labs", (col("x"),), NUMBER)
    with pytest.raises(EngineError, match="baseline"):
        evaluate(node, subjects(x=[1.0]))


def test_a_non_condition_where_a_condition_is_needed_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="expected a condition"):
        evaluate(ir.Negate(col("x")), subjects(x=[1.0]))


def test_const_of_kind_any_is_an_engine_error() -> None:
    with pytest.raises(EngineError):
        evaluate(ir.Const(1.0, Type(Kind.ANY)), subjects(x=[1.0]))


def test_tri_normalizes_value_to_known() -> None:
    t = Tri([True, True, False], [True, False, True])
    assert t.value.tolist() == [True, False, False]
    assert t.counts() == (1, 1, 1)


def test_numbers_result_types() -> None:
    value = evaluate(col("x"), subjects(x=[1.0, 2.0]))
    assert isinstance(value, Numbers) and value.exact
    assert value.lo.dtype == np.float64
