"""Dosing of 1M administrations across 50,000 subjects: the pandas backend beside a hand-written
pandas baseline doing the same work on the same data, in the same run.

The regimen is a 21-day cycle of drug A 25 mg on days 1, 4, 8, 11 (reductions 15, 10 mg) and
drug B 20 mg on days 1, 2, 4, 5, 8, 9, 11, 12 (12 administrations a cycle), dose window +/-1
day, start window +/-3 days, maximum delay 14 days, RDI >= 80%. Every subject has exactly 20
administration rows (cycle 1 and most of cycle 2, stopping at progression), with deviations
mixed in: delayed and early cycles, missed, doubled and moved doses, reductions, a few
re-escalations and off-level doses, and 5% of doses written in grams.

Both sides start from the same exposure table (ISO date text, as the binding gives it) and
compute the same things: parsing and unit conversion, cycle reconstruction (cycle and day of
every administration, cycle lengths and the three cycle checks), dose matching (status of
every administration, missed doses), dose levels and changes, and dose intensity per subject,
drug and cycle and overall. Their results are checked equal before the table is printed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import Timer, ratio_rows
from benchmarks._common import table as format_table
from trialspec.domain.treatment_cycles import reconstruct_cycles
from trialspec.domain.treatment_match import match_doses
from trialspec.domain.treatment_rows import administrations
from trialspec.engine import get_backend
from trialspec.engine.pandas import SubjectFrames

N_SUBJECTS = 50_000
ROWS_PER_SUBJECT = 20
REPEATS = 3
SEED = 20140617
L, DOSE_WINDOW, START_WINDOW, MAX_DELAY = 21, 1, 3, 14
A_DAYS, B_DAYS = (1, 4, 8, 11), (1, 2, 4, 5, 8, 9, 11, 12)
PLAN: dict[str, Any] = {
    "exposure": "exposure", "shape": "administrations",
    "columns": {"drug": "drug", "dose": "dose", "unit": "unit", "date": "date", "start": None, "end": None,
                "frequency": None},
    "dose_unit": None, "arm_source": None, "arms": ["main"], "cycle_days": L, "cycles": [0],
    "dose_window": DOSE_WINDOW, "start_window": START_WINDOW, "max_delay": MAX_DELAY,
    "drugs": {"arm": [0, 0], "name": ["A", "B"], "dose": [25.0, 20.0], "unit": ["mg", "mg"],
              "per_day": [1, 1], "frequency": ["QD", "QD"], "reescalation": [False, False],
              "levels": [[25.0, 15.0, 10.0], [20.0]], "days": [list(A_DAYS), list(B_DAYS)]},
}


STAGES = ("bind (subject index, row codes)", "exposure -> administrations (dates, drugs, units)",
          "cycle reconstruction (starts, cycle/day, cycle checks)",
          "matching, deviations, levels, dose intensity")


# -- data ---------------------------------------------------------------------------------------


@dataclass
class Data:
    subjects: pd.DataFrame
    exposure: pd.DataFrame


def make_data(n: int = N_SUBJECTS, seed: int = SEED) -> Data:
    rng = np.random.default_rng(seed)
    schedule = sorted([(d, 0) for d in A_DAYS] + [(d, 1) for d in B_DAYS])  # one cycle, by day
    day = np.array([d for d, _ in schedule] * 2)
    drug = np.array([g for _, g in schedule] * 2)
    cycle = np.repeat([0, 1], len(schedule))
    day, drug, cycle = day[:ROWS_PER_SUBJECT], drug[:ROWS_PER_SUBJECT], cycle[:ROWS_PER_SUBJECT]
    k = ROWS_PER_SUBJECT
    subj = np.repeat(np.arange(n), k)
    # cycle 2 starts on time (70%), inside the window, delayed, delayed too long, or early
    shift = rng.choice([0, 0, 0, 0, 0, 0, 0, 1, -2, 3, 6, 10, 18, -6], n)
    first = rng.integers(0, 1500, n)
    offset = np.tile(day - 1, n) + np.tile(cycle, n) * (L + shift[subj])
    dates = first[subj] + offset
    drugs = np.tile(drug, n)
    dose = np.where(drugs == 0, 25.0, 20.0)
    reduced = rng.random(n) < 0.03  # A reduced to 15 mg in cycle 2
    dose[reduced[subj] & (np.tile(cycle, n) == 1) & (drugs == 0)] = 15.0
    reesc = rng.random(n) < 0.005  # A 15 mg in cycle 1, back to 25 mg in cycle 2
    dose[reesc[subj] & (np.tile(cycle, n) == 0) & (drugs == 0)] = 15.0
    off = rng.random(n * k) < 0.002  # a dose off the levels
    dose[off & (drugs == 0)] = 20.0
    moved = rng.random(n * k) < 0.01  # a dose a day early or late, or onto a rest day
    dates = dates + np.where(moved, rng.choice([-1, 1, 3], n * k), 0)
    # 2% of rows: drop the row and double its subject's next one (a missed and an extra dose)
    drop = rng.random(n * k) < 0.02
    drop[np.arange(n) * k + k - 1] = False
    keep = np.flatnonzero(~drop)
    doubled = np.flatnonzero(drop) + 1
    order = np.sort(np.concatenate([keep, doubled]), kind="stable")
    grams = rng.random(len(order)) < 0.05
    ids = np.array([f"S{i:06d}" for i in range(n)], dtype=object)
    exposure = pd.DataFrame({
        "subject_id": ids[subj[order]], "drug": np.array(["A", "B"], dtype=object)[drugs[order]],
        "date": pd.Series((np.datetime64("2014-06-01") + dates[order].astype("timedelta64[D]"))
                          .astype(str), dtype=object),
        "dose": np.where(grams, dose[order] / 1000, dose[order]),
        "unit": np.where(grams, "g", "mg").astype(object)})
    return Data(pd.DataFrame({"subject_id": ids}), exposure)


# -- trialspec ------------------------------------------------------------------------------------


def run_trialspec(data: Data, timer: Timer) -> dict[str, Any]:
    with timer(STAGES[0]):
        frames = SubjectFrames.from_frames(data.subjects, "subject_id", {},
                                           {"exposure": (data.exposure, "subject_id")})
    # the stages of domain.treatment_rows.dosing_tables, timed one by one (one batch of
    # subjects: 50,000 is below the default batch size, so the rules run once, as here)
    with timer(STAGES[1]):
        admins, arm_of, _ = administrations(PLAN, frames, get_backend("pandas"))
        admins.pop("visits")
    with timer(STAGES[2]):
        out = reconstruct_cycles(PLAN, admins, arm_of, frames.n)
    with timer(STAGES[3]):
        out.update(match_doses(PLAN, out["admins"], out["cycles"], arm_of))
        t = {name: pd.DataFrame(columns, copy=False) for name, columns in out.items()}
    return _result(t["admins"], t["missed"], t["cycles"], t["overall"], t["intensity"])


def _result(admins: pd.DataFrame, missed: pd.DataFrame, cycles: pd.DataFrame, overall: pd.DataFrame,
            intensity: pd.DataFrame) -> dict[str, Any]:
    a = admins.sort_values(["subject", "date", "drug", "source"])
    return {
        "cycle_day": (a["cycle"].to_numpy(), a["day"].to_numpy()),
        "status": np.bincount(a["status"].to_numpy(), minlength=3).tolist(),
        "level_ok": int(a["level_ok"].sum()), "changes": np.bincount(a["change"].to_numpy() + 1).tolist(),
        "missed": int(missed["count"].sum()),
        "cycles": (len(cycles), int(cycles["short"].sum()), int(cycles["long"].sum()),
                   int(cycles["window"].sum())),
        "rdi": np.round(overall.sort_values(["subject", "drug"])["rdi"].to_numpy(), 9),
        "rdi_cycle": np.round(intensity.sort_values(["subject", "drug", "cycle"])["rdi"].to_numpy(), 9),
    }


# -- the hand-written pandas baseline -------------------------------------------------------------


def run_pandas(data: Data, timer: Timer) -> dict[str, Any]:
    """The same rules, written directly in pandas: merge_asof for cycle starts, a pivoted
    (group x day) grid for matching, groupby for intensity."""
    with timer(STAGES[0]):
        codes = pd.Index(data.subjects["subject_id"]).get_indexer(data.exposure["subject_id"])
    with timer(STAGES[1]):
        ex = pd.DataFrame({"subject": codes, "drug": data.exposure["drug"].map({"A": 0, "B": 1}).to_numpy(),
                           "date": (pd.to_datetime(data.exposure["date"], format="%Y-%m-%d")
                                    .to_numpy().astype("datetime64[D]").astype(np.int64)),
                           "dose": data.exposure["dose"].to_numpy()
                           * data.exposure["unit"].map({"mg": 1.0, "g": 1000.0}).to_numpy()})
        ex["source"] = np.arange(len(ex))
        ex = ex.sort_values(["subject", "date", "drug", "source"], ignore_index=True)
    with timer(STAGES[2]):
        starts = _pandas_starts(ex)
        ex = _pandas_assign(ex, starts)
        cycles = _pandas_cycles(ex, starts)
    with timer(STAGES[3]):
        ex, missed = _pandas_match(ex, cycles)
        ex = _pandas_levels(ex)
        intensity, overall = _pandas_intensity(ex, cycles)
    return _result(ex, missed, cycles, overall, intensity)


def _pandas_starts(ex: pd.DataFrame) -> pd.DataFrame:
    # both drugs are planned on day 1: the day-1 set is whichever of them the subject received
    flags = ex.assign(a=ex["drug"] == 0, b=ex["drug"] == 1)
    cand = flags.groupby(["subject", "date"], as_index=False)[["a", "b"]].any()
    want = flags.groupby("subject")[["a", "b"]].any().reindex(cand["subject"]).to_numpy()
    given = cand[["a", "b"]].to_numpy()
    cand["whole"] = (given | ~want).all(axis=1)
    cand["some"] = (given & want).any(axis=1)
    rest = max(max(A_DAYS), max(B_DAYS)) + DOSE_WINDOW
    current = cand[cand["some"]].groupby("subject", as_index=False)["date"].min().rename(
        columns={"date": "start"})
    found = [current]
    whole = cand.loc[cand["whole"], ["subject", "date"]].sort_values("date")
    some = cand.loc[cand["some"], ["subject", "date"]].sort_values("date")
    while len(current):
        nxt = []
        for table, gap in ((whole, rest), (some, L - START_WINDOW)):
            left = current.assign(at=current["start"] + gap).sort_values("at")
            hit = pd.merge_asof(left, table.rename(columns={"date": "next"}), left_on="at", right_on="next",
                                by="subject", direction="forward")
            nxt.append(hit.set_index("subject")["next"])
        best = pd.concat(nxt, axis=1).min(axis=1).dropna()
        current = best.astype(np.int64).rename("start").reset_index()
        found.append(current)
    return pd.concat(found, ignore_index=True).sort_values(["subject", "start"], ignore_index=True)


def _pandas_assign(ex: pd.DataFrame, starts: pd.DataFrame) -> pd.DataFrame:
    starts = starts.assign(cycle=starts.groupby("subject").cumcount() + 1)
    merged = pd.merge_asof(ex.sort_values("date"), starts.sort_values("start"), left_on="date",
                           right_on="start", by="subject", direction="backward")
    first = starts[starts["cycle"] == 1].set_index("subject")
    missing = merged["cycle"].isna()
    merged.loc[missing, "start"] = first["start"].reindex(merged.loc[missing, "subject"]).to_numpy()
    merged.loc[missing, "cycle"] = 1
    merged = merged.astype({"cycle": np.int64, "start": np.int64})
    merged["day"] = merged["date"] - merged["start"] + 1
    return merged.sort_values(["subject", "date", "drug", "source"], ignore_index=True)


def _pandas_cycles(ex: pd.DataFrame, starts: pd.DataFrame) -> pd.DataFrame:
    c = starts.assign(cycle=starts.groupby("subject").cumcount() + 1)
    c["length"] = c.groupby("subject")["start"].shift(-1) - c["start"]
    c["offset"] = c["start"] - c.groupby("subject")["start"].shift(1) - L
    c["short"] = c["length"] < L - START_WINDOW
    c["long"] = c["length"] > L + MAX_DELAY
    c["window"] = c["offset"].abs() > START_WINDOW
    last = ex.groupby("subject")["date"].max()
    c["due"] = np.where(c["length"].isna(), last.reindex(c["subject"]).to_numpy() - c["start"] + 1, 10**9)
    return c


def _pandas_match(ex: pd.DataFrame, cycles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    w, lo = DOSE_WINDOW, 1 - DOSE_WINDOW
    width = max(max(A_DAYS), max(B_DAYS)) + 2 * w
    cols = list(range(lo, lo + width))
    groups = (ex[["subject", "drug"]].drop_duplicates()
              .merge(cycles[["subject", "cycle", "start", "due"]], on="subject"))
    groups = groups.sort_values(["subject", "drug", "cycle"], ignore_index=True)
    planned = pd.DataFrame([[1 if d in days else 0 for d in cols] for days in (A_DAYS, B_DAYS)], columns=cols)
    need = planned.loc[groups["drug"]].reset_index(drop=True)
    need = need.where(np.array(cols)[None, :] <= groups["due"].to_numpy()[:, None], 0)
    gi = pd.MultiIndex.from_frame(groups[["subject", "drug", "cycle"]])
    inside = ex[(ex["day"] >= lo) & (ex["day"] < lo + width)]
    avail = (inside.groupby(["subject", "drug", "cycle", "day"]).size().unstack(fill_value=0)
             .reindex(index=gi, columns=cols, fill_value=0).reset_index(drop=True))
    exact = np.minimum(need, avail)
    left1, used1 = _pandas_greedy(need - exact, avail - exact, cols, w)
    used1 = used1 + exact
    left2, used2 = _pandas_greedy(need, avail, cols, w)
    better = left2.sum(axis=1) < left1.sum(axis=1)
    left = left1.mask(better, left2, axis=0)
    used = used1.mask(better, used2, axis=0)
    rank = ex.groupby(["subject", "drug", "date"]).cumcount()
    gpos = pd.Series(np.arange(len(groups)), index=gi).reindex(
        pd.MultiIndex.from_frame(ex[["subject", "drug", "cycle"]])).to_numpy()
    in_grid = ((ex["day"] >= lo) & (ex["day"] < lo + width)).to_numpy()
    col = np.clip(ex["day"].to_numpy() - lo, 0, width - 1)
    u = used.to_numpy()[gpos, col]
    window = pd.DataFrame([[any(abs(d - t) <= w for t in days) for d in cols] for days in (A_DAYS, B_DAYS)])
    ex["status"] = np.where(in_grid & (rank.to_numpy() < u), 0,
                            np.where(in_grid & window.to_numpy()[ex["drug"], col], 2, 1))
    stacked = left.set_axis(gi).stack()
    stacked = stacked[stacked > 0]
    missed = stacked.rename("count").reset_index().rename(columns={"level_3": "day"})
    return ex, missed


def _pandas_greedy(need: pd.DataFrame, avail: pd.DataFrame, cols: list[int],
                   w: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    need, avail = need.copy(), avail.copy()
    used = avail * 0
    for t in cols:
        for j in range(t - w, t + w + 1):
            if j not in avail.columns:
                continue
            take = np.minimum(need[t], avail[j])
            need[t] -= take
            avail[j] -= take
            used[j] += take
    return need, used


def _pandas_levels(ex: pd.DataFrame) -> pd.DataFrame:
    levels = {0: (25.0, 15.0, 10.0), 1: (20.0,)}
    ex["level_ok"] = False
    for d, lev in levels.items():
        rows = ex["drug"] == d
        ex.loc[rows, "level_ok"] = np.isclose(ex.loc[rows, "dose"].to_numpy()[:, None], lev, rtol=1e-6,
                                              atol=0).any(axis=1)
    ok = ex[ex["level_ok"]].sort_values(["subject", "drug", "date", "source"])
    prev = ok.groupby(["subject", "drug"])["dose"].shift(1)
    change = np.sign(ok["dose"] - prev).fillna(0).astype(np.int8)
    ex["change"] = change.reindex(ex.index).fillna(0).astype(np.int8)
    return ex


def _pandas_intensity(ex: pd.DataFrame, cycles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = cycles[["subject", "cycle", "due"]].merge(pd.DataFrame({"drug": [0, 1]}), how="cross")
    plan_days = {0: np.array(A_DAYS), 1: np.array(B_DAYS)}
    rows["planned_n"] = 0
    for d, days in plan_days.items():
        mine = rows["drug"] == d
        rows.loc[mine, "planned_n"] = np.searchsorted(days, rows.loc[mine, "due"].to_numpy(), side="right")
    rows["planned"] = rows["planned_n"] * rows["drug"].map({0: 25.0, 1: 20.0})
    got = ex.groupby(["subject", "drug", "cycle"])["dose"].agg(["sum", "size"])
    rows = rows.merge(got, on=["subject", "drug", "cycle"], how="left").fillna({"sum": 0.0, "size": 0})
    rows["rdi"] = rows["sum"] / rows["planned"].where(rows["planned"] > 0)
    overall = rows.groupby(["subject", "drug"], as_index=False)[["planned", "sum"]].sum()
    overall["rdi"] = overall["sum"] / overall["planned"].where(overall["planned"] > 0)
    return rows, overall


# -- timing and report ---------------------------------------------------------------------------






def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, tuple) and isinstance(x[0], np.ndarray):
            assert all(np.array_equal(p, q) for p, q in zip(x, y, strict=True)), key
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=True), key
        else:
            assert x == y, (key, x, y)




def main() -> None:
    t0 = time.perf_counter()
    data = make_data()
    print(f"dosing: {len(data.exposure):,} administration rows, {len(data.subjects):,} subjects; "
          f"data built in {time.perf_counter() - t0:.1f} s")
    ours, theirs = Timer(), Timer()
    results: tuple[dict[str, Any], dict[str, Any]] | None = None
    for _ in range(REPEATS):
        results = run_trialspec(data, ours), run_pandas(data, theirs)
    assert results is not None
    _same(*results)
    print(format_table(ratio_rows(ours, theirs, list(STAGES))))
    r = results[0]
    print(f"cycles {r['cycles'][0]:,} (short {r['cycles'][1]:,}, long {r['cycles'][2]:,}, start outside "
          f"window {r['cycles'][3]:,}); administrations ok/rest/extra {r['status']}; missed {r['missed']:,}; "
          f"off-level {len(r['cycle_day'][0]) - r['level_ok']:,}; reductions/re-escalations "
          f"{r['changes'][0]:,}/{r['changes'][2]:,}")
    print(f"(best of {REPEATS}; whole benchmark {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
