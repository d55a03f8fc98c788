"""The analyses and claims sections inside `check`, rendered by every report format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from analyses_helpers import DATA, SEED, seed_tables

from trialspec import pipeline
from trialspec.protocol import load_protocol
from trialspec.results import CheckResult

RUNNERS = (("trialspec.domain.analyses", "analyses_runner"),
           ("trialspec.domain.claims_section", "claims_runner"))


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two sections this package provides, as the pipeline registers them."""
    kept = tuple(r for r in pipeline.SECTION_RUNNERS if r not in RUNNERS)
    monkeypatch.setattr(pipeline, "SECTION_RUNNERS", (*kept, *RUNNERS))


def check_seed(**kw: Any) -> CheckResult:
    return pipeline.check(SEED, **kw)


def test_check_with_the_derived_response_reports_both_sections(runners: None) -> None:
    protocol, _ = load_protocol(SEED)
    result = check_seed(tables=seed_tables(protocol))
    analyses, claims = result.section("analyses"), result.section("claims")
    assert analyses is not None and claims is not None
    assert claims.summary["counts"]["reproduced"] == 102
    codes = {d.code for d in result.all_findings}
    assert {"TS711", "TS712", "TS713", "TS714", "TS720", "TS721", "TS722", "TS724", "TS728", "TS729"} <= codes

    from trialspec.report import junit, sarif
    from trialspec.report.check import to_document

    doc = json.loads(json.dumps(to_document(result)))
    assert doc["sections"]["claims"]["summary"]["counts"]["not reproduced"] == 73
    assert doc["sections"]["analyses"]["summary"]["analyses"]["T4"]["tests"]["fisher"]["p"] == \
        pytest.approx(0.0474716202270382, rel=1e-9)
    assert 'name="claims/T4.p"' in junit.render_check(result)
    assert "TS714" in sarif.render_check(result)


def test_check_on_the_data_directory_alone_derives_response_and_judges_every_claim(runners: None) -> None:
    """End to end: the response section derives best response from the assessments, the
    analyses read it as the derived dataset, and every claim is judged."""
    result = check_seed(data_dir=DATA)
    analyses, claims = result.section("analyses"), result.section("claims")
    assert analyses is not None and claims is not None
    assert analyses.summary["analyses"]["T4"]["ran"]
    assert "TS706" not in {d.code for d in analyses.findings}
    assert claims.summary["counts"] == {"reproduced": 102, "consistent": 0, "not reproduced": 73,
                                        "inconsistent": 18, "not checked": 0}
    verdicts = {r["claim"]: r["status"] for r in claims.summary["results"]}
    protocol, _ = load_protocol(SEED)
    supplied = check_seed(tables=seed_tables(protocol)).section("claims")
    assert supplied is not None  # best response given from the generator's intended table
    assert verdicts == {r["claim"]: r["status"] for r in supplied.summary["results"]}
    assert verdicts["T5.pr.unexposed"] == "not reproduced"  # "3 (50.05%)" of 6: 3/6 is 50.0%
    assert verdicts["S2.1.sex.male"] == "not reproduced"  # the text's 13-patient cohort
