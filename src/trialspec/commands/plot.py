"""trialspec plot PROTOCOL --data DIR --figure NAME --output FILE: one figure for a paper or slide.

The figure is drawn from the check's results, as in the HTML report; the file's suffix picks
the format (.svg, .png, .pdf). A figure that comes in several (one Kaplan-Meier plot per
analysis) is chosen with --analysis; without it, the first is written and the others named.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trialspec.commands import EXIT_OK, UsageError, data_dir, files_exist, guard_outputs
from trialspec.figures import FIGURES  # the table only: matplotlib is imported when drawing

NAME = "plot"
HELP = "draw one figure (km, forest, consort, swimmer, waterfall, dosing) from a check, to a file"
FIGURE_CHOICES = tuple(FIGURES)
SUFFIXES = (".svg", ".png", ".pdf")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("protocol", metavar="PROTOCOL")
    p.add_argument("--data", metavar="DIR", required=True, help="the folder holding the datasets")
    p.add_argument("--figure", choices=FIGURE_CHOICES, required=True)
    p.add_argument("--analysis", metavar="ID",
                   help="which one, when the study has several (an analysis id, e.g. T3, or a figure key)")
    p.add_argument("--output", metavar="FILE", required=True,
                   help="where to write it (atomically): FILE.svg, FILE.png or FILE.pdf")


def run(args: argparse.Namespace) -> int:
    files_exist([args.protocol])
    data_dir(args.data)
    out = Path(args.output)
    if out.suffix.lower() not in SUFFIXES:
        raise UsageError(f"--output must end in {', '.join(SUFFIXES)}: {args.output}")
    _not_an_input(out, Path(args.protocol), Path(args.data))
    guard_outputs(args, [args.protocol], [args.data])  # hard links to inputs too, before the run
    from trialspec.figures import module, specs
    from trialspec.figures._render import save
    from trialspec.pipeline import check
    from trialspec.report.output import write_atomic_bytes

    result = check(args.protocol, args.data)
    found, absent = specs(result, args.figure)
    if not found:
        raise UsageError(f"no {args.figure} figure for this study: {absent}")
    chosen = found
    if args.analysis:
        names = {s.key: (s.key, s.data.get("analysis"), s.key.split("-", 1)[-1]) for s in found}
        chosen = [s for s in found if args.analysis in names[s.key]]
        if not chosen:
            raise UsageError(f"no {args.figure} figure for {args.analysis!r}; there are: "
                             + ", ".join(s.key for s in found))
    spec = chosen[0]
    write_atomic_bytes(out, save(module(args.figure).draw(spec), out, spec.caption))
    others = [s.key for s in found if s is not spec]
    print(f"wrote {out}: {spec.title}" + (f" (others: {', '.join(others)}; choose with --analysis)"
                                          if others else ""), file=sys.stderr)
    return EXIT_OK


def _not_an_input(out: Path, protocol: Path, data: Path) -> None:
    """Refuse to write a figure over the protocol or into the data folder."""
    target = out.resolve()
    if target == protocol.resolve():
        raise UsageError(f"--output {out} is the protocol itself")
    if target.is_relative_to(data.resolve()):
        raise UsageError(f"--output {out} is inside the data folder {data}; write figures elsewhere")
