"""trialspec lock PROTOCOL --data DIR: record key results with hashes of protocol, data and engine."""

from __future__ import annotations

import argparse
import sys

from trialspec.commands import EXIT_FINDINGS, EXIT_OK, data_dir, files_exist, guard_outputs, show

NAME = "lock"
HELP = "record key results and the hashes of protocol, data and engine in PROTOCOL.lock.json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", metavar="PROTOCOL")
    p.add_argument("--data", metavar="DIR", required=True, help="the folder holding the datasets")
    p.add_argument("--details", "-v", action="store_true",
                   help="console: every finding in full and every section's tables")


def run(args: argparse.Namespace) -> int:
    files_exist([args.protocol])
    data_dir(args.data)
    from pathlib import Path

    from trialspec.repro.lock import lock_path

    target = lock_path(args.protocol)  # replaced by design; never the protocol, nor another data file
    guard_outputs(args, [args.protocol], [args.data], extra=[target], replaces=[target])

    from trialspec.diagnostics import Severity
    from trialspec.report.output import write_atomic
    from trialspec.repro.canonical import dump
    from trialspec.repro.jobs import lock_job
    from trialspec.repro.verify import leaves

    result, doc = lock_job(args.protocol, args.data)
    if doc is None:  # nothing computed: show why, write nothing
        from trialspec.report.check import console

        show(console(result, args.details), args)
        print(f"trialspec: nothing locked: {args.protocol} could not be checked", file=sys.stderr)
        return EXIT_FINDINGS
    write_atomic(Path(target), dump(doc)[0])
    values = leaves(doc["results"]) + leaves(doc["findings"])
    print(f"wrote {target}: {len(doc['results'])} sections, {values} values, "
          f"results sha256 {doc['results_sha256'][:12]}")
    errors = [d for d in result.all_findings if d.severity is Severity.ERROR]
    accepted = sum(d in result.accepted for d in errors)
    if errors:  # findings are results too, and are locked; say so, so nobody is surprised
        also = f" ({accepted} of them accepted)" if accepted else ""
        print(f"note: the check has {len(errors)} error finding{'s' * (len(errors) != 1)}{also}, locked with "
              f"the results; `trialspec check {args.protocol} --data {args.data}` shows them")
    return EXIT_OK
