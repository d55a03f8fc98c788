"""Doses against the plan: matching, rest days, extra and missed doses, levels, intensity.

Within each subject, drug and cycle, every planned day takes one administration (per
frequency: BID two) within ``dose_window`` days of it (docs/dosing.md, "Matching"):

1. doses on their planned day are matched first;
2. the remaining planned days, in order, take the earliest unmatched dose in their window;
3. if matching in order alone (step 2 from scratch, earliest-deadline greedy, which covers
   the most planned days) covers more planned days than 1-2, that matching is used:
   a whole run of doses shifted by a day inside the window is then on time, not
   "missed day 1, extra day 22".

Unmatched doses inside some planned day's window are *extra*; outside every window they
are on a *rest day*; unmatched due planned days are *missed*. Each cycle is a row of a dense
(day x group) grid, so the loops run over days of the cycle, never over subjects or rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

OK, REST, EXTRA = 0, 1, 2
LEVEL_TOLERANCE = 1e-6  # relative: 24.99999 mg is 25 mg after unit conversion


def match_doses(plan: dict[str, Any], admins: dict[str, np.ndarray], cycles: dict[str, np.ndarray],
                arm_of: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Statuses, levels and changes per administration; missed doses; dose intensity."""
    drugs = plan["drugs"]
    nd = len(drugs["name"])
    n_subjects = len(arm_of)
    w = int(plan["dose_window"])
    maxp = max([max(d) for d in drugs["days"] if d] or [1])
    lo, width = 1 - w, maxp + 2 * w
    per_day = np.asarray(drugs["per_day"], np.int64)
    planned = np.zeros((nd, width), np.int32)  # administrations planned per day of the grid
    window = np.zeros((nd, width), bool)  # within dose_window of some planned day
    for i, days in enumerate(drugs["days"]):
        d = np.asarray(days, np.int64)
        planned[i, d - lo] = per_day[i]
        for off in range(-w, w + 1):
            window[i, d + off - lo] = True

    subj, drug, date = admins["subject"], admins["drug"], admins["date"]
    cyc, day = admins["cycle"], admins["day"]
    c_subj = cycles["subject"]
    c_count = np.bincount(c_subj, minlength=n_subjects)
    c_first = np.cumsum(c_count) - c_count  # the subject's first row in `cycles`

    # groups: each drug the subject received x each of the subject's cycles, in that order
    pair = subj * nd + drug
    pairs = np.flatnonzero(np.bincount(pair, minlength=n_subjects * nd))
    p_subj, p_drug = pairs // nd, pairs % nd
    p_groups = c_count[p_subj]
    p_first = np.cumsum(p_groups) - p_groups
    rank_of_pair = np.zeros(n_subjects * nd, np.int64)
    rank_of_pair[pairs] = np.arange(len(pairs))
    rep = np.repeat(np.arange(len(pairs)), p_groups)
    crow = c_first[p_subj][rep] + ranks(p_groups)
    g_subj, g_drug = p_subj[rep], p_drug[rep]
    g_cycle, g_start, g_due = cycles["cycle"][crow], cycles["start"][crow], cycles["due"][crow]
    g = p_first[rank_of_pair[pair]] + cyc - 1
    n_groups = len(g_drug)

    need = planned[g_drug].T.copy()  # (width, groups): rows are days, contiguous
    need[(np.arange(width)[:, None] + lo) > g_due[None, :]] = 0
    j = day - lo
    in_grid = (j >= 0) & (j < width)
    avail = np.bincount(j[in_grid] * n_groups + g[in_grid], minlength=width * n_groups) \
        .reshape(width, n_groups).astype(np.int32)
    left, used = _match(need, avail, w)

    # each administration: matched (the first `used` of its group and day), extra, or rest
    run = np.r_[True, (subj[1:] != subj[:-1]) | (drug[1:] != drug[:-1]) | (date[1:] != date[:-1])] \
        if len(subj) else np.zeros(0, bool)
    starts = np.flatnonzero(run)
    rank = np.arange(len(subj)) - np.repeat(starts, np.diff(np.r_[starts, len(subj)]))
    jj = np.clip(j, 0, width - 1)
    matched = in_grid & (rank < used[jj, g])
    status = np.where(matched, OK, np.where(in_grid & window[drug, jj], EXTRA, REST)).astype(np.int8)
    status[per_day[drug] == 0] = OK  # as needed (PRN): any day is fine
    out_admins = {**admins, "status": status, **_levels(plan, admins)}

    miss_g, miss_j = np.nonzero(left.T)  # by group (subject, drug, cycle), then day
    missed = {"subject": g_subj[miss_g], "drug": g_drug[miss_g], "cycle": g_cycle[miss_g],
              "day": miss_j + lo, "date": g_start[miss_g] + miss_j + lo - 1,
              "count": left[miss_j, miss_g].astype(np.int64)}
    return {"admins": out_admins, "missed": missed,
            **_intensity(plan, admins, cycles, arm_of, planned, lo, c_first)}


def ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., n-1 for each n of ``counts``, concatenated: [2, 3] -> [0, 1, 0, 1, 2]."""
    counts = np.asarray(counts, np.int64)
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _greedy(need: np.ndarray, avail: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Planned days in order take the earliest available dose in their window."""
    need, avail = need.copy(), avail.copy()
    used = np.zeros_like(avail)
    width = len(need)
    for t in np.flatnonzero(need.any(axis=1)).tolist():
        for j in range(max(t - w, 0), min(t + w, width - 1) + 1):
            take = np.minimum(need[t], avail[j])
            need[t] -= take
            avail[j] -= take
            used[j] += take
    return need, used


