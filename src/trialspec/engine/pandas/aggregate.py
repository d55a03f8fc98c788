"""Aggregates of a row-grain dataset per subject, vectorized with bincount and ufunc.at.

``where`` and a condition ``value`` are three-valued per row. The result is what is known
for sure, whichever way the unknown rows turn out:

- ``any``: Kleene OR over the subject's rows of ``where and value``: true if some row is
  true, false if every row is false, else unknown. No rows: false.
- ``all``: Kleene AND over the rows of ``where implies value`` (with no value: of
  ``where``): false if some row is false, true if every row is true, else unknown.
  No rows: true.
- ``count``: the rows where ``where and value`` holds (with a non-condition value: where it
  is present), as an interval ``[sure, sure + unknown]``; exact (a whole number) when no row
  is unknown. ``count(x) >= 1`` is then true, false or unknown exactly as ``any`` would be.
- ``sum``/``mean``/``min``/``max`` over numbers (``min``/``max`` also over dates): missing
  when a row that is, or may be, selected has a missing value or an unknown ``where``
  (a missing term makes a sum unknown; SQL would skip it), and when no row is selected.
  Partial dates and inexact numbers aggregate bound by bound.
- ``count_distinct``: how many distinct present values the selected rows hold (a missing
  value is skipped, as ``count(x)`` skips it), as an interval ``[distinct over the rows
  surely selected, distinct over the rows that may be]``; exact when no ``where`` is
  unknown. A partial date or an inexact number is one value: its ``[lo, hi]`` pair.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine import EngineError
from trialspec.engine.pandas.logic import kleene_and, kleene_not, kleene_or
from trialspec.engine.pandas.values import Dates, Interval, Labels, Numbers, Tri, Value


def aggregate(func: str, codes: np.ndarray, n: int, value: Value | None,
              where: Tri | None) -> Value:
    """``func`` over the rows (subject positions ``codes``) for each of ``n`` subjects."""
    try:
        fn = AGGREGATES[func]
    except KeyError:
        raise EngineError(f"unknown aggregate {func!r}") from None
    return fn(codes, n, value, where)


def _count_where(codes: np.ndarray, n: int, mask: Any) -> np.ndarray:
    mask = np.broadcast_to(mask, codes.shape)
    return np.bincount(codes[mask], minlength=n)


def _condition(value: Value | None, where: Tri | None, implies: bool) -> Tri | None:
    """The per-row condition: ``where and value``, or ``not where or value`` for ``all``."""
    if value is not None and not isinstance(value, Tri):
        value = Tri.raw(np.asarray(value.present), np.True_)
    if value is None:
        return where
    if where is None:
        return value
    if implies:
        return kleene_or([kleene_not(where), value])
    return kleene_and([where, value])


def _any(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Tri:
    cond = _condition(value, where, implies=False)
    if cond is None:
        has_rows = np.bincount(codes, minlength=n) > 0
        return Tri.raw(has_rows, np.True_)
    n_true = _count_where(codes, n, cond.value)
    n_unknown = _count_where(codes, n, ~cond.known)
    value_ = n_true > 0
    return Tri.raw(value_, value_ | (n_unknown == 0))


def _all(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Tri:
    cond = _condition(value, where, implies=True)
    if cond is None:
        return Tri.raw(np.ones(n, bool), np.True_)
    n_false = _count_where(codes, n, cond.known ^ cond.value)
    n_unknown = _count_where(codes, n, ~cond.known)
    none_unknown = n_unknown == 0
    return Tri.raw((n_false == 0) & none_unknown, (n_false > 0) | none_unknown)


def _count(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Numbers:
    cond = _condition(value, where, implies=False)
    if cond is None:
        return Numbers(np.bincount(codes, minlength=n).astype(float))
    sure = _count_where(codes, n, cond.value).astype(float)
    unknown = _count_where(codes, n, ~cond.known)
    if not unknown.any():
        return Numbers(sure)
    return Numbers(sure, sure + unknown)


def _selection(codes: np.ndarray, n: int, value: Value | None, where: Tri | None,
               ) -> tuple[Interval, np.ndarray, np.ndarray, np.ndarray]:
    """(value, rows to aggregate, subjects whose result is missing, rows per subject)."""
    if not isinstance(value, Interval):
        raise EngineError("sum/mean/min/max need a number (or a date for min/max)")
    present = np.broadcast_to(value.present, codes.shape)
    if where is None:
        selected = np.ones(codes.shape, bool)
        maybe = np.zeros(codes.shape, bool)
    else:
        selected = np.broadcast_to(where.value, codes.shape)
        maybe = np.broadcast_to(~where.known, codes.shape)
    bad = maybe | (selected & ~present)
    n_good = _count_where(codes, n, selected & present)
    missing = (_count_where(codes, n, bad) > 0) | (n_good == 0)
    return value, selected & present, missing, n_good


def _sum_or_mean(mean: bool) -> Callable[..., Value]:
    def fn(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Value:
        v, rows, missing, n_good = _selection(codes, n, value, where)
        if isinstance(v, Dates):
            raise EngineError("sum/mean need numbers, not dates")
        bounds = [v.lo] if v.exact else [v.lo, v.hi]
        out = []
        for b in bounds:
            weights = np.broadcast_to(b, codes.shape)[rows]
            total = np.bincount(codes[rows], weights=weights, minlength=n)
            # a sum past a double's range is missing, not inf: judged by the sum of the absolute
            # values, which overflows whatever order the values are added in (SQL's is its own)
            over = ~np.isfinite(np.bincount(codes[rows], weights=np.abs(weights), minlength=n))
            total = np.where(over, np.nan, total)
            if mean:
                with np.errstate(all="ignore"):
                    total = total / n_good
            out.append(np.where(missing, np.nan, total))
        return Numbers(*out)

    return fn


def _extreme(ufunc: Any) -> Callable[..., Value]:
    def fn(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Value:
        v, rows, missing, _n_good = _selection(codes, n, value, where)
        bounds = [v.lo] if v.exact else [v.lo, v.hi]
        out = [_reduce_at(ufunc, codes[rows], np.broadcast_to(b, codes.shape)[rows], n, missing)
               for b in bounds]
        return Dates(*out) if isinstance(v, Dates) else Numbers(*out)

    return fn


def _reduce_at(ufunc: Any, codes: np.ndarray, values: np.ndarray, n: int,
               missing: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "M":  # dates: reduce on the int64 day numbers
        days = values.astype("int64")
        init = np.iinfo(np.int64).max if ufunc is np.minimum else np.iinfo(np.int64).min
        out = np.full(n, init, dtype=np.int64)
        ufunc.at(out, codes, days)
        return np.where(missing, np.datetime64("NaT", "D"), out.astype("datetime64[D]"))
    out = np.full(n, np.inf if ufunc is np.minimum else -np.inf)
    ufunc.at(out, codes, values)
    return np.where(missing, np.nan, out)


def _row_keys(value: Value | None, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(an int64 key per row, equal for equal values; where the value is present)."""
    if value is None:
        raise EngineError("count_distinct needs a column")
    if isinstance(value, Tri):
        known = np.broadcast_to(value.known, (size,))
        return np.broadcast_to(value.value, (size,)).astype(np.int64), known
    if isinstance(value, Labels):
        codes = np.broadcast_to(np.asarray(value.codes, dtype=np.int64), (size,))
        return codes, codes >= 0
    present = np.broadcast_to(value.present, (size,))
    keys, _ = pd.factorize(np.broadcast_to(value.lo, (size,)))
    if not value.exact:
        hi, _ = pd.factorize(np.broadcast_to(value.hi, (size,)))
        keys, _ = pd.factorize(keys.astype(np.int64) * (int(hi.max(initial=0)) + 2) + hi)
    return keys.astype(np.int64), present


def _distinct(codes: np.ndarray, n: int, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Distinct keys per subject among ``rows``: unique (subject, key) pairs, counted."""
    width = int(keys.max(initial=0)) + 1
    pairs = np.unique(codes[rows].astype(np.int64) * width + keys[rows])
    return np.bincount(pairs // width, minlength=n).astype(float)


def _count_distinct(codes: np.ndarray, n: int, value: Value | None, where: Tri | None) -> Numbers:
    keys, present = _row_keys(value, codes.shape[0])
    if where is None:
        return Numbers(_distinct(codes, n, keys, present))
    sure = present & np.broadcast_to(where.value, codes.shape)
    maybe = present & ~np.broadcast_to(where.known, codes.shape)
    low = _distinct(codes, n, keys, sure)
    if not maybe.any():
        return Numbers(low)
    return Numbers(low, _distinct(codes, n, keys, sure | maybe))


AGGREGATES: dict[str, Callable[..., Value]] = {
    "count_distinct": _count_distinct,
    "any": _any,
    "all": _all,
    "count": _count,
    "sum": _sum_or_mean(mean=False),
    "mean": _sum_or_mean(mean=True),
    "min": _extreme(np.minimum),
    "max": _extreme(np.maximum),
}
