"""Evaluating IR nodes on a :class:`SubjectFrames`: one small function per node type.

``EVALUATORS`` maps each IR node class to its function; adding a node type is adding an
entry. Every node's value is recorded in a :class:`Trace`, keyed by the node's identity and
grain, so ``explain`` can show each clause's value per subject without re-evaluating, and a
node shared by several criteria (an inlined definition) is computed once per trace.

Grain: expressions are evaluated per subject, except the ``value`` and ``where`` of an
aggregate, which are evaluated per row of its dataset. There a subject-grain column (or a
nested aggregate) is broadcast to the rows through the row table's subject codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.engine import EngineError
from trialspec.engine.pandas import arith, compare
from trialspec.engine.pandas.aggregate import aggregate
from trialspec.engine.pandas.choose import choose
from trialspec.engine.pandas.dates import parse_iso
from trialspec.engine.pandas.frames import SubjectFrames
from trialspec.engine.pandas.logic import kleene_and, kleene_not, kleene_or
from trialspec.engine.pandas.text import match
from trialspec.engine.pandas.values import Labels, Numbers, Tri, Value, broadcast, take
from trialspec.lang import ir
from trialspec.lang.types import Kind


class Trace:
    """Every evaluated node's value, by node identity and grain (None: per subject)."""

    def __init__(self, frames: SubjectFrames) -> None:
        self.frames = frames
        self._values: dict[tuple[int, str | None], tuple[ir.Node, Value]] = {}

    def get(self, node: ir.Node, grain: str | None = None) -> Value:
        """The node's value, one element per subject (or per row of dataset ``grain``)."""
        try:
            value = self._values[(id(node), grain)][1]
        except KeyError:
            raise KeyError(f"{type(node).__name__} was not evaluated at this grain") from None
        n = self.frames.n if grain is None else len(self.frames.rows[grain].codes)
        return broadcast(value, n)

    def __contains__(self, node: object) -> bool:
        return (id(node), None) in self._values

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> Iterator[tuple[ir.Node, str | None, Value]]:
        """(node, grain, value) in evaluation order, children before parents."""
        for (_id, grain), (node, value) in self._values.items():
            yield node, grain, value

    def _record(self, node: ir.Node, grain: str | None, value: Value) -> None:
        self._values[(id(node), grain)] = (node, value)

    def _lookup(self, node: ir.Node, grain: str | None) -> Value | None:
        hit = self._values.get((id(node), grain))
        return None if hit is None else hit[1]


@dataclass(frozen=True)
class _Ctx:
    frames: SubjectFrames
    trace: Trace
    grain: str | None = None  # None: per subject; else the row dataset
    codes: np.ndarray | None = None  # subject position of each row (row grain only)


def evaluate(node: ir.Node, frames: SubjectFrames) -> Value:
    """The value of ``node`` for every subject, arrays of length ``frames.n``."""
    return evaluate_with_trace(node, frames)[0]


def evaluate_with_trace(node: ir.Node, frames: SubjectFrames,
                        trace: Trace | None = None) -> tuple[Value, Trace]:
    """The value of ``node`` and the trace of every sub-node's value.

    Pass the same ``trace`` to evaluate several criteria: shared nodes are computed once.
    """
    trace = trace if trace is not None else Trace(frames)
    if trace.frames is not frames:
        raise EngineError("a trace belongs to one SubjectFrames")
    value = _eval(node, _Ctx(frames, trace))
    return broadcast(value, frames.n), trace


def _eval(node: ir.Node, ctx: _Ctx) -> Value:
    hit = ctx.trace._lookup(node, ctx.grain)
    if hit is not None:
        return hit
    try:
        fn = EVALUATORS[type(node)]
    except KeyError:
        raise EngineError(f"the pandas engine cannot evaluate {type(node).__name__}") from None
    value = fn(node, ctx)
    ctx.trace._record(node, ctx.grain, value)
    return value


def _tri(node: ir.Node, ctx: _Ctx) -> Tri:
    value = _eval(node, ctx)
    if not isinstance(value, Tri):
        raise EngineError(f"expected a condition, got {type(value).__name__} at {node.span}")
    return value


# -- one function per node type --------------------------------------------------------------


def _col(node: ir.Col, ctx: _Ctx) -> Value:
    value, row_grain = ctx.frames.value(node.dataset, node.column, node.type.kind)
    if row_grain:
        if node.dataset != ctx.grain:
            raise EngineError(f"{node.dataset}.{node.column} has several rows per subject: "
                              f"read it inside an aggregate over {node.dataset!r}")
        return value
    if ctx.grain is not None:
        assert ctx.codes is not None
        return take(value, ctx.codes)
    return value


