"""Ordinal (proportional-odds) analyses in a report: covariates, and what cannot be set up."""

from __future__ import annotations

from analyses_helpers import MINI_HEAD, mini_protocol, mini_tables, sections, t4_arms

from trialspec.domain.analyses_plan import compile_analyses
from trialspec.protocol import load_protocol_text

BODY = ("analyses:\n  O: {method: ordinal, by: arm, options: {outcome: best_response, "
        "covariates: [age]}}\n")


def test_ordinal_with_a_covariate() -> None:
    section, _ = sections(mini_protocol(BODY), mini_tables(t4_arms()))
    o = section.summary["analyses"]["O"]
    assert o["covariates"] == ["age"] and o["included"] == 21
    assert list(o["coefficients"]) == ["age", "armb"]
    assert o["odds_ratios"][0]["label"] == "b vs a" and len(o["cutpoints"]) >= 1


def test_ordinal_needs_an_ordered_category() -> None:
    protocol, _ = load_protocol_text(MINI_HEAD + "analyses:\n  O: {method: ordinal, by: arm}\n", "m.yaml")
    assert protocol is not None
    assert any("needs `options: {outcome" in d.message for d in compile_analyses(protocol).diagnostics)
