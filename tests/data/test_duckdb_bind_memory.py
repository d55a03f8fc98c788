"""Binding a large Parquet cohort in DuckDB streams: peak memory stays far below the data's size
in pandas. A subprocess generates the cohort with DuckDB, binds it natively through the duckdb
backend (conformance checks, keys, units, the SqlFrames), evaluates every criterion in SQL, then
reports its peak RSS
(its own ``VmHWM``). Run this file as a script for larger cohorts:
``python tests/data/test_duckdb_bind_memory.py 20000000``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SUBJECTS = 500_000
MEMORY_LIMIT = "1GB"  # DuckDB's buffers; beyond, it spills to its temporary directory
# Measured 2026-12-07 on the 2-core machine at 500k subjects: 375-385 MiB alone (265 MiB on
# 2026-12-08; the figures inside the whole suite, up to 1280 MiB, were the forking pytest
# worker's RSS, which getrusage carries over exec: now read as VmHWM); the
# pandas binder, reading the same Parquet through pyarrow, peaked at 433 MiB. So this bound
# catches a binder that materialises the cohort (Python objects per cell), not a small change.
PEAK_MIB = 1200

PROTOCOL = """\
trialspec: 1
study: {id: BIG}
datasets:
  subjects:
    source: cohort.parquet
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      sex: {type: category, levels: [F, M]}
      consent: {type: date}
      creatinine: {type: number, unit: umol/L, unit_column: creat_unit, analyte: creatinine}
      smoker: {type: boolean}
eligibility:
  inclusion:
    I1: {text: Adult, when: age >= 18}
    I2: {text: Creatinine below 120 umol/L, when: creatinine < 120 umol/L}
    I3: {text: Consented in 2014, when: consent >= 2014-01-01 and consent <= 2014-12-31}
  exclusion:
    E1: {text: Smoker, when: smoker}
"""

CHILD = r"""
import json, sys, time
from pathlib import Path
import numpy as np
from trialspec.engine import get_backend
from trialspec.pipeline import compile_protocol

n, folder, protocol = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
(folder / "p.yaml").write_text(protocol)
compiled, diags, _ = compile_protocol(folder / "p.yaml")
backend = get_backend("duckdb")
start = time.perf_counter()
bound = backend.bind(compiled.model, folder)  # native binding (engine/duckdb/bind.py)
frames = bound.frames
eligible = np.ones(frames.n, bool)
for criterion in compiled.checked.criteria:  # each criterion evaluated in SQL, fetched as arrays
    value = backend.evaluate(criterion.node, frames)
    sure = np.asarray(value.value, bool) & np.asarray(value.known, bool)
    eligible &= sure if criterion.kind == "inclusion" else ~sure & np.asarray(value.known, bool)
seconds = time.perf_counter() - start
# this process's own high-water mark (VmHWM): getrusage's ru_maxrss also holds the RSS the
# parent had when it forked (a pytest worker past 1.2 GiB made this test fail, measuring 1280 MiB)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024  # KiB
print(json.dumps({"subjects": len(frames.subjects), "eligible": int(eligible.sum()), "seconds": seconds,
                  "peak_mib": peak, "native": frames.source is None, "findings": len(bound.diagnostics)}))
"""


GENERATE = r"""
import sys
from pathlib import Path
import duckdb

n, path = int(sys.argv[1]), Path(sys.argv[2]) / "cohort.parquet"
duckdb.sql(f'''COPY (SELECT printf('S%09d', i) AS subject_id, CAST(18 + i % 70 AS DOUBLE) AS age,
    CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex,
    CASE WHEN i % 97 = 0 THEN '2014-06'
         ELSE strftime(DATE '2014-01-01' + CAST(i % 365 AS INTEGER), '%Y-%m-%d') END AS consent,
    CASE WHEN i % 100 = 0 THEN NULL ELSE CAST(50 + i % 90 AS DOUBLE) END AS creatinine,
    CASE WHEN i % 3 = 0 THEN 'mg/dL' ELSE 'umol/L' END AS creat_unit,
    CASE WHEN i % 5 = 0 THEN 'yes' ELSE 'no' END AS smoker
    FROM range({n}) t(i)) TO '{path}' (FORMAT parquet)''')
"""


def measure(n: int, folder: Path) -> dict[str, float]:
    """Generate the cohort (in its own process, so its cost is not measured), then bind and
    screen it in another and return what that one reports."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", GENERATE, str(n), str(folder)], check=True, capture_output=True)
    env = {**os.environ, "TRIALSPEC_DUCKDB_MEMORY": MEMORY_LIMIT}
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(folder), PROTOCOL],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    last = out.stdout.strip().splitlines()[-1]
    result: dict[str, float] = json.loads(last[last.index("{"):])  # (past a progress bar)
    return result


def test_a_large_parquet_cohort_binds_and_screens_in_bounded_memory(tmp_path: Path) -> None:
    got = measure(SUBJECTS, tmp_path)
    assert got["native"] and got["subjects"] == SUBJECTS
    assert got["findings"] == 0
    assert got["eligible"] > 0
    assert got["peak_mib"] < PEAK_MIB, got


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for arg in sys.argv[1:] or [str(SUBJECTS)]:
            print(arg, measure(int(arg), Path(tmp) / arg))
