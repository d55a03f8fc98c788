"""The eligibility section of a check: every criterion evaluated on the backend (sharing one
trace), the subjects screened, the missing data named, and ``explain --subject``.

Like every section it is a runner in ``domain/``: the pipeline hands it the compiled protocol,
the bound data and the backend; it reads values through the backend (:class:`Backend`), never
an engine module.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.backend import Backend
from trialspec.lang import ir
from trialspec.results import Section
from trialspec.source import SourceFile
from trialspec.text_ids import TextIds


def eligibility_runner(compiled: Any, frames: Any, backend: Backend,
                       sources: dict[str, SourceFile]) -> tuple[Section, dict[str, Any]]:
    """The pipeline's runner: the section, and the results it passes forward (none yet)."""
    return run_eligibility(compiled.checked, frames, backend, sources), {}


def run_eligibility(checked: Any, frames: Any, backend: Backend, sources: dict[str, SourceFile]) -> Section:
    """Evaluate every criterion (sharing one trace) and screen the subjects."""
    from trialspec.domain.eligibility import (
        INDETERMINATE,
        NOT_ASSESSABLE,
        OUTCOME_WORDS,
        UNKNOWN,
        SubjectResults,
        eligibility_section,
        outcome_codes,
        screen,
    )
    from trialspec.domain.explain import explain_criteria

    criteria = checked.criteria
    n = frames.n
    assessable = [crit for crit in criteria if _assessable(crit, checked.protocol)]
    # every criterion in one pass (one query on a SQL engine), sub-nodes traced for explain
    values, trace = backend.evaluate_many_with_trace([crit.node for crit in assessable], frames)
    by_criterion = dict(zip(map(id, assessable), values, strict=True))
    del values
    # each criterion's value dropped once it is an outcome column (at 50M subjects the values
    # are 100 MB each, the outcomes 50); the trace fetches them again if explain asks
    outcomes = np.empty((n, len(criteria)), dtype=np.int8, order="F")
    for j, crit in enumerate(criteria):
        value = by_criterion.pop(id(crit), None)
        outcomes[:, j] = NOT_ASSESSABLE if value is None else outcome_codes(
            np.asarray(value.value), np.asarray(value.known), crit.kind == "exclusion")
        del value
    subjects = frames.subjects  # the Arrow text a database read stays so (no object per id)
    if not isinstance(subjects, TextIds):
        subjects = np.asarray(subjects, dtype=object)
    result = screen(subjects, [c.id for c in criteria], [c.kind for c in criteria],
                    [c.text for c in criteria], outcomes)

    # name the missing data of indeterminate subjects: the columns missing under an unknown
    # criterion, as (text, positions) pairs, never one Python object per subject
    indeterminate = result.status_code == INDETERMINATE
    missing: list[tuple[str, np.ndarray]] = []
    for j, crit in enumerate(criteria):
        unknown = (outcomes[:, j] == UNKNOWN) & indeterminate
        if not unknown.any():
            continue
        for col in ir.subject_columns(crit.node):
            gone = np.flatnonzero(unknown & np.asarray(backend.missing_at(trace, col)))
            if len(gone):
                missing.append((f"{crit.id}: {col.dataset}.{col.column} missing", gone))

    def locate(subject: str) -> int | None:
        try:
            return int(frames.position(subject))
        except (KeyError, TypeError, ValueError):
            return None

    def explain(subject: str) -> list[Any]:
        i = int(frames.position(subject))
        words = [OUTCOME_WORDS[int(o)] for o in outcomes[i]]
        return explain_criteria(
            criteria, words, lambda node: backend.to_python(trace.get(node), i),
            lambda col: backend.origin(frames, col.dataset, col.column, i), sources)

    per_subject = SubjectResults(subjects, result.criteria, outcomes, result.status_code, tuple(missing),
                                 locate)
    return eligibility_section(result, per_subject, explain)


def _assessable(crit: Any, protocol: Any) -> bool:
    """Whether the data can decide a criterion: it is not `not recorded`, and every column
    it reads was collected (a column declared `collected: false` makes it not assessable)."""
    if crit.tree is None or not getattr(crit.model, "recorded", True):
        return False
    for col in ir.subject_columns(crit.node):
        declared = protocol.datasets.get(col.dataset)
        column = declared.columns.get(col.column) if declared is not None else None
        if column is not None and not getattr(column, "collected", True):
            return False
    return True
