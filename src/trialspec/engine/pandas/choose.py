"""``if C then A else B``, row-wise and three-valued.

Where C is true the value is A's, where C is false B's. Where C is unknown the value is
the arms' common value when both are known and equal (``if c then 1 else 1`` is 1 whatever
c is), and missing (unknown, for conditions) otherwise. Numbers and dates agree only when
their intervals are the same ``[lo, hi]``; a partial date agrees with the same partial date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.engine import EngineError
from trialspec.engine.pandas.arith import union_levels
from trialspec.engine.pandas.compare import remap
from trialspec.engine.pandas.values import Dates, Labels, Numbers, Tri, Value


def choose(cond: Tri, a: Value, b: Value) -> Value:
    """The value of ``if cond then a else b``."""
    try:
        fn = _CHOOSERS[(type(a), type(b))]
    except KeyError:
        raise EngineError(f"the arms of `if` differ: {type(a).__name__} and {type(b).__name__}") from None
    return fn(cond, a, b)


def _pick(cond: Tri, a: Any, b: Any, agree: Any, missing: Any) -> Any:
    """``a`` where cond is true, ``b`` where false, ``a`` where unknown and ``agree``, else ``missing``."""
    return np.where(cond.value, a, np.where(cond.known, b, np.where(agree, a, missing)))


def _tri(cond: Tri, a: Tri, b: Tri) -> Tri:
    agree = a.known & b.known & (a.value == b.value)
    known = _pick(cond, a.known, b.known, agree, False)
    value = _pick(cond, a.value, b.value, agree, False)
    return Tri.raw(np.asarray(value & known), np.asarray(known))


def _interval(cond: Tri, a: Any, b: Any) -> Value:
    missing = np.datetime64("NaT", "D") if isinstance(a, Dates) else np.nan
    agree = a.present & b.present & (a.lo == b.lo) & (a.hi == b.hi)
    lo = _pick(cond, a.lo, b.lo, agree, missing)
    if a.exact and b.exact:
        return type(a)(np.asarray(lo))
    return type(a)(np.asarray(lo), np.asarray(_pick(cond, a.hi, b.hi, agree, missing)))


def _labels(cond: Tri, a: Labels, b: Labels) -> Labels:
    levels = union_levels(a.levels, b.levels)
    ca, cb = remap(a, levels), remap(b, levels)
    codes = _pick(cond, ca, cb, (ca == cb) & (ca >= 0), -1)
    return Labels(np.asarray(codes, dtype=np.int64), levels)


_CHOOSERS: dict[tuple[type, type], Callable[[Tri, Any, Any], Value]] = {
    (Tri, Tri): _tri,
    (Numbers, Numbers): _interval,
    (Dates, Dates): _interval,
    (Labels, Labels): _labels,
}
