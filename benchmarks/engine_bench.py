"""Eligibility screening of 1M subjects: the pandas engine beside hand-written numpy.

Both sides compute the same outputs: each criterion's three-valued result; the status;
attrition; each criterion's pass/fail/unknown counts and gain (the domain's screening, as
`check` runs it, on the trialspec side).

Ten criteria, built as IR by hand (as the checker would lower them), over 1M subjects with
1% missing lab values, a bilirubin column whose unit varies by row (mg/dL and umol/L), a
category, partial-free datetime64 dates and a 1M-row adverse-event table. Both sides start
from the same DataFrames and compute the same things: the unit conversion, each criterion
as a (value, known) pair, the per-subject status (eligible / ineligible / indeterminate)
and the attrition counts. Each stage is timed (best of ``REPEATS``) in the same run.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import Timer, table
from trialspec.domain.eligibility import ELIGIBLE, INDETERMINATE, outcome_codes, outcome_matrix, screen
from trialspec.engine.pandas import (
    SubjectFrames,
    Tri,
    convert_unit_column,
    evaluate,
    evaluate_with_trace,
)
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, Kind, Type

N_SUBJECTS = 1_000_000
N_AE_ROWS = 1_000_000
MISSING = 0.01
REPEATS = 5
SEED = 20140601
STAGES = ("IA", "IB", "IIA", "IIB", "IIIA", "IIIB")
BILIRUBIN_G_PER_MOL = 584.66
UMOL_L_TO_MG_DL = BILIRUBIN_G_PER_MOL / 1e4  # 1 umol/L = 0.058466 mg/dL


# -- data ------------------------------------------------------------------------------------


@dataclass
class Data:
    subjects: pd.DataFrame
    ae: pd.DataFrame


def make_data(n: int = N_SUBJECTS, n_ae: int = N_AE_ROWS, seed: int = SEED) -> Data:
    rng = np.random.default_rng(seed)

    def lab(values: np.ndarray) -> np.ndarray:
        values = values.astype(float)
        values[rng.random(n) < MISSING] = np.nan
        return values

    ids = np.array([f"S{i:07d}" for i in range(n)], dtype=object)
    umol = rng.random(n) < 0.3
    bili_mg = rng.gamma(2.0, 0.5, n)
    stage_codes = rng.integers(-1, len(STAGES), n)
    stage_codes[stage_codes < 0] = np.where(rng.random((stage_codes < 0).sum()) < 0.06, -1, 0)
    first_dose = np.datetime64("2014-01-01") + rng.integers(0, 365, n).astype("timedelta64[D]")
    consent = first_dose - rng.integers(-3, 40, n).astype("timedelta64[D]")
    consent[rng.random(n) < MISSING] = np.datetime64("NaT")
    subjects = pd.DataFrame({
        "subject_id": ids,
        "age": lab(rng.integers(12, 90, n)),
        "serum_m": lab(rng.gamma(1.2, 0.6, n)),
        "urine_m": lab(rng.gamma(1.0, 150.0, n)),
        "flc_kappa": lab(rng.gamma(2.0, 6.0, n)),
        "flc_lambda": lab(rng.gamma(2.0, 4.0, n)),
        "bilirubin_value": lab(np.where(umol, bili_mg / UMOL_L_TO_MG_DL, bili_mg)),
        "bilirubin_unit": np.where(umol, "umol/L", "mg/dL").astype(object),
        "anc": lab(rng.gamma(3.0, 0.8, n)),
        "crcl": lab(rng.normal(70.0, 25.0, n)),
        "ecog": lab(rng.integers(0, 5, n)),
        "ds_stage": pd.Categorical.from_codes(stage_codes, categories=list(STAGES)),
        "consent_date": consent.astype("datetime64[ns]"),
        "first_dose": first_dose.astype("datetime64[ns]"),
        "pn_grade": lab(rng.integers(0, 4, n)),
    })
    grade = rng.integers(1, 6, n_ae).astype(float)
    grade[rng.random(n_ae) < MISSING] = np.nan
    ae = pd.DataFrame({"usubjid": ids[rng.integers(0, n, n_ae)], "grade": grade})
    return Data(subjects, ae)


# -- the criteria as IR -----------------------------------------------------------------------


def _col(name: str, type_: Type = NUMBER) -> ir.Col:
    return ir.Col("subjects", name, type_)


def _num(v: float) -> ir.Const:
    return ir.Const(v, NUMBER)


def _between(x: ir.Node, lo: float, hi: float) -> ir.BoolOp:
    return ir.BoolOp("and", (ir.Cmp(">=", x, _num(lo)), ir.Cmp("<=", x, _num(hi))))


def criteria() -> list[tuple[str, str, ir.Node]]:
    """(id, kind, condition): eight inclusions and two exclusions, in protocol order."""
    kappa, lam = _col("flc_kappa"), _col("flc_lambda")
    measurable = ir.BoolOp("or", (
        ir.Cmp(">=", _col("serum_m"), _num(0.5)),
        ir.Cmp(">=", _col("urine_m"), _num(200.0)),
        ir.BoolOp("and", (
            ir.Cmp(">=", ir.Func("max", (kappa, lam), NUMBER), _num(10.0)),
            ir.Negate(_between(ir.Func("ratio", (kappa, lam), NUMBER), 0.26, 1.65)),
        )),
    ))
    date = Type(Kind.DATE)
    consent, first = _col("consent_date", date), _col("first_dose", date)
    window = ir.BoolOp("and", (
        ir.Cmp(">=", consent, ir.Arith("-", first, ir.Const(28.0, Type(Kind.NUMBER, "days")),
                                       DATE)),
        ir.Cmp("<=", consent, first),
    ))
    stage = Type(Kind.CATEGORY, levels=STAGES)
    severe_ae = ir.Aggregate("any", "ae", None, ir.Cmp(">=", ir.Col("ae", "grade", NUMBER),
                                                         _num(3.0)), BOOL)
    return [
        ("I1 age 18-75", "inclusion", _between(_col("age"), 18.0, 75.0)),
        ("I2 measurable disease", "inclusion", measurable),
        ("I3 bilirubin <= 2 mg/dL", "inclusion", ir.Cmp("<=", _col("bilirubin"), _num(2.0))),
        ("I4 ANC >= 1.0", "inclusion", ir.Cmp(">=", _col("anc"), _num(1.0))),
        ("I5 CrCl >= 30", "inclusion", ir.Cmp(">=", _col("crcl"), _num(30.0))),
        ("I6 ECOG 0-2", "inclusion", ir.InSet(_col("ecog"), (0.0, 1.0, 2.0))),
        ("I7 stage II-III", "inclusion",
         ir.InSet(_col("ds_stage", stage), ("IIA", "IIB", "IIIA", "IIIB"))),
        ("I8 consent window", "inclusion", window),
        ("E1 neuropathy >= 2", "exclusion", ir.Cmp(">=", _col("pn_grade"), _num(2.0))),
        ("E2 any AE grade >= 3", "exclusion", severe_ae),
    ]


# -- trialspec ----------------------------------------------------------------------------------


def _units_factor() -> tuple[Callable[[str], float] | None, str]:
    """The real unit registry when it is importable, else a two-row stand-in."""
    try:
        from trialspec.units import factor, parse_unit

        factor(parse_unit("umol/L"), parse_unit("mg/dL"), "bilirubin")
        return None, "trialspec.units"
    except ImportError:
        table = {"mg/dL": 1.0, "umol/L": UMOL_L_TO_MG_DL}
        return table.__getitem__, "stand-in table (trialspec.units not importable)"


def run_trialspec(data: Data, timer: Timer, keep_trace: bool = True) -> dict[str, Any]:
    """Screen with the engine; ``keep_trace`` keeps every clause's values (for explain)."""
    factor_of, _ = _units_factor()
    subjects = data.subjects
    with timer("unit conversion"):
        bilirubin, _bad = convert_unit_column(subjects["bilirubin_value"],
                                              subjects["bilirubin_unit"], "mg/dL", "bilirubin",
                                              factor_of=factor_of)
    with timer("bind (subject index, joins, row codes)"):
        frames = SubjectFrames.from_frames(subjects, "subject_id", {"subjects": subjects},
                                           {"ae": (data.ae, "usubjid")})
        frames.add_columns("subjects", {"bilirubin": bilirubin})
    results: dict[str, Tri] = {}
    trace = None
    for name, _kind, node in criteria():
        with timer(name):
            if keep_trace:
                value, trace = evaluate_with_trace(node, frames, trace)
            else:
                value = evaluate(node, frames)
        assert isinstance(value, Tri)
        results[name] = value
    with timer("status + attrition"):  # the domain's screening, as `check` runs it
        order = [(n, k) for n, k, _ in criteria() if k == "inclusion"]
        order += [(n, k) for n, k, _ in criteria() if k == "exclusion"]
        outcomes = outcome_matrix([outcome_codes(results[n].value, results[n].known, k == "exclusion")
                                   for n, k in order], frames.n)
        names = [n for n, _ in order]
        r = screen(np.asarray(frames.subjects), names, [k for _, k in order], names, outcomes)
    return {"criteria": {k: (v.value, v.known) for k, v in results.items()},
            "status": (r.status_code == ELIGIBLE, r.status_code != INDETERMINATE),
            "attrition": [s.remaining for s in r.summary],
            "counts": [(s.passed, s.failed, s.unknown) for s in r.summary],
            "gain": [s.gain for s in r.summary]}


