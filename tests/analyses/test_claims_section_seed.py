"""Every claim of the seed protocol's `reported:` (Tables 1-7, the abstract and the results
text) with its verdict on the example data: reproduced, not reproduced (and why), or
inconsistent with the paper's other numbers."""

from __future__ import annotations

from typing import Any

import pytest
from analyses_helpers import finding, seed, verdicts

from trialspec.results import Section

# claim -> (status, codes of the findings that name it)
EXPECTED = {
    "abstract.patients": ("reproduced", ()),
    "abstract.thalidomide.n.exposed": ("not reproduced", ('TS711', 'TS722')),
    "abstract.thalidomide.n.unexposed": ("inconsistent", ('TS722',)),
    "abstract.thalidomide.orr.exposed": ("not reproduced", ('TS711',)),
    "abstract.thalidomide.orr.unexposed": ("reproduced", ()),
    "introduction.thalidomide.n.exposed": ("not reproduced", ('TS711', 'TS722')),
    "introduction.thalidomide.n.unexposed": ("inconsistent", ('TS722',)),
    "S2.1.patients": ("reproduced", ()),
    "S2.1.sex.male": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.sex.female": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.disease_status.relapsed": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.disease_status.refractory": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.prior_therapy.treated": ("not reproduced", ('TS711',)),
    "S2.1.transplant.yes": ("reproduced", ()),
    "S2.1.age": ("not reproduced", ('TS711',)),
    "S2.1.classification.IgG_kappa": ("not reproduced", ('TS711',)),
    "S2.1.classification.IgG_lambda": ("not reproduced", ('TS711',)),
    "S2.1.classification.IgA_kappa": ("not reproduced", ('TS711',)),
    "S2.1.classification.IgA_lambda": ("reproduced", ()),
    "S2.1.classification.kappa_light_chain": ("not reproduced", ('TS712',)),
    "S2.1.classification.lambda_light_chain": ("not reproduced", ('TS712',)),
    "S2.1.iss.II": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.iss.III": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.ds.IIA": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.ds.IIIA": ("not reproduced", ('TS711', 'TS722')),
    "S2.1.ds.IIIB": ("not reproduced", ('TS711', 'TS722')),
    "T1.age": ("not reproduced", ('TS711',)),
    "T1.gender.male": ("not reproduced", ('TS711', 'TS722')),
    "T1.gender.female": ("not reproduced", ('TS711', 'TS722')),
    "T1.prior_cycles": ("reproduced", ()),
    "T1.thalidomide.exposed": ("not reproduced", ('TS711', 'TS722')),
    "T1.thalidomide.unexposed": ("inconsistent", ('TS722',)),
    "T1.transplant.yes": ("inconsistent", ('TS722',)),
    "T1.transplant.no": ("not reproduced", ('TS711', 'TS722')),
    "T1.iss.II": ("not reproduced", ('TS711', 'TS722')),
    "T1.iss.III": ("not reproduced", ('TS711', 'TS722')),
    "T1.ds.IIA": ("not reproduced", ('TS711', 'TS722')),
    "T1.ds.IIIA": ("not reproduced", ('TS711', 'TS722')),
    "T1.ds.IIIB": ("not reproduced", ('TS711', 'TS722')),
    "T1.classification.IgG_kappa": ("not reproduced", ('TS711',)),
    "T1.classification.IgG_lambda": ("not reproduced", ('TS711',)),
    "T1.classification.IgA_kappa": ("not reproduced", ('TS711',)),
    "T1.classification.IgA_lambda": ("reproduced", ()),
    "T1.classification.kappa_light_chain": ("not reproduced", ('TS712',)),
    "T1.classification.lambda_light_chain": ("not reproduced", ('TS712',)),
    "T2.orr.studies.CASTOR": ("reproduced", ()),
    "T2.orr.studies.POLLUX": ("reproduced", ()),
    "T2.orr.pooled": ("reproduced", ('TS728',)),
    "T2.orr.weights.CASTOR": ("reproduced", ('TS728',)),
    "T2.orr.weights.POLLUX": ("reproduced", ('TS728',)),
    "T2.vgpr.studies.CASTOR": ("reproduced", ()),
    "T2.vgpr.studies.POLLUX": ("reproduced", ()),
    "T2.vgpr.pooled": ("reproduced", ('TS728',)),
    "T2.vgpr.weights.CASTOR": ("reproduced", ('TS728',)),
    "T2.vgpr.weights.POLLUX": ("reproduced", ('TS728',)),
    "T2.mrd.studies.CASTOR": ("reproduced", ()),
    "T2.mrd.studies.POLLUX": ("reproduced", ()),
    "T2.mrd.pooled": ("reproduced", ('TS728',)),
    "T2.mrd.weights.CASTOR": ("reproduced", ('TS728',)),
    "T2.mrd.weights.POLLUX": ("reproduced", ('TS728',)),
    "T2.pfs.studies.CASTOR": ("not reproduced", ('TS729',)),
    "T2.pfs.studies.POLLUX": ("not reproduced", ('TS729',)),
    "T2.pfs.pooled": ("reproduced", ()),
    "T2.pfs.weights.CASTOR": ("reproduced", ()),
    "T2.pfs.weights.POLLUX": ("reproduced", ()),
    "T2.os.studies.CASTOR": ("reproduced", ()),
    "T2.os.studies.POLLUX": ("reproduced", ()),
    "T2.os.pooled": ("reproduced", ()),
    "T2.os.weights.CASTOR": ("reproduced", ()),
    "T2.os.weights.POLLUX": ("reproduced", ()),
    "S3.1.orr.pooled": ("reproduced", ('TS728',)),
    "S3.1.vgpr.pooled": ("reproduced", ('TS728',)),
    "S3.1.mrd.pooled": ("reproduced", ('TS728',)),
    "S3.1.pfs.pooled": ("reproduced", ()),
    "S3.1.os.pooled": ("reproduced", ()),
    "T3.n.responders": ("reproduced", ()),
    "T3.n.non_responders": ("reproduced", ()),
    "T3.median_age.responders": ("not reproduced", ('TS711',)),
    "T3.median_age.non_responders": ("not reproduced", ('TS711',)),
    "T3.age.responders.le58": ("reproduced", ()),
    "T3.age.responders.gt58": ("reproduced", ()),
    "T3.age.non_responders.le58": ("reproduced", ()),
    "T3.age.non_responders.gt58": ("reproduced", ()),
    "T3.age.statistic": ("not reproduced", ('TS713', 'TS714', 'TS724')),
    "T3.age.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T3.sex.responders.male": ("reproduced", ()),
    "T3.sex.responders.female": ("reproduced", ()),
    "T3.sex.non_responders.male": ("reproduced", ()),
    "T3.sex.non_responders.female": ("reproduced", ()),
    "T3.sex.statistic": ("not reproduced", ('TS713', 'TS714', 'TS724')),
    "T3.sex.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T3.chain.responders.light_chain": ("reproduced", ()),
    "T3.chain.responders.heavy_chain": ("reproduced", ()),
    "T3.chain.non_responders.light_chain": ("reproduced", ()),
    "T3.chain.non_responders.heavy_chain": ("reproduced", ()),
    "T3.chain.statistic": ("inconsistent", ('TS714', 'TS724')),
    "T3.chain.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T4.n.relapsed": ("reproduced", ()),
    "T4.n.refractory": ("reproduced", ()),
    "T4.pr.relapsed": ("reproduced", ()),
    "T4.pr.refractory": ("reproduced", ()),
    "T4.mr.relapsed": ("reproduced", ()),
    "T4.mr.refractory": ("reproduced", ()),
    "T4.orr.relapsed": ("reproduced", ()),
    "T4.orr.refractory": ("reproduced", ()),
    "T4.statistic": ("inconsistent", ('TS714', 'TS724')),
    "T4.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T5.n.exposed": ("inconsistent", ('TS722',)),
    "T5.n.unexposed": ("reproduced", ()),
    "T5.pr.exposed": ("reproduced", ()),
    "T5.pr.unexposed": ("not reproduced", ('TS711', 'TS720')),
    "T5.mr.exposed": ("reproduced", ()),
    "T5.mr.unexposed": ("reproduced", ()),
    "T5.orr.exposed": ("reproduced", ()),
    "T5.orr.unexposed": ("reproduced", ()),
    "T5.statistic": ("inconsistent", ('TS714', 'TS724')),
    "T5.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T6.n.exposed": ("reproduced", ()),
    "T6.n.unexposed": ("reproduced", ()),
    "T6.pr.exposed": ("reproduced", ()),
    "T6.pr.unexposed": ("reproduced", ()),
    "T6.mr.exposed": ("reproduced", ()),
    "T6.mr.unexposed": ("reproduced", ()),
    "T6.orr.exposed": ("reproduced", ()),
    "T6.orr.unexposed": ("reproduced", ()),
    "T6.statistic": ("inconsistent", ('TS714', 'TS724')),
    "T6.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "T7.n.exposed": ("reproduced", ()),
    "T7.n.unexposed": ("reproduced", ()),
    "T7.pr.exposed": ("reproduced", ()),
    "T7.pr.unexposed": ("reproduced", ()),
    "T7.mr.exposed": ("reproduced", ()),
    "T7.mr.unexposed": ("reproduced", ()),
    "T7.orr.exposed": ("reproduced", ()),
    "T7.orr.unexposed": ("reproduced", ()),
    "T7.statistic": ("inconsistent", ('TS714', 'TS724')),
    "T7.p": ("inconsistent", ('TS714', 'TS724', 'TS734')),
    "S3.2.disease_status.orr.relapsed": ("reproduced", ()),
    "S3.2.disease_status.orr.refractory": ("reproduced", ()),
    "S3.2.disease_status.p": ("reproduced", ('TS734',)),
    "S3.2.renal.orr.insufficient": ("reproduced", ()),
    "S3.2.renal.orr.normal": ("not reproduced", ('TS711', 'TS720')),
    "S3.2.renal.p": ("reproduced", ('TS734',)),
    "S3.2.diabetes.orr.diabetic": ("reproduced", ()),
    "S3.2.diabetes.orr.not_diabetic": ("reproduced", ()),
    "S3.2.diabetes.p": ("reproduced", ('TS734',)),
    "S3.2.thalidomide.orr.exposed": ("reproduced", ()),
    "S3.2.thalidomide.orr.unexposed": ("reproduced", ()),
    "S3.2.thalidomide.p": ("reproduced", ('TS734',)),
    "S3.2.lenalidomide.orr.exposed": ("not reproduced", ('TS712', 'TS721')),
    "S3.2.lenalidomide.orr.unexposed": ("not reproduced", ('TS712', 'TS721')),
    "S3.2.lenalidomide.p": ("reproduced", ('TS734',)),
    "S3.2.ixazomib.orr.exposed": ("reproduced", ()),
    "S3.2.ixazomib.orr.unexposed": ("reproduced", ()),
    "S3.2.ixazomib.p": ("reproduced", ('TS734',)),
    "S3.3.patients": ("not reproduced", ('TS711',)),
    "S3.3.chain_n.non_light_chain": ("not reproduced", ('TS711',)),
    "S3.3.chain_n.light_chain": ("not reproduced", ('TS711',)),
    "S3.3.chain.n.non_light_chain": ("not reproduced", ('TS711',)),
    "S3.3.chain.n.light_chain": ("not reproduced", ('TS711',)),
    "S3.3.chain.orr.non_light_chain": ("not reproduced", ('TS711', 'TS731')),
    "S3.3.chain.orr.light_chain": ("not reproduced", ('TS711', 'TS731')),
    "S3.3.chain.p": ("not reproduced", ('TS711', 'TS731')),
    "S3.3.isotype_n.IgA": ("not reproduced", ('TS711',)),
    "S3.3.isotype_n.IgG": ("not reproduced", ('TS711',)),
    "S3.3.isotype.n.IgA": ("not reproduced", ('TS711',)),
    "S3.3.isotype.n.IgG": ("not reproduced", ('TS711',)),
    "S3.3.isotype.orr.IgA": ("not reproduced", ('TS711', 'TS730')),
    "S3.3.isotype.orr.IgG": ("not reproduced", ('TS711', 'TS730')),
    "S3.3.isotype.p": ("not reproduced", ('TS711', 'TS730')),
    "S3.3.isotype_cr.n.IgA": ("not reproduced", ('TS711',)),
    "S3.3.isotype_cr.n.IgG": ("not reproduced", ('TS711',)),
    "S3.3.isotype_cr.cr.IgA": ("not reproduced", ('TS711', 'TS731')),
    "S3.3.isotype_cr.cr.IgG": ("not reproduced", ('TS711', 'TS731')),
    "S3.3.isotype_cr.p": ("not reproduced", ('TS711', 'TS731')),
    "discussion.thalidomide.orr.exposed": ("reproduced", ()),
    "discussion.thalidomide.orr.unexposed": ("reproduced", ()),
    "discussion.thalidomide.p": ("reproduced", ('TS734',)),
    "discussion.lenalidomide.orr.exposed": ("not reproduced", ('TS712', 'TS721')),
    "discussion.lenalidomide.orr.unexposed": ("not reproduced", ('TS712', 'TS721')),
    "discussion.lenalidomide.p": ("reproduced", ('TS734',)),
    "discussion.ixazomib.orr.exposed": ("reproduced", ()),
    "discussion.ixazomib.orr.unexposed": ("reproduced", ()),
    "discussion.ixazomib.p": ("reproduced", ('TS734',)),
    "conclusion.thalidomide.n.exposed": ("not reproduced", ('TS711', 'TS722')),
    "conclusion.thalidomide.n.unexposed": ("inconsistent", ('TS722',)),
    "conclusion.thalidomide.orr.exposed": ("not reproduced", ('TS711',)),
    "conclusion.thalidomide.orr.unexposed": ("reproduced", ()),
    "conclusion.chain.n.light_chain": ("not reproduced", ('TS711',)),
    "conclusion.chain.n.non_light_chain": ("not reproduced", ('TS711',)),
    "conclusion.chain.orr.light_chain": ("not reproduced", ('TS711', 'TS731')),
    "conclusion.chain.orr.non_light_chain": ("not reproduced", ('TS711', 'TS731')),
    "conclusion.chain.p": ("not reproduced", ('TS711', 'TS731')),
}


