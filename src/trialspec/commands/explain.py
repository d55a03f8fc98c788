"""trialspec explain CODE | PROTOCOL --data DIR --subject ID."""

from __future__ import annotations

import argparse
import json

from trialspec.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    UsageError,
    data_dir,
    emit,
    engine,
    engine_option,
    files_exist,
    guard_outputs,
    output_options,
    show,
)

NAME = "explain"
HELP = "explain a diagnostic code, or one subject's results clause by clause"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="CODE|PROTOCOL")
    p.add_argument("--data", metavar="DIR")
    p.add_argument("--subject", metavar="ID")
    output_options(p, ("console", "json"))
    engine_option(p)


def run(args: argparse.Namespace) -> int:
    from trialspec.codes import CODES

    code = args.target.upper()
    if code in CODES:
        guard_outputs(args)
        from trialspec.report.codes import code_page

        emit(code_page(CODES[code]), args)
        return EXIT_OK
    if code.startswith("TS") and code[2:].isdigit():
        raise UsageError(f"unknown diagnostic code {args.target}; `trialspec explain TS101` shows one")
    if not (args.data and args.subject):
        raise UsageError("explain PROTOCOL needs --data DIR and --subject ID")
    files_exist([args.target])
    data_dir(args.data)
    guard_outputs(args, [args.target], [args.data])
    backend_name = engine(args.engine, args.data)
    from trialspec.pipeline import explain_subject
    from trialspec.report.check import console, explain_console

    result, tables = explain_subject(args.target, args.data, args.subject, backend_name)
    elig = result.section("eligibility")
    if elig is None:  # the protocol or the data could not be screened: show why
        show(console(result), args)
        return EXIT_FINDINGS
    if tables is None:
        raise UsageError(f"no subject {args.subject!r} in the population")
    if args.format == "json":
        doc = {"subject": args.subject, "tables": [
            {"title": t.title, "columns": list(t.columns), "rows": [list(r) for r in t.rows]}
            for t in tables]}
        emit(json.dumps(doc, indent=2, default=str) + "\n", args)
    else:
        show(explain_console(result, args.subject, tables), args)
    return EXIT_OK
