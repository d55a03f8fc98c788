"""Eligibility: per subject x criterion pass / fail / unknown -> statuses, attrition, gain.

A criterion *passes* when an inclusion rule is true or an exclusion rule is false; a
subject meeting an exclusion criterion fails it. Unknown (missing data) never passes and
never fails. A subject is eligible when every criterion passes, ineligible when any
fails, and indeterminate otherwise.

A criterion the study's data cannot decide (``when: not recorded``, or a rule over a column
declared ``collected: false``) is *not assessable*, a fourth outcome: it is listed in the
attrition and the criteria table with its own count, never counted as unknown, and it
decides no subject's status (screening judged it, the data cannot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PASS, FAIL, UNKNOWN, NOT_ASSESSABLE = 1, 0, -1, -2
STATUS_NAMES = ("eligible", "ineligible", "indeterminate")
ELIGIBLE, INELIGIBLE, INDETERMINATE = range(3)
STATUS_WORDS = np.array(STATUS_NAMES, dtype=object)


@dataclass(frozen=True)
class CriterionSummary:
    """One criterion's counts over all screened subjects, in protocol order."""

    id: str
    kind: str
    text: str
    passed: int
    failed: int
    unknown: int
    remaining: int  # subjects passing this and every earlier criterion
    gain: int  # how many more would be eligible if this criterion alone were dropped
    not_assessable: int = 0  # subjects the data cannot judge on this criterion


@dataclass(frozen=True)
class EligibilityResult:
    """Everything screening decided, as arrays aligned to ``subjects``."""

    subjects: np.ndarray  # subject ids, screening order
    criteria: tuple[str, ...]
    outcomes: np.ndarray  # int8 (n_subjects, n_criteria): PASS / FAIL / UNKNOWN
    status_code: np.ndarray  # int8 index into STATUS_NAMES
    summary: tuple[CriterionSummary, ...]

    @property
    def status(self) -> np.ndarray:
        """Each subject's status as text (eligible / ineligible / indeterminate)."""
        return STATUS_WORDS[self.status_code]

    @property
    def counts(self) -> dict[str, int]:
        found = np.bincount(self.status_code, minlength=len(STATUS_NAMES))
        return {name: int(found[i]) for i, name in enumerate(STATUS_NAMES)}


def outcome_codes(value: np.ndarray, known: np.ndarray, exclusion: bool) -> np.ndarray:
    """A three-valued rule result as criterion outcomes (exclusion rules inverted)."""
    passed = ~value if exclusion else value
    out = passed.astype(np.int8)  # PASS is 1 and FAIL is 0
    out[~known] = UNKNOWN
    return out


def screen(subjects: np.ndarray, ids: Sequence[str], kinds: Sequence[str], texts: Sequence[str],
           outcomes: np.ndarray) -> EligibilityResult:
    """Statuses, attrition and gain from an (n_subjects, n_criteria) outcome matrix.

    Works one criterion (column) at a time over all subjects, so a column-major matrix
    (``outcome_matrix``) is read contiguously; nothing loops over subjects.
    """
    n, k = outcomes.shape
    not_passed = np.full(n, k, np.int8)  # how many criteria each subject does not pass
    ineligible = np.zeros(n, bool)
    still = np.ones(n, bool)  # passes every criterion so far
    passing, counts = [], []
    for j in range(k):
        column = outcomes[:, j]
        p, f = column == PASS, column == FAIL
        not_passed -= p | (column == NOT_ASSESSABLE)  # decides nobody's status
        ineligible |= f
        na = column == NOT_ASSESSABLE
        still &= p | na
        n_pass, n_fail, n_na = int(np.count_nonzero(p)), int(np.count_nonzero(f)), int(np.count_nonzero(na))
        passing.append(p | na)
        counts.append((n_pass, n_fail, n - n_pass - n_fail - n_na, int(np.count_nonzero(still)), n_na))
    status = np.full(n, INDETERMINATE, dtype=np.int8)
    status[still] = ELIGIBLE
    status[ineligible] = INELIGIBLE
    one_short = not_passed == 1  # would be eligible without exactly one criterion
    n_short = int(np.count_nonzero(one_short))
    summary = tuple(
        CriterionSummary(ids[j], kinds[j], texts[j], *counts[j][:4],
                         n_short - int(np.count_nonzero(one_short & passing[j])), counts[j][4])
        for j in range(k)
    )
    return EligibilityResult(np.asarray(subjects), tuple(ids), outcomes, status, summary)


