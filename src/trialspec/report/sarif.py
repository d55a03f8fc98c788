"""SARIF 2.1.0 reports, so code-review tools annotate the exact line and column. Computes nothing.

Each finding (after ``--select``/``--ignore``) is a result whose ``ruleId`` is its diagnostic
code, located at its span: in a protocol (or lock) file at line and column, in a data file at
the row's line only (a data span's column is a field number, not a character). Rules carry the
code's name, summary, why and fix from :data:`trialspec.codes.CODES`. Relative paths stay as
given, relative to the folder trialspec ran in (``%SRCROOT%``); absolute paths become
``file://`` URIs. The manifest's dataset paths are relative to the ``--data`` folder
(``DATADIR``) unless the renderer is told where that is. Output is deterministic and valid
against the SARIF 2.1.0 schema
(tests/fixtures/schemas/sarif-2.1.0.json). An accepted finding (the protocol's ``accepted:``
or a baseline) carries a ``suppressions`` entry (``kind: external``, ``status: accepted``, the
reason as ``justification``), so code-review tools show it as suppressed, not failing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult
from trialspec.source import SourceFile, Span

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
VERSION = "2.1.0"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT, DATADIR = "%SRCROOT%", "DATADIR"


def render_check(result: CheckResult, data_dir: str | None = None) -> str:
    m = result.manifest
    data_paths = {d["path"] for d in m.datasets if d.get("path")}
    where = _Locator(result.sources, data_paths, data_dir)
    artifacts = [{"location": where.artifact(m.protocol_path), "roles": ["analysisTarget"],
                  **({"hashes": {"sha-256": m.protocol_sha256}} if m.protocol_sha256 else {})}]
    artifacts += [{"location": where.artifact(d["path"], data=True), "roles": ["analysisTarget"],
                   **({"hashes": {"sha-256": d["sha256"]}} if d.get("sha256") else {})}
                  for d in m.datasets if d.get("path")]
    fallback = Span(m.protocol_path, 1, 1, 1, 1)  # a finding without a place is about the protocol
    return _log(result.all_findings, where, m.trialspec_version, artifacts, fallback, result.accepted)


def render_diagnostics(diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    """Lint findings."""
    from trialspec import __version__

    where = _Locator(sources, set(), None)
    artifacts = [{"location": where.artifact(p), "roles": ["analysisTarget"]} for p in sorted(sources)]
    return _log(diags, where, __version__, artifacts, None)


def _log(diags: Sequence[Diagnostic], where: _Locator, version: str, artifacts: list[dict[str, Any]],
         fallback: Span | None, accepted: Mapping[Diagnostic, str] | None = None) -> str:
    from trialspec.codes import CODES

    ordered = sorted(diags, key=Diagnostic.sort_key)
    codes = sorted({d.code for d in ordered})
    index = {c: i for i, c in enumerate(codes)}
    results = []
    for d in ordered:
        text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        r: dict[str, Any] = {"ruleId": d.code, "ruleIndex": index[d.code], "level": LEVEL[d.severity],
                             "message": {"text": text}}
        span = d.span or fallback
        if span is not None:
            r["locations"] = [{"physicalLocation": where.physical(span, exact=d.span is not None)}]
        if accepted and d in accepted:  # accepted (`accepted:` or a baseline): suppressed, with why
            r["suppressions"] = [{"kind": "external", "status": "accepted",
                                  "justification": accepted[d]}]
        if d.related:
            r["relatedLocations"] = [
                {"id": i, "message": {"text": label}, "physicalLocation": where.physical(s)}
                for i, (label, s) in enumerate(d.related)]
        results.append(r)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "trialspec", "version": version, "semanticVersion": version,
                            "rules": [_rule(CODES[c]) for c in codes]}},
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": where.bases(),
        "artifacts": artifacts,
        "invocations": [{"executionSuccessful": True}],
        "results": results,
    }
    log = {"$schema": SCHEMA, "version": VERSION, "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(c: Any) -> dict[str, Any]:
    from trialspec.report.codes import code_markdown

    return {
        "id": c.code,
        "name": c.name,
        "shortDescription": {"text": c.summary},
        "fullDescription": {"text": f"{c.summary} {c.why}"},
        "help": {"text": f"{c.why}\nExample: {c.example}\nFix: {c.fix}", "markdown": code_markdown(c)},
    }


class _Locator:
    """Turns spans into SARIF locations: file URIs, base ids and regions."""

    def __init__(self, sources: Mapping[str, Any], data_paths: set[str], data_dir: str | None):
        self.sources = sources
        self.data_paths = data_paths
        self.data_dir = data_dir

    def bases(self) -> dict[str, Any]:
        out: dict[str, Any] = {SRCROOT: {"description": {"text": "The folder trialspec ran in."}}}
        if self.data_paths:
            out[DATADIR] = {"description": {"text": "The data folder given with --data."}}
        return out

    def artifact(self, path: str, data: bool = False) -> dict[str, Any]:
        """A file's location; ``data``: a path relative to the --data folder."""
        if data:
            if self.data_dir is not None:
                return _uri(str(Path(self.data_dir) / path))
            return {"uri": _relative_uri(path), "uriBaseId": DATADIR}
        return _uri(path)

    def is_data(self, path: str) -> bool:
        """A span in a data file (its column is a field number, not a character)."""
        return path not in self.sources and any(path == d or path.endswith(("/" + d, "\\" + d))
                                                for d in self.data_paths)

    def physical(self, span: Span, exact: bool = True) -> dict[str, Any]:
        is_data = self.is_data(span.path)
        region: dict[str, Any] = {"startLine": max(span.line, 1)}
        if exact and not is_data:
            region.update(startColumn=max(span.col, 1), endLine=max(span.end_line, span.line, 1),
                          endColumn=max(span.end_col, 1) if span.end_line > span.line else
                          max(span.end_col, span.col + 1, 2))
            source = self.sources.get(span.path)
            if isinstance(source, SourceFile):
                snippet = source.slice(span)
                if snippet:
                    region["snippet"] = {"text": snippet}
        relative_to_data = is_data and span.path in self.data_paths  # a path inside the data folder
        return {"artifactLocation": self.artifact(span.path, data=relative_to_data), "region": region}


def _uri(path: str) -> dict[str, Any]:
    if Path(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": _relative_uri(path), "uriBaseId": SRCROOT}


def _relative_uri(path: str) -> str:
    posix = PurePosixPath(*Path(path).parts).as_posix() if path else "."
    return quote(posix.removeprefix("./"), safe="/")
