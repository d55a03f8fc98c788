"""The command line. Parses arguments, calls one pipeline job, renders, sets the exit code.

Exit status: 0 clean, 1 findings, 2 usage errors (bad arguments, missing files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = ("console", "json")


class UsageError(Exception):
    """A problem with how trialspec was called: exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trialspec", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    lint = sub.add_parser("lint", help="static checks: syntax, schema, names, types, units")
    lint.add_argument("protocols", nargs="+", metavar="PROTOCOL")
    _output_options(lint)

    explain = sub.add_parser("explain", help="explain a diagnostic code, or one subject's results")
    explain.add_argument("target", metavar="CODE|PROTOCOL")
    explain.add_argument("--data", metavar="DIR")
    explain.add_argument("--subject", metavar="ID")
    _output_options(explain)
    return p


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="console")
    p.add_argument("--output", metavar="FILE", help="write the report here (atomically)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.version:
        from trialspec import __version__

        print(f"trialspec {__version__}")
        return EXIT_OK
    if not args.command:
        _parser().print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"trialspec: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _emit(text: str, args: argparse.Namespace) -> None:
    if args.output:
        from trialspec.report.output import write_atomic

        write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)


def _files_exist(paths: Sequence[str]) -> None:
    for p in paths:
        if not Path(p).is_file():
            raise UsageError(f"no such file: {p}")


def cmd_lint(args: argparse.Namespace) -> int:
    from trialspec.pipeline import lint

    _files_exist(args.protocols)
    result = lint(args.protocols)
    if args.format == "json":
        import json

        from trialspec.report.diagnostics import to_json

        doc = {"diagnostics": [to_json(d) for d in result.diagnostics], "ok": result.ok}
        _emit(json.dumps(doc, indent=2) + "\n", args)
    else:
        from trialspec.report.console import print_text
        from trialspec.report.diagnostics import render_all

        print_text(render_all(result.diagnostics, result.sources), args.output)
    return EXIT_OK if result.ok else EXIT_FINDINGS


def cmd_explain(args: argparse.Namespace) -> int:
    from trialspec.codes import CODES

    code = args.target.upper()
    if code in CODES:
        from trialspec.report.codes import code_page

        _emit(code_page(CODES[code]), args)
        return EXIT_OK
    if code.startswith("TS") and code[2:].isdigit():
        raise UsageError(f"unknown diagnostic code {args.target}; `trialspec explain TS101` shows one")
    raise UsageError("explain PROTOCOL needs --data DIR and --subject ID (coming with `check`)")


COMMANDS = {"lint": cmd_lint, "explain": cmd_explain}

if __name__ == "__main__":
    sys.exit(main())
