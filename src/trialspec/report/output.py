"""Writing reports: the one place trialspec writes a file the user named.

Two promises (docs/reliability.md):

- an output is never written onto a file the command reads (the protocol, a data file, the
  lock, either side of a diff), compared by resolved path and by inode, so a hard link or a
  symlink to an input is caught too; :func:`check_outputs` refuses before any work is done;
- a regular file is replaced atomically (a temporary file beside it, then a rename), so a
  reader never sees half a file; anything else (a device such as ``/dev/null``, a FIFO,
  ``-`` for standard output) is written to directly, never replaced by a regular file.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

STDOUT = "-"
MAX_DATA_FILES = 10_000  # files of a data folder whose inodes are compared with an output


class OutputRefused(Exception):
    """An output the command must not write: a code (TS9xx) and a sentence."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def check_outputs(outputs: Sequence[str | os.PathLike[str] | None],
                  inputs: Iterable[str | os.PathLike[str]] = (),
                  folders: Iterable[str | os.PathLike[str]] = (),
                  replaces: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Refuse (raise :class:`OutputRefused`) an output that is an input, or cannot be written.

    ``inputs`` are files the command reads; ``folders`` are data folders, every file of which
    is an input (and any file in them an output may not replace); ``replaces`` are outputs
    meant to replace a file of their own (``lock`` rewriting its lock file), never inputs.
    """
    named = [str(o) for o in outputs if o is not None and str(o) != ""]
    own = [_identity(Path(p)) for p in replaces]
    read = _identities(inputs, ()) + [(k, shown) for k, shown in _identities((), folders)
                                      if not any(_same(k, o) for o in own)]
    seen: dict[tuple[str, tuple[int, int] | None], str] = {}
    for out in named:
        if out == STDOUT:
            continue
        key = _identity(Path(out))
        if _device(Path(out)):  # /dev/null twice is harmless; a device is no input either
            _writable(Path(out))
            continue
        for other_key, other in seen.items():
            if _same(key, other_key):
                shown = out if out == other else f"{out} (the same file as {other})"
                raise OutputRefused("TS903", f"{shown} is named as two outputs of one command")
        seen[key] = out
        for in_key, shown in read:
            if _same(key, in_key):
                raise OutputRefused(
                    "TS901", f"refusing to write the report onto {out}: it is {shown}, which this "
                    "command reads")
        for folder in folders:
            if not any(_same(key, o) for o in own) and _inside(Path(out), Path(folder)):
                raise OutputRefused(
                    "TS901", f"refusing to write the report onto {out}: it is a file of the data "
                    f"folder {folder}, which this command reads")
        _writable(Path(out))


def write_atomic(path: Path | str, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path``: atomically for a regular file, directly otherwise.

    ``-`` is standard output; a device or FIFO is opened and written, never replaced; a
    symlink is followed, so the file it points to is replaced and the link kept.
    """
    if str(path) == STDOUT:
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
        return
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise OutputRefused("TS902", f"cannot write the report to {path}: it is a folder")
        try:
            with _open(path, text) as f:
                f.write(text)
        except OSError as err:
            raise OutputRefused("TS904", f"could not write {path}: {err.strerror or err}") from err
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        _replace(path, text, st)
    except OSError as err:  # a full disk, a read-only file system: said, not a traceback
        raise OutputRefused("TS904", f"could not write {path}: {err.strerror or err}") from err


def _open(path: Path | int, data: str | bytes) -> IO[Any]:
    if isinstance(data, bytes):
        return open(path, "wb")
    return open(path, "w", encoding="utf-8", newline="\n")


def _replace(path: Path, text: str | bytes, st: os.stat_result | None) -> None:
    _replace_with(path, lambda f: f.write(text), isinstance(text, bytes), st)


def _replace_with(path: Path, write: Callable[[IO[Any]], Any], binary: bool,
                  st: os.stat_result | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp creates 0600; give the file the mode a plain write would (or keep the old one)
        os.chmod(tmp, st.st_mode & 0o7777 if st is not None else 0o666 & ~_umask())
        with _open(fd, b"" if binary else "") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic_stream(path: Path | str, write: Callable[[IO[bytes]], Any]) -> None:
    """Binary output too large to hold (a per-subject Parquet file of millions of rows), written
    part by part by ``write(file)`` to a temporary file beside ``path`` and then put in its
    place, as :func:`write_atomic` does; a device or FIFO is written directly."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        st = None
    try:
        if st is not None and not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise OutputRefused("TS902", f"cannot write the report to {path}: it is a folder")
            with open(path, "wb") as f:
                write(f)
            return
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        _replace_with(path, write, True, st)
    except OSError as err:
        raise OutputRefused("TS904", f"could not write {path}: {err.strerror or err}") from err


# -- identities ------------------------------------------------------------------------------


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path and, for an existing file, its (device, inode)."""
    resolved = os.path.realpath(path)
    try:
        st = os.stat(path)
        return resolved, (st.st_dev, st.st_ino)
    except (OSError, ValueError):
        return resolved, None


def _device(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _same(a: tuple[str, tuple[int, int] | None], b: tuple[str, tuple[int, int] | None]) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


def _identities(inputs: Iterable[str | os.PathLike[str]], folders: Iterable[str | os.PathLike[str]]
                ) -> list[tuple[tuple[str, tuple[int, int] | None], str]]:
    out = [(_identity(Path(p)), f"the input {p}") for p in inputs]
    for folder in folders:
        count = 0
        for root, _dirs, files in os.walk(folder):
            for name in files:
                count += 1
                if count > MAX_DATA_FILES:
                    return out
                p = Path(root) / name
                out.append((_identity(p), f"the data file {p}"))
    return out


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (resolved) is an existing file inside ``folder`` (resolved)."""
    if not path.exists() or not stat.S_ISREG(path.stat().st_mode):
        return False
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def _writable(path: Path) -> None:
    """Refuse a target whose folder is missing-and-uncreatable or not writable, or a folder."""
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputRefused("TS902", f"cannot write the report to {path}: it is a folder")
        if not stat.S_ISREG(st.st_mode):  # a device or FIFO is written to directly
            if not os.access(path, os.W_OK):
                raise OutputRefused("TS902", f"cannot write the report to {path}: permission denied")
            return
        if path.is_symlink():
            path = Path(os.path.realpath(path))
    folder = path.parent if str(path.parent) else Path(".")
    while not folder.exists():  # a missing folder is made, if its nearest existing parent allows
        if folder.is_symlink():
            raise OutputRefused("TS902", f"cannot write the report to {path}: {folder} is a broken link")
        folder = folder.parent
    if not folder.is_dir():
        raise OutputRefused("TS902", f"cannot write the report to {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputRefused("TS902", f"cannot write the report to {path}: the folder {folder} is not "
                                     "writable")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic_bytes(path: Path | str, data: bytes) -> None:
    """Binary output (an XLSX workbook, a PNG or PDF figure), as :func:`write_atomic` writes text."""
    write_atomic(path, data)
