"""Check a whole protocol: every expression parsed, resolved, typed and lowered to IR.

The sections' own plans (dosing, response, analyses) are compiled beside this by the compile
stage, :mod:`trialspec.compiled`; ``check/`` never imports ``domain/``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from trialspec.check.bounds import lint_bounds
from trialspec.check.scope import Scope
from trialspec.check.typecheck import Checker
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.lang import ast, ir
from trialspec.lang.parser import parse_expr
from trialspec.lang.types import BOOL, Kind


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    """An eligibility criterion ready to run: its IR, the AST it came from, and its text."""

    id: str
    kind: str  # inclusion | exclusion
    text: str
    tree: ast.Expr | None  # None for a criterion the data cannot decide (`when: not recorded`)
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
            if not getattr(crit, "recorded", True):  # `when: not recorded`: listed, never evaluated
                criteria.append(CompiledCriterion(cid, kind, crit.text, None, ir.Const(False, BOOL), crit))
                continue
            tree = parse_model_expr(crit.when, diags)
            if tree is None:
                continue
            node = checker.condition(tree, f"criterion {cid}")
            if node is not None:
                criteria.append(CompiledCriterion(cid, kind, crit.text, tree, node, crit))
    diags.extend(_criterion_ids(elig))
    diags.extend(_completeness(protocol, checker))
    diags.extend(lint_bounds(protocol))  # the sections' own static checks: trialspec.compiled
    if any(d.severity.value == "error" for d in diags):
        return None, diags
    return CheckedProtocol(protocol, tuple(criteria), MappingProxyType(definitions)), diags


# the per-subject results' own columns (the Parquet beside a JSON report, the API's table),
# beside one column per criterion named by its id
RESULT_COLUMNS = ("subject", "status", "missing")


def _criterion_ids(elig: Any) -> list[Diagnostic]:
    """A criterion id names the criterion's column in the per-subject results and its entry
    in the report: it must be one criterion's, and not a column the results have already."""
    out = []
    for cid, crit in elig.exclusion.items():
        if cid in elig.inclusion:
            out.append(Diagnostic(
                "TS228", f"criterion `{cid}` is both an inclusion and an exclusion criterion", crit.span,
                "every criterion needs its own id (the report and the per-subject results list "
                "criteria by id); rename one, e.g. `I1` and `E1`",
                related=((f"inclusion criterion `{cid}`", elig.inclusion[cid].span),)))
    for group in (elig.inclusion, elig.exclusion):
        for cid, crit in group.items():
            if cid in RESULT_COLUMNS:
                out.append(Diagnostic(
                    "TS227", f"criterion id `{cid}` is the name of a per-subject result column",
                    crit.span, f"the per-subject results have the columns {', '.join(RESULT_COLUMNS)} and "
                    "one per criterion named by its id; give the criterion another id (`I1`, `E1`)"))
    return out


def _completeness(protocol: Any, checker: Checker) -> list[Diagnostic]:
    """`complete_for:` names a definition (a condition per subject), or `all`; on a row table."""
    import difflib

    out = []
    for name, ds in protocol.datasets.items():
        target = getattr(ds, "complete_for", None)
        if target is None or target == "all":
            continue
        if target not in protocol.definitions:
            near = difflib.get_close_matches(target, list(protocol.definitions), n=1)
            out.append(Diagnostic(
                "TS320", f"dataset '{name}' is `complete_for: {target}`, which is no definition", ds.span,
                f"Did you mean '{near[0]}'?" if near else
                "Define the subjects it covers, e.g. `definitions: {randomized: arm is present}`, "
                "and name that definition (or write `all`)."))
        elif (kind := checker.definition(target)[1].kind) not in (Kind.BOOL, Kind.ANY):
            out.append(Diagnostic(
                "TS320", f"dataset '{name}' is `complete_for: {target}`, a {kind.value}, not a condition",
                ds.span, "Name a definition that is true for the subjects the table covers, e.g. "
                "`randomized: arm is present`."))
        elif ds.key or (ds.long is not None and ds.pick is not None):
            out.append(Diagnostic(
                "TS321", f"dataset '{name}' has one value per subject; `complete_for` applies to row tables",
                ds.span, "Remove `complete_for`, or use it on a table with several rows per subject "
                "(`subject:`).", Severity.WARNING))
    return out
