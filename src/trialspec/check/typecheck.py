"""The type checker: AST -> IR, yielding TS3xx diagnostics on the way.

Every name resolves to a column, a definition, a dataset or (where a category is
expected) a declared level; units are checked by dimension and constants are converted
into the unit of the column they meet, so engines never see a unit mismatch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from trialspec import units
from trialspec.check.forms import check_if, check_match
from trialspec.check.ranges import NOT_ULN, relative_to_uln
from trialspec.check.scope import Scope
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.lang import ast, ir
from trialspec.lang.parser import parse_expr
from trialspec.lang.types import ANY, BOOL, DATE, NUMBER, STRING, Kind, Type
from trialspec.source import Span

TIME_UNITS_IN_DAYS = {"days": 1.0}


class _Level:
    """A bare name standing for a category level, resolved by the comparison around it."""

    def __init__(self, name: str, span: Span):
        self.name, self.span = name, span


Typed = tuple[Any, Type]  # (ir node | _Level | None, type)


_STUDY_LEVEL_HINT = ("A study-level table (`level: study`) is read by analyses, not by expressions: "
                     "a meta-analysis pools its rows with `options: {{from: {ds}}}`.")

class Checker:
    """Checks expressions of one protocol; collects diagnostics in ``self.diagnostics``."""

    def __init__(self, scope: Scope, definitions_row: str | None = None):
        """``definitions_row``: read definitions per row of that dataset (per assessment,
        for response criteria) instead of per subject."""
        self.scope = scope
        self.definitions_row = definitions_row
        self.diagnostics: list[Diagnostic] = []
        self._definitions: dict[str, Typed] = {}
        self._visiting: list[str] = []
        self._rules: dict[type, Callable[[Any, str | None], Typed]] = {
            ast.Number: self._number, ast.Quantity: self._quantity, ast.Date: self._date,
            ast.String: self._string, ast.Boolean: self._boolean, ast.Name: self._name,
            ast.Not: self._not, ast.Neg: self._neg, ast.Logical: self._logical,
            ast.Arith: self._arith, ast.Compare: self._compare, ast.Between: self._between,
            ast.In: self._in, ast.IsMissing: self._is_missing, ast.Within: self._within,
            ast.Call: self._call,
            ast.If: lambda e, row: check_if(self, e, row),
            ast.Match: lambda e, row: check_match(self, e, row),
        }

    # -- entry points -------------------------------------------------------------------
    def condition(self, e: ast.Expr, what: str = "a criterion") -> ir.Node | None:
        """Check an expression that must decide true/false/unknown per subject."""
        node, t = self.check(e, None)
        if t.kind is Kind.ANY or node is None:
            return None
        if t.kind is not Kind.BOOL:
            self._error("TS312", f"{what} must be a condition, but this is a {t}", e.span,
                        "Compare it with something, e.g. `x >= 1` or `x is present`.")
            return None
        if t.grain is not None:
            self._grain_error(e, t)
            return None
        return node

    def check(self, e: ast.Expr, row: str | None) -> Typed:
        node, t = self._rules[type(e)](e, row)
        if isinstance(node, _Level):
            return self._level_alone(node, row)
        return node, t

    def definition(self, name: str) -> Typed:
        if name in self._definitions:
            return self._definitions[name]
        d = self.scope.definitions[name]
        if name in self._visiting:
            cycle = " -> ".join([*self._visiting[self._visiting.index(name):], name])
            self._error("TS305", f"definition '{name}' refers to itself ({cycle})", d.span,
                        "Break the cycle: a definition cannot use its own value.")
            return None, ANY
        self._visiting.append(name)
        tree, diags = parse_expr(d.expr.text, d.expr.smap)
        self.diagnostics.extend(diags)
        result: Typed = (None, ANY) if tree is None else self.check(tree, self.definitions_row)
        self._visiting.pop()
        self._definitions[name] = result
        return result

    # -- helpers -----------------------------------------------------------------------
    def _error(self, code: str, msg: str, span: Span, hint: str | None = None) -> Typed:
        self.diagnostics.append(Diagnostic(code, msg, span, hint))
        return None, ANY

    def _grain_error(self, e: ast.Expr, t: Type) -> Typed:
        return self._error("TS307", f"this value varies per row of '{t.grain}', not per subject",
                           e.span, f"Aggregate it, e.g. `max(...)` or `any({t.grain} where ...)`.")

    def _unit(self, text: str, span: Span) -> units.Unit | None:
        try:
            return units.parse_unit(text)
        except units.UnitError as err:
            hint = "docs/units.md lists the registered units."
            if re.search(r"[/*]\s*\d", text):
                hint = ("A number written inside a unit is part of it (`mL/min/1.73m2`); to divide "
                        "or multiply by a number, put spaces around the operator (`45 mg / 1.5 m2`). "
                        + hint)
            self._error("TS302", str(err), span, hint)
            return None

    # -- literals ----------------------------------------------------------------------
    def _number(self, e: ast.Number, row: str | None) -> Typed:
        return ir.Const(e.value, NUMBER, e.span), NUMBER

    def _quantity(self, e: ast.Quantity, row: str | None) -> Typed:
        u = self._unit(e.unit, e.span)
        if u is None:
            return None, ANY
        t = Type(Kind.NUMBER, u.text)
        return ir.Const(e.value, t, e.span), t

    def _date(self, e: ast.Date, row: str | None) -> Typed:
        y, *rest = e.text.split("-")
        ok = (not rest or 1 <= int(rest[0]) <= 12) and (len(rest) < 2 or 1 <= int(rest[1]) <= 31)
        if not ok:
            return self._error("TS106", f"'{e.text}' is not a valid date", e.span,
                               "Write dates as YYYY-MM or YYYY-MM-DD.")
        return ir.Const(e.text, DATE, e.span), DATE

    def _string(self, e: ast.String, row: str | None) -> Typed:
        return ir.Const(e.value, STRING, e.span), STRING

    def _boolean(self, e: ast.Boolean, row: str | None) -> Typed:
        return ir.Const(e.value, BOOL, e.span), BOOL

    # -- names -------------------------------------------------------------------------
    def _name(self, e: ast.Name, row: str | None) -> Typed:
        sc = self.scope
        if len(e.parts) == 2:
            ds, col = e.parts
            if ds in sc.study_level:
                return self._error("TS311", f"'{ds}' is a study-level dataset: no patient has its "
                                   "values", e.span, _STUDY_LEVEL_HINT.format(ds=ds))
            if ds not in sc.datasets:
                hint = sc.suggest(ds, sc.datasets)
                return self._error("TS311", f"unknown dataset '{ds}'", e.span,
                                   f"Did you mean '{hint}'?" if hint else "Declare it under `datasets:`.")
            ref = sc.column(ds, col)
            if ref is None:
                hint = sc.suggest(col, sc.datasets[ds].columns)
                return self._error("TS301", f"dataset '{ds}' has no column '{col}'", e.span,
                                   f"Did you mean '{ds}.{hint}'?" if hint else "Declare the column.")
            return self._col(ref, e.span)
        if len(e.parts) > 2:
            return self._error("TS301", f"'{e.dotted}' is not a name", e.span, "Write `dataset.column`.")
        name = e.parts[0]
        if row is not None and (ref := sc.column(row, name)) is not None:
            return self._col(ref, e.span)
        if name in sc.definitions:
            node, t = self.definition(name)
            return node, t
        refs = sc.subject_columns.get(name, [])
        if len(refs) == 1:
            return self._col(refs[0], e.span)
        if len(refs) > 1:
            where = ", ".join(f"{r.dataset}.{name}" for r in refs)
            return self._error("TS313", f"'{name}' is a column of several datasets ({where})", e.span,
                               f"Qualify it, e.g. `{refs[0].dataset}.{name}`.")
        if name in sc.datasets:
            return ir.Const(name, Type(Kind.DATASET), e.span), Type(Kind.DATASET)
        return _Level(name, e.span), Type(Kind.CATEGORY)

    def _col(self, ref: Any, span: Span) -> Typed:
        """A column reference; a number whose unit varies per row needs a unit to compare in."""
        col = self.scope.datasets[ref.dataset].columns[ref.column]
        if col.unit_column and not col.unit and ref.type.kind is Kind.NUMBER:
            return self._error(
                "TS309", f"{ref.dataset}.{ref.column} carries its unit per row (in "
                f"'{col.unit_column}') but declares no `unit:` to compare it in", span,
                f"Declare the unit its values are converted to, e.g. "
                f"`{ref.column}: {{type: number, unit: mg/dL, unit_column: {col.unit_column}}}`.")
        return ir.Col(ref.dataset, ref.column, ref.type, span), ref.type

    def _level_alone(self, lvl: _Level, row: str | None) -> Typed:
        if (ds := self.scope.study_columns.get(lvl.name)) is not None:
            return self._error("TS301", f"'{lvl.name}' is a column of the study-level dataset '{ds}': "
                               "no patient has its values", lvl.span, _STUDY_LEVEL_HINT.format(ds=ds))
        if (tables := self.scope.row_columns.get(lvl.name)) and row not in tables:
            ds = tables[0]
            return self._error("TS301", f"'{lvl.name}' is a column of '{ds}', which has several rows "
                               "per subject: it has no one value per subject", lvl.span,
                               f"Read it in an aggregate over the rows: `any({ds} where {lvl.name} ...)`"
                               f", `max({ds}.{lvl.name})`; or give '{ds}' a `pick:` if it is a long "
                               "table and one row per subject is meant.")
        hint = Scope.suggest(lvl.name, self.scope.all_names(row))
        return self._error("TS301", f"unknown name '{lvl.name}'", lvl.span,
                           f"Did you mean '{hint}'?" if hint else
                           "Declare it as a column or definition, or quote it as a string.")

    def _value(self, e: ast.Expr, row: str | None) -> Typed:
        """Check an operand that may be a bare level name (resolved by the caller)."""
        return self._rules[type(e)](e, row)

    # -- logic -------------------------------------------------------------------------
    def _cond(self, e: ast.Expr, row: str | None) -> ir.Node | None:
        node, t = self.check(e, row)
        if t.kind is Kind.ANY:
            return None
        if t.kind is not Kind.BOOL:
            self._error("TS307", f"expected a condition, found a {t}", e.span,
                        "`and`, `or` and `not` join conditions such as `x >= 1`.")
            return None
        return node

    def _not(self, e: ast.Not, row: str | None) -> Typed:
        x = self._cond(e.operand, row)
        return (ir.Negate(x, e.span), self._grain(BOOL, [x])) if x is not None else (None, ANY)

    def _logical(self, e: ast.Logical, row: str | None) -> Typed:
        checked = [self._cond(x, row) for x in e.operands]
        xs = [x for x in checked if x is not None]
        if len(xs) < len(checked):
            return None, ANY
        return ir.BoolOp(e.op, tuple(xs), e.span), self._grain(BOOL, xs)

    def _grain(self, t: Type, nodes: list[Any]) -> Type:
        grains = {ir.type_of(n).grain for n in nodes if n is not None and not isinstance(n, _Level)}
        grains.discard(None)
        return replace(t, grain=next(iter(grains))) if grains else t

    # -- arithmetic --------------------------------------------------------------------
    def _neg(self, e: ast.Neg, row: str | None) -> Typed:
        x, t = self.check(e.operand, row)
        if t.kind is Kind.ANY:
            return None, ANY
        if t.kind is not Kind.NUMBER:
            return self._error("TS307", f"cannot negate a {t}", e.span)
        if isinstance(x, ir.Const):
            return ir.Const(-float(x.value), t, e.span), t
        return ir.Arith("neg", x, None, t, e.span), t

    def _arith(self, e: ast.Arith, row: str | None) -> Typed:
        a, ta = self.check(e.left, row)
        b, tb = self.check(e.right, row)
        if ANY in (ta, tb) or Kind.ANY in (ta.kind, tb.kind):
            return None, ANY
        if ta.kind is Kind.DATE and e.op in "+-" and tb.kind is Kind.NUMBER:
            b = self._to_days(b, tb, e.right.span)
            return (ir.Arith(e.op, a, b, self._grain(DATE, [a, b]), e.span),
                    self._grain(DATE, [a, b])) if b is not None else (None, ANY)
        if ta.kind is Kind.DATE and tb.kind is Kind.DATE and e.op == "-":
            t = self._grain(Type(Kind.NUMBER, "days"), [a, b])
            return ir.Arith("-", a, b, t, e.span), t
        if ta.kind is not Kind.NUMBER or tb.kind is not Kind.NUMBER:
            return self._error("TS307", f"cannot compute {ta} {e.op} {tb}", e.span,
                               "Arithmetic needs numbers (or a date and a duration).")
        if e.op in "+-":
            res = self._compatible(a, ta, b, tb, e.span, e.right.span)
            if res is None:
                return None, ANY
            a, b, tu = res
            t = self._grain(Type(Kind.NUMBER, tu.unit), [a, b])
            return ir.Arith(e.op, a, b, t, e.span), t
        self._by_hand(e, ta, tb)
        return self._muldiv(e.op, a, ta, b, tb, e.span, e.right.span)

    def _muldiv(self, op: str, a: Any, ta: Type, b: Any, tb: Type, span: Span, where: Span,
                make: Callable[[Any, Any, Type], Any] | None = None) -> Typed:
        """``a * b`` or ``a / b`` in the unit of the product (kg / cm / cm is in kg/m2).

        ``make(a, b, type)`` builds the node (an ``ir.Arith`` by default). When the computed
        number is not in the result's unit, it is multiplied by the factor that puts it there
        (kg/cm^2 -> kg/m2: x 10000), so a node's value is always in its type's unit.
        """
        build = make or (lambda x, y, t: ir.Arith(op, x, y, t, span))
        # A percentage times a plain number stays a percentage (ratio * 100% is in %); next to
        # another unit it is the fraction it stands for (25% * 2 g/dL is 0.25 * 2 g/dL).
        if tb.unit not in (None, "%"):
            a, ta = self._fraction(a, ta)
        if ta.unit not in (None, "%"):
            b, tb = self._fraction(b, tb)
        if op == "/" and ta.unit and tb.unit and self._same_dimension(ta, tb):
            # a ratio of like quantities: bring both to one unit, the result has none
            b = self._convert(b, tb, ta.unit, ta.analyte or tb.analyte, span, where)
            t = self._grain(Type(Kind.NUMBER), [a, b])
            return (build(a, b, t), t) if b is not None else (None, ANY)
        try:
            p = units.combine(ta.unit, op, tb.unit)
        except units.UnitError as err:
            return self._error("TS302", str(err), span, "docs/units.md lists the registered units.")
        # times a plain number, a value keeps its analyte (2 * bilirubin is still bilirubin)
        analyte = ta.analyte if tb.unit is None else tb.analyte if ta.unit is None else None
        raw = self._grain(Type(Kind.NUMBER, p.raw.text if p.raw else None, analyte=analyte), [a, b])
        t = replace(raw, unit=p.unit.text if p.unit else None)
        if p.factor == 1.0:
            return build(a, b, t), t
        return ir.Arith("*", build(a, b, raw), ir.Const(p.factor, NUMBER), t, span), t

    def _by_hand(self, e: ast.Arith, ta: Type, tb: Type) -> None:
        """Warn (TS314) about a quantity multiplied or divided by a plain power of ten: it looks
        like a conversion by hand (`height / 100` for metres), which the units already make."""
        pairs = [(e.right, ta)] + ([(e.left, tb)] if e.op == "*" else [])
        for number, t in pairs:
            if (not isinstance(number, ast.Number) or not t.unit or number.value <= 0
                    or not math.isfinite(number.value)):  # inf has no power of ten
                continue
            exp = math.log10(number.value)
            if abs(exp) < 1 or abs(exp - round(exp)) > 1e-9:
                continue
            try:
                dim = units.resolve(t.unit).dimension
            except units.UnitError:
                continue
            if dim in ("dimensionless", "uln"):
                continue
            verb = "divides" if e.op == "/" else "multiplies"
            self.diagnostics.append(Diagnostic(
                "TS314", f"this {verb} a value in {t.unit} by a plain {number.text}: the result "
                f"is still in {t.unit}, not converted", e.span,
                "Units convert by themselves: with height in cm, `weight / (height * height)` is "
                "already in kg/m2. Drop the factor; if it is meant (a tenth, a hundredth), write it "
                "as a percentage, e.g. `x * 10%`.", Severity.WARNING))
            return

    @staticmethod
    def _fraction(node: Any, t: Type) -> Typed:
        """A percentage as a plain fraction, for multiplying by a unit (25% -> 0.25)."""
        if t.unit != "%":
            return node, t
        plain = replace(t, unit=None)
        if isinstance(node, ir.Const):
            return ir.Const(float(node.value) / 100.0, plain, node.span), plain
        return ir.Arith("*", node, ir.Const(0.01, Type(Kind.NUMBER)), plain, node.span), plain

    @staticmethod
    def _same_dimension(ta: Type, tb: Type) -> bool:
        try:
            return units.compatible(units.resolve(ta.unit or ""), units.resolve(tb.unit or ""),
                                    ta.analyte or tb.analyte)
        except units.UnitError:
            return False

    def _to_days(self, node: Any, t: Type, span: Span) -> Any:
        if t.unit is None:
            self._error("TS309", "a duration needs a unit", span, "Write e.g. `28 days` or `3 months`.")
            return None
        return self._convert(node, t, "days", None, span, span)

    def _convert(self, node: Any, t: Type, unit: str | None, analyte: str | None,
                 span: Span, where: Span) -> Any:
        """Express ``node`` (of type ``t``) in ``unit``; constants are folded."""
        if t.unit == unit or unit is None or t.unit is None:
            return node
        try:
            f = units.factor(units.resolve(t.unit), units.resolve(unit), analyte)
        except units.UnitError as err:
            code = "TS310" if "analyte" in str(err) else "TS303"
            self._error(code, str(err), where,
                        "Use a value in a unit of the same dimension as the column's "
                        f"({unit})." if code == "TS303" else "Declare the column's `analyte:`.")
            return None
        nt = replace(t, unit=unit)
        if isinstance(node, ir.Const):
            return ir.Const(float(node.value) * f, nt, node.span)
        if f == 1.0:
            return replace(node, type=nt) if hasattr(node, "type") else node
        return ir.Arith("*", node, ir.Const(f, Type(Kind.NUMBER)), nt, node.span)

    def _align(self, b: Any, tb: Type, ta: Type, span: Span, where: Span) -> Any:
        """Bring a number of type ``tb`` into ``ta``'s unit (the column side wins).

        A bare number (a constant without a unit) is read in ``ta``'s unit (``age >= 18``). A
        plain number that is not a constant is a fraction next to a percentage (0.5 is 50%)
        and a multiple next to ``x ULN``; next to any other unit it is an error (TS309), not a
        guess. Returns None after reporting an error.
        """
        analyte = ta.analyte or tb.analyte
        if ta.unit is not None and tb.unit is not None:
            return self._convert(b, tb, ta.unit, analyte, span, where)
        if ta.unit is None and tb.unit is None:
            return b
        unit = ta.unit if tb.unit is None else tb.unit
        assert unit is not None
        try:
            dim = units.resolve(unit).dimension
        except units.UnitError:
            return b  # already reported where the unit was written
        if tb.unit is None and isinstance(b, ir.Const):
            return b  # a bare number is read in the other side's unit
        if dim == "dimensionless":  # % (or 1) next to a plain number: the plain one is a fraction
            if tb.unit is None:
                return self._convert(b, replace(tb, unit="1"), unit, None, span, where)
            plain = self._convert(b, tb, "1", None, span, where)
            return None if plain is None else _retype(plain, replace(tb, unit=None))
        if dim == "uln":  # a ratio to the upper limit of normal is a multiple of it
            return b
        return self._plain_error(unit, dim, span)

    def _plain_error(self, unit: str, dim: str, span: Span) -> None:
        name = units.dimension_name(units.resolve(unit))
        if dim == "[mass]/[body_mass]":
            hint = (f"{unit} is per kilogram of body weight, and a mass divided by a mass is a plain "
                    f"ratio: multiply the dose per kilogram by the weight instead, "
                    f"e.g. `dose <= 2 {unit} * weight`.")
        else:
            hint = ("Give the plain value a unit (declare the column's `unit:`), or compare it "
                    "with a plain number.")
        self._error("TS309", f"a plain number (no unit) meets a number in {unit} ({name}): "
                    "trialspec does not guess the plain number's unit", span, hint)
        return None

    # -- comparisons -------------------------------------------------------------------
    def _operands(self, left: ast.Expr, right: ast.Expr, row: str | None,
                  span: Span) -> tuple[Any, Any, Type] | None:
        """Check two operands meant to be compared; resolve levels; align units."""
        a, ta = self._value(left, row)
        b, tb = self._value(right, row)
        if isinstance(a, _Level) and isinstance(b, _Level):
            self._level_alone(a, row)
            return None
        if isinstance(a, _Level):  # `IIA == ds_stage`: put the column first
            a, ta, b, tb = b, tb, a, ta
        if isinstance(b, _Level):
            b = self._level(b, ta, row)
            if b is None:
                return None
            tb = ta
        if Kind.ANY in (ta.kind, tb.kind):
            return None
        return self._compatible(a, ta, b, tb, span, right.span)

    def _level(self, lvl: _Level, t: Type, row: str | None) -> ir.Const | None:
        if t.kind is Kind.ANY:
            return None
        if t.kind is not Kind.CATEGORY:
            self._level_alone(lvl, row)
            return None
        if t.levels is not None and lvl.name not in t.levels:
            self._unknown_level(lvl.name, t, lvl.span)
            return None
        return ir.Const(lvl.name, t, lvl.span)

    def _unknown_level(self, value: str, t: Type, span: Span) -> None:
        hint = Scope.suggest(value, t.levels or ())
        self._error("TS304", f"'{value}' is not a declared level ({', '.join(t.levels or ())})", span,
                    f"Did you mean '{hint}'?" if hint else "Use a declared level or add it to `levels:`.")

    def _compatible(self, a: Any, ta: Type, b: Any, tb: Type, span: Span,
                    where: Span) -> tuple[Any, Any, Type] | None:
        if ta.kind is Kind.NUMBER and tb.kind is Kind.NUMBER:
            uln = relative_to_uln(self, a, ta, b, tb, span, where)
            if uln is not NOT_ULN:
                return uln
            if isinstance(a, ir.Const) and not isinstance(b, ir.Const):
                # the column side decides the unit
                a2 = self._align(a, ta, tb, span, where)
                return (a2, b, tb) if a2 is not None else None
            b2 = self._align(b, tb, ta, span, where)
            return (a, b2, ta) if b2 is not None else None
        if ta.kind is Kind.CATEGORY and tb.kind is Kind.STRING:
            if ta.levels is not None and isinstance(b, ir.Const) and b.value not in ta.levels:
                self._unknown_level(str(b.value), ta, b.span)
                return None
            return a, b, ta
        if tb.kind is Kind.CATEGORY and ta.kind is Kind.STRING:
            return self._compatible(b, tb, a, ta, span, where)
        same = {ta.kind, tb.kind}
        if len(same) == 1 or same == {Kind.CATEGORY, Kind.STRING}:
            return a, b, ta
        self._error("TS307", f"cannot compare a {ta} with a {tb}", span,
                    "Both sides of a comparison need the same type.")
        return None

    def _compare(self, e: ast.Compare, row: str | None) -> Typed:
        res = self._operands(e.left, e.right, row, e.span)
        if res is None:
            return None, ANY
        a, b, _t = res
        if e.op not in ("==", "!=") and _t.kind in (Kind.CATEGORY, Kind.STRING, Kind.BOOL):
            return self._error("TS307", f"'{e.op}' does not order a {_t}", e.span,
                               "Use `==`, `!=` or `in [...]`.")
        return ir.Cmp(e.op, a, b, e.span), self._grain(BOOL, [a, b])

    def _between(self, e: ast.Between, row: str | None) -> Typed:
        lo = self._operands(e.operand, e.low, row, e.span)
        hi = self._operands(e.operand, e.high, row, e.span)
        if lo is None or hi is None:
            return None, ANY
        both = ir.BoolOp("and", (ir.Cmp(">=", lo[0], lo[1], e.span), ir.Cmp("<=", hi[0], hi[1], e.span)),
                         e.span)
        node: ir.Node = ir.Negate(both, e.span) if e.negated else both
        return node, self._grain(BOOL, [lo[0], lo[1], hi[1]])

    def _in(self, e: ast.In, row: str | None) -> Typed:
        x, t = self.check(e.operand, row)
        if t.kind is Kind.ANY:
            return None, ANY
        values: list[Any] = []
        for item in e.items:
            v, tv = self._value(item, row)
            if isinstance(v, _Level):
                v = self._level(v, t, row)
                tv = t
            if v is None:
                return None, ANY
            res = self._compatible(x, t, v, tv, e.span, item.span)
            if res is None:
                return None, ANY
            if not isinstance(res[1], ir.Const):
                return self._error("TS307", "the items of `in [...]` must be constants", item.span,
                                   "Use `x == y or x == z` to compare with columns.")
            values.append(res[1].value)
        return ir.InSet(x, tuple(values), e.negated, e.span), self._grain(BOOL, [x])

    def _is_missing(self, e: ast.IsMissing, row: str | None) -> Typed:
        x, t = self.check(e.operand, row)
        if t.kind is Kind.ANY:
            return None, ANY
        return ir.IsNull(x, e.negated, e.span), self._grain(BOOL, [x])

    def _within(self, e: ast.Within, row: str | None) -> Typed:
        x, tx = self.check(e.operand, row)
        d, td = self.check(e.duration, row)
        a, ta = self.check(e.anchor, row)
        if Kind.ANY in (tx.kind, td.kind, ta.kind):
            return None, ANY
        if tx.kind is not Kind.DATE or ta.kind is not Kind.DATE or td.kind is not Kind.NUMBER:
            return self._error("TS307", "`within` needs a date, a duration and a date", e.span,
                               "e.g. `consent_date within 28 days before first_dose`.")
        days = self._to_days(d, td, e.duration.span)
        if days is None:
            return None, ANY
        op = "-" if e.direction == "before" else "+"
        edge = ir.Arith(op, a, days, DATE, e.span)
        lo, hi = (edge, a) if e.direction == "before" else (a, edge)
        node = ir.BoolOp("and", (ir.Cmp(">=", x, lo, e.span), ir.Cmp("<=", x, hi, e.span)), e.span)
        return node, self._grain(BOOL, [x, a])

    # -- calls -------------------------------------------------------------------------
    def _call(self, e: ast.Call, row: str | None) -> Typed:
        from trialspec.check.calls import check_call

        return check_call(self, e, row)


def _retype(node: Any, t: Type) -> Any:
    """``node`` with the type ``t`` (for nodes that carry one)."""
    if isinstance(node, ir.Const | ir.Arith | ir.Col | ir.Func | ir.Aggregate | ir.Series):
        return replace(node, type=t)
    return node
