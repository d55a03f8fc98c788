"""Completeness of a row table (``complete_for:``): what "no rows" means for a subject.

A table that covers only some subjects (MH and CM in the CDISC pilot were collected for the
randomized, not for screen failures) says nothing about the others: for a subject it does
not cover and who has no rows, an aggregate over the table is unknown (missing), never
``false`` or 0. Covered subjects keep the usual reading: no rows is none.
"""

from __future__ import annotations

import numpy as np

from trialspec.engine.pandas.values import Numbers, Tri, Value


def uncovered(codes: np.ndarray, n: int, covered: np.ndarray) -> np.ndarray:
    """Per subject: no rows in the table and not covered by it."""
    return (np.bincount(codes, minlength=n) == 0) & ~covered


def mask_uncovered(value: Value, unknown: np.ndarray) -> Value:
    """``value`` (an aggregate's result) made unknown where ``unknown``."""
    if not unknown.any():
        return value
    if isinstance(value, Tri):
        return Tri(value.value, np.asarray(value.known, dtype=bool) & ~unknown)  # value implies known
    if isinstance(value, Numbers):
        bounds = [value.lo] if value.exact else [value.lo, value.hi]
        return Numbers(*[np.where(unknown, np.nan, b) for b in bounds])
    return value
