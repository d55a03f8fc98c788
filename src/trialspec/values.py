"""The neutral value carriers: what every backend returns to ``domain/``, one class per kind.

Every value is a few numpy arrays aligned to a grain (the subjects, or a row table's rows,
in the backend's subject order). The module imports numpy only, never an engine.
A constant is the same class holding 0-d arrays or numpy scalars, which broadcast, so
``x >= 18`` never materialises a column of 18s.

- :class:`Tri`: a condition, as two bool arrays ``value`` and ``known``. ``value`` is only
  ever true where ``known`` is (the invariant every operation keeps), so "false" is
  ``known & ~value`` and "unknown" is ``~known``.
- :class:`Numbers`: float64 with NaN for missing, as an interval ``[lo, hi]``. Data columns
  are exact (``hi is lo``, one array); intervals come from partial dates (``d1 - d2``) and
  from aggregates whose ``where`` is unknown on some rows (``count`` is then ``[k, k + u]``).
- :class:`Dates`: datetime64[D] with NaT for missing, as an interval ``[lo, hi]`` of days,
  both inclusive: ``2014-06`` is ``[2014-06-01, 2014-06-30]``, a full date has ``hi is lo``.
- :class:`Labels`: strings and categories as integer codes into ``levels`` (a 1-d object
  array of ``str``); code -1 is missing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

TRUE = np.True_


class Tri:
    """A three-valued condition: true where ``value``, false where ``known & ~value``."""

    __slots__ = ("value", "known")

    def __init__(self, value: Any, known: Any, *, normalize: bool = True) -> None:
        value = np.asarray(value, dtype=bool)
        known = np.asarray(known, dtype=bool)
        self.value = value & known if normalize else value
        self.known = known

    @classmethod
    def raw(cls, value: Any, known: Any) -> Tri:
        """A Tri from arrays that already keep the invariant (value implies known)."""
        t = cls.__new__(cls)
        t.value = value
        t.known = known
        return t

    @property
    def false(self) -> np.ndarray:
        return self.known ^ self.value

    @property
    def unknown(self) -> np.ndarray:
        return ~self.known

    def counts(self) -> tuple[int, int, int]:
        """How many are (true, false, unknown)."""
        v, k = np.broadcast_arrays(self.value, self.known)
        n_true, n_known = int(np.count_nonzero(v)), int(np.count_nonzero(k))
        return n_true, n_known - n_true, int(v.size) - n_known


class Interval:
    """An interval ``[lo, hi]`` per element; exact when ``hi is lo``; lo and hi missing together."""

    __slots__ = ("lo", "hi", "_present")

    def __init__(self, lo: Any, hi: Any = None) -> None:
        self.lo = lo
        self.hi = lo if hi is None else hi
        self._present: Any = None

    @property
    def exact(self) -> bool:
        return self.hi is self.lo

    @property
    def present(self) -> Any:
        """Where the value is present (computed once per value object)."""
        if self._present is None:
            self._present = ~self._missing(self.lo)
        return self._present

    @staticmethod
    def _missing(x: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class Numbers(Interval):
    """Numbers, float64 with NaN missing."""

    __slots__ = ()

    @staticmethod
    def _missing(x: Any) -> Any:
        return np.isnan(x)


class Dates(Interval):
    """Dates, datetime64[D] with NaT missing; lo and hi are inclusive days."""

    __slots__ = ()

    @staticmethod
    def _missing(x: Any) -> Any:
        return np.isnat(x)


class Labels:
    """Strings or categories: ``codes`` (-1 missing) into ``levels`` (object array of str)."""

    __slots__ = ("codes", "levels")

    def __init__(self, codes: Any, levels: np.ndarray) -> None:
        self.codes = codes
        self.levels = levels

    @property
    def present(self) -> Any:
        return self.codes >= 0

    def strings(self) -> np.ndarray:
        """The values as an object array of str, None where missing."""
        table = np.append(self.levels, np.array([None], dtype=object))
        return table[np.asarray(self.codes)]


Value = Tri | Numbers | Dates | Labels


def take(value: Value, idx: np.ndarray) -> Value:
    """The value at positions ``idx`` (broadcasting a subject-grain value to rows)."""
    if isinstance(value, Tri):
        if np.ndim(value.value) == 0 and np.ndim(value.known) == 0:
            return value
        v, k = np.broadcast_arrays(value.value, value.known)
        return Tri.raw(v[idx], k[idx])
    if isinstance(value, Labels):
        return value if np.ndim(value.codes) == 0 else Labels(value.codes[idx], value.levels)
    if np.ndim(value.lo) == 0:
        return value
    lo = value.lo[idx]
    return type(value)(lo, None if value.exact else value.hi[idx])


def broadcast(value: Value, n: int) -> Value:
    """The value with every array of length ``n`` (read-only views for constants)."""
    shape = (n,)
    if isinstance(value, Tri):
        return Tri.raw(np.broadcast_to(value.value, shape), np.broadcast_to(value.known, shape))
    if isinstance(value, Labels):
        return Labels(np.broadcast_to(value.codes, shape), value.levels)
    lo = np.broadcast_to(value.lo, shape)
    return type(value)(lo, None if value.exact else np.broadcast_to(value.hi, shape))


def to_python(value: Value, i: int) -> Any:
    """Element ``i`` as a plain Python value, for ``explain`` and for tests.

    Tri: True / False / None. Numbers: float, a (lo, hi) tuple when inexact, or None.
    Dates: datetime.date (ISO text outside years 1..9999), a (lo, hi) tuple when partial,
    or None. Labels: str or None.
    """
    if isinstance(value, Tri):
        if not bool(_at(value.known, i)):
            return None
        return bool(_at(value.value, i))
    if isinstance(value, Labels):
        code = int(_at(value.codes, i))
        return None if code < 0 else str(value.levels[code])
    lo, hi = _at(value.lo, i), _at(value.hi, i)
    if isinstance(value, Dates):
        if np.isnat(lo):
            return None
        lo_d, hi_d = _date(lo), _date(hi)
        return lo_d if lo_d == hi_d else (lo_d, hi_d)
    if np.isnan(lo):
        return None
    return float(lo) if lo == hi else (float(lo), float(hi))


def _at(x: Any, i: int) -> Any:
    return x if np.ndim(x) == 0 else x[i]


def _date(x: Any) -> dt.date | str:
    """A day as a date; as ISO text beyond Python's years 1..9999."""
    try:
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(np.asarray(x).astype("int64")))
    except OverflowError:
        return str(np.datetime64(x, "D"))
