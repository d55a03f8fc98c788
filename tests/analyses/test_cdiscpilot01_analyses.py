"""The CDISC pilot's primary efficacy analyses, run from protocols/cdiscpilot01.yaml on the
pilot's ADaM data (examples/cdiscpilot01/data/adam, .../analysis), against R (tests/fixtures/r/models.R)."""

from __future__ import annotations

import functools

from analyses_helpers import ROOT, close, r_reference

from trialspec.pipeline import check

REF = r_reference("models.json")


@functools.cache  # one check of the pilot serves every test here
def analyses() -> dict:
    result = check(ROOT / "protocols" / "cdiscpilot01.yaml", ROOT / "examples" / "cdiscpilot01" / "data")
    assert not [d for d in result.diagnostics if d.severity.value == "error"], result.diagnostics
    section = next(s for s in result.sections if s.name == "analyses")
    assert not [d for d in section.findings if d.severity.value == "error"]
    return section.summary["analyses"]


def test_adas_cog_ancova_populations_and_kruskal_as_r() -> None:
    out = analyses()
    assert out["T14-1.itt"]["population"]["n"] == 254
    a = out["T14-3.01"]
    assert a["population"] == {"name": "efficacy", "n": 234, "description": a["population"]["description"]}
    ref = REF["pilot_adas"]
    close([m["estimate"] for m in a["lsmeans"]], ref["lsmeans"]["estimate"])
    close([m["se"] for m in a["lsmeans"]], ref["lsmeans"]["se"])
    close([m["ci"] for m in a["lsmeans"]], list(zip(ref["lsmeans"]["lower"], ref["lsmeans"]["upper"],
                                                    strict=True)))
    d = ref["differences"]
    close([x["estimate"] for x in a["differences"]], d["estimate"])
    close([x["p"] for x in a["differences"]], d["p"])
    close([x["ci"] for x in a["differences"]], list(zip(d["lower"], d["upper"], strict=True)))
    close([a["arm_test"]["statistic"], a["arm_test"]["p"]],
          [ref["arm_f"]["statistic"], ref["arm_f"]["p_value"]])
    s = out["T14-3.01.summary"]["tests"]["anova"]
    close([s["statistic"], s["p"]], [ref["anova"]["statistic"], ref["anova"]["p_value"]])
    k = out["T14-3.02.summary"]["tests"]["kruskal"]
    close([k["statistic"], k["p"]], [REF["pilot_cibic_kruskal"]["statistic"],
                                     REF["pilot_cibic_kruskal"]["p_value"]])


def test_cibic_cmh_by_site_group_as_r() -> None:
    ref = r_reference("categorical.json")["pilot_cibic_cmh"]
    t = analyses()["T14-3.02"]
    assert t["total"] == ref["n"]
    c = t["tests"]["cmh"]
    close([c["statistic"], c["df"], c["p"]], [ref["statistic"], ref["df"], ref["p_value"]])


def test_cibic_exact_test_as_r() -> None:
    ref = r_reference("categorical.json")["pilot_cibic_table"]
    t = analyses()["T14-3.02"]
    close(t["tests"]["fisher"]["p"], ref["fisher_p"])
