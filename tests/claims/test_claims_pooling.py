"""Pooled-estimate ranges over rounded inputs: the vectorized pooling against metafor, and
the ranges against dense random sampling of the rounding box."""

from __future__ import annotations

import numpy as np
import pytest
from claims_ref import close, load

from trialspec.claims import parse_claim
from trialspec.claims.meta import explain_pooled, pooled
from trialspec.claims.pooling import (
    ModelRule,
    PoolRanges,
    Range,
    _Pool,
    inverse_variance,
    pool_ranges,
    z_for,
)

GENERIC = load()["generic"]


def _studies(ref: dict) -> list:
    return [parse_claim(f"{e:.2f} [{lo:.2f};{hi:.2f}]")
            for e, lo, hi in zip(ref["estimate"], ref["lower"], ref["upper"], strict=True)]


@pytest.mark.parametrize("key", sorted(GENERIC))
def test_vectorized_pooling_agrees_with_metafor(key: str) -> None:
    ref = GENERIC[key]
    y = np.log(ref["estimate"])[None, :]
    v = (((np.log(ref["upper"]) - np.log(ref["lower"])) / (2 * z_for(0.95))) ** 2)[None, :]
    out = inverse_variance(y, v, z_for(0.95))[0]
    k = len(ref["estimate"])
    for start, model in ((0, "fixed"), (3 + k, "random")):
        m = ref[model]
        close(np.exp(out[start:start + 3]), [m["estimate"], m["lower"], m["upper"]])
        close(out[start + 3:start + 3 + k], m["weights"])
    close(out[-3:-1], [ref["fixed"]["q"], ref["fixed"]["i2"]], atol=1e-12)
    close(out[-1], ref["random"]["tau2"], atol=1e-15)


@pytest.mark.parametrize("key", sorted(GENERIC))
def test_ranges_hold_the_printed_inputs_result_and_every_sampled_point(key: str) -> None:
    ref = GENERIC[key]
    studies = _studies(ref)
    r = pool_ranges(studies)
    for name in ("fixed", "random"):
        m, want = r.model(name), ref[name]
        for rng_, value in zip((m.estimate, m.lower, m.upper), (want["estimate"], want["lower"],
                                                               want["upper"]), strict=True):
            assert rng_.lo <= value <= rng_.hi
            close(rng_.at_printed, value)
    sample = _Pool(studies, "log", 0.95).outputs(np.random.default_rng(1).random((20_000, 3 * len(studies))))
    lo = np.array([x.lo for x in _flat(r)])
    hi = np.array([x.hi for x in _flat(r)])
    slack = 1e-9 * np.maximum(1, np.abs(hi))
    assert np.all(sample >= lo - slack) and np.all(sample <= hi + slack)


def _flat(r: PoolRanges) -> list[Range]:
    out: list[Range] = []
    for m in (r.fixed, r.random):
        out += [m.estimate, m.lower, m.upper, *m.weights]
    return [*out, r.q, r.i2, r.tau2]


def test_fixed_effect_estimate_range_is_exact_at_the_corners() -> None:
    studies = [parse_claim("2.0 [1.5;2.7]"), parse_claim("3.0 [2.0;4.5]")]
    r = pool_ranges(studies)
    corners = _Pool(studies, "log", 0.95).outputs(
        np.array(np.meshgrid(*[[0.0, 1.0]] * 6, indexing="ij")).reshape(6, -1).T)
    assert r.fixed.estimate.lo == pytest.approx(corners[:, 0].min(), rel=1e-12)
    assert r.fixed.estimate.hi == pytest.approx(corners[:, 0].max(), rel=1e-12)


def test_model_rule() -> None:
    hetero = pool_ranges([parse_claim("0.31 [0.29;0.33]"), parse_claim("0.41 [0.37;0.46]")])
    homo = pool_ranges([parse_claim("0.77 [0.59;1.01]"), parse_claim("0.64 [0.47;0.87]")])
    assert ModelRule().choose(hetero) == "random"
    assert ModelRule().choose(homo) == "fixed"


def test_pooled_check_on_made_up_reports() -> None:
    studies = ["0.75 [0.60;0.94]", "0.90 [0.70;1.16]", "0.62 [0.45;0.85]"]
    ref = GENERIC["three_hr"]
    fe = ref["fixed"]
    printed = f"{fe['estimate']:.2f} [{fe['lower']:.2f};{fe['upper']:.2f}]"
    weights = [f"{w:.1f}%" for w in fe["weights"]]
    ok = pooled(studies, printed, weights, rule=ModelRule())
    assert ok.finding.consistent and ok.rule_choice == "fixed"
    bad = pooled(studies, "0.70 [0.62;0.79]", weights)
    assert not bad.finding.consistent and bad.finding.code == "TS726"
    assert "estimate [0.695, 0.705]" in bad.finding.message


def test_a_random_effects_print_against_a_rule_that_picks_fixed() -> None:
    # made up: two discordant studies, so fixed and random differ, and a rule that
    # (unusually) tolerates I^2 up to 99% and any Q picks fixed
    studies = ["0.31 [0.29;0.33]", "0.41 [0.37;0.46]"]
    res = pooled(studies, "0.36 [0.27;0.47]", rule=ModelRule(q_p=0.0, i2=99.0))
    assert res.rule_choice == "fixed"
    assert not res.finding.consistent and res.finding.code == "TS727"


def test_explain_pooled_names_the_model() -> None:
    e = explain_pooled(["0.31 [0.29;0.33]", "0.41 [0.37;0.46]"], "0.36 [0.27;0.47]",
                       ["51.1%", "48.9%"], planned="fixed")
    assert not any(r.reproduced for r in e.results)
    assert all(r.code == "TS712" for r in e.results)
    assert all([x.candidate for x in r.explanations] == ["random"] for r in e.results)


def test_pooling_needs_two_positive_studies() -> None:
    with pytest.raises(ValueError, match="two studies"):
        pool_ranges([parse_claim("0.5 [0.4;0.6]")])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="positive"):
        pool_ranges([parse_claim("0.5 [0.0;0.6]"), parse_claim("0.5 [0.4;0.6]")])  # type: ignore[list-item]
