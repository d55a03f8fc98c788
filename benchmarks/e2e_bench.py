"""What a user runs, end to end, beside hand-written numpy, polars and DuckDB SQL.

A **synthetic** cohort (``make_chunk``: seeded random numbers, no real subject) of N subjects,
one row each: demographics, stage, a consent date (1% missing), nine labs (1% of each
missing) and a bilirubin whose unit varies by row (70% mg/dL, 30% umol/L, converted through
its molar mass). The protocol is ``benchmarks/e2e_protocol.yaml``: ten criteria (eight
inclusions, two exclusions), among them the unit-converted bilirubin and an ``or`` of three
branches. The cohort is written once as Parquet and as CSV (cached in ``BENCH_DATA``, default
``/tmp/trialspec-e2e-bench``), then, in the same run, each piece of work is timed in a
subprocess of its own, whose peak resident set (``os.wait4``'s ``ru_maxrss``) is reported:

- **DataFrames in memory**: the data read into memory first (untimed), then
  ``trialspec.run(protocol, tables=...)`` (the pandas engine: binding, screening, every
  section, the Study), beside hand-written numpy on the same pandas columns, polars on a
  polars DataFrame and DuckDB SQL on an Arrow table;
- **from Parquet / from CSV**: the whole process, start to exit: ``trialspec check --format
  json --output FILE`` (reading, every stage, writing the report), beside a process reading
  the same file and screening by hand (numpy through pyarrow, polars, DuckDB SQL).

Every side computes each criterion's pass / fail / unknown counts (three-valued: a missing
value leaves a criterion unknown), the attrition (remaining after each criterion) and the
status counts; the benchmark stops if any side disagrees. Other registered engines
(``trialspec.engine.backends()``: ``duckdb``, ``spark``) get a column of their own, run as
``trialspec check --engine NAME`` (and ``trialspec.run(..., engine=NAME)`` where the API takes
it). The markdown table is printed and written to ``benchmarks/results/e2e.md``.

Environment: ``BENCH_SIZES`` (default ``1e6,5e6``; add ``5e7`` for 50M: its rows skip the
in-memory and CSV work unless ``BENCH_LARGE_ALL=1``), ``BENCH_DATA`` (the cache folder),
``BENCH_WORK`` (the work to time, default ``frames,parquet,csv``),
``BENCH_RSS_LIMIT_GIB`` (a run whose resident set passes it is stopped and reported as such,
default 16), ``BENCH_TIMEOUT`` (seconds per run, default 1800), ``BENCH_ENGINES`` (the extra
engines to time; default every registered one).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = ROOT / "benchmarks" / "e2e_protocol.yaml"
RESULTS = ROOT / "benchmarks" / "results" / "e2e.md"
SEED = 20261207
MISSING = 0.01
UMOL_SHARE = 0.3
CHUNK = 2_500_000
STAGES = ("IA", "IB", "IIA", "IIB", "IIIA", "IIIB")
MG_DL_PER_UMOL_L = 584.66 / 1e4  # bilirubin, 584.66 g/mol: 1 umol/L = 0.058466 mg/dL
LABS = ("serum_m", "urine_m", "flc_kappa", "flc_lambda", "anc", "platelets", "ast", "alt", "crcl")
NUMBERS = ("age", "prior_cycles", "est_survival", "ecog", "pn_grade", "bilirubin", *LABS)
IDS = ("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "E1", "E2")
GIB = 1024 ** 3
LARGE = 20_000_000  # above this, only the Parquet work by default (BENCH_LARGE_ALL=1: all)


# -- the synthetic cohort ----------------------------------------------------------------------------


def make_chunk(start: int, n: int, seed: int = SEED) -> Any:
    """Subjects ``start`` .. ``start + n - 1`` as an Arrow table (reproducible chunk by chunk)."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng([seed, start])

    def lab(values: Any) -> Any:
        return pa.array(values.astype(float), mask=rng.random(n) < MISSING)

    ids = np.char.add("S", np.char.zfill(np.arange(start, start + n).astype("U10"), 9))
    umol = rng.random(n) < UMOL_SHARE
    bili_mg = rng.gamma(2.0, 0.55, n)
    consent = np.datetime64("2014-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")
    return pa.table({
        "subject_id": pa.array(ids, pa.string()),
        "age": pa.array(rng.integers(12, 90, n).astype(float)),
        "ds_stage": pa.array(np.array(STAGES, dtype=object)[rng.integers(0, len(STAGES), n)], pa.string()),
        "prior_cycles": pa.array(rng.integers(0, 9, n).astype(float)),
        "consent_date": pa.array(consent, pa.date32(), mask=rng.random(n) < MISSING),
        "serum_m": lab(rng.gamma(1.2, 0.6, n)),
        "urine_m": lab(rng.gamma(1.0, 150.0, n)),
        "flc_kappa": lab(rng.gamma(2.0, 6.0, n)),
        "flc_lambda": lab(rng.gamma(2.0, 4.0, n)),
        "anc": lab(rng.gamma(3.0, 0.8, n)),
        "platelets": lab(rng.gamma(4.0, 40.0, n)),
        "ast": lab(rng.gamma(2.0, 0.6, n)),
        "alt": lab(rng.gamma(2.0, 0.6, n)),
        "bilirubin": lab(np.round(np.where(umol, bili_mg / MG_DL_PER_UMOL_L, bili_mg), 3)),
        "bilirubin_unit": pa.array(np.where(umol, "umol/L", "mg/dL"), pa.string()),
        "est_survival": pa.array(rng.integers(1, 60, n).astype(float)),
        "ecog": pa.array(rng.integers(0, 5, n).astype(float)),
        "pn_grade": pa.array(rng.integers(0, 4, n).astype(float)),
        "crcl": lab(np.round(rng.normal(70.0, 25.0, n), 2)),
    })