def outcome_matrix(columns: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Criteria outcomes side by side, column-major so each criterion is contiguous."""
    out = np.empty((n, len(columns)), dtype=np.int8, order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


# -- as a report section --------------------------------------------------------------------

OUTCOME_WORDS = {PASS: "pass", FAIL: "fail", UNKNOWN: "unknown", NOT_ASSESSABLE: "not assessable"}
WORDS = np.array(["fail", "pass", "not assessable", "unknown"], dtype=object)  # indexed by outcome % 4
SHOW_SUBJECTS = 20


def eligibility_section(result: EligibilityResult, missing: dict[str, list[str]],
                        explain: Any = None) -> Any:
    """The eligibility part of a check report.

    ``missing`` names, per indeterminate subject, the data that left a criterion unknown.
    """
    from trialspec.results import Case, Section, Table

    n = len(result.subjects)
    attrition: list[tuple[Any, ...]] = [("screened", "", n, "", "")]
    attrition += [(s.id, s.text if not s.not_assessable else f"{s.text} [not assessable]", s.remaining,
                   s.failed, s.gain) for s in result.summary]
    attrition.append(("eligible", "", result.counts["eligible"], "", ""))
    criteria = [(s.id, s.kind, s.passed, s.failed, s.unknown, s.not_assessable, s.gain)
                for s in result.summary]
    not_eligible = []
    for i in np.flatnonzero(result.status_code != ELIGIBLE)[:SHOW_SUBJECTS]:
        sid = str(result.subjects[i])
        failed = [c for c, o in zip(result.criteria, result.outcomes[i], strict=True) if o == FAIL]
        unknown = [c for c, o in zip(result.criteria, result.outcomes[i], strict=True) if o == UNKNOWN]
        detail = ", ".join(failed) if failed else "; ".join(missing.get(sid, unknown))
        not_eligible.append((sid, STATUS_NAMES[result.status_code[i]], detail))
    cases = [Case(f"eligibility/{s.id}", s.failed == 0 and s.unknown == 0,
                  f"{s.failed} fail, {s.unknown} unknown of {n}"
                  + (f", {s.not_assessable} not assessable" if s.not_assessable else ""))
             for s in result.summary]
    summary = {
        "screened": n,
        "counts": result.counts,
        "attrition": [{"step": s.id, "remaining": s.remaining} for s in result.summary],
        "criteria": [{"id": s.id, "kind": s.kind, "text": s.text, "pass": s.passed, "fail": s.failed,
                      "unknown": s.unknown, "not_assessable": s.not_assessable, "remaining": s.remaining,
                      "gain": s.gain}
                     for s in result.summary],
        # columnar, one list per field: built from arrays, never a dict per subject
        "subjects": {
            "id": [x if isinstance(x, str) else str(x) for x in result.subjects.tolist()],
            "status": result.status.tolist(),
            "outcomes": {c: WORDS[result.outcomes[:, j] % 4].tolist()
                         for j, c in enumerate(result.criteria)},
            "missing": {sid: missing[sid] for sid in sorted(missing)},
        },
    }
    tables = [
        Table("Attrition (protocol order)", ("step", "criterion", "remaining", "fail", "gain"),
              tuple(attrition), "gain: how many more would be eligible if this criterion alone were dropped"),
        Table("Criteria", ("id", "kind", "pass", "fail", "unknown", "not assessable", "gain"),
              tuple(criteria),
              "not assessable: the study's data cannot decide the criterion (`not recorded`, not collected)"),
        Table("Subjects not eligible" + (f" (first {SHOW_SUBJECTS})" if len(not_eligible) == SHOW_SUBJECTS
                                         else ""), ("subject", "status", "failed criteria / missing data"),
              tuple(not_eligible)),
    ]
    return Section("eligibility", "Eligibility", summary, tables, [], cases, explain)


def subject_records(subjects: dict[str, Any]) -> list[dict[str, Any]]:
    """The columnar ``subjects`` of an eligibility summary as one record per subject
    (id, status, outcomes by criterion, and the missing data of indeterminate subjects)."""
    outcomes = subjects["outcomes"]
    missing = subjects.get("missing", {})
    records = []
    for i, sid in enumerate(subjects["id"]):
        record = {"id": sid, "status": subjects["status"][i],
                  "outcomes": {c: column[i] for c, column in outcomes.items()}}
        if sid in missing:
            record["missing"] = missing[sid]
        records.append(record)
    return records
