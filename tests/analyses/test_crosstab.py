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
