"""Dates: vectorized parsing of ISO 8601 (full and partial) and day arithmetic.

A date is an interval of days ``[lo, hi]``, both inclusive. ``2014-06-15`` is one day,
``2014-06`` is ``[2014-06-01, 2014-06-30]``, ``2014`` is ``[2014-01-01, 2014-12-31]``.
A time after a full date (``2014-06-15T08:30``) is dropped: criteria work in days.
Text that is not such a date (``2014-13``, ``2014-02-30``, ``June 2014``, SDTM's
``2014---15``) is missing here; flagging it is the binding layer's job.

Parsing factorizes the column first and parses each distinct text once, with array
arithmetic on the distinct values: no Python loop per row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine.pandas.factorize import factorize
from trialspec.engine.pandas.values import Dates, Numbers

_ISO = r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ].*)?)?)?$"
NAT = np.datetime64("NaT", "D")
# Durations beyond this many days are missing (they only arise from garbage data and would
# overflow datetime64 arithmetic): about 27,000 years.
MAX_DAYS = 1e7


def parse_dates(values: Any) -> Dates:
    """A column (ISO text, datetime64, or date objects; None/NaN missing) as Dates."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        values = np.asarray(values)
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = pd.DatetimeIndex(values).tz_localize(None).to_numpy()
        dtype = values.dtype
    if dtype is not None and np.issubdtype(dtype, np.datetime64):
        return Dates(np.asarray(values).astype("datetime64[D]"))
    codes, uniques = factorize(np.asarray(values, dtype=object))
    lo, hi = _parse_distinct(np.asarray(uniques, dtype=object))
    lo, hi = np.append(lo, NAT), np.append(hi, NAT)  # code -1 picks the trailing NaT
    if np.array_equal(lo, hi, equal_nan=True):
        return Dates(lo[codes])
    return Dates(lo[codes], hi[codes])


def parse_iso(text: str) -> Dates:
    """One ISO date, maybe partial, as a constant (numpy scalars)."""
    lo, hi = _parse_distinct(np.array([text], dtype=object))
    if lo[0] == hi[0] or np.isnat(lo[0]):
        return Dates(lo[0])
    return Dates(lo[0], hi[0])


def _parse_distinct(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The [lo, hi] days of each distinct value (ISO text or a date-like object)."""
    lo = np.full(len(texts), NAT)
    hi = np.full(len(texts), NAT)
    if len(texts) == 0:
        return lo, hi
    is_text = np.array([isinstance(t, str) for t in texts], dtype=bool)
    if not is_text.all():
        other = pd.to_datetime(pd.Series(texts[~is_text], dtype=object), errors="coerce")
        days = other.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        lo[~is_text] = days
        hi[~is_text] = days
    if is_text.any():
        parts = pd.Series(texts[is_text], dtype=object).str.strip().str.extract(_ISO)
        tlo, thi = _from_parts(parts)
        lo[is_text] = tlo
        hi[is_text] = thi
    return lo, hi


def _from_parts(parts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days from (year, month, day) text columns (NaN where absent or unmatched)."""
    num = parts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    year, month, day = num[:, 0], num[:, 1], num[:, 2]
    has_year = ~np.isnan(year)
    has_month = ~np.isnan(month)
    has_day = ~np.isnan(day)
    valid = has_year & (~has_month | ((month >= 1) & (month <= 12))) & (~has_day | (day >= 1))
    y = np.where(valid, year, 1970).astype("int64")
    m = np.where(valid & has_month, month, 1).astype("int64")
    d = np.where(valid & has_day, day, 1).astype("int64")
    first_month = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m - 1)
    lo = first_month.astype("datetime64[D]") + (d - 1)
    valid &= lo.astype("datetime64[M]") == first_month  # rejects 2014-02-30
    next_year = (y - 1970 + 1).astype("datetime64[Y]").astype("datetime64[D]")
    next_month = (first_month + 1).astype("datetime64[D]")
    hi = np.where(has_day, lo, np.where(has_month, next_month, next_year) - 1)
    return np.where(valid, lo, NAT), np.where(valid, hi, NAT)


def round_days(x: Any) -> Any:
    """Days rounded to the nearest whole day, halves away from zero (182.625 -> 183)."""
    return np.copysign(np.floor(np.abs(x) + 0.5), x)


def days_to_timedelta(x: Any) -> Any:
    """Whole days (float, NaN missing) as timedelta64[D] (NaT where missing or absurd)."""
    x = np.asarray(x, dtype=float)
    bad = ~(np.abs(x) <= MAX_DAYS)  # NaN compares false, so NaN is bad
    whole = np.where(bad, 0.0, x).astype("int64").astype("timedelta64[D]")
    return np.where(bad, np.timedelta64("NaT", "D"), whole)


def shift(dates: Dates, days: Numbers, sign: int) -> Dates:
    """``dates + sign * days``: each bound moves by the days rounded to whole days."""
    if days.exact:
        td = days_to_timedelta(round_days(days.lo))
        lo = dates.lo + td if sign > 0 else dates.lo - td
        out = Dates(lo, None if dates.exact else (dates.hi + td if sign > 0 else dates.hi - td))
        if np.ndim(td) == 0 and not np.isnat(td):  # a constant shift keeps what is missing
            out._present = dates.present
        return out
    # an inexact number of days (e.g. a difference of partial dates): interval addition
    if sign > 0:
        d_lo, d_hi = round_days(days.lo), round_days(days.hi)
    else:
        d_lo, d_hi = -round_days(days.hi), -round_days(days.lo)
    return Dates(dates.lo + days_to_timedelta(d_lo), dates.hi + days_to_timedelta(d_hi))


def difference(a: Dates, b: Dates) -> Numbers:
    """``a - b`` in days: ``[a.lo - b.hi, a.hi - b.lo]``, exact when both dates are."""
    lo = _as_days(a.lo - b.hi)
    if a.exact and b.exact:
        return Numbers(lo)
    return Numbers(lo, _as_days(a.hi - b.lo))


def _as_days(td: Any) -> Any:
    nat = np.isnat(td)
    return np.where(nat, np.nan, np.where(nat, 0, td.astype("int64")).astype(float))
