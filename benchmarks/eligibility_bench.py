"""Eligibility screening through trialspec's real path, beside hand-written numpy/pandas.

Synthetic cohorts of 1M and 5M subjects, given as DataFrames (as the Python API takes them):
a subjects table (one row per subject: demographics, stage, dates and most labs, 1% of lab
values missing) and an SDTM-style long lab table holding each subject's screening bilirubin
with a per-row unit (70% mg/dL, 30% umol/L; 1% of values missing). Ten criteria, among them
the unit-converted bilirubin and a measurable-disease rule that is an `or` of three branches.

trialspec: protocol text -> ``pipeline.compile_protocol`` (load + check) -> the backend's
``bind_frames(model, {name: DataFrame})`` (conformance, type conversion, unit column, pivot of
the long table) -> ``pipeline.run_eligibility`` (every criterion three-valued, outcomes,
statuses, attrition, gain, the report section). The hand-written side does the same work
from the same DataFrames: key checks, inf -> missing, level checks, the long table's pick and
join, the unit conversion, three-valued criteria, outcome codes, statuses, attrition and
gain. Both results are compared before anything is printed.

Times are the best of ``REPEATS`` runs (one run at 5M, to keep the whole benchmark under two
minutes). Each run happens in a fresh fork of the process holding the data; its resident set's
growth during bind + screen is the memory figure, beside the loaded data (Linux: /proc, fork).
The machine's load average is printed: timings taken on a busy machine are not comparable.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import resource
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import Timer, table

SIZES = (1_000_000, 5_000_000)
REPEATS = {1_000_000: 3, 5_000_000: 1}
MISSING = 0.01
UMOL_SHARE = 0.3
SEED = 20140601
STAGES = ("IA", "IB", "IIA", "IIB", "IIIA", "IIIB")
MG_DL_PER_UMOL_L = 584.66 / 1e4  # bilirubin, 584.66 g/mol: 1 umol/L = 0.058466 mg/dL

PROTOCOL = """\
trialspec: 1
study:
  id: BENCH-ELIGIBILITY
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      ds_stage: {type: category, levels: [IA, IB, IIA, IIB, IIIA, IIIB]}
      prior_cycles: {type: number}
      consent_date: {type: date}
      serum_m: {type: number, unit: g/dL}
      urine_m: {type: number, unit: mg/24h}
      flc_kappa: {type: number, unit: mg/dL}
      flc_lambda: {type: number, unit: mg/dL}
      anc: {type: number, unit: 10^9/L}
      platelets: {type: number, unit: 10^9/L}
      ast: {type: number, unit: x ULN}
      alt: {type: number, unit: x ULN}
      est_survival: {type: number, unit: months}
      ecog: {type: number}
      pn_grade: {type: number}
      crcl: {type: number, unit: mL/min}
  labs:
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU, visit: VISIT}
    pick: {visit: SCREENING}
    columns:
      bilirubin: {test: BILI, type: number, unit: mg/dL, analyte: bilirubin}
definitions:
  flc_ratio: flc_kappa / flc_lambda
  involved_flc: max(flc_kappa, flc_lambda)
eligibility:
  inclusion:
    I1:
      text: Age 18-75, signed consent
      when: age between 18 and 75 and consent_date is present
    I2:
      text: Durie-Salmon II or III, at least two prior cycles
      when: ds_stage in [IIA, IIB, IIIA, IIIB] and prior_cycles >= 2
    I3:
      text: Measurable disease
      when: >-
        serum_m >= 0.5 g/dL or urine_m >= 200 mg/24h
        or (involved_flc >= 10 mg/dL and flc_ratio not between 0.26 and 1.65)
    I4:
      text: ANC and platelets
      when: anc >= 1.0 10^9/L and platelets >= 50 10^9/L
    I5:
      text: AST and ALT
      when: ast <= 3 x ULN and alt <= 3 x ULN
    I6:
      text: Bilirubin
      when: bilirubin <= 2.0 mg/dL
    I7:
      text: Estimated survival
      when: est_survival >= 3 months
    I8:
      text: ECOG 0-2
      when: ecog in [0, 1, 2]
  exclusion:
    E1:
      text: Neuropathy grade 2 or more
      when: pn_grade >= 2
    E2:
      text: Creatinine clearance below 30 mL/min
      when: crcl < 30 mL/min
