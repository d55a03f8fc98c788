"""Crosstabs (`by: [rows, columns]`): the counts, the tests, and what cannot be set up."""

from __future__ import annotations

import pytest
from analyses_helpers import MINI_HEAD, mini_protocol, mini_tables, sections, t4_arms

from trialspec.domain.analyses_plan import compile_analyses
from trialspec.protocol import load_protocol_text


def test_counts_by_two_names_is_a_crosstab_with_its_tests() -> None:
    exposed = ["true"] * 10 + ["false"] * 6 + ["true"] * 2 + ["false"] * 3  # a: 10/6, b: 2/3
    body = "analyses:\n  X: {by: [arm, exposed], tests: [chi2, fisher, trend, g_test]}\n"
    section, _ = sections(mini_protocol(body), mini_tables(t4_arms(), exposed=exposed))
    x = section.summary["analyses"]["X"]
    assert x["method"] == "crosstab" and x["rows"] == ["a", "b"] and x["columns"] == ["true", "false"]
    assert x["table"] == [[10, 6], [2, 3]] and x["total"] == 21
    assert set(x["tests"]) == {"chi2", "fisher", "trend", "g_test"}
    # with two levels the trend regression fits exactly: it is the uncorrected chi-square
    assert x["tests"]["trend"]["statistic"] == pytest.approx(x["tests"]["chi2"]["statistic"], rel=1e-12)
    assert section.tables[0].rows[-1] == ("total", 12, 9, 21)


def test_a_crosstab_needs_two_names() -> None:
    protocol, _ = load_protocol_text(MINI_HEAD + "analyses:\n  X: {method: crosstab, by: arm}\n", "m.yaml")
    assert protocol is not None
    [d] = compile_analyses(protocol).diagnostics
    assert d.code == "TS701" and "by: [rows, columns]" in d.message


def test_cmh_of_2x2_strata_reports_the_common_odds_ratio_and_breslow_day() -> None:
    from trialspec.stats.categorical import cmh

    exposed = (["true"] * 8 + ["false"] * 4 + ["true"] * 2 + ["false"] * 2
               + ["true"] * 2 + ["false"] * 3)
    body = "analyses:\n  X: {by: [exposed, orr], tests: [cmh], options: {strata: arm}}\n"
    section, _ = sections(mini_protocol(body), mini_tables(t4_arms(), exposed=exposed))
    c = section.summary["analyses"]["X"]["tests"]["cmh"]
    # arm a: exposed 8 respond, 2 do not; unexposed 4 and 2; arm b: exposed 1 and 1, unexposed 0, 3
    direct = cmh([[[8, 2], [4, 2]], [[1, 1], [0, 3]]])
    assert c["strata"] == 2
    assert c["common_odds_ratio"]["estimate"] == pytest.approx(direct.odds_ratio, rel=1e-12)
    assert c["breslow_day"]["p"] == pytest.approx(direct.breslow_day.p_value, rel=1e-12)
    assert c["p"] == pytest.approx(direct.p_value, rel=1e-12)


def test_cmh_needs_strata() -> None:
    body = "analyses:\n  X: {by: [arm, exposed], tests: [cmh]}\n"
    protocol, _ = load_protocol_text(MINI_HEAD + body, "m.yaml")
    assert protocol is not None
    assert any("needs `options: {strata" in d.message for d in compile_analyses(protocol).diagnostics)
