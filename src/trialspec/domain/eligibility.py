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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.arrow_numpy import arrow_words
from trialspec.text_ids import TextIds

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

    subjects: np.ndarray | TextIds  # subject ids, screening order
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
        # (one comparison a status: ``np.bincount`` widens the int8 codes to 8 bytes each
        # first, 0.4 GB and half a second at 50M subjects)
        return {name: int(np.count_nonzero(self.status_code == i)) for i, name in enumerate(STATUS_NAMES)}


def outcome_codes(value: np.ndarray, known: np.ndarray, exclusion: bool) -> np.ndarray:
    """A three-valued rule result as criterion outcomes (exclusion rules inverted)."""
    passed = ~value if exclusion else value
    out = passed.astype(np.int8)  # PASS is 1 and FAIL is 0
    np.copyto(out, np.int8(UNKNOWN), where=~known)  # (a masked pass, not an index of the unknown)
    return out


def screen(subjects: np.ndarray | TextIds, ids: Sequence[str], kinds: Sequence[str], texts: Sequence[str],
           outcomes: np.ndarray) -> EligibilityResult:
    """Statuses, attrition and gain from an (n_subjects, n_criteria) outcome matrix.

    Works one criterion (column) at a time over all subjects, so a column-major matrix
    (``outcome_matrix``) is read contiguously; nothing loops over subjects.
    """
    n, k = outcomes.shape
    not_passed = np.full(n, k, np.int8)  # how many criteria each subject does not pass
    ineligible = np.zeros(n, bool)
    still = np.ones(n, bool)  # passes every criterion so far
    counts = []
    for j in range(k):
        column = outcomes[:, j]
        p, f = column == PASS, column == FAIL
        n_pass, n_fail = int(np.count_nonzero(p)), int(np.count_nonzero(f))
        na = column == NOT_ASSESSABLE if n_pass + n_fail < n else None
        n_na = int(np.count_nonzero(na)) if na is not None else 0
        passes = p | na if n_na else p  # not assessable decides nobody's status
        not_passed -= passes
        ineligible |= f
        still &= passes
        counts.append((n_pass, n_fail, n - n_pass - n_fail - n_na, int(np.count_nonzero(still)), n_na))
    status = np.full(n, INDETERMINATE, dtype=np.int8)
    np.copyto(status, np.int8(ELIGIBLE), where=still)
    np.copyto(status, np.int8(INELIGIBLE), where=ineligible)
    # gain: the subjects for whom criterion j is the one criterion not passed (each criterion's
    # passes are not kept, k bool arrays of n; the subjects one short are looked at again)
    short = np.flatnonzero(not_passed == 1)
    gain = np.zeros(k, dtype=np.int64)
    for j in range(k):
        o = outcomes[short, j]
        gain[j] = np.count_nonzero((o != PASS) & (o != NOT_ASSESSABLE))
    summary = tuple(
        CriterionSummary(ids[j], kinds[j], texts[j], *counts[j][:4], int(gain[j]), counts[j][4])
        for j in range(k)
    )
    held = subjects if isinstance(subjects, TextIds) else np.asarray(subjects)  # (Arrow text stays so)
    return EligibilityResult(held, tuple(ids), outcomes, status, summary)


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


SUBJECTS_IN_JSON = 10_000  # the JSON report lists each subject only up to this many (docs/reports.md)


