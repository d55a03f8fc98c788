"""The value carriers every backend returns, re-exported for the pandas engine's modules.

They live in the neutral :mod:`trialspec.values` (numpy only), so a SQL backend hands
``domain/`` the same classes; see that module for the representations.
"""

from trialspec.values import (
    TRUE,
    Dates,
    Interval,
    Labels,
    Numbers,
    Tri,
    Value,
    broadcast,
    take,
    to_python,
)

__all__ = ["TRUE", "Dates", "Interval", "Labels", "Numbers", "Tri", "Value", "broadcast", "take",
           "to_python"]
