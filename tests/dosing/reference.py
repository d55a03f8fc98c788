"""A row-by-row reference interpreter of the dosing rules (docs/dosing.md), written plainly
from the rules, one subject and one administration at a time. The property test holds the
vectorized pandas backend against it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

OK, REST, EXTRA = 0, 1, 2


def greedy(need: dict[int, int], avail: dict[int, int], w: int) -> tuple[dict[int, int], dict[int, int]]:
    """Planned days in order each take the earliest available doses in their window."""
    need, avail, used = dict(need), dict(avail), defaultdict(int)
    for t in sorted(need):
        for j in range(t - w, t + w + 1):
            take = min(need[t], avail.get(j, 0))
            need[t] -= take
            if take:
                avail[j] -= take
                used[j] += take
    return need, dict(used)


def match(need: dict[int, int], avail: dict[int, int], w: int) -> tuple[dict[int, int], dict[int, int]]:
    exact = {t: min(n, avail.get(t, 0)) for t, n in need.items()}
    left, used = greedy({t: n - exact[t] for t, n in need.items()},
                        {j: a - exact.get(j, 0) for j, a in avail.items()}, w)
    for t, e in exact.items():
        used[t] = used.get(t, 0) + e
    if w:
        left2, used2 = greedy(need, avail, w)
        if sum(left2.values()) < sum(left.values()):
            return left2, used2
    return left, used


def reference(plan: dict[str, Any], rows: list[tuple[int, int, int, float, int]]) -> dict[str, Any]:
    """``rows``: (subject, drug, date, dose, source) of usable administrations, single arm."""
    drugs = plan["drugs"]
    L, sw, w, delay = plan["cycle_days"], plan["start_window"], plan["dose_window"], plan["max_delay"]
    days = [set(d) for d in drugs["days"]]
    first_day = min(min(d) for d in days)
    rest = max(max(d) for d in days) + w
    anchors = {i for i, d in enumerate(days) if first_day in d}
    # day-1 drugs also planned on the day before day 1 (day L): continuous dosing
    continuous = {i for i in anchors if (first_day - 2) % L + 1 in days[i]}
    status: dict[int, int] = {}
    cycle_of: dict[int, tuple[int, int]] = {}
    missed: list[tuple[int, int, int, int, int]] = []
    cycles: list[tuple[int, int, int, float, bool, bool, bool]] = []
    intensity: list[tuple[int, int, int, int, int]] = []
    by_subject: dict[int, list[tuple[int, int, int, float, int]]] = defaultdict(list)
    for r in rows:
        by_subject[r[0]].append(r)
    for s, mine in sorted(by_subject.items()):
        mine.sort(key=lambda r: (r[2], r[1], r[4]))
        day1 = {r[1] for r in mine} & anchors
        given: dict[int, set[int]] = defaultdict(set)
        for r in mine:
            given[r[2]].add(r[1])
        # cycle 1: the first day-1 drug dose (any dose if the subject got no day-1 drug)
        starts = [min(r[2] - (first_day - 1) if day1 else r[2] for r in mine if not day1 or r[1] in day1)]
        while True:
            nxt = None
            if day1 & continuous:  # the calendar, unless a restart comes later than the window
                p = starts[-1] + L
                later = [d - (first_day - 1) for d in sorted(given) if day1 & given[d]]
                n = min([c for c in later if c >= p], default=None)
                if n is None:
                    break
                starts.append(n if p + sw < n < p + L - sw else p)
                continue
            for date in sorted(given):
                cand = date - (first_day - 1)
                whole = day1 <= given[date] if day1 else True
                some = bool(day1 & given[date]) if day1 else True
                early = whole and cand >= starts[-1] + max(rest, 1)
                if early or (some and cand >= starts[-1] + max(L - sw, 1)):
                    nxt = cand
                    break
            if nxt is None:
                break
            starts.append(nxt)
        last_date = max(r[2] for r in mine)
        for k, st in enumerate(starts):
            length = starts[k + 1] - st if k + 1 < len(starts) else None
            offset = st - starts[k - 1] - L if k else None
            cycles.append((s, k + 1, st, float("nan") if length is None else float(length),
                           length is not None and length < L - sw,
                           length is not None and length > L + delay,
                           offset is not None and abs(offset) > sw))
        for r in mine:
            k = max([i for i, st in enumerate(starts) if st <= r[2]], default=0)
            cycle_of[r[4]] = (k + 1, r[2] - starts[k] + 1)
        received = {r[1] for r in mine}
        for k, st in enumerate(starts):
            due = 10**9 if k + 1 < len(starts) else last_date - st + 1
            for d in range(len(days)):
                here = [r for r in mine if r[1] == d and cycle_of[r[4]][0] == k + 1]
                need = {t: drugs["per_day"][d] for t in days[d] if t <= due}
                intensity.append((s, d, k + 1, sum(need.values()), len(here)))
                if d not in received:
                    continue
                avail: dict[int, int] = defaultdict(int)
                for r in here:
                    avail[cycle_of[r[4]][1]] += 1
                left, used = match(need, dict(avail), w)
                for t, n in sorted(left.items()):
                    if n:
                        missed.append((s, d, k + 1, t, n))
                seen: dict[int, int] = defaultdict(int)
                for r in here:
                    day = cycle_of[r[4]][1]
                    seen[day] += 1
                    if drugs["per_day"][d] == 0 or seen[day] <= used.get(day, 0):
                        status[r[4]] = OK
                    elif any(abs(day - t) <= w for t in days[d]):
                        status[r[4]] = EXTRA
                    else:
                        status[r[4]] = REST
    return {"status": status, "cycle_of": cycle_of, "missed": sorted(missed), "cycles": cycles,
            "intensity": sorted(intensity)}
