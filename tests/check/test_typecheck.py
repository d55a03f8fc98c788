"""The type checker on golden cases: each expression placed in a protocol and compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trialspec.compiled import check_model
from trialspec.protocol import load_protocol

HERE = Path(__file__).parent
BASE = (HERE / "base_protocol.yaml").read_text("utf-8")
CASES = yaml.safe_load((HERE / "cases.yaml").read_text("utf-8"))
LINE = next(i for i, ln in enumerate(BASE.splitlines(), 1) if "when: EXPR" in ln)
COL = BASE.splitlines()[LINE - 1].index("EXPR") + 1


def compile_case(tmp_path: Path, expr: str, base: str = BASE):
    path = tmp_path / "p.yaml"
    path.write_text(base.replace("EXPR", expr), "utf-8")
    model, diags = load_protocol(path)
    assert model is not None, diags
    checked, more = check_model(model)
    return checked, [d for d in [*diags, *more] if d.severity.value == "error"]


@pytest.mark.parametrize("expr", CASES["ok"])
def test_compiles(tmp_path: Path, expr: str) -> None:
    checked, errors = compile_case(tmp_path, expr)
    assert errors == []
    assert checked is not None and len(checked.criteria) == 1


@pytest.mark.parametrize("case", CASES["errors"], ids=lambda c: c["expr"])
def test_reports(tmp_path: Path, case: dict) -> None:
    checked, errors = compile_case(tmp_path, case["expr"])
    assert checked is None
    first = errors[0]
    assert first.code == case["code"], errors
    assert first.hint
    if "col" in case:
        assert (first.span.line, first.span.col) == (LINE, COL + case["col"] - 1)
    if "text" in case:
        assert case["text"].lower() in (first.message + " " + first.hint).lower()


def test_self_reference_is_a_cycle_at_the_definition(tmp_path: Path) -> None:
    anchor = "  flc_ratio: flc_kappa / flc_lambda\n"
    base = BASE.replace(anchor, anchor + "  loop_a: loop_b + 1\n  loop_b: loop_a * 2\n")
    _checked, errors = compile_case(tmp_path, "loop_a > 1", base)
    assert errors[0].code == "TS305"
    assert "loop_a -> loop_b -> loop_a" in errors[0].message
    assert errors[0].span.line == base.splitlines().index("  loop_a: loop_b + 1") + 1


def test_direct_self_reference(tmp_path: Path) -> None:
    anchor = "  flc_ratio: flc_kappa / flc_lambda\n"
    base = BASE.replace(anchor, anchor + "  me: me + 1\n")
    _checked, errors = compile_case(tmp_path, "me > 1", base)
    assert [e.code for e in errors] == ["TS305"]


def test_a_percentage_multiplies_as_a_fraction(tmp_path: Path) -> None:
    from trialspec.lang import ir

    checked, errors = compile_case(tmp_path, "serum_m_protein >= 25% * 2 g/dL")
    assert errors == [] and checked is not None
    node = checked.criteria[0].node
    assert isinstance(node, ir.Cmp) and isinstance(node.right, ir.Arith)
    assert node.right.left == ir.Const(0.25, node.right.left.type)
    assert node.right.type.unit == "g/dL"


@pytest.mark.parametrize("cid", ["subject", "status", "missing"])
def test_a_criterion_may_not_take_a_result_column_name(tmp_path: Path, cid: str) -> None:
    """The per-subject results (Parquet, the API's table) have these columns beside one per
    criterion: a criterion of such an id would take the column's place (it did, silently)."""
    base = BASE.replace("    I1:\n", f"    {cid}:\n")
    checked, errors = compile_case(tmp_path, "age >= 18", base)
    assert checked is None and [e.code for e in errors] == ["TS227"]
    assert errors[0].span.line == base.splitlines().index(f"    {cid}:") + 1


def test_one_id_for_an_inclusion_and_an_exclusion_criterion_is_refused(tmp_path: Path) -> None:
    base = BASE.replace("  inclusion:\n", "  exclusion:\n    I1: {text: old, when: age > 70}\n  inclusion:\n")
    checked, errors = compile_case(tmp_path, "age >= 18", base)
    assert checked is None and [e.code for e in errors] == ["TS228"]
    assert [label for label, _span in errors[0].related] == ["inclusion criterion `I1`"]
