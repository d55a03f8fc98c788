"""Converting a value column whose unit varies by row (a unit column) to one unit.

Each distinct unit text is resolved once (``trialspec.units``, through ``engine/cells.py``),
then every row is multiplied by its unit's factor through a lookup array: no Python per row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.engine.cells import factor_or_nan, units_factor
from trialspec.engine.pandas.columns import finite_float
from trialspec.engine.pandas.factorize import factorize


def convert_unit_column(values: Any, units: Any, target: str, analyte: str | None = None, *,
                        factor_of: Callable[[str], float] | None = None,
                        ) -> tuple[np.ndarray, np.ndarray]:
    """``values`` (each in its row's unit) converted to ``target``, and a bad-unit mask.

    Returns ``(converted, bad)``: ``converted`` is float64, NaN where the value is missing
    (or infinite) or its unit is missing, unknown or not convertible to ``target``; ``bad``
    is true where a present value has such a unit (the binding layer reports those rows).
    ``factor_of(unit_text)`` overrides the lookup of one unit's factor (tests, benchmarks);
    it raises ``ValueError`` or ``LookupError`` for a unit it cannot convert.
    """
    x = finite_float(values)
    codes, uniques = factorize(np.asarray(units, dtype=object))
    resolve = factor_of or units_factor(target, analyte)
    factors = np.empty(len(uniques) + 1)
    factors[-1] = np.nan  # code -1 (missing unit) picks this slot
    for i, unit in enumerate(uniques):
        factors[i] = factor_or_nan(resolve, unit)
    f = factors[codes]
    with np.errstate(over="ignore"):
        converted = x * f
    np.copyto(converted, np.nan, where=np.isinf(converted))  # overflow is missing, not inf
    bad = np.isnan(f) & ~np.isnan(x)
    return converted, bad
