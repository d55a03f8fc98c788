"""Aggregates of a row dataset per subject in SQL: count, any, all, sum, mean, min, max and
count of distinct values, with the pandas engine's semantics (engine/pandas/aggregate.py): a
subject with no rows gives count 0, any false, all true and a missing sum; a ``where`` that is
unknown on some rows makes the result an interval; a subject a ``complete_for:`` table does not
cover is unknown. Every aggregate of one row dataset in a scope shares one ``GROUP BY _i``
query joined once (:class:`Group`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from trialspec.backend import EngineError
from trialspec.engine.sql import sqlx as q
from trialspec.engine.sql.compile import Compiler, Scope, _as
from trialspec.engine.sql.values import SCond, SDate, SNum, SText, SValue, rebuild
from trialspec.lang import ir


def aggregate(c: Compiler, node: ir.Aggregate, s: Scope) -> SValue:
    """An aggregate of a row dataset per subject, joined to the scope ``s`` (docs/engine.md)."""
    frames = c.frames
    ds = frames.dataset(node.dataset)
    if not ds.rows:
        raise EngineError(f"{node.dataset!r} has one row per subject; nothing to aggregate")
    if node.func not in AGGREGATES:
        raise EngineError(f"unknown aggregate {node.func!r}")
    group = s.groups.get(node.dataset)
    if group is None:  # every aggregate of this dataset in this scope: one GROUP BY, one join
        group = s.groups[node.dataset] = Group(c.scope(node.dataset))
    alias = s.join(f"agg:{node.dataset}", group)
    value = None if node.value is None else c.compile(node.value, group.rows)
    where = None if node.where is None else c.cond(node.where, group.rows)
    stats, result = AGGREGATES[node.func](value, where)
    got = {name: s.base_column(alias, group.add(name, stat)) for name, stat in stats.items()}
    has_rows = q.not_null(s.base_column(alias, "_n"))
    out = result(got, has_rows)
    cover = frames.coverage.get(node.dataset)
    if cover is not None:  # no rows of a subject the table is not complete for: unknown
        calias = s.join(f"cov:{node.dataset}", exp.to_table(cover, quoted=True))
        uncovered = q.and_(q.not_(has_rows), q.is_null(s.base_column(calias, "_i")))
        if isinstance(out, SCond | SNum) and not isinstance(out, SDate):
            out = rebuild(out, [q.case([(uncovered, q.null())], e) for e in out.parts()], 0)
    return s.put(out, 1)


class Group:
    """The aggregates of one row dataset in one scope: their per-row stats, grouped by ``_i``
    in ONE query joined once (Spark runs each joined grouped query as stages of its own)."""

    def __init__(self, rows: Scope) -> None:
        self.rows = rows
        self.stats: Stats = {}

    def add(self, name: str, stat: tuple[exp.Expr, str]) -> str:
        """The column holding ``stat`` (``_n``, the rows per subject, is shared)."""
        if name == "_n":
            self.stats.setdefault("_n", stat)
            return "_n"
        column = f"a{len(self.stats)}"
        self.stats[column] = stat
        return column

    def query(self) -> exp.Select:
        """The one grouped query of these aggregates."""
        return _group(self.rows, self.stats)


def _group(rows: Scope, stats: Stats) -> exp.Select:
    """``SELECT _i, <aggregate of each stat> ... GROUP BY _i`` over the row scope, which
    projects each stat's per-row expression as a column of its name."""
    inner = rows.select([(name, e) for name, (e, _how) in stats.items()], order=False)
    inner_q = inner.subquery("g", copy=False)
    aggs = []
    for name, (_e, how) in stats.items():
        column = q.col(name)
        if how == "rows":
            agg: exp.Expr = exp.Count(this=exp.Star())
        elif how == "distinct":
            agg = exp.Count(this=exp.Distinct(expressions=[column]))
        else:
            fn: type[exp.Expr] = {"count": exp.Sum, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}[how]
            agg = fn(this=column)
        aggs.append(_as(agg, name))
    return exp.select(q.col("_i"), *aggs, copy=False).from_(inner_q, copy=False) \
        .group_by(q.col("_i"), copy=False)


