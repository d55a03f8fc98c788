"""The lock and verify jobs: ``pipeline.check``, then a lock document, then (for verify) the comparison."""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path
from typing import Any

from trialspec.repro.lock import build_lock, criteria_libraries, lock_path, read_lock
from trialspec.repro.verify import DEFAULT_RTOL, verify
from trialspec.results import CheckResult, Manifest


def lock_job(protocol: str | os.PathLike[str], data_dir: str | os.PathLike[str]
             ) -> tuple[CheckResult, dict[str, Any] | None]:
    """Check, and the lock document of the result (None when nothing could be computed)."""
    from trialspec.pipeline import check

    result = check(Path(protocol), Path(data_dir))
    if not result.sections:
        return result, None
    return result, build_lock(result, protocol, data_dir, _criteria(protocol))


def verify_job(protocol: str | os.PathLike[str], data_dir: str | os.PathLike[str] | None,
               rtol: float = DEFAULT_RTOL) -> CheckResult:
    """Recompute and compare with the lock; the result holds one section, ``lock``.

    ``data_dir`` None means the folder the lock names (relative to the protocol's folder).
    """
    lock = read_lock(lock_path(protocol))
    sources = {lock.path: lock.source} if lock.source is not None else {}
    if data_dir is None:
        data_dir = locked_data_dir(protocol, lock.doc)
    if lock.doc is None or data_dir is None:
        section = verify(lock, None, rtol)
        return CheckResult(_bare_manifest(protocol), [], [section], sources)
    result, now = lock_job(protocol, data_dir)
    recomputed = now is not None
    if now is None:  # the inputs alone, to say which of them changed
        now = build_lock(result, protocol, data_dir, {})
    section = verify(lock, now, rtol, relock_command(protocol, data_dir), recomputed)
    diagnostics = [] if recomputed else result.diagnostics
    return CheckResult(result.manifest, diagnostics, [section], {**result.sources, **sources})


def locked_data_dir(protocol: str | os.PathLike[str], doc: dict[str, Any] | None) -> str | None:
    """The data folder a lock names, as a path from the current folder (None if it names none).

    A lock is data, not instructions: a folder it names is used only when it lies inside the
    lock's own folder (a relative path that does not climb out, after symlinks); an absolute
    path or ``..`` gives None, and the user names the folder with ``--data``.
    """
    if doc is None or not isinstance(doc.get("data_dir"), str):
        return None
    raw = doc["data_dir"]
    if not raw or "\0" in raw or os.path.isabs(raw) or Path(raw).drive or ".." in Path(raw).parts:
        return None
    home = Path(protocol).parent
    folder = os.path.normpath(home / raw)
    inside = os.path.realpath(folder)
    if os.path.commonpath([inside, os.path.realpath(home)]) != os.path.realpath(home):
        return None  # a symlink inside the folder that leads out of it
    return folder


def relock_command(protocol: str | os.PathLike[str], data_dir: str | os.PathLike[str]) -> str:
    return f"trialspec lock {shlex.quote(str(protocol))} --data {shlex.quote(str(data_dir))}"


def _criteria(protocol: str | os.PathLike[str]) -> dict[str, str | None]:
    from trialspec.protocol import load_protocol

    model, _ = load_protocol(protocol)
    return criteria_libraries(model)


def _bare_manifest(protocol: str | os.PathLike[str]) -> Manifest:
    from trialspec import __version__

    try:
        digest = hashlib.sha256(Path(protocol).read_bytes()).hexdigest()
    except OSError:
        digest = ""
    return Manifest(__version__, str(protocol), digest, [])
