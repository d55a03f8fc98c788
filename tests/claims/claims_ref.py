"""The R reference values for the claims tests (tests/fixtures/r/claims.R -> claims.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "r" / "claims.json"
RTOL = 1e-6


def load() -> dict[str, Any]:
    with open(FIXTURE, encoding="utf-8") as f:
        return json.load(f)


def close(actual: Any, expected: Any, *, rtol: float = RTOL, atol: float = 0.0) -> None:
    """``actual`` equals R's ``expected`` to ``rtol`` relative."""
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rtol, atol=atol)
