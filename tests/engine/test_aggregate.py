"""Aggregates over a row-grain dataset, three-valued where the filter or values are missing."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from trialspec.engine import EngineError
from trialspec.engine.pandas import SubjectFrames, evaluate
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, Kind, Type

from .helpers import num, run, text

NAN = math.nan
T, F, U = True, False, None
GRADE = ir.Col("ae", "grade", NUMBER)
TERM = ir.Col("ae", "term", Type(Kind.STRING))


def frames() -> SubjectFrames:
    """P0: grades 1, 3. P1: grades 1, missing. P2: no rows. P3: grade 2. P4: missing only."""
    subjects = pd.DataFrame({"id": ["P0", "P1", "P2", "P3", "P4"],
                             "limit": [2.0, 2.0, 2.0, NAN, 2.0]})
    ae = pd.DataFrame({
        "usubjid": ["P0", "P1", "P0", "P1", "P3", "X9", "P4"],
        "grade": [1.0, 1.0, 3.0, NAN, 2.0, 5.0, NAN],
        "term": ["rash", "nausea", "neuropathy", "rash", None, "rash", "rash"],
        "serious": [False, None, True, False, False, True, None],
        "onset": ["2014-06-01", "2014-06", "2014-07-10", None, "2014-05-01", "2014-01-01",
                  "2014"],
    })
    return SubjectFrames.from_frames(subjects, "id", {"s": subjects}, {"ae": (ae, "usubjid")})


def agg(func: str, value: ir.Node | None = None, where: ir.Node | None = None,
        type_: Type = NUMBER) -> ir.Aggregate:
    return ir.Aggregate(func, "ae", value, where, type_)


GE3 = ir.Cmp(">=", GRADE, num(3))


def test_count_rows() -> None:
    assert run(agg("count"), frames()) == [2.0, 2.0, 0.0, 1.0, 1.0]


def test_count_where_unknown_rows_give_an_interval() -> None:
    assert run(agg("count", where=GE3), frames()) == [1.0, (0.0, 1.0), 0.0, 0.0, (0.0, 1.0)]
    at_least_one = ir.Cmp(">=", agg("count", where=GE3), num(1))
    assert run(at_least_one, frames()) == [T, U, F, F, U]


def test_any_where() -> None:
    assert run(agg("any", where=GE3, type_=BOOL), frames()) == [T, U, F, F, U]


def test_any_of_a_dataset_is_whether_there_are_rows() -> None:
    assert run(agg("any", type_=BOOL), frames()) == [T, T, F, T, T]


def test_all_where_and_vacuous_truth() -> None:
    below = ir.Cmp("<", GRADE, num(3))
    assert run(agg("all", where=below, type_=BOOL), frames()) == [F, U, T, T, U]
    assert run(agg("all", type_=BOOL), frames()) == [T, T, T, T, T]


def test_all_with_value_and_where_is_an_implication() -> None:
    # all rashes are below grade 3
    is_rash = ir.Cmp("==", TERM, text("rash"))
    below = ir.Cmp("<", GRADE, num(3))
    assert run(agg("all", below, is_rash, BOOL), frames()) == [T, U, T, T, U]


def test_where_can_read_subject_columns() -> None:
    over_limit = ir.Cmp(">", GRADE, ir.Col("s", "limit", NUMBER))
    assert run(agg("count", where=over_limit), frames()) == [1.0, (0.0, 1.0), 0.0, (0.0, 1.0),
                                                            (0.0, 1.0)]


def test_condition_column_as_value() -> None:
    serious = ir.Col("ae", "serious", BOOL)
    assert run(agg("any", serious, type_=BOOL), frames()) == [T, U, F, F, U]
    assert run(agg("count", serious), frames()) == [1.0, (0.0, 1.0), 0.0, 0.0, (0.0, 1.0)]


def test_sum_mean_are_missing_when_a_selected_value_is() -> None:
    assert run(agg("sum", GRADE), frames()) == [4.0, None, None, 2.0, None]
    assert run(agg("mean", GRADE), frames()) == [2.0, None, None, 2.0, None]


def test_sum_with_where_excludes_unselected_missing_values() -> None:
    is_rash = ir.Cmp("==", TERM, text("rash"))
    # P1's missing grade is a rash row, so its sum is missing; P3's term is missing: unknown row
    assert run(agg("sum", GRADE, is_rash), frames()) == [1.0, None, None, None, None]
    mild = ir.Cmp("<=", GRADE, num(1))
    assert run(agg("sum", GRADE, mild), frames()) == [1.0, None, None, None, None]


def test_min_max_of_numbers_and_dates() -> None:
    grade_known = ir.IsNull(GRADE, negated=True)
    assert run(agg("max", GRADE, grade_known), frames()) == [3.0, 1.0, None, 2.0, None]
    assert run(agg("min", GRADE, grade_known), frames()) == [1.0, 1.0, None, 2.0, None]
    onset = ir.Col("ae", "onset", DATE)
    first = run(agg("min", onset, grade_known, DATE), frames())
    assert first == [dt.date(2014, 6, 1), (dt.date(2014, 6, 1), dt.date(2014, 6, 30)), None,
                     dt.date(2014, 5, 1), None]


def test_rows_of_unknown_subjects_are_ignored() -> None:
    # X9's grade-5 row counts for nobody; missing grades leave P1 and P4 open
    expected = [0.0, (0.0, 1.0), 0.0, 0.0, (0.0, 1.0)]
    assert run(agg("count", where=ir.Cmp(">=", GRADE, num(5))), frames()) == expected


def test_row_column_outside_an_aggregate_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="inside an aggregate"):
        evaluate(GE3, frames())


def test_aggregate_over_a_subject_table_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="one row per subject"):
        evaluate(ir.Aggregate("count", "s", None, None, NUMBER), frames())


def test_sum_of_dates_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="numbers"):
        evaluate(agg("sum", ir.Col("ae", "onset", DATE)), frames())


def test_nested_aggregate_in_where_is_broadcast_to_rows() -> None:
    # rows whose grade is the subject's maximum known grade
    grade_known = ir.IsNull(GRADE, negated=True)
    top = ir.Cmp("==", GRADE, agg("max", GRADE, grade_known))
    assert run(agg("count", where=top), frames()) == [1.0, (1.0, 2.0), 0.0, 1.0, (0.0, 1.0)]


def test_empty_row_table() -> None:
    subjects = pd.DataFrame({"id": ["P0", "P1"]})
    ae = pd.DataFrame({"usubjid": pd.Series([], dtype=object), "grade": pd.Series([], dtype=float)})
    fr = SubjectFrames.from_frames(subjects, "id", {}, {"ae": (ae, "usubjid")})
    assert run(agg("count", where=GE3), fr) == [0.0, 0.0]
    assert run(agg("any", where=GE3, type_=BOOL), fr) == [F, F]
    assert run(agg("max", GRADE), fr) == [None, None]
