"""Arithmetic and scalar functions, row-wise; a missing operand gives a missing result.

Numbers: ``+ - * /`` and ``neg``. A result that is not finite is missing: division by
zero (``x / 0``, ``0 / 0``) and overflow give NaN, never inf. Inexact numbers (intervals)
use interval arithmetic; dividing by an interval that contains 0 is missing.

Dates: ``date +/- days`` moves both bounds by the days rounded to the nearest whole day
(halves away from zero: the checker turns ``6 months`` into 182.625 days, which moves a
date by 183); ``date - date`` is a number of days, an interval when a date is partial.

Functions: ``min``/``max`` are missing if any argument is missing (unlike SQL's
LEAST/GREATEST, which skip NULLs: a smaller value may be hiding in the missing one);
``coalesce`` is the first present argument; ``abs``; ``ratio(a, b)`` is ``a / b``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import numpy as np

from trialspec.engine import EngineError
from trialspec.engine.pandas.compare import remap
from trialspec.engine.pandas.dates import difference, shift
from trialspec.engine.pandas.values import Dates, Interval, Labels, Numbers, Tri, Value

_NUM_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
}


def finite(x: Any) -> Any:
    """``x`` with +-inf made NaN (in place: ``x`` must be a fresh result)."""
    x = np.asarray(x)
    inf = np.isinf(x)
    if x.ndim == 0:
        return np.asarray(np.nan) if inf else x
    if inf.any():
        np.copyto(x, np.nan, where=inf)
    return x


def _numbers(lo: Any, hi: Any = None) -> Numbers:
    """An interval result: finite bounds, missing together."""
    lo = finite(lo)
    if hi is None:
        return Numbers(lo)
    hi = finite(hi)
    missing = np.isnan(lo) | np.isnan(hi)
    return Numbers(np.where(missing, np.nan, lo), np.where(missing, np.nan, hi))


def _num_binary(op: str, a: Numbers, b: Numbers) -> Numbers:
    with np.errstate(all="ignore"):
        if a.exact and b.exact:
            return _numbers(_NUM_OPS[op](a.lo, b.lo))
        if op == "+":
            return _numbers(a.lo + b.lo, a.hi + b.hi)
        if op == "-":
            return _numbers(a.lo - b.hi, a.hi - b.lo)
        fn = _NUM_OPS[op]
        corners = [fn(a.lo, b.lo), fn(a.lo, b.hi), fn(a.hi, b.lo), fn(a.hi, b.hi)]
        lo, hi = reduce(np.minimum, corners), reduce(np.maximum, corners)
        if op == "/":  # a divisor interval holding 0 makes the quotient unbounded
            spans_zero = (b.lo <= 0) & (b.hi >= 0)
            lo, hi = np.where(spans_zero, np.nan, lo), np.where(spans_zero, np.nan, hi)
        return _numbers(lo, hi)


def _neg(a: Numbers) -> Numbers:
    return Numbers(-a.lo) if a.exact else Numbers(-a.hi, -a.lo)


def arith(op: str, a: Value, b: Value | None) -> Value:
    if op == "neg":
        if not isinstance(a, Numbers):
            raise EngineError(f"cannot negate {type(a).__name__}")
        return _neg(a)
    key = (op, type(a), type(b))
    if key in _DATE_OPS:
        return _DATE_OPS[key](a, b)
    if isinstance(a, Numbers) and isinstance(b, Numbers) and op in _NUM_OPS:
        return _num_binary(op, a, b)
    raise EngineError(f"cannot compute {type(a).__name__} {op} {type(b).__name__}")


_DATE_OPS: dict[tuple[str, type, type], Callable[[Any, Any], Value]] = {
    ("+", Dates, Numbers): lambda d, n: shift(d, n, +1),
    ("+", Numbers, Dates): lambda n, d: shift(d, n, +1),
    ("-", Dates, Numbers): lambda d, n: shift(d, n, -1),
    ("-", Dates, Dates): difference,
}


# -- functions ------------------------------------------------------------------------------


def _extreme(ufunc: Any) -> Callable[[Sequence[Value]], Value]:
    def fn(args: Sequence[Value]) -> Value:
        kinds = {type(a) for a in args}
        if len(kinds) != 1 or not issubclass(kinds.pop(), Interval):
            raise EngineError("min/max need numbers or dates of one kind")
        first = args[0]
        assert isinstance(first, Interval)
        lo = reduce(ufunc, [a.lo for a in args])  # type: ignore[union-attr]
        if all(a.exact for a in args):  # type: ignore[union-attr]
            return type(first)(lo)
        return type(first)(lo, reduce(ufunc, [a.hi for a in args]))  # type: ignore[union-attr]

    return fn


def _abs(args: Sequence[Value]) -> Value:
    (a,) = args
    if not isinstance(a, Numbers):
        raise EngineError("abs needs a number")
    if a.exact:
        return Numbers(np.abs(a.lo))
    lo = np.where(a.lo >= 0, a.lo, np.where(a.hi <= 0, -a.hi, 0.0))
    hi = np.maximum(np.abs(a.lo), np.abs(a.hi))
    return Numbers(np.where(np.isnan(a.lo), np.nan, lo), hi)


def _coalesce(args: Sequence[Value]) -> Value:
    return reduce(_coalesce2, args)


def _coalesce2(a: Value, b: Value) -> Value:
    if isinstance(a, Tri) and isinstance(b, Tri):
        return Tri.raw(np.where(a.known, a.value, b.value), a.known | b.known)
    if isinstance(a, Labels) and isinstance(b, Labels):
        levels = union_levels(a.levels, b.levels)
        ca, cb = remap(a, levels), remap(b, levels)
        return Labels(np.where(ca >= 0, ca, cb), levels)
    if isinstance(a, Interval) and type(a) is type(b):
        assert isinstance(b, Interval)
        keep = a.present
        lo = np.where(keep, a.lo, b.lo)
        if a.exact and b.exact:
            return type(a)(lo)
        return type(a)(lo, np.where(keep, a.hi, b.hi))
    raise EngineError(f"coalesce needs one kind of value, got {type(a).__name__} "
                      f"and {type(b).__name__}")


def union_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The levels of ``a`` then those of ``b`` not in ``a``."""
    if a is b:
        return a
    seen = set(a)
    extra = [x for x in b if x not in seen]
    return np.concatenate([a, np.array(extra, dtype=object)]) if extra else a


def _ratio(args: Sequence[Value]) -> Value:
    a, b = args
    return arith("/", a, b)


FUNCTIONS: dict[str, Callable[[Sequence[Value]], Value]] = {
    "min": _extreme(np.minimum),
    "max": _extreme(np.maximum),
    "abs": _abs,
    "coalesce": _coalesce,
    "ratio": _ratio,
}


def call(name: str, args: Sequence[Value]) -> Value:
    try:
        fn = FUNCTIONS[name]
    except KeyError:
        raise EngineError(f"unknown function {name!r}") from None
    return fn(args)
