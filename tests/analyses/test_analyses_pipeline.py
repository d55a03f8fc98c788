"""The analyses and claims sections inside `check`, rendered by every report format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from analyses_helpers import DATA, SEED, seed_tables

from trialspec import pipeline
from trialspec.protocol import load_protocol
from trialspec.results import CheckResult

RUNNERS = (("trialspec.domain.analyses", "run_analyses"),
           ("trialspec.domain.claims_section", "run_claims"))


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
    assert claims.summary["counts"]["reproduced"] == 75
    codes = {d.code for d in result.all_findings}
    assert {"TS711", "TS712", "TS713", "TS714", "TS720", "TS721", "TS722", "TS724", "TS726"} <= codes

    from trialspec.report import junit, sarif
    from trialspec.report.check import to_document

    doc = json.loads(json.dumps(to_document(result)))
    assert doc["sections"]["claims"]["summary"]["counts"]["not reproduced"] == 31
    assert doc["sections"]["analyses"]["summary"]["analyses"]["T4"]["tests"]["fisher"]["p"] == \
        pytest.approx(0.0474716202270382, rel=1e-9)
    assert 'name="claims/T4.p"' in junit.render_check(result)
    assert "TS714" in sarif.render_check(result)


def test_check_on_the_data_directory_alone_still_checks_claims_against_each_other(runners: None) -> None:
    """Until a section fills `response`, the analyses that read it do not run (TS706), their
    claims are not checked against data, and the data-free checks still run."""
    result = check_seed(data_dir=DATA)
    analyses, claims = result.section("analyses"), result.section("claims")
    assert analyses is not None and claims is not None
    if analyses.summary["analyses"]["T4"]["ran"]:
        pytest.skip("the response section now fills the derived dataset")
    assert {d.code for d in analyses.findings} == {"TS706"}
    verdicts = {r["claim"]: r["status"] for r in claims.summary["results"]}
    assert verdicts["T4.n.relapsed"] == "consistent"  # 16 + 5 = the 21 patients stated
    assert verdicts["T4.orr.relapsed"] == "consistent"  # 12 of 16 can be 75%
    assert verdicts["T3.median_age.responders"] == "not checked"
    assert verdicts["T5.pr.unexposed"] == "inconsistent"  # GRIM needs no data
    assert verdicts["S2.1.sex.male"] == "not reproduced"  # counts need no response
