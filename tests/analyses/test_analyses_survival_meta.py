"""Time-to-event analyses on survival::lung and a meta-analysis of metafor's dat.bcg counts,
run through protocols and held against R (survival.R, meta.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analyses_helpers import FIXTURES, close, r_reference, sections

from trialspec.protocol import load_protocol_text

SURV = r_reference("survival.json")
META = r_reference("meta.json")

LUNG = """\
trialspec: 1
study: {id: LUNG}
datasets:
  patients:
    key: id
    columns:
      id: {type: string}
      sex: {type: category, levels: ["1", "2"]}
      entry: {type: date}
      death: {type: date}
      last_contact: {type: date}
endpoints:
  os:
    kind: time_to_event
    start: entry
    event: death
    censor: last_contact
    options: {unit: UNIT}
analyses:
  by_sex: {endpoint: os, by: sex, tests: [logrank, cox], options: {conf_type: CONF}}
  pooled: {endpoint: os, options: {conf_type: CONF}}
"""


def lung_tables() -> dict[str, pd.DataFrame]:
    """lung as dates: entry on 2000-01-01, death (status 2) or last contact ``time`` days later."""
    lung = pd.read_csv(FIXTURES / "lung.csv")
    entry = np.datetime64("2000-01-01")
    end = (entry + lung["time"].to_numpy().astype("timedelta64[D]")).astype(str)
    died = lung["status"].to_numpy() == 2
    return {"patients": pd.DataFrame({
        "id": [f"L{i}" for i in range(len(lung))], "sex": lung["sex"].astype(str),
        "entry": "2000-01-01", "death": np.where(died, end, ""), "last_contact": end})}


def run_lung(unit: str = "days", conf: str = "log") -> dict:
    protocol, diags = load_protocol_text(LUNG.replace("UNIT", unit).replace("CONF", conf))
    assert protocol is not None, diags
    analyses, _claims = sections(protocol, lung_tables())
    assert analyses.findings == []
    return analyses.summary["analyses"]


@pytest.mark.parametrize("conf", ["log", "log-log", "plain"])
def test_kaplan_meier_medians_match_survfit(conf: str) -> None:
    got = run_lung(conf=conf)
    ref = SURV["km"][conf]
    for g, key in zip(got["by_sex"]["groups"], ("1", "2"), strict=True):
        r = ref["by_sex"][key]
        assert (g["n"], g["events"]) == (r["n"], r["events"])
        close([g["median"], *g["median_ci"]], [r["median"], r["median_lower"], r["median_upper"]], conf)
    [all_] = got["pooled"]["groups"]
    r = ref["all"]
    close([all_["median"], *all_["median_ci"]], [r["median"], r["median_lower"], r["median_upper"]])


def test_log_rank_and_cox_match_survdiff_and_coxph() -> None:
    tests = run_lung()["by_sex"]["tests"]
    ref = SURV["survdiff"]["sex"]
    close([tests["logrank"]["statistic"], tests["logrank"]["p"]], [ref["chisq"], ref["p_value"]])
    [hr] = tests["cox"]["hazard_ratios"]
    cox = SURV["coxph"]["sex_efron"]
    assert (hr["group"], hr["reference"]) == ("2", "1")
    close([hr["estimate"], *hr["ci"], hr["p"]],
          [cox["hazard_ratio"], cox["conf_int_lower"], cox["conf_int_upper"], cox["p_value"]])
    # every figure is in the report: log-scale coefficient, SE, z; observed and expected events
    close([hr["coef"], hr["se"], hr["z"]], [cox["coef"], cox["se"], cox["z"]])
    close(tests["logrank"]["observed"], ref["observed"])
    close(tests["logrank"]["expected"], ref["expected"])


def test_months_rescale_days() -> None:
    days, months = run_lung("days"), run_lung("months")
    for d, m in zip(days["by_sex"]["groups"], months["by_sex"]["groups"], strict=True):
        close(m["median"], d["median"] / (365.25 / 12))


BCG = """\
trialspec: 1
study: {id: BCG}
analyses:
  bcg:
    method: meta_analysis
    options:
      measure: OR
      pooling: POOLING
      tau2: DL
      model: MODEL
      counts:
"""


def bcg_protocol(pooling: str, model: str) -> str:
    bcg = pd.read_csv(FIXTURES / "bcg.csv")
    rows = "".join(f"        t{r.trial}: [{r.tpos}, {r.tneg}, {r.cpos}, {r.cneg}]\n"
                   for r in bcg.itertuples())
    return BCG.replace("POOLING", pooling).replace("MODEL", model) + rows


@pytest.mark.parametrize(("pooling", "key"), [("mh", "mh"), ("iv", "fixed")])
def test_meta_analysis_of_counts_matches_metafor(pooling: str, key: str) -> None:
    from trialspec.domain.analyses_meta import meta_analysis
    from trialspec.domain.analyses_plan import compile_analyses

    protocol, diags = load_protocol_text(bcg_protocol(pooling, "fixed"))
    assert protocol is not None, diags
    compiled = compile_analyses(protocol)
    assert compiled.diagnostics == []
    summary = meta_analysis(compiled.plans["bcg"]).summary
    ref = META["bcg"]["OR"]
    fixed, dl = summary["fixed"], summary["random"]
    close([math.log(fixed["estimate"]), *map(math.log, fixed["ci"])],
          [ref[key]["estimate"], ref[key]["ci_lower"], ref[key]["ci_upper"]], pooling)
    close(fixed["weights"], ref[key]["weights"])
    close([math.log(dl["estimate"]), dl["tau2"]], [ref["dl"]["estimate"], ref["dl"]["tau2"]])
    # the fixed model's own Q (rma.mh's around the MH estimate: 163.943), and the IV Q beside it
    close(summary["heterogeneity"]["q"], ref[key]["q"])
    close(summary["heterogeneity_iv"]["q"], ref["fixed"]["q"])
    assert summary["model"] == "fixed"  # as the protocol says, whatever the rule picks
    assert summary["rule"]["picks"] == "random"
