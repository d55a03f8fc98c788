"""trialspec lint PROTOCOL...: static checks of protocol files."""

from __future__ import annotations

import argparse

from trialspec.commands import EXIT_FINDINGS, EXIT_OK, emit, files_exist, guard_outputs, output_options

NAME = "lint"
HELP = "static checks: syntax, schema, names, types, units"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocols", nargs="+", metavar="PROTOCOL")
    output_options(p, ("console", "json", "sarif"))


def run(args: argparse.Namespace) -> int:
    from trialspec.pipeline import lint

    files_exist(args.protocols)
    guard_outputs(args, args.protocols)
    result = lint(args.protocols)
    if args.format == "console":
        from trialspec.report.console import print_text
        from trialspec.report.diagnostics import render_all

        print_text(render_all(result.diagnostics, result.sources), args.output)
    else:
        from trialspec.report.formats import render_diagnostics

        emit(render_diagnostics(args.format, result.diagnostics, result.sources), args)
    return EXIT_OK if result.ok else EXIT_FINDINGS
