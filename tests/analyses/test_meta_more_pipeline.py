"""A study-level-only protocol (dat.bcg, no subjects table): it runs without TS414, and its
meta-analysis reports rma.mh's own Q, the prediction interval, tau^2's SE and CI, the
Hartung-Knapp test, per-study effects, CMH and Breslow-Day, as metafor (meta_more.R)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from analyses_helpers import FIXTURES, close, r_reference

from trialspec.pipeline import check

REF = r_reference("meta_more.json")
PROTOCOL = """\
trialspec: 1
study: {id: BCG}
datasets:
  trials:
    source: bcg.csv
    level: study
    key: trial
    columns:
      trial: {type: string}
      tpos: {type: number}
      cpos: {type: number}
      tn: {type: number}
      cn: {type: number}
analyses:
  M:
    method: meta_analysis
    options: {measure: OR, from: trials, counts: {events: [tpos, cpos], totals: [tn, cn]}}
"""


def test_study_level_only_protocol_with_every_figure(tmp_path: Path) -> None:
    bcg = pd.read_csv(FIXTURES / "bcg.csv")
    bcg["tn"], bcg["cn"] = bcg["tpos"] + bcg["tneg"], bcg["cpos"] + bcg["cneg"]
    bcg.to_csv(tmp_path / "bcg.csv", index=False)
    (tmp_path / "p.yaml").write_text(PROTOCOL, encoding="utf-8")
    result = check(tmp_path / "p.yaml", tmp_path)
    assert [d.code for d in result.diagnostics] == []
    m = next(s for s in result.sections if s.name == "analyses").summary["analyses"]["M"]
    mh = REF["mh_or"]
    close([m["heterogeneity"]["q"], m["heterogeneity"]["i2"]], [mh["q"], mh["i2"]])  # 163.943
    assert m["heterogeneity"]["method"] == "MH" and abs(m["heterogeneity_iv"]["q"] - 163.165) < 1e-3
    dl = REF["or_dl"]
    r = m["random"]
    close([math.log(x) for x in r["prediction_interval"]], dl["pi"])
    close([r["tau2_se"], *r["tau2_ci"]], [dl["se_tau2"], *dl["tau2_ci"]])
    hk = r["hartung_knapp"]
    close([hk["se"], hk["p"], *[math.log(x) for x in hk["ci"]]],
          [dl["knha"]["se"], dl["knha"]["p_value"], *dl["knha"]["ci"]])
    close([r["scale"]["estimate"], r["scale"]["se"]], [dl["estimate"], dl["se"]])
    assert len(m["study_effects"]) == 13 and m["study_effects"][0]["study"] == "1"
    t = m["tests"]
    close([t["cmh"]["statistic"], t["breslow_day"]["statistic"], t["tarone"]["statistic"]],
          [mh["cmh"]["statistic"], mh["bd"], mh["tarone"]])
