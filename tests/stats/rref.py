"""Reading the R reference files in tests/fixtures/r/ and comparing numbers with them.

The R scripts write NA, NaN, Inf and -Inf as strings; here NA and NaN become nan (an
undefined value, which our code reports as nan or None) and the infinities become floats.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "r"
RTOL = 1e-6
_SPECIAL = {"NA": math.nan, "NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def load(name: str) -> dict[str, Any]:
    """One reference file, decoded."""
    with open(FIXTURES / name, encoding="utf-8") as f:
        return _decode(json.load(f))


def as_float(value: Any) -> Any:
    """None (our "undefined") as nan, so it compares equal to R's NA."""
    if value is None:
        return math.nan
    if isinstance(value, list | tuple):
        return [as_float(v) for v in value]
    return value


def assert_r(actual: Any, expected: Any, *, rtol: float = RTOL, atol: float = 0.0,
             what: str = "") -> None:
    """``actual`` equals R's ``expected`` to ``rtol`` relative (nan == NA, inf == Inf).

    ``atol`` stays 0 except where a value is zero in exact arithmetic and R's is rounding
    noise (a Yates-corrected statistic of 8.5e-32, say).
    """
    np.testing.assert_allclose(
        np.asarray(as_float(actual), dtype=float),
        np.asarray(as_float(expected), dtype=float),
        rtol=rtol, atol=atol, err_msg=what)
