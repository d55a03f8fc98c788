"""Time series (``ir.Series``) as window functions over a row scope, the pandas kernels' rules.

A subject's rows are ordered ``PARTITION BY _i ORDER BY <order_by>.lo NULLS LAST, _r`` (missing
dates last, ties in the source's order; no ``order_by``: the source's order); a ``partition``
(a long table's test code) is partitioned by too, ``PARTITION BY _i, <partition>``. Two columns are
projected once per (order_by, baseline) pair and shared by every series on it:

- ``pos``: ``ROW_NUMBER()`` in that order (1-based);
- ``base``: the baseline row's ``pos``: ``MAX(CASE WHEN <baseline> THEN pos END)`` over the
  subject (the last row whose condition is true; unknown is not true), NULL without one; 1
  (the first row) without a ``baseline`` node.

Then, per row (bounds of an interval each on their own, as the pandas kernels do):

- ``baseline(x)``: ``MAX(CASE WHEN pos = base THEN x END)`` over the subject;
- ``nadir(x)``: ``MIN(CASE WHEN pos >= base THEN x END)`` over the rows up to this one; NULL
  before the baseline; ``change_from_nadir(x)``: ``x`` minus the same minimum up to the row
  before, NULL at and before the baseline;
- ``change(x)``, ``pct_change(x)``: ``x - baseline(x)``, ``100 * change / baseline`` (NULL
  for a zero baseline); differences are rounded to 9 decimals (``ROUND(x, 9)``: numpy rounds
  a tie at the tenth decimal to even, SQL away from zero; a tie needs a value exact at 1e-10);
- ``previous(x)``: ``LAG(x)``;
- ``consecutive(c, k)``: over the ``k`` rows up to this one, false when there are fewer or one
  is false, true when all are true, else unknown (counts of false and unknown rows).
"""

from __future__ import annotations

from sqlglot import exp

from trialspec.backend import EngineError
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.compile import Compiler, Scope, arith
from trialspec.engine.sql.values import SCond, SDate, SNum, SText, SValue
from trialspec.lang import ir

DECIMALS = 9


def _window(fn: exp.Expr, split: list[exp.Expr], order: list[exp.Expr] | None = None,
            frame: tuple[str | int, str | int] | None = None) -> exp.Expr:
    """``fn OVER (PARTITION BY _i [, split] [ORDER BY order] [ROWS BETWEEN frame])``; in
    ``frame`` an int is that many rows PRECEDING, "UNBOUNDED" unbounded preceding, "CURRENT"
    this row."""
    args: dict[str, object] = {"this": fn, "partition_by": [q.col("_i"), *(e.copy() for e in split)],
                               "over": "OVER"}
    if order is not None:
        args["order"] = exp.Order(expressions=[o.copy() for o in order])
    if frame is not None:
        spec: dict[str, object] = {"kind": "ROWS"}
        for side, value in zip(("start", "end"), frame, strict=True):
            if value == "CURRENT":
                spec[side] = "CURRENT ROW"
            elif value == "UNBOUNDED":
                spec[side], spec[f"{side}_side"] = "UNBOUNDED", "PRECEDING"
            else:
                spec[side], spec[f"{side}_side"] = q.integer(int(value)), "PRECEDING"
        args["spec"] = exp.WindowSpec(**spec)
    return exp.Window(**args)


class _Order:
    """The ``pos`` and ``base`` columns of one (order_by, baseline, partition) in a row scope;
    ``split``: the partition's expression (none: a subject's rows are one series)."""

    def __init__(self, pos: exp.Expr, base: exp.Expr, height: int, split: list[exp.Expr]) -> None:
        self.pos, self.base, self.height, self.split = pos, base, height, split

    @property
    def by_pos(self) -> list[exp.Expr]:
        return [self.pos]


def _order(c: Compiler, s: Scope, node: ir.Series) -> _Order:
    cache = s.__dict__.setdefault("_series_orders", {})
    key = (id(node.order_by), id(node.baseline), id(node.partition))
    hit = cache.get(key)
    if hit is not None:
        return hit
    keys: list[exp.Expr] = []
    h = 0
    split: list[exp.Expr] = []
    if node.partition is not None:
        by = c.compile(node.partition, s)
        if not isinstance(by, SText):
            raise EngineError("a time series is split by a text per row")
        split, h = [by.v], by.height
    if node.order_by is not None:
        t = c.compile(node.order_by, s)
        if not isinstance(t, SDate):
            raise EngineError(f"time series over {node.dataset!r} are ordered by a date")
        keys.append(exp.Ordered(this=t.lo, nulls_first=False))
        h = max(h, t.height)
    keys.append(q.col("_r"))
    flag: SCond | None = None
    if node.baseline is not None:
        chosen = c.compile(node.baseline, s)
        if not isinstance(chosen, SCond):
            raise EngineError("the baseline of a time series is chosen by a condition")
        flag = chosen
        h = max(h, flag.height)
    pos = _lo(s.put(SNum(_window(exp.RowNumber(), split, keys)), h + 1, force=True))
    if flag is None:
        base: exp.Expr = q.integer(1)
    else:
        base = _lo(s.put(SNum(_window(exp.Max(this=q.case([(flag.v, pos)], q.null())), split)), h + 2,
                         force=True))
    hit = cache[key] = _Order(pos, base, h + 2, split)
    return hit


