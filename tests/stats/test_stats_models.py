"""trialspec.stats.models against R: lm + emmeans (the CDISC pilot's ADAS-Cog ANCOVA,
warpbreaks) and glm(binomial) on infert (tests/fixtures/r/models.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rref import assert_r, load

from trialspec.stats.errors import StatsInputError
from trialspec.stats.models import Factor, ancova, logistic

REF = load("models.json")
PILOT = Path(__file__).resolve().parents[2] / "examples" / "cdiscpilot01" / "data" / "analysis" / "week24.csv"
ARMS = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")


def factor(values: list[str] | np.ndarray, labels: tuple[str, ...] | None = None) -> Factor:
    labels = labels or tuple(sorted(set(map(str, values))))
    lookup = {lab: i for i, lab in enumerate(labels)}
    return Factor(np.array([lookup[str(v)] for v in values]), labels)


def check_ancova(got, ref) -> None:
    lm, d = ref["lsmeans"], ref["differences"]
    assert got.n == ref["n"] and got.df_resid == ref["df_resid"]
    assert_r(got.sigma, ref["sigma"])
    assert_r(got.lsmeans.T, [lm["estimate"], lm["se"], lm["lower"], lm["upper"]])
    assert_r(got.differences.T, [d["estimate"], d["se"], d["t"], d["p"], d["lower"], d["upper"]])
    f = ref["arm_f"]
    assert_r(list(got.arm_f), [f["statistic"], f["df"], f["p_value"]])


def test_cdisc_pilot_adas_cog_ancova_as_r() -> None:
    data = pd.read_csv(PILOT, dtype={"SITEGR1": str})
    got = ancova(data["CHG"].to_numpy(), factor(data["TRTP"], ARMS), [("BASE", data["BASE"].to_numpy())],
                 [("SITEGR1", factor(data["SITEGR1"]))])
    check_ancova(got, REF["pilot_adas"])


def test_warpbreaks_ancova_with_a_factor_only_as_r() -> None:
    ref = REF["warpbreaks"]
    data = ref["data"]
    got = ancova(np.asarray(data["breaks"], float), factor(data["tension"], ("L", "M", "H")), [],
                 [("wool", factor(data["wool"]))])
    check_ancova(got, ref)


def test_infert_logistic_as_r() -> None:
    ref = REF["infert_logistic"]
    d = ref["data"]
    got = logistic(np.asarray(d["case"], float),
                   [(k, np.asarray(d[k], float)) for k in ("spontaneous", "induced", "age")],
                   [("education", factor(d["education"], ("0-5yrs", "6-11yrs", "12+ yrs")))])
    assert got.names[-2:] == ("education6-11yrs", "education12+ yrs")
    assert_r(got.table.T, [ref["estimate"], ref["se"], ref["z"], ref["p"], ref["wald_lower"],
                           ref["wald_upper"]])
    assert_r([got.deviance, got.aic], [ref["deviance"], ref["aic"]])


def test_models_that_cannot_be_fitted() -> None:
    y = np.arange(6.0)
    with pytest.raises(StatsInputError):
        ancova(y, Factor(np.zeros(6, int), ("a", "b")))
    with pytest.raises(StatsInputError):
        ancova(y, Factor(np.array([0, 1] * 3), ("a", "b")), [("c", np.ones(6))])
    with pytest.raises(StatsInputError):
        logistic(np.ones(6), [("x", y)])


def test_streptomycin_proportional_odds_as_polr() -> None:
    from trialspec.stats.models import proportional_odds

    ref = REF["strep_polr"]
    counts = {"control": (14, 6, 12, 3, 13, 4), "streptomycin": (4, 6, 5, 2, 10, 28)}
    arm = np.concatenate([np.full(sum(c), i) for i, c in enumerate(counts.values())])
    codes = np.concatenate([np.repeat(np.arange(6), c) for c in counts.values()])
    got = proportional_odds(codes, 6, [], [("arm", Factor(arm, ("control", "streptomycin")))])
    assert got.names == ("armstreptomycin",)
    assert_r([got.table[0, 0], got.table[0, 1], *got.cutpoints, *got.cutpoint_se, got.loglik],
             [ref["estimate"][0], ref["se"][0], *ref["estimate"][1:], *ref["se"][1:], ref["loglik"]])
