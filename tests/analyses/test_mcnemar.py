"""McNemar's test from a protocol: `by: [before, after]` crosstab of paired binary columns,
held to R's mcnemar.test (tests/fixtures/r/categorical.R: Agresti's presidential approval
ratings at two surveys, 1600 people, expanded here to one row per person)."""

from __future__ import annotations

from analyses_helpers import MINI_HEAD, close, mini_tables, r_reference, sections

from trialspec.domain.analyses_plan import compile_analyses
from trialspec.protocol import load_protocol_text

HEAD = MINI_HEAD.replace("      exposed: {type: boolean}\n",
                         "      exposed: {type: boolean}\n"
                         "      first: {type: category, levels: [approve, disapprove]}\n"
                         "      second: {type: category, levels: [approve, disapprove]}\n")
BODY = "analyses:\n  M: {by: [first, second], tests: [mcnemar, mcnemar_nocc, chi2]}\n"


def _approval_tables() -> dict:
    ref = r_reference("categorical.json")["mcnemar"]["table"]  # rows: first survey
    levels = ("approve", "disapprove")
    pairs = [(levels[i], levels[j]) for i in range(2) for j in range(2) for _ in range(int(ref[i][j]))]
    n = len(pairs)
    arms = {"a": ["PR"] * (n // 2), "b": ["SD"] * (n - n // 2)}
    return mini_tables(arms, first=[p[0] for p in pairs], second=[p[1] for p in pairs])


def test_mcnemar_of_paired_columns_is_rs_mcnemar_test() -> None:
    protocol, diags = load_protocol_text(HEAD + BODY, "m.yaml")
    assert protocol is not None, diags
    section, _ = sections(protocol, _approval_tables())
    ref = r_reference("categorical.json")["mcnemar"]
    m = section.summary["analyses"]["M"]
    assert m["table"] == ref["table"] and m["total"] == 1600
    got, plain = m["tests"]["mcnemar"], m["tests"]["mcnemar_nocc"]
    close([got["statistic"], got["p"]], [ref["statistic"], ref["p_value"]], "corrected")
    close([plain["statistic"], plain["p"]], [ref["statistic_uncorrected"], ref["p_value_uncorrected"]],
          "uncorrected")
    assert got["df"] == 1 and got["discordant"] == [150, 86] and plain["correct"] is False
    assert "McNemar's test" in (section.tables[0].note or "")


def test_mcnemar_needs_two_columns_with_the_same_two_levels() -> None:
    body = "analyses:\n  M: {by: [arm, first], tests: [mcnemar]}\n"
    protocol, _ = load_protocol_text(HEAD.replace("levels: [a, b]", "levels: [x, y]") + body, "m.yaml")
    assert protocol is not None
    [d] = compile_analyses(protocol).diagnostics
    assert d.code == "TS701" and "same two levels" in d.message and d.hint


def test_mcnemar_without_discordant_pairs_is_a_finding_not_a_traceback() -> None:
    protocol, _ = load_protocol_text(HEAD + BODY, "m.yaml")
    assert protocol is not None
    tables = mini_tables({"a": ["PR"] * 3, "b": ["SD"] * 3}, first=["approve"] * 3 + ["disapprove"] * 3,
                         second=["approve"] * 3 + ["disapprove"] * 3)
    section, _ = sections(protocol, tables)
    assert "mcnemar" not in section.summary["analyses"]["M"]["tests"]
    assert any(d.code == "TS705" and "discordant" in d.message for d in section.findings)