# -- hand-written numpy -----------------------------------------------------------------------------


def run_numpy(data: Data, timer: Timer) -> dict[str, Any]:
    s = data.subjects
    with timer("unit conversion"):
        value = s["bilirubin_value"].to_numpy()
        unit = s["bilirubin_unit"].to_numpy()
        factor = np.where(unit == "mg/dL", 1.0, np.where(unit == "umol/L", UMOL_L_TO_MG_DL,
                                                         np.nan))
        bilirubin = value * factor
    with timer("bind (subject index, joins, row codes)"):
        index = pd.Index(s["subject_id"])
        assert index.is_unique
        codes = index.get_indexer(data.ae["usubjid"])
        keep = codes >= 0
        codes = codes[keep]
        grade = data.ae["grade"].to_numpy()[keep]
    n = len(s)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def col(name: str) -> tuple[np.ndarray, np.ndarray]:
        x = s[name].to_numpy()
        return x, np.isfinite(x)

    with timer("I1 age 18-75"):
        x, k = col("age")
        out["I1 age 18-75"] = ((x >= 18) & (x <= 75) & k, k)
    with timer("I2 measurable disease"):
        sm, ks = col("serum_m")
        um, ku = col("urine_m")
        ka, kk = col("flc_kappa")
        la, kl = col("flc_lambda")
        b1 = (sm >= 0.5) & ks
        b2 = (um >= 200) & ku
        mx = np.maximum(ka, la)
        kmx = kk & kl
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ka / la
        kr = np.isfinite(r)
        big = (mx >= 10) & kmx
        outside = ~((r >= 0.26) & (r <= 1.65)) & kr
        b3 = big & outside
        k3 = (kmx & kr) | (kmx & ~big) | (kr & ~outside)
        v = b1 | b2 | b3
        out["I2 measurable disease"] = (v, v | (ks & ku & k3))
    with timer("I3 bilirubin <= 2 mg/dL"):
        k = ~np.isnan(bilirubin)
        out["I3 bilirubin <= 2 mg/dL"] = ((bilirubin <= 2.0) & k, k)
    with timer("I4 ANC >= 1.0"):
        x, k = col("anc")
        out["I4 ANC >= 1.0"] = ((x >= 1.0) & k, k)
    with timer("I5 CrCl >= 30"):
        x, k = col("crcl")
        out["I5 CrCl >= 30"] = ((x >= 30.0) & k, k)
    with timer("I6 ECOG 0-2"):
        x, k = col("ecog")
        out["I6 ECOG 0-2"] = (((x == 0) | (x == 1) | (x == 2)) & k, k)
    with timer("I7 stage II-III"):
        cat = s["ds_stage"].array
        table = np.append(np.isin(cat.categories, ["IIA", "IIB", "IIIA", "IIIB"]), False)
        out["I7 stage II-III"] = (table[cat.codes], cat.codes >= 0)
    with timer("I8 consent window"):
        consent = s["consent_date"].to_numpy().astype("datetime64[D]")
        first = s["first_dose"].to_numpy().astype("datetime64[D]")
        k = ~np.isnat(consent) & ~np.isnat(first)
        v = (consent >= first - np.timedelta64(28, "D")) & (consent <= first) & k
        out["I8 consent window"] = (v, k)
    with timer("E1 neuropathy >= 2"):
        x, k = col("pn_grade")
        out["E1 neuropathy >= 2"] = ((x >= 2) & k, k)
    with timer("E2 any AE grade >= 3"):
        kg = ~np.isnan(grade)
        n_true = np.bincount(codes[grade >= 3], minlength=n)
        n_unknown = np.bincount(codes[~kg], minlength=n)
        v = n_true > 0
        out["E2 any AE grade >= 3"] = (v, v | (n_unknown == 0))
    with timer("status + attrition"):
        passes = [out[name] for name, kind, _ in criteria() if kind == "inclusion"]
        passes += [(k & ~v, k) for name, kind, _ in criteria() if kind == "exclusion"
                   for v, k in [out[name]]]
        value = np.ones(n, bool)
        any_false = np.zeros(n, bool)
        not_passed = np.zeros(n, np.int8)
        steps, counts = [], []
        for v, k in passes:
            value &= v
            any_false |= k & ~v
            not_passed += ~v
            steps.append(int(np.count_nonzero(value)))  # subjects passing every criterion so far
            counts.append((int(np.count_nonzero(v)), int(np.count_nonzero(k & ~v)),
                           n - int(np.count_nonzero(k))))
        known = value | any_false
        one_short = not_passed == 1  # the gain: eligible if only this criterion were dropped
        gain = [int(np.count_nonzero(one_short & ~v)) for v, _ in passes]
    return {"criteria": out, "status": (value, known), "attrition": steps, "counts": counts, "gain": gain}


