"""Figures agree with the numbers: each figure is drawn from data read out of the result
objects, and those data equal the JSON report's (and R's, for the numbers new here: the
number at risk and each study's own CI); the SVG carries them under stable element ids."""

from __future__ import annotations

import math
import re
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pytest
from rref import FIXTURES, assert_r, load

from trialspec import figures
from trialspec.domain.analyses_survival import at_risk, risk_times

SVG = "{http://www.w3.org/2000/svg}"


def _svg(spec: figures.Spec) -> ElementTree.Element:
    from trialspec.figures._render import svg_text

    return ElementTree.fromstring(svg_text(figures.module(spec.figure).draw(spec)))


def _by_id(root: ElementTree.Element, gid: str) -> ElementTree.Element:
    found = root.find(f".//*[@id='{gid}']")
    assert found is not None, f"no element {gid} in the SVG"
    return found


def test_km_steps_and_risk_table_are_the_reports(checked: dict[str, Any]) -> None:
    result, doc = checked["t2dm"]
    [spec], absent = figures.specs(result, "km")
    assert absent is None
    analysis = doc["sections"]["analyses"]["summary"]["analyses"][spec.data["analysis"]]
    for drawn, reported in zip(spec.data["groups"], analysis["groups"], strict=True):
        assert drawn["curve"]["surv"] == reported["curve"]["surv"]  # the step heights
        assert drawn["curve"]["time"] == reported["curve"]["time"]
        assert drawn["curve"]["lower"] == reported["curve"]["lower"]
        # the curve's own rows: S(t) is the product of (1 - d/n) up to t
        c = reported["curve"]
        product = np.cumprod(1 - np.asarray(c["n_event"]) / np.asarray(c["n_risk"]))
        np.testing.assert_allclose(product, c["surv"], rtol=1e-12)
    assert spec.data["at_risk"] == analysis["at_risk"]
    root = _svg(spec)
    for group in spec.data["groups"]:
        _by_id(root, f"{spec.key}-{group['label']}-steps")
        c = group["curve"]
        for t, k in zip(analysis["at_risk"]["times"], analysis["at_risk"]["counts"][group["label"]],
                        strict=True):
            # independently: everyone whose time is >= t is still at risk at t
            later = [e + s for time, e, s in zip(c["time"], c["n_event"], c["n_censor"], strict=True)
                     if time >= t]
            assert k == sum(later)
            text = "".join(_by_id(root, f"{spec.key}-{group['label']}-risk-{t:g}").itertext())
            assert text.strip() == str(k)


