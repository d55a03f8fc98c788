"""The one place the stages join. Read top to bottom, each job is a short list of stages.

    text --load--> protocol model --check--> typed IR --bind data--> frames
         --run on backend--> results --render--> reports

Heavy modules (pandas, scipy, the engine) are imported inside the jobs that need them,
so ``lint`` starts fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from trialspec.diagnostics import Diagnostic, has_errors, sorted_unique
from trialspec.results import CheckResult, Manifest, Section
from trialspec.source import SourceFile

if TYPE_CHECKING:
    from trialspec.backend import Backend
    from trialspec.compiled import CompiledProtocol


@dataclass
class LintResult:
    """Diagnostics for some protocol files, with their text for quoting."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def compile_protocol(path: str | Path) -> tuple[CompiledProtocol | None, list[Diagnostic], SourceFile | None]:
    """The compile stage on one protocol file: (compiled, diagnostics, source). ``compiled``
    is None when the file does not load; ``compiled.checked`` is None when it has an error."""
    from trialspec.compiled import compile_model
    from trialspec.protocol import load_protocol

    model, diags = load_protocol(path)
    source = getattr(model, "source", None)
    if model is None:
        return None, diags, _source_of(path)
    compiled, more = compile_model(model)
    return compiled, [*diags, *more], source


def lint(paths: list[str]) -> LintResult:
    """Static checks of protocol files: syntax, schema, names, types, units."""
    result = LintResult()
    for path in paths:
        _compiled, diags, source = compile_protocol(path)
        result.diagnostics.extend(diags)
        if source is not None:
            result.sources[source.path] = source
    result.diagnostics = sorted_unique(result.diagnostics)
    return result


