"""One module per command: ``NAME``, ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``.

Command modules are imported when the command line is built, so they import nothing heavy
at module level; each ``run`` imports what it needs. ``cli.COMMAND_MODULES`` lists them.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
REPORT_FORMATS = ("console", "json", "markdown", "junit", "sarif", "html")


class UsageError(Exception):
    """A problem with how trialspec was called: exit status 2, with a TS9xx code."""

    def __init__(self, message: str, code: str = "TS900"):
        self.code = code
        super().__init__(message)


def output_options(p: argparse.ArgumentParser, formats: Sequence[str] = REPORT_FORMATS) -> None:
    p.add_argument("--format", choices=formats, default="console")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")


def engine_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", metavar="ENGINE", default="pandas",
                   help="pandas (default), duckdb, spark, or auto: duckdb when the data are large "
                        "(docs/engine.md, \"The SQL engines\"); every engine gives the same results")


def engine(name: str, data: str | None) -> str:
    """The registered engine ``--engine NAME`` means for the data folder ``data`` (TS907 when
    it is unknown or not installed); decided from file sizes, before any work."""
    from trialspec.engine import EngineUnavailable, choose_engine

    try:
        return choose_engine(name, data)
    except EngineUnavailable as err:
        raise UsageError(str(err), "TS907") from None


def files_exist(paths: Sequence[str]) -> None:
    for p in paths:
        path = Path(p)
        try:
            path.stat()
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise UsageError(f"cannot read {p}: a symbolic link that points to itself", "TS906") from None
            raise UsageError(f"no such file: {p}") from None
        if not path.is_file():
            raise UsageError(f"cannot read {p}: not a file", "TS906")


def guard_outputs(args: argparse.Namespace, inputs: Sequence[str | Path] = (),
                  folders: Sequence[str | Path] = (), extra: Sequence[str | Path | None] = (),
                  replaces: Sequence[str | Path] = ()) -> None:
    """Refuse, before any work, an output (``--output``, ``--json``, ``extra``) that is an input
    or cannot be written (report.output.check_outputs says which)."""
    from trialspec.report.output import OutputRefused, check_outputs

    outputs = [getattr(args, "output", None), getattr(args, "json_file", None), *extra]
    try:
        check_outputs(outputs, inputs, folders, replaces)
    except OutputRefused as err:
        raise UsageError(str(err), err.code) from None


def data_dir(path: str) -> None:
    if not Path(path).is_dir():
        raise UsageError(f"no such data directory: {path}")


def emit(text: str, args: argparse.Namespace) -> None:
    """Write a text report to --output (atomically) or stdout."""
    if getattr(args, "output", None):
        from trialspec.report.output import write_atomic

        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A status line on the terminal (stderr) naming the stage at work; silent when piped."""
    if not sys.stderr.isatty():
        yield lambda stage: None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting") as status:
        yield lambda stage: status.update(f"trialspec: {stage}")


def show(renderable: Any, args: argparse.Namespace) -> None:
    """Print a rich renderable, or write it as plain text to --output."""
    from trialspec.report.console import print_renderable

    print_renderable(renderable, getattr(args, "output", None))