# -- timing and report ------------------------------------------------------------------------------






def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for name in a["criteria"]:
        (va, ka), (vb, kb) = a["criteria"][name], b["criteria"][name]
        assert np.array_equal(ka, kb) and np.array_equal(va, vb), f"{name} differs"
    assert np.array_equal(a["status"][0], b["status"][0])
    assert np.array_equal(a["status"][1], b["status"][1])
    assert a["attrition"] == b["attrition"]
    assert a["counts"] == b["counts"] and a["gain"] == b["gain"]


def _peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()




def main() -> None:
    t0 = time.perf_counter()
    data = make_data()
    loaded = int(data.subjects.memory_usage(deep=True).sum() + data.ae.memory_usage(deep=True).sum())
    print(f"engine: {N_SUBJECTS:,} subjects, {N_AE_ROWS:,} AE rows, {MISSING:.0%} missing labs; "
          f"units via {_units_factor()[1]}; data built in {time.perf_counter() - t0:.1f} s")
    ours, theirs = Timer(), Timer()
    results: tuple[dict[str, Any], dict[str, Any]] | None = None
    for _ in range(REPEATS):
        a, b = run_trialspec(data, ours), run_numpy(data, theirs)
        results = (a, b)
    assert results is not None
    _same(*results)
    n_elig = int(results[0]["status"][0].sum())
    n_indet = int((~results[0]["status"][1]).sum())

    rows = [("stage", "trialspec s", "numpy s", "ratio")]
    evaluation = [s for s in ours.stages() if s not in ("unit conversion",
                                                        "bind (subject index, joins, row codes)")]
    for stage in ours.stages():
        rows.append((stage, f"{ours.best[stage]:.4f}", f"{theirs.best[stage]:.4f}",
                     f"{ours.best[stage] / theirs.best[stage]:.2f}"))
    for label, stages in (("evaluation total (criteria + status)", evaluation),
                          ("total", ours.stages())):
        a = sum(ours.best[s] for s in stages)
        b = sum(theirs.best[s] for s in stages)
        rows.append((label, f"{a:.4f}", f"{b:.4f}", f"{a / b:.2f}"))
    print(table(rows))
    print(f"eligible {n_elig:,}, indeterminate {n_indet:,}; attrition "
          + " -> ".join(f"{t:,}" for t in results[0]["attrition"]))
    mb = 1024 * 1024
    peak_traced = _peak(lambda: run_trialspec(data, Timer()))
    peak_lean = _peak(lambda: run_trialspec(data, Timer(), keep_trace=False))
    peak_numpy = _peak(lambda: run_numpy(data, Timer()))
    print(f"memory: loaded data {loaded / mb:.0f} MiB; peak allocated during a run (tracemalloc): "
          f"trialspec {peak_traced / mb:.0f} MiB keeping the trace, {peak_lean / mb:.0f} MiB without; "
          f"numpy {peak_numpy / mb:.0f} MiB")
    print(f"(best of {REPEATS}; whole benchmark {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
