"""Meta-analyses reading their studies from a study-level dataset (``level: study`` and
``options: {from: ...}``): the published 2x2 counts of CASTOR and POLLUX (ORR, response-
evaluable patients) that the seed paper's Table 2 pools, and printed hazard ratios."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from analyses_helpers import MINI_HEAD, finding, mini_tables, sections, t4_arms, verdicts

from trialspec.compiled import check_model
from trialspec.domain.analyses_plan import compile_analyses
from trialspec.engine import get_backend
from trialspec.protocol import load_protocol_text

TRIALS = """\
  trials:
    source: trials.csv
    level: study
    key: trial
    columns:
      trial: {type: string}
      orr_e: {type: number}
      n_e: {type: number}
      orr_c: {type: number}
      n_c: {type: number}
      hr: {type: number}
      hr_lo: {type: number}
      hr_hi: {type: number}
"""
HEAD = MINI_HEAD.replace("endpoints:", TRIALS + "endpoints:", 1)
ORR = """
  M:
    method: meta_analysis
    options:
      measure: OR
      from: trials
      counts: {events: [orr_e, orr_c], totals: [n_e, n_c]}
"""


def trials(**changes: list[str]) -> pd.DataFrame:
    """CASTOR and POLLUX as published (ORR: responders of the response-evaluable), and a
    third trial that reported hazard ratios only."""
    cols = {"trial": ["CASTOR", "POLLUX", "OTHER"],
            "orr_e": ["199", "261", ""], "n_e": ["240", "281", ""],
            "orr_c": ["148", "211", ""], "n_c": ["234", "276", ""],
            "hr": ["0.39", "0.37", "0.50"], "hr_lo": ["0.28", "0.27", "0.30"],
            "hr_hi": ["0.53", "0.52", "0.83"]}
    cols.update(changes)
    return pd.DataFrame(cols)


def run(body: str, table: pd.DataFrame | None = None) -> tuple[object, object, object]:
    protocol, diags = load_protocol_text(HEAD + body, "mini.yaml")
    assert protocol is not None, [d.message for d in diags]
    tables = mini_tables(t4_arms())
    tables["trials"] = trials() if table is None else table
    backend = get_backend("pandas")
    bound = backend.bind_frames(protocol, tables)
    analyses, claims = sections(protocol, tables)
    return bound, analyses, claims


def test_counts_from_the_table_pool_by_mantel_haenszel() -> None:
    _bound, analyses, _claims = run("analyses:" + ORR)
    s = analyses.summary["analyses"]["M"]
    assert s["ran"] and s["pooling"] == "mh" and s["studies"] == ["CASTOR", "POLLUX"]  # OTHER: no counts
    # metafor::rma.mh(ai=c(199,261), n1i=c(240,281), ci=c(148,211), n2i=c(234,276)) gives
    # 3.2664 [2.3418; 4.5561]; the weights are Table 2's 62.8% / 37.2%.
    assert s["fixed"]["estimate"] == pytest.approx(3.266430936, rel=1e-6)
    assert s["fixed"]["ci"] == pytest.approx([2.341830773, 4.556081158], rel=1e-6)
    assert [round(w, 1) for w in s["fixed"]["weights"]] == [62.8, 37.2]


def test_the_same_as_the_counts_written_inline() -> None:
    inline = """
analyses:
  M:
    method: meta_analysis
    options: {measure: OR, counts: {CASTOR: [199, 41, 148, 86], POLLUX: [261, 20, 211, 65]}}
"""
    _b, from_table, _c = run("analyses:" + ORR)
    _b, written, _c = run(inline)
    a, b = from_table.summary["analyses"]["M"], written.summary["analyses"]["M"]
    assert a["fixed"] == b["fixed"] and a["random"] == b["random"]


def test_reported_rows_are_judged_and_the_pooling_that_decides_is_named() -> None:
    reported = """
reported:
  T2:
    studies: {CASTOR: "2.82 [1.84;4.33]", POLLUX: "4.02 [2.36;6.85]"}
    pooled: "3.27 [2.34;4.56]"
    weights: {CASTOR: "62.8%", POLLUX: "37.2%"}
