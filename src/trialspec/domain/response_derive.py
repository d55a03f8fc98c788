"""Deriving response from per-assessment rule values: categories, confirmation, progression,
best overall response, dates and duration of response.

Input is what a backend returns for a plan (``ResponsePlan.row_nodes``): plain arrays, one
element per assessment, sorted by subject then date. Everything is vectorized over all
subjects at once (group offsets, shifted windows, ``reduceat``); no loop runs per subject.
The rules are those of docs/response.md, section "Semantics".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from trialspec.domain.response_compile import ResponsePlan
from trialspec.domain.response_rows import AFTER, BASELINE, NO_BASELINE

NE = -1  # a category index: not evaluable
NOT_ASSESSED = -2  # a row that is not judged: before/at baseline, censored, no date, no baseline
NO_DATE = np.datetime64("NaT", "D")

# why a row is not judged (or is), for explain
ROW_BEFORE, ROW_BASELINE, ROW_ASSESSED, ROW_CENSORED, ROW_NO_DATE, ROW_NO_BASELINE = range(6)
ROW_WORDS = ("before baseline", "baseline", "assessed", "after new therapy", "no date", "no baseline")


@dataclass
class Derived:
    """Per assessment (sorted) and per subject (index order) results."""

    # per row
    status: np.ndarray  # int8 ROW_*
    category: np.ndarray  # int8 index into plan.categories (best first), NE or NOT_ASSESSED
    rule: np.ndarray  # int16 index into ``rules`` (-1: none)
    confirmed_by: np.ndarray  # int64 sorted row of the assessment that completes this one's confirmation
    confirmed_as: np.ndarray  # int8 category index the window confirms (-1: none)
    after_progression: np.ndarray  # bool: after the subject's progression assessment
    # per subject
    best: np.ndarray  # int8 category index of the best overall response; NE
    best_unconfirmed: np.ndarray  # int8 best category at any one assessment before progression; NE
    first_response: np.ndarray  # datetime64[D] first assessment of the first confirmed response (NaT)
    progression: np.ndarray  # datetime64[D] the progression assessment (NaT)
    progression_confirmed: np.ndarray  # bool: by a second PD, or by a rule needing none
    last_assessment: np.ndarray  # datetime64[D] last evaluable assessment before censoring (NaT)
    n_rows: np.ndarray  # int64 assessments per subject (any phase)
    has_baseline: np.ndarray  # bool
    n_assessed: np.ndarray  # int64 evaluable assessments after baseline, before censoring
    n_censored: np.ndarray  # int64 post-baseline assessments at or after new therapy
    rules: tuple[tuple[str, str, bool], ...]  # (category, rule id, needs confirmation) by index

    @property
    def dor_days(self) -> np.ndarray:
        """Days from first response to progression, or to the last assessment (censored)."""
        end = np.where(np.isnat(self.progression), self.last_assessment, self.progression)
        days = (end - self.first_response).astype("timedelta64[D]").astype(float)
        return np.where(np.isnat(self.first_response), np.nan, days)

    @property
    def dor_censored(self) -> np.ndarray:
        return ~np.isnat(self.first_response) & np.isnat(self.progression)


def _tri(values: dict[str, np.ndarray], key: str, n: int) -> np.ndarray:
    return values.get(key, np.full(n, -1, np.int8))


def _starts(subject: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each group, group number of each row) of rows sorted by subject."""
    n = len(subject)
    first = np.ones(n, bool)
    first[1:] = subject[1:] != subject[:-1]
    return np.flatnonzero(first), np.cumsum(first) - 1