@dataclass(frozen=True)
class SubjectResults:
    """Each screened subject's results as arrays, never one Python object per subject: the
    id, the status, each criterion's outcome and the data that left a criterion unknown.

    ``missing`` holds, in criterion order, (text, positions): the subjects (positions into
    ``ids``) for whom that text names missing data, such as ``"I3: subjects.serum_m missing"``.
    ``locate`` finds a subject's position by id through the bound data (None: not screened).
    """

    ids: np.ndarray | TextIds
    criteria: tuple[str, ...]
    outcomes: np.ndarray  # int8 (n_subjects, n_criteria)
    status_code: np.ndarray  # int8 index into STATUS_NAMES
    missing: tuple[tuple[str, np.ndarray], ...] = ()
    locate: Callable[[str], int | None] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def status(self) -> np.ndarray:
        return STATUS_WORDS[self.status_code]

    def outcome_words(self, j: int) -> np.ndarray:
        """Criterion ``j``'s outcome per subject as words (pass / fail / unknown / not assessable)."""
        return WORDS[self.outcomes[:, j] % 4]

    def position(self, subject: str) -> int | None:
        """The position of a subject by id (its key as text), or None when it was not screened."""
        if self.locate is not None:
            return self.locate(subject)
        found = np.flatnonzero(self.ids == subject)
        return int(found[0]) if len(found) else None

    def missing_of(self, i: int) -> list[str]:
        return [text for text, where in self.missing if _holds(where, i)]

    def missing_by_subject(self) -> dict[str, list[str]]:
        """{subject id: texts}, sorted by id: one entry per indeterminate subject with missing
        data (for small studies' JSON; large ones use :meth:`missing_text`)."""
        out: dict[str, list[str]] = {}
        for text, where in self.missing:
            for i in where.tolist():
                out.setdefault(_text_id(self.ids[i]), []).append(text)
        return {sid: out[sid] for sid in sorted(out)}

    def missing_text(self) -> np.ndarray:
        """Per subject, its missing data joined with ``"; "`` (None where there is none)."""
        return np.asarray(self._missing_arrow().to_numpy(zero_copy_only=False), dtype=object)

    def _missing_arrow(self, start: int = 0, stop: int | None = None) -> Any:
        """:meth:`missing_text` of subjects ``start`` .. ``stop - 1`` as an Arrow string array,
        built without a Python object per subject: each subject's set of texts is a bit mask,
        each distinct mask joined once."""
        import pyarrow as pa

        stop = len(self.ids) if stop is None else stop
        texts = [(text, where[np.searchsorted(where, start):np.searchsorted(where, stop)] - start)
                 for text, where in self.missing if len(where)]
        texts = [(text, where) for text, where in texts if len(where)]
        if len(texts) > 63:
            return pa.array(self._missing_objects()[start:stop], pa.string())
        mask = np.zeros(stop - start, dtype=np.uint64)
        for j, (_text, where) in enumerate(texts):
            mask[where] |= np.uint64(1 << j)
        some = np.flatnonzero(mask)  # (sorting only the subjects with missing data)
        combos, index = np.unique(mask[some], return_inverse=True)
        words = ["; ".join(t for j, (t, _w) in enumerate(texts) if int(c) >> j & 1) for c in combos.tolist()]
        codes = np.zeros(len(mask), dtype=np.int32)
        codes[some] = index
        return arrow_words(codes, words, valid=mask != 0).cast(pa.string())

    def _missing_objects(self) -> np.ndarray:
        out = np.full(len(self.ids), None, dtype=object)
        for text, where in self.missing:
            if not len(where):
                continue
            prev = out[where]
            has = prev != None  # noqa: E711 (elementwise on an object array)
            joined = np.full(len(where), text, dtype=object)
            joined[has] = prev[has] + ("; " + text)
            out[where] = joined
        return out

    def lists(self) -> dict[str, Any]:
        """The JSON report's columnar ``subjects``: one list per field."""
        return {
            "id": [_text_id(x) for x in self.ids.tolist()],
            "status": self.status.tolist(),
            "outcomes": {c: self.outcome_words(j).tolist() for j, c in enumerate(self.criteria)},
            "missing": self.missing_by_subject(),
        }

    def to_arrow(self) -> Any:
        """One row per subject: ``subject``, ``status``, one column per criterion (its outcome
        word) and ``missing`` (docs/reports.md, "Per-subject results")."""
        import pyarrow as pa

        return pa.Table.from_batches(list(self.arrow_batches(max(len(self.ids), 1))))

    def arrow_batches(self, size: int = 1 << 20) -> Iterator[Any]:
        """:meth:`to_arrow`'s rows as record batches of ``size`` subjects, each built when
        asked for: a writer streams them, so all subjects' Arrow columns are never held."""
        import pyarrow as pa

        # (every array built from numpy buffers: pyarrow's own conversions import pandas)
        n = len(self.ids)
        for start in range(0, max(n, 1), size):
            stop = min(n, start + size)
            if isinstance(self.ids, TextIds):  # (the Arrow text a database read, as it is)
                ids = self.ids.arrow.slice(start, stop - start)
            else:
                part = self.ids[start:stop]
                try:
                    ids = pa.array(part, pa.string())
                except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or mixed keys: as their text
                    ids = pa.array([_text_id(x) for x in part.tolist()], pa.string())
            if isinstance(ids, pa.ChunkedArray):  # (Arrow text read in batches; numpy text of millions)
                ids = ids.combine_chunks()
            # (no criterion is named subject, status or missing: lint refuses it, TS227)
            columns: dict[str, Any] = {"subject": ids,
                                       "status": arrow_words(self.status_code[start:stop], STATUS_WORDS)}
            for j, c in enumerate(self.criteria):
                columns[c] = arrow_words(self.outcomes[start:stop, j] & 3, WORDS)  # (% 4 on int8: -1 -> 3)
            columns["missing"] = self._missing_arrow(start, stop)
            # every column but ``missing`` declared never null (a Parquet REQUIRED column has
            # no definition levels to write: a fifth of the file's encoding time)
            schema = pa.schema([pa.field(name, array.type, nullable=name == "missing")
                                for name, array in columns.items()])
            yield pa.RecordBatch.from_arrays(list(columns.values()), schema=schema)


