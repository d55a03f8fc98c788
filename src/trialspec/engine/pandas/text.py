"""String predicates: ``contains``, ``starts with``, ``matches``, three-valued.

A value is a :class:`Labels`: integer codes into its distinct strings. Each predicate is
computed once per distinct string with pandas' ``.str`` methods (a column of a million rows
with a few hundred distinct terms tests a few hundred strings), then looked up by code.
A missing value gives unknown. ``matches`` searches the value for the regular expression
(anchor it with ``^``/``$``); the pattern was vetted by the checker (``lang/regex.py``) and
is compiled once.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd

from trialspec.engine import EngineError
from trialspec.engine.pandas.values import Labels, Tri, Value


@lru_cache(maxsize=256)
def compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def _contains(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    if ignore_case:
        return levels.str.casefold().str.contains(pattern.casefold(), regex=False)
    return levels.str.contains(pattern, regex=False)


def _starts(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    if ignore_case:
        return levels.str.casefold().str.startswith(pattern.casefold())
    return levels.str.startswith(pattern)


def _matches(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    with warnings.catch_warnings():  # pandas warns that groups in a pattern are not extracted
        warnings.simplefilter("ignore", UserWarning)
        return levels.str.contains(compiled(pattern, ignore_case), regex=True)


PREDICATES: dict[str, Callable[[pd.Series, str, bool], pd.Series]] = {
    "contains": _contains,
    "starts with": _starts,
    "matches": _matches,
}


def match(op: str, value: Value, pattern: str, ignore_case: bool) -> Tri:
    """``value op pattern`` per element: true, false, or unknown where the value is missing."""
    if not isinstance(value, Labels):
        raise EngineError(f"'{op}' needs a string or a category, got {type(value).__name__}")
    try:
        fn = PREDICATES[op]
    except KeyError:
        raise EngineError(f"unknown string predicate {op!r}") from None
    levels = pd.Series(value.levels, dtype=object)
    hits = fn(levels, pattern, ignore_case).to_numpy(dtype=bool, na_value=False) if len(levels) else \
        np.zeros(0, bool)
    lookup = np.append(hits, False)  # code -1 (missing) reads the last slot
    present = np.asarray(value.present)
    return Tri.raw(np.asarray(lookup[value.codes]) & present, present)