def _lo(v: SValue) -> exp.Expr:
    assert isinstance(v, SNum)
    return v.lo


def _numbers(v: SValue, what: str) -> SNum:
    if type(v) is not SNum:
        raise EngineError(f"{what}() needs numbers")
    return v


def _round(e: exp.Expr) -> exp.Expr:
    return exp.Round(this=e, decimals=q.integer(DECIMALS))


def _baseline(o: _Order, x: SNum) -> SNum:
    at_base = [_window(exp.Max(this=q.case([(q.op("==", o.pos, o.base), b)], q.null())), o.split)
               for b in x.parts()]
    return SNum(at_base[0], at_base[1] if len(at_base) > 1 else None)


def _running_min(o: _Order, x: SNum, upto: int) -> list[exp.Expr]:
    """Per bound, the lowest present value from the baseline to the row ``upto`` rows back."""
    frame: tuple[str | int, str | int] = ("UNBOUNDED", "CURRENT" if upto == 0 else upto)
    return [_window(exp.Min(this=q.case([(q.op(">=", o.pos, o.base), b)], q.null())), o.split, o.by_pos,
                    frame) for b in x.parts()]


def compile_series(c: Compiler, s: Scope, node: ir.Series) -> SValue:
    own = node.args
    if len(own) != (2 if node.func == "consecutive" else 1):
        raise EngineError(f"{node.func}() over {node.dataset!r} has {len(own)} arguments")
    o = _order(c, s, node)
    v = c.compile(own[0], s)
    h = max(o.height, v.height) + 1
    func = node.func
    if func == "previous":
        parts = [_window(exp.Lag(this=p), o.split, o.by_pos) for p in v.parts()]
        if isinstance(v, SCond | SText):
            return s.put(type(v)(parts[0]), h, force=True)
        return s.put(type(v)(parts[0], parts[1] if len(parts) > 1 else None), h, force=True)
    if func == "consecutive":
        return _consecutive(s, o, v, own[1], h)
    x = _numbers(v, func)
    if func == "baseline":
        return s.put(_baseline(o, x), h, force=True)
    if func == "nadir":
        mins = _running_min(o, x, 0)
        before = q.or_(q.is_null(o.base), q.op("<", o.pos, o.base))
        out = [q.case([(before, q.null())], m) for m in mins]
        return s.put(SNum(out[0], out[1] if len(out) > 1 else None), h, force=True)
    if func == "change_from_nadir":
        lows = s.put(SNum(*_pair(_running_min(o, x, 1))), h, force=True)
        assert isinstance(lows, SNum)
        h += 1
        bad = q.or_(q.is_null(o.base), q.op("<=", o.pos, o.base))
        lo = q.case([(bad, q.null())], _round(q.finite(q.op("-", x.lo, lows.upper))))
        if x.exact:
            return s.put(SNum(lo), h)
        hi = q.case([(bad, q.null())], _round(q.finite(q.op("-", x.upper, lows.lo))))
        return s.put(SNum(lo, hi), h)
    base = s.put(_baseline(o, x), h, force=True)
    assert isinstance(base, SNum)
    h += 1
    if func == "change":
        if x.exact and base.exact:
            return s.put(SNum(_round(q.finite(q.op("-", x.lo, base.lo)))), h)
        return s.put(_rounded(arith("-", x, base)), h + 1)
    if func == "pct_change":
        if x.exact and base.exact:
            ratio = q.div(q.op("-", x.lo, base.lo), base.lo)
            return s.put(SNum(_round(q.finite(q.op("*", ratio, q.num(100.0))))), h)
        diff = s.put(arith("-", x, base), h)
        quotient = s.put(arith("/", diff, base), h + 1)
        assert isinstance(quotient, SNum)
        return s.put(_rounded(arith("*", quotient, SNum(q.num(100.0)))), h + 2)
    raise EngineError(f"unknown time-series function {func!r}")


def _pair(xs: list[exp.Expr]) -> tuple[exp.Expr, exp.Expr | None]:
    return xs[0], xs[1] if len(xs) > 1 else None


def _rounded(v: SValue) -> SValue:
    if not isinstance(v, SNum):
        return v
    return SNum(_round(v.lo), None if v.hi is None else _round(v.hi))


def _consecutive(s: Scope, o: _Order, cond: SValue, count: ir.Node, h: int) -> SValue:
    if not isinstance(cond, SCond):
        raise EngineError("consecutive() needs a condition")
    if not isinstance(count, ir.Const):
        raise EngineError("the count of consecutive() must be a constant")
    k = int(count.value)
    if k <= 0:  # no rows to look at: true
        return SCond(q.true())
    frame: tuple[str | int, str | int] = (k - 1, "CURRENT") if k > 1 else ("CURRENT", "CURRENT")
    n_false = _window(q.count_if(q.not_(cond.v)), o.split, o.by_pos, frame)
    n_unknown = _window(q.count_if(q.is_null(cond.v)), o.split, o.by_pos, frame)
    counts = s.put(SNum(n_false, n_unknown), h, force=True)
    assert isinstance(counts, SNum)
    full = q.op(">=", o.pos, q.integer(k))
    out = q.case([(q.not_(full), q.false()), (q.op(">", counts.lo, q.integer(0)), q.false()),
                  (q.op("==", counts.upper, q.integer(0)), q.true())], q.null())
    return s.put(SCond(out), h + 1)
