"""The command line: builds the parser from the command modules, runs one, sets the exit code.

Exit status: 0 clean, 1 findings, 2 usage errors (bad arguments, missing files, refused
outputs), 70 an internal error (a bug: reported as one, with ``--debug`` for the traceback),
130 interrupted, 141 the reader closed the pipe.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from trialspec.commands import EXIT_OK, EXIT_USAGE, UsageError
from trialspec.report.output import OutputRefused

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMAND_MODULES = (
    "trialspec.commands.lint",
    "trialspec.commands.check",
    "trialspec.commands.explain",
    "trialspec.commands.fmt",
    "trialspec.commands.lock",
    "trialspec.commands.verify",
    "trialspec.commands.diff",
    "trialspec.commands.infer",
    "trialspec.commands.plot",
)


def _commands() -> dict[str, ModuleType]:
    found = {}
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a command module that exists but is broken is a bug
                raise
            continue
        found[module.NAME] = module
    return found


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors coded like every other refusal (TS900, exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error[TS900]: {message}\n")


def _parser(commands: dict[str, ModuleType]) -> argparse.ArgumentParser:
    p = _Parser(
        prog="trialspec",
        description="A declarative language for clinical study protocols, and a validator that runs them.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--debug", action="store_true",
                   help="on an internal error, show the Python traceback (for a bug report)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in commands.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return p


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that went away
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): trialspec itself failed
REPORT_TO = "the trialspec maintainers (README.md, \"Reporting a bug\")"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # accepted anywhere on the line, so it can be added to any command
    argv = [a for a in argv if a != "--debug"]
    _closed_streams_to_devnull()
    try:
        return _main(argv)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except Exception as err:  # the last guard: a bug is said to be one, never a traceback
        if debug:
            import traceback

            traceback.print_exc()
        _internal_error(err, argv, debug)
        return EXIT_INTERNAL


def _internal_error(err: BaseException, argv: Sequence[str], debug: bool) -> None:
    import platform
    import shlex

    from trialspec import __version__

    what = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    lines = [
        f"trialspec: internal error[TS910]: {what}",
        f"  trialspec {__version__}, Python {platform.python_version()}",
        f"  command: {shlex.join(['trialspec', *argv])}",
        "  This is a bug in trialspec, not a problem with your input. Please report it to",
        f"  {REPORT_TO}, with the command above and, if you can share them, the inputs.",
    ]
    if not debug:
        lines.append("  Run the command again with --debug to see the traceback.")
    import contextlib

    with contextlib.suppress(OSError, ValueError):  # stderr itself is gone: the exit status says it
        print("\n".join(lines), file=sys.stderr)


def _main(argv: list[str]) -> int:
    commands = _commands()
    parser = _parser(commands)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse reports usage errors itself, with status 2
        return int(exit_.code or 0)
    if args.version:
        from trialspec import __version__

        print(f"trialspec {__version__}")
        return EXIT_OK
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        code = int(commands[args.command].run(args))
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return code
    except UsageError as err:
        print(f"trialspec: error[{err.code}]: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OutputRefused as err:  # an output that failed while being written (TS904)
        print(f"trialspec: error[{err.code}]: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`trialspec check ... | head`), as a shell's
        _quiet_stdout()      # command killed by SIGPIPE would: 128 + 13, never a traceback
        return EXIT_BROKEN_PIPE


def _closed_streams_to_devnull() -> None:
    """Run with stdout or stderr closed (``trialspec lint p.yaml >&-``), Python has None there;
    write into the void instead of failing on it: the exit status still says what happened."""
    import os

    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush does not fail on the closed pipe."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
