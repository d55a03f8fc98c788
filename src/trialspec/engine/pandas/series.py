"""Per-subject time series over a row dataset, vectorized by group: no loop per subject.

``baseline(x)``, ``nadir(x)``, ``change(x)``, ``pct_change(x)``, ``change_from_nadir(x)``,
``previous(x)`` and ``consecutive(cond, n)`` (:class:`trialspec.lang.ir.Series`).

The rows of the dataset are put in (subject, time) order once per evaluation: an
:class:`Order`, cached per trace. Each kernel then works on group-sorted arrays (prefix sums
with group offsets, segmented running minima) and puts its result back in row order.

Ordering and baseline are the node's own fields: ``order_by`` (the date that orders a
subject's rows) and ``baseline`` (a row condition: a subject's baseline is the *last* row
where it holds), filled by a criteria plan. A node without them (a series written in an
eligibility rule) orders rows as they come in the file and takes each subject's first row
as baseline.

Semantics, per subject, rows in time order, ``b`` the baseline row:

- ``baseline(x)``: x at ``b``, on every row of the subject; missing without a baseline.
- ``nadir(x)``: the lowest present x from ``b`` up to and including this row; missing
  before ``b``. ``change_from_nadir(x)`` is x minus the lowest x from ``b`` up to the row
  *before* this one (IMWG's "lowest response value" excludes the value being judged);
  missing at and before ``b``.
- ``change(x)`` is ``x - baseline(x)``; ``pct_change(x)`` is ``100 * change / baseline`` in
  ``%``, missing when the baseline is 0.
- ``previous(x)``: x at the row before (any row, baseline or not); missing on the first row.
- ``consecutive(cond, n)``: cond at this row and the ``n - 1`` rows before it: true if all
  are true, false if one is false or the subject has fewer rows, else unknown.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from trialspec.engine import EngineError
from trialspec.engine.pandas import arith
from trialspec.engine.pandas.values import Dates, Labels, Numbers, Tri, Value, broadcast
from trialspec.lang import ir

FUNCS = ("baseline", "nadir", "change", "pct_change", "change_from_nadir", "previous", "consecutive")
_PADDED_MAX_WASTE = 2.0  # a (subjects x longest) grid is used while it is at most this x the rows
DECIMALS = 9  # differences are rounded here: 0.52 vs 5.2 is a 90% fall, not 89.99999999999999%
_CACHE: weakref.WeakKeyDictionary[Any, dict[Any, Order]] = weakref.WeakKeyDictionary()


@dataclass(eq=False)
class Order:
    """The rows of one dataset in (subject, time) order, with each subject's baseline row."""

    perm: np.ndarray | None  # sorted position -> row; None when the rows are already in order
    codes: np.ndarray  # subject position of each sorted row
    group: np.ndarray  # group number (0..G-1) of each sorted row
    pos: np.ndarray  # position of each sorted row within its subject
    starts: np.ndarray  # sorted index of each group's first row
    base: np.ndarray  # sorted index of each group's baseline row, -1 where it has none
    max_len: int
    memo: dict[Any, Any] = field(default_factory=dict)  # kernel results shared by nodes

    @property
    def n(self) -> int:
        return len(self.codes)

    @cached_property
    def index(self) -> np.ndarray:
        return np.arange(self.n)

    @cached_property
    def from_base(self) -> np.ndarray:
        """Rows at or after their subject's baseline."""
        b = self.base_row
        return (b >= 0) & (self.index >= b)

    @cached_property
    def after_base(self) -> np.ndarray:
        """Rows strictly after their subject's baseline."""
        b = self.base_row
        return (b >= 0) & (self.index > b)

    @cached_property
    def grid(self) -> tuple[int, np.ndarray | None] | None:
        """(columns, flat positions) of a (subjects x longest) grid, None when too sparse;
        positions are None when every subject has the longest length (a plain reshape)."""
        g = len(self.starts)
        if not self.n or g * self.max_len > _PADDED_MAX_WASTE * self.n + 1024:
            return None
        if g * self.max_len == self.n:
            return self.max_len, None
        return self.max_len, self.group * self.max_len + self.pos

    def sort(self, a: np.ndarray) -> np.ndarray:
        return a if self.perm is None else a[self.perm]

    def unsort(self, a: np.ndarray) -> np.ndarray:
        if self.perm is None:
            return a
        out = np.empty_like(a)
        out[self.perm] = a
        return out

    @cached_property
    def base_row(self) -> np.ndarray:
        """The sorted index of each sorted row's baseline row (-1: none)."""
        return self.base[self.group]