def _const(node: ir.Const, ctx: _Ctx) -> Value:
    kind = node.type.kind
    try:
        return _CONSTS[kind](node.value)
    except KeyError:
        raise EngineError(f"a constant of kind {kind.value!r} cannot be evaluated") from None


def _const_number(v: Any) -> Numbers:
    x = float(v)
    return Numbers(np.float64(x if np.isfinite(x) else np.nan))


_CONSTS: dict[Kind, Callable[[Any], Value]] = {
    Kind.NUMBER: _const_number,
    Kind.BOOL: lambda v: Tri.raw(np.bool_(bool(v)), np.True_),
    Kind.STRING: lambda v: Labels(np.int64(0), np.array([str(v)], dtype=object)),
    Kind.CATEGORY: lambda v: Labels(np.int64(0), np.array([str(v)], dtype=object)),
    Kind.DATE: lambda v: parse_iso(str(v)),
}


def _cmp(node: ir.Cmp, ctx: _Ctx) -> Tri:
    if node.op not in compare.ORDER_OPS:
        raise EngineError(f"unknown comparison {node.op!r}")
    return compare.compare(node.op, _eval(node.left, ctx), _eval(node.right, ctx))


_BOOL_OPS = {"and": kleene_and, "or": kleene_or}


def _boolop(node: ir.BoolOp, ctx: _Ctx) -> Tri:
    try:
        fn = _BOOL_OPS[node.op]
    except KeyError:
        raise EngineError(f"unknown boolean operator {node.op!r}") from None
    if not node.operands:
        raise EngineError(f"'{node.op}' without operands")
    return fn([_tri(x, ctx) for x in node.operands])


def _negate(node: ir.Negate, ctx: _Ctx) -> Tri:
    return kleene_not(_tri(node.operand, ctx))


def _arith(node: ir.Arith, ctx: _Ctx) -> Value:
    left = _eval(node.left, ctx)
    right = None if node.right is None else _eval(node.right, ctx)
    return arith.arith(node.op, left, right)


def _inset(node: ir.InSet, ctx: _Ctx) -> Tri:
    return compare.in_set(_eval(node.operand, ctx), node.values, node.negated)


def _isnull(node: ir.IsNull, ctx: _Ctx) -> Tri:
    return compare.is_null(_eval(node.operand, ctx), node.negated)


def _func(node: ir.Func, ctx: _Ctx) -> Value:
    return arith.call(node.name, [_eval(a, ctx) for a in node.args])


def _aggregate(node: ir.Aggregate, ctx: _Ctx) -> Value:
    if ctx.grain is not None:  # nested in another aggregate: per subject, then to the rows
        assert ctx.codes is not None
        return take(_eval(node, _Ctx(ctx.frames, ctx.trace)), ctx.codes)
    frames = ctx.frames
    if not frames.grain_of(node.dataset):
        raise EngineError(f"{node.dataset!r} has one row per subject; nothing to aggregate")
    table = frames.rows[node.dataset]
    rows = _Ctx(frames, ctx.trace, node.dataset, table.codes)
    value = None if node.value is None else _eval(node.value, rows)
    where = None if node.where is None else _tri(node.where, rows)
    result = aggregate(node.func, table.codes, frames.n, value, where)
    covered = getattr(frames, "coverage", {}).get(node.dataset)
    if covered is not None:  # `complete_for:`: no rows of an uncovered subject is not "none"
        from trialspec.engine.pandas.coverage import mask_uncovered, uncovered

        result = mask_uncovered(result, uncovered(table.codes, frames.n, covered))
    return result


def _choose(node: ir.Cond, ctx: _Ctx) -> Value:
    return choose(_tri(node.condition, ctx), _eval(node.then, ctx), _eval(node.otherwise, ctx))


def _match(node: ir.Match, ctx: _Ctx) -> Tri:
    return match(node.op, _eval(node.operand, ctx), node.pattern, node.ignore_case)


def _series(node: ir.Series, ctx: _Ctx) -> Value:
    from trialspec.engine.pandas.series import series  # the kernels: engine/pandas/series.py

    return series(node, ctx, _eval, _Ctx)


EVALUATORS: dict[type, Callable[[Any, _Ctx], Value]] = {
    ir.Col: _col,
    ir.Const: _const,
    ir.Cmp: _cmp,
    ir.BoolOp: _boolop,
    ir.Negate: _negate,
    ir.Arith: _arith,
    ir.InSet: _inset,
    ir.IsNull: _isnull,
    ir.Func: _func,
    ir.Aggregate: _aggregate,
    ir.Series: _series,
    ir.Cond: _choose,
    ir.Match: _match,
}
