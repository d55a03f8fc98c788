"""trialspec check PROTOCOL --data DIR: everything, on the data."""

from __future__ import annotations

import argparse

from trialspec.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    REPORT_FORMATS,
    data_dir,
    engine,
    engine_option,
    files_exist,
    guard_outputs,
    output_options,
    progress,
    show,
)
from trialspec.commands.triage import apply_triage, emit_report, require_output, triage_options

NAME = "check"
HELP = "everything: data conformance, eligibility, dosing, response, analyses, reported claims"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", metavar="PROTOCOL")
    p.add_argument("--data", metavar="DIR", required=True, help="the folder holding the datasets")
    output_options(p, (*REPORT_FORMATS, "csv", "xlsx"))
    p.add_argument("--json", metavar="FILE", dest="json_file",
                   help="also write the JSON report here (atomically), beside the --format report")
    triage_options(p)
    engine_option(p)


def run(args: argparse.Namespace) -> int:
    files_exist([args.protocol])
    data_dir(args.data)
    require_output(args)
    guard_outputs(args, [args.protocol, _lock_of(args.protocol)], [args.data], extra=_companions(args))
    backend_name = engine(args.engine, args.data)
    from trialspec.pipeline import check
    from trialspec.report.check import console, failed

    with progress() as step:
        result = check(args.protocol, args.data, backend_name=backend_name, progress=step)
    apply_triage(result, args)
    from trialspec.report.formats import render_check

    if args.json_file:
        from trialspec.report.output import write_atomic

        write_atomic(args.json_file, render_check("json", result))
    if args.format == "console":
        show(console(result, args.details), args)
    else:
        emit_report(args.format, result, args)
    from trialspec.report.json_subjects import write_subjects

    for report in _json_reports(args):  # a large study's subjects: Parquet beside the JSON
        write_subjects(result, report)
    return EXIT_FINDINGS if failed(result) and not args.exit_zero else EXIT_OK


def _json_reports(args: argparse.Namespace) -> list[str]:
    reports = [args.json_file] if args.json_file else []
    return reports + ([args.output] if args.format == "json" and args.output else [])


def _companions(args: argparse.Namespace) -> list[str | None]:
    from trialspec.report.json_subjects import companion_path

    return [str(p) if (p := companion_path(r)) is not None else None for r in _json_reports(args)]


def _lock_of(protocol: str) -> str:
    from trialspec.repro.lock import lock_path

    return str(lock_path(protocol))
