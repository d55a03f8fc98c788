"""Statuses, attrition and gain on small hand-worked outcome matrices."""

from __future__ import annotations

import numpy as np

from trialspec.domain.eligibility import FAIL, PASS, UNKNOWN, outcome_codes, screen

P, F, U = PASS, FAIL, UNKNOWN


def test_statuses_attrition_and_gain() -> None:
    # subjects x criteria (I1, I2, E1); worked by hand:
    outcomes = np.array([
        [P, P, P],  # s1 eligible
        [F, P, P],  # s2 ineligible on I1 only -> counts in I1's gain
        [P, U, P],  # s3 indeterminate on I2 only -> counts in I2's gain
        [P, F, F],  # s4 ineligible twice -> no gain anywhere
        [U, F, P],  # s5 ineligible (a fail beats an unknown)
    ], dtype=np.int8)
    r = screen(np.array(["s1", "s2", "s3", "s4", "s5"]), ["I1", "I2", "E1"],
               ["inclusion", "inclusion", "exclusion"], ["a", "b", "c"], outcomes)
    assert list(r.status) == ["eligible", "ineligible", "indeterminate", "ineligible", "ineligible"]
    assert r.counts == {"eligible": 1, "ineligible": 3, "indeterminate": 1}
    assert [s.remaining for s in r.summary] == [3, 1, 1]
    assert [s.gain for s in r.summary] == [1, 1, 0]
    assert [(s.passed, s.failed, s.unknown) for s in r.summary] == [(3, 1, 1), (2, 2, 1), (4, 1, 0)]


def test_exclusion_rules_are_inverted_and_unknown_stays_unknown() -> None:
    value = np.array([True, False, False])
    known = np.array([True, True, False])
    assert list(outcome_codes(value, known, exclusion=False)) == [P, F, U]
    assert list(outcome_codes(value, known, exclusion=True)) == [F, P, U]


def test_no_criteria_means_everyone_is_eligible() -> None:
    r = screen(np.array(["a", "b"]), [], [], [], np.zeros((2, 0), dtype=np.int8))
    assert list(r.status) == ["eligible", "eligible"]
