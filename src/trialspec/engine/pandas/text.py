"""String predicates: ``contains``, ``starts with``, ``matches``, three-valued.

A value is a :class:`Labels`: integer codes into its distinct strings. Each predicate is
computed once per distinct string with pandas' ``.str`` methods (a column of a million rows
with a few hundred distinct terms tests a few hundred strings), then looked up by code.
A missing value gives unknown. ``matches`` searches the value for the regular expression
(anchor it with ``^``/``$``); the pattern was vetted by the checker (``lang/regex.py``), and
what is searched is the pattern written again for every engine alike
(``lang/search_pattern.py``), as is the text of ``contains``/``starts with`` ``ignoring
case`` (each letter the class of its case forms), compiled once.
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
from trialspec.lang.search_pattern import search_pattern


@lru_cache(maxsize=256)
def compiled(op: str, text: str, ignore_case: bool) -> re.Pattern[str]:
    """The pattern searched for ``op`` (``lang/search_pattern.py``: the one every engine
    searches with, case folded into classes, so no flag)."""
    return re.compile(search_pattern(op, text, ignore_case))


def _search(levels: pd.Series, op: str, text: str, ignore_case: bool) -> pd.Series:
    with warnings.catch_warnings():  # pandas warns that groups in a pattern are not extracted
        warnings.simplefilter("ignore", UserWarning)
        return levels.str.contains(compiled(op, text, ignore_case), regex=True)


def _contains(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    if ignore_case:
        return _search(levels, "contains", pattern, True)
    return levels.str.contains(pattern, regex=False)


def _starts(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    if ignore_case:
        return _search(levels, "starts with", pattern, True)
    return levels.str.startswith(pattern)


def _matches(levels: pd.Series, pattern: str, ignore_case: bool) -> pd.Series:
    return _search(levels, "matches", pattern, ignore_case)


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
