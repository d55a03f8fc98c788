"""Cycle reconstruction: which cycle, and which day of it, each administration belongs to.

The rule (docs/dosing.md, "Cycles"), per subject:

- The *day-1 drugs* of an arm are those planned on its first planned day (day 1 in
  practice); the subject's *day-1 set* is the day-1 drugs it ever received.
- Cycle 1 starts at the first administration of a day-1 drug (of any drug, if the subject
  never received a day-1 drug).
- Cycle k+1 starts at the first date, after cycle k's start ``s``, on which either
  (a) a drug of the day-1 set is given, on or after ``s + L - start_window`` (the next
      cycle's window has opened, or the cycle is delayed), or
  (b) the whole day-1 set is given together, on or after ``s + last planned day +
      dose_window`` (an early start: no dose of cycle k can be that late).
  A lone dose of one drug in the rest period is therefore a rest-day dose, not a new cycle.
- *Continuous* dosing (a day-1 drug of the subject's day-1 set is also planned on the day
  before day 1, day ``L``: no rest period) has no dose that marks a new cycle, so (a) and (b)
  do not apply. With ``p = s + L`` (the planned start) and ``n`` the first day-1-set dose on
  or after ``p``, cycle k+1 starts at ``n`` if ``p + start_window < n < p + L -
  start_window`` (a restart after an interruption, later than the window: a delayed cycle),
  else at ``p`` (on time, a restart inside the window, or a cycle without any dose).
- A date with no such dose after the last start: that cycle is the subject's last.

Starts are found for all subjects at once; the loop runs over cycle numbers (each step
advances every subject that has another cycle), never over subjects or rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BIG = np.int64(1) << 32  # subject * BIG + day offset: one sortable key
NONE = np.int64(1) << 62  # "no next start"


def arm_geometry(plan: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per arm: first planned day and last planned day + dose window; per drug: its bit in
    the arm's day-1 set (0 if it is not a day-1 drug)."""
    drugs = plan["drugs"]
    arm = np.asarray(drugs["arm"], np.int64)
    n_arms = len(plan["arms"])
    first = np.ones(n_arms, np.int64)
    rest = np.ones(n_arms, np.int64)
    bits = np.zeros(len(arm), np.int64)
    for a in range(n_arms):
        mine = np.flatnonzero(arm == a)
        days = [drugs["days"][i] for i in mine if drugs["days"][i]]
        if not days:
            continue
        first[a] = min(min(d) for d in days)
        rest[a] = max(max(d) for d in days) + plan["dose_window"]
        anchors = [i for i in mine if first[a] in drugs["days"][i]]
        for rank, i in enumerate(anchors[:62]):
            bits[i] = np.int64(1) << rank
    return first, rest, bits


