"""Compiling a protocol's ``response:`` section with its criteria library into a plan.

The plan holds typed IR (``lang/ir.py``), backend-neutral: each category's rules, the
baseline, censoring and first-dose expressions, the confirmation settings, the rates and
the values ``explain`` shows. Names in response expressions resolve, in order, to a column
of the assessments dataset, a response definition of the protocol, a library definition,
a library parameter (the protocol's value if it sets one), then a subject-level column.

Nothing here imports numpy or pandas: ``lint`` runs it (:func:`compile_response`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from trialspec import units
from trialspec.check.scope import Scope, column_type
from trialspec.check.typecheck import Checker, Typed
from trialspec.criteria import Category, Library, available, load_library
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.lang import ir
from trialspec.lang.parser import parse_expr
from trialspec.lang.types import ANY, BOOL, DATE, Kind, Type
from trialspec.protocol.model import Definition, Expr
from trialspec.source import Span

NOT_EVALUABLE = "NE"
CONFIRMATION_KEYS = ("consecutive", "categories", "min_interval", "max_gap", "non_evaluable", "progression")
KIND_OF_COLUMN = {"number": Kind.NUMBER, "boolean": Kind.BOOL, "category": Kind.CATEGORY,
                  "date": Kind.DATE, "string": Kind.STRING}
_QUALIFIED = re.compile(r"^\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*$")
_TRUE = ir.Const(True, BOOL)
_MISSING_NUMBER = float("nan")


@dataclass(frozen=True)
class RulePlan:
    """One rule of a category: the IR of its condition per assessment."""

    category: str
    id: str
    source: str | None
    node: ir.Node
    confirm: bool
    span: Span


@dataclass(frozen=True)
class CategoryPlan:
    """A category, best first in the plan; its rules are alternatives."""

    name: str
    text: str | None
    rules: tuple[RulePlan, ...]
    requires: ir.Node | None
    requires_text: str | None
    redefined: bool = False


@dataclass(frozen=True)
class ConfirmationPlan:
    """How responses and progression are confirmed (durations in days)."""

    consecutive: int
    categories: frozenset[str]
    min_interval: float
    max_gap: float | None
    non_evaluable: str  # skip | break
    progression: int


@dataclass(frozen=True)
class ResponsePlan:
    """Everything needed to derive response from the assessments, as IR and settings."""

    criteria: str
    title: str | None
    reference: str | None
    dataset: str
    dataset_source: str | None
    time: ir.Node
    baseline: ir.Node
    censor: ir.Node
    first_dose: ir.Node
    categories: tuple[CategoryPlan, ...]  # best first
    progression: str
    confirmation: ConfirmationPlan
    responders: Mapping[str, tuple[str, ...]]
    explain: Mapping[str, tuple[ir.Node, ...]]
    span: Span

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    def row_nodes(self, explain: bool = False) -> dict[str, ir.Node]:
        """Every node to evaluate per assessment, with its time series bound (see
        :func:`bind_series`), keyed ``rule:CAT:ID``, ``requires:CAT``, ``censor``,
        ``first_dose`` and (with ``explain``, for ``explain --subject``) ``explain:NAME:I``."""
        nodes: dict[str, ir.Node] = {}
        for c in self.categories:
            for r in c.rules:
                nodes[f"rule:{c.name}:{r.id}"] = r.node
            if c.requires is not None:
                nodes[f"requires:{c.name}"] = c.requires
        nodes["censor"] = self.censor
        nodes["first_dose"] = self.first_dose
        for name, shown in self.explain.items() if explain else ():
            for i, node in enumerate(shown):
                nodes[f"explain:{name}:{i}"] = node
        memo: dict[Any, ir.Node] = {}
        return {k: bind_series(v, self.time, self.baseline, memo) for k, v in nodes.items()}

    def bound_baseline(self) -> ir.Node:
        """The baseline condition, its own series ordered by time (no baseline of its own)."""
        return bind_series(self.baseline, self.time, _TRUE, {})


# -- IR rewriting ---------------------------------------------------------------------------------


def bind_series(node: ir.Node, time: ir.Node, baseline: ir.Node, memo: dict[Any, ir.Node]) -> ir.Node:
    """``node`` with every Series in it ordered by ``time`` and its baseline chosen by
    ``baseline`` (:class:`trialspec.lang.ir.Series` ``order_by``/``baseline``), and equal
    subtrees shared, so an engine computes each once."""

    def bind(n: ir.Node) -> ir.Node:
        return replace(n, order_by=time, baseline=baseline) if isinstance(n, ir.Series) else n

    return ir.transform(node, bind, memo)


def _outside_aggregates(n: ir.Node) -> bool:
    return not isinstance(n, ir.Aggregate)


# -- checking in the assessments' row context ------------------------------------------------


class _RowChecker(Checker):
    """A checker whose definitions are read per assessment (row of ``row``), not per subject."""

    def __init__(self, scope: Scope, row: str):
        super().__init__(scope, definitions_row=row)
        self.row = row

    def preset(self, name: str, node: ir.Node, t: Type) -> None:
        """Fix a name's meaning to ``node`` (a column the protocol does not declare, ...)."""
        self._definitions[name] = (node, t)

    def expr(self, expr: Expr) -> Typed:
        tree, diags = parse_expr(expr.text, expr.smap)
        self.diagnostics.extend(diags)
        return (None, ANY) if tree is None else self.check(tree, self.row)


