"""Comparisons, set membership and missingness, three-valued.

Numbers and dates compare as intervals ``[lo, hi]`` (numbers are usually exact)::

    a <  b   true if a.hi <  b.lo   false if a.lo >= b.hi
    a <= b   true if a.hi <= b.lo   false if a.lo >  b.hi
    a == b   true if a.lo == a.hi == b.lo == b.hi   false if a.hi < b.lo or b.hi < a.lo
    a != b   not (a == b)

and unknown otherwise. A missing operand (NaN/NaT) makes both tests false, hence unknown.
Exact operands take a fast path: one comparison, ``known`` = both present.
Labels and conditions compare with ``==`` / ``!=`` only (the checker forbids ordering them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine import EngineError
from trialspec.engine.pandas.dates import parse_iso
from trialspec.engine.pandas.values import Dates, Interval, Labels, Numbers, Tri, Value

ORDER_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": np.equal, "!=": np.not_equal,
}


def both(a: Any, b: Any) -> Any:
    """``a & b`` for presence masks, skipping the pass when one side is a scalar True."""
    if np.ndim(a) == 0 and bool(a):
        return b
    if np.ndim(b) == 0 and bool(b):
        return a
    return a & b


def compare(op: str, a: Value, b: Value) -> Tri:
    try:
        fn = _COMPARERS[(type(a), type(b))]
    except KeyError:
        raise EngineError(f"cannot compare {type(a).__name__} with {type(b).__name__}") from None
    return fn(op, a, b)


def _cmp_interval(op: str, a: Interval, b: Interval) -> Tri:
    if a.exact and b.exact:
        known = both(a.present, b.present)
        value = ORDER_OPS[op](a.lo, b.lo)
        if op == "!=":  # NaN != x is true: keep the invariant
            value = value & known
        return Tri.raw(np.asarray(value), np.asarray(known))
    true, false = _BOUNDS[op](a, b)
    return Tri.raw(true, true | false)


def _eq_bounds(a: Interval, b: Interval) -> tuple[Any, Any]:
    true = (a.lo == a.hi) & (b.lo == b.hi) & (a.lo == b.lo)
    false = (a.hi < b.lo) | (b.hi < a.lo)
    return true, false


_BOUNDS: dict[str, Callable[[Interval, Interval], tuple[Any, Any]]] = {
    "<": lambda a, b: (a.hi < b.lo, a.lo >= b.hi),
    "<=": lambda a, b: (a.hi <= b.lo, a.lo > b.hi),
    ">": lambda a, b: (a.lo > b.hi, a.hi <= b.lo),
    ">=": lambda a, b: (a.lo >= b.hi, a.hi < b.lo),
    "==": _eq_bounds,
    "!=": lambda a, b: _eq_bounds(a, b)[::-1],
}


def _cmp_labels(op: str, a: Labels, b: Labels) -> Tri:
    if op not in ("==", "!="):
        raise EngineError(f"'{op}' does not order strings or categories")
    if np.ndim(a.codes) == 0 and np.ndim(b.codes) > 0:
        a, b = b, a  # remap the constant side
    codes_b = remap(b, a.levels)
    known = both(a.present, b.present)
    value = a.codes == codes_b if op == "==" else a.codes != codes_b
    return Tri.raw(np.asarray(value & known), np.asarray(known))


def _cmp_tri(op: str, a: Tri, b: Tri) -> Tri:
    if op not in ("==", "!="):
        raise EngineError(f"'{op}' does not order conditions")
    known = both(a.known, b.known)
    value = (a.value == b.value) if op == "==" else (a.value != b.value)
    return Tri.raw(np.asarray(value & known), np.asarray(known))


_COMPARERS: dict[tuple[type, type], Callable[[str, Any, Any], Tri]] = {
    (Numbers, Numbers): _cmp_interval,
    (Dates, Dates): _cmp_interval,
    (Labels, Labels): _cmp_labels,
    (Tri, Tri): _cmp_tri,
}


def remap(labels: Labels, levels: np.ndarray) -> Any:
    """``labels``' codes in the space of ``levels``: -1 missing, -2 a level not in ``levels``."""
    if labels.levels is levels:
        return labels.codes
    idx = pd.Index(levels).get_indexer(labels.levels)
    lookup = np.append(np.where(idx < 0, -2, idx), -1)
    return lookup[labels.codes]


# -- membership -----------------------------------------------------------------------------


def in_set(a: Value, values: tuple[Any, ...], negated: bool) -> Tri:
    """``a in values`` (``not in`` when negated); unknown where ``a`` is missing."""
    try:
        fn = _MEMBERSHIP[type(a)]
    except KeyError:
        raise EngineError(f"'in' does not apply to {type(a).__name__}") from None
    t = fn(a, values)
    return Tri.raw(t.known ^ t.value, t.known) if negated else t


FEW_CONSTANTS = 8  # `x in [..]` of up to this many numbers is tested value by value


def _in_numbers(a: Numbers, values: tuple[Any, ...]) -> Tri:
    consts = np.array([float(v) for v in values], dtype=float)
    if a.exact:
        if not len(consts):
            value = np.zeros(np.shape(a.lo), bool)
        elif len(consts) <= FEW_CONSTANTS:  # a few equality passes, not isin's sort of the column
            value = a.lo == consts[0]
            for c in consts[1:]:
                value |= a.lo == c
        else:
            value = np.isin(a.lo, consts)
        return Tri.raw(np.asarray(value), np.asarray(a.present))
    return _in_intervals(a, [Numbers(np.float64(c)) for c in consts])


def _in_dates(a: Dates, values: tuple[Any, ...]) -> Tri:
    return _in_intervals(a, [parse_iso(str(v)) for v in values])


def _in_intervals(a: Interval, consts: list[Interval]) -> Tri:
    """True if equal to a constant for sure; false if it overlaps none; else unknown."""
    true: Any = np.zeros(np.shape(a.lo), bool)
    overlaps: Any = np.zeros(np.shape(a.lo), bool)
    for c in consts:
        t, f = _eq_bounds(a, c)
        true = true | t
        overlaps = overlaps | ~f
    known = a.present & (true | ~overlaps)
    return Tri.raw(np.asarray(true & known), np.asarray(known))


def _in_labels(a: Labels, values: tuple[Any, ...]) -> Tri:
    wanted = pd.Index(a.levels).isin([str(v) for v in values])
    lookup = np.append(wanted, False)
    return Tri.raw(np.asarray(lookup[a.codes]), np.asarray(a.present))


def _in_tri(a: Tri, values: tuple[Any, ...]) -> Tri:
    flags = {bool(v) for v in values if isinstance(v, bool | np.bool_)}
    has_true, has_false = True in flags, False in flags
    if has_true and has_false:
        value = a.known
    elif has_true:
        value = a.value
    elif has_false:
        value = a.known ^ a.value
    else:
        value = np.zeros(np.shape(a.value), bool)
    return Tri.raw(np.asarray(value), a.known)


_MEMBERSHIP: dict[type, Callable[[Any, tuple[Any, ...]], Tri]] = {
    Numbers: _in_numbers,
    Dates: _in_dates,
    Labels: _in_labels,
    Tri: _in_tri,
}


def is_null(a: Value, negated: bool) -> Tri:
    """``a is missing`` (``is present`` when negated): always known."""
    present = a.known if isinstance(a, Tri) else a.present
    return Tri.raw(np.asarray(present if negated else ~present), np.True_)
