"""trialspec.stats.survival_more against R's survival package on lung (survival_more.R):
RMST with its SE, landmarks with numbers at risk, stratified log-rank, Cox with strata and
with entry times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rref import FIXTURES, assert_r, load

from trialspec.stats.survival import kaplan_meier
from trialspec.stats.survival_more import cox, log_rank_stratified, rmst

REF = load("survival_more.json")
LUNG = pd.read_csv(FIXTURES / "lung_more.csv")


def curves():
    km = kaplan_meier(LUNG["time"], LUNG["event"], LUNG["sex"])
    return [km.curve(1), km.curve(2)]


@pytest.mark.parametrize("tau", [365, 500])
def test_rmst_as_r(tau: int) -> None:
    ref = REF[f"rmst_{tau}"]
    got = [rmst(c, tau) for c in curves()]
    assert_r([g.estimate for g in got], ref["rmean"])
    assert_r([g.se for g in got], ref["se"])


def test_landmarks_as_r() -> None:
    ref = REF["landmarks"]
    times = sorted(set(ref["time"]))
    at = [c.at(times) for c in curves()]
    assert_r(np.concatenate([a.surv for a in at]), ref["surv"])
    assert_r(np.concatenate([a.n_risk for a in at]), ref["n_risk"])
    assert_r(np.concatenate([a.lower for a in at]), ref["lower"])


def test_stratified_log_rank_as_r() -> None:
    got = log_rank_stratified(LUNG["time"], LUNG["event"], LUNG["sex"], LUNG["ph.ecog"])
    ref = REF["logrank_strata"]
    assert_r([got.statistic, got.df, got.p_value], [ref["chisq"], ref["df"], ref["p_value"]])


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_with_strata_as_r(ties: str) -> None:
    ref = REF[f"cox_strata_{ties}"]
    got = cox(LUNG["time"], LUNG["event"], LUNG[["sex", "age"]].to_numpy(float), names=("sex", "age"),
              strata=LUNG["ph.ecog"].to_numpy(), ties=ties)
    assert_r([got.table[:, 0], got.table[:, 1], got.table[:, 6]], [ref["coef"], ref["se"], ref["p"]])


def test_cox_with_entry_times_as_r() -> None:
    ref = REF["cox_entry"]
    got = cox(LUNG["time"], LUNG["event"], LUNG[["sex", "age"]].to_numpy(float), names=("sex", "age"),
              entry=LUNG["entry"].to_numpy(float), ties="breslow")
    assert_r([got.table[:, 0], got.table[:, 1], got.table[:, 6]], [ref["coef"], ref["se"], ref["p"]])


def test_kaplan_meier_with_entry_times_as_r() -> None:
    ref = REF["km_entry"]
    km = kaplan_meier(LUNG["time"], LUNG["event"], LUNG["sex"], entry=LUNG["entry"])
    rows = []
    for c in (km.curve(1), km.curve(2)):
        d = c.n_event > 0  # summary(survfit) lists the event times
        rows.append((c.time[d], c.n_risk[d], c.surv[d], c.std_err[d], c.lower[d], c.upper[d]))
    got = [np.concatenate([r[i] for r in rows]) for i in range(6)]
    assert_r(got, [ref["time"], ref["n_risk"], ref["surv"], ref["std_err"], ref["lower"], ref["upper"]])
    assert_r([km.curve(1).median, km.curve(2).median], ref["median"])
