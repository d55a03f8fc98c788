"""trialspec infer DATA_DIR: draft the `datasets:` of a protocol from the data files."""

from __future__ import annotations

import argparse

from trialspec.commands import EXIT_OK, data_dir, emit, guard_outputs

NAME = "infer"
HELP = "draft a protocol's datasets (types, units, levels, keys, long SDTM tables) from a data folder"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA_DIR", help="the folder holding the data files")
    p.add_argument("--standard", choices=("sdtm",),
                   help="the data follow a standard: sdtm leaves out STUDYID and DOMAIN")
    p.add_argument("--output", metavar="FILE",
                   help="write the draft here (atomically); never over a data file")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    data_dir(args.data)
    from trialspec.infer.draft import FORMATS, infer_folder, render

    # never over a data file (by identity: a link to one is refused too); a .yaml beside them is fine
    guard_outputs(args, [p for p in Path(args.data).iterdir() if p.suffix.lower() in FORMATS])
    from trialspec.report.diagnostics import render as render_diagnostic

    drafts, diags = infer_folder(Path(args.data), args.standard)
    for d in diags:  # what the draft could not decide, on stderr: the draft itself stays clean YAML
        sys.stderr.write(render_diagnostic(d, {}).plain)
    emit(render(drafts, args.data, args.standard), args)
    return EXIT_OK