# An aggregate's stats: name -> (per-row expression, how it is aggregated per subject:
# "count" sums 0/1 flags, "sum"/"min"/"max" the values, "distinct" counts distinct keys,
# "rows" counts rows). ``_n`` (the rows per subject; NULL after the join: no rows) is always one.
Stats = dict[str, tuple[exp.Expr, str]]
Result = Callable[[dict[str, exp.Expr], exp.Expr], SValue]


def _stats(rows: dict[str, tuple[exp.Expr, str]]) -> Stats:
    return {"_n": (q.integer(1), "rows"), **rows}


def _flag(cond: exp.Expr) -> tuple[exp.Expr, str]:
    """1 where ``cond`` is true, else 0 (NULL: 0), summed per subject."""
    return q.case([(cond, q.integer(1))], q.integer(0)), "count"


def _condition(value: SValue | None, where: SCond | None, implies: bool) -> exp.Expr | None:
    if value is not None and not isinstance(value, SCond):
        value = SCond(q.not_null(value.parts()[0]))
    if value is None:
        return None if where is None else where.v
    if where is None:
        return value.v
    if implies:
        return q.or_(q.not_(where.v), value.v)
    return q.and_(where.v, value.v)


def _zero(e: exp.Expr) -> exp.Expr:
    return q.coalesce(e, q.integer(0))


