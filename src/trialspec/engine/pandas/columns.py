"""Turning a bound data column into an engine value, by the column's declared kind.

Input columns are numpy arrays or pandas arrays (Categorical, nullable Float64/Int64/boolean,
string). They are never modified: conversions copy when they must change anything.

- numbers: float64, NaN missing. +-inf is missing too (a lab value of inf is not a number
  anyone measured; the binding layer reports it). Text in a number column is missing.
- conditions: bool, pandas boolean (NA missing), or object holding True/False/None;
  1/0 numbers count as true/false. Anything else is missing.
- categories and strings: codes into levels; None/NaN missing; a non-text value is
  compared by its text (``str(v)``).
- dates: see :mod:`trialspec.engine.pandas.dates`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine import EngineError
from trialspec.engine.pandas.dates import parse_dates
from trialspec.engine.pandas.factorize import factorize
from trialspec.engine.pandas.values import Labels, Numbers, Tri, Value
from trialspec.lang.types import Kind


def unwrap(values: Any) -> Any:
    """A Series or numpy-backed pandas array as its numpy array (no copy); others as given."""
    if isinstance(values, pd.Series | pd.Index):
        values = values.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        return np.asarray(values)  # its ndarray; .to_numpy() scans for missing values
    return values


def finite_float(values: Any) -> np.ndarray:
    """A float64 array, NaN where missing, non-numeric or infinite."""
    values = unwrap(values)
    if isinstance(values, pd.api.extensions.ExtensionArray) and not isinstance(
            values, pd.Categorical):
        try:
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            arr = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
                dtype=float)
    else:
        arr = np.asarray(values)
        if arr.dtype.kind in "fiub":
            arr = arr.astype(np.float64, copy=False)
        else:
            arr = pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
    inf = np.isinf(arr)
    if inf.any():
        arr = np.where(inf, np.nan, arr)
    return arr


def to_numbers(values: Any) -> Numbers:
    return Numbers(finite_float(values))


def to_tri(values: Any) -> Tri:
    values = unwrap(values)
    arr = values if isinstance(values, pd.api.extensions.ExtensionArray) else np.asarray(values)
    if arr.dtype == bool:
        return Tri.raw(np.asarray(arr), np.True_)
    if isinstance(arr, pd.arrays.BooleanArray):
        known = ~arr.isna()
        return Tri.raw(arr.to_numpy(dtype=bool, na_value=False), known)
    if arr.dtype.kind in "fiu":
        num = finite_float(arr)
        known = (num == 0) | (num == 1)
        return Tri.raw(num == 1, known)
    mapped = pd.Series(np.asarray(arr, dtype=object), dtype=object).map(_BOOLS)
    known = mapped.notna().to_numpy()
    return Tri.raw(mapped.fillna(0).to_numpy(dtype=np.int8) == 1, known)


_BOOLS = {True: 1, False: 0}


def number_text(values: pd.Series) -> pd.Series:
    """Numbers read as text (a key, a visit number, a string column of a SAS or Parquet file,
    whose numbers are doubles): a whole number as its digits (``1.0`` -> ``1``, as a level is
    read and as the file's own tools show it), any other as its shortest text (``1.5``)."""
    numbers = values.to_numpy(dtype=np.float64)
    whole = np.isfinite(numbers) & (np.abs(numbers) < 2.0 ** 53)
    whole[whole] = numbers[whole] == np.trunc(numbers[whole])
    out = values.astype("string")
    if whole.any():
        out[whole] = pd.array(numbers[whole].astype(np.int64), dtype="string")
    return out


def to_labels(values: Any) -> Labels:
    values = unwrap(values)
    if isinstance(values, pd.Categorical):
        codes, uniques = values.codes, np.asarray(values.categories, dtype=object)
    else:
        codes, uniques = factorize(np.asarray(values, dtype=object))
        uniques = np.asarray(uniques, dtype=object)
    texts = np.array([u if isinstance(u, str) else _label_text(u) for u in uniques], dtype=object)
    floats = np.flatnonzero([isinstance(u, float | np.floating) for u in uniques])
    if len(floats):  # numbers as every text of a number is written (number_text)
        texts[floats] = number_text(pd.Series(uniques[floats], dtype=np.float64)).to_numpy(dtype=object)
    if len(set(texts)) < len(texts):  # 1 and "1" are the same text: merge their codes
        remap, merged = pd.factorize(texts)
        codes = np.append(remap, -1)[codes]
        texts = np.asarray(merged, dtype=object)
    return Labels(codes, texts)


def _label_text(value: Any) -> str:
    """A cell that is neither text nor a number (written by ``to_labels``), read as text (a date
    column of the API's frames read as the exposure's cell): a moment in ISO 8601, a day at
    midnight as the day alone, its wall time without the offset."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, datetime.datetime):
        wall = value.replace(tzinfo=None)
        return wall.date().isoformat() if wall.time() == datetime.time() else wall.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


CONVERTERS: dict[Kind, Callable[[Any], Value]] = {
    Kind.NUMBER: to_numbers,
    Kind.BOOL: to_tri,
    Kind.CATEGORY: to_labels,
    Kind.STRING: to_labels,
    Kind.DATE: parse_dates,
}


def convert(values: Any, kind: Kind) -> Value:
    """A raw column as the engine value of its declared kind."""
    try:
        converter = CONVERTERS[kind]
    except KeyError:
        raise EngineError(f"a column of kind {kind.value!r} cannot be evaluated") from None
    return converter(values)