def continuous_bits(plan: dict[str, Any], first: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Per arm: the bits of its day-1 drugs that are also planned on the day before the first
    planned day (day ``L`` when that is day 1): continuous dosing, no rest before day 1."""
    drugs, lengths = plan["drugs"], arm_lengths(plan)
    out = np.zeros(len(plan["arms"]), np.int64)
    for i, (a, days) in enumerate(zip(drugs["arm"], drugs["days"], strict=True)):
        if bits[i] and (int(first[a]) - 2) % int(lengths[a]) + 1 in days:
            out[a] |= bits[i]
    return out


def arm_lengths(plan: dict[str, Any]) -> np.ndarray:
    """Each arm's cycle length (one for all when the plan gives no lengths by arm), with the
    first arm's appended for subjects of no arm (index -1)."""
    given = plan.get("arm_cycle_days") or [plan["cycle_days"]] * len(plan["arms"])
    return np.r_[np.asarray(given, np.int64), np.int64(plan["cycle_days"])]


def reconstruct_cycles(plan: dict[str, Any], admins: dict[str, np.ndarray], arm_of: np.ndarray,
                       n_subjects: int) -> dict[str, dict[str, np.ndarray]]:
    """``admins`` (sorted by subject and date) with ``cycle`` and ``day``, and the ``cycles``
    table, both as columns."""
    subj, date = admins["subject"], admins["date"]
    if not len(subj):
        empty = np.zeros(0, np.int64)
        return {"admins": {**admins, "cycle": empty, "day": empty},
                "cycles": _cycle_table(plan, empty, empty, empty, np.zeros(n_subjects, np.int64),
                                       arm_of)}
    first_day, rest, bits = arm_geometry(plan)
    abit = bits[admins["drug"]]
    # the day-1 set of each subject, and the day-1 drugs given on each (subject, date)
    sstart = np.flatnonzero(np.r_[True, subj[1:] != subj[:-1]])
    day1_set = np.zeros(n_subjects, np.int64)
    day1_set[subj[sstart]] = np.bitwise_or.reduceat(abit, sstart)
    ustart = np.flatnonzero(np.r_[True, (subj[1:] != subj[:-1]) | (date[1:] != date[:-1])])
    u_subj, given = subj[ustart], np.bitwise_or.reduceat(abit, ustart)
    wanted = day1_set[u_subj]
    cand = date[ustart] - (first_day[arm_of[u_subj]] - 1)  # the cycle start a dose implies
    base = min(int(cand.min()), int(date.min())) - 1
    keys = u_subj * BIG + (cand - base)
    whole = np.where(wanted != 0, (given & wanted) == wanted, True)
    some = np.where(wanted != 0, (given & wanted) != 0, True)
    keys_whole, keys_some = keys[whole], keys[some]

    lengths, sw = arm_lengths(plan), plan["start_window"]
    some_subj = keys_some // BIG  # sorted: each subject's first candidate starts its cycle 1
    first_at = np.flatnonzero(np.r_[True, some_subj[1:] != some_subj[:-1]])
    cur_s, cur_c = some_subj[first_at], keys_some[first_at] % BIG
    found_s, found_c = [cur_s], [cur_c]
    early = rest[arm_of[cur_s]]
    # subjects dosed continuously (a day-1 drug also planned on day L) follow the calendar
    cont = (day1_set[cur_s] & continuous_bits(plan, first_day, bits)[arm_of[cur_s]]) != 0
    while len(cur_s):
        L = lengths[arm_of[cur_s]]
        if cont.all():
            nxt = _next_continuous(keys_some, cur_s, cur_c, L, sw)
        else:
            nxt = np.minimum(_next(keys_whole, cur_s, cur_c + np.maximum(early, 1)),
                             _next(keys_some, cur_s, cur_c + np.maximum(L - sw, 1)))
            if cont.any():
                nxt[cont] = _next_continuous(keys_some, cur_s[cont], cur_c[cont], L[cont], sw)
        more = nxt < NONE
        cur_s, cur_c, early, cont = cur_s[more], nxt[more], early[more], cont[more]
        found_s.append(cur_s)
        found_c.append(cur_c)
    s_subj = np.concatenate(found_s)
    s_start = np.concatenate(found_c)
    order = np.lexsort((s_start, s_subj))
    s_subj, s_start = s_subj[order], s_start[order] + base
    # each administration's cycle: the last start on or before it (else the subject's first)
    ks = s_subj * BIG + (s_start - base)
    idx = np.searchsorted(ks, subj * BIG + (date - base), side="right") - 1
    first_of = np.zeros(n_subjects, np.int64)
    starts_at = np.flatnonzero(np.r_[True, s_subj[1:] != s_subj[:-1]])
    first_of[s_subj[starts_at]] = starts_at
    own = (idx >= 0) & (s_subj[np.maximum(idx, 0)] == subj)
    idx = np.where(own, idx, first_of[subj])
    number = np.arange(len(s_subj)) - np.repeat(starts_at, np.diff(np.r_[starts_at, len(s_subj)])) + 1
    last_dose = np.zeros(n_subjects, np.int64)
    last_dose[subj[sstart]] = np.maximum.reduceat(date, sstart)
    out = {**admins, "cycle": number[idx], "day": date - s_start[idx] + 1}
    last_in = np.full(len(s_subj), np.iinfo(np.int64).min)  # each cycle's last administration
    np.maximum.at(last_in, idx, date)
    return {"admins": out, "cycles": _cycle_table(plan, s_subj, number, s_start, last_dose, arm_of, last_in)}


def _next(keys: np.ndarray, subjects: np.ndarray, at_least: np.ndarray) -> np.ndarray:
    """Per subject, the first day offset in ``keys`` that is >= at_least (NONE if none)."""
    if not len(keys):
        return np.full(len(subjects), NONE, np.int64)
    i = np.searchsorted(keys, subjects * BIG + at_least)
    hit = keys[np.minimum(i, len(keys) - 1)]
    ok = (i < len(keys)) & (hit // BIG == subjects)
    return np.where(ok, hit % BIG, NONE)


def _next_continuous(keys: np.ndarray, subjects: np.ndarray, start: np.ndarray, L: np.ndarray,
                     sw: int) -> np.ndarray:
    """Per subject dosed continuously, the next cycle's start after ``start``: its planned day
    ``p``, unless the first dose on or after ``p`` is a restart later than the start window
    (and not already in the window of the cycle after), which then starts the cycle. NONE if
    no dose follows."""
    planned = start + L
    n = _next(keys, subjects, planned)
    late = (n > planned + sw) & (n < planned + L - sw)
    return np.where(n == NONE, NONE, np.where(late, n, planned))


def _cycle_table(plan: dict[str, Any], subj: np.ndarray, number: np.ndarray, start: np.ndarray,
                 last_dose: np.ndarray, arm_of: np.ndarray, last_in: np.ndarray | None = None,
                 ) -> dict[str, np.ndarray]:
    sw, delay = plan["start_window"], plan["max_delay"]
    L = arm_lengths(plan)[arm_of[subj]] if len(subj) else np.zeros(0, np.int64)
    same_next = np.r_[subj[1:] == subj[:-1], False] if len(subj) else np.zeros(0, bool)
    length = np.where(same_next, np.r_[start[1:], 0] - start, np.nan) if len(subj) else np.zeros(0)
    offset = np.where(number > 1, np.r_[np.nan, start[1:] - start[:-1] - L[1:]], np.nan) if len(subj) \
        else np.zeros(0)
    # planned days after the subject's last administration are not due in its last cycle
    due = np.where(same_next, np.int64(1) << 30, last_dose[subj] - start + 1)
    # each cycle's planned number of cycles, by its subject's arm (0: not limited; an unknown
    # arm, -1, takes the 0 appended last)
    limit = np.r_[np.asarray(plan["cycles"], np.int64), 0][arm_of[subj]] if len(subj) else \
        np.zeros(0, np.int64)
    with np.errstate(invalid="ignore"):
        short, long, window = length < L - sw, length > L + delay, np.abs(offset) > sw
    if plan.get("without_cycles") and last_in is not None:
        # one period: what follows it is treatment beyond the plan (TS508, as a cycle beyond
        # `cycles:` is), never a short, long or late "cycle"; and the period ended at its last
        # administration (the days after it are not due, as after a subject's last dose)
        short = long = window = np.zeros(len(subj), bool)
        ended = np.where(last_in == np.iinfo(np.int64).min, start - 1, last_in)  # (a period without a dose)
        due = np.where(same_next, np.maximum(ended - start + 1, 0), due)
    return {"subject": subj, "cycle": number, "start": start, "length": length, "offset": offset,
            "short": short, "long": long, "window": window,
            "excess": (limit > 0) & (number > limit), "due": due,
            "last_dose": last_dose[subj] if len(subj) else np.zeros(0, np.int64)}