@pytest.fixture(scope="module")
def result() -> tuple[Any, Section]:
    protocol, _analyses, claims = seed()
    return protocol, claims


def test_every_claim_has_its_verdict(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    got = {k: (s, tuple(c)) for k, (s, c) in verdicts(claims).items()}
    assert got == EXPECTED


def test_counts_of_verdicts(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    assert claims.summary["counts"] == {"reproduced": 102, "consistent": 0, "not reproduced": 73,
                                        "inconsistent": 18, "not checked": 0}
    assert len(claims.cases) == claims.summary["claims"] == len(EXPECTED)


def _at(protocol: Any, span: Any) -> str:
    """The protocol text a finding points at."""
    return protocol.source.line(span.line)[span.col - 1:span.end_col - 1]


def test_findings_sit_at_the_claims_own_line_and_column(result: tuple[Any, Section]) -> None:
    protocol, claims = result
    spans = {".".join((rt.id, *c.path)): c.span for rt in protocol.reported.values() for c in rt.claims}
    for d in claims.findings:
        label = d.message.split(" ", 1)[0].rstrip(":")
        assert d.span == spans[label], d.message
        assert d.span.path.endswith("seed-rd-rrmm.yaml")
    t4p = finding(claims, "TS714", "T4.p")
    assert _at(protocol, t4p.span) == '"0.047"'
    assert [name for name, _span in t4p.related] == ["T4.statistic"]


def test_table4_statistic_is_chi_square_and_p_is_fisher(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    d = finding(claims, "TS714", "T4.p")
    assert "4.887 is Pearson chi-square without Yates' correction, whose own p is 0.02707" in d.message
    assert "0.047 is Fisher's exact test (two-sided)" in d.message
    assert "gives p = 0.02705-0.02707, not 0.047" in finding(claims, "TS724", "T4.p").message


def test_table3_statistic_is_a_misplaced_decimal(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    d = finding(claims, "TS713", "T3.age.statistic")
    assert "0.02937" in d.message and "decimal point moved one place right" in d.hint


def test_table5_grim_and_lenalidomide_swap(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    assert "no count of 6 gives 50.045-50.055%" in finding(claims, "TS720", "T5.pr.unexposed").message
    swap = finding(claims, "TS712", "S3.2.lenalidomide.orr.exposed")
    assert "5/11" in swap.message and "the orr of unexposed (8/10)" in swap.hint
    assert "another denominator: unexposed (n = 10)" in finding(
        claims, "TS721", "S3.2.lenalidomide.orr.exposed").message
    assert "impossible for any group of up to 21 patients" in finding(
        claims, "TS720", "S3.2.renal.orr.normal").message


def test_text_describes_13_patients_not_21(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    d = finding(claims, "TS722", "S2.1.sex.male")
    assert "= 13, but the stated number of patients is 21" in d.message
    assert "(the size of male: 11)" in finding(claims, "TS711", "S2.1.sex.male").message


def test_table2_pools(result: tuple[Any, Section]) -> None:
    _protocol, claims = result
    orr = finding(claims, "TS728", "T2.orr.pooled")
    assert "not by inverse-variance pooling of the same counts (3.241 [2.321; 4.527])" in orr.message
    assert [label for label, _ in orr.related] == ["T2.orr.weights.CASTOR", "T2.orr.weights.POLLUX",
                                                   "S3.1.orr.pooled"]
    assert "0.0383, instead of the log scale" in finding(claims, "TS729", "T2.pfs.studies.CASTOR").message
    rows = {r["claim"]: r for r in claims.summary["results"]}
    assert "random effects (DerSimonian-Laird)" in rows["T2.pfs.pooled"]["message"]
    assert "fixed effect" in rows["T2.os.pooled"]["message"]
    assert rows["T2.orr.studies.CASTOR"]["computed"] == "2.82 [1.837; 4.329]"  # from the 2x2 counts