def _match(need: np.ndarray, avail: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """(unmatched planned, used doses) per (day, group): exact-first, unless order-only
    matching covers more planned days in that group."""
    exact = np.minimum(need, avail)
    left1, used1 = _greedy(need - exact, avail - exact, w)
    used1 += exact
    if not w:
        return left1, used1
    left2, used2 = _greedy(need, avail, w)
    better = left2.sum(axis=0) < left1.sum(axis=0)
    return np.where(better, left2, left1), np.where(better, used2, used1)


def _levels(plan: dict[str, Any], admins: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Whether each dose is at an allowed level, and how it changed from the previous one."""
    levels = plan["drugs"]["levels"]
    table = np.full((len(levels), max(len(x) for x in levels) if levels else 1), np.nan)
    for i, row in enumerate(levels):
        table[i, :len(row)] = row
    subj, drug, dose = admins["subject"], admins["drug"], admins["dose"]
    at_level = np.zeros(len(dose), bool)
    with np.errstate(invalid="ignore"):
        for k in range(table.shape[1]):
            lev = table[drug, k]
            at_level |= np.abs(dose - lev) <= LEVEL_TOLERANCE * lev
    known = ~np.isnan(dose)
    # dose changes between consecutive allowed-level doses of one subject and drug (the rows
    # are in time order within each subject, so each drug's rows are too)
    change = np.zeros(len(dose), np.int8)
    prev_all = np.full(len(dose), np.nan)
    for d in range(len(levels)):
        pick = np.flatnonzero(at_level & known & (drug == d))
        x, s = dose[pick], subj[pick]
        prev = np.where(np.r_[False, s[1:] == s[:-1]], np.r_[np.nan, x[:-1]], np.nan)
        with np.errstate(invalid="ignore"):
            up, down = x > prev * (1 + LEVEL_TOLERANCE), x < prev * (1 - LEVEL_TOLERANCE)
        change[pick] = np.where(up, 1, np.where(down, -1, 0))
        prev_all[pick] = prev
    return {"level_ok": at_level | ~known, "change": change, "prev": prev_all}


def _intensity(plan: dict[str, Any], admins: dict[str, np.ndarray], cycles: dict[str, np.ndarray],
               arm_of: np.ndarray, planned: np.ndarray, lo: int,
               c_first: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Planned and delivered dose per subject x cycle x drug (every drug of the arm), and per
    subject x drug over all cycles."""
    drugs = plan["drugs"]
    nd = len(drugs["name"])
    n_subjects = len(arm_of)
    arm = np.asarray(drugs["arm"], np.int64)
    n_arms = len(plan["arms"])
    arm_drugs = [np.flatnonzero(arm == a) for a in range(n_arms)]
    table = np.full((n_arms, max([len(x) for x in arm_drugs] or [1])), -1, np.int64)
    for a, ds in enumerate(arm_drugs):
        table[a, :len(ds)] = ds
    n_of_arm = np.array([len(x) for x in arm_drugs], np.int64)
    position = np.zeros(nd, np.int64)  # each drug's place in its arm
    for ds in arm_drugs:
        position[ds] = np.arange(len(ds))

    c_subj = cycles["subject"]
    count = n_of_arm[arm_of[c_subj]]
    row = np.repeat(np.arange(len(c_subj)), count)
    i_subj = c_subj[row]
    i_drug = table[arm_of[i_subj], ranks(count)]
    due = cycles["due"][row]
    # planned administrations up to each day of the cycle (the last cycle stops at its last dose)
    cum = np.cumsum(planned[:, 1 - lo:], axis=1)  # column 1 - lo is day 1
    planned_n = np.where(due >= 1, cum[i_drug, np.clip(due, 1, cum.shape[1]) - 1], 0)
    # each administration's row: its cycle's first row + the drug's place in the arm
    i_first = np.cumsum(count) - count
    at = i_first[c_first[admins["subject"]] + admins["cycle"] - 1] + position[admins["drug"]]
    delivered = np.bincount(at, weights=admins["dose"], minlength=len(row))
    given_n = np.bincount(at, minlength=len(row))
    dose = np.asarray(drugs["dose"], float)
    per_cycle = {"subject": i_subj, "drug": i_drug, "cycle": cycles["cycle"][row],
                 "planned": planned_n * dose[i_drug], "delivered": delivered, "planned_n": planned_n,
                 "given_n": given_n}
    per_cycle["rdi"] = _ratio(delivered, per_cycle["planned"])

    pair = i_subj * nd + i_drug
    present = np.flatnonzero(np.bincount(pair, minlength=n_subjects * nd))
    overall: dict[str, np.ndarray] = {"subject": present // nd, "drug": present % nd}
    for c in ("planned", "delivered", "planned_n", "given_n"):
        overall[c] = np.bincount(pair, weights=per_cycle[c], minlength=n_subjects * nd)[present]
    overall["received"] = overall["given_n"] > 0
    overall["rdi"] = _ratio(overall["delivered"], overall["planned"])
    return {"intensity": per_cycle, "overall": overall}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