# -- compiling --------------------------------------------------------------------------------


@dataclass
class _Compiler:
    protocol: Any
    library: Library
    dataset: str
    diagnostics: list[Diagnostic]

    @property
    def response(self) -> Any:
        return self.protocol.response

    def error(self, code: str, message: str, span: Span | None, hint: str | None = None,
              severity: Severity = Severity.ERROR) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint, severity))

    def suggest(self, name: str, names: Any) -> str:
        close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
        return f"Did you mean '{close[0]}'?" if close else f"Known: {', '.join(names)}."

    # -- scope ----------------------------------------------------------------------------
    def scope_definitions(self) -> dict[str, Definition]:
        lib, r = self.library, self.response
        defs: dict[str, Definition] = {}
        for name, d in lib.parameters.items():
            given = r.parameters.get(name)
            defs[name] = d if given is None else Definition(name, given.span, given, None)
        for name, given in r.parameters.items():
            if name not in lib.parameters:
                self.error("TS602", f"{lib.name} has no parameter '{name}'", given.span,
                           self.suggest(name, lib.parameters))
        defs.update(lib.definitions)
        categories = {c.name for c in lib.categories}
        for name, d in r.definitions.items():
            if name in lib.parameters:
                self.error("TS602", f"'{name}' is a parameter of {lib.name}; set it under `parameters:`",
                           d.span, f"parameters: {{{name}: {d.expr.text}}}")
            elif name not in categories:
                defs[name] = d
        return defs

    def checker(self, definitions: Mapping[str, Definition]) -> _RowChecker:
        ck = _RowChecker(Scope(self.protocol.datasets, definitions), self.dataset)
        ds = self.protocol.datasets[self.dataset]
        for name, col in self.library.columns.items():
            if name in ds.columns or col.optional is None:
                continue
            node, t = _absent(col, self.dataset)
            ck.scope.definitions[name] = Definition(name, col.span, Expr(name, col.span, None), None)  # type: ignore[index, arg-type]
            ck.preset(name, node, t)
        self.first_dose(ck)
        return ck

    def first_dose(self, ck: _RowChecker) -> None:
        given = self.response.parameters.get("first_dose")
        text = given.text if given is not None else self.library.parameters["first_dose"].expr.text
        m = _QUALIFIED.match(text)
        if not m or m[1] not in ck.scope.row_grain:
            return
        ref = ck.scope.column(m[1], m[2])
        if ref is None or ref.type.kind is not Kind.DATE:
            return
        col = ir.Col(m[1], m[2], ref.type, given.span if given is not None else Span("<expr>", 1, 1, 1, 1))
        ck.preset("first_dose", ir.Aggregate("min", m[1], col, None, DATE), DATE)

    # -- the pieces -----------------------------------------------------------------------
    def columns(self) -> bool:
        ds = self.protocol.datasets.get(self.dataset)
        span = self.response.span
        if ds is None:
            self.error("TS604", f"no dataset '{self.dataset}' holds the assessments", span,
                       self.suggest(self.dataset, self.protocol.datasets)
                       + " Or declare it under `datasets:`.")
            return False
        if ds.key or (ds.long is not None and ds.pick is not None) or not (ds.subject or ds.long):
            self.error("TS604", f"'{self.dataset}' has one row per subject; assessments need one row per "
                       "subject and assessment", ds.span,
                       "Declare it with `subject: <column>` instead of `key:`.")
            return False
        ok = True
        for name, col in self.library.columns.items():
            have = ds.columns.get(name)
            if have is None:
                if col.optional is None:
                    ok = False
                    self.error("TS604", f"'{self.dataset}' has no column '{name}', which {self.library.name} "
                               f"reads ({col.text or col.type})", ds.span,
                               f"Declare `{name}: {{type: {col.type}"
                               + (f", unit: {col.unit}" if col.unit else "")
                               + "}` (with `source:` if the file names it otherwise).")
                continue
            t = column_type(self.dataset, have, self.dataset)
            want = KIND_OF_COLUMN[col.type]
            if t.kind is not want:
                ok = False
                self.error("TS604", f"'{self.dataset}.{name}' is a {t.kind.value}; {self.library.name} reads "
                           f"it as a {want.value}", have.span, f"Declare it with `type: {col.type}`.")
            elif col.unit and not _compatible(t.unit, col.unit):
                ok = False
                self.error("TS604", f"'{self.dataset}.{name}' is in {t.unit or 'no unit'}; "
                           f"{self.library.name} needs a unit like {col.unit}", have.span,
                           f"Declare `unit: {col.unit}` (or one of the same dimension).")
        return ok

    def parameters(self, ck: _RowChecker) -> None:
        lib = self.library
        for name, given in self.response.parameters.items():
            if name not in lib.parameters:
                continue
            node, got = ck.definition(name)
            default = _RowChecker(Scope(self.protocol.datasets, ck.scope.definitions), self.dataset)
            default._definitions.update(ck._definitions)
            default_node, want = default.expr(lib.parameters[name].expr)
            if node is None or got.kind is Kind.ANY or want.kind is Kind.ANY:
                continue
            problem = None
            if got.kind is not want.kind:
                problem = f"is a {got.kind.value}; {lib.name}'s default is a {want.kind.value}"
            elif want.unit and not got.unit:
                problem = f"has no unit; give one like the default's ({want.unit})"
            elif want.unit and got.unit and not _compatible(got.unit, want.unit):
                problem = f"is in {got.unit}, not a unit like {want.unit}"
            elif not want.unit and got.unit and want.kind is Kind.NUMBER:
                problem = f"has a unit ({got.unit}); the default is a plain number"
            if problem:
                self.error("TS603", f"parameter '{name}' {problem}", given.span,
                           f"{lib.name}: {name}: {lib.parameters[name].expr.text}")
                if default_node is not None:  # go on with the default: no follow-on errors
                    ck.preset(name, default_node, want)

    def condition(self, ck: _RowChecker, expr: Expr, what: str) -> ir.Node | None:
        node, t = ck.expr(expr)
        if node is None or t.kind is Kind.ANY:
            return None
        if t.kind is not Kind.BOOL:
            self.error("TS312" if expr.span.path != self.library.source.path else "TS607",
                       f"{what} must be a condition, but this is a {t}", expr.span,
                       "Compare it with something, e.g. `x >= 1` or `x is present`.")
            return None
        for n in ir.walk(node, _outside_aggregates):
            if isinstance(n, ir.Col) and n.dataset != self.dataset and n.dataset in ck.scope.row_grain:
                self.error("TS307", f"{what} reads '{n.dataset}.{n.column}', which has several rows per "
                           f"subject; response rules read one row of '{self.dataset}'", expr.span,
                           f"Aggregate it, e.g. `any({n.dataset} where ...)`.")
                return None
        return node

    def value(self, ck: _RowChecker, expr: Expr) -> ir.Node | None:
        node, t = ck.expr(expr)
        return None if node is None or t.kind is Kind.ANY else node

    def categories(self, ck: _RowChecker) -> list[CategoryPlan]:
        lib, overrides = self.library, self.response.categories
        for name, expr in overrides.items():
            if lib.category(name) is None:
                self.error("TS605", f"{lib.name} has no category '{name}'", expr.span,
                           self.suggest(name, [c.name for c in lib.categories]))
        out = []
        for cat in lib.categories:
            rules = []
            given = overrides.get(cat.name)
            if given is not None:
                node = self.condition(ck, given, f"category {cat.name}")
                self.error("TS608", f"the protocol replaces {lib.name}'s rule for {cat.name}", given.span,
                           "Results follow this rule, not the published criteria.", Severity.WARNING)
                if node is not None:
                    rules.append(RulePlan(cat.name, "protocol", None, node, True, given.span))
            else:
                for rule in cat.rules:
                    node = self.condition(ck, rule.when, f"rule {cat.name}.{rule.id}")
                    if node is not None:
                        rules.append(RulePlan(cat.name, rule.id, rule.source, node, rule.confirm, rule.span))
            requires = self.condition(ck, cat.requires, f"`requires` of {cat.name}") if cat.requires else None
            out.append(CategoryPlan(cat.name, cat.text, tuple(rules), requires, cat.requires_text,
                                    given is not None))
        return out

    def definitions_vs_library(self, ck: _RowChecker) -> None:
        """TS609: a protocol definition named like a library definition or category, meaning
        something else (a paper's "MR" that is IMWG's CR)."""
        lib = self.library
        if not any(n in lib.definitions or lib.category(n) for n in self.response.definitions):
            return
        pure = _RowChecker(Scope(self.protocol.datasets, {**ck.scope.definitions, **lib.definitions}),
                           self.dataset)
        for name, (node, t) in ck._definitions.items():
            if name not in lib.definitions:
                pure._definitions[name] = (node, t)
        library_rules = {c.name: self.category_nodes(pure, c) for c in lib.categories}
        for name, d in self.response.definitions.items():
            if name in lib.definitions:
                mine, _t = ck.definition(name)
                theirs, _t2 = pure.definition(name)
                if mine is not None and theirs is not None and mine != theirs:
                    self.error("TS609", f"'{name}' replaces {lib.name}'s definition of it "
                               f"(`{lib.definitions[name].expr.text}`)", d.span,
                               "Every rule using it follows the protocol's meaning.", Severity.WARNING)
                continue
            if lib.category(name) is None:
                continue
            mine, _t = ck.expr(d.expr)
            if mine is None or mine in library_rules[name]:
                continue
            same = [c for c, nodes in library_rules.items() if c != name and mine in nodes]
            if same:
                what = f"; it is {lib.name}'s {same[0]}"
            else:
                near = _closest(mine, library_rules)
                what = f"; it is closest to {lib.name}'s {near}" if near and near != name else ""
            self.error("TS609", f"'{name}' as defined here is not {lib.name}'s {name}{what}", d.span,
                       f"Results use {lib.name}'s {name}; counts reported as '{name}' mean something else.",
                       Severity.WARNING)

    def category_nodes(self, ck: _RowChecker, cat: Category) -> list[ir.Node]:
        nodes = []
        for rule in cat.rules:
            node, _t = ck.expr(rule.when)
            if node is not None:
                nodes.append(node)
        if len(nodes) > 1:
            nodes.append(ir.BoolOp("or", tuple(nodes)))
        return nodes

    def confirmation(self) -> ConfirmationPlan:
        lib = self.library
        merged: dict[str, Any] = {**lib.confirmation, **self.response.confirmation}
        names = [c.name for c in lib.categories]
        for key, value in self.response.confirmation.items():
            if key not in CONFIRMATION_KEYS:
                self.error("TS606", f"unknown confirmation setting '{key}'",
                           _span_of(value, self.response.span), self.suggest(key, CONFIRMATION_KEYS))

        def whole(key: str, default: int) -> int:
            v: Any = merged.get(key)
            text = getattr(v, "text", None)
            if text is None:
                return default
            if not text.strip().isdigit() or int(text) < 1:
                self.error("TS606", f"confirmation `{key}` must be a whole number >= 1, not `{text}`", v.span)
                return default
            return int(text)

        def days(key: str) -> float | None:
            v: Any = merged.get(key)
            text = getattr(v, "text", None)
            if text is None or text.strip() in ("none", "null", "~"):
                return None
            m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]+)\s*", text)
            try:
                if m is None:
                    raise units.UnitError(text)
                return float(m[1]) * units.factor(units.parse_unit(m[2]), units.parse_unit("days"), None)
            except units.UnitError:
                self.error("TS606", f"confirmation `{key}` must be a duration (`4 weeks`) or `none`, "
                           f"not `{text}`", v.span)
                return None

        chosen = merged.get("categories")
        if isinstance(chosen, tuple):
            cats = []
            for item in chosen:
                if getattr(item, "text", None) in names:
                    cats.append(item.text)
                else:
                    self.error("TS605", f"{lib.name} has no category '{getattr(item, 'text', item)}'",
                               _span_of(item, self.response.span),
                               self.suggest(str(getattr(item, "text", "")), names))
        else:
            cats = [n for n in names if n not in (lib.progression,)]
        mode = getattr(merged.get("non_evaluable"), "text", "skip")
        if mode not in ("skip", "break"):
            self.error("TS606", f"confirmation `non_evaluable` is `skip` or `break`, not `{mode}`",
                       merged["non_evaluable"].span)
            mode = "skip"
        return ConfirmationPlan(whole("consecutive", 2), frozenset(cats), days("min_interval") or 0.0,
                                days("max_gap"), mode, whole("progression", 2))

    def responders(self) -> Mapping[str, tuple[str, ...]]:
        names = [c.name for c in self.library.categories]
        out = dict(self.library.responders)
        for rate, cats in self.response.responders.items():
            bad = [c for c in cats if c not in names]
            for c in bad:
                self.error("TS605", f"rate '{rate}' counts '{c}', which {self.library.name} does not define",
                           self.response.span, self.suggest(c, names))
            out[rate] = tuple(c for c in cats if c in names)
        return MappingProxyType(out)

    def library_located(self, diags: list[Diagnostic]) -> list[Diagnostic]:
        """Errors found inside the library's expressions, restated as TS607 at the response."""
        path = self.library.source.path
        out = []
        for d in diags:
            if d.span is None or d.span.path != path or d.code.startswith("TS6"):
                out.append(d)
                continue
            out.append(Diagnostic("TS607", f"{self.library.name} does not fit this protocol: {d.message} "
                                  f"({self.library.name}.yaml line {d.span.line})", self.response.span,
                                  d.hint, d.severity))
        return out


