"""Vetting the regular expressions of ``x matches "..."`` before anything runs them.

Python's ``re`` backtracks: a nested quantifier such as ``(a+)+`` or ``(\\w*)*`` takes time
exponential in the length of a value that almost matches. A protocol is data, so its
patterns are held to limits a lint can check: at most ``MAX_PATTERN`` characters, no
quantified group that itself holds an unbounded quantifier, counted repeats of at most
``MAX_REPEAT``, and no back-references. And every engine must read it alike
(``search_pattern.portable_problem``: no look-around, word boundaries or flags but ``(?i)``,
TS335). Plain re, no pandas: ``lint`` imports this.
"""

from __future__ import annotations

import importlib
import re
import warnings
from dataclasses import dataclass
from typing import Any

MAX_PATTERN = 200
MAX_REPEAT = 1000

_parser: Any = importlib.import_module("re._parser")  # the parser re itself compiles with
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


@dataclass(frozen=True, slots=True)
class PatternProblem:
    """Why a pattern is refused: the code, the message, and the offset in the pattern (None:
    the pattern as a whole)."""

    code: str
    message: str
    offset: int | None
    hint: str


def vet(pattern: str) -> PatternProblem | None:
    """None if ``pattern`` is safe to search with, else the first problem found."""
    if len(pattern) > MAX_PATTERN:
        return PatternProblem("TS328", f"the pattern is {len(pattern)} characters long (limit "
                              f"{MAX_PATTERN})", MAX_PATTERN,
                              "Split it into several `matches` joined by `or`, or use `in [...]`.")
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            tree = _parser.parse(pattern)
    except re.error as err:
        return PatternProblem("TS327", f"not a regular expression: {err.msg}", err.pos or 0,
                              "Python's `re` syntax: escape `( ) [ ] . * + ?` with a backslash "
                              "to match them literally.")
    if any("nested set" in str(w.message) for w in said):
        return PatternProblem("TS335", "`[[:...:]]` is a POSIX class to DuckDB but a set of "
                              "characters to Python and Spark", None,
                              "Write the characters: `[A-Z]` for `[[:upper:]]`, `[0-9]` for `[[:digit:]]`.")
    problem = _walk(tree, pattern)
    if problem is not None:
        return problem
    from trialspec.lang.search_pattern import portable_problem

    unportable = portable_problem(pattern)
    if unportable is not None:
        return PatternProblem("TS335", str(unportable), None, unportable.hint)
    return None


def _unbounded(hi: int) -> bool:
    return bool(hi == _parser.MAXREPEAT)


def _walk(tree: Any, pattern: str) -> PatternProblem | None:
    stack: list[tuple[Any, bool]] = [(tree, False)]  # (subpattern, inside a repeated group)
    while stack:
        items, repeated = stack.pop()
        for op, av in items:
            name = str(op)
            if name in _REPEATS:
                lo, hi, sub = av
                if max(lo, 0 if _unbounded(hi) else hi) > MAX_REPEAT:
                    return PatternProblem("TS329", f"a counted repeat above {MAX_REPEAT}", None,
                                          f"Repeat at most {MAX_REPEAT} times.")
                if repeated and _unbounded(hi):
                    return PatternProblem(
                        "TS329", "a nested quantifier (as in `(a+)+`) can take exponential time",
                        None, "Quantify the group or its contents, not both: `(a+)+` matches what "
                        "`a+` matches.")
                stack.append((sub, repeated or _unbounded(hi) or hi > 1))
            elif name == "SUBPATTERN":
                stack.append((av[-1], repeated))
            elif name == "BRANCH":
                stack.extend((b, repeated) for b in av[1])
            elif name == "ATOMIC_GROUP":
                stack.append((av, repeated))
            elif name in ("ASSERT", "ASSERT_NOT"):
                stack.append((av[1], repeated))
            elif name in ("GROUPREF", "GROUPREF_EXISTS"):
                return PatternProblem("TS329", "a back-reference can take exponential time", None,
                                      "Write the repeated text out instead of `\\1`.")
    return None
