"""Check a whole protocol: every expression parsed, resolved, typed and lowered to IR."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from trialspec.check.scope import Scope
from trialspec.check.typecheck import Checker
from trialspec.diagnostics import Diagnostic
from trialspec.lang import ast, ir
from trialspec.lang.parser import parse_expr

# Static checks that the check sections offer, run by lint: (module, function(protocol)).
SECTION_LINTS = (
    ("trialspec.domain.treatment", "lint_treatment"),
    ("trialspec.domain.response", "lint_response"),
    ("trialspec.domain.analyses_plan", "lint_analyses"),
    ("trialspec.check.bounds", "lint_bounds"),
)


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    """An eligibility criterion ready to run: its IR, the AST it came from, and its text."""

    id: str
    kind: str  # inclusion | exclusion
    text: str
    tree: ast.Expr
    node: ir.Node
    model: Any  # the protocol model's Criterion, for spans and source


@dataclass(frozen=True, slots=True)
class CheckedProtocol:
    """A protocol whose expressions all type-check, with the compiled criteria in order."""

    protocol: Any
    criteria: tuple[CompiledCriterion, ...]
    definitions: Mapping[str, ir.Node]


def parse_model_expr(expr: Any, diags: list[Diagnostic]) -> ast.Expr | None:
    tree, found = parse_expr(expr.text, expr.smap, expr.span.path)
    diags.extend(found)
    return tree


def check_protocol(protocol: Any) -> tuple[CheckedProtocol | None, list[Diagnostic]]:
    """Type-check every expression; the checked protocol is None if any has an error."""
    scope = Scope(protocol.datasets, protocol.definitions)
    checker = Checker(scope)
    diags = checker.diagnostics
    definitions: dict[str, ir.Node] = {}
    for name in protocol.definitions:
        node, _t = checker.definition(name)
        if node is not None:
            definitions[name] = node
    criteria: list[CompiledCriterion] = []
    elig = protocol.eligibility
    for kind, group in (("inclusion", elig.inclusion), ("exclusion", elig.exclusion)):
        for cid, crit in group.items():
            tree = parse_model_expr(crit.when, diags)
            if tree is None:
                continue
            node = checker.condition(tree, f"criterion {cid}")
            if node is not None:
                criteria.append(CompiledCriterion(cid, kind, crit.text, tree, node, crit))
    for module, name in SECTION_LINTS:  # the sections' own static checks (no data, no pandas)
        diags.extend(getattr(importlib.import_module(module), name)(protocol))
    if any(d.severity.value == "error" for d in diags):
        return None, diags
    return CheckedProtocol(protocol, tuple(criteria), MappingProxyType(definitions)), diags
