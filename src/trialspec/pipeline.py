"""The one place the stages join. Read top to bottom, each job is a short list of stages.

    text --load--> protocol model --check--> typed IR --bind data--> frames
         --run on backend--> results --render--> reports

Heavy modules (pandas, scipy, the engine) are imported inside the jobs that need them,
so ``lint`` starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic, has_errors, sorted_unique
from trialspec.source import SourceFile


@dataclass
class LintResult:
    """Diagnostics for some protocol files, with their text for quoting."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def compile_protocol(path: str | Path) -> tuple[Any, Any, list[Diagnostic], SourceFile | None]:
    """Load and type-check one protocol: (model, checked, diagnostics, source)."""
    from trialspec.check.protocol import check_protocol
    from trialspec.protocol import load_protocol

    model, diags = load_protocol(path)
    source = getattr(model, "source", None)
    if model is None:
        return None, None, diags, _source_of(path)
    checked, more = check_protocol(model)
    return model, checked, [*diags, *more], source


def lint(paths: list[str]) -> LintResult:
    """Static checks of protocol files: syntax, schema, names, types, units."""
    result = LintResult()
    for path in paths:
        _model, _checked, diags, source = compile_protocol(path)
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
