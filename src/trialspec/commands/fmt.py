"""trialspec fmt PROTOCOL... [--check | --diff]: print the expressions of protocols canonically."""

from __future__ import annotations

import argparse
import os
import stat
import sys
from pathlib import Path

from trialspec.commands import EXIT_FINDINGS, EXIT_OK, files_exist

NAME = "fmt"
HELP = "canonical formatting of the expressions in protocols (comments and layout kept)"

BOM = b"\xef\xbb\xbf"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocols", nargs="+", metavar="PROTOCOL")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if a file would change (for CI)")
    mode.add_argument("--diff", action="store_true",
                      help="write nothing; print the changes as a unified diff")


def run(args: argparse.Namespace) -> int:
    files_exist(args.protocols)
    from trialspec.fmt import Formatted, format_text
    from trialspec.protocol.yamlload import decode_source
    from trialspec.report.console import print_text
    from trialspec.report.diagnostics import render_all
    from trialspec.report.output import write_atomic

    status, changed_files = EXIT_OK, 0
    for name in args.protocols:
        data = Path(name).read_bytes()
        source, diags = decode_source(data, name)
        result = Formatted(name, source.text, [], diags) if diags else format_text(source.text, name)
        if result.diagnostics:
            print_text(render_all(result.diagnostics, {name: source}))
        if not result.ok:
            print(f"error: {name} has errors and was not formatted", file=sys.stderr)
            status = EXIT_FINDINGS
            continue
        if not result.changed:
            continue
        changed_files += 1
        count = f"{len(result.changed)} expression" + ("s" if len(result.changed) != 1 else "")
        if args.check:
            print(f"would reformat {name} ({count})")
            for rw in result.changed:
                print(f"  {rw.span}: {rw.old}  ->  {rw.new}")
            status = EXIT_FINDINGS
        elif args.diff:
            import difflib

            sys.stdout.writelines(difflib.unified_diff(
                source.text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                f"{name} (original)", f"{name} (formatted)"))
        else:
            bom = "\ufeff" if data.startswith(BOM) else ""
            mode = Path(name).stat().st_mode
            write_atomic(Path(name), bom + result.text)
            os.chmod(name, stat.S_IMODE(mode))  # the temporary file was created 0600
            print(f"reformatted {name} ({count})")
    total = len(args.protocols)
    verb = "would be reformatted" if args.check or args.diff else "reformatted"
    print(f"{changed_files} of {total} file{'s' if total != 1 else ''} {verb}", file=sys.stderr)
    return status
