"""Test claims of a proportion analysis against several planned tests: which planned tests
reproduce a printed statistic or p and which do not (TS734), and the candidates that count
the subjects whose endpoint is unknown in the group sizes (as non-responders)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.claims.explain import REPRODUCES, ClaimResult
from trialspec.domain.analyses_compute import ProportionFacts, fmt
from trialspec.domain.claims_judge import Record

UNKNOWN_SUFFIX = "+unknown"


def unknown_counted(f: ProportionFacts, keep: np.ndarray, which: str) -> list[tuple[str, str, float | None]]:
    """Every common test of the table whose group sizes include the subjects with an unknown
    endpoint (counted as non-events): a report that divides by the groups' full sizes."""
    from trialspec.claims.explain import table_candidates

    if f.n_with_unknown is None or (f.n_with_unknown[keep] == f.n[keep]).all():
        return []
    n_all = f.n_with_unknown[keep]
    extra = int((n_all - f.n[keep]).sum())
    table = np.column_stack([f.events[keep], n_all - f.events[keep]])
    try:
        cands = table_candidates(table)
    except ValueError:
        return []
    what = f"with the group sizes counting the {extra} subject(s) whose endpoint is unknown"
    return [(c.name + UNKNOWN_SUFFIX, f"{c.label}, {what}", c.statistic if which == "statistic" else c.p)
            for c in cands]


def per_test_note(r: Record, res: ClaimResult, mine: set[str], by: dict[str, Any], which: str) -> None:
    """When several planned tests are judged and only some give the printed value, say which
    do and which do not (TS734, a warning); the claim stays reproduced."""
    if not res.reproduced or len(mine) < 2:
        return
    good = {e.candidate for e in res.explanations if e.how == REPRODUCES and e.candidate in mine}
    bad = sorted(mine - good)
    if not bad:
        return

    def show(names: list[str]) -> str:
        return ", ".join(f"{by[n].label} ({fmt(by[n].statistic if which == 'statistic' else by[n].p)})"
                         for n in names)

    r.message = f"{r.label} = {r.claim.text}: reproduced by {show(sorted(good))}; not by {show(bad)}"
    r.code = "TS734"
    r.hint = ("Tie the claim to the test it reports (e.g. `p: {fisher: \"0.047\"}`), or plan "
              "only that test.")
