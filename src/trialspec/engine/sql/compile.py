"""The IR compiled to one dialect-neutral sqlglot SELECT per evaluation.

A :class:`Scope` is one grain: the subjects (one row per subject, ``_i``) or the rows of a
row dataset (``_i``, ``_r``). Its query is built in layers:

- the **base**: the grain's view, LEFT JOINed to every subject-grain dataset read (on
  ``_i``), to every aggregate's grouped subquery (on ``_i``) and to the coverage views;
  it projects each column read as ``c<k>``;
- one **layer per node height**: ``SELECT *, <expr> AS n<k> FROM (previous layer)``; a
  node's components are projected as columns of the layer above its children, so no
  expression repeats a subtree, however deep the tree, and every sub-node's value is a
  column the trace can fetch in the same query.

An aggregate compiles its ``value`` and ``where`` in a row scope, groups it by ``_i`` into
counts and sums (``SUM(CASE WHEN ... THEN 1 ELSE 0 END)``: never a FILTER or WHERE on a
three-valued condition), and turns the counts into its result in the enclosing scope, with
COALESCE for subjects without rows (count 0, any false, all true, sum missing) and the
``complete_for:`` coverage applied. An aggregate nested in a row scope is computed per
subject the same way and joined to the rows on ``_i``.

Semantics are the pandas engine's (docs/engine.md, "Three-valued semantics"); the SQL
encoding is described in docs/engine.md, "The SQL engines".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlglot import exp

from trialspec.backend import EngineError
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.frames import SqlFrames
from trialspec.engine.sql.values import SCond, SDate, SNum, SText, SValue, rebuild
from trialspec.lang import ir
from trialspec.lang.search_pattern import search_pattern
from trialspec.lang.types import Kind

if TYPE_CHECKING:
    from trialspec.engine.sql.aggregate import Group

MAX_DAYS = 1e7  # the pandas engine's bound on a shift of days (dates.MAX_DAYS)


INLINE = 8  # expression nodes kept inline before a value is projected as a column


def _size(e: exp.Expr) -> int:
    """Nodes in ``e`` (shared subtrees counted each time: they are rendered each time),
    counted up to ``INLINE + 1``."""
    n = 0
    stack = [e]
    while stack and n <= INLINE:
        node = stack.pop()
        n += 1
        for v in node.args.values():
            if isinstance(v, exp.Expr):
                stack.append(v)
            elif isinstance(v, list):
                stack.extend(x for x in v if isinstance(x, exp.Expr))
    return n


class Scope:
    """One grain's query under construction (see the module docstring)."""

    def __init__(self, compiler: Compiler, grain: str | None) -> None:
        self.c = compiler
        self.frames = compiler.frames
        self.grain = grain
        if grain is None:
            self.view = self.frames.subjects_view
        else:
            self.view = self.frames.dataset(grain).view
        self.alias = "s" if grain is None else "r"
        self.base: dict[tuple[str, str], str] = {}  # (table alias, column) -> base name
        self.joins: list[tuple[str, exp.Expr | Group, str]] = []  # (alias, source, key column)
        self.groups: dict[str, Group] = {}  # row dataset -> its aggregates' one grouped query
        self.joined: dict[str, str] = {}  # dataset / aggregate key -> alias
        self.layers: dict[int, list[tuple[str, exp.Expr]]] = {}
        self.memo: dict[int, tuple[ir.Node, SValue]] = {}
        self.names = itertools.count()

    # -- the base --------------------------------------------------------------------------
    def base_column(self, alias: str, column: str) -> exp.Expr:
        name = self.base.get((alias, column))
        if name is None:
            name = self.base[(alias, column)] = f"c{len(self.base)}"
        return q.col(name)

    def join(self, key: str, source: exp.Expr | Group, on: str = "_i") -> str:
        alias = self.joined.get(key)
        if alias is None:
            alias = self.joined[key] = f"j{len(self.joins)}"
            self.joins.append((alias, source, on))
        return alias

    # -- layers ----------------------------------------------------------------------------
    def put(self, value: SValue, height: int, force: bool = False) -> SValue:
        """``value`` with each non-atomic component projected as a column of layer ``height``
        (one above its children's), or, when every component is small (``INLINE`` nodes at
        most) and ``force`` is false, kept inline at its children's layer: a layer per node
        costs the database's planner more than a short expression repeated. Window functions
        are always projected (``force``): SQL nests no window inside another."""
        if not force and all(_size(e) <= INLINE for e in value.parts()):
            return rebuild(value, value.parts(), height - 1)
        parts: list[exp.Expr] = []
        for e in value.parts():
            if isinstance(e, exp.Column | exp.Literal | exp.Null | exp.Boolean) or (
                    isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal | exp.Null)):
                parts.append(e)
                continue
            name = f"n{next(self.names)}"
            self.layers.setdefault(height, []).append((name, e))
            parts.append(q.col(name))
        return rebuild(value, parts, height)

    def select(self, outputs: list[tuple[str, exp.Expr]], order: bool) -> exp.Select:
        """The scope's query: ``_i`` (and ``_r`` at row grain) and ``outputs``. Built with
        ``copy=False`` throughout (sqlglot's builders deep-copy by default, which cost more
        than the query); :func:`render` makes shared subtrees distinct before rendering."""
        keys = ["_i"] if self.grain is None else ["_i", "_r"]
        base = exp.select(*[_as(q.col(k, self.alias), k) for k in keys],
                          *[_as(q.col(c, a), n) for (a, c), n in self.base.items()], copy=False)
        view = exp.to_table(self.view, quoted=True)
        base = base.from_(exp.alias_(view, self.alias, table=True, copy=False), copy=False)
        for alias, joined, on in self.joins:
            source = joined if isinstance(joined, exp.Expr) else joined.query().subquery(copy=False)
            base = base.join(exp.alias_(source, alias, table=True, copy=False), join_type="left",
                             on=q.op("==", q.col(on, alias), q.col(on, self.alias)), copy=False)
        current: exp.Select = base
        for h in sorted(self.layers):
            cols = self.layers[h]
            current = exp.select(exp.Star(), *[_as(e, n) for n, e in cols], copy=False).from_(
                current.subquery(f"l{h}", copy=False), copy=False)
        final = exp.select(*[q.col(k) for k in keys], *[_as(e.copy(), n) for n, e in outputs],
                           copy=False)
        final = final.from_(current.subquery("t", copy=False), copy=False)
        if order:
            final = final.order_by(*[q.col(k) for k in keys], copy=False)
        return final