"""
    body = "analyses:" + ORR + "      reported_as: [T2]\n" + reported
    _b, _a, claims = run(body)
    v = verdicts(claims)
    assert v["T2.studies.CASTOR"][0] == v["T2.studies.POLLUX"][0] == "reproduced"
    assert v["T2.pooled"] == ("reproduced", ["TS728"])
    assert v["T2.weights.CASTOR"] == ("reproduced", ["TS728"])
    f = finding(claims, "TS728")
    assert f.severity.value == "warning"
    assert "Mantel-Haenszel" in f.message and "3.241 [2.321; 4.527]" in f.message  # inverse variance
    assert [label for label, _span in f.related] == ["T2.weights.CASTOR", "T2.weights.POLLUX"]
    # the protocol naming its pooling: nothing left to say
    _b, _a, named = run(body.replace("from: trials", "from: trials\n      pooling: mh"))
    assert verdicts(named)["T2.pooled"] == ("reproduced", [])
    # and planned by inverse variance, Mantel-Haenszel's numbers are another computation's
    _b, _a, iv = run(body.replace("from: trials", "from: trials\n      pooling: iv"))
    assert verdicts(iv)["T2.pooled"] == ("not reproduced", ["TS712"])
    assert "Mantel-Haenszel" in finding(iv, "TS712", "T2.pooled").hint


def test_a_study_row_the_counts_do_not_give() -> None:
    body = ("analyses:" + ORR + "      reported_as: [T2]\n"
            'reported:\n  T2:\n    studies: {CASTOR: "2.28 [1.84;4.33]"}\n')
    _b, _a, claims = run(body)
    assert verdicts(claims)["T2.studies.CASTOR"] == ("not reproduced", ["TS711"])
    assert "from its 2x2 counts (Wald CI): 2.82 [1.837; 4.329]" in finding(claims, "TS711").message


def test_printed_effects_keep_their_digits() -> None:
    body = """
analyses:
  H:
    method: meta_analysis
    options: {measure: HR, from: trials, effect: [hr, hr_lo, hr_hi]}
"""
    _b, analyses, _c = run(body)
    s = analyses.summary["analyses"]["H"]
    assert s["studies"] == ["CASTOR", "POLLUX", "OTHER"] and s["pooling"] == "iv"
    table = next(t for t in analyses.tables if t.title.startswith("H"))
    assert table.rows[0][1] == "0.39 [0.28; 0.53]"  # as written in the file
    # inverse variance by hand from the printed rows: log HR, SE from the CI's width
    hr, lo, hi = [0.39, 0.37, 0.50], [0.28, 0.27, 0.30], [0.53, 0.52, 0.83]
    w = [(2 * 1.959963985 / math.log(h / low)) ** 2 for low, h in zip(lo, hi, strict=True)]
    pooled = math.exp(sum(wi * math.log(x) for wi, x in zip(w, hr, strict=True)) / sum(w))
    assert s["fixed"]["estimate"] == pytest.approx(pooled, rel=1e-6)


def test_bad_rows_are_named_at_their_file_row() -> None:
    _b, analyses, _c = run("analyses:" + ORR, trials(orr_e=["199", "300", ""]))
    f = finding(analyses, "TS705", "POLLUX")
    assert "300/281" in f.message
    assert (f.span.path, f.span.line) == ("trials", 3)  # the header is line 1
    assert not analyses.summary["analyses"]["M"]["ran"]
    bound, _a, _c = run("analyses:" + ORR, trials(n_e=["240", "many", ""]))
    bad = [d for d in bound.diagnostics if d.span and d.span.path == "trials"]
    assert [(d.code, d.span.line) for d in bad] == [("TS406", 3)]  # a bad cell, as in any table
    assert "not a number: 'many' for study POLLUX (row 2)" in bad[0].message
    assert bound.frames is not None  # the subjects are screened all the same


@pytest.mark.parametrize(("options", "message"), [
    ("{from: subjects, counts: {events: [a, b], totals: [c, d]}}", "not a study-level dataset"),
    ("{from: trials}", "needs either `counts"),
    ("{from: trials, counts: {events: [orr_e, orr_x], totals: [n_e, n_c]}}", "no column `orr_x`"),
    ("{from: trials, effect: [hr, hr_lo]}",
     "must name 3 columns of `trials`, estimate, lower, upper; it names 2"),
])
def test_what_from_needs(options: str, message: str) -> None:
    body = f"analyses:\n  M: {{method: meta_analysis, options: {options}}}\n"
    protocol, _ = load_protocol_text(HEAD + body, "mini.yaml")
    compiled = compile_analyses(protocol)
    assert "M" not in compiled.plans
    assert any(message in d.message for d in compiled.diagnostics), [d.message for d in compiled.diagnostics]


def test_study_level_tables_are_no_subjects_and_no_names() -> None:
    bad = HEAD.replace("    level: study\n", "    level: study\n    subject: trial\n")
    protocol, diags = load_protocol_text(bad, "mini.yaml")
    assert any("`subject` does not apply to the study-level dataset" in d.message for d in diags)
    body = "eligibility:\n  inclusion:\n    I1: {text: t, when: orr_e > 100}\n"
    protocol, diags = load_protocol_text(HEAD + body, "mini.yaml")
    assert protocol is not None and protocol.population == "subjects"
    _checked, found = check_model(protocol)
    assert [d.code for d in found] == ["TS301"]  # a study-level column is no subject's name
    assert "column of the study-level dataset 'trials'" in found[0].message
    assert "options: {from: trials}" in (found[0].hint or "")
    protocol, _ = load_protocol_text(HEAD + body.replace("orr_e > 100", "trials.orr_e > 100"), "mini.yaml")
    _checked, found = check_model(protocol)
    assert [(d.code, d.message) for d in found] == [
        ("TS311", "'trials' is a study-level dataset: no patient has its values")]


def test_a_study_ci_rebuilt_on_the_ratio_scale_is_named() -> None:
    # CASTOR's 0.39 (0.28-0.53) with SE = (0.53 - 0.28) / 3.92 taken as the log HR's: 0.39 [0.34;0.44]
    body = """
