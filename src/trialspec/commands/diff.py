"""trialspec diff OLD NEW [--data DIR]: what an amendment changes, in words, and whom it affects.

Exit status, as diff(1): 0 no semantic change, 1 changes found or a protocol with errors (shown
as diagnostics, like lint's findings), 2 a usage error (a missing file, a refused output).
"""

from __future__ import annotations

import argparse
import json
import sys

from trialspec.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    data_dir,
    emit,
    files_exist,
    guard_outputs,
    output_options,
)

NAME = "diff"
HELP = "semantic diff of two protocol versions; with --data, which subjects and results move"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--data", metavar="DIR", help="run both versions on these data and show the impact")
    output_options(p, ("console", "json", "markdown", "html"))


def run(args: argparse.Namespace) -> int:
    files_exist([args.old, args.new])
    if args.data:
        data_dir(args.data)
    guard_outputs(args, [args.old, args.new], [args.data] if args.data else [])
    from trialspec.diagnostics import has_errors
    from trialspec.diff import diff_files, measure_impact, render

    result = diff_files(args.old, args.new)
    if has_errors(result.diagnostics):
        from trialspec.protocol.yamlload import read_source
        from trialspec.report.console import print_text
        from trialspec.report.diagnostics import render_all

        sources = {}
        for path in (args.old, args.new):
            source, _ = read_source(path)
            if source is not None:
                sources[path] = source
        print_text(render_all(result.diagnostics, sources))
        print("trialspec: error: cannot diff protocols with errors", file=sys.stderr)
        return EXIT_FINDINGS
    impact = None
    if args.data and not result.identical:
        impact = measure_impact(args.old, args.new, args.data)
    if args.format == "json":
        emit(json.dumps(render.to_json(result, impact), indent=2, default=str) + "\n", args)
    elif args.format == "markdown":
        emit(render.markdown(result, impact), args)
    elif args.format == "html":
        from trialspec.report.html_diff import render_diff

        emit(render_diff(result, impact), args)
    else:
        from trialspec.report.console import print_text

        text = render.console(result, impact)
        if args.data and result.identical:
            text.append(f"\nImpact on {args.data}: none (no semantic change)\n")
        print_text(text, args.output)
    return EXIT_OK if result.identical else EXIT_FINDINGS
