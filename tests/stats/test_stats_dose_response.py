"""trialspec.stats.dose_response against lm(y ~ dose + covariates)
(tests/fixtures/r/dose_response.R): R's ToothGrowth here; the CDISC pilot's ADAS-Cog
dose response through a protocol in tests/analyses/test_dose_response.py."""

from __future__ import annotations

import numpy as np
import pytest
from rref import assert_r, load

from trialspec.stats.dose_response import dose_slope
from trialspec.stats.errors import StatsInputError
from trialspec.stats.models import Factor

REF = load("dose_response.json")["toothgrowth"]


def test_toothgrowth_dose_slope_adjusted_for_supplement_as_r() -> None:
    d = REF["data"]
    supp = np.array([s == "VC" for s in d["supp"]], int)  # OJ first: R's reference level
    r = dose_slope(np.array(d["len"]), np.array(d["dose"]), factors=[("supp", Factor(supp, ("OJ", "VC")))])
    assert r.n == REF["n"] and r.df == REF["df"]
    assert_r([r.estimate, r.se, r.t, r.p_value, r.conf_low, r.conf_high],
             [REF["estimate"], REF["se"], REF["t"], REF["p_value"], *REF["conf_int"]])


def test_one_dose_or_a_singular_design_is_a_stats_input_error() -> None:
    with pytest.raises(StatsInputError):
        dose_slope(np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 5.0]))
    with pytest.raises(StatsInputError):  # a covariate that is the dose again
        dose_slope(np.arange(6.0), np.array([0, 0, 1, 1, 2, 2.0]), [("d2", np.array([0, 0, 2, 2, 4, 4.0]))])
