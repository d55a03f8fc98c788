"""Response derivation for 200,000 subjects x 12 assessments (2.4M rows): trialspec's
imwg-2016 library beside a hand-written pandas groupby derivation, in the same run.

The data: one baseline and eleven 4-weekly assessments per subject, followed by serum
M-protein (60%), urine M-protein (20%) or free light chains (20%); each marker a random walk
that responds, stays or progresses; 1% of serum values missing, 2% of subjects with a new
lesion, 3% starting a new therapy. Both sides start from the same typed DataFrames and
compute: every assessment's category, confirmation (two consecutive assessments, NE
skipped), progression (confirmed by a second PD, or the last assessment) and each subject's
best overall response. The hand-written side covers the rules these data exercise (no CR:
immunofixation stays positive); the run asserts both give every subject the same best
response. Stages, each timed, best of ``REPEATS`` runs:

- setup: trialspec reads the protocol text, compiles the plan and wraps the frames (columns
  are converted on first use, inside the next stage); pandas maps subjects to integer codes,
  attaches the first dose and sorts by subject and date when the rows are not in order;
- rules per assessment: baselines, nadirs, changes and every category rule;
- confirmation + best response: categories, progression, confirmation windows, per subject.

The 1.2 s target (issue 5) is for the derivation: the last two stages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

N_SUBJECTS = 200_000
VISITS = 11  # after the baseline assessment
REPEATS = 5
SEED = 20160801
TARGET_SECONDS = 1.2
PROTOCOL = """\
trialspec: 1
study: {id: RESPONSE-BENCH}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      first_dose_date: {type: date}
  assessments:
    subject: subject_id
    columns:
      date: {type: date}
      serum_m_protein: {type: number, unit: g/dL}
      urine_m_protein: {type: number, unit: mg/24h}
      flc_kappa: {type: number, unit: mg/dL}
      flc_lambda: {type: number, unit: mg/dL}
      serum_ife: {type: category, levels: [positive, negative]}
      urine_ife: {type: category, levels: [positive, negative]}
      bm_plasma_cells: {type: number, unit: "%"}
      plasmacytoma: {type: boolean}
      new_lesions: {type: boolean}
      new_therapy: {type: boolean}
response:
  criteria: imwg-2016
  assessments: assessments
