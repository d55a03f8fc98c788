"""The SDTM expression forms on 1M-row tables: trialspec (checked, bound, evaluated) beside
plain pandas computing the same per-subject answers.

SYNTHETIC data (seeded): 100,000 subjects; LB with 1M rows (ten results each over five tests,
ALT with its normal range, 1% missing values and limits); CM with 1M rows of 300 distinct
drug names. Criteria: ALT above 3 x each row's ULN at any visit, a regex over the drug names,
and the number of distinct antipsychotics. Timed: binding (long table row by row, with the
limits) and evaluating each criterion, best of ``REPEATS``; the answers are compared.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks._common import Timer, table
from trialspec.check.protocol import check_protocol
from trialspec.engine.pandas import evaluate
from trialspec.engine.pandas.bind import bind_frames
from trialspec.protocol import load_protocol_text

N_SUBJECTS = 100_000
N_ROWS = 1_000_000
REPEATS = 3
SEED = 20261207

PROTOCOL = """\
trialspec: 1
study: {id: BENCH, title: SDTM expression forms}
datasets:
  dm:
    key: USUBJID
    columns:
      age: {source: AGE, type: number, unit: years}
  labs:
    long: {subject: USUBJID, test: LBTESTCD, value: LBSTRESN, unit: LBSTRESU}
    columns:
      alt: {test: ALT, type: number, unit: U/L, range: {low: LBSTNRLO, high: LBSTNRHI}}
  cm:
    subject: USUBJID
    columns:
      term: {source: CMDECOD, type: string}
      class: {source: CMCLAS, type: string}
eligibility:
  exclusion:
    E1: {text: ALT above 3 x ULN, when: any(labs where alt > 3 x ULN)}
    E2:
      text: Prior AChE inhibitor
      when: any(cm where term matches "^(DRUG1[0-4]|DRUG2)")
    E3: {text: Two antipsychotics, when: count_distinct(cm.term where class contains "PSYCH") >= 2}
"""


def make_tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    ids = np.array([f"S{i:06d}" for i in range(N_SUBJECTS)], dtype=object)
    dm = pd.DataFrame({"USUBJID": ids, "AGE": rng.integers(50, 86, N_SUBJECTS).astype(float)})
    subj = ids[rng.integers(0, N_SUBJECTS, N_ROWS)]
    tests = np.array(["ALT", "AST", "ALB", "GLUC", "CREAT"], dtype=object)[rng.integers(0, 5, N_ROWS)]
    value = rng.gamma(2.0, 20.0, N_ROWS)
    high = np.full(N_ROWS, 40.0)
    value[rng.random(N_ROWS) < 0.01] = np.nan
    high[rng.random(N_ROWS) < 0.01] = np.nan
    lb = pd.DataFrame({"USUBJID": subj, "LBTESTCD": tests, "LBSTRESN": value,
                       "LBSTRESU": np.full(N_ROWS, "U/L", dtype=object), "LBSTNRLO": 7.0,
                       "LBSTNRHI": high})
    names = np.array([f"DRUG{i}" for i in range(300)], dtype=object)
    classes = np.array(["ANTIPSYCHOTIC", "ANALGESIC", "ANTIDEPRESSANT"], dtype=object)
    drug = rng.integers(0, 300, N_ROWS)
    cm = pd.DataFrame({"USUBJID": ids[rng.integers(0, N_SUBJECTS, N_ROWS)], "CMDECOD": names[drug],
                       "CMCLAS": classes[drug % 3]})
    return {"dm": dm, "labs": lb, "cm": cm}


def run_pandas(t: dict[str, pd.DataFrame], timer: Timer) -> dict[str, Any]:
    ids = pd.Index(t["dm"].USUBJID)
    lb, cm = t["labs"], t["cm"]
    with timer("E1 alt > 3 x ULN"):
        alt = lb[lb.LBTESTCD == "ALT"]
        over = (alt.LBSTRESN > 3 * alt.LBSTNRHI)
        unknown = alt.LBSTRESN.isna() | alt.LBSTNRHI.isna()
        g = pd.DataFrame({"s": alt.USUBJID, "t": over, "u": unknown}).groupby("s")
        anyt, anyu = g.t.any().reindex(ids, fill_value=False), g.u.any().reindex(ids, fill_value=False)
        e1 = (anyt.to_numpy(), (anyt | ~anyu).to_numpy())
    with timer("E2 matches"):
        hit = cm.CMDECOD.str.contains("^(?:DRUG1[0-4]|DRUG2)", regex=True)
        e2 = hit.groupby(cm.USUBJID).any().reindex(ids, fill_value=False).to_numpy()
    with timer("E3 count_distinct"):
        sel = cm[cm.CMCLAS.str.contains("PSYCH", regex=False)]
        n = sel.groupby("USUBJID").CMDECOD.nunique().reindex(ids, fill_value=0)
        e3 = (n >= 2).to_numpy()
    return {"E1": e1, "E2": e2, "E3": e3}


def run_trialspec(t: dict[str, pd.DataFrame], timer: Timer) -> dict[str, Any]:
    model, diags = load_protocol_text(PROTOCOL)
    assert model is not None, diags
    checked, more = check_protocol(model)
    assert checked is not None, more
    with timer("bind (LB by row, limits)"):
        bound = bind_frames(model, t)
    frames = bound.frames
    assert frames is not None, bound.diagnostics
    out: dict[str, Any] = {}
    for crit, stage in zip(checked.criteria, ("E1 alt > 3 x ULN", "E2 matches", "E3 count_distinct"),
                           strict=True):
        frames._cache.clear()
        with timer(stage):
            value = evaluate(crit.node, frames)
        out[crit.id] = value
    return out


def main() -> None:
    tables = make_tables()
    ours, theirs = Timer(), Timer()
    for _ in range(REPEATS):
        got = run_trialspec(tables, ours)
        want = run_pandas(tables, theirs)
    assert np.array_equal(got["E1"].value, want["E1"][0]) and np.array_equal(got["E1"].known, want["E1"][1])
    assert np.array_equal(got["E2"].value, want["E2"]) and bool(np.all(got["E2"].known))
    assert np.array_equal(got["E3"].value, want["E3"])
    rows = [("stage", "trialspec s", "pandas s")]
    for stage in ours.stages():
        rows.append((stage, f"{ours.best[stage]:.3f}",
                     f"{theirs.best[stage]:.3f}" if stage in theirs.best else "-"))
    print(f"{N_SUBJECTS:,} subjects, LB {N_ROWS:,} rows, CM {N_ROWS:,} rows (answers agree)")
    print(table(rows))


if __name__ == "__main__":
    main()
