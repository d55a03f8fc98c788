"""Kleene's three-valued logic on :class:`Tri` values, vectorized.

Truth tables (T true, F false, U unknown)::

    and | T  F  U        or | T  F  U        not |
    ----+---------       ---+---------       ----+--
     T  | T  F  U         T | T  T  T         T  | F
     F  | F  F  F         F | T  F  U         F  | T
     U  | U  F  U         U | T  U  U         U  | U

With the invariant ``value => known``: "false" is ``known ^ value``; ``a and b`` is true
where all are true and known where it is true or any operand is false; ``a or b`` is true
where any is true and known where it is true or every operand is known.
When every operand shares one ``known`` array (the common case of clauses on one column),
the result's ``known`` is that array and no extra pass is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np

from trialspec.engine.pandas.values import Tri


def kleene_and(operands: Sequence[Tri]) -> Tri:
    value = reduce(np.logical_and, [t.value for t in operands])
    if _same_known(operands):
        return Tri.raw(value, operands[0].known)
    any_false = reduce(np.logical_or, [t.known ^ t.value for t in operands])
    return Tri.raw(value, value | any_false)


def kleene_or(operands: Sequence[Tri]) -> Tri:
    value = reduce(np.logical_or, [t.value for t in operands])
    if _same_known(operands):
        return Tri.raw(value, operands[0].known)
    # false needs every operand known (and none true): known = true | all known
    return Tri.raw(value, value | reduce(np.logical_and, [t.known for t in operands]))


def kleene_not(operand: Tri) -> Tri:
    return Tri.raw(operand.known ^ operand.value, operand.known)


def _same_known(operands: Sequence[Tri]) -> bool:
    first = operands[0].known
    return all(t.known is first for t in operands[1:])
