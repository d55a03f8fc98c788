"""The vectorized engine agrees with the row-by-row reference interpreter on random IR.

Random typed trees (numbers with NaN/inf, categories and strings with None, conditions,
dates full/partial/invalid, aggregates over a random row table) over random frames.
Derandomized and bounded so CI is deterministic and fast.
"""

from __future__ import annotations

import functools
import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialspec.backend import Backend
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, STRING, Kind, Type
from trialspec.values import Dates, Labels, Numbers, Tri

from .reference import Reference

CAT = Type(Kind.CATEGORY, levels=("a", "b", "c"))
RCAT = Type(Kind.CATEGORY, levels=("p", "q"))
DAYS = Type(Kind.NUMBER, "days")

NUMBERS = [-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 7.0, 100.0, math.nan, math.inf]
CONST_NUMBERS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 10.0]
DATES = ["2014-06-15", "2014-06-30", "2014-07-01", "2014-06", "2014", "2013-12-31",
         "2014-02-30", "junk", None]
PATTERNS = ["a", "A", "u", "p", "z", "^[ab]", "q$", "^$", ""]
CONST_DATES = ["2014-06-15", "2014-06", "2014-07-01", "2014", "2015-01-01"]

# column name -> (dataset, type); "r" is the row-grain dataset
SUBJECT_NUMS = [("s", "x"), ("s", "y"), ("s2", "w")]
ROW_NUMS = [("r", "v")]


# -- frames ---------------------------------------------------------------------------------


def make_frames(seed: int) -> dict[str, Any]:
    """Random frames from a seed (a seed costs Hypothesis little entropy, leaving it for trees)."""
    rnd = random.Random(seed)
    n = rnd.randrange(9)
    ids = [f"S{i}" for i in range(n)]

    def col(values: list[Any], size: int = n) -> list[Any]:
        return [rnd.choice(values) for _ in range(size)]

    s = pd.DataFrame({
        "id": ids,
        "x": np.array(col(NUMBERS), dtype=float),
        "y": np.array(col(NUMBERS), dtype=float),
        "c": col(["a", "b", "c", None]),
        "t": col(["u", "v", "w", None]),
        "f": col([True, False, None]),
        "d1": col(DATES),
        "d2": col(DATES),
    })
    if rnd.random() < 0.5:
        s["c"] = pd.Categorical(s["c"], categories=["a", "b", "c"])
    if rnd.random() < 0.5:
        s = s.iloc[rnd.sample(range(n), n)].reset_index(drop=True)
    covered = rnd.sample(ids, rnd.randrange(n + 1))
    s2 = pd.DataFrame({"id": covered, "w": np.array(col(NUMBERS, len(covered)), dtype=float)})
    m = rnd.randrange(16)
    r = pd.DataFrame({
        "sid": col(ids + ["X9"], m),
        "v": np.array(col(NUMBERS, m), dtype=float),
        "g": col(["p", "q", None], m),
        "ok": col([True, False, None], m),
        "dt": col(DATES, m),
    })
    subjects = pd.DataFrame({"id": ids})
    return {"subjects": subjects, "key": "id", "subject_tables": {"s": s, "s2": s2},
            "row_tables": {"r": (r, "sid")}}


def frames() -> st.SearchStrategy[dict[str, Any]]:
    return st.integers(0, 2**32 - 1).map(make_frames)


# -- typed IR trees -----------------------------------------------------------------------------


def _pick(*branches: st.SearchStrategy[ir.Node]) -> st.SearchStrategy[ir.Node]:
    """One of the branches, chosen uniformly (``one_of`` favours the first when shrinking)."""
    return st.sampled_from(branches).flatmap(lambda b: b)


def _smaller(kind: Any, grain: str | None, depth: int) -> st.SearchStrategy[ir.Node]:
    """A subtree of any depth below ``depth``, most often the deepest."""
    depths = [*range(depth), *[depth - 1] * 2]
    return st.sampled_from(depths).flatmap(lambda d: kind(grain, d))


