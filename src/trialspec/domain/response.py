"""Response: per-assessment categories, confirmation and best overall response, from
criteria written as data (``src/trialspec/criteria/``).

- :func:`lint_response` checks a protocol's ``response:`` section against its criteria
  library without data (cheap: imports neither numpy nor pandas).
- :func:`run_response` derives response on bound data through the backend and returns the
  report's ``response`` section.

The stages: ``response_compile`` (protocol + library -> plan of IR), ``response_rows`` (the
plan's values per assessment from the backend's ``row_batches``, sorted by subject and date,
each row's place against the baseline),
``response_derive`` (categories, confirmation, progression, best response; numpy) and
``response_section`` (summary, tables, findings, explain). docs/response.md has the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialspec.backend import Backend
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.response_compile import ResponsePlan, compile_response

__all__ = ["DERIVED_COLUMNS", "ResponsePlan", "compile_response", "derive_table", "derived_columns",
           "lint_response", "run_response"]


def lint_response(protocol: Any) -> list[Diagnostic]:
    """Every static finding of the response section (TS6xx; TS3xx inside its expressions)."""
    _plan, diags = compile_response(_model(protocol))
    return diags


def run_response(protocol: Any, frames: Any, backend: Any) -> Any:
    """The ``response`` section of a check, or None when the protocol has no ``response:``."""
    model = _model(protocol)
    if getattr(model, "response", None) is None or frames is None:
        return None
    plan, diags = compile_response(model)
    return _run(model, plan, diags, frames, backend)


def response_runner(compiled: Any, frames: Any, backend: Backend,
                    results: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The pipeline's runner, on the compile stage's response plan."""
    model = compiled.model
    if getattr(model, "response", None) is None or frames is None:
        return None, {}
    plan, diags = compiled.response
    return _run(model, plan, diags, frames, backend), {}


def _run(model: Any, plan: ResponsePlan | None, diags: Any, frames: Any, backend: Backend) -> Any:
    from trialspec.domain.response_section import failed_section, response_section

    if plan is None:
        return failed_section(sum(d.severity is Severity.ERROR for d in diags))
    table = derive_table(plan, frames, backend)
    if table is None:
        return failed_section(1)
    from trialspec.backend import BATCH_SUBJECTS
    from trialspec.domain.response_derive import derive_in_batches

    cache: dict[str, Any] = {}

    def explain_values() -> dict[str, Any]:  # computed on the first explain only
        if not cache:
            full = derive_table(plan, frames, backend, explain=True)
            cache.update(full["values"] if full is not None else {})
        return cache

    derived = derive_in_batches(plan, table, BATCH_SUBJECTS)
    section = response_section(plan, table, derived, explain_values)
    change = best_change(plan, frames, backend, derived)
    if change is not None:
        section.summary["best_change"] = change
    columns = derived_columns(section, _key(model))
    if columns is not None:
        section.derived["response"] = columns
    return section


def best_change(plan: ResponsePlan, frames: Any, backend: Backend, derived: Any) -> dict[str, Any] | None:
    """Each subject's best (lowest) percent change from baseline of the response marker, the
    first percent-change expression the criteria show (IMWG: serum M-protein), over the
    evaluable assessments after baseline, up to progression and before any new therapy (the
    rows ``derived`` marks assessed): the numbers of a waterfall plot (None: the criteria
    have none)."""
    import numpy as np

    from trialspec.domain.response_compile import bind_series
    from trialspec.domain.response_derive import ROW_ASSESSED
    from trialspec.domain.response_rows import assessment_table

    marker = next(((name, nodes) for name, nodes in plan.explain.items() if len(nodes) >= 2
                   and getattr(getattr(nodes[1], "type", None), "unit", None) == "%"), None)
    if marker is None:
        return None
    # ordered by the assessment date and measured from the plan's baseline, as the rules are
    # (unbound, a series would follow the file's row order)
    pct_node = bind_series(marker[1][1], plan.time, plan.baseline, {})
    values = assessment_table(backend, frames, plan.dataset, plan.time, plan.bound_baseline(),
                              {"pct": pct_node})
    if values is None:
        return None
    pct = np.asarray(values["values"]["pct"], float)
    subject = np.asarray(values["subject"], np.int64)
    # the same rows in the same order as the table ``derived`` was derived from
    use = ((np.asarray(derived.status) == ROW_ASSESSED) & ~np.asarray(derived.after_progression)
           & ~np.isnan(pct))
    n = len(values["subjects"])
    best = np.full(n, np.inf)
    np.minimum.at(best, subject[use], pct[use])
    return {"marker": marker[0], "unit": "%",
            "percent": [None if not np.isfinite(x) else round(float(x), 10) for x in best.tolist()]}


def _key(model: Any) -> str:
    """The population's key column: the first keyed dataset's."""
    population = model.population
    return model.datasets[population].key if population else "subject_id"


DERIVED_COLUMNS = ("best_response", "best_unconfirmed", "confirmed", "response_date", "progression_date",
                   "progression_confirmed", "duration_of_response_days", "duration_censored")


def derived_columns(section: Any, key: str = "subject_id") -> dict[str, list[Any]] | None:
    """The per-subject results of a response section as plain columns (``key`` first), for
    the protocol's derived ``response`` dataset: best_response, confirmed, response_date,
    progression_date, ... (None for a section that derived nothing)."""
    rows = section.summary.get("per_subject") if section is not None else None
    if rows is None:
        return None
    out: dict[str, list[Any]] = {key: [r["id"] for r in rows]}
    for name in DERIVED_COLUMNS:
        out[name] = [r[name] for r in rows]
    return out


def derive_table(plan: ResponsePlan, frames: Any, backend: Backend,
                 explain: bool = False) -> dict[str, Any] | None:
    """The plan's values per assessment, from the backend (None: the dataset is not bound);
    with ``explain``, also the values ``explain --subject`` shows."""
    from trialspec.domain.response_rows import assessment_table

    return assessment_table(backend, frames, plan.dataset, plan.time, plan.bound_baseline(),
                            plan.row_nodes(explain))


def _model(protocol: Any) -> Any:
    """The protocol model, given the model or a checked protocol."""
    return getattr(protocol, "protocol", protocol) if not hasattr(protocol, "response") else protocol
