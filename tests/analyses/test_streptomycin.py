"""The MRC 1948 streptomycin trial, protocols/streptomycin-1948.yaml on the patients
reconstructed from its Table II, against R (effects.R, categorical.R)."""

from __future__ import annotations

from analyses_helpers import ROOT, close, r_reference

from trialspec.pipeline import check

EFFECTS = r_reference("effects.json")["strep_deaths"]
TABLE = r_reference("categorical.json")["strep_radiology"]


def test_streptomycin_trial_as_r() -> None:
    result = check(ROOT / "protocols" / "streptomycin-1948.yaml",
                   ROOT / "examples" / "streptomycin-1948" / "data")
    assert not result.diagnostics
    sections = {s.name: s for s in result.sections}
    out = sections["analyses"].summary["analyses"]
    death = out["T2.death"]
    assert death["population"]["name"] == "analysed" and death["population"]["n"] == 107
    assert [(g["n"], g["events"]) for g in death["groups"]] == [(55, 4), (52, 14)]
    rd = death["effects"]["rd"]
    close([rd["estimate"], *rd["ci"]], [EFFECTS["rd"]["estimate"], *EFFECTS["rd"]["newcombe"]])
    close(death["tests"]["chi2_yates"]["p"], EFFECTS["prop_test"]["p_value"])
    t2 = out["T2"]
    assert t2["table"] == TABLE["table"]
    close([t2["tests"]["chi2"]["statistic"], t2["tests"]["chi2"]["p"]],
          [TABLE["chi2"]["statistic"], TABLE["chi2"]["p_value"]])
    close(t2["tests"]["fisher"]["p"], TABLE["fisher_p"])
    close([t2["tests"]["trend"]["statistic"], t2["tests"]["trend"]["p"]],
          [TABLE["trend"]["statistic"], TABLE["trend"]["p_value"]])
    # proportional odds: streptomycin is the reference here, control in R's polr: the sign flips
    polr = r_reference("models.json")["strep_polr"]
    [(_name, coef)] = out["T2.ordinal"]["coefficients"].items()
    close([-coef["estimate"], coef["se"]], [polr["estimate"][0], polr["se"][0]])
    close(out["T2.ordinal"]["loglik"], polr["loglik"])
    claims = sections["claims"].summary["results"]
    assert {c["status"] for c in claims} == {"reproduced"} and len(claims) == 4


def test_generated_data_are_the_committed_file(tmp_path) -> None:
    import importlib.util
    import shutil

    src = ROOT / "examples" / "streptomycin-1948"
    copy = tmp_path / "s"
    shutil.copytree(src, copy)
    (copy / "data" / "patients.csv").unlink()
    spec = importlib.util.spec_from_file_location("gen", copy / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main()
    assert (copy / "data" / "patients.csv").read_bytes() == (src / "data" / "patients.csv").read_bytes()
