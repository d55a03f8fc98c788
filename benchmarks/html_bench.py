"""The HTML report of a 100,000-subject study: written in under 10 s and under 50 MB.

The study is the diabetes example (examples/t2dm-glucoflozin, itself synthetic and generated
by its seeded generate.py) copied 569 times over with new subject ids (S001 -> S001-0007), so
every section and figure has 100k subjects behind it: eligibility and the CONSORT flow, dosing
and its heat map, the swimmer plot (which samples, and says so), Kaplan-Meier curves with the
number at risk, the claims. The check itself runs once, untimed here; what is timed is the
whole report write (every figure drawn, the page assembled, the file written atomically), the
best of REPEATS.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from benchmarks._common import Timer, table
from trialspec.pipeline import check
from trialspec.report.formats import render_check
from trialspec.report.output import write_atomic

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "protocols" / "t2dm-glucoflozin.yaml"
DATA = ROOT / "examples" / "t2dm-glucoflozin" / "data"
COPIES = 569  # x 176 screened = 100,144 subjects
REPEATS = 3
LIMIT_SECONDS = 10.0
LIMIT_BYTES = 50 * 1024 * 1024
KEYS = {"subjects.csv": "subject_id", "lb.csv": "USUBJID", "ex.csv": "USUBJID"}


def make_study(folder: Path, copies: int = COPIES) -> int:
    """The example's tables, each subject copied ``copies`` times; returns the subjects."""
    n = 0
    for name, key in KEYS.items():
        frame = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
        parts = [frame.assign(**{key: frame[key] + f"-{k:04d}"}) for k in range(copies)]
        big = pd.concat(parts, ignore_index=True)
        big.to_csv(folder / name, index=False)
        if name == "subjects.csv":
            n = len(big)
    return n


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="trialspec-html-bench-") as tmp:
        folder = Path(tmp)
        data = folder / "data"
        data.mkdir()
        subjects = make_study(data)
        start = time.perf_counter()
        result = check(PROTOCOL, data)
        check_seconds = time.perf_counter() - start
        timer = Timer()
        out = folder / "report.html"
        for _ in range(REPEATS):
            with timer("report write"):
                write_atomic(out, render_check("html", result))
        size = out.stat().st_size
        figures = out.read_text("utf-8").count("<figure ")
    seconds = timer.best["report write"]
    print(f"{subjects:,} subjects (the diabetes example x {COPIES}); check {check_seconds:.1f} s (untimed)")
    print(table([("stage", "seconds", "MB", "figures"),
                 ("HTML report write", f"{seconds:.2f}", f"{size / 1e6:.2f}", str(figures))]))
    ok = seconds < LIMIT_SECONDS and size < LIMIT_BYTES
    print(f"target: < {LIMIT_SECONDS:g} s and < {LIMIT_BYTES / 1024 / 1024:g} MB: "
          f"{'met' if ok else 'NOT MET'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
