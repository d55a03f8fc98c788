"""Machine-readable report formats, chosen by name. Each renderer takes a result and returns text.

``console`` is rendered with rich elsewhere; here: json, and (where registered) markdown,
junit, sarif and html. A format a command does not support is a usage error.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.results import CheckResult

# format -> "module:function" rendering a CheckResult to text
CHECK_RENDERERS = {
    "json": "trialspec.report.formats:check_json",
    "markdown": "trialspec.report.markdown:render_check",
    "junit": "trialspec.report.junit:render_check",
    "sarif": "trialspec.report.sarif:render_check",
    "csv": "trialspec.report.spreadsheet:render_csv",
    "html": "trialspec.report.html:render_check",
}
# format -> "module:function" rendering lint diagnostics to text
DIAGNOSTIC_RENDERERS = {
    "json": "trialspec.report.formats:diagnostics_json",
    "sarif": "trialspec.report.sarif:render_diagnostics",
}


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def render_check(fmt: str, result: CheckResult) -> str:
    from trialspec.commands import UsageError

    try:
        return str(_load(CHECK_RENDERERS[fmt])(result))
    except (KeyError, ModuleNotFoundError):
        raise UsageError(f"format {fmt!r} is not available for this command") from None


def render_diagnostics(fmt: str, diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    from trialspec.commands import UsageError

    try:
        return str(_load(DIAGNOSTIC_RENDERERS[fmt])(diags, sources))
    except (KeyError, ModuleNotFoundError):
        raise UsageError(f"format {fmt!r} is not available for this command") from None


def check_json(result: CheckResult) -> str:
    from trialspec.report.check import to_document
    from trialspec.report.json_fast import dumps

    return dumps(to_document(result)) + "\n"  # json.dumps(indent=2, default=str), at C speed


def diagnostics_json(diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    from trialspec.diagnostics import has_errors
    from trialspec.report.diagnostics import to_json

    return json.dumps({"diagnostics": [to_json(d) for d in diags], "ok": not has_errors(diags)},
                      indent=2) + "\n"