def _agg_any(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
    cond = _condition(value, where, implies=False)
    if cond is None:
        return _stats({}), lambda g, has: SCond(has)
    stats = _stats({"t": _flag(cond), "u": _flag(q.is_null(cond))})

    def result(g: dict[str, exp.Expr], has: exp.Expr) -> SValue:
        return SCond(q.case([(q.op(">", _zero(g["t"]), q.integer(0)), q.true()),
                             (q.op("==", _zero(g["u"]), q.integer(0)), q.false())], q.null()))

    return stats, result


def _agg_all(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
    cond = _condition(value, where, implies=True)
    if cond is None:
        return _stats({}), lambda g, has: SCond(q.true())
    stats = _stats({"f": _flag(q.not_(cond)), "u": _flag(q.is_null(cond))})

    def result(g: dict[str, exp.Expr], has: exp.Expr) -> SValue:
        return SCond(q.case([(q.op(">", _zero(g["f"]), q.integer(0)), q.false()),
                             (q.op("==", _zero(g["u"]), q.integer(0)), q.true())], q.null()))

    return stats, result


def _agg_count(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
    cond = _condition(value, where, implies=False)
    if cond is None:
        return _stats({}), lambda g, has: SNum(q.to_double(_zero(g["_n"])))
    stats = _stats({"t": _flag(cond), "u": _flag(q.is_null(cond))})

    def result(g: dict[str, exp.Expr], has: exp.Expr) -> SValue:
        sure = q.to_double(_zero(g["t"]))
        return SNum(sure, q.op("+", sure, q.to_double(_zero(g["u"]))))

    return stats, result


def _selection(value: SValue | None, where: SCond | None
               ) -> tuple[SNum, exp.Expr, dict[str, tuple[exp.Expr, str]]]:
    if not isinstance(value, SNum):
        raise EngineError("sum/mean/min/max need a number (or a date for min/max)")
    present = q.not_null(value.lo)
    if where is None:
        selected: exp.Expr = q.true()
        maybe: exp.Expr = q.false()
    else:
        selected = q.coalesce(where.v, q.false())
        maybe = q.is_null(where.v)
    take = q.and_(selected, present)
    rows = {"bad": _flag(q.or_(maybe, q.and_(selected, q.not_(present)))), "good": _flag(take)}
    return value, take, rows


def _missing(g: dict[str, exp.Expr]) -> exp.Expr:
    return q.or_(q.op(">", _zero(g["bad"]), q.integer(0)), q.op("==", _zero(g["good"]), q.integer(0)))


def _sum_or_mean(mean: bool) -> Callable[[SValue | None, SCond | None], tuple[Stats, Result]]:
    def fn(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
        v, take, rows = _selection(value, where)
        if isinstance(v, SDate):
            raise EngineError("sum/mean need numbers, not dates")
        bounds = v.parts()
        for k, b in enumerate(bounds):
            rows[f"b{k}"] = (q.case([(take, b)], q.null()), "sum")
            rows[f"a{k}"] = (q.case([(take, exp.Abs(this=b))], q.null()), "sum")
        stats = _stats(rows)

        def result(g: dict[str, exp.Expr], has: exp.Expr) -> SValue:
            out = []
            for k in range(len(bounds)):
                # a sum past a double's range is missing: judged by the sum of the absolute
                # values, which overflows in any order of adding (the pandas engine's rule)
                total = q.case([(q.is_null(q.finite(g[f"a{k}"])), q.null())], g[f"b{k}"])
                if mean:
                    total = q.div(total, q.to_double(g["good"]))
                out.append(q.case([(_missing(g), q.null())], total))
            return SNum(out[0], out[1] if len(out) > 1 else None)

        return stats, result

    return fn


def _extreme_agg(how: str) -> Callable[[SValue | None, SCond | None], tuple[Stats, Result]]:
    def fn(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
        v, take, rows = _selection(value, where)
        bounds = v.parts()
        for k, b in enumerate(bounds):
            rows[f"b{k}"] = (q.case([(take, b)], q.null()), how)
        stats = _stats(rows)

        def result(g: dict[str, exp.Expr], has: exp.Expr) -> SValue:
            out = [q.case([(_missing(g), q.null())], g[f"b{k}"]) for k in range(len(bounds))]
            return type(v)(out[0], out[1] if len(out) > 1 else None)

        return stats, result

    return fn


def _key(value: SValue | None) -> tuple[exp.Expr, exp.Expr]:
    """(a per-row key, equal for equal values; where the value is present)."""
    if value is None:
        raise EngineError("count_distinct needs a column")
    if isinstance(value, SCond | SText):
        return value.parts()[0], q.not_null(value.parts()[0])
    if value.exact:
        return value.lo, q.not_null(value.lo)
    text = exp.Concat(expressions=[exp.cast(value.lo, exp.DataType.Type.VARCHAR), q.string("|"),
                                   exp.cast(value.upper, exp.DataType.Type.VARCHAR)])
    return text, q.not_null(value.lo)


def _count_distinct(value: SValue | None, where: SCond | None) -> tuple[Stats, Result]:
    key, present = _key(value)
    if where is None:
        stats = _stats({"d": (q.case([(present, key)], q.null()), "distinct")})
        return stats, lambda g, has: SNum(q.to_double(_zero(g["d"])))
    sure = q.and_(present, q.coalesce(where.v, q.false()))
    maybe = q.and_(present, q.or_(q.coalesce(where.v, q.false()), q.is_null(where.v)))
    stats = _stats({"d": (q.case([(sure, key)], q.null()), "distinct"),
                    "m": (q.case([(maybe, key)], q.null()), "distinct")})
    return stats, lambda g, has: SNum(q.to_double(_zero(g["d"])), q.to_double(_zero(g["m"])))


AGGREGATES: dict[str, Callable[[SValue | None, SCond | None], tuple[Stats, Result]]] = {
    "count_distinct": _count_distinct,
    "any": _agg_any,
    "all": _agg_all,
    "count": _agg_count,
    "sum": _sum_or_mean(mean=False),
    "mean": _sum_or_mean(mean=True),
    "min": _extreme_agg("min"),
    "max": _extreme_agg("max"),
}
