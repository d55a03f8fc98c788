"""if/then/else, string predicates, count_distinct and min/max over dates, node by node."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from trialspec.engine import EngineError
from trialspec.engine.pandas import SubjectFrames
from trialspec.engine.pandas.text import match
from trialspec.engine.pandas.values import Labels
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, STRING, Kind, Type

from .helpers import col, day, num, run, subjects, text

NAN = math.nan
T, F, U = True, False, None
D = dt.date


def cond(c: ir.Node, a: ir.Node, b: ir.Node, t: Type = NUMBER) -> ir.Cond:
    return ir.Cond(c, a, b, t)


# -- if / then / else ----------------------------------------------------------------------------


def test_if_takes_the_arm_of_a_known_condition() -> None:
    fr = subjects(f=[True, False, None], x=[1.0, 2.0, 3.0], y=[10.0, 20.0, 30.0])
    assert run(cond(col("f", BOOL), col("x"), col("y")), fr) == [1.0, 20.0, None]


def test_if_with_unknown_condition_is_the_arms_value_when_they_agree() -> None:
    fr = subjects(f=[None, None, None, None], x=[5.0, 5.0, NAN, NAN], y=[5.0, 6.0, 5.0, NAN])
    assert run(cond(col("f", BOOL), col("x"), col("y")), fr) == [5.0, None, None, None]


def test_if_arm_missing_stays_missing_where_chosen() -> None:
    fr = subjects(f=[True, False], x=[NAN, 1.0], y=[2.0, NAN])
    assert run(cond(col("f", BOOL), col("x"), col("y")), fr) == [None, None]


def test_if_over_conditions_is_three_valued() -> None:
    fr = subjects(f=[True, False, None, None, None], a=[None, True, True, False, None],
                  b=[True, None, True, False, None])
    node = cond(col("f", BOOL), col("a", BOOL), col("b", BOOL), BOOL)
    assert run(node, fr) == [U, U, T, F, U]


def test_if_over_partial_dates_agrees_only_on_the_same_interval() -> None:
    fr = subjects(f=[None, None, True], d1=["2014-06", "2014-06", "2014-06-03"],
                  d2=["2014-06", "2014-06-15", "2015"])
    node = cond(col("f", BOOL), col("d1", DATE), col("d2", DATE), DATE)
    assert run(node, fr) == [(D(2014, 6, 1), D(2014, 6, 30)), None, D(2014, 6, 3)]


def test_if_over_strings_with_a_constant_arm() -> None:
    fr = subjects(f=[True, False, None, None], t=["A", "B", "C", None])
    node = cond(col("f", BOOL), col("t", STRING), text("C"), STRING)
    assert run(node, fr) == ["A", "C", "C", None]


def test_if_inside_an_aggregate_where() -> None:
    subj = pd.DataFrame({"id": ["P0", "P1"], "old": [True, False]})
    ex = pd.DataFrame({"sid": ["P0", "P0", "P1"], "dose": [20.0, 10.0, 20.0]})
    fr = SubjectFrames.from_frames(subj, "id", {"s": subj}, {"ex": (ex, "sid")})
    limit = cond(col("old", BOOL), num(15), num(25))
    over = ir.Aggregate("any", "ex", None, ir.Cmp(">", ir.Col("ex", "dose", NUMBER), limit), BOOL)
    assert run(over, fr) == [T, F]


def test_if_with_arms_of_different_kinds_is_an_engine_error() -> None:
    fr = subjects(f=[True], x=[1.0], t=["a"])
    with pytest.raises(EngineError, match="arms"):
        run(cond(col("f", BOOL), col("x"), col("t", STRING)), fr)


# -- string predicates ---------------------------------------------------------------------------


TERMS = ["DONEPEZIL", "donepezil hcl", "ANTIDEPRESSANT", None, "GALANTAMINE"]


def test_contains_is_case_sensitive_and_missing_is_unknown() -> None:
    fr = subjects(t=TERMS)
    node = ir.Match("contains", col("t", STRING), "DONEP")
    assert run(node, fr) == [T, F, F, U, F]


def test_ignoring_case() -> None:
    fr = subjects(t=TERMS)
    assert run(ir.Match("contains", col("t", STRING), "DONEP", True), fr) == [T, T, F, U, F]
    assert run(ir.Match("starts with", col("t", STRING), "Donep", True), fr) == [T, T, F, U, F]


def test_starts_with() -> None:
    fr = subjects(t=TERMS)
    assert run(ir.Match("starts with", col("t", STRING), "GALAN"), fr) == [F, F, F, U, T]


def test_matches_searches_a_regular_expression() -> None:
    fr = subjects(t=TERMS)
    assert run(ir.Match("matches", col("t", STRING), "^ANTI.*"), fr) == [F, F, T, U, F]
    assert run(ir.Match("matches", col("t", STRING), "(PEZIL|MINE)$"), fr) == [T, F, F, U, T]


def test_category_values_match_by_their_text() -> None:
    cat = Type(Kind.CATEGORY, levels=("ANTI", "PRO"))
    fr = subjects(c=pd.Categorical(["PRO", None, "ANTI"], categories=["ANTI", "PRO"]))
    assert run(ir.Match("starts with", col("c", cat), "AN"), fr) == [F, U, T]


def test_predicate_is_computed_once_per_distinct_string() -> None:
    # a million rows of three terms: the pattern runs on the three levels, not the rows
    codes = np.tile(np.array([0, 1, 2, -1]), 250_000)
    value = Labels(codes, np.array(["ARICEPT", "EXELON", "RAZADYNE"], dtype=object))
    out = match("matches", value, "^(ARI|RAZ)", False)
    assert out.value[:4].tolist() == [True, False, True, False]
    assert out.known[:4].tolist() == [True, True, True, False]
    assert int(out.value.sum()) == 500_000


def test_string_predicate_on_a_number_is_an_engine_error() -> None:
    with pytest.raises(EngineError, match="string"):
        run(ir.Match("contains", col("x"), "1"), subjects(x=[1.0]))


# -- count_distinct and min/max over dates ---------------------------------------------------------


def cm_frames() -> SubjectFrames:
    """P0: two drugs (one twice). P1: one drug, one blank. P2: no rows. P3: a row of unknown class."""
    subj = pd.DataFrame({"id": ["P0", "P1", "P2", "P3"]})
    cm = pd.DataFrame({
        "sid": ["P0", "P0", "P0", "P1", "P1", "P3", "P3"],
        "drug": ["ARICEPT", "EXELON", "ARICEPT", "ARICEPT", None, "ARICEPT", "EXELON"],
        "anti": [True, True, True, True, True, True, None],
        "start": ["2014-06-01", "2014-05", "2014-07-10", "2013", None, "2014-01-02", "2014-01-01"],
    })
    return SubjectFrames.from_frames(subj, "id", {}, {"cm": (cm, "sid")})


DRUG = ir.Col("cm", "drug", STRING)
START = ir.Col("cm", "start", DATE)


def test_count_distinct_skips_missing_values() -> None:
    node = ir.Aggregate("count_distinct", "cm", DRUG, None, NUMBER)
    assert run(node, cm_frames()) == [2.0, 1.0, 0.0, 2.0]


def test_count_distinct_with_an_unknown_where_is_an_interval() -> None:
    node = ir.Aggregate("count_distinct", "cm", DRUG, ir.Col("cm", "anti", BOOL), NUMBER)
    assert run(node, cm_frames()) == [2.0, 1.0, 0.0, (1.0, 2.0)]
    at_least_two = ir.Cmp(">=", node, num(2))
    assert run(at_least_two, cm_frames()) == [T, F, F, U]


def test_min_and_max_of_partial_dates_are_intervals() -> None:
    first = ir.Aggregate("min", "cm", START, ir.IsNull(START, True), DATE)
    last = ir.Aggregate("max", "cm", START, ir.IsNull(START, True), DATE)
    fr = cm_frames()
    assert run(first, fr) == [(D(2014, 5, 1), D(2014, 5, 31)), (D(2013, 1, 1), D(2013, 12, 31)),
                              None, D(2014, 1, 1)]
    assert run(last, fr) == [D(2014, 7, 10), (D(2013, 1, 1), D(2013, 12, 31)), None, D(2014, 1, 2)]


def test_nary_max_of_dates_bound_by_bound() -> None:
    fr = subjects(d1=["2014-06", "2014-06-15", None], d2=["2014-06-10", "2014-05-01", "2014"])
    node = ir.Func("max", (col("d1", DATE), col("d2", DATE)), DATE)
    assert run(node, fr) == [(D(2014, 6, 10), D(2014, 6, 30)), D(2014, 6, 15), None]
    assert run(ir.Cmp(">=", node, day("2014-06-10")), fr) == [T, T, U]
