"""trialspec verify PROTOCOL [--data DIR]: recompute and compare with PROTOCOL.lock.json."""

from __future__ import annotations

import argparse

from trialspec.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    UsageError,
    data_dir,
    emit,
    files_exist,
    guard_outputs,
    output_options,
    show,
)

NAME = "verify"
HELP = "recompute the results and compare them with PROTOCOL.lock.json: what changed and why"


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"a relative tolerance is at least 0 and below 1, not {text}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", metavar="PROTOCOL")
    p.add_argument("--data", metavar="DIR",
                   help="the folder holding the datasets (default: the one the lock file names)")
    p.add_argument("--rtol", type=_tolerance, default=1e-9, metavar="R",
                   help="relative tolerance for numbers (default 1e-9)")
    output_options(p)
    p.add_argument("--details", "-v", action="store_true",
                   help="console: every finding in full and every table (inputs, changed results)")


def run(args: argparse.Namespace) -> int:
    files_exist([args.protocol])
    from pathlib import Path

    from trialspec.report.check import failed
    from trialspec.repro.jobs import locked_data_dir, verify_job
    from trialspec.repro.lock import lock_path, read_lock

    lock = lock_path(args.protocol)
    if not lock.is_file():
        raise UsageError(f"no lock file {lock}; make one with: trialspec lock {args.protocol} --data DIR")
    folder = args.data
    if folder is None:
        locked = read_lock(lock)
        folder = locked_data_dir(args.protocol, locked.doc)
        if folder is None and locked.doc is not None and isinstance(locked.doc.get("data_dir"), str):
            import os
            import shlex

            named = os.path.normpath(Path(args.protocol).parent / str(locked.doc["data_dir"]))
            raise UsageError(f"{lock} names the data folder {locked.doc['data_dir']!r}, outside the lock's "
                             "own folder, and a lock does not choose what verify reads; if that is your "
                             f"data, say so: --data {shlex.quote(named)}", "TS905")
        if folder is None and locked.doc is not None:
            raise UsageError(f"{lock} names no data folder; give --data DIR")
        if folder is not None and not Path(folder).is_dir():
            raise UsageError(f"the data folder the lock names ({folder}) does not exist; give --data DIR")
    else:
        data_dir(folder)
    guard_outputs(args, [args.protocol, lock], [folder] if folder else [])
    result = verify_job(args.protocol, folder, args.rtol)
    if args.format == "console":
        from rich.console import Group
        from rich.text import Text

        from trialspec.report.check import console
        from trialspec.repro.verify import verdict

        line = verdict(result.sections[0])
        style = "bold red" if failed(result) else "bold green"
        show(Group(console(result, args.details), Text(line, style=style)), args)
    else:
        from trialspec.report.formats import render_check

        emit(render_check(args.format, result), args)
    return EXIT_FINDINGS if failed(result) else EXIT_OK
