"""What the checker lowers the new forms to: ranges, long-table rows, if arms, regex limits."""

from __future__ import annotations

from pathlib import Path

from trialspec.compiled import check_model
from trialspec.lang import ir
from trialspec.lang.regex import MAX_PATTERN
from trialspec.protocol import load_protocol

BASE = (Path(__file__).parent / "base_protocol.yaml").read_text("utf-8")


def compile_case(tmp_path: Path, expr: str):  # as test_typecheck does, on its base protocol
    path = tmp_path / "p.yaml"
    path.write_text(BASE.replace("EXPR", expr), "utf-8")
    model, diags = load_protocol(path)
    assert model is not None, diags
    checked, more = check_model(model)
    return checked, [d for d in [*diags, *more] if d.severity.value == "error"]


def node_of(tmp_path: Path, expr: str) -> ir.Node:
    checked, errors = compile_case(tmp_path, expr)
    assert errors == [] and checked is not None
    return checked.criteria[0].node


def test_times_uln_reads_the_rows_upper_limit(tmp_path: Path) -> None:
    node = node_of(tmp_path, "creat <= 1.5 x ULN")
    assert isinstance(node, ir.Cmp) and isinstance(node.right, ir.Arith)
    factor, limit = node.right.left, node.right.right
    assert factor == ir.Const(1.5, factor.type) and factor.type.unit is None
    assert limit == ir.Col("screening_labs", "creat@uln", limit.type)
    assert limit.type.unit == "umol/L"


def test_times_uln_on_the_left(tmp_path: Path) -> None:
    node = node_of(tmp_path, "3 x ULN >= alt_s")
    assert isinstance(node, ir.Cmp) and isinstance(node.left, ir.Arith)
    assert node.left.right == ir.Col("screening_labs", "alt_s@uln", node.left.right.type)


def test_an_aggregate_over_a_long_table_reads_its_tests_rows(tmp_path: Path) -> None:
    node = node_of(tmp_path, "any(labs where alt > 3 x ULN)")
    assert isinstance(node, ir.Aggregate) and isinstance(node.where, ir.BoolOp)
    guard = node.where.operands[0]
    assert guard == ir.InSet(ir.Col("labs", ir.TEST_COLUMN, guard.operand.type), ("ALT",))


def test_all_over_a_long_table_judges_only_its_tests_rows(tmp_path: Path) -> None:
    node = node_of(tmp_path, "all(labs where alt <= uln(alt))")
    assert isinstance(node, ir.Aggregate)
    assert isinstance(node.value, ir.Cmp)  # the condition moved to the value...
    assert isinstance(node.where, ir.InSet)  # ...and the rows are the ALT rows


def test_a_per_row_column_adds_no_test_guard(tmp_path: Path) -> None:
    node = node_of(tmp_path, "count(labs where lab_date >= first_dose) >= 1")
    assert isinstance(node, ir.Cmp) and isinstance(node.left, ir.Aggregate)
    assert isinstance(node.left.where, ir.Cmp)


def test_if_arms_are_brought_to_one_unit(tmp_path: Path) -> None:
    node = node_of(tmp_path, "(if smoker then 1 g/dL else 900 mg/dL) <= serum_m_protein")
    assert isinstance(node, ir.Cmp) and isinstance(node.left, ir.Cond)
    assert node.left.then.value == 1.0 and node.left.otherwise.value == 0.9  # both in g/dL


def test_a_pattern_over_the_limit_is_refused_at_lint(tmp_path: Path) -> None:
    pattern = "A" * (MAX_PATTERN + 1)
    _checked, errors = compile_case(tmp_path, f'any(cm where cm_decod matches "{pattern}")')
    assert errors[0].code == "TS328"
    assert str(MAX_PATTERN) in errors[0].message
