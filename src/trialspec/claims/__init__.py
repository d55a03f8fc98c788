"""Reported claims: printed numbers with their precision, checked against each other and
against what the data give.

- :mod:`.values`: parse a printed value ("0.047", "12 (75%)", "3.27 [2.34;4.56]") into a
  typed claim with the interval its rounding allows;
- :mod:`.consistency`: checks with no patient data (GRIM, sums, statistic vs p, estimate vs
  CI, pooled estimate vs its studies);
- :mod:`.explain`: which common computation gives a printed number (statcheck-style);
- :mod:`.pooling`: the range of pooled estimates that rounded studies allow;
- :mod:`.meta`: pooled estimates against their studies, as a check and as an explainer.

Importing this package loads only :mod:`.values` (no numpy, scipy or pandas); the checks
and explainers load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from trialspec.claims.values import (
    Bound,
    Claim,
    ClaimSyntaxError,
    CountPercent,
    EstimateCI,
    Interval,
    MedianRange,
    NotReached,
    Number,
    Percent,
    as_claim,
    parse_claim,
)

_LAZY = {
    "Finding": "consistency", "estimate_ci": "consistency",
    "grim": "consistency", "group_sizes": "consistency", "must_sum": "consistency",
    "p_range": "consistency", "possible_denominators": "consistency",
    "statistic_p": "consistency",
    "PooledCheck": "meta", "pooled": "meta", "PooledExplanation": "meta",
    "explain_pooled": "meta", "explain_pooled_counts": "meta",
    "ModelRule": "pooling", "PoolRanges": "pooling", "pool_ranges": "pooling",
    "ClaimResult": "explain", "Explanation": "explain", "TestExplanation": "explain",
    "explain_percent": "explain", "explain_test": "explain", "judge": "explain",
    "table_candidates": "explain",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"trialspec.claims.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'trialspec.claims' has no attribute {name!r}")


__all__ = ["Bound", "Claim", "ClaimSyntaxError", "CountPercent", "EstimateCI", "Interval",
           "MedianRange", "NotReached", "Number", "Percent", "as_claim", "parse_claim",
           *_LAZY]
