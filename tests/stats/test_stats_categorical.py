"""trialspec.stats.categorical and r x c tables against R: prop.trend.test, chisq.test and
fisher.test of the streptomycin trial's 2x6 radiological table and esoph, mantelhaen.test and
Breslow-Day on UCBAdmissions, mcnemar.test (tests/fixtures/r/categorical.R)."""

from __future__ import annotations

import numpy as np
import pytest
from rref import assert_r, load

from trialspec.stats.categorical import cmh, mcnemar, trend
from trialspec.stats.errors import StatsInputError
from trialspec.stats.tables import chi_square, fisher_exact

REF = load("categorical.json")


@pytest.mark.parametrize("name", ["strep_radiology", "esoph_alcohol"])
def test_r_by_c_tables_and_trend_as_r(name: str) -> None:
    ref = REF[name]
    table = np.asarray(ref["table"], float)
    ch = chi_square(table, correct=False)
    assert_r([ch.statistic, ch.df, ch.p_value],
             [ref["chi2"]["statistic"], ref["chi2"]["df"], ref["chi2"]["p_value"]])
    if table.sum() < 200:
        assert_r(fisher_exact(table).p_value, ref["fisher_p"])
    else:  # esoph's 975 subjects: R's network algorithm answers; the enumeration's guard refuses
        with pytest.raises(StatsInputError, match="too many tables"):
            fisher_exact(table)
    tr = trend(table[0], table.sum(axis=0))
    assert_r([tr.statistic, tr.df, tr.p_value],
             [ref["trend"]["statistic"], ref["trend"]["df"], ref["trend"]["p_value"]])


def test_cmh_and_breslow_day_as_r() -> None:
    ref = REF["ucb_cmh"]
    strata = np.asarray(ref["strata"], float)
    got = cmh(strata)
    assert_r([got.statistic, got.p_value, got.odds_ratio, got.conf_low, got.conf_high],
             [ref["statistic"], ref["p_value"], ref["estimate"], *ref["conf_int"]])
    plain = cmh(strata, correct=False)
    assert_r([plain.statistic, plain.p_value], [ref["statistic_uncorrected"], ref["p_value_uncorrected"]])
    bd = ref["breslow_day"]
    assert_r([got.breslow_day.statistic, got.breslow_day.df, got.breslow_day.p_value,
              got.tarone.statistic, got.tarone.p_value],
             [bd["statistic"], bd["df"], bd["p_value"], bd["tarone"], bd["p_value_tarone"]])


def test_mcnemar_as_r() -> None:
    ref = REF["mcnemar"]
    got, plain = mcnemar(ref["table"]), mcnemar(ref["table"], correct=False)
    assert_r([got.statistic, got.p_value, plain.statistic, plain.p_value],
             [ref["statistic"], ref["p_value"], ref["statistic_uncorrected"], ref["p_value_uncorrected"]])


def test_bad_tables() -> None:
    with pytest.raises(StatsInputError):
        trend([1], [2])
    with pytest.raises(StatsInputError):
        cmh(np.ones((2, 2, 3)))
    with pytest.raises(StatsInputError):
        mcnemar([[3, 0], [0, 4]])


def test_generalized_cmh_as_r() -> None:
    from trialspec.stats.categorical import cmh_general

    ref = REF["esoph_cmh"]
    got = cmh_general(np.moveaxis(np.asarray(ref["strata"], float), 0, 0))
    assert_r([got.statistic, got.df, got.p_value], [ref["statistic"], ref["df"], ref["p_value"]])


@pytest.mark.parametrize("name", ["mtcars_cyl_gear", "pilot_cibic_table"])
def test_fisher_r_by_c_as_r(name: str) -> None:
    ref = REF[name]
    assert_r(fisher_exact(np.asarray(ref["table"], float)).p_value, ref["fisher_p"])
