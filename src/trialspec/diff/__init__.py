"""trialspec diff: what an amendment changes, in words, and (with data) whom it affects.

    result = diff_files("protocols/old.yaml", "protocols/new.yaml")   # ProtocolDiff
    impact = measure_impact(result.old_path, result.new_path, "data")  # Impact

``compare`` compares the two models section by section, ``words`` says how an expression
changed, ``impact`` runs both versions on the same data, ``render`` writes console, JSON
and Markdown. Nothing here imports pandas unless ``measure_impact`` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from trialspec.diagnostics import has_errors
from trialspec.diff.compare import Change, ProtocolDiff, diff_protocols

if TYPE_CHECKING:
    from trialspec.diff.impact import Impact

__all__ = ["Change", "Impact", "ProtocolDiff", "diff_files", "diff_protocols", "measure_impact"]


def diff_files(old: str | Path, new: str | Path) -> ProtocolDiff:
    """Load both protocols and compare them. On load errors the result holds only the
    diagnostics (check ``has_errors(result.diagnostics)``)."""
    from trialspec.compiled import check_model
    from trialspec.protocol import load_protocol

    models, diagnostics, checked = [], [], []
    for path in (old, new):
        model, diags = load_protocol(path)
        diagnostics += diags
        models.append(model)
        if model is not None and not has_errors(diags):
            ir, found = check_model(model)
            checked.append(None if has_errors(found) else ir)
    old_model, new_model = models
    if old_model is None or new_model is None or has_errors(diagnostics):
        return ProtocolDiff(str(old), str(new), [], diagnostics)
    return diff_protocols(old_model, new_model, *checked)


def measure_impact(old: str | Path, new: str | Path, data_dir: str | Path) -> Impact:
    from trialspec.diff.impact import measure_impact as run

    return run(old, new, data_dir)