def make_order(codes: np.ndarray, days: np.ndarray | None, flag: Tri | None) -> Order:
    """Sort rows by subject then day (missing days last, ties in file order); find baselines.

    ``days`` are int64 day numbers (None: keep file order); ``flag`` marks the rows that
    may be baseline (the last true one per subject is), None: the first row is.
    """
    n = len(codes)
    codes = np.asarray(codes, dtype=np.int64)
    if days is None:
        key = codes
    else:
        d = np.asarray(days, dtype=np.int64)
        missing = d == np.iinfo(np.int64).min  # NaT
        lo = d[~missing].min() if (~missing).any() else 0
        offset = np.where(missing, (1 << 31) - 1, np.clip(d - lo, 0, (1 << 31) - 2))
        key = (codes << 32) | offset
    if n and not bool(np.all(key[1:] >= key[:-1])):
        perm: np.ndarray | None = np.argsort(key, kind="stable")
        sorted_codes = codes[perm]
    else:
        perm, sorted_codes = None, codes
    first = np.ones(n, bool)
    first[1:] = sorted_codes[1:] != sorted_codes[:-1]
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    pos = np.arange(n) - starts[group] if n else np.zeros(0, np.int64)
    lengths = np.diff(np.append(starts, n))
    if flag is None:
        base = starts.copy()
    else:
        true = np.broadcast_to(flag.value, (n,))
        true = true if perm is None else true[perm]
        candidate = np.where(true, np.arange(n), -1)
        base = np.maximum.reduceat(candidate, starts) if n else np.zeros(0, np.int64)
    return Order(perm, sorted_codes, group, pos, starts, base.astype(np.int64),
                 int(lengths.max()) if n else 0)


# -- segmented scans on group-sorted arrays --------------------------------------------------


def seg_cummin(v: np.ndarray, order: Order) -> np.ndarray:
    """The running minimum of ``v`` within each group (``v`` sorted, +inf for gaps)."""
    if not order.n:
        return v.copy()
    shape = order.grid
    if shape is not None:
        width, flat = shape
        if flat is None:
            return np.minimum.accumulate(v.reshape(-1, width), axis=1).ravel()
        grid = np.full(len(order.starts) * width, np.inf)
        grid[flat] = v
        grid = np.minimum.accumulate(grid.reshape(-1, width), axis=1).ravel()
        return grid[flat]
    out = v.copy()  # Hillis-Steele: log2(longest group) passes, each row looks k rows back
    k = 1
    while k < order.max_len:
        back = np.where(order.pos[k:] >= k, out[:-k], np.inf)
        np.minimum(out[k:], back, out=out[k:])
        k *= 2
    return out


def shift_back(v: np.ndarray, order: Order, fill: Any) -> np.ndarray:
    """``v`` at the previous row of the same group (``fill`` on each group's first row)."""
    out = np.empty_like(v)
    if len(v):
        out[1:] = v[:-1]
        out[order.pos == 0] = fill
    return out


# -- the kernel --------------------------------------------------------------------------------


Evaluate = Callable[[ir.Node, Any], Value]


def series(node: ir.Series, ctx: Any, evaluate: Evaluate, ctx_type: type) -> Value:
    """The value of a Series node per row of its dataset (the kernel ``evaluate`` registers)."""
    if node.func not in KERNELS:
        raise EngineError(f"unknown time-series function {node.func!r}")
    if ctx.grain != node.dataset:
        where = "per subject" if ctx.grain is None else f"over {ctx.grain!r}"
        raise EngineError(f"{node.func}() varies over the rows of {node.dataset!r}; "
                          f"it cannot be read {where}")
    own, time, flag = node.args, node.order_by, node.baseline
    if len(own) != (2 if node.func == "consecutive" else 1):
        raise EngineError(f"{node.func}() over {node.dataset!r} has {len(own)} arguments")
    table = ctx.frames.rows[node.dataset]
    order = order_for(ctx, node.dataset, table.codes, time, flag, evaluate, node.partition)
    values = [broadcast(evaluate(a, ctx), len(table.codes)) for a in own]
    return KERNELS[node.func](values, order, own)