analyses:
  H:
    method: meta_analysis
    options: {measure: HR, from: trials, effect: [hr, hr_lo, hr_hi], reported_as: [T]}
reported:
  T:
    studies: {CASTOR: "0.39 [0.34;0.44]", POLLUX: "0.37 [0.30;0.45]", OTHER: "0.50 [0.30;0.83]"}
"""
    _b, _a, claims = run(body)
    v = verdicts(claims)
    assert v["T.studies.CASTOR"] == ("not reproduced", ["TS729"])
    assert "(upper - lower) / 3.92 = 0.0638" in finding(claims, "TS729").message
    assert v["T.studies.POLLUX"] == ("not reproduced", ["TS711"])  # some other CI: no explanation
    assert v["T.studies.OTHER"] == ("reproduced", [])


def test_a_trial_that_did_not_report_an_outcome_is_left_out() -> None:
    # OTHER has its patients counted (the totals are shared by every outcome) but no ORR
    table = trials(n_e=["240", "281", "300"], n_c=["234", "276", "300"])
    _b, analyses, _c = run("analyses:" + ORR, table)
    s = analyses.summary["analyses"]["M"]
    assert s["ran"] and s["studies"] == ["CASTOR", "POLLUX"]


def test_one_reporting_trial_is_no_meta_analysis() -> None:
    body = "analyses:\n  H: {method: meta_analysis, options: {measure: HR, from: trials, " \
           "effect: [hr, hr_lo, hr_hi]}}\n"
    _b, analyses, _c = run(body, trials(hr=["0.39", "", ""], hr_lo=["0.28", "", ""], hr_hi=["0.53", "", ""]))
    f = finding(analyses, "TS705", "H")
    assert "1 study of 'trials' reports hr, hr_lo, hr_hi; a meta-analysis pools at least two" in f.message
    assert not analyses.summary["analyses"]["H"]["ran"]


@pytest.mark.parametrize(("lo", "message"), [("0.45", "not an estimate inside its CI"),
                                             ("0", "not a ratio's CI")])
def test_a_bad_printed_effect_is_named_at_its_row(lo: str, message: str) -> None:
    body = "analyses:\n  H: {method: meta_analysis, options: {measure: HR, from: trials, " \
           "effect: [hr, hr_lo, hr_hi]}}\n"
    _b, analyses, _c = run(body, trials(hr_lo=["0.28", lo, "0.30"]))
    f = finding(analyses, "TS705", "POLLUX")
    assert message in f.message and (f.span.path, f.span.line) == ("trials", 3)


def test_peto_pools_odds_ratios_only() -> None:
    body = "analyses:\n  M: {method: meta_analysis, options: {measure: RR, pooling: peto, " \
           "counts: {a: [1, 9, 2, 8], b: [3, 7, 4, 6]}}}\n"
    protocol, _ = load_protocol_text(HEAD + body, "mini.yaml")
    compiled = compile_analyses(protocol)
    assert "M" not in compiled.plans
    assert [d.message for d in compiled.diagnostics] == ["Peto's method pools odds ratios, not RR"]


def test_a_study_table_speaks_of_studies() -> None:
    bound, _a, _c = run("analyses:" + ORR, trials(trial=["CASTOR", "CASTOR", ""]))
    found = {d.code: d for d in bound.diagnostics if d.span and d.span.path == "trials"}
    assert found["TS404"].hint == "Remove the duplicate row; a keyed table has one row per study."
    assert found["TS415"].message.startswith("trials.trial: no study key: '' for row 3")
