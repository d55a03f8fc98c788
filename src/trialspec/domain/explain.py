"""Explaining one subject: every criterion, every clause, the values that decided it.

Backend-neutral: the caller passes ``value_of(node)`` (the node's value for this subject as
a plain Python value) and ``origin(col)`` (where a column's value was read from).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from trialspec.lang import ir
from trialspec.results import Table
from trialspec.source import SourceFile

RESULT_WORDS = {True: "true", False: "false", None: "unknown"}


def _show(v: Any) -> str:
    if v is None:
        return "missing"
    if isinstance(v, bool):
        return RESULT_WORDS[v]
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return f"{_show(v[0])}..{_show(v[1])}"
    return str(v)


def _text(node: Any, sources: dict[str, SourceFile]) -> str:
    src = sources.get(node.span.path)
    text = src.slice(node.span) if src is not None else ""
    return text or type(node).__name__


def _unit(node: Any, value: Any = 0) -> str:
    t = getattr(node, "type", None)
    return f" {t.unit}" if value is not None and t is not None and getattr(t, "unit", None) else ""


def _verdict(v: Any) -> str:
    return RESULT_WORDS.get(v, str(v)) if v is None or isinstance(v, bool) else _show(v)


def clause_rows(root: ir.Node, value_of: Callable[[Any], Any], origin: Callable[[ir.Col], str],
                sources: dict[str, SourceFile]) -> list[tuple[str, str, str]]:
    """(clause, values, result) for each condition and column under ``root``, depth-first.

    Only subject-grain nodes are shown: the inputs of an aggregate or a time series vary per
    row (``ir.child_grain``), so the walk shows their value and stops there."""
    rows: list[tuple[str, str, str]] = []
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        pad = "  " * depth
        if isinstance(node, ir.Const):
            continue
        if isinstance(node, ir.BoolOp):
            rows.append((pad + node.op, "", _verdict(value_of(node))))
        elif isinstance(node, ir.Negate):
            rows.append((pad + "not", "", _verdict(value_of(node))))
        elif isinstance(node, ir.Cmp):
            left, right = value_of(node.left), value_of(node.right)
            values = (f"{_show(left)}{_unit(node.left, left)} {node.op} "
                      f"{_show(right)}{_unit(node.right, right)}")
            rows.append((pad + _text(node, sources), values, _verdict(value_of(node))))
        elif isinstance(node, ir.InSet | ir.IsNull | ir.Match):
            rows.append((pad + _text(node, sources), _show(value_of(node.operand)), _verdict(value_of(node))))
        elif isinstance(node, ir.Col):
            v = value_of(node)
            rows.append((pad + f"{node.dataset}.{node.column}", f"{_show(v)}{_unit(node, v)}", origin(node)))
        else:  # arithmetic, functions, conditionals, aggregates, series: their value, then their inputs
            v = value_of(node)
            rows.append((pad + _text(node, sources), f"{_show(v)}{_unit(node, v)}", ""))
        if ir.child_grain(node) is ir.SUBJECT:
            stack.extend((c, depth + 1) for c in reversed(ir.children(node)))
    return rows


def explain_criteria(criteria: Sequence[Any], outcomes: Sequence[str], value_of: Callable[[Any], Any],
                     origin: Callable[[ir.Col], str], sources: dict[str, SourceFile]) -> list[Table]:
    """One table per criterion for one subject."""
    tables = []
    for crit, outcome in zip(criteria, outcomes, strict=True):
        verdict = {"pass": "passes", "fail": "fails", "unknown": "is unknown",
                   "not assessable": "is not assessable"}[outcome]
        rows = (clause_rows(crit.node, value_of, origin, sources) if outcome != "not assessable" else
                [("not recorded", "", "the study's data cannot decide this criterion")])
        meaning = " (met means excluded)" if crit.kind == "exclusion" else ""
        tables.append(Table(f"{crit.id} {verdict}: {crit.text}{meaning}",
                            ("clause", "values", "result / source"),
                            tuple(rows)))
    return tables
