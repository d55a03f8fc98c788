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

    check = sub.add_parser("check", help="everything: data conformance, eligibility, dosing, response, "
                                         "analyses, reported claims")
    check.add_argument("protocol", metavar="PROTOCOL")
    check.add_argument("--data", metavar="DIR", required=True, help="the folder holding the datasets")
    _output_options(check)

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
    if not (args.data and args.subject):
        raise UsageError("explain PROTOCOL needs --data DIR and --subject ID")
    _files_exist([args.target])
    _data_dir(args.data)
    from trialspec.pipeline import explain_subject
    from trialspec.report.check import console, explain_console, to_document

    result, tables = explain_subject(args.target, args.data, args.subject)
    elig = result.section("eligibility")
    if elig is None:  # the protocol or data could not be screened: show why
        _print(console(result), args)
        return EXIT_FINDINGS
    if args.subject not in {s["id"] for s in elig.summary["subjects"]}:
        raise UsageError(f"no subject {args.subject!r} in the population")
    if args.format == "json":
        import json

        doc = {"subject": args.subject, "tables": [
            {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]} for t in tables]}
        _emit(json.dumps(doc, indent=2) + "\n", args)
    else:
        _print(explain_console(result, args.subject, tables), args)
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    _files_exist([args.protocol])
    _data_dir(args.data)
    from trialspec.pipeline import check
    from trialspec.report.check import console, failed, to_document

    result = check(args.protocol, args.data)
    if args.format == "json":
        import json

        _emit(json.dumps(to_document(result), indent=2) + "\n", args)
    else:
        _print(console(result), args)
    return EXIT_FINDINGS if failed(result) else EXIT_OK


def _data_dir(path: str) -> None:
    if not Path(path).is_dir():
        raise UsageError(f"no such data directory: {path}")


def _print(renderable: object, args: argparse.Namespace) -> None:
    from trialspec.report.console import print_renderable

    print_renderable(renderable, args.output)


COMMANDS = {"lint": cmd_lint, "check": cmd_check, "explain": cmd_explain}

if __name__ == "__main__":
    sys.exit(main())