def cohort(n: int) -> Path:
    """The folder holding ``subjects.parquet``, ``subjects.csv`` and the CSV protocol for N
    subjects, written once (chunk by chunk, so 50M never sits in memory) by a subprocess: the
    parent stays small, since a child's peak RSS as ``wait4`` reports it starts from its
    parent's peak (Linux carries the high-water mark across ``exec``)."""
    folder = Path(os.environ.get("BENCH_DATA", "/tmp/trialspec-e2e-bench")) / f"n{n}-s{SEED}"
    if not (folder / "DONE").exists():
        csv = "csv" if n <= LARGE or os.environ.get("BENCH_LARGE_ALL") == "1" else "no-csv"
        subprocess.run([*_python(), "-m", "benchmarks.e2e_bench", "--cohort", str(n), str(folder), csv],
                       env=_env(), cwd=ROOT, check=True)
    return folder


def write_cohort(n: int, folder: Path, csv: bool = True) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    done = folder / "DONE"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    schema = make_chunk(0, 1).schema
    with pq.ParquetWriter(folder / "subjects.parquet", schema) as pw, \
            pacsv.CSVWriter(folder / ("subjects.csv" if csv else "subjects.csv.skipped"), schema) as cw:
        for start in range(0, n, CHUNK):
            table = make_chunk(start, min(CHUNK, n - start))
            pw.write_table(table, row_group_size=1_000_000)
            if csv:
                cw.write_table(table)
    (folder / "protocol-csv.yaml").write_text(
        PROTOCOL.read_text("utf-8").replace("source: subjects.parquet", "source: subjects.csv"), "utf-8")
    done.write_text("")
    print(f"  (synthetic cohort of {n:,} written to {folder} in {time.perf_counter() - t0:.1f} s)",
          flush=True)


# -- counts: what every side must agree on --------------------------------------------------------


