"""The IR walk API: every node type's children are known, in source order, with their grain."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from trialspec.lang import ir
from trialspec.lang.types import BOOL, NUMBER, Type

ROW = Type(NUMBER.kind, grain="labs")
NODE_CLASSES = typing.get_args(ir.Node)


def _holds_nodes(cls: type, name: str) -> bool:
    hint = typing.get_type_hints(cls)[name]
    text = repr(hint)
    return "trialspec.lang.ir." in text and name != "type"


@pytest.mark.parametrize("cls", NODE_CLASSES, ids=lambda c: c.__name__)
def test_children_covers_every_field_that_holds_a_node(cls: type) -> None:
    holding = tuple(f.name for f in dataclasses.fields(cls) if _holds_nodes(cls, f.name))
    assert ir.CHILD_FIELDS[cls] == holding


def test_every_node_type_has_an_entry() -> None:
    assert set(ir.CHILD_FIELDS) == set(NODE_CLASSES)


def _tree() -> tuple[ir.Node, dict[str, ir.Node]]:
    a = ir.Col("dm", "age", NUMBER)
    x = ir.Col("labs", "x", ROW)
    y = ir.Col("labs", "y", ROW)
    series = ir.Series("baseline", "labs", (y,), ROW)
    where = ir.Cmp(">", series, ir.Const(1.0, NUMBER))
    agg = ir.Aggregate("max", "labs", x, where, NUMBER)
    cond = ir.Cond(ir.IsNull(a), ir.Const(0.0, NUMBER), a, NUMBER)
    root = ir.BoolOp("and", (ir.Cmp("<=", agg, ir.Const(25.0, NUMBER)),
                             ir.Negate(ir.Match("contains", ir.Col("dm", "arm", NUMBER), "X")),
                             ir.Cmp(">", ir.Func("abs", (cond,), NUMBER), ir.Arith("neg", a, None, NUMBER))))
    return root, {"a": a, "x": x, "y": y, "agg": agg, "series": series, "where": where, "cond": cond}


def test_walk_is_pre_order_in_source_order() -> None:
    root, n = _tree()
    cols = [(c.dataset, c.column) for c in ir.walk(root) if isinstance(c, ir.Col)]
    assert cols == [("labs", "x"), ("labs", "y"), ("dm", "arm"), ("dm", "age"), ("dm", "age"), ("dm", "age")]
    assert next(iter(ir.walk(root))) is root


def test_grain_under_an_aggregate_is_its_datasets_rows() -> None:
    root, n = _tree()
    assert ir.grain_of(root, n["agg"]) is ir.SUBJECT
    assert ir.grain_of(root, n["x"]) == "labs"
    assert ir.grain_of(root, n["series"]) == "labs" and ir.grain_of(root, n["y"]) == "labs"
    assert ir.grain_of(root, n["cond"]) is ir.SUBJECT
    assert [(c.dataset, c.column) for c in ir.subject_columns(root)] == [("dm", "arm"), ("dm", "age")]


def test_walk_can_stop_at_a_node() -> None:
    root, n = _tree()
    seen = list(ir.walk(root, lambda m: not isinstance(m, ir.Aggregate)))
    assert any(m is n["agg"] for m in seen) and not any(m is n["x"] for m in seen)


def test_transform_rebuilds_bottom_up_and_keeps_unchanged_subtrees() -> None:
    root, n = _tree()

    def rename(m: ir.Node) -> ir.Node:
        return dataclasses.replace(m, column="z") if isinstance(m, ir.Col) and m.column == "y" else m

    out = ir.transform(root, rename)
    assert out != root
    assert [c.column for c in ir.walk(out) if isinstance(c, ir.Col) and c.dataset == "labs"] == ["x", "z"]
    assert out.operands[1] is root.operands[1]  # untouched: the same object
    assert ir.transform(root, lambda m: m) is root


def test_cond_condition_is_boolean() -> None:
    assert ir.type_of(ir.IsNull(ir.Col("dm", "age", NUMBER))) == BOOL