@functools.cache
def number(grain: str | None, depth: int) -> st.SearchStrategy[ir.Node]:
    cols = SUBJECT_NUMS + (ROW_NUMS if grain else [])
    col = st.sampled_from(cols).map(lambda c: ir.Col(c[0], c[1], NUMBER))
    const = st.sampled_from(CONST_NUMBERS).map(lambda v: ir.Const(v, NUMBER))
    if depth <= 0:
        return _pick(col, col, const)
    sub = _smaller(number, grain, depth)
    branches = [
        st.builds(lambda op, a, b: ir.Arith(op, a, b, NUMBER),
                  st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        sub.map(lambda a: ir.Arith("neg", a, None, NUMBER)),
        st.builds(lambda name, args: ir.Func(name, tuple(args), NUMBER),
                  st.sampled_from(["min", "max", "coalesce"]),
                  st.lists(sub, min_size=2, max_size=3)),
        sub.map(lambda a: ir.Func("abs", (a,), NUMBER)),
        st.builds(lambda a, b: ir.Func("ratio", (a, b), NUMBER), sub, sub),
        st.builds(lambda a, b: ir.Arith("-", a, b, DAYS), _smaller(date, grain, depth),
                  _smaller(date, grain, depth)),
        st.builds(lambda c, a, b: ir.Cond(c, a, b, NUMBER), _smaller(condition, grain, depth), sub, sub),
    ]
    if grain is None:
        branches += [aggregate_number(depth)] * 2
    return _pick(*branches)


def small_days(grain: str | None) -> st.SearchStrategy[ir.Node]:
    """Day counts that keep dates inside years 1..9999 (Python's date range)."""
    cols = SUBJECT_NUMS + (ROW_NUMS if grain else [])
    return _pick(
        st.sampled_from([0.0, 1.0, 28.0, 182.625, 0.5, -1.5, 365.25]).map(
            lambda v: ir.Const(v, DAYS)),
        st.sampled_from(cols).map(lambda c: ir.Col(c[0], c[1], NUMBER)),
    )


@functools.cache
def date(grain: str | None, depth: int) -> st.SearchStrategy[ir.Node]:
    cols = [("s", "d1"), ("s", "d2")] + ([("r", "dt")] if grain else [])
    col = st.sampled_from(cols).map(lambda c: ir.Col(c[0], c[1], DATE))
    const = st.sampled_from(CONST_DATES).map(lambda v: ir.Const(v, DATE))
    if depth <= 0:
        return _pick(col, col, const)
    sub = _smaller(date, grain, depth)
    branches = [
        st.builds(lambda op, d, n: ir.Arith(op, d, n, DATE), st.sampled_from(["+", "-"]), sub,
                  small_days(grain)),
        st.builds(lambda n, d: ir.Arith("+", n, d, DATE), small_days(grain), sub),
        st.builds(lambda name, args: ir.Func(name, tuple(args), DATE),
                  st.sampled_from(["min", "max", "coalesce"]),
                  st.lists(sub, min_size=2, max_size=3)),
        st.builds(lambda c, a, b: ir.Cond(c, a, b, DATE), _smaller(condition, grain, depth), sub, sub),
    ]
    if grain is None:
        branches.append(st.builds(
            lambda f, v, w: ir.Aggregate(f, "r", v, w, DATE), st.sampled_from(["min", "max"]),
            date("r", 0), st.none() | condition("r", 1)))
    return _pick(*branches)


@functools.cache
def label(grain: str | None, depth: int) -> st.SearchStrategy[ir.Node]:
    cols = [("s", "c", CAT), ("s", "t", STRING)] + ([("r", "g", RCAT)] if grain else [])
    col = st.sampled_from(cols).map(lambda c: ir.Col(c[0], c[1], c[2]))
    const = st.sampled_from(["a", "b", "u", "p", "zz"]).map(lambda v: ir.Const(v, STRING))
    if depth <= 0:
        return _pick(col, col, const)
    sub = _smaller(label, grain, depth)
    return _pick(st.lists(sub, min_size=2, max_size=3).map(
        lambda args: ir.Func("coalesce", tuple(args), STRING)),
        st.builds(lambda c, a, b: ir.Cond(c, a, b, STRING), _smaller(condition, grain, depth), sub, sub))


@functools.cache
def condition(grain: str | None, depth: int) -> st.SearchStrategy[ir.Node]:
    bool_cols = [("s", "f")] + ([("r", "ok")] if grain else [])
    col = st.sampled_from(bool_cols).map(lambda c: ir.Col(c[0], c[1], BOOL))
    const = st.booleans().map(lambda v: ir.Const(v, BOOL))
    if depth <= 0:
        return _pick(col, col, const)
    sub = _smaller(condition, grain, depth)
    num, dat = _smaller(number, grain, depth), _smaller(date, grain, depth)
    lab = _smaller(label, grain, depth)
    ops = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    eq = st.sampled_from(["==", "!="])
    branches = [
        st.builds(ir.Cmp, ops, num, num),
        st.builds(ir.Cmp, ops, num, num),
        st.builds(ir.Cmp, ops, dat, dat),
        st.builds(ir.Cmp, ops, dat, dat),
        st.builds(ir.Cmp, eq, lab, lab),
        st.builds(ir.Cmp, eq, sub, sub),
        st.builds(lambda op, xs: ir.BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
                  st.lists(sub, min_size=2, max_size=3)),
        st.builds(lambda op, xs: ir.BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
                  st.lists(sub, min_size=2, max_size=3)),
        sub.map(ir.Negate),
        st.builds(ir.InSet, num, st.lists(st.sampled_from(CONST_NUMBERS), max_size=3).map(tuple),
                  st.booleans()),
        st.builds(ir.InSet, dat, st.lists(st.sampled_from(CONST_DATES), max_size=2).map(tuple),
                  st.booleans()),
        st.builds(ir.InSet, lab, st.lists(st.sampled_from(["a", "b", "u", "p"]),
                                          max_size=3).map(tuple), st.booleans()),
        st.builds(ir.InSet, sub, st.lists(st.booleans(), max_size=2).map(tuple), st.booleans()),
        st.builds(ir.IsNull, _pick(num, dat, lab, sub), st.booleans()),
        st.builds(ir.Cond, sub, sub, sub, st.just(BOOL)),
        st.builds(ir.Match, st.sampled_from(["contains", "starts with", "matches"]), lab,
                  st.sampled_from(PATTERNS), st.booleans()),
    ]
    if grain is None:
        branches += [aggregate_condition(depth)] * 2
    return _pick(*branches)


@functools.cache
def aggregate_number(depth: int) -> st.SearchStrategy[ir.Node]:
    where = st.none() | _smaller(condition, "r", depth)
    return _pick(
        st.builds(lambda v, w: ir.Aggregate("count", "r", v, w, NUMBER),
                  st.none() | _smaller(condition, "r", depth) | number("r", 0), where),
        st.builds(lambda f, v, w: ir.Aggregate(f, "r", v, w, NUMBER),
                  st.sampled_from(["sum", "mean", "min", "max"]), _smaller(number, "r", depth),
                  where),
        st.builds(lambda v, w: ir.Aggregate("count_distinct", "r", v, w, NUMBER),
                  _pick(number("r", 0), date("r", 0), label("r", 0), condition("r", 0)), where),
    )


def conditions() -> st.SearchStrategy[ir.Node]:
    return _smaller(condition, None, 4)


def values() -> st.SearchStrategy[ir.Node]:
    return _pick(_smaller(number, None, 3), _smaller(date, None, 3), _smaller(label, None, 3))


def aggregates() -> st.SearchStrategy[ir.Node]:
    return _pick(aggregate_number(2), aggregate_number(3), aggregate_condition(2),
                 aggregate_condition(3))


@functools.cache
def aggregate_condition(depth: int) -> st.SearchStrategy[ir.Node]:
    part = st.none() | _smaller(condition, "r", depth)
    return st.builds(lambda f, v, w: ir.Aggregate(f, "r", v, w, BOOL),
                     st.sampled_from(["any", "all"]), part, part)


# -- comparing engine and reference ---------------------------------------------------------------

_EPOCH = 719163  # date(1970, 1, 1).toordinal()


def engine_at(value: Any, i: int) -> Any:
    """Element i of an engine value, in the reference's representation."""
    if isinstance(value, Tri):
        return bool(value.value[i]) if value.known[i] else None
    if isinstance(value, Labels):
        code = int(value.codes[i])
        return None if code < 0 else str(value.levels[code])
    if isinstance(value, Dates):
        if np.isnat(value.lo[i]):
            return None
        return (int(value.lo[i].astype("int64")) + _EPOCH, int(value.hi[i].astype("int64")) + _EPOCH)
    assert isinstance(value, Numbers)
    lo, hi = float(value.lo[i]), float(value.hi[i])
    return None if math.isnan(lo) else (lo, hi)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return all(x == y for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


def check(node: ir.Node, data: dict[str, Any], backend: Backend) -> None:
    """The backend's value of ``node`` equals the reference interpreter's, subject by subject."""
    fr = backend.frames_from_pandas(**data)
    ref = Reference(**data)
    value = backend.evaluate(node, fr)
    for i in range(fr.n):
        got, want = engine_at(value, i), ref.subject(node, i)
        assert same(got, want), f"subject {i}: engine {got!r}, reference {want!r}\n{node!r}"


BOUNDED = settings(derandomize=True, max_examples=300, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@BOUNDED
@given(node=conditions(), data=frames())
def test_conditions_match_reference(backend: Backend, node: ir.Node, data: dict[str, Any]) -> None:
    check(node, data, backend)


@BOUNDED
@given(node=values(), data=frames())
def test_values_match_reference(backend: Backend, node: ir.Node, data: dict[str, Any]) -> None:
    check(node, data, backend)


@BOUNDED
@given(node=aggregates(), data=frames())
def test_aggregates_match_reference(backend: Backend, node: ir.Node, data: dict[str, Any]) -> None:
    check(node, data, backend)


# -- many trees in one query -----------------------------------------------------------------
# The tests above evaluate one tree on one frame per example: 300 examples, each a query on a
# SQL engine. Spark pays a few tenths of a second a query whatever it computes, so there they
# run only the few examples tests/conftest.py allows, and these hold Spark (and every other
# backend) to the same reference on many more trees: TREES trees of each kind, evaluated in ONE
# query (``evaluate_many`` where the backend has it) on one frame stacking FRAMES random frames.
TREES, FRAMES = 60, 12


def stacked_frames(seed: int) -> dict[str, Any]:
    """FRAMES random frames side by side: subject ids prefixed by the frame's number."""
    rnd = random.Random(seed)
    parts = [make_frames(rnd.randrange(2**32)) for _ in range(FRAMES)]
    parts = [p for p in parts if len(p["subjects"])] or parts[:1]

    def stack(pick: Any, ids: list[str]) -> pd.DataFrame:
        frames = []
        for k, p in enumerate(parts):
            df = pick(p).copy()
            for col in ids:
                df[col] = [f"{k}:{v}" for v in df[col]]
            frames.append(df.astype({"c": object}) if "c" in df else df)
        return pd.concat(frames, ignore_index=True)

    return {"subjects": stack(lambda p: p["subjects"], ["id"]), "key": "id",
            "subject_tables": {"s": stack(lambda p: p["subject_tables"]["s"], ["id"]),
                               "s2": stack(lambda p: p["subject_tables"]["s2"], ["id"])},
            "row_tables": {"r": (stack(lambda p: p["row_tables"]["r"][0], ["sid"]), "sid")}}


def check_many(nodes: list[ir.Node], data: dict[str, Any], backend: Backend) -> None:
    """Every tree's value equals the reference's, subject by subject, from one evaluation."""
    fr = backend.frames_from_pandas(**data)
    ref = Reference(**data)
    many = getattr(backend, "evaluate_many", None)
    got = many(nodes, fr) if many is not None else [backend.evaluate(n, fr) for n in nodes]
    for node, value in zip(nodes, got, strict=True):
        for i in range(fr.n):
            a, b = engine_at(value, i), ref.subject(node, i)
            assert same(a, b), f"subject {i}: engine {a!r}, reference {b!r}\n{node!r}"


MANY = settings(BOUNDED, max_examples=3)


@MANY
@pytest.mark.spark_examples(2)
@given(nodes=st.lists(conditions(), min_size=TREES, max_size=TREES), seed=st.integers(0, 2**32 - 1))
def test_many_conditions_match_reference(backend: Backend, nodes: list[ir.Node], seed: int) -> None:
    check_many(nodes, stacked_frames(seed), backend)


@MANY
@pytest.mark.spark_examples(2)
@given(nodes=st.lists(values(), min_size=TREES, max_size=TREES), seed=st.integers(0, 2**32 - 1))
def test_many_values_match_reference(backend: Backend, nodes: list[ir.Node], seed: int) -> None:
    check_many(nodes, stacked_frames(seed), backend)


@MANY
@pytest.mark.spark_examples(2)
@given(nodes=st.lists(aggregates(), min_size=TREES, max_size=TREES), seed=st.integers(0, 2**32 - 1))
def test_many_aggregates_match_reference(backend: Backend, nodes: list[ir.Node], seed: int) -> None:
    check_many(nodes, stacked_frames(seed), backend)