def order_for(ctx: Any, dataset: str, codes: np.ndarray, time: ir.Node | None, flag: ir.Node | None,
              evaluate: Evaluate, partition: ir.Node | None = None) -> Order:
    """The (cached) order of ``dataset``'s rows for this trace, time node, baseline node and
    partition (each subject's rows split by a text per row, a long table's test code)."""
    cache = _CACHE.setdefault(ctx.trace, {})
    key = (dataset, id(time), id(flag), id(partition))
    hit = cache.get(key)
    if hit is not None:
        return hit
    if partition is not None:
        codes = _split(codes, evaluate(partition, ctx))
    days = None
    if time is not None:
        t = evaluate(time, ctx)
        if not isinstance(t, Dates):
            raise EngineError(f"time series over {dataset!r} are ordered by a date, not {type(t).__name__}")
        days = np.broadcast_to(t.lo, codes.shape).astype("datetime64[D]").astype(np.int64)
    tri: Tri | None = None
    if flag is not None:
        chosen = evaluate(flag, ctx)
        if not isinstance(chosen, Tri):
            raise EngineError("the baseline of a time series is chosen by a condition")
        tri = chosen
    order = cache[key] = make_order(codes, days, tri)
    return order


def _split(codes: np.ndarray, by: Value) -> np.ndarray:
    """Group numbers of (subject, text) pairs, in subject order: a subject's rows split by
    ``by`` (a missing text is a group of its own)."""
    if not isinstance(by, Labels):
        raise EngineError(f"a time series is split by a text per row, not {type(by).__name__}")
    texts = np.broadcast_to(np.asarray(by.codes, dtype=np.int64), codes.shape) + 1
    pairs = np.asarray(codes, dtype=np.int64) * (len(by.levels) + 1) + texts
    return np.unique(pairs, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _numbers(v: Value, what: str) -> Numbers:
    if not isinstance(v, Numbers):
        raise EngineError(f"{what}() needs numbers, got {type(v).__name__}")
    return v


def _bounds(v: Numbers, order: Order) -> list[np.ndarray]:
    return [order.sort(np.asarray(v.lo, float))] if v.exact else [
        order.sort(np.asarray(v.lo, float)), order.sort(np.asarray(v.hi, float))]


def _back(bounds: list[np.ndarray], order: Order) -> Numbers:
    return Numbers(*[order.unsort(b) for b in bounds])


def _rounded(v: Value) -> Value:
    """Differences with the float noise below DECIMALS removed (exact thresholds stay exact)."""
    if not isinstance(v, Numbers):
        return v
    lo = np.round(v.lo, DECIMALS)
    return Numbers(lo) if v.exact else Numbers(lo, np.round(v.hi, DECIMALS))


def _memo(order: Order, key: Any, make: Callable[[], Any]) -> Any:
    hit = order.memo.get(key)
    if hit is None:
        hit = order.memo[key] = make()
    return hit


def _baseline_value(values: list[Value], order: Order, own: Any) -> Value:
    x = _numbers(values[0], "baseline")

    def make() -> Numbers:
        b = order.base_row
        missing = b < 0
        bi = np.where(missing, 0, b)
        out = []
        for s in _bounds(x, order):
            v = s[bi]
            v[missing] = np.nan
            out.append(v)
        return _back(out, order)

    return _memo(order, ("baseline", id(own[0])), make)


def _running_min(x: Numbers, order: Order, own: Any) -> list[np.ndarray]:
    """Sorted running minima (per bound) from each subject's baseline; +inf before any value."""

    def make() -> list[np.ndarray]:
        skip = ~order.from_base
        out = []
        for s in _bounds(x, order):
            v = s.copy()
            v[skip | np.isnan(s)] = np.inf
            out.append(seg_cummin(v, order))
        return out

    return _memo(order, ("cummin", id(own[0])), make)


def _nadir(values: list[Value], order: Order, own: Any) -> Value:
    x = _numbers(values[0], "nadir")
    skip = ~order.from_base
    out = []
    for cm in _running_min(x, order, own):
        v = cm.copy()
        v[skip | (cm == np.inf)] = np.nan
        out.append(v)
    return _back(out, order)


def _difference(a: np.ndarray, b: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """``a - b`` rounded to DECIMALS, NaN where ``bad`` (one new array)."""
    with np.errstate(invalid="ignore"):
        out = np.subtract(a, b)
    out[bad] = np.nan
    return np.round(out, DECIMALS, out=out)


def _change_from_nadir(values: list[Value], order: Order, own: Any) -> Value:
    x = _numbers(values[0], "change_from_nadir")
    bounds = _bounds(x, order)
    lows = [shift_back(cm, order, np.inf) for cm in _running_min(x, order, own)]
    before = ~order.after_base
    lo = _difference(bounds[0], lows[-1], before | (lows[-1] == np.inf))
    if x.exact:
        return Numbers(order.unsort(lo))
    hi = _difference(bounds[-1], lows[0], before | (lows[0] == np.inf))
    return Numbers(order.unsort(lo), order.unsort(hi))


def _change(values: list[Value], order: Order, own: Any) -> Value:
    x = _numbers(values[0], "change")
    base = _baseline_value(values, order, own)
    if x.exact and isinstance(base, Numbers) and base.exact:
        return Numbers(_difference(np.asarray(x.lo, float), base.lo, np.zeros(order.n, bool)))
    return _rounded(arith.arith("-", x, base))


def _pct_change(values: list[Value], order: Order, own: Any) -> Value:
    x = _numbers(values[0], "pct_change")
    base = _baseline_value(values, order, own)
    if x.exact and isinstance(base, Numbers) and base.exact:
        with np.errstate(all="ignore"):
            out = np.subtract(np.asarray(x.lo, float), base.lo)
            np.divide(out, base.lo, out=out)
            np.multiply(out, 100.0, out=out)
        out[~np.isfinite(out)] = np.nan  # a zero baseline: no percentage
        return Numbers(np.round(out, DECIMALS, out=out))
    ratio = arith.arith("/", arith.arith("-", x, base), base)
    return _rounded(arith.arith("*", ratio, Numbers(np.float64(100.0))))


def _previous(values: list[Value], order: Order, own: Any) -> Value:
    v = values[0]
    n = order.n
    first = order.pos == 0
    prev_sorted = np.arange(n) - 1
    rows = order.unsort(np.where(first, 0, order.sort(np.arange(n))[np.maximum(prev_sorted, 0)]))
    missing = order.unsort(first)
    if isinstance(v, Tri):
        val, known = np.broadcast_arrays(v.value, v.known)
        return Tri.raw(val[rows] & ~missing, known[rows] & ~missing)
    if isinstance(v, Labels):
        return Labels(np.where(missing, -1, np.broadcast_to(v.codes, (n,))[rows]), v.levels)
    gap: Any = np.datetime64("NaT", "D") if isinstance(v, Dates) else np.nan
    lo = np.where(missing, gap, np.broadcast_to(v.lo, (n,))[rows])
    if v.exact:
        return type(v)(lo)
    return type(v)(lo, np.where(missing, gap, np.broadcast_to(v.hi, (n,))[rows]))


def _consecutive(values: list[Value], order: Order, own: Any) -> Value:
    cond = values[0]
    if not isinstance(cond, Tri):
        raise EngineError("consecutive() needs a condition")
    count = own[1]
    if not isinstance(count, ir.Const):
        raise EngineError("the count of consecutive() must be a constant")
    k = int(count.value)
    n = order.n
    val, known = np.broadcast_arrays(cond.value, cond.known)
    val, known = order.sort(np.asarray(val)), order.sort(np.asarray(known))
    false_sum = np.concatenate(([0], np.cumsum(known & ~val)))
    unknown_sum = np.concatenate(([0], np.cumsum(~known)))
    full = order.pos >= k - 1
    end = np.arange(1, n + 1)
    begin = np.maximum(end - k, 0)
    n_false = false_sum[end] - false_sum[begin]
    n_unknown = unknown_sum[end] - unknown_sum[begin]
    value = full & (n_false == 0) & (n_unknown == 0)
    is_known = ~full | (n_false > 0) | (n_unknown == 0)
    return Tri.raw(order.unsort(value), order.unsort(is_known))


KERNELS: dict[str, Callable[[list[Value], Order, Any], Value]] = {
    "baseline": _baseline_value,
    "nadir": _nadir,
    "change": _change,
    "pct_change": _pct_change,
    "change_from_nadir": _change_from_nadir,
    "previous": _previous,
    "consecutive": _consecutive,
}
