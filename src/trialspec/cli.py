"""The command line: builds the parser from the command modules, runs one, sets the exit code.

Exit status: 0 clean, 1 findings, 2 usage errors (bad arguments, missing files).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from trialspec.commands import EXIT_OK, EXIT_USAGE, UsageError

# Each module defines NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMAND_MODULES = (
    "trialspec.commands.lint",
    "trialspec.commands.check",
    "trialspec.commands.explain",
    "trialspec.commands.fmt",
    "trialspec.commands.lock",
    "trialspec.commands.verify",
    "trialspec.commands.diff",
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


def _parser(commands: dict[str, ModuleType]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trialspec",
        description="A declarative language for clinical study protocols, and a validator that runs them.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in commands.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return p


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a reader that went away


def main(argv: Sequence[str] | None = None) -> int:
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
        print(f"trialspec: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`trialspec check ... | head`), as a shell's
        _quiet_stdout()      # command killed by SIGPIPE would: 128 + 13, never a traceback
        return EXIT_BROKEN_PIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that Python's exit flush does not fail on the closed pipe."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
