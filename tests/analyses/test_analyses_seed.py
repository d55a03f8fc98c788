"""The seed protocol's analyses on the example data, held against R (analyses.R, meta.R)."""

from __future__ import annotations

from typing import Any

import pytest
from analyses_helpers import close, r_reference, seed

REF = r_reference("analyses.json")


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    _protocol, analyses, _claims = seed()
    return analyses.summary["analyses"]


@pytest.mark.parametrize("aid", sorted(REF["proportion"]))
def test_proportions_and_tests_match_r(summary: dict[str, Any], aid: str) -> None:
    ref, got = REF["proportion"][aid], summary[aid]
    assert got["ran"] and [g["label"] for g in got["groups"]] == ref["labels"]
    assert [g["n"] for g in got["groups"]] == ref["n"]
    assert [g["events"] for g in got["groups"]] == ref["events"]
    close([g["ci"] for g in got["groups"]], ref["ci"], f"{aid} exact CI")
    close(got["tests"]["fisher"]["p"], ref["fisher"]["p_value"], f"{aid} fisher")
    close(got["tests"]["chi2"]["statistic"], ref["chisq"]["statistic"], f"{aid} chi2")
    close(got["tests"]["chi2"]["p"], ref["chisq"]["p_value"], f"{aid} chi2 p")
    cond = got["odds_ratio"]["conditional"]
    close([cond["estimate"], *cond["ci"]], [ref["fisher"]["estimate"], *ref["fisher"]["conf_int"]])
    wald = got["odds_ratio"]["wald"]
    close([wald["estimate"], *wald["ci"]], [ref["wald_or"]["estimate"], *ref["wald_or"]["conf_int"]])


def test_counts_and_summaries_match_r(summary: dict[str, Any]) -> None:
    counts = REF["counts"]
    assert summary["S2.1.patients"]["total"] == counts["patients"]
    for aid, key in (("S2.1.sex", "sex"), ("S2.1.disease_status", "disease_status"),
                     ("T1.iss", "iss"), ("T1.ds", "ds")):
        assert [g["n"] for g in summary[aid]["groups"]] == counts[key], aid
    for aid, groups in (("T1.age", {"all": "age"}), ("T1.prior_cycles", {"all": "prior_cycles"}),
                        ("T3.median_age", {"responders": "age_responders",
                                           "non_responders": "age_non_responders"})):
        for g in summary[aid]["groups"]:
            ref = REF["summary"][groups[g["label"]]]
            close([g["n"], g["median"], g["mean"], g["min"], g["max"]],
                  [ref["n"], ref["median"], ref["mean"], ref["min"], ref["max"]], aid)


META = r_reference("meta.json")


def _reference(outcome: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """metafor's (fixed, DerSimonian-Laird, inverse-variance fixed for Q) for Table 2's outcome:
    rma.mh on the trials' counts for the response rates, rma on the published HRs for PFS,
    and on the paper's printed rows for OS (the only source of its HRs)."""
    if outcome in ("orr", "vgpr", "mrd"):
        ref = META["seed_trials"][outcome]["OR"]
        return ref["mh"], ref["dl"], ref["fixed"]
    ref = META["seed_trials"]["pfs"] if outcome == "pfs" else META["generic"]["seed_os"]
    return ref["fixed"], ref["dl"], ref["fixed"]


@pytest.mark.parametrize("outcome", ["orr", "vgpr", "mrd", "pfs", "os"])
def test_table2_pools_match_metafor(summary: dict[str, Any], outcome: str) -> None:
    import math

    got = summary[f"T2.{outcome}"]
    fixed, dl, iv = _reference(outcome)
    assert got["pooling"] == ("mh" if outcome in ("orr", "vgpr", "mrd") else "iv")
    for model, r in (("fixed", fixed), ("random", dl)):
        m = got[model]
        close([math.log(m["estimate"]), math.log(m["ci"][0]), math.log(m["ci"][1]), m["p"]],
              [r["estimate"], r["ci_lower"], r["ci_upper"], r["p_value"]], f"{outcome} {model}")
        close(m["weights"], r["weights"], f"{outcome} {model} weights")
    het, het_iv = got["heterogeneity"], got["heterogeneity_iv"]
    close([het["q"], het["p"], het["i2"]], [fixed["q"], fixed["q_p_value"], fixed["i2"]])
    close([het_iv["q"], het_iv["p"], het_iv["i2"]], [iv["q"], iv["q_p_value"], iv["i2"]])
    assert het["tau2"] == pytest.approx(dl["tau2"], rel=1e-6, abs=1e-15)
    rule = "fixed" if iv["q_p_value"] > 0.1 and iv["i2"] < 50 else "random"
    assert got["model"] == got["rule"]["picks"] == rule


def test_pfs_pool_picks_random_effects_by_the_papers_rule(summary: dict[str, Any]) -> None:
    pfs = summary["T2.pfs"]  # the published HRs: I^2 56% (the paper's mis-scaled CIs: 94%)
    assert pfs["model"] == "random" and 50 < pfs["heterogeneity_iv"]["i2"] < 60


def test_every_analysis_runs_and_has_a_table_and_a_case() -> None:
    protocol, analyses, _claims = seed()
    assert analyses.summary["planned"] == analyses.summary["ran"] == len(protocol.analyses)
    assert [c.name for c in analyses.cases] == [f"analyses/{a}" for a in protocol.analyses]
    assert all(c.passed for c in analyses.cases)
    assert len(analyses.tables) == len(protocol.analyses)
    assert [d.code for d in analyses.findings] == []
