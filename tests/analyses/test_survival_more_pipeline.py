"""A time-to-event endpoint given as a duration, with landmarks, RMST, a stratified log-rank
test and Cox models with covariates, strata and entry times, on survival::lung against
tests/fixtures/r/survival_more.json."""

from __future__ import annotations

import pandas as pd
from analyses_helpers import FIXTURES, close, r_reference, sections

from trialspec.protocol import load_protocol_text

REF = r_reference("survival_more.json")
PROTOCOL = """\
trialspec: 1
study: {id: LUNG}
datasets:
  subjects:
    key: id
    columns:
      id: {type: string}
      time: {type: number}
      status: {type: number}
      sex: {type: category, levels: ["1", "2"]}
      age: {type: number, unit: years}
      ecog: {source: ph.ecog, type: category, levels: ["0", "1", "2", "3"]}
      entry: {type: number}
endpoints:
  os: {kind: time_to_event, time: time, event: status == 2, options: {unit: days}}
  os_entry: {kind: time_to_event, time: time, event: status == 2, entry: entry, options: {unit: days}}
analyses:
  K:
    endpoint: os
    by: sex
    tests: [logrank, cox]
    options: {tau: 365, landmarks: [90, 180, 365, 730], strata: ecog, covariates: [age]}
  E: {endpoint: os_entry, by: sex, tests: [cox], options: {covariates: [age], ties: breslow}}
"""


def run() -> dict:
    lung = pd.read_csv(FIXTURES / "lung_more.csv")
    lung.insert(0, "id", [f"L{i}" for i in range(len(lung))])
    protocol, diags = load_protocol_text(PROTOCOL, "lung.yaml")
    assert protocol is not None, diags
    section, _ = sections(protocol, {"subjects": lung.astype(str)})
    assert not [d for d in section.findings if d.severity.value == "error"], section.findings
    return section.summary["analyses"]


def test_duration_endpoint_with_rmst_landmarks_strata_and_covariates_as_r() -> None:
    out = run()
    k = out["K"]
    close([g["estimate"] for g in k["rmst"]["groups"]], REF["rmst_365"]["rmean"])
    close([g["se"] for g in k["rmst"]["groups"]], REF["rmst_365"]["se"])
    diff = k["rmst"]["differences"][0]
    close(diff["estimate"], REF["rmst_365"]["rmean"][1] - REF["rmst_365"]["rmean"][0])
    marks = [m for g in k["groups"] for m in g["landmarks"]]
    close([m["surv"] for m in marks], REF["landmarks"]["surv"])
    close([m["n_risk"] for m in marks], REF["landmarks"]["n_risk"])
    lr = k["tests"]["logrank"]
    assert lr["stratified"] is True
    close([lr["statistic"], lr["p"]], [REF["logrank_strata"]["chisq"], REF["logrank_strata"]["p_value"]])
    cox = k["tests"]["cox"]
    ref = REF["cox_strata_efron"]
    close([c["coef"] for c in cox["coefficients"]], ref["coef"])
    close([c["se"] for c in cox["coefficients"]], ref["se"])
    assert cox["hazard_ratios"][0]["group"] == "2" and cox["stratified"] is True


def test_entry_times_in_the_cox_model_and_the_curves_as_r() -> None:
    e = run()["E"]
    close([g["median"] for g in e["groups"]], REF["km_entry"]["median"])
    cox = e["tests"]["cox"]
    assert cox["left_truncated"] is True
    close([c["coef"] for c in cox["coefficients"]], REF["cox_entry"]["coef"])
    close([c["p"] for c in cox["coefficients"]], REF["cox_entry"]["p"])