"""
CATEGORIES = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")


# -- data -------------------------------------------------------------------------------------


def make_data(n: int = N_SUBJECTS, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    k = VISITS + 1
    ids = np.char.add("S", np.char.zfill(np.arange(n).astype(str), 6)).astype(object)
    first_dose = np.datetime64("2015-01-01") + rng.integers(0, 1500, n).astype("timedelta64[D]")
    kind = rng.choice(3, n, p=[0.6, 0.2, 0.2])  # 0 serum, 1 urine, 2 FLC
    drift = rng.normal(-0.12, 0.15, n)
    walk = np.cumsum(rng.normal(drift[:, None], 0.12, (n, k)), axis=1)
    walk[:, 0] = 0.0
    factor = np.exp(walk)
    serum0 = np.where(kind == 0, rng.uniform(1.2, 6.0, n), 0.0)
    urine0 = np.where(kind == 1, rng.uniform(300, 3000, n), rng.uniform(0, 150, n))
    dflc0 = np.where(kind == 2, rng.uniform(15, 120, n), 0.0)
    serum = np.round(serum0[:, None] * factor, 2)
    urine = np.round(np.where(kind[:, None] == 1, urine0[:, None] * factor, urine0[:, None]), 0)
    lam = np.full((n, k), 1.0)
    kappa = np.round(np.where(kind[:, None] == 2, 1.0 + dflc0[:, None] * factor, 1.3), 2)
    serum[:, 1:][rng.random((n, k - 1)) < 0.01] = np.nan
    offsets = np.concatenate([-rng.integers(1, 10, (n, 1)), 28 * np.arange(1, k)[None, :]
                              + rng.integers(-3, 4, (n, k - 1))], axis=1)
    dates = first_dose[:, None] + offsets.astype("timedelta64[D]")
    lesion = np.zeros((n, k), bool)
    who = rng.random(n) < 0.02
    lesion[who, rng.integers(1, k, who.sum())] = True
    therapy = np.zeros((n, k), bool)
    who = rng.random(n) < 0.03
    therapy[who, rng.integers(2, k, who.sum())] = True
    bm = np.full((n, k), np.nan)
    bm[:, 0] = rng.uniform(10, 60, n)
    positive = pd.Categorical.from_codes(np.zeros(n * k, np.int8), ["positive", "negative"])
    assessments = pd.DataFrame({
        "subject_id": np.repeat(ids, k), "date": dates.ravel(),
        "serum_m_protein": serum.ravel(), "urine_m_protein": urine.ravel(),
        "flc_kappa": kappa.ravel(), "flc_lambda": lam.ravel(),
        "serum_ife": positive, "urine_ife": positive.copy(), "bm_plasma_cells": bm.ravel(),
        "plasmacytoma": np.zeros(n * k, bool), "new_lesions": lesion.ravel(), "new_therapy": therapy.ravel(),
    })
    subjects = pd.DataFrame({"subject_id": ids, "first_dose_date": first_dose})
    return subjects, assessments


# -- trialspec ---------------------------------------------------------------------------------


def trialspec_run(subjects: pd.DataFrame, assessments: pd.DataFrame, timings: dict[str, float]) -> np.ndarray:
    from trialspec.domain.response import compile_response, derive_table
    from trialspec.domain.response_derive import derive
    from trialspec.engine import get_backend
    from trialspec.protocol import load_protocol_text

    t0 = time.perf_counter()
    protocol, _ = load_protocol_text(PROTOCOL)
    plan, diags = compile_response(protocol)
    assert plan is not None, diags
    backend = get_backend()
    frames = backend.frames_from_pandas(subjects, "subject_id", {"subjects": subjects},
                                        {"assessments": (assessments, "subject_id")})
    t1 = time.perf_counter()
    table = derive_table(plan, frames, backend)
    assert table is not None
    t2 = time.perf_counter()
    derived = derive(plan, table)
    t3 = time.perf_counter()
    timings["setup"] = t1 - t0
    timings["rules per assessment"] = t2 - t1
    timings["confirmation + best response"] = t3 - t2
    return derived.best


# -- the hand-written pandas derivation ------------------------------------------------------


def pandas_run(subjects: pd.DataFrame, a: pd.DataFrame, timings: dict[str, float]) -> np.ndarray:
    t0 = time.perf_counter()
    # integer subject codes group much faster than the id strings; sort only if needed
    code = pd.Series(pd.Index(subjects["subject_id"]).get_indexer(a["subject_id"]), index=a.index)
    a = a.assign(first_dose_date=subjects["first_dose_date"].to_numpy()[code.to_numpy()], code=code)
    order = np.lexsort((a["date"].to_numpy(), code.to_numpy()))
    if not (np.diff(order) == 1).all():
        a = a.iloc[order]
    a = a.reset_index(drop=True)
    t1 = time.perf_counter()
    sid = a["code"]
    g = a.groupby(sid, sort=False)
    pos = g.cumcount()
    pre = a["date"] <= a["first_dose_date"]
    base_pos = pos.where(pre).groupby(sid, sort=False).transform("max")
    after = pos > base_pos
    a["dflc"] = a[["flc_kappa", "flc_lambda"]].max(axis=1) - a[["flc_kappa", "flc_lambda"]].min(axis=1)
    a["ratio"] = a["flc_kappa"] / a["flc_lambda"]
    a["inv"] = a[["flc_kappa", "flc_lambda"]].max(axis=1)
    is_base = pos == base_pos
    base = a[["serum_m_protein", "urine_m_protein", "dflc", "ratio", "inv"]].where(is_base).groupby(
        sid, sort=False).transform("max")
    s_meas = base["serum_m_protein"] >= 1.0
    u_meas = base["urine_m_protein"] >= 200
    m_meas = s_meas | u_meas
    f_meas = ~m_meas & (base["inv"] >= 10) & ~base["ratio"].between(0.26, 1.65)
    with np.errstate(all="ignore"):  # rounded, so that 0.52 against 5.2 is a 90% fall
        pct = {c: (100 * (a[c] - base[c]) / base[c].where(base[c] != 0)).round(9)
               for c in ("serum_m_protein", "urine_m_protein", "dflc")}
    from_base = pos >= base_pos
    # the lowest value before each assessment: cummin leaves NaN at a missing value, so carry
    # the running minimum forward before shifting it one row down
    low = {c: a[c].where(from_base).groupby(sid, sort=False).cummin().groupby(sid, sort=False).ffill()
           .groupby(sid, sort=False).shift(1) for c in ("serum_m_protein", "urine_m_protein", "dflc")}
    rise = {c: (a[c] - low[c]).round(9) for c in low}

    s, u = a["serum_m_protein"], a["urine_m_protein"]
    with np.errstate(all="ignore"):
        s_pd = (s_meas | s.notna()) & (((rise["serum_m_protein"] >= 0.5)
                                        & ((low["serum_m_protein"] == 0)
                                           | (rise["serum_m_protein"] / low["serum_m_protein"] >= 0.25)))
                                       | ((low["serum_m_protein"] >= 5) & (rise["serum_m_protein"] >= 1)))
        u_pd = (u_meas | u.notna()) & (rise["urine_m_protein"] >= 200) & (
            (low["urine_m_protein"] == 0) | (rise["urine_m_protein"] / low["urine_m_protein"] >= 0.25))
        f_pd = ~m_meas & (rise["dflc"] > 10) & ((low["dflc"] == 0) | (rise["dflc"] / low["dflc"] >= 0.25))
    pd_true = s_pd | u_pd | f_pd | a["new_lesions"]
    pd_unknown = ~pd_true & s_meas & s.isna()
    vgpr = (s_meas & (pct["serum_m_protein"] <= -90) & (u < 100)) | (f_meas & (pct["dflc"] <= -90))
    pr = (m_meas & (~s_meas | (pct["serum_m_protein"] <= -50))
          & ((u < 200) | (pct["urine_m_protein"] <= -90))) | (f_meas & (pct["dflc"] <= -50))
    mr = m_meas & (~s_meas | (pct["serum_m_protein"] <= -25)) & (~u_meas | (pct["urine_m_protein"] <= -50))
    rank = np.select([pd_true, pd_unknown, vgpr, pr, mr], [0, -1, 4, 3, 2], 1)  # SD = 1
    censored = a["new_therapy"].astype(np.int8).groupby(sid, sort=False).cummax().astype(bool)
    ev = after & ~censored & (rank >= 0)
    t2 = time.perf_counter()

    e = pd.DataFrame({"sid": sid[ev], "rank": rank[ev.to_numpy()], "lesion": a["new_lesions"][ev]})
    eg = e.groupby("sid", sort=False)
    nxt = eg["rank"].shift(-1)
    is_pd = e["rank"] == 0
    prog = is_pd & (e["lesion"] | (nxt == 0) | nxt.isna())
    progressed = prog.groupby(e["sid"], sort=False).any()
    seen = prog.groupby(e["sid"], sort=False).cumsum()
    e["after"] = seen.groupby(e["sid"], sort=False).shift(1).fillna(0) > 0
    e = e[~e["after"]]
    nxt = e.groupby("sid", sort=False)["rank"].shift(-1)
    window = np.minimum(e["rank"], nxt).where(nxt.notna() & (np.minimum(e["rank"], nxt) > 0), -1)
    achieved = np.maximum(window, np.where(e["rank"] >= 1, 1, -1))
    best = achieved.groupby(e["sid"], sort=False).max()
    out = pd.Series(-1, index=pd.RangeIndex(len(subjects)))
    out[best.index] = best.to_numpy()
    pd_subjects = progressed[progressed].index
    out[pd_subjects] = np.where(out[pd_subjects] < 0, 0, out[pd_subjects])
    t3 = time.perf_counter()
    timings["setup"] = t1 - t0
    timings["rules per assessment"] = t2 - t1
    timings["confirmation + best response"] = t3 - t2
    rank_out = out.to_numpy()
    return np.where(rank_out >= 0, 6 - rank_out, -1).astype(np.int8)  # rank -> category index


# -- running -----------------------------------------------------------------------------------


def best_of(fn: Callable[[dict[str, float]], Any]) -> tuple[dict[str, float], Any]:
    best: dict[str, float] | None = None
    result = None
    for _ in range(REPEATS):
        timings: dict[str, float] = {}
        t = time.perf_counter()
        result = fn(timings)
        timings["total"] = time.perf_counter() - t
        if best is None or timings["total"] < best["total"]:
            best = timings
    assert best is not None
    return best, result


def main() -> None:
    t = time.perf_counter()
    subjects, assessments = make_data()
    made = time.perf_counter() - t
    ours, ours_best = best_of(lambda tm: trialspec_run(subjects, assessments, tm))
    theirs, their_best = best_of(lambda tm: pandas_run(subjects, assessments, tm))
    agree = int((ours_best == their_best).sum())
    assert agree == len(subjects), f"best responses differ for {len(subjects) - agree} subjects"
    counts = np.bincount(np.where(ours_best >= 0, ours_best, 7), minlength=8)
    print(f"{N_SUBJECTS:,} subjects x {VISITS + 1} assessments = {len(assessments):,} rows "
          f"(data built in {made:.1f} s); best of {REPEATS} runs")
    print(f"{'stage':<32}{'trialspec':>12}{'pandas groupby':>16}")
    for stage in ("setup", "rules per assessment", "confirmation + best response", "total"):
        print(f"{stage:<32}{ours[stage]:>11.3f}s{theirs[stage]:>15.3f}s")
    derivation = ours["total"] - ours["setup"]
    verdict = "meets" if derivation <= TARGET_SECONDS else "misses"
    print(f"derivation (rules + confirmation + best response): {derivation:.3f} s, {verdict} the "
          f"{TARGET_SECONDS} s target; total {ours['total']:.3f} s")
    print("best overall response: " + ", ".join(f"{c} {int(n):,}" for c, n in zip((*CATEGORIES, "NE"), counts,
                                                                                   strict=True)))
    print(f"both derivations agree for all {agree:,} subjects")


if __name__ == "__main__":
    main()