def counts_of_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """trialspec's eligibility summary as the shared shape."""
    return {"criteria": [[c["pass"], c["fail"], c["unknown"], c["remaining"]] for c in summary["criteria"]],
            "status": [summary["counts"][k] for k in ("eligible", "ineligible", "indeterminate")]}


def counts_of_outcomes(outcomes: list[Any], count: Callable[[Any], int]) -> dict[str, Any]:
    """Counts from per-criterion outcome columns (1 pass, 0 fail, -1 unknown) of numpy arrays."""
    import numpy as np

    still = np.ones(len(outcomes[0]), bool)
    any_fail = np.zeros(len(outcomes[0]), bool)
    rows = []
    for o in outcomes:
        p, f = o == 1, o == 0
        still &= p
        any_fail |= f
        rows.append([count(p), count(f), count(o == -1), count(still)])
    eligible, ineligible = count(still), count(any_fail)
    return {"criteria": rows, "status": [eligible, ineligible, len(outcomes[0]) - eligible - ineligible]}


# -- hand-written numpy -----------------------------------------------------------------------------


def screen_numpy(col: Callable[[str], Any]) -> dict[str, Any]:
    """``col(name)`` gives a numpy column: floats with NaN for missing, the stage and unit as
    strings (object), the consent date as datetime64 with NaT."""
    import numpy as np

    def tri(value: Any, known: Any) -> tuple[Any, Any]:
        return value & known, known

    def cmp(x: Any, op: Callable[[Any], Any]) -> tuple[Any, Any]:
        known = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            return op(x) & known, known

    def both(*parts: tuple[Any, Any]) -> tuple[Any, Any]:
        value = np.logical_and.reduce([v for v, _ in parts])
        false = np.logical_or.reduce([k & ~v for v, k in parts])
        return value, value | false

    def either(*parts: tuple[Any, Any]) -> tuple[Any, Any]:
        value = np.logical_or.reduce([v for v, _ in parts])
        known = np.logical_and.reduce([k for _, k in parts])
        return value, value | known

    num = {name: col(name) for name in ("age", "prior_cycles", "est_survival", "ecog", "pn_grade", *LABS)}
    n = len(num["age"])
    stage = col("ds_stage")
    unit = col("bilirubin_unit")
    factor = np.where(unit == "mg/dL", 1.0, np.where(unit == "umol/L", MG_DL_PER_UMOL_L, np.nan))
    bilirubin = col("bilirubin") * factor
    consent_known = ~np.isnat(col("consent_date"))
    kappa, lam = num["flc_kappa"], num["flc_lambda"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = kappa / lam
    ratio[~np.isfinite(ratio)] = np.nan
    involved = np.maximum(kappa, lam)  # NaN when either is missing, as trialspec's max
    inside_v, inside_k = both(cmp(ratio, lambda r: r >= 0.26), cmp(ratio, lambda r: r <= 1.65))
    ones = np.ones(n, bool)
    rules = [
        both(cmp(num["age"], lambda x: x >= 18), cmp(num["age"], lambda x: x <= 75), (consent_known, ones)),
        both(tri(np.isin(stage, ["IIA", "IIB", "IIIA", "IIIB"]), ones),
             cmp(num["prior_cycles"], lambda x: x >= 2)),
        either(cmp(num["serum_m"], lambda x: x >= 0.5), cmp(num["urine_m"], lambda x: x >= 200),
               both(cmp(involved, lambda x: x >= 10), (~inside_v & inside_k, inside_k))),
        both(cmp(num["anc"], lambda x: x >= 1.0), cmp(num["platelets"], lambda x: x >= 50)),
        both(cmp(num["ast"], lambda x: x <= 3), cmp(num["alt"], lambda x: x <= 3)),
        cmp(bilirubin, lambda x: x <= 2.0),
        cmp(num["est_survival"], lambda x: x >= 3),
        cmp(num["ecog"], lambda x: (x == 0) | (x == 1) | (x == 2)),
        cmp(num["pn_grade"], lambda x: x >= 2),
        cmp(num["crcl"], lambda x: x < 30),
    ]
    outcomes = []
    for j, (v, k) in enumerate(rules):
        passed = ~v if IDS[j].startswith("E") else v
        o = passed.astype(np.int8)
        o[~k] = -1
        outcomes.append(o)
    return counts_of_outcomes(outcomes, lambda a: int(np.count_nonzero(a)))


def numpy_columns(table: Any) -> Callable[[str], Any]:
    """Numpy columns of an Arrow table, as ``screen_numpy`` wants them."""
    import numpy as np

    def col(name: str) -> Any:
        c = table.column(name)
        if name in ("ds_stage", "bilirubin_unit"):
            return np.asarray(c.to_numpy(zero_copy_only=False), dtype=object)
        if name == "consent_date":
            return c.to_numpy(zero_copy_only=False).astype("datetime64[D]")
        return c.to_numpy(zero_copy_only=False).astype(float)  # nulls become NaN

    return col


# -- hand-written polars ---------------------------------------------------------------------------


def screen_polars(frame: Any) -> dict[str, Any]:
    """``frame``: a polars DataFrame or LazyFrame. Polars' ``&``/``|`` are Kleene on nulls."""
    import polars as pl

    c = pl.col
    kappa, lam = c("flc_kappa"), c("flc_lambda")
    involved = pl.when(kappa.is_null() | lam.is_null()).then(None).otherwise(pl.max_horizontal(kappa, lam))
    ratio = kappa / lam
    factor = pl.when(c("bilirubin_unit") == "mg/dL").then(1.0).when(
        c("bilirubin_unit") == "umol/L").then(MG_DL_PER_UMOL_L).otherwise(None)
    rules = [
        c("age").is_between(18, 75) & c("consent_date").is_not_null(),
        c("ds_stage").is_in(["IIA", "IIB", "IIIA", "IIIB"]) & (c("prior_cycles") >= 2),
        (c("serum_m") >= 0.5) | (c("urine_m") >= 200) | ((involved >= 10) & ~ratio.is_between(0.26, 1.65)),
        (c("anc") >= 1.0) & (c("platelets") >= 50),
        (c("ast") <= 3) & (c("alt") <= 3),
        c("bilirubin") * factor <= 2.0,
        c("est_survival") >= 3,
        c("ecog").is_in([0.0, 1.0, 2.0]),
        ~(c("pn_grade") >= 2),
        ~(c("crcl") < 30),
    ]
    outcome = [pl.when(r).then(1).when(~r).then(0).otherwise(-1).cast(pl.Int8).alias(i)
               for i, r in zip(IDS, rules, strict=True)]
    lazy = frame.lazy().select(outcome)
    aggs: list[Any] = []
    still: Any = pl.lit(True)
    any_fail: Any = pl.lit(False)
    for i in IDS:
        still = still & (c(i) == 1)
        any_fail = any_fail | (c(i) == 0)
        aggs += [(c(i) == 1).sum().alias(f"{i}p"), (c(i) == 0).sum().alias(f"{i}f"),
                 (c(i) == -1).sum().alias(f"{i}u"), still.sum().alias(f"{i}r")]
    aggs += [still.sum().alias("eligible"), any_fail.sum().alias("ineligible"), pl.len().alias("n")]
    row = lazy.select(aggs).collect().row(0, named=True)
    return {"criteria": [[int(row[f"{i}{x}"]) for x in "pfur"] for i in IDS],
            "status": [int(row["eligible"]), int(row["ineligible"]),
                       int(row["n"] - row["eligible"] - row["ineligible"])]}


# -- hand-written DuckDB SQL -------------------------------------------------------------------------

SQL_RULES = (
    "age BETWEEN 18 AND 75 AND consent_date IS NOT NULL",
    "ds_stage IN ('IIA', 'IIB', 'IIIA', 'IIIB') AND prior_cycles >= 2",
    "serum_m >= 0.5 OR urine_m >= 200 OR ((CASE WHEN flc_kappa IS NULL OR flc_lambda IS NULL THEN NULL"
    " ELSE greatest(flc_kappa, flc_lambda) END) >= 10"
    " AND NOT (flc_kappa / flc_lambda BETWEEN 0.26 AND 1.65))",
    "anc >= 1.0 AND platelets >= 50",
    "ast <= 3 AND alt <= 3",
    "bilirubin * (CASE bilirubin_unit WHEN 'mg/dL' THEN 1.0"
    f" WHEN 'umol/L' THEN {MG_DL_PER_UMOL_L!r} END) <= 2.0",
    "est_survival >= 3",
    "ecog IN (0, 1, 2)",
    "NOT (pn_grade >= 2)",
    "NOT (crcl < 30)",
)


def screen_sql(con: Any, source: str) -> dict[str, Any]:
    """The screening as one DuckDB query over ``source`` (a table name or a read_* call)."""
    outcomes = ", ".join(f"CASE WHEN ({r}) THEN 1 WHEN NOT ({r}) THEN 0 ELSE -1 END AS {i}"
                         for i, r in zip(IDS, SQL_RULES, strict=True))
    aggs = []
    for j, i in enumerate(IDS):
        still = " AND ".join(f"{x} = 1" for x in IDS[:j + 1])
        aggs += [f"count(*) FILTER ({i} = 1)", f"count(*) FILTER ({i} = 0)", f"count(*) FILTER ({i} = -1)",
                 f"count(*) FILTER ({still})"]
    every = " AND ".join(f"{x} = 1" for x in IDS)
    some = " OR ".join(f"{x} = 0" for x in IDS)
    aggs += [f"count(*) FILTER ({every})", f"count(*) FILTER ({some})", "count(*)"]
    query = f"WITH o AS (SELECT {outcomes} FROM {source}) SELECT {', '.join(aggs)} FROM o"
    row = [int(x) for x in con.execute(query).fetchone()]
    crit = [row[4 * j:4 * j + 4] for j in range(len(IDS))]
    e, i, n = row[-3:]
    return {"criteria": crit, "status": [e, i, n - e - i]}


# -- the workers: each runs in its own process ----------------------------------------------------------


def _read_arrow(folder: Path, fmt: str) -> Any:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt == "parquet":
        return pq.read_table(folder / "subjects.parquet")
    return pacsv.read_csv(folder / "subjects.csv",
                          convert_options=pacsv.ConvertOptions(column_types={"consent_date": "date32"}))


def worker(kind: str, folder: Path, engine: str) -> dict[str, Any]:
    """One timed piece of work; returns its counts and the seconds it timed itself (the
    parent times file work as the whole process instead)."""
    side, _, where = kind.partition("-")
    if where == "frames":  # read untimed, then time the work on the in-memory data
        table = _read_arrow(folder, "parquet")
        if side == "trialspec":
            import inspect

            import trialspec

            frame = table.to_pandas(date_as_object=False)
            del table
            kwargs: dict[str, Any] = {}
            if engine != "pandas":
                if "engine" not in inspect.signature(trialspec.run).parameters:
                    raise SystemExit(f"trialspec.run takes no engine= ({engine})")
                kwargs["engine"] = engine
            t0, c0 = time.perf_counter(), time.process_time()
            study = trialspec.run(str(PROTOCOL), tables={"subjects": frame}, **kwargs)
            out = counts_of_summary(study.result.section("eligibility").summary)  # type: ignore[union-attr]
        elif side == "numpy":
            frame = table.to_pandas(date_as_object=False)
            del table
            t0, c0 = time.perf_counter(), time.process_time()
            out = screen_numpy(lambda name: frame[name].to_numpy())
        elif side == "polars":
            import polars as pl

            frame = pl.from_arrow(table)
            del table
            t0, c0 = time.perf_counter(), time.process_time()
            out = screen_polars(frame)
        else:
            import duckdb

            con = duckdb.connect()
            con.register("subjects", table)
            t0, c0 = time.perf_counter(), time.process_time()
            out = screen_sql(con, "subjects")
        return {**out, "seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}
    t0, c0 = time.perf_counter(), time.process_time()
    if side == "numpy":
        out = screen_numpy(numpy_columns(_read_arrow(folder, where)))
    elif side == "polars":
        import polars as pl

        frame = (pl.scan_parquet(folder / "subjects.parquet") if where == "parquet"
                 else pl.scan_csv(folder / "subjects.csv", schema_overrides={
                     "consent_date": pl.Date, **{c: pl.Float64 for c in NUMBERS}}))
        out = screen_polars(frame)
    elif side == "duckdb":
        import duckdb

        con = duckdb.connect()
        source = (f"read_parquet('{folder / 'subjects.parquet'}')" if where == "parquet"
                  else f"read_csv('{folder / 'subjects.csv'}')")
        out = screen_sql(con, source)
    else:
        raise SystemExit(f"unknown work {kind}")
    return {**out, "seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0}


# -- the parent: one subprocess per cell -----------------------------------------------------------------


def _python() -> list[str]:
    return [sys.executable]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), src, *filter(None, [env.get("PYTHONPATH")])])
    return env