def _as(e: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(e, name, quoted=True, copy=False)


def render(query: exp.Expr, dialect: str) -> str:
    """``query`` as SQL in ``dialect``. The compiler shares small subtrees between parents
    (a bound used in two comparisons); they are copied apart first, so the dialect's
    transforms see a tree, and the tree is rendered without sqlglot's whole-tree copy."""
    seen: set[int] = set()
    stack: list[exp.Expr] = [query]
    while stack:
        node = stack.pop()
        for key, value in list(node.args.items()):
            items = value if isinstance(value, list) else [value]
            for k, child in enumerate(items):
                if not isinstance(child, exp.Expr):
                    continue
                if id(child) in seen:
                    child = child.copy()
                    if isinstance(value, list):
                        value[k] = child
                        child.parent, child.arg_key, child.index = node, key, k
                    else:
                        node.set(key, child)
                seen.add(id(child))
                stack.append(child)
    return query.sql(dialect=dialect, copy=False)


class Compiler:
    """Compiles IR nodes on one :class:`SqlFrames`; ``series`` handles time-series nodes."""

    def __init__(self, frames: SqlFrames,
                 series: Callable[[Scope, ir.Series], SValue] | None = None) -> None:
        self.frames = frames
        self.series_hook = series

    def scope(self, grain: str | None = None) -> Scope:
        return Scope(self, grain)

    def prepare(self, node: ir.Node) -> None:
        """Load every column ``node`` reads, one ``resolve`` per dataset (lazy producers
        register each dataset's view once)."""
        wanted: dict[str, list[tuple[str, Kind]]] = {}
        for n in ir.walk(node):
            if isinstance(n, ir.Col):
                wanted.setdefault(n.dataset, []).append((n.column, n.type.kind))
        for dataset, cols in wanted.items():
            self.frames.resolve(dataset, cols)

    def compile(self, node: ir.Node, s: Scope) -> SValue:
        hit = s.memo.get(id(node))
        if hit is not None:
            return hit[1]
        try:
            fn = _COMPILERS[type(node)]
        except KeyError:
            raise EngineError(f"the SQL engine cannot evaluate {type(node).__name__}") from None
        value = fn(self, node, s)
        s.memo[id(node)] = (node, value)
        return value

    def cond(self, node: ir.Node, s: Scope) -> SCond:
        v = self.compile(node, s)
        if not isinstance(v, SCond):
            raise EngineError(f"expected a condition, got {type(v).__name__} at {node.span}")
        return v


def _h(*values: SValue | None) -> int:
    return 1 + max((v.height for v in values if v is not None), default=0)


# -- leaves ------------------------------------------------------------------------------------


def _col(c: Compiler, node: ir.Col, s: Scope) -> SValue:
    ds = c.frames.dataset(node.dataset)
    layout = c.frames.column(node.dataset, node.column, node.type.kind)
    if ds.rows:
        if node.dataset != s.grain:
            raise EngineError(f"{node.dataset}.{node.column} has several rows per subject: "
                              f"read it inside an aggregate over {node.dataset!r}")
        alias = s.alias
    elif s.grain is None and ds.view == s.view:  # the subjects' own view: one row per _i already
        alias = s.alias
    else:
        alias = s.join(f"ds:{node.dataset}", exp.to_table(ds.view, quoted=True))
    lo = s.base_column(alias, layout.lo)
    hi = None if layout.hi is None else s.base_column(alias, layout.hi)
    kind = node.type.kind
    if kind is Kind.NUMBER:
        return SNum(lo, hi)
    if kind is Kind.DATE:
        return SDate(lo, hi)
    if kind is Kind.BOOL:
        return SCond(lo)
    if kind in (Kind.STRING, Kind.CATEGORY):
        return SText(lo)
    raise EngineError(f"a column of kind {kind.value!r} cannot be evaluated")


def date_days(text: str) -> tuple[int, int] | None:
    """An ISO date, maybe partial, as (lo, hi) day numbers; None when it is no date."""
    from trialspec.engine.pandas.dates import parse_iso

    d = parse_iso(text)
    lo = np.asarray(d.lo)
    if np.isnat(lo):
        return None
    return int(lo.astype("datetime64[D]").astype(np.int64)), \
        int(np.asarray(d.hi).astype("datetime64[D]").astype(np.int64))


def _const(c: Compiler, node: ir.Const, s: Scope) -> SValue:
    kind = node.type.kind
    v = node.value
    if kind is Kind.NUMBER:
        x = float(v)
        return SNum(q.num(x) if np.isfinite(x) else q.cast_null_double())
    if kind is Kind.BOOL:
        return SCond(q.true() if bool(v) else q.false())
    if kind in (Kind.STRING, Kind.CATEGORY):
        return SText(q.string(str(v)))
    if kind is Kind.DATE:
        days = date_days(str(v))
        if days is None:
            return SDate(q.cast_null_bigint())
        lo, hi = days
        return SDate(q.integer(lo)) if lo == hi else SDate(q.integer(lo), q.integer(hi))
    raise EngineError(f"a constant of kind {kind.value!r} cannot be evaluated")


# -- comparisons -------------------------------------------------------------------------------


def compare(op: str, a: SValue, b: SValue) -> exp.Expr:
    """The condition ``a op b`` (docs/engine.md's table), NULL where unknown."""
    if isinstance(a, SNum) and isinstance(b, SNum) and type(a) is type(b):
        if a.exact and b.exact:
            return q.op(op, a.lo, b.lo)
        true, false = _bounds(op, a, b)
        return q.case([(true, q.true()), (false, q.false())], q.null())
    if isinstance(a, SText) and isinstance(b, SText) or isinstance(a, SCond) and isinstance(b, SCond):
        if op not in ("==", "!="):
            what = "strings or categories" if isinstance(a, SText) else "conditions"
            raise EngineError(f"'{op}' does not order {what}")
        return q.op(op, a.parts()[0], b.parts()[0])
    raise EngineError(f"cannot compare {_kind(a)} with {_kind(b)}")


def _kind(v: SValue) -> str:
    return {SCond: "Tri", SNum: "Numbers", SDate: "Dates", SText: "Labels"}[type(v)]


def _eq_bounds(a: SNum, b: SNum) -> tuple[exp.Expr, exp.Expr]:
    true = q.and_(q.op("==", a.lo, a.upper), q.op("==", b.lo, b.upper), q.op("==", a.lo, b.lo))
    false = q.or_(q.op("<", a.upper, b.lo), q.op("<", b.upper, a.lo))
    return true, false


def _bounds(op: str, a: SNum, b: SNum) -> tuple[exp.Expr, exp.Expr]:
    if op == "<":
        return q.op("<", a.upper, b.lo), q.op(">=", a.lo, b.upper)
    if op == "<=":
        return q.op("<=", a.upper, b.lo), q.op(">", a.lo, b.upper)
    if op == ">":
        return q.op(">", a.lo, b.upper), q.op("<=", a.upper, b.lo)
    if op == ">=":
        return q.op(">=", a.lo, b.upper), q.op("<", a.upper, b.lo)
    if op == "==":
        return _eq_bounds(a, b)
    if op == "!=":
        t, f = _eq_bounds(a, b)
        return f, t
    raise EngineError(f"unknown comparison {op!r}")


def _cmp(c: Compiler, node: ir.Cmp, s: Scope) -> SValue:
    if node.op not in ("<", "<=", ">", ">=", "==", "!="):
        raise EngineError(f"unknown comparison {node.op!r}")
    a, b = c.compile(node.left, s), c.compile(node.right, s)
    return s.put(SCond(compare(node.op, a, b)), _h(a, b))


def _boolop(c: Compiler, node: ir.BoolOp, s: Scope) -> SValue:
    if node.op not in ("and", "or"):
        raise EngineError(f"unknown boolean operator {node.op!r}")
    if not node.operands:
        raise EngineError(f"'{node.op}' without operands")
    xs = [c.cond(x, s) for x in node.operands]
    fn = q.and_ if node.op == "and" else q.or_
    return s.put(SCond(fn(*[x.v for x in xs])), _h(*xs))


def _negate(c: Compiler, node: ir.Negate, s: Scope) -> SValue:
    x = c.cond(node.operand, s)
    return s.put(SCond(q.not_(x.v)), _h(x))


def _inset(c: Compiler, node: ir.InSet, s: Scope) -> SValue:
    a = c.compile(node.operand, s)
    out = in_set(a, node.values)
    if node.negated:
        out = q.not_(out)
    return s.put(SCond(out), _h(a))


def in_set(a: SValue, values: tuple[Any, ...]) -> exp.Expr:
    if isinstance(a, SText):
        if not values:
            return q.case([(q.is_null(a.v), q.null())], q.false())
        return exp.In(this=q.p(a.v), expressions=[q.string(str(v)) for v in values])
    if isinstance(a, SCond):
        flags = {bool(v) for v in values if isinstance(v, bool | np.bool_)}
        if flags == {True, False}:
            return q.case([(q.is_null(a.v), q.null())], q.true())
        if flags == {True}:
            return a.v
        if flags == {False}:
            return q.not_(a.v)
        return q.case([(q.is_null(a.v), q.null())], q.false())
    assert isinstance(a, SNum)
    if isinstance(a, SDate):
        consts: list[SNum] = []
        for v in values:
            days = date_days(str(v))
            consts.append(SDate(q.cast_null_bigint()) if days is None else
                          SDate(q.integer(days[0]), q.integer(days[1])))
    else:
        if a.exact:
            if not values:
                return q.case([(q.is_null(a.lo), q.null())], q.false())
            finite = [float(v) for v in values if np.isfinite(float(v))]
            if not finite:  # NaN and inf equal no value
                return q.case([(q.is_null(a.lo), q.null())], q.false())
            return exp.In(this=q.p(a.lo), expressions=[q.num(v) for v in finite])
        consts = [SNum(q.num(float(v))) for v in values if np.isfinite(float(v))]
    trues, overlaps = [], []
    for k in consts:
        t, f = _eq_bounds(a, k)
        trues.append(q.coalesce(t, q.false()))
        overlaps.append(q.not_(q.coalesce(f, q.false())))
    true = q.or_(*trues) if trues else q.false()
    overlap = q.or_(*overlaps) if overlaps else q.false()
    return q.case([(q.is_null(a.lo), q.null()), (true, q.true()), (q.not_(overlap), q.false())],
                  q.null())


def _isnull(c: Compiler, node: ir.IsNull, s: Scope) -> SValue:
    a = c.compile(node.operand, s)
    first = a.parts()[0]
    return s.put(SCond(q.not_null(first) if node.negated else q.is_null(first)), _h(a))


def _match(c: Compiler, node: ir.Match, s: Scope) -> SValue:
    a = c.compile(node.operand, s)
    if not isinstance(a, SText):
        raise EngineError(f"'{node.op}' needs a string or a category, got {_kind(a)}")
    x, pattern = a.v, node.pattern
    if node.op == "matches" or node.ignore_case:
        # the pattern written again in what every engine's regex reads alike, case folded into
        # classes by Python's rules (lang/search_pattern.py): no engine folds case itself
        out: exp.Expr = exp.RegexpLike(
            this=x, expression=q.string(search_pattern(node.op, pattern, node.ignore_case)))
    else:
        if node.op == "contains":
            out = q.op(">", exp.StrPosition(this=x, substr=q.string(pattern)), q.integer(0)) \
                if pattern else q.case([(q.is_null(a.v), q.null())], q.true())
        elif node.op == "starts with":
            out = q.op("==", exp.Substring(this=x, start=q.integer(1), length=q.integer(len(pattern))),
                       q.string(pattern)) if pattern else q.case([(q.is_null(a.v), q.null())], q.true())
        else:
            raise EngineError(f"unknown string predicate {node.op!r}")
    return s.put(SCond(out), _h(a))


# -- arithmetic and functions ------------------------------------------------------------------


def _num(lo: exp.Expr, hi: exp.Expr | None = None) -> SNum:
    """An interval result, finite, both bounds missing together (arith._numbers)."""
    lo = q.finite(lo)
    if hi is None:
        return SNum(lo)
    hi = q.finite(hi)
    return SNum(q.case([(q.any_null([lo, hi]), q.null())], lo),
                q.case([(q.any_null([lo, hi]), q.null())], hi))


def num_binary(op: str, a: SNum, b: SNum) -> SNum:
    def f(x: exp.Expr, y: exp.Expr) -> exp.Expr:
        return q.div(x, y) if op == "/" else q.op(op, x, y)

    if a.exact and b.exact:
        return _num(f(a.lo, b.lo))
    if op == "+":
        return _num(q.op("+", a.lo, b.lo), q.op("+", a.upper, b.upper))
    if op == "-":
        return _num(q.op("-", a.lo, b.upper), q.op("-", a.upper, b.lo))
    # the four corners, each made finite first (a NaN corner makes the bound missing)
    corners = [q.finite(f(x, y)) for x in (a.lo, a.upper) for y in (b.lo, b.upper)]
    lo, hi = q.least(corners), q.greatest(corners)
    if op == "/":
        spans_zero = q.and_(q.op("<=", b.lo, q.num(0.0)), q.op(">=", b.upper, q.num(0.0)))
        lo = q.case([(spans_zero, q.null())], lo)
        hi = q.case([(spans_zero, q.null())], hi)
    return _num(lo, hi)


def _round_days(x: exp.Expr) -> exp.Expr:
    """Whole days, halves away from zero, as BIGINT; NULL beyond MAX_DAYS or missing."""
    rounded = q.case([(q.op("<", x, q.num(0.0)), q.neg(exp.Floor(this=q.op("+", q.neg(x), q.num(0.5)))))],
                     exp.Floor(this=q.op("+", x, q.num(0.5))))
    return q.case([(q.op("<=", exp.Abs(this=x), q.num(MAX_DAYS)), q.to_bigint(rounded))], q.null())


def shift(d: SDate, n: SNum, sign: int) -> SDate:
    if n.exact:
        td = _round_days(n.lo)
        if sign < 0:
            td = q.neg(td)
        return SDate(q.op("+", d.lo, td), None if d.exact else q.op("+", d.upper, td))
    if sign > 0:
        lo_d, hi_d = _round_days(n.lo), _round_days(n.upper)
    else:
        lo_d, hi_d = q.neg(_round_days(n.upper)), q.neg(_round_days(n.lo))
    return SDate(q.op("+", d.lo, lo_d), q.op("+", d.upper, hi_d))


def difference(a: SDate, b: SDate) -> SNum:
    lo = q.to_double(q.op("-", a.lo, b.upper))
    if a.exact and b.exact:
        return SNum(lo)
    return SNum(lo, q.to_double(q.op("-", a.upper, b.lo)))


def arith(op: str, a: SValue, b: SValue | None) -> SValue:
    if op == "neg":
        if not isinstance(a, SNum) or isinstance(a, SDate):
            raise EngineError(f"cannot negate {_kind(a)}")
        return SNum(q.neg(a.lo)) if a.exact else SNum(q.neg(a.upper), q.neg(a.lo))
    if op == "+" and isinstance(a, SDate) and type(b) is SNum:
        return shift(a, b, +1)
    if op == "+" and type(a) is SNum and isinstance(b, SDate):
        return shift(b, a, +1)
    if op == "-" and isinstance(a, SDate) and type(b) is SNum:
        return shift(a, b, -1)
    if op == "-" and isinstance(a, SDate) and isinstance(b, SDate):
        return difference(a, b)
    if type(a) is SNum and type(b) is SNum and op in ("+", "-", "*", "/"):
        return num_binary(op, a, b)
    raise EngineError(f"cannot compute {_kind(a)} {op} {_kind(b) if b is not None else ''}")


def _arith(c: Compiler, node: ir.Arith, s: Scope) -> SValue:
    a = c.compile(node.left, s)
    b = None if node.right is None else c.compile(node.right, s)
    return s.put(arith(node.op, a, b), _h(a, b))


def _extreme(fn: Callable[[list[exp.Expr]], exp.Expr]
             ) -> Callable[[list[SValue]], SValue]:
    def call(args: list[SValue]) -> SValue:
        kinds = {type(a) for a in args}
        if len(kinds) != 1 or not issubclass(next(iter(kinds)), SNum):
            raise EngineError("min/max need numbers or dates of one kind")
        xs = [a for a in args if isinstance(a, SNum)]
        lo = fn([a.lo for a in xs])
        if all(a.exact for a in xs):
            return type(xs[0])(lo)
        return type(xs[0])(lo, fn([a.upper for a in xs]))

    return call


def _abs(args: list[SValue]) -> SValue:
    (a,) = args
    if type(a) is not SNum:
        raise EngineError("abs needs a number")
    if a.exact:
        return SNum(exp.Abs(this=a.lo))
    lo = q.case([(q.is_null(a.lo), q.null()), (q.op(">=", a.lo, q.num(0.0)), a.lo),
                 (q.op("<=", a.upper, q.num(0.0)), q.neg(a.upper))], q.num(0.0))
    return SNum(lo, q.greatest([exp.Abs(this=a.lo), exp.Abs(this=a.upper)]))


def _coalesce(args: list[SValue]) -> SValue:
    out = args[0]
    for b in args[1:]:
        out = _coalesce2(out, b)
    return out


def _coalesce2(a: SValue, b: SValue) -> SValue:
    if isinstance(a, SCond) and isinstance(b, SCond):
        return SCond(q.coalesce(a.v, b.v))
    if isinstance(a, SText) and isinstance(b, SText):
        return SText(q.coalesce(a.v, b.v))
    if isinstance(a, SNum) and type(a) is type(b):
        assert isinstance(b, SNum)
        keep = q.not_null(a.lo)
        lo = q.case([(keep, a.lo)], b.lo)
        if a.exact and b.exact:
            return type(a)(lo)
        return type(a)(lo, q.case([(keep, a.upper)], b.upper))
    raise EngineError(f"coalesce needs one kind of value, got {_kind(a)} and {_kind(b)}")


def _ratio(args: list[SValue]) -> SValue:
    a, b = args
    return arith("/", a, b)


FUNCTIONS: dict[str, Callable[[list[SValue]], SValue]] = {
    "min": _extreme(q.least),
    "max": _extreme(q.greatest),
    "abs": _abs,
    "coalesce": _coalesce,
    "ratio": _ratio,
}


def _func(c: Compiler, node: ir.Func, s: Scope) -> SValue:
    try:
        fn = FUNCTIONS[node.name]
    except KeyError:
        raise EngineError(f"unknown function {node.name!r}") from None
    args = [c.compile(a, s) for a in node.args]
    return s.put(fn(args), _h(*args))


# -- if / then / else ----------------------------------------------------------------------------


def choose(cond: SCond, a: SValue, b: SValue) -> SValue:
    """``a`` where true, ``b`` where false, the common value where unknown (choose.py)."""
    def pick(x: exp.Expr, y: exp.Expr, agree: exp.Expr) -> exp.Expr:
        return q.case([(cond.v, x), (q.not_(cond.v), y), (agree, x)], q.null())

    if isinstance(a, SCond) and isinstance(b, SCond) or isinstance(a, SText) and isinstance(b, SText):
        x, y = a.parts()[0], b.parts()[0]
        return type(a)(pick(x, y, q.op("==", x, y)))
    if isinstance(a, SNum) and type(a) is type(b):
        assert isinstance(b, SNum)
        agree = q.and_(q.op("==", a.lo, b.lo), q.op("==", a.upper, b.upper))
        lo = pick(a.lo, b.lo, agree)
        if a.exact and b.exact:
            return type(a)(lo)
        return type(a)(lo, pick(a.upper, b.upper, agree))
    raise EngineError(f"the arms of `if` differ: {_kind(a)} and {_kind(b)}")


def _choose(c: Compiler, node: ir.Cond, s: Scope) -> SValue:
    cond = c.cond(node.condition, s)
    a, b = c.compile(node.then, s), c.compile(node.otherwise, s)
    return s.put(choose(cond, a, b), _h(cond, a, b))


def _aggregate(c: Compiler, node: ir.Aggregate, s: Scope) -> SValue:
    from trialspec.engine.sql.aggregate import aggregate  # (it builds on Scope and Compiler)

    return aggregate(c, node, s)


def _series(c: Compiler, node: ir.Series, s: Scope) -> SValue:
    if s.grain != node.dataset:
        where = "per subject" if s.grain is None else f"over {s.grain!r}"
        raise EngineError(f"{node.func}() varies over the rows of {node.dataset!r}; "
                          f"it cannot be read {where}")
    if c.series_hook is None:
        raise EngineError(f"the SQL engine cannot compute {node.func}() on this data context")
    return c.series_hook(s, node)


_COMPILERS: dict[type, Callable[[Compiler, Any, Scope], SValue]] = {
    ir.Col: _col,
    ir.Const: _const,
    ir.Cmp: _cmp,
    ir.BoolOp: _boolop,
    ir.Negate: _negate,
    ir.Arith: _arith,
    ir.InSet: _inset,
    ir.IsNull: _isnull,
    ir.Func: _func,
    ir.Aggregate: _aggregate,
    ir.Series: _series,
    ir.Cond: _choose,
    ir.Match: _match,
}
