"""The planned analyses of a protocol, run on the data: the ``analyses`` section of a check.

    protocol.analyses --compile_analyses--> plans --METHODS[method] on the backend's values-->
        results --analyses_section--> Section

``analyses_runner`` is the pipeline's entry point (``SECTION_RUNNERS``): it runs the compile
stage's plans and passes the results forward to the claims section (``results["analyses"]``),
so they are computed once. ``run_analyses`` compiles and runs (for the API and tests).
docs/analyses.md describes the endpoints, methods, tests and options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from importlib import import_module
from typing import Any

import numpy as np

from trialspec.backend import Backend
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.analyses_compute import AnalysisResult, Context, finding
from trialspec.domain.analyses_plan import AnalysisPlan, CompiledAnalyses, compile_analyses
from trialspec.lang import ir
from trialspec.results import Case, Section

# each method's (module, function), imported when an analysis uses it: a protocol without
# analyses (or without a model or meta-analysis) does not load those modules
METHODS: dict[str, tuple[str, str]] = {
    "proportion": ("analyses_compute", "proportion"),
    "counts": ("analyses_compute", "counts"),
    "summary": ("analyses_continuous", "summary"),
    "kaplan_meier": ("analyses_survival", "kaplan_meier"),
    "meta_analysis": ("analyses_meta", "meta_analysis"),
    "ancova": ("analyses_models", "ancova"),
    "logistic": ("analyses_models", "logistic"),
    "crosstab": ("analyses_crosstab", "crosstab"),
    "ordinal": ("analyses_models", "ordinal"),
}


def method(name: str) -> Callable[[AnalysisPlan, Context], AnalysisResult]:
    """The function computing analysis method ``name`` (KeyError: no such method)."""
    module, function = METHODS[name]
    return getattr(import_module(f"trialspec.domain.{module}"), function)


def analyses_for(protocol: Any, frames: Any, backend: Any, compiled: CompiledAnalyses | None = None,
                 criteria: Any = None) -> tuple[CompiledAnalyses, dict[str, AnalysisResult]]:
    """Run every analysis on the data: (the compiled analyses, each analysis's result).

    The pipeline gives the compile stage's ``compiled`` analyses and checked ``criteria``
    (the population `eligible` screens with them); without them they are compiled here."""
    if compiled is None:
        compiled = compile_analyses(protocol)
    results: dict[str, AnalysisResult] = {}
    if frames is not None and compiled.plans:  # (no analyses: no object array of the ids)
        ctx = Context(lambda node: backend.evaluate(node, frames),
                      np.asarray(frames.subjects, dtype=object), compiled.endpoints,
                      lambda name: backend.study_rows(frames, name),
                      _memo(lambda: eligible_mask(protocol, frames, backend, criteria)))
        _prefetch(ctx, backend, frames, compiled)
        for aid, plan in compiled.plans.items():
            results[aid] = _with_population(_run(plan, ctx, protocol), ctx)
    return compiled, results


def _prefetch(ctx: Context, backend: Any, frames: Any, compiled: CompiledAnalyses) -> None:
    """Evaluate every node the plans hold in one ``evaluate_many`` call when the backend has
    one: a SQL engine answers them in one query instead of one each (on Spark a query costs a
    few tenths of a second). A node that cannot be evaluated is left to be read (and
    reported) when an analysis reads it."""
    from trialspec.backend import EngineError

    many = getattr(backend, "evaluate_many", None)
    nodes = list({id(n): n for n in _nodes((compiled.plans, compiled.endpoints), set())}.values())
    if many is None or len(nodes) < 2:
        return
    try:
        values = many(nodes, frames)
    except EngineError:
        return
    for node, value in zip(nodes, values, strict=True):
        ctx._cache[id(node)] = (node, value)


def _nodes(obj: Any, seen: set[int]) -> list[ir.Node]:
    """The IR nodes held in plain data (dataclasses, tuples, lists, dicts), outermost only."""
    if isinstance(obj, ir.Node):
        return [obj]
    if id(obj) in seen or isinstance(obj, str | int | float | bool | type(None) | np.ndarray):
        return []
    seen.add(id(obj))
    if is_dataclass(obj):
        items: Any = (getattr(obj, f.name) for f in fields(obj))
    elif isinstance(obj, Mapping):
        items = obj.values()
    elif isinstance(obj, tuple | list):
        items = obj
    else:
        return []
    return [n for item in items for n in _nodes(item, seen)]


def eligible_mask(protocol: Any, frames: Any, backend: Any, criteria: Any = None) -> np.ndarray:
    """Each subject's eligibility (True: eligible), screened as the eligibility section does
    (``criteria``: the checked criteria; None: the protocol is checked here)."""
    from trialspec.domain.eligibility import ELIGIBLE, outcome_codes, outcome_matrix, screen

    n = len(frames.subjects)
    if criteria is None:
        from trialspec.check.protocol import check_protocol

        checked, _diags = check_protocol(protocol)
        if checked is None:
            return np.zeros(n, bool)
        criteria = checked.criteria
    columns = []
    for crit in criteria:
        value = backend.evaluate(crit.node, frames)
        true = np.broadcast_to(np.asarray(value.value, dtype=bool), (n,))
        known = np.broadcast_to(np.asarray(value.known, dtype=bool), (n,))
        columns.append(outcome_codes(true.copy(), known, crit.kind == "exclusion"))
    result = screen(np.asarray(frames.subjects, dtype=object), [c.id for c in criteria],
                    [c.kind for c in criteria], [c.text for c in criteria],
                    outcome_matrix(columns, n))
    return np.asarray(result.status_code == ELIGIBLE)


def _memo(make: Callable[[], np.ndarray]) -> Callable[[], np.ndarray]:
    held: list[np.ndarray] = []

    def get() -> np.ndarray:
        if not held:
            held.append(make())
        return held[0]
    return get


def _with_population(res: AnalysisResult, ctx: Context) -> AnalysisResult:
    """The result with its population and the population's n, in the summary and the title."""
    from dataclasses import replace

    pop = res.plan.population
    if pop is None or res.plan.method == "meta_analysis":
        return res
    n = int(ctx.population(pop).sum())
    res.summary["population"] = {"name": pop.name, "description": pop.description, "n": n}
    if res.table is not None:
        res.table = replace(res.table, title=f"{res.table.title} [population: {pop.name}, n = {n}]")
    return res


def _run(plan: AnalysisPlan, ctx: Context, protocol: Any) -> AnalysisResult:
    from trialspec.backend import EngineError
    from trialspec.stats.errors import StatsInputError

    try:
        return method(plan.method)(plan, ctx)
    except EngineError as err:
        derived = [n for n, ds in protocol.datasets.items() if getattr(ds, "derived", False)]
        hint = (f"{', '.join(derived)} {'is' if len(derived) == 1 else 'are'} derived by trialspec; "
                "the section that fills it did not run" if derived else "Check the data directory.")
        return AnalysisResult(plan, {"method": plan.method}, None,
                              [finding("TS706", plan, f"cannot run: {err}", hint, Severity.WARNING)])
    except StatsInputError as err:
        return AnalysisResult(plan, {"method": plan.method}, None,
                              [finding("TS705", plan, str(err), "Check the data the analysis reads.")])


def run_analyses(protocol: Any, frames: Any, backend: Any) -> Section | None:
    """The ``analyses`` section: one table, one JUnit case and a stable summary per analysis."""
    if not protocol.analyses:
        return None
    compiled, results = analyses_for(protocol, frames, backend)
    return analyses_section(protocol, compiled, results)


def analyses_runner(compiled: Any, frames: Any, backend: Backend,
                    results: Mapping[str, Any]) -> tuple[Section | None, dict[str, Any]]:
    """The pipeline's runner: the section, and the analyses' results passed forward (to claims)."""
    protocol = compiled.model
    criteria = compiled.checked.criteria if compiled.checked is not None else None
    plans, done = analyses_for(protocol, frames, backend, compiled.analyses, criteria)
    section = analyses_section(protocol, plans, done) if protocol.analyses else None
    return section, {"analyses": (plans, done)}


def analyses_section(protocol: Any, compiled: CompiledAnalyses,
                     results: dict[str, AnalysisResult]) -> Section:
    findings: list[Diagnostic] = list(compiled.diagnostics)
    out: dict[str, Any] = {}
    tables = []
    cases = []
    for aid, analysis in protocol.analyses.items():
        res = results.get(aid)
        if res is None:
            out[aid] = {"ran": False, "method": analysis.method}
            cases.append(Case(f"analyses/{aid}", False, "the analysis is in error (see findings)"))
            continue
        findings.extend(res.findings)
        errors = [d for d in res.findings if d.severity is Severity.ERROR]
        out[aid] = {"ran": res.ran, **res.summary}
        if res.table is not None and res.ran:
            tables.append(res.table)
        message = "; ".join(d.message for d in errors) or ("" if res.ran else "did not run")
        cases.append(Case(f"analyses/{aid}", res.ran and not errors, message))
    ran = sum(1 for r in results.values() if r.ran)
    summary = {"planned": len(protocol.analyses), "ran": ran, "analyses": out}
    return Section("analyses", "Analyses", summary, tables, findings, cases)