def _source_of(path: str | Path) -> SourceFile | None:
    try:
        return SourceFile(str(path), Path(path).read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


# -- check: data conformance, eligibility, and every other section ---------------------------

# Sections after eligibility, in report order: (module, function). Each runner takes
# (compiled protocol, frames, backend, results so far) and returns (Section or None, results
# it passes forward): the plans come compiled from the compile stage, never compiled again,
# and what one section computes for another (the analyses' results for claims) is handed on
# explicitly. Optional: a section whose module is not installed is skipped.
SECTION_RUNNERS = (
    ("trialspec.domain.treatment", "dosing_runner"),
    ("trialspec.domain.response", "response_runner"),
    ("trialspec.domain.analyses", "analyses_runner"),
    ("trialspec.domain.claims_section", "claims_runner"),
)
# Whether a compiled protocol has a section at all: a section it has not is skipped without
# importing its module (each runner would return no section; importing the four cost ~25 ms
# of a check's start).
SECTION_USED: dict[str, Callable[[Any], bool]] = {
    "trialspec.domain.treatment": lambda c: c.dosing is not None,
    "trialspec.domain.response": lambda c: c.model.response is not None,
    "trialspec.domain.analyses": lambda c: bool(c.model.analyses or c.model.reported),
    "trialspec.domain.claims_section": lambda c: bool(c.model.reported),
}


# The sections ``explain --subject`` shows tables of (``Section.explain``), besides eligibility:
# a check narrowed to one subject runs these only.
EXPLAINED = ("trialspec.domain.treatment", "trialspec.domain.response")


def check(path: str | Path, data_dir: str | Path | None = None, backend_name: str = "pandas",
          tables: Mapping[str, Any] | None = None,
          progress: Callable[[str], None] | None = None) -> CheckResult:
    """Everything: protocol checks, data conformance, eligibility, and the other sections.

    The data come from ``data_dir``, or (the Python API) from ``tables``, DataFrames by
    dataset name. ``progress`` is told each stage as it starts. ``backend_name`` is a
    registered engine or ``auto`` (``trialspec.engine.choice``: decided from the data's size).
    """
    return _check(path, data_dir, backend_name, tables, progress)


def explain_subject(path: str | Path, data_dir: str | Path, subject: str,
                    backend_name: str = "pandas") -> tuple[CheckResult, list[Any] | None]:
    """The check for one subject, and every section's tables for it (None: no such subject).

    The data are read and checked whole (the findings are the whole files'). On an engine
    that narrows a data context (``Backend.narrow``: DuckDB, Spark) the sections then run for
    that subject only, eligibility and the sections with tables to show (``EXPLAINED``), so
    the result's sections hold one subject (none when the id is unknown); on pandas every
    section runs for every subject, as ``check`` runs them.
    """
    result = _check(path, data_dir, backend_name, None, None, subject=subject)
    elig = result.section("eligibility")
    if elig is None or elig.subjects is None or elig.subjects.position(subject) is None:
        return result, None
    tables: list[Any] = []
    for section in result.sections:
        if section.explain is not None:
            tables.extend(section.explain(subject))
    return result, tables


def _check(path: str | Path, data_dir: str | Path | None, backend_name: str,
           tables: Mapping[str, Any] | None, progress: Callable[[str], None] | None,
           subject: str | None = None) -> CheckResult:
    """``check``; with ``subject``, narrowed to that subject where the engine can narrow."""
    from trialspec.domain.eligibility_section import eligibility_runner
    from trialspec.engine import get_backend

    step = progress or (lambda stage: None)
    step("compiling the protocol")
    compiled, diags, source = compile_protocol(path)
    sources = {source.path: source} if source is not None else {}
    if compiled is None or compiled.checked is None:
        return CheckResult(_manifest(path, []), sorted_unique(diags), [], sources)
    model, checked = compiled.model, compiled.checked
    if backend_name == "auto":
        from trialspec.engine import choose_engine

        backend_name = choose_engine(backend_name, data_dir, tables)
    backend = get_backend(backend_name)
    step("reading and checking the data")
    bound = backend.bind_frames(model, tables or {}) if data_dir is None else backend.bind(model, data_dir)
    diags = [*diags, *bound.diagnostics]
    sections: list[Section] = []
    frames = bound.frames
    runners: tuple[tuple[str, str], ...] = SECTION_RUNNERS
    if frames is not None and subject is not None:
        narrowed = backend.narrow(frames, subject)
        if narrowed is not None:  # (``bound`` keeps the whole context, and its session, alive)
            frames = narrowed
            runners = tuple(r for r in SECTION_RUNNERS if r[0] in EXPLAINED)
    if frames is not None:
        _set_coverage(checked, frames, backend)
        step("screening eligibility")
        section, results = eligibility_runner(compiled, frames, backend, sources)
        sections.append(section)
        for module, name in runners:
            used = SECTION_USED.get(module)
            if used is not None and not used(compiled):
                continue
            step(f"running {module.rsplit('.', 1)[-1].replace('_section', '')}")
            runner = _optional(module, name)
            if runner is None:
                continue
            section, passed = runner(compiled, frames, backend, MappingProxyType(dict(results)))
            results.update(passed)
            if section is not None:
                sections.append(section)
                _add_derived(model, section, frames, bound.key, backend)
    result = CheckResult(_manifest(path, bound.datasets), sorted_unique(diags), sections, sources)
    if model.accepted:  # the protocol's `accepted:` block: see trialspec.triage
        from trialspec.triage import accept, protocol_entries

        accept(result, protocol_entries(model.accepted))
    return result


def _set_coverage(checked: Any, frames: Any, backend: Backend) -> None:
    """Tell the engine whom each `complete_for:` row table covers (a definition per subject)."""
    for name, ds in checked.protocol.datasets.items():
        node = checked.definitions.get(getattr(ds, "complete_for", None) or "")
        if node is not None and name in getattr(frames, "rows", {}):
            backend.set_coverage(frames, name, backend.evaluate(node, frames))


def _add_derived(model: Any, section: Section, frames: Any, key: str, backend: Backend) -> None:
    """Make what a section derived readable by later sections, as the declared dataset."""
    for dataset, columns in section.derived.items():
        declared = model.datasets.get(dataset)
        if declared is not None and getattr(declared, "derived", False):
            backend.add_derived(frames, dataset, columns, key)


def _optional(module: str, name: str) -> Any:
    """A section runner, or None when its module is not installed. Only the module itself
    missing is skipped: an import error inside it, or a missing function, is a real error."""
    import importlib

    try:
        loaded = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name == module:
            return None
        raise
    return getattr(loaded, name)


def _manifest(path: str | Path, datasets: list[Any]) -> Manifest:
    import hashlib

    from trialspec import __version__

    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = ""
    return Manifest(__version__, str(path), digest,
                    [{"name": d.name, "path": d.path, "sha256": d.sha256, "rows": d.rows} for d in datasets])