def _holds(where: np.ndarray, i: int) -> bool:
    k = int(np.searchsorted(where, i))
    return k < len(where) and int(where[k]) == i


def _text_id(x: Any) -> str:
    return x if isinstance(x, str) else str(x)


def eligibility_section(result: EligibilityResult, missing: dict[str, list[str]] | SubjectResults,
                        explain: Any = None) -> Any:
    """The eligibility part of a check report.

    ``missing`` names the data that left a criterion unknown: per indeterminate subject (a
    dict by id), or as the screening's :class:`SubjectResults`. The section keeps the
    per-subject results as arrays (``section.subjects``); its summary lists each subject only
    for studies of at most ``SUBJECTS_IN_JSON`` subjects.
    """
    from trialspec.results import Case, Section, Table

    if isinstance(missing, SubjectResults):
        subjects = missing
    else:
        subjects = SubjectResults(result.subjects, result.criteria, result.outcomes, result.status_code,
                                  _missing_pairs(result.subjects, missing))
    n = len(result.subjects)
    attrition: list[tuple[Any, ...]] = [("screened", "", n, "", "")]
    attrition += [(s.id, s.text if not s.not_assessable else f"{s.text} [not assessable]", s.remaining,
                   s.failed, s.gain) for s in result.summary]
    attrition.append(("eligible", "", result.counts["eligible"], "", ""))
    criteria = [(s.id, s.kind, s.passed, s.failed, s.unknown, s.not_assessable, s.gain)
                for s in result.summary]
    not_eligible = []
    for i in np.flatnonzero(result.status_code != ELIGIBLE)[:SHOW_SUBJECTS]:
        sid = _text_id(result.subjects[i])
        failed = [c for c, o in zip(result.criteria, result.outcomes[i], strict=True) if o == FAIL]
        unknown = [c for c, o in zip(result.criteria, result.outcomes[i], strict=True) if o == UNKNOWN]
        detail = ", ".join(failed) if failed else "; ".join(subjects.missing_of(int(i)) or unknown)
        not_eligible.append((sid, STATUS_NAMES[result.status_code[i]], detail))
    cases = [Case(f"eligibility/{s.id}", s.failed == 0 and s.unknown == 0,
                  f"{s.failed} fail, {s.unknown} unknown of {n}"
                  + (f", {s.not_assessable} not assessable" if s.not_assessable else ""))
             for s in result.summary]
    summary: dict[str, Any] = {
        "screened": n,
        "counts": result.counts,
        "attrition": [{"step": s.id, "remaining": s.remaining} for s in result.summary],
        "criteria": [{"id": s.id, "kind": s.kind, "text": s.text, "pass": s.passed, "fail": s.failed,
                      "unknown": s.unknown, "not_assessable": s.not_assessable, "remaining": s.remaining,
                      "gain": s.gain}
                     for s in result.summary],
    }
    if n <= SUBJECTS_IN_JSON:  # columnar, one list per field, built from the arrays
        summary["subjects"] = subjects.lists()
    else:  # a large study: each subject's results go to Parquet beside the JSON report
        summary["subjects_in"] = "parquet"
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
    return Section("eligibility", "Eligibility", summary, tables, [], cases, explain, subjects=subjects)


def _missing_pairs(ids: np.ndarray | TextIds, missing: dict[str, list[str]]
                   ) -> tuple[tuple[str, np.ndarray], ...]:
    """A {subject id: texts} mapping as (text, positions) pairs, in first-seen text order."""
    if not missing:
        return ()
    position = {_text_id(x): i for i, x in enumerate(ids.tolist())}
    found: dict[str, list[int]] = {}
    for sid, texts in missing.items():
        for text in texts:
            found.setdefault(text, []).append(position[sid])
    return tuple((text, np.array(sorted(at), dtype=np.intp)) for text, at in found.items())


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
