"""How a cell's text is read, the same in every binder: the boolean words, the ISO 8601 date
pattern, the factor of a unit cell's text, and whether text keys increase (so are unique).

No pandas: the pandas binder (``engine/pandas/conform.py``, ``unit_column.py``, ``bind.py``)
applies these to its columns, the DuckDB binder (``engine/duckdb/bind_sql.py``, ``bind.py``,
``text.py``) writes them into its SQL or applies them to the Arrow it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

ISO_DATE = r"\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?"
TRUE_WORDS = {"true", "t", "yes", "y", "1", "1.0"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "0.0"}


def units_factor(target: str, analyte: str | None) -> Callable[[str], float]:
    """The factor from a unit's text to ``target`` (for ``analyte``); the function raises
    ``ValueError`` for a unit it cannot convert."""
    from trialspec.units import UnitError, factor, parse_unit

    try:
        dst = parse_unit(target)
    except UnitError:  # lint reports the declared unit; here no row converts (a coded finding)
        dst = None

    def resolve(text: str) -> float:
        if dst is None:
            raise ValueError(f"the declared unit {target!r} is unknown")
        try:
            return factor(parse_unit(text), dst, analyte)
        except UnitError as e:
            raise ValueError(str(e)) from e

    return resolve


def factor_or_nan(resolve: Callable[[str], float], unit: Any) -> float:
    """A unit cell's factor by ``resolve``; NaN when the cell is missing or blank, its unit
    is unknown or not convertible, or the factor is not finite."""
    text = unit.strip() if isinstance(unit, str) else None
    if not text:
        return np.nan
    try:
        f = float(resolve(text))
    except (ValueError, LookupError):
        return np.nan
    return f if np.isfinite(f) else np.nan


def increasing_text(arrow: Any) -> bool:
    """Whether Arrow text keys (none missing) are strictly increasing, hence unique: Arrow
    compares UTF-8 bytes, whose order is the code points' order, as Python compares text."""
    import pyarrow.compute as pc

    if len(arrow) < 2 or arrow.null_count:
        return False
    return bool(pc.all(pc.less(arrow.slice(0, len(arrow) - 1), arrow.slice(1))).as_py())
