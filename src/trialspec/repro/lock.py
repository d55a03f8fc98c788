"""Lock files: a check's key results with the hashes of the protocol, data and engine behind them.

``PROTOCOL.lock.json`` sits beside the protocol. Every path in it is relative to the protocol's
folder, so a lock made on one machine verifies on a fresh clone anywhere. The text is
canonical (sorted keys, one value per line, floats to 12 significant digits), so a re-lock
changes exactly the lines whose values moved, and a code review shows them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.repro.canonical import Path as DocPath
from trialspec.repro.canonical import canonical, dump, sha256_of
from trialspec.results import CheckResult
from trialspec.source import SourceFile, Span

LOCK_VERSION = 1
SUFFIX = ".lock.json"
# libraries whose versions can explain a changed number; recorded, never a finding by themselves
DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "pint")
REQUIRED = ("lock_version", "trialspec_version", "protocol", "datasets", "results", "findings")


def lock_path(protocol: str | os.PathLike[str]) -> Path:
    """Where a protocol's lock lives: beside it, named ``<protocol file name>.lock.json``."""
    p = Path(protocol)
    return p.with_name(p.name + SUFFIX)


def build_lock(result: CheckResult, protocol: str | os.PathLike[str], data_dir: str | os.PathLike[str],
               criteria: dict[str, str | None]) -> dict[str, Any]:
    """The lock document of a check result. ``criteria``: library name -> its sha256 (or None)."""
    m = result.manifest
    findings: dict[str, int] = {}
    for d in result.all_findings:
        findings[d.code] = findings.get(d.code, 0) + 1
    doc: dict[str, Any] = {
        "lock_version": LOCK_VERSION,
        "trialspec_version": m.trialspec_version,
        "dependencies": {name: _version(name) for name in DEPENDENCIES},
        "criteria": dict(criteria),
        "protocol": {"path": Path(protocol).name, "sha256": m.protocol_sha256},
        "data_dir": relative_to_protocol(data_dir, protocol),
        "datasets": {d["name"]: {"path": d["path"], "sha256": d["sha256"], "rows": d["rows"],
                                 **_row_digests(Path(data_dir), d["path"])}
                     for d in m.datasets},
        "results": {s.name: s.summary for s in result.sections},
        "findings": findings,
    }
    doc = canonical(doc)
    doc["results_sha256"] = results_sha256(doc)
    return doc


TEXT_DATA = (".csv", ".tsv", ".txt")
ROW_DIGEST_HEX = 8  # per data line: enough to tell which lines changed, short enough to keep


def row_digests(path: Path) -> list[str]:
    """A short hash of each line of a text data file after its header, in file order, so that
    ``verify`` can name the lines that changed (a lock holds hashes, never the data)."""
    import hashlib

    lines = path.read_bytes().splitlines()[1:]
    return [hashlib.sha256(line).hexdigest()[:ROW_DIGEST_HEX] for line in lines]


def _row_digests(data_dir: Path, name: str | None) -> dict[str, str]:
    """``{"row_digests": "..."}`` (one string, space-separated) for a text data file; else none."""
    if not name or Path(name).suffix.lower() not in TEXT_DATA:
        return {}
    try:
        return {"row_digests": " ".join(row_digests(data_dir / name))}
    except OSError:
        return {}


def results_sha256(doc: dict[str, Any]) -> str:
    """The hash of what was computed: the results and the count of findings per code."""
    return sha256_of({"results": doc.get("results"), "findings": doc.get("findings")})


def relative_to_protocol(data_dir: str | os.PathLike[str], protocol: str | os.PathLike[str]) -> str:
    """``data_dir`` relative to the protocol's folder, with forward slashes."""
    rel = os.path.relpath(Path(data_dir).resolve(), Path(protocol).resolve().parent)
    return Path(rel).as_posix()


def criteria_libraries(model: Any) -> dict[str, str | None]:
    """The criteria libraries a protocol imports, each with the sha256 of the shipped file."""
    response = getattr(model, "response", None)
    name = getattr(response, "criteria", None)
    if not name:
        return {}
    import hashlib
    from importlib import resources

    try:
        data = resources.files("trialspec").joinpath(f"criteria/{name}.yaml").read_bytes()
    except (OSError, ValueError):
        return {name: None}
    return {name: hashlib.sha256(data).hexdigest()}


def _version(name: str) -> str | None:
    from importlib import metadata  # (30 ms to import: every check asks where its lock file is)

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def lock_text(doc: dict[str, Any]) -> str:
    return dump(doc)[0]


@dataclass
class LockFile:
    """A lock read back: the document (None if unreadable), the line of each value, findings."""

    path: str
    doc: dict[str, Any] | None
    lines: dict[DocPath, int] = field(default_factory=dict)
    source: SourceFile | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def span(self, path: DocPath) -> Span:
        """The lock's line holding ``path`` (or its nearest recorded parent; line 1 if none)."""
        while path and path not in self.lines:
            path = path[:-1]
        line = self.lines.get(path, 1)
        text = self.source.line(line) if self.source else ""
        col = len(text) - len(text.lstrip()) + 1
        return Span(self.path, line, col, line, max(len(text.rstrip(",")) + 1, col + 1))


def read_lock(path: str | os.PathLike[str]) -> LockFile:
    """Read a lock file; problems are TS806 findings, never exceptions."""
    shown = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        return _unreadable(shown, None, f"the lock file is not UTF-8 text ({err.reason})")
    except OSError as err:
        return _unreadable(shown, None, f"cannot read the lock file: {err.strerror or err}")
    source = SourceFile(shown, text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        return _unreadable(shown, source, f"the lock file is not valid JSON: {err.msg}",
                           Span(shown, err.lineno, err.colno, err.lineno, err.colno + 1))
    if not isinstance(doc, dict) or any(k not in doc for k in REQUIRED):
        missing = [k for k in REQUIRED if not isinstance(doc, dict) or k not in doc]
        return _unreadable(shown, source, "the lock file lacks " + ", ".join(f"`{k}`" for k in missing))
    version = doc["lock_version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= LOCK_VERSION:
        return _unreadable(shown, source, f"lock format {version!r} is not one this trialspec reads "
                                          f"(1 to {LOCK_VERSION}); a newer trialspec wrote it?")
    if not isinstance(doc["datasets"], dict) or not isinstance(doc["results"], dict):
        return _unreadable(shown, source, "`datasets` and `results` must be JSON objects")
    written, lines = dump(doc)
    if written != text.replace("\r\n", "\n"):
        lines = {}  # edited by hand: values are still compared, findings point at line 1
    return LockFile(shown, doc, lines, source)


def _unreadable(path: str, source: SourceFile | None, message: str, span: Span | None = None) -> LockFile:
    span = span or Span(path, 1, 1, 1, 2)
    hint = "Regenerate it: trialspec lock PROTOCOL --data DIR (resolve merge conflicts by re-locking)."
    return LockFile(path, None, {}, source, [Diagnostic("TS806", message, span, hint)])
