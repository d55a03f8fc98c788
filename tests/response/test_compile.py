"""Static checks of the response section (lint): each TS6xx code with its bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest

from trialspec.criteria import available, load_library
from trialspec.diagnostics import Severity
from trialspec.domain.response import compile_response, lint_response

from .helpers import PROTOCOL, load, protocol_text


def codes(response: dict | None = None, text: str | None = None) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in lint_response(load(response, text))]


def test_the_library_compiles_cleanly_against_a_fitting_protocol() -> None:
    plan, diags = compile_response(load())
    assert diags == [] and plan is not None
    assert plan.names == ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")
    assert plan.confirmation.consecutive == 2 and plan.confirmation.max_gap is None
    assert plan.confirmation.categories == {"sCR", "CR", "VGPR", "PR", "MR"}
    assert dict(plan.responders) == {"ORR": ("sCR", "CR", "VGPR", "PR"),
                                     "CBR": ("sCR", "CR", "VGPR", "PR", "MR")}


def test_unknown_library() -> None:
    assert codes({"criteria": "imwg-2017"}) == [("TS601", "no criteria library 'imwg-2017'")]
    d = lint_response(load({"criteria": "imwg-2017"}))[0]
    assert d.hint == "Did you mean 'imwg-2016'?"


def test_unknown_parameter_with_suggestion() -> None:
    d = lint_response(load({"parameters": {"measurable_serun": "0.5 g/dL"}}))
    assert [(x.code, x.hint) for x in d] == [("TS602", "Did you mean 'measurable_serum'?")]


@pytest.mark.parametrize(("value", "problem"), [
    ("200 mg/24h", "is in mg/24h, not a unit like g/dL"),
    ("0.5", "has no unit; give one like the default's (g/dL)"),
    ("serum_ife == negative", "is a condition; imwg-2016's default is a number"),
])
def test_parameter_of_the_wrong_kind_or_unit(value: str, problem: str) -> None:
    found = codes({"parameters": {"measurable_serum": value}})
    assert found == [("TS603", f"parameter 'measurable_serum' {problem}")]


def test_a_percentage_parameter_needs_a_percent() -> None:
    assert codes({"parameters": {"pr_reduction": "0.5"}}) == [
        ("TS603", "parameter 'pr_reduction' has no unit; give one like the default's (%)")]
    assert codes({"parameters": {"pr_reduction": "60%"}}) == []


def test_a_missing_required_column() -> None:
    text = protocol_text().replace("      serum_ife: {type: category, levels: [positive, negative]}\n", "")
    found = codes(text=text)
    assert [c for c, _m in found] == ["TS604"]
    assert "has no column 'serum_ife'" in found[0][1]


def test_a_column_of_the_wrong_type_or_unit() -> None:
    text = protocol_text().replace("serum_m_protein: {type: number, unit: g/dL}",
                                   "serum_m_protein: {type: number, unit: mg/24h}")
    assert [c for c, _m in codes(text=text)] == ["TS604"]
    text = protocol_text().replace("new_lesions: {type: boolean}", "new_lesions: {type: number}")
    assert [c for c, _m in codes(text=text)] == ["TS604"]


def test_optional_columns_may_be_left_out() -> None:
    text = protocol_text()
    for column in ("bm_plasma_cells", "plasmacytoma", "new_lesions", "new_therapy"):
        text = "\n".join(line for line in text.splitlines() if not line.strip().startswith(column)) + "\n"
    assert codes(text=text) == []


def test_the_assessments_dataset_must_have_rows_per_subject() -> None:
    assert [c for c, _m in codes({"assessments": "subjects"})] == ["TS604"]
    assert [c for c, _m in codes({"assessments": "visits"})] == ["TS604"]


def test_unknown_categories_in_rates_overrides_and_confirmation() -> None:
    assert [c for c, _m in codes({"responders": {"ORR2": ["PR", "RP"]}})] == ["TS605"]
    assert [c for c, _m in codes({"categories": {"XR": "true"}})] == ["TS605"]
    assert [c for c, _m in codes({"confirmation": {"categories": ["PR", "MRR"]}})] == ["TS605"]


@pytest.mark.parametrize("setting", [{"consecutive": "two"}, {"max_gap": "soon"}, {"non_evaluable": "ignore"},
                                     {"progression": 0}, {"consecutiv": 2}])
def test_bad_confirmation_settings(setting: dict) -> None:
    assert [c for c, _m in codes({"confirmation": setting})] == ["TS606"]


def test_a_redefined_category_is_a_warning_and_is_used() -> None:
    diags = lint_response(load({"categories": {"MR": "pct_change(serum_m_protein) <= -20%"}}))
    assert [(d.code, d.severity) for d in diags] == [("TS608", Severity.WARNING)]
    plan, _ = compile_response(load({"categories": {"MR": "pct_change(serum_m_protein) <= -20%"}}))
    assert plan is not None and [r.id for r in plan.categories[4].rules] == ["protocol"]


def test_errors_inside_response_expressions_are_reported_where_written() -> None:
    found = lint_response(load({"categories": {"MR": "pct_change(serum_m_protien) <= -20%"}}))
    assert [d.code for d in found] == ["TS608", "TS301"]
    assert found[1].span.line > 0 and "serum_m_protien" in found[1].message


def test_a_library_expression_that_does_not_fit_is_ts607() -> None:
    text = protocol_text().replace("serum_ife: {type: category, levels: [positive, negative]}",
                                   "serum_ife: {type: category, levels: [pos, neg]}")
    found = codes(text=text)
    assert found and {c for c, _m in found} == {"TS607"}
    assert "imwg-2016 does not fit this protocol" in found[0][1]


def test_a_definition_that_replaces_a_library_definition_is_a_warning() -> None:
    found = codes({"definitions": {"dflc": "abs(flc_kappa - flc_lambda)"}})
    assert found == [("TS609", "'dflc' replaces imwg-2016's definition of it "
                               "(`max(flc_kappa, flc_lambda) - min(flc_kappa, flc_lambda)`)")]


def test_a_definition_equal_to_the_library_category_is_quiet() -> None:
    assert codes({"definitions": {"CR": "cr"}}) == []


def test_a_parameter_set_as_a_definition_is_refused() -> None:
    assert [c for c, _m in codes({"definitions": {"pd_rise": "30%"}})] == ["TS602"]


def test_no_criteria() -> None:
    text = PROTOCOL + "response:\n  assessments: assessments\n"
    assert [c for c, _m in codes(text=text)] == ["TS601"]


def test_the_shipped_library_is_well_formed() -> None:
    assert available() == ["imwg-2016"]
    library, diags = load_library("imwg-2016")
    assert diags == () and library is not None
    assert load_library("../secrets") == (None, ())


# The thresholds of IMWG 2016 (Kumar et al., Lancet Oncol 2016) as docs/response.md lists them
# with their sources. A change to the library must change this table too.
THRESHOLDS = {
    "measurable_serum": "1 g/dL", "measurable_urine": "200 mg/24h", "measurable_flc": "10 mg/dL",
    "flc_ratio_low": "0.26", "flc_ratio_high": "1.65", "cr_marrow": "5%",
    "vgpr_reduction": "90%", "vgpr_urine": "100 mg/24h", "vgpr_flc_reduction": "90%",
    "pr_reduction": "50%", "pr_urine_reduction": "90%", "pr_urine": "200 mg/24h", "pr_flc_reduction": "50%",
    "mr_reduction": "25%", "mr_urine_reduction": "50%",
    "pd_rise": "25%", "pd_serum": "0.5 g/dL", "pd_serum_high_nadir": "5 g/dL", "pd_serum_high": "1 g/dL",
    "pd_urine": "200 mg/24h", "pd_flc": "10 mg/dL", "pd_marrow": "10%",
}


def test_the_library_thresholds_are_the_papers() -> None:
    library, _ = load_library("imwg-2016")
    assert library is not None
    got = {n: d.expr.text for n, d in library.parameters.items() if n in THRESHOLDS}
    assert got == THRESHOLDS
    assert all(n in library.parameter_sources for n in THRESHOLDS)


def test_lint_imports_no_numpy_or_pandas() -> None:
    probe = (
        "import sys\n"
        "from trialspec.protocol import load_protocol\n"
        "from trialspec.domain.response import lint_response\n"
        "p, _ = load_protocol('protocols/seed-rd-rrmm.yaml')\n"
        "lint_response(p)\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'scipy') if m in sys.modules))\n"
    )
    from pathlib import Path

    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
