"""trialspec.stats.continuous against R's quantile, t.test, wilcox.test, aov and kruskal.test
(tests/fixtures/r/continuous.R, on PlantGrowth, sleep and warpbreaks)."""

from __future__ import annotations

import numpy as np
import pytest
from rref import assert_r, load

from trialspec.stats.continuous import anova_oneway, describe, kruskal, t_test, wilcoxon
from trialspec.stats.errors import StatsInputError

REF = load("continuous.json")
TWO, K = REF["two_sample"], REF["k_sample"]


@pytest.mark.parametrize("name", list(TWO))
def test_describe_as_r(name: str) -> None:
    for side in ("x", "y"):
        d, r = describe(TWO[name][side]), TWO[name][f"summary_{side}"]
        assert_r([d.n, d.mean, d.sd, d.median, d.q1, d.q3, d.minimum, d.maximum],
                 [r["n"], r["mean"], r["sd"], r["median"], r["q1"], r["q3"], r["min"], r["max"]])


@pytest.mark.parametrize("name", list(TWO))
@pytest.mark.parametrize("kind", ["welch", "student"])
def test_t_test_as_r(name: str, kind: str) -> None:
    case, r = TWO[name], TWO[name][kind]
    got = t_test(case["x"], case["y"], equal_var=kind == "student")
    assert_r([got.statistic, got.df, got.p_value, got.estimate, got.se, got.conf_low, got.conf_high],
             [r["statistic"], r["df"], r["p_value"], r["estimate"], r["se"], *r["conf_int"]])


@pytest.mark.parametrize("name", list(TWO))
@pytest.mark.parametrize(("key", "exact", "correct"), [
    ("wilcoxon_default", None, True), ("wilcoxon_normal", False, True),
    ("wilcoxon_normal_nocc", False, False)])
def test_wilcoxon_as_r(name: str, key: str, exact: bool | None, correct: bool) -> None:
    case, r = TWO[name], TWO[name][key]
    got = wilcoxon(case["x"], case["y"], exact=exact, correct=correct)
    assert_r([got.statistic, got.p_value], [r["statistic"], r["p_value"]])
    assert_r(got.hodges_lehmann, case["hodges_lehmann"])
    if exact is None:
        assert got.exact is case["exact"]


@pytest.mark.parametrize("name", list(K))
def test_anova_and_kruskal_as_r(name: str) -> None:
    case = K[name]
    y, g = np.asarray(case["y"]), np.asarray(case["g"])
    groups = [y[g == level] for level in dict.fromkeys(case["g"])]
    a, kw = anova_oneway(groups), kruskal(groups)
    assert_r([a.statistic, *a.df, a.p_value],
             [case["anova"]["statistic"], *case["anova"]["df"], case["anova"]["p_value"]])
    assert_r([kw.statistic, *kw.df, kw.p_value],
             [case["kruskal"]["statistic"], case["kruskal"]["df"], case["kruskal"]["p_value"]])


def test_inputs_that_cannot_be_tested() -> None:
    with pytest.raises(StatsInputError):
        t_test([1.0], [2.0, 3.0])
    with pytest.raises(StatsInputError):
        anova_oneway([[1.0, 2.0]])
    with pytest.raises(StatsInputError):
        kruskal([[1.0, 1.0], [1.0]])
    with pytest.raises(StatsInputError):
        describe([np.nan])


def test_hodges_lehmann_by_bisection_equals_the_median_of_every_difference(monkeypatch) -> None:
    from trialspec.stats import continuous

    rng = np.random.default_rng(7)
    for a, b in ((rng.normal(size=301), rng.normal(0.3, size=250)),
                 (rng.integers(0, 9, 200).astype(float), rng.integers(0, 9, 160).astype(float))):
        exact = float(np.median(np.subtract.outer(a, b)))
        monkeypatch.setattr(continuous, "OUTER_LIMIT", 0)
        assert continuous.hodges_lehmann(a, b) == pytest.approx(exact, rel=1e-12, abs=1e-12)
        monkeypatch.undo()
