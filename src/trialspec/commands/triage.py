"""The options that decide which findings count, shared by commands that check data.

``--select``/``--ignore`` (codes or prefixes, as ruff's), ``--exit-zero``, ``--baseline`` and
``--write-baseline``, and ``--details`` (``-v``) for the console. The decisions themselves are
:mod:`trialspec.triage`'s.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from trialspec.commands import UsageError, emit

_CODE = re.compile(r"^TS\d{0,3}$")


def _codes(text: str) -> list[str]:
    out = [c.strip().upper() for c in text.split(",") if c.strip()]
    bad = [c for c in out if not _CODE.match(c)]
    if bad:
        raise argparse.ArgumentTypeError(f"not a code or code prefix: {', '.join(bad)} (e.g. TS711, TS5)")
    return out


def triage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", metavar="CODES", type=_codes, action="extend", default=[],
                   help="report only findings whose code starts with one of these (comma-separated: "
                        "TS711,TS5)")
    p.add_argument("--ignore", metavar="CODES", type=_codes, action="extend", default=[],
                   help="drop findings whose code starts with one of these (the longer prefix wins)")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when findings fail the check (a crash or usage error still does not)")
    p.add_argument("--baseline", metavar="FILE",
                   help="accept the findings listed in this baseline file (see --write-baseline)")
    p.add_argument("--write-baseline", metavar="FILE",
                   help="write every finding not yet accepted to FILE, to pass later as --baseline")
    p.add_argument("--details", "-v", action="store_true",
                   help="console: every finding in full and every section's tables")


def apply_triage(result: Any, args: argparse.Namespace) -> None:
    """Selection, then a new baseline if asked (of the findings the protocol does not accept),
    then the baseline given."""
    from pathlib import Path

    from trialspec.triage import accept, baseline_text, read_baseline, select

    select(result, args.select, args.ignore)
    if args.write_baseline:  # before --baseline applies: the new baseline holds every finding
        from trialspec.report.output import write_atomic

        write_atomic(Path(args.write_baseline), baseline_text(result))
    if args.baseline:
        if not Path(args.baseline).is_file():
            raise UsageError(f"no such baseline file: {args.baseline}")
        entries, problems = read_baseline(args.baseline)
        result.diagnostics.extend(problems)
        accept(result, entries)
        select(result, args.select, args.ignore)  # a TS881/TS882 the user ignores stays ignored


def require_output(args: argparse.Namespace) -> None:
    """A binary format needs --output: said before the check runs, not after."""
    if args.format in BINARY_FORMATS and not getattr(args, "output", None):
        raise UsageError(f"--format {args.format} writes a binary file: give --output FILE")


def emit_report(fmt: str, result: Any, args: argparse.Namespace) -> None:
    """A text format through ``emit``; a binary one (xlsx) written atomically to --output."""
    from trialspec.report.formats import render_check

    if fmt in BINARY_FORMATS:
        from pathlib import Path

        from trialspec.report.output import write_atomic_bytes

        if not getattr(args, "output", None):
            raise UsageError(f"--format {fmt} writes a binary file: give --output FILE")
        write_atomic_bytes(Path(args.output), render_binary(fmt, result))
        return
    emit(render_check(fmt, result), args)


BINARY_FORMATS = ("xlsx",)


def render_binary(fmt: str, result: Any) -> bytes:
    from trialspec.report.spreadsheet import render_xlsx

    return {"xlsx": render_xlsx}[fmt](result)
