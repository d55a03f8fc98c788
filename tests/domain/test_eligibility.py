"""Statuses, attrition and gain on small hand-worked outcome matrices."""

from __future__ import annotations

import numpy as np

from trialspec.domain.eligibility import FAIL, NOT_ASSESSABLE, PASS, UNKNOWN, outcome_codes, screen

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


def _by_hand(outcomes: np.ndarray) -> tuple[list[int], list[tuple[int, ...]]]:
    """Statuses and per-criterion (pass, fail, unknown, remaining, gain, not assessable),
    subject by subject, as the definitions read (the oracle of the vectorized screen)."""
    n, k = outcomes.shape
    passes = [[o in (PASS, NOT_ASSESSABLE) for o in row] for row in outcomes.tolist()]
    rows = outcomes.tolist()
    status = [1 if FAIL in row else 0 if all(p) else 2 for row, p in zip(rows, passes, strict=True)]
    summary = []
    for j in range(k):
        col = outcomes[:, j].tolist()
        remaining = sum(all(p[:j + 1]) for p in passes)
        gain = sum(not p[j] and sum(not x for x in p) == 1 for p in passes)
        summary.append((col.count(PASS), col.count(FAIL), col.count(UNKNOWN), remaining, gain,
                        col.count(NOT_ASSESSABLE)))
    return status, summary


def test_screen_agrees_with_the_definitions_subject_by_subject() -> None:
    """Random outcome matrices, a criterion not assessable for all or (in an API's matrix)
    some subjects: the vectorized screen gives the statuses, counts, attrition and gain the
    definitions give one subject at a time."""
    rng = np.random.default_rng(20261207)
    for _ in range(40):
        n, k = int(rng.integers(0, 60)), int(rng.integers(1, 7))
        outcomes = rng.choice(np.array([P, P, P, F, U], dtype=np.int8), size=(n, k))
        if rng.random() < 0.5:
            outcomes[:, int(rng.integers(k))] = NOT_ASSESSABLE
        if rng.random() < 0.3 and n:
            outcomes[int(rng.integers(n)), int(rng.integers(k))] = NOT_ASSESSABLE
        outcomes = np.asfortranarray(outcomes)
        r = screen(np.array([f"s{i}" for i in range(n)], dtype=object), [f"C{j}" for j in range(k)],
                   ["inclusion"] * k, ["t"] * k, outcomes)
        status, summary = _by_hand(outcomes)
        assert r.status_code.tolist() == status
        assert r.counts == {name: status.count(i) for i, name in enumerate(("eligible", "ineligible",
                                                                             "indeterminate"))}
        assert [(s.passed, s.failed, s.unknown, s.remaining, s.gain, s.not_assessable)
                for s in r.summary] == summary