def measure(argv: list[str], timeout: float, rss_limit: float, ok: tuple[int, ...] = (0,)
            ) -> tuple[float, float, int, str, str]:
    """Run ``argv``: (wall seconds, CPU seconds, peak RSS bytes, stdout, why it failed or '')."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        return _measure(argv, timeout, rss_limit, ok, out, err)


def _measure(argv: list[str], timeout: float, rss_limit: float, ok: tuple[int, ...], out: Any, err: Any
             ) -> tuple[float, float, int, str, str]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=err, env=_env(), cwd=ROOT)
    why = ""
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > timeout:
            why = f"stopped after {timeout:.0f} s"
            os.kill(proc.pid, signal.SIGKILL)
        else:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    rss = next(int(x.split()[1]) * 1024 for x in f if x.startswith("VmRSS:"))
                if rss > rss_limit:
                    why = f"stopped at {rss / GIB:.1f} GiB resident"
                    os.kill(proc.pid, signal.SIGKILL)
            except (OSError, StopIteration):
                pass
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read().decode(), err.read().decode()
    peak = usage.ru_maxrss * 1024
    for line in stderr.splitlines():  # the process's own high-water mark, when it said it
        if line.startswith(PEAK):
            peak = int(line[len(PEAK):])
    if not why and proc.returncode not in ok:
        why = f"exit {proc.returncode}: " + (stderr.strip().splitlines() or [""])[-1][:200]
    return seconds, usage.ru_utime + usage.ru_stime, peak, stdout, why


class Cell:
    def __init__(self, seconds: float | None, rss: int, why: str = "", cpu: float = 0.0) -> None:
        self.seconds, self.rss, self.why, self.cpu = seconds, rss, why, cpu

    def __str__(self) -> str:
        if self.seconds is None:
            return f"failed ({self.why})"
        return f"{self.seconds:.2f} s (CPU {self.cpu:.2f} s), {self.rss / GIB:.2f} GiB"


def run_worker(kind: str, folder: Path, engine: str, limits: tuple[float, float],
               whole_process: bool) -> tuple[Cell, dict[str, Any] | None]:
    argv = [*_python(), "-m", "benchmarks.e2e_bench", "--worker", kind, str(folder), engine]
    seconds, cpu, rss, stdout, why = measure(argv, *limits)
    if why:
        return Cell(None, rss, why), None
    out = json.loads(stdout.strip().splitlines()[-1])
    if whole_process:
        return Cell(seconds, rss, cpu=cpu), out
    return Cell(out["seconds"], rss, cpu=out["cpu"]), out


def run_check(folder: Path, fmt: str, engine: str, limits: tuple[float, float]
              ) -> tuple[Cell, dict[str, Any] | None]:
    protocol = PROTOCOL if fmt == "parquet" else folder / "protocol-csv.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        argv = [*_python(), "-m", "benchmarks.e2e_bench", "--cli", "check", str(protocol), "--data",
                str(folder), "--format", "json", "--output", str(report)]
        if engine != "pandas":
            argv += ["--engine", engine]
        seconds, cpu, rss, _stdout, why = measure(argv, *limits, ok=(0, 1))  # 1: findings
        if why:
            return Cell(None, rss, why), None
        with report.open("rb") as f:
            doc = json.load(f)
    return Cell(seconds, rss, cpu=cpu), counts_of_summary(doc["sections"]["eligibility"]["summary"])


def ratio(ours: Cell, other: Cell) -> str:
    """Wall time over wall time, and CPU over CPU (the fairer one on a busy machine)."""
    if not ours.seconds or not other.seconds:
        return "-"
    cpu = f" (CPU {ours.cpu / other.cpu:.2f}x)" if ours.cpu and other.cpu else ""
    return f"{ours.seconds / other.seconds:.2f}x{cpu}"


def extra_engines() -> list[str]:
    wanted = os.environ.get("BENCH_ENGINES")
    code = "import trialspec.engine as e; print(','.join(e.backends()))"
    found = subprocess.run([*_python(), "-c", code], capture_output=True, text=True, env=_env(),
                           check=True).stdout.strip().split(",")
    names = [e for e in found if e and e != "pandas"]
    usage = subprocess.run([*_python(), "-m", "trialspec.cli", "check", "--help"], capture_output=True,
                           text=True, env=_env()).stdout
    if names and "--engine" not in usage:  # registered, but `check` cannot choose it yet
        print(f"(registered engines {', '.join(names)} skipped: `trialspec check` has no --engine option)")
        return []
    if wanted is not None:
        names = [e for e in wanted.split(",") if e in names]
    return names


def sizes() -> list[int]:
    return [int(float(x)) for x in os.environ.get("BENCH_SIZES", "1e6,5e6").split(",") if x.strip()]


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


PEAK = "e2e-bench peak bytes: "


def _say_peak() -> None:
    """Tell the parent this process's peak RSS (VmHWM) on stderr, at exit. ``wait4``'s
    ``ru_maxrss`` is not used alone: on Linux it can carry a high-water mark from before the
    ``exec`` (the parent's, or a vfork sibling's), which showed as one floor under every run."""
    sys.stderr.write(f"\n{PEAK}{_own_peak()}\n")
    sys.stderr.flush()


def _own_peak() -> int:
    with open("/proc/self/status") as f:
        return next((int(x.split()[1]) * 1024 for x in f if x.startswith("VmHWM:")), 0)


def main() -> None:
    if _own_peak() > 200 * 1024 ** 2:  # after other benchmarks (`make bench`): start afresh, see cohort()
        subprocess.run([*_python(), "-m", "benchmarks.e2e_bench"], env=_env(), cwd=ROOT, check=True)
        return
    limits = (float(os.environ.get("BENCH_TIMEOUT", "1800")),
              float(os.environ.get("BENCH_RSS_LIMIT_GIB", "16")) * GIB)
    engines = extra_engines()
    large_all = os.environ.get("BENCH_LARGE_ALL") == "1"
    wanted_work = os.environ.get("BENCH_WORK", "frames,parquet,csv").split(",")
    header = ["work", "trialspec", *(f"trialspec --engine {e}" for e in engines), "numpy", "polars",
              "DuckDB SQL", "trialspec / numpy", "trialspec / DuckDB SQL",
              *(f"--engine {e} / DuckDB SQL" for e in engines)]
    rows: list[list[str]] = []
    start = time.perf_counter()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"end to end, synthetic cohort; load average at start {load} ({os.cpu_count()} CPUs); "
          f"engines besides pandas: {', '.join(engines) or 'none registered'}", flush=True)
    for n in sizes():
        folder = cohort(n)
        works = [("frames", f"{label(n)}, DataFrames in memory (`trialspec.run`)")]
        works += [(fmt, f"{label(n)} from {fmt.capitalize() if fmt == 'parquet' else 'CSV'}, "
                        "`trialspec check --format json`, whole process") for fmt in ("parquet", "csv")]
        for where, title in works:
            if n > LARGE and where != "parquet" and not large_all or where not in wanted_work:
                continue
            cells: dict[str, Cell] = {}
            answers: dict[str, dict[str, Any] | None] = {}
            for engine in ["pandas", *engines]:
                if where == "frames":
                    cell, ans = run_worker("trialspec-frames", folder, engine, limits, False)
                else:
                    cell, ans = run_check(folder, where, engine, limits)
                cells[f"engine {engine}"], answers[f"engine {engine}"] = cell, ans
                print(f"  {title}: trialspec {engine}: {cell}", flush=True)
            for side in ("numpy", "polars", "duckdb"):
                cell, ans = run_worker(f"{side}-{where}", folder, "pandas", limits, where != "frames")
                cells[side], answers[side] = cell, ans
                print(f"  {title}: {side}: {cell}", flush=True)
            agreed = [a for a in answers.values() if a is not None]
            for name, a in answers.items():
                if a is not None and (a["criteria"], a["status"]) != (agreed[0]["criteria"],
                                                                       agreed[0]["status"]):
                    raise SystemExit(f"{name} disagrees on {title}:\n{a}\n{agreed[0]}")
            ours = cells["engine pandas"]  # the engines' cells apart from the hand-written DuckDB SQL's
            rows.append([title, str(ours), *(str(cells[f"engine {e}"]) for e in engines), str(cells["numpy"]),
                         str(cells["polars"]), str(cells["duckdb"]),
                         ratio(ours, cells["numpy"]), ratio(ours, cells["duckdb"]),
                         *(ratio(cells[f"engine {e}"], cells["duckdb"]) for e in engines)])
            if agreed:
                c = agreed[0]
                print(f"  counts agree: eligible {c['status'][0]:,}, ineligible {c['status'][1]:,}, "
                      f"indeterminate {c['status'][2]:,}; remaining "
                      + " -> ".join(f"{r[3]:,}" for r in c["criteria"]), flush=True)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    table = "\n".join(lines)
    end_load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    note = (f"Each cell: wall seconds (CPU seconds, all threads), peak RSS of its own process. In-memory "
            f"rows time the work after the data are loaded; file rows time the whole process. DuckDB and "
            f"polars use both cores, numpy and the pandas engine one. Load average {load} at start, "
            f"{end_load} at the end; {os.cpu_count()} CPUs; whole run {time.perf_counter() - start:.0f} s.")
    print()
    print(table)
    print(note)
    if os.environ.get("BENCH_NO_WRITE") != "1":
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        RESULTS.write_text(f"# End to end (benchmarks/e2e_bench.py, {when})\n\n{table}\n\n{note}\n", "utf-8")


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--cli":  # `trialspec ...`, the same process, then its peak
        from trialspec.cli import main as cli

        try:
            code = cli(sys.argv[2:])
        finally:
            _say_peak()
        sys.exit(code)
    elif len(sys.argv) >= 2 and sys.argv[1] == "--cohort":
        write_cohort(int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "csv")
    elif len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        result = worker(sys.argv[2], Path(sys.argv[3]), sys.argv[4])
        print(json.dumps(result))
        _say_peak()
    else:
        main()