def _fingerprint(node: ir.Node) -> set[Any]:
    """What a rule reads and its thresholds: series of columns, and constants with units."""
    out: set[Any] = set()
    for n in ir.walk(node):
        if isinstance(n, ir.Series) and n.args and isinstance(n.args[0], ir.Col):
            out.add((n.func, n.args[0].column))
        elif isinstance(n, ir.Const) and n.type.kind is Kind.NUMBER:
            out.add((round(float(n.value), 9), n.type.unit))
    return out


def _closest(node: ir.Node, candidates: Mapping[str, list[ir.Node]]) -> str | None:
    """The category whose rules share most of ``node``'s fingerprint (Jaccard > 0.3)."""
    mine = _fingerprint(node)
    scores = []
    for name, nodes in candidates.items():
        theirs = set().union(*(_fingerprint(n) for n in nodes)) if nodes else set()
        union = mine | theirs
        scores.append((len(mine & theirs) / len(union) if union else 0.0, name))
    scores.sort(reverse=True)
    if scores and scores[0][0] > 0.3 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None


def _absent(col: Any, dataset: str) -> tuple[ir.Node, Type]:
    """What a column the protocol does not declare stands for: missing, or false."""
    if col.type == "boolean":
        if col.optional == "false":
            return ir.Const(False, Type(Kind.BOOL, grain=dataset)), Type(Kind.BOOL, grain=dataset)
        nan = ir.Const(_MISSING_NUMBER, Type(Kind.NUMBER, grain=dataset))
        return ir.Cmp("==", nan, ir.Const(0.0, Type(Kind.NUMBER))), Type(Kind.BOOL, grain=dataset)
    t = Type(Kind.NUMBER, col.unit, grain=dataset)
    return ir.Const(_MISSING_NUMBER, t), t


