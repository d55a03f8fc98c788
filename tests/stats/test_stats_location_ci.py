"""trialspec.stats.location_ci against wilcox.test(conf.int = TRUE) and qwilcox
(tests/fixtures/r/location_ci.R, on PlantGrowth, sleep, warpbreaks, mtcars, iris and
LakeHuron): exact where R is exact, the normal approximation inverted by uniroot otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from rref import assert_r, load

from trialspec.stats.errors import StatsInputError
from trialspec.stats.location_ci import location_shift, qwilcox, wilcox_counts

REF = load("location_ci.json")
CASES = REF["cases"]
SETTINGS = {"default": (None, True, 0.95), "default_90": (None, True, 0.90),
            "normal": (False, True, 0.95), "normal_nocc": (False, False, 0.95)}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("setting", list(SETTINGS))
def test_location_shift_and_ci_as_r(name: str, setting: str) -> None:
    exact, correct, level = SETTINGS[setting]
    case, ref = CASES[name], CASES[name][setting]
    r = location_shift(case["x"], case["y"], exact=exact, correct=correct, conf_level=level)
    assert r.exact is ref["exact"]
    assert_r([r.estimate, r.conf_low, r.conf_high], [ref["estimate"], *ref["conf_int"]],
             what=f"{name} {setting}")
    assert r.conf_level == level


def test_the_exact_estimate_is_the_median_of_differences_and_the_normal_one_is_not_always() -> None:
    c = CASES["sleep"]  # ties: normal approximation
    r = location_shift(c["x"], c["y"])
    assert not r.exact
    assert r.estimate != pytest.approx(float(np.median(np.subtract.outer(c["x"], c["y"]))), abs=1e-9)
    c = CASES["lake_huron"]
    assert location_shift(c["x"], c["y"]).estimate == float(np.median(np.subtract.outer(c["x"], c["y"])))


def test_qwilcox_as_r() -> None:
    for q in REF["qwilcox"]:
        assert qwilcox(q["p"], q["m"], q["n"]) == q["q"]
    counts = wilcox_counts(4, 6)
    assert sum(counts) == 210 and counts == counts[::-1] and len(counts) == 25  # choose(10, 4)


def test_bad_input_is_a_stats_input_error() -> None:
    with pytest.raises(StatsInputError):
        location_shift([], [1.0, 2.0])
    with pytest.raises(StatsInputError):
        location_shift([1.0, 1.0], [1.0, 1.0])  # every value ties
