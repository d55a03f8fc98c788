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
from trialspec.lang.types import BOOL
from trialspec.results import Section
from trialspec.source import SourceFile
from trialspec.text_ids import TextIds
from trialspec.values import Tri


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
    named: list[tuple[int, str, np.ndarray]] = []  # (criterion, text, subjects)
    asked: list[tuple[int, str, ir.Node]] = []  # what aggregates read: evaluated once, together
    for j, crit in enumerate(criteria):
        unknown = (outcomes[:, j] == UNKNOWN) & indeterminate
        if not unknown.any():
            continue
        for col in ir.subject_columns(crit.node):
            named.append((j, f"{crit.id}: {col.dataset}.{col.column} missing",
                          np.flatnonzero(unknown & np.asarray(backend.missing_at(trace, col)))))
        asked += [(j, f"{crit.id}: {text}", node) for text, node in read_in_rows(crit.node)]
    if asked:
        values, _trace = backend.evaluate_many_with_trace([a[2] for a in asked], frames)
        for (j, text, _node), value in zip(asked, values, strict=True):
            unknown = (outcomes[:, j] == UNKNOWN) & indeterminate
            named.append((j, text, np.flatnonzero(unknown & _holds(backend, value))))
    named.sort(key=lambda entry: entry[0])  # (stable: a criterion's own order kept)
    missing = [(text, gone) for _j, text, gone in named if len(gone)]

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


def read_in_rows(node: ir.Node) -> list[tuple[str, ir.Node]]:
    """What the aggregates under ``node`` read that can be missing, each with a node telling
    per subject whether it is: a subject's column read inside an aggregate (``first_dose`` in
    ``count(ae where ae_start >= first_dose)``), its own value; a row's column, whether it
    is missing on some row the aggregate reads (``any(ae where ae_start is missing)``; over a
    long table, on that test's rows: ``alt`` is missing on every other test's row)."""
    out: dict[tuple[str, str], tuple[str, ir.Node]] = {}
    for agg in ir.walk(node):
        if not isinstance(agg, ir.Aggregate):
            continue
        tests = [g for g in ir.walk(agg.where) if isinstance(g, ir.InSet) and isinstance(g.operand, ir.Col)
                 and g.operand.column == ir.TEST_COLUMN] if agg.where is not None else []
        for n, grain in ir.walk_grains(agg):
            if not isinstance(n, ir.Col) or grain != agg.dataset or n.column in _NOT_READ:
                continue
            name = _named(n)
            if n.dataset != grain:  # a subject's column, read on each of its rows
                out.setdefault((n.dataset, n.column), (f"{name} missing", n))
                continue
            gone: ir.Node = ir.IsNull(n, span=n.span)
            if tests:
                gone = ir.BoolOp("and", (tests[0], gone), n.span)
            some = ir.Aggregate("any", n.dataset, None, gone, BOOL, n.span)
            out.setdefault((n.dataset, n.column), (f"{name} missing in a row", some))
    return list(out.values())


_NOT_READ = {ir.TEST_COLUMN}  # (the row's test code: never missing on the rows read)
_LIMITS = {suffix: f"'s {name.upper()}" for name, suffix in ir.LIMIT_SUFFIX.items()}


def _named(col: ir.Col) -> str:
    """``lb.alt``; a range column ``alt@uln`` as ``lb.alt's ULN``."""
    base, at, suffix = col.column.partition("@")
    return f"{col.dataset}.{base}{_LIMITS.get(at + suffix, at + suffix)}"


def _holds(backend: Backend, value: Any) -> np.ndarray:
    """Where a node of :func:`read_in_rows` says the data are missing."""
    if isinstance(value, Tri):
        return np.asarray(value.value & value.known, dtype=bool)
    return np.asarray(backend.missing(value), dtype=bool)


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