def _compatible(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a is None or b is None:
        return False
    try:
        return units.compatible(units.parse_unit(a), units.parse_unit(b), None)
    except units.UnitError:
        return False


def _span_of(value: Any, default: Span) -> Span:
    span = getattr(value, "span", None)
    if span is None and isinstance(value, tuple) and value:
        span = getattr(value[0], "span", None)
    return span if span is not None else default


def assessments_dataset(protocol: Any, library: Library) -> str:
    """The dataset named by ``response: assessments:``, else ``assessments``."""
    return protocol.response.assessments or "assessments"


def compile_response(protocol: Any) -> tuple[ResponsePlan | None, list[Diagnostic]]:
    """The response plan of a protocol model (None without a ``response:`` section, or with
    errors), and every TS6xx (and TS3xx inside response expressions) diagnostic."""
    r = getattr(protocol, "response", None)
    if r is None:
        return None, []
    if not r.criteria:
        return None, [Diagnostic("TS601", "`response:` names no criteria library", r.span,
                                 f"Add `criteria: {available()[0]}`.")]
    library, found = load_library(r.criteria)
    if library is None:
        close = difflib.get_close_matches(r.criteria, available(), n=1, cutoff=0.5)
        return None, [*found, Diagnostic("TS601", f"no criteria library '{r.criteria}'", r.span,
                                         f"Did you mean '{close[0]}'?" if close else
                                         f"Shipped: {', '.join(available())}.")]
    c = _Compiler(protocol, library, assessments_dataset(protocol, library), list(found))
    if not c.columns():
        return None, c.diagnostics
    definitions = c.scope_definitions()
    ck = c.checker(definitions)
    c.parameters(ck)
    categories = c.categories(ck)
    ds = c.dataset
    time_type = Type(Kind.DATE, grain=ds)
    time = ir.Col(ds, library.time, time_type, library.columns[library.time].span)
    baseline = c.condition(ck, definitions["baseline_when"].expr, "the baseline rule (baseline_when)")
    censor = c.condition(ck, definitions["censor_when"].expr, "the censoring rule (censor_when)")
    first_dose, _t = ck.definition("first_dose")
    if baseline is not None and any(isinstance(n, ir.Series) and n.func not in ("previous", "consecutive")
                                    for n in ir.walk(baseline)):
        c.error("TS603", "the baseline rule cannot use a series measured from baseline", definitions[
            "baseline_when"].expr.span, "Use dates, previous(...) or consecutive(...).")
        baseline = None
    explain = {}
    for name, exprs in library.explain.items():
        nodes = [c.value(ck, e) for e in exprs]
        if all(n is not None for n in nodes):
            explain[name] = tuple(n for n in nodes if n is not None)
    c.definitions_vs_library(ck)
    confirmation = c.confirmation()
    responders = c.responders()
    diags = c.library_located([*c.diagnostics, *ck.diagnostics])
    if (any(d.severity is Severity.ERROR for d in diags) or baseline is None or censor is None
            or first_dose is None):
        return None, diags
    ds_model = protocol.datasets[ds]
    plan = ResponsePlan(
        criteria=library.name, title=library.title, reference=library.reference, dataset=ds,
        dataset_source=ds_model.source, time=time, baseline=baseline, censor=censor,
        first_dose=first_dose,
        categories=tuple(categories), progression=library.progression, confirmation=confirmation,
        responders=responders, explain=MappingProxyType(explain), span=r.span)
    return plan, diags