def _group_any(mask: np.ndarray, starts: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per row: whether ``mask`` holds at this row or an earlier one of the same group."""
    cs = np.cumsum(mask)
    before = cs[starts] - mask[starts]
    return (cs - before[group]) > 0


def categorize(plan: ResponsePlan, values: dict[str, np.ndarray], assessed: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[tuple[str, str, bool], ...]]:
    """Each assessed row's category and rule: progression first (unknown: NE), then the
    first category, best first, whose rule is true. Unassessed rows get NOT_ASSESSED.
    Also: where a progression rule that needs no confirmation (new lesions) holds."""
    n = len(assessed)
    names = plan.names
    rules = tuple((c.name, r.id, r.confirm) for c in plan.categories for r in c.rules)
    index = {(c, r): i for i, (c, r, _k) in enumerate(rules)}
    category = np.full(n, NOT_ASSESSED, np.int8)
    category[assessed] = NE
    rule = np.full(n, -1, np.int16)
    undecided = assessed.copy()
    immediate = np.zeros(n, bool)
    order = [plan.progression, *[c for c in names if c != plan.progression]]
    for name in order:
        cat = plan.categories[names.index(name)]
        true = np.zeros(n, bool)
        unknown = np.zeros(n, bool)
        for r in reversed(cat.rules):  # the first true rule wins: assign in reverse
            v = _tri(values, f"rule:{name}:{r.id}", n)
            hit = undecided & (v == 1)
            rule[hit] = index[(name, r.id)]
            true |= v == 1
            unknown |= v == -1
            if name == plan.progression and not r.confirm:
                immediate |= assessed & (v == 1)
        decided = undecided & true
        category[decided] = names.index(name)
        undecided &= ~true
        if name == plan.progression:
            undecided &= ~unknown  # progression cannot be ruled out: not evaluable
    return category, rule, immediate, rules


def derive(plan: ResponsePlan, table: dict[str, Any]) -> Derived:
    """Categories, confirmation, progression and best response from a backend's table."""
    conf = plan.confirmation
    names = plan.names
    k = len(names)
    subjects = table["subjects"]
    n_subjects = len(subjects)
    subject = np.asarray(table["subject"], np.int64)
    phase = np.asarray(table["phase"])
    time = np.asarray(table["time"], "datetime64[D]")
    values = table["values"]
    n = len(subject)
    starts, group = _starts(subject)

    has_date = ~np.isnat(time)
    censored = _group_any(values.get("censor", np.zeros(n, np.int8)) == 1, starts, group) \
        if n else np.zeros(0, bool)
    status = np.full(n, ROW_BEFORE, np.int8)
    status[phase == BASELINE] = ROW_BASELINE
    status[phase == AFTER] = ROW_ASSESSED
    status[(phase == AFTER) & censored] = ROW_CENSORED
    status[phase == NO_BASELINE] = ROW_NO_BASELINE
    status[~has_date] = ROW_NO_DATE
    assessed = status == ROW_ASSESSED
    category, rule, immediate, rules = categorize(plan, values, assessed)

    # ranks: higher is better; the progression category is the worst; NE is -1
    rank_of = np.array([k - 1 - i for i in range(k)], np.int8)
    pd_index = names.index(plan.progression)
    pd_rank = int(rank_of[pd_index])
    # by category + 2 (NOT_ASSESSED, NE, then the categories): the rank, as int8
    rank = np.concatenate(([-1, -1], rank_of)).astype(np.int8)[category.astype(np.int16) + 2]
    needs = np.array([names[k - 1 - r] in conf.categories for r in range(k)])  # by rank
    fallback = np.full(k + 1, -1, np.int8)  # by rank + 1: best rank <= r needing no confirmation (not PD)
    best_free = -1
    for r in range(k):
        if not needs[r] and r != pd_rank:
            best_free = r
        fallback[r + 1] = best_free

    # -- progression: on the evaluable rows (NE skipped) ---------------------------------
    ev = np.flatnonzero(assessed & (category >= 0))
    e_subj, e_rank = subject[ev], rank[ev]
    e_rule_free = immediate[ev]
    e_starts, e_group = _starts(e_subj)
    e_pos = np.arange(len(ev)) - e_starts[e_group] if len(ev) else np.zeros(0, np.int64)
    e_len = np.diff(np.append(e_starts, len(ev)))
    e_left = e_len[e_group] - e_pos - 1 if len(ev) else np.zeros(0, np.int64)  # rows after, same subject
    is_pd = e_rank == pd_rank
    run = is_pd.copy()
    for j in range(1, conf.progression):
        nxt = np.zeros(len(ev), bool)
        nxt[:-j] = is_pd[j:] & (e_subj[j:] == e_subj[:-j]) if j < len(ev) else False
        run &= nxt | (e_left < j)
    last = e_left < conf.progression - 1
    prog_ok = is_pd & (e_rule_free | run)
    first_prog = np.full(n_subjects, -1, np.int64)
    rows_prog = np.flatnonzero(prog_ok)
    if len(rows_prog):
        subj_prog = e_subj[rows_prog]
        keep = np.ones(len(rows_prog), bool)
        keep[1:] = subj_prog[1:] != subj_prog[:-1]
        first_prog[subj_prog[keep]] = ev[rows_prog[keep]]
    progression_row = first_prog  # sorted row index per subject, -1 none
    at_progression = np.zeros(n, bool)
    at_progression[progression_row[progression_row >= 0]] = True
    after_progression = _group_any(at_progression, starts, group) & ~at_progression if n \
        else np.zeros(0, bool)
    progression_confirmed = np.zeros(n_subjects, bool)
    if len(rows_prog):
        confirmed_here = (e_rule_free | (run & ~last))[rows_prog[keep]]
        progression_confirmed[subj_prog[keep]] = confirmed_here

    # -- confirmation windows ---------------------------------------------------------------
    # Row i is confirmed at the category of the worst row from i to its window's end: the
    # (consecutive - 1)-th row after it, or later, the first at least min_interval after it.
    seq_mask = assessed & (category >= 0) if conf.non_evaluable == "skip" else assessed.copy()
    sq = np.flatnonzero(seq_mask & ~after_progression)
    s_subj, s_rank, s_day = subject[sq], rank[sq], time[sq].astype(np.int64)
    m = len(sq)
    end = np.arange(m) + conf.consecutive - 1
    if conf.min_interval > 0 and m:
        key = (s_subj << 32) + s_day
        end = np.maximum(end, np.searchsorted(key, key + int(np.ceil(conf.min_interval)), side="left"))
    inside = end < m
    valid = inside & (s_subj[np.minimum(end, m - 1)] == s_subj) if m else np.zeros(0, bool)
    wmin = s_rank.copy()
    span = end - np.arange(m)
    reach = int(span[valid].max()) if valid.any() else 0
    for j in range(1, reach + 1):
        covered = valid & (span >= j)
        ahead = np.full(m, np.iinfo(np.int8).max, np.int8)
        ahead[:-j] = s_rank[j:]
        np.minimum(wmin, ahead, out=wmin, where=covered)
        if conf.max_gap is not None:
            gap = np.zeros(m, np.int64)
            gap[:-j] = s_day[j:] - s_day[j - 1:-1]
            valid &= ~covered | (gap <= conf.max_gap)
    window = np.where(valid & (wmin > pd_rank), wmin, np.int8(-1))
    achieved = np.maximum(window, fallback[s_rank + 1])
    confirmed_by = np.full(n, -1, np.int64)
    confirmed_as = np.full(n, -1, np.int8)
    windowed = np.flatnonzero(window >= 0)
    confirmed_by[sq[windowed]] = sq[end[windowed]]
    confirmed_as[sq[windowed]] = (k - 1 - window[windowed]).astype(np.int8)

    # -- per subject ----------------------------------------------------------------------------
    best_rank = _per_subject_max(s_subj, achieved, n_subjects)
    seen_rank = _per_subject_max(s_subj, np.where(s_rank != pd_rank, s_rank, -1), n_subjects)
    progressed = progression_row >= 0
    best = np.where(best_rank >= 0, k - 1 - best_rank, np.where(progressed, pd_index, NE)).astype(np.int8)
    best_unconfirmed = np.where(seen_rank >= 0, k - 1 - seen_rank, best).astype(np.int8)
    responder_floor = _responder_floor(plan, rank_of)
    first_response = np.full(n_subjects, NO_DATE)
    hits = np.flatnonzero(achieved >= responder_floor)
    if len(hits):
        hs = s_subj[hits]
        keep = np.ones(len(hits), bool)
        keep[1:] = hs[1:] != hs[:-1]
        first_response[hs[keep]] = time[sq[hits[keep]]]
    progression = np.full(n_subjects, NO_DATE)
    progression[progressed] = time[progression_row[progressed]]
    last_assessment = np.full(n_subjects, NO_DATE)
    if len(ev):
        e_last = np.append(e_starts[1:], len(ev)) - 1
        last_assessment[e_subj[e_last]] = time[ev[e_last]]
    return Derived(
        status=status, category=category, rule=rule, confirmed_by=confirmed_by,
        confirmed_as=confirmed_as, after_progression=after_progression,
        best=best, best_unconfirmed=best_unconfirmed, first_response=first_response,
        progression=progression, progression_confirmed=progression_confirmed & progressed,
        last_assessment=last_assessment,
        n_rows=np.bincount(subject, minlength=n_subjects),
        has_baseline=np.bincount(subject[phase == BASELINE], minlength=n_subjects) > 0,
        n_assessed=np.bincount(subject[assessed & (category >= 0)], minlength=n_subjects),
        n_censored=np.bincount(subject[status == ROW_CENSORED], minlength=n_subjects),
        rules=rules)


def derive_in_batches(plan: ResponsePlan, table: dict[str, Any], batch_subjects: int) -> Derived:
    """:func:`derive` on ``batch_subjects`` subjects at a time (every rule is per subject, so
    the result is the same as in one go); the table's rows are sorted by subject."""
    subjects = table["subjects"]
    n_subjects = len(subjects)
    if n_subjects <= batch_subjects:
        return derive(plan, table)
    subject = np.asarray(table["subject"], np.int64)
    parts: list[tuple[int, Derived]] = []
    for first in range(0, n_subjects, batch_subjects):
        last = min(first + batch_subjects, n_subjects)
        lo, hi = (int(x) for x in np.searchsorted(subject, [first, last]))
        part = {"subjects": subjects[first:last], "subject": subject[lo:hi] - first,
                "phase": np.asarray(table["phase"])[lo:hi], "time": np.asarray(table["time"])[lo:hi],
                "values": {name: v[lo:hi] for name, v in table["values"].items()}}
        parts.append((lo, derive(plan, part)))
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Derived):
        if f.name == "rules":
            fields[f.name] = parts[0][1].rules
        elif f.name == "confirmed_by":  # sorted row indexes: back to the whole table's
            fields[f.name] = np.concatenate([np.where(d.confirmed_by >= 0, d.confirmed_by + lo, -1)
                                             for lo, d in parts])
        else:
            fields[f.name] = np.concatenate([getattr(d, f.name) for _lo, d in parts])
    return Derived(**fields)


def _per_subject_max(subj: np.ndarray, v: np.ndarray, n_subjects: int) -> np.ndarray:
    out = np.full(n_subjects, -1, np.int64)
    if len(subj):
        first = np.ones(len(subj), bool)
        first[1:] = subj[1:] != subj[:-1]
        starts = np.flatnonzero(first)
        out[subj[starts]] = np.maximum.reduceat(v, starts)
    return out


def _responder_floor(plan: ResponsePlan, rank_of: np.ndarray) -> int:
    """The lowest rank counted as a response: the worst category of the first rate (ORR)."""
    names = plan.names
    cats = next(iter(plan.responders.values()), ()) if plan.responders else ()
    ranks = [int(rank_of[names.index(c)]) for c in cats if c in names]
    return min(ranks) if ranks else int(rank_of[0])