def _compress(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in values:
        if not out or abs(v - out[-1]) > tol:
            out.append(v)
    return out


def test_km_step_heights_read_back_from_the_svg(checked: dict[str, Any]) -> None:
    """The drawn steps' heights, taken from the SVG path's coordinates alone, are the JSON
    report's survival estimates (up to the drawing's linear scale)."""
    result, doc = checked["t2dm"]
    [spec], _ = figures.specs(result, "km")
    analysis = doc["sections"]["analyses"]["summary"]["analyses"][spec.data["analysis"]]
    root = _svg(spec)
    for group in analysis["groups"]:
        path = _by_id(root, f"{spec.key}-{group['label']}-steps").find(f".//{SVG}path")
        assert path is not None
        ys = [float(y) for y in re.findall(r"[ML] [-\d.]+ ([-\d.]+)", path.attrib["d"])]
        drawn = _compress(ys, 1e-3)
        expected = _compress([1.0, *group["curve"]["surv"]], 1e-9)
        assert len(drawn) == len(expected)
        # y = a + b * S: the first and last steps fix the scale, every other step must fit it
        b = (drawn[-1] - drawn[0]) / (expected[-1] - expected[0])
        heights = [expected[0] + (y - drawn[0]) / b for y in drawn]
        np.testing.assert_allclose(heights, expected, atol=1e-4)


def test_number_at_risk_matches_r_on_lung() -> None:
    from trialspec.stats.survival import kaplan_meier

    ref = load("figures.json")["at_risk"]
    rows = np.genfromtxt(FIXTURES / "lung.csv", delimiter=",", names=True)
    fit = kaplan_meier(rows["time"], (rows["status"] == 2).astype(float), rows["sex"])
    for curve in fit.curves:
        label = str(int(curve.group))  # type: ignore[call-overload]
        assert at_risk(curve, ref["times"]) == ref["counts"][label]


def test_risk_times_are_round_and_cover_follow_up() -> None:
    from trialspec.stats.survival import kaplan_meier

    fit = kaplan_meier([0.57, 3.1, 24.29, 12.0], [1, 0, 1, 1])
    assert risk_times(fit.curves) == [0.0, 5.0, 10.0, 15.0, 20.0]
    fit = kaplan_meier([5, 310, 1022], [1, 1, 0])
    assert risk_times(fit.curves) == [0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]


def test_forest_cis_are_the_reports_and_rs(checked: dict[str, Any]) -> None:
    result, doc = checked["seed"]
    found, _ = figures.specs(result, "forest")
    meta = {s.data["analysis"]: s for s in found if "per_study" in s.data}
    assert set(meta) == {"T2.orr", "T2.vgpr", "T2.mrd", "T2.pfs", "T2.os"}
    ref = load("figures.json")["forest"]
    analyses = doc["sections"]["analyses"]["summary"]["analyses"]
    for aid, spec in meta.items():
        reported = analyses[aid]
        assert spec.data["per_study"] == reported["per_study"]
        for model in ("fixed", "random"):
            assert spec.data[model]["ci"] == reported[model]["ci"]
            assert spec.data[model]["estimate"] == reported[model]["estimate"]
        root = _svg(spec)
        for i in range(reported["k"]):
            _by_id(root, f"{spec.key}-study-{i}-ci")
        for model in ("fixed", "random"):
            _by_id(root, f"{spec.key}-pooled-{model}")
        text = "".join(_by_id(root, f"{spec.key}-heterogeneity").itertext())
        assert f"Q = {reported['heterogeneity']['q']:.2f}" in text
        endpoint = aid.split(".")[1]
        if endpoint in ref:  # from 2x2 counts: each study's CI as metafor's escalc gives it
            r = ref[endpoint]
            assert [s["study"] for s in reported["per_study"]] == r["study"]
            assert_r([s["estimate"] for s in reported["per_study"]], r["estimate"])
            assert_r([s["ci"][0] for s in reported["per_study"]], r["lower"])
            assert_r([s["ci"][1] for s in reported["per_study"]], r["upper"])
        else:  # from printed effects: the CIs as the paper prints them
            assert all(s["source"] == "printed" for s in reported["per_study"])
    assert meta["T2.pfs"].data["per_study"][0]["ci"] == [0.24, 0.39]


def test_forest_cis_read_back_from_the_svg(checked: dict[str, Any]) -> None:
    """Each study's CI line, each pooled diamond and the prediction interval, taken from the
    SVG's coordinates alone, sit at the JSON report's limits on the plot's log scale."""
    result, doc = checked["seed"]
    spec = next(s for s in figures.specs(result, "forest")[0] if s.key == "forest-T2.orr")
    reported = doc["sections"]["analyses"]["summary"]["analyses"]["T2.orr"]
    root = _svg(spec)

    def xs(gid: str) -> list[float]:
        path = _by_id(root, gid).find(f".//{SVG}path")
        assert path is not None
        return [float(x) for x in re.findall(r"[ML] ([-\d.]+) [-\d.]+", path.attrib["d"])]

    drawn: list[float] = []
    expected: list[float] = []
    for i, study in enumerate(reported["per_study"]):
        drawn += xs(f"{spec.key}-study-{i}-ci")[:2]
        expected += study["ci"]
    for model in ("fixed", "random"):
        lo, est, hi = xs(f"{spec.key}-pooled-{model}")[:3]  # the diamond: left, top, right
        drawn += [lo, est, hi]
        ci = reported[model]["ci"]
        expected += [ci[0], reported[model]["estimate"], ci[1]]
    drawn += xs(f"{spec.key}-prediction")[:2]  # the random effect's prediction interval
    expected += reported["random"]["prediction_interval"]
    logs = np.log(expected)
    b = (drawn[1] - drawn[0]) / (logs[1] - logs[0])  # x = a + b log(value), from study 1's CI
    values = np.exp(logs[0] + (np.asarray(drawn) - drawn[0]) / b)
    np.testing.assert_allclose(values, expected, rtol=1e-4)


def test_subgroup_forest_is_each_proportion_analysis(checked: dict[str, Any]) -> None:
    result, doc = checked["seed"]
    found, _ = figures.specs(result, "forest")
    orr = next(s for s in found if s.key == "forest-subgroups-orr")
    analyses = doc["sections"]["analyses"]["summary"]["analyses"]
    for sg in orr.data["subgroups"]:
        reported = analyses[sg["analysis"]]
        for drawn, rep in zip(sg["groups"], reported["groups"], strict=True):
            assert (drawn["events"], drawn["n"], drawn["ci"]) == (rep["events"], rep["n"], rep["ci"])
    t4 = next(sg for sg in orr.data["subgroups"] if sg["analysis"] == "T4")
    assert t4["p"] == ("fisher", analyses["T4"]["tests"]["fisher"]["p"])


def test_consort_counts_are_the_sections(checked: dict[str, Any]) -> None:
    result, doc = checked["seed"]
    [spec], _ = figures.specs(result, "consort")
    e = doc["sections"]["eligibility"]["summary"]
    assert spec.data["screened"] == e["screened"] == 21
    assert spec.data["counts"] == e["counts"]
    # each subject excluded once: the exclusions add up to those not eligible
    assert sum(s["excluded"] for s in spec.data["steps"]) == e["screened"] - e["counts"]["eligible"]
    treated = doc["sections"]["dosing"]["summary"]
    assert spec.data["treated"]["n"] == treated["subjects"]["treated"]
    assert sum(spec.data["treated"]["arms"].values()) == len(treated["per_subject"])
    assert spec.data["treated"]["not_eligible"] == 4  # the paper treated 21, 17 are eligible
    root = _svg(spec)
    text = "".join(_by_id(root, "consort-screened").itertext())
    assert "n = 21" in text


def test_swimmer_is_every_treated_subject_of_the_seed(checked: dict[str, Any]) -> None:
    result, doc = checked["seed"]
    [spec], _ = figures.specs(result, "swimmer")
    rows = {r["id"]: r for r in spec.data["rows"]}
    assert len(rows) == 21 and not spec.data["sampled"]
    assert "all shown" in spec.caption
    per = {s["id"]: s for s in doc["sections"]["dosing"]["summary"]["per_subject"]}
    for sid, r in rows.items():
        assert r["cycles"] == per[sid]["cycles"]
    changes = [c for c in doc["sections"]["dosing"]["summary"]["dose_changes"] if c["kind"] == "reduction"]
    assert sum(len(r["reductions"]) for r in rows.values()) == len(changes)
    best = {s["id"]: s["best_response"] for s in doc["sections"]["response"]["summary"]["per_subject"]}
    assert {sid: r["best"] for sid, r in rows.items()} == best
    root = _svg(spec)
    for sid in rows:
        _by_id(root, f"swimmer-{sid}")


def test_a_large_study_is_sampled_and_says_so(checked: dict[str, Any]) -> None:
    import dataclasses

    from trialspec.figures import swimmer

    result, _ = checked["seed"]
    seed = result.section("dosing")
    many = [dict(s, id=f"{s['id']}-{k}") for k in range(10) for s in seed.summary["per_subject"]]
    dosing = dataclasses.replace(seed, summary={**seed.summary, "per_subject": many})
    big = dataclasses.replace(result, sections=[dosing if s.name == "dosing" else s for s in result.sections])
    [spec], _ = swimmer.specs(big)
    assert spec.data["total"] == 210 and spec.data["sampled"]
    assert len(spec.data["rows"]) == swimmer.MAX_SUBJECTS
    assert f"a systematic sample of {swimmer.MAX_SUBJECTS} shown" in spec.caption


def test_dosing_and_waterfall_are_the_reports(checked: dict[str, Any]) -> None:
    result, doc = checked["seed"]
    [dosing], _ = figures.specs(result, "dosing")
    cells = doc["sections"]["dosing"]["summary"]["cycle_intensity"]
    assert [{k: v for k, v in c.items() if k != "row"} for c in dosing.data["cells"]] == cells
    for c in cells:
        if c["planned"]:
            assert math.isclose(c["rdi"], c["delivered"] / c["planned"], rel_tol=1e-9)
    [water], _ = figures.specs(result, "waterfall")
    change = doc["sections"]["response"]["summary"]["best_change"]
    ids = [s["id"] for s in doc["sections"]["response"]["summary"]["per_subject"]]
    reported = {i: p for i, p in zip(ids, change["percent"], strict=True) if p is not None}
    assert {b["id"]: b["percent"] for b in water.data["bars"]} == reported
    assert [b["percent"] for b in water.data["bars"]] == sorted(reported.values(), reverse=True)
    root = _svg(water)
    for b in water.data["bars"]:
        _by_id(root, f"waterfall-{b['id']}")


@pytest.mark.parametrize("name", sorted(figures.FIGURES))
def test_every_caption_carries_the_hashes(name: str, checked: dict[str, Any]) -> None:
    for result, doc in checked.values():
        found, absent = figures.specs(result, name)
        assert found or absent
        sha = doc["manifest"]["protocol"]["sha256"][:12]
        for spec in found:
            assert f"protocol sha256 {sha}" in spec.caption
            assert re.search(r"data sha256 [0-9a-f]{12}", spec.caption)
            assert re.search(r"\b[nk] = \d", spec.caption + spec.title)  # k: studies pooled


def test_p_values_are_never_printed_as_zero() -> None:
    assert [figures.p_text(p) for p in (0.047471, 0.00024, 2.3e-5, None)] == [
        "p = 0.047", "p < 0.001", "p < 0.0001", "p = NA"]