"""

LABS = ("serum_m", "urine_m", "flc_kappa", "flc_lambda", "anc", "platelets", "ast", "alt", "crcl")


# -- data ---------------------------------------------------------------------------------------------

def make_data(n: int, seed: int = SEED) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def lab(values: np.ndarray) -> np.ndarray:
        values = values.astype(float)
        values[rng.random(n) < MISSING] = np.nan
        return values

    ids = np.char.add("S", np.char.zfill(np.arange(n).astype("U8"), 8)).astype(object)
    stages = np.array(STAGES, dtype=object)[rng.integers(0, len(STAGES), n)]
    subjects = pd.DataFrame(copy=False, data={
        "subject_id": ids,
        "age": rng.integers(12, 90, n).astype(float),
        "ds_stage": stages,
        "prior_cycles": rng.integers(0, 9, n).astype(float),
        "consent_date": np.datetime64("2014-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]"),
        "serum_m": lab(rng.gamma(1.2, 0.6, n)),
        "urine_m": lab(rng.gamma(1.0, 150.0, n)),
        "flc_kappa": lab(rng.gamma(2.0, 6.0, n)),
        "flc_lambda": lab(rng.gamma(2.0, 4.0, n)),
        "anc": lab(rng.gamma(3.0, 0.8, n)),
        "platelets": lab(rng.gamma(4.0, 40.0, n)),
        "ast": lab(rng.gamma(2.0, 0.6, n)),
        "alt": lab(rng.gamma(2.0, 0.6, n)),
        "est_survival": rng.integers(1, 60, n).astype(float),
        "ecog": rng.integers(0, 5, n).astype(float),
        "pn_grade": rng.integers(0, 4, n).astype(float),
        "crcl": lab(rng.normal(70.0, 25.0, n)),
    })
    umol = rng.random(n) < UMOL_SHARE
    bili_mg = rng.gamma(2.0, 0.55, n)
    labs = pd.DataFrame(copy=False, data={
        "USUBJID": ids[rng.permutation(n)] if n else ids,  # not in subject order
        "VISIT": np.full(n, "SCREENING", dtype=object),
        "LBTESTCD": np.full(n, "BILI", dtype=object),
        "LBSTRESN": lab(np.where(umol, bili_mg / MG_DL_PER_UMOL_L, bili_mg)),
        "LBSTRESU": np.where(umol, "umol/L", "mg/dL").astype(object),
    })
    return {"subjects": subjects, "labs": labs}


# -- trialspec ---------------------------------------------------------------------------------------

def compile_protocol() -> tuple[Any, Any]:
    from trialspec.diagnostics import has_errors
    from trialspec.pipeline import compile_protocol as compile_

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(PROTOCOL, "utf-8")
        model, checked, diags, _ = compile_(path)
    if checked is None or has_errors(diags):
        raise SystemExit("the benchmark protocol does not compile: "
                         + "; ".join(f"{d.code} {d.message}" for d in diags))
    return model, checked


SCREEN = "screen: criteria, outcomes, status, attrition, gain"
SECTION = "  of which: the report section (domain.eligibility.eligibility_section)"


def run_trialspec(model: Any, checked: Any, tables: dict[str, pd.DataFrame], timer: Timer) -> dict[str, Any]:
    from trialspec.domain import eligibility
    from trialspec.engine import get_backend
    from trialspec.pipeline import run_eligibility

    backend = get_backend("pandas")
    with timer("bind: conformance, types, unit column, pivot"):
        bound = backend.bind_frames(model, tables)  # type: ignore[attr-defined]
    if bound.frames is None or bound.diagnostics:
        raise SystemExit("binding failed: " + "; ".join(f"{d.code} {d.message}" for d in bound.diagnostics))
    real = eligibility.eligibility_section

    def timed_section(*args: Any, **kwargs: Any) -> Any:  # the same call, timed from inside
        with timer(SECTION):
            return real(*args, **kwargs)

    eligibility.eligibility_section = timed_section  # type: ignore[assignment]
    try:
        with timer(SCREEN):
            section = run_eligibility(checked, bound.frames, backend, {})
    finally:
        eligibility.eligibility_section = real  # type: ignore[assignment]
    summary = section.summary
    return {
        "criteria": [(c["id"], c["pass"], c["fail"], c["unknown"], c["remaining"], c["gain"])
                     for c in summary["criteria"]],
        "counts": summary["counts"],
        "section": section,
    }


# -- hand-written numpy/pandas --------------------------------------------------------------------

def run_numpy(tables: dict[str, pd.DataFrame], timer: Timer) -> dict[str, Any]:
    s, lb = tables["subjects"], tables["labs"]
    n = len(s)
    with timer("bind: conformance, types, unit column, pivot"):
        index = pd.Index(s["subject_id"].to_numpy())
        assert index.is_unique  # duplicate keys
        col: dict[str, np.ndarray] = {}
        for name in ("age", "prior_cycles", "est_survival", "ecog", "pn_grade", *LABS):
            x = s[name].to_numpy(dtype=float)
            col[name] = np.where(np.isinf(x), np.nan, x)  # inf is missing (and reported)
        stage = pd.Categorical(s["ds_stage"], categories=list(STAGES)).codes
        assert not (s["ds_stage"].notna().to_numpy() & (stage < 0)).any()  # undeclared levels
        consent_known = ~np.isnat(s["consent_date"].to_numpy())
        # the long table: screening BILI rows, joined on the subject, units converted
        pick = (lb["VISIT"].to_numpy() == "SCREENING") & (lb["LBTESTCD"].to_numpy() == "BILI")
        pos = index.get_indexer(lb["USUBJID"].to_numpy()[pick])
        assert (pos >= 0).all()  # rows of unknown subjects
        assert not pd.Series(pos).duplicated().any()  # repeated results
        codes, units = pd.factorize(lb["LBSTRESU"].to_numpy()[pick])
        factors = np.array([{"mg/dL": 1.0, "umol/L": MG_DL_PER_UMOL_L}.get(u, np.nan) for u in units]
                           + [np.nan])
        value = lb["LBSTRESN"].to_numpy(dtype=float)[pick] * factors[codes]
        bilirubin = np.full(n, np.nan)
        bilirubin[pos] = np.where(np.isinf(value), np.nan, value)
    with timer(SCREEN):
        def cmp(x: np.ndarray, op: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            known = ~np.isnan(x)
            with np.errstate(invalid="ignore"):
                return op(x) & known, known

        def both(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            value = np.logical_and.reduce([v for v, _ in parts])
            false = np.logical_or.reduce([k & ~v for v, k in parts])
            return value, value | false

        def either(*parts: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            value = np.logical_or.reduce([v for v, _ in parts])
            known = np.logical_and.reduce([k for _, k in parts])
            return value, value | known

        kappa, lam = col["flc_kappa"], col["flc_lambda"]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = kappa / lam
        ratio[~np.isfinite(ratio)] = np.nan
        involved = np.maximum(kappa, lam)
        inside_v, inside_k = both(cmp(ratio, lambda r: r >= 0.26), cmp(ratio, lambda r: r <= 1.65))
        rules = [
            both(cmp(col["age"], lambda x: x >= 18), cmp(col["age"], lambda x: x <= 75),
                 (consent_known, np.ones(n, bool))),
            both((np.isin(stage, [2, 3, 4, 5]), stage >= 0), cmp(col["prior_cycles"], lambda x: x >= 2)),
            either(cmp(col["serum_m"], lambda x: x >= 0.5), cmp(col["urine_m"], lambda x: x >= 200),
                   both(cmp(involved, lambda x: x >= 10), (~inside_v & inside_k, inside_k))),
            both(cmp(col["anc"], lambda x: x >= 1.0), cmp(col["platelets"], lambda x: x >= 50)),
            both(cmp(col["ast"], lambda x: x <= 3), cmp(col["alt"], lambda x: x <= 3)),
            cmp(bilirubin, lambda x: x <= 2.0),
            cmp(col["est_survival"], lambda x: x >= 3),
            cmp(col["ecog"], lambda x: (x == 0) | (x == 1) | (x == 2)),
            cmp(col["pn_grade"], lambda x: x >= 2),
            cmp(col["crcl"], lambda x: x < 30),
        ]
        exclusion = [False] * 8 + [True] * 2
        outcomes = np.empty((n, len(rules)), np.int8)
        for j, ((v, k), exc) in enumerate(zip(rules, exclusion, strict=True)):
            outcomes[:, j] = np.where(k, np.where(v != exc, 1, 0), -1)
        passed, failed = outcomes == 1, outcomes == 0
        not_passed = len(rules) - passed.sum(axis=1)
        status = np.full(n, "indeterminate", dtype=object)
        status[not_passed == 0] = "eligible"
        status[failed.any(axis=1)] = "ineligible"
        remaining = np.logical_and.accumulate(passed, axis=1).sum(axis=0)
        gain = ((not_passed == 1)[:, None] & ~passed).sum(axis=0)
        ids = ("I1", "I2", "I3", "I4", "I5", "I6", "I7", "I8", "E1", "E2")
        unknown = outcomes == -1
        criteria = [(ids[j], int(passed[:, j].sum()), int(failed[:, j].sum()), int(unknown[:, j].sum()),
                     int(remaining[j]), int(gain[j])) for j in range(len(rules))]
        counts = {name: int((status == name).sum()) for name in ("eligible", "ineligible", "indeterminate")}
    return {"criteria": criteria, "counts": counts, "status": status}


# -- timing, memory, report -----------------------------------------------------------------------



def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def in_child(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``fn`` in a forked child, which shares the loaded data, and return its result with
    ``rss``: how far the child's resident set grew above its size at the start (its high-water
    mark starts fresh at the fork). RSS, not tracemalloc: Arrow's buffers are not Python's."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, leave without cleanup
        code = 1
        try:
            os.close(read)
            start = _rss()
            out = fn()
            out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - start
            out["status"] = hashlib.sha256("\n".join(out["status"]()).encode()).hexdigest()  # after the peak
            with os.fdopen(write, "wb") as f:
                pickle.dump(out, f)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise SystemExit("a benchmark run failed")
    result: dict[str, Any] = pickle.loads(data)
    return result




def bench(n: int, model: Any, checked: Any, compile_s: float) -> None:
    t0 = time.perf_counter()
    tables = make_data(n)
    loaded = sum(int(df.memory_usage(deep=True).sum()) for df in tables.values())
    print(f"\n{n:,} subjects, 10 criteria, {MISSING:.0%} of lab values missing, bilirubin "
          f"{1 - UMOL_SHARE:.0%} mg/dL / {UMOL_SHARE:.0%} umol/L; "
          f"data built in {time.perf_counter() - t0:.1f} s")
    gc.collect()
    gc.freeze()  # the children share the data: no copy-on-write for the collector's bookkeeping

    def ours() -> dict[str, Any]:
        timer = Timer()
        out = run_trialspec(model, checked, tables, timer)
        section = out.pop("section")
        return {**out, "times": timer.best, "status": lambda: iter(section.subjects.status.tolist())}

    def theirs() -> dict[str, Any]:
        timer = Timer()
        out = run_numpy(tables, timer)
        status = out.pop("status")
        return {**out, "times": timer.best, "status": lambda: status.tolist()}

    a: list[dict[str, Any]] = []
    b: list[dict[str, Any]] = []
    for _ in range(REPEATS[n]):  # each run in a fresh child, alternating
        a.append(in_child(ours))
        b.append(in_child(theirs))
    gc.unfreeze()
    for x, y in zip(a, b, strict=True):  # the same outcomes, statuses, attrition and gain
        assert x["criteria"] == y["criteria"], (x["criteria"], y["criteria"])
        assert x["counts"] == y["counts"] and x["status"] == y["status"], (x["counts"], y["counts"])
    best_a = {k: min(r["times"][k] for r in a) for k in a[0]["times"]}
    best_b = {k: min(r["times"][k] for r in b) for k in b[0]["times"]}

    rows = [("stage", "trialspec s", "hand-written s", "ratio")]
    rows.append(("compile protocol (load + check), once", f"{compile_s:.3f}", "-", "-"))
    stages = [stage for stage in best_a if stage != SECTION]
    stages.insert(stages.index(SCREEN) + 1, SECTION)
    for stage in stages:
        if stage == SECTION:  # per-subject report records: the hand-written side has none
            rows.append((stage, f"{best_a[stage]:.3f}", "-", "-"))
            continue
        ratio = best_a[stage] / best_b[stage]
        rows.append((stage, f"{best_a[stage]:.3f}", f"{best_b[stage]:.3f}", f"{ratio:.2f}"))
    total_a = sum(t for stage, t in best_a.items() if stage != SECTION)
    total_b = sum(best_b.values())
    rows.append(("bind + screen", f"{total_a:.3f}", f"{total_b:.3f}", f"{total_a / total_b:.2f}"))
    core_a = total_a - best_a[SECTION]
    rows.append(("bind + screen without the report section", f"{core_a:.3f}", f"{total_b:.3f}",
                 f"{core_a / total_b:.2f}"))
    print(table(rows))
    c = a[0]["counts"]
    print(f"eligible {c['eligible']:,}, ineligible {c['ineligible']:,}, "
          f"indeterminate {c['indeterminate']:,}; "
          "remaining after each criterion " + " -> ".join(f"{r[4]:,}" for r in a[0]["criteria"]))
    mb = 1024 * 1024
    rss_a, rss_b = max(r["rss"] for r in a), max(r["rss"] for r in b)
    print(f"memory: loaded data {loaded / mb:,.0f} MiB; peak RSS growth during bind + screen: "
          f"trialspec {rss_a / mb:,.0f} MiB (data + growth = {(loaded + rss_a) / loaded:.2f}x the data), "
          f"hand-written {rss_b / mb:,.0f} MiB ({(loaded + rss_b) / loaded:.2f}x)")
    print(f"({'best of ' + str(REPEATS[n]) if REPEATS[n] > 1 else 'one run'}, each in a fresh fork; "
          f"{n:,} done in {time.perf_counter() - t0:.1f} s)")


def main(sizes: tuple[int, ...] = SIZES) -> None:
    t0 = time.perf_counter()
    print("load average at start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f" ({os.cpu_count()} CPUs)")
    start = time.perf_counter()
    model, checked = compile_protocol()
    compile_s = time.perf_counter() - start
    print("eligibility: trialspec's real path (compile_protocol -> bind_frames -> run_eligibility) "
          "beside hand-written numpy/pandas on the same DataFrames")
    for n in sizes:
        bench(n, model, checked, compile_s)
    print(f"\n(whole benchmark {time.perf_counter() - t0:.1f} s; load average at the end: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + ")")


if __name__ == "__main__":
    main()
