"""trialspec.stats.proportions against R's binom.test (tests/fixtures/r/proportions.R)."""

from __future__ import annotations

import pytest
from rref import assert_r, load

from trialspec.stats.errors import StatsInputError
from trialspec.stats.proportions import binomial_proportion

CASES = load("proportions.json")["binom_test"]
ALTERNATIVES = {"two_sided": "two-sided", "less": "less", "greater": "greater"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['x']}of{c['n']}-{c['conf_level']}")
@pytest.mark.parametrize("key", list(ALTERNATIVES))
def test_binom_test(case: dict, key: str) -> None:
    ref = case[key]
    res = binomial_proportion(case["x"], case["n"], conf_level=case["conf_level"],
                              null=case["p"], alternative=ALTERNATIVES[key])
    assert_r([res.estimate, res.p_value, res.conf_low, res.conf_high],
             [case["estimate"], ref["p_value"], *ref["conf_int"]])


def test_exact_limits_at_the_extremes() -> None:
    assert binomial_proportion(0, 10).conf_low == 0.0
    assert binomial_proportion(10, 10).conf_high == 1.0


@pytest.mark.parametrize(("x", "n"), [(5, 4), (-1, 4), (0, 0)])
def test_impossible_counts_are_refused(x: int, n: int) -> None:
    with pytest.raises(StatsInputError):
        binomial_proportion(x, n)


def test_unknown_alternative_is_refused() -> None:
    with pytest.raises(StatsInputError, match="alternative"):
        binomial_proportion(3, 10, alternative="two.sided")  # type: ignore[arg-type]
