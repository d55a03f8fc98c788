"""Small builders of dialect-neutral sqlglot expressions, each with the semantics spelled out.

sqlglot does not parenthesise a tree built by hand, so every operator here wraps its
operands (``p``). Numbers are DOUBLE: a literal is cast (``0.1`` alone is a DECIMAL in DuckDB
and Spark, whose arithmetic differs from float64's). ``least``/``greatest`` are strict: any
NULL argument gives NULL (SQL's LEAST/GREATEST skip NULLs in DuckDB and Spark, and differ in
other dialects). Division never divides by zero (``NULLIF``), so Spark's ANSI mode cannot
raise, and ``finite`` turns an overflow (+-inf) or NaN into NULL, as the pandas engine does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

MAX_DOUBLE = 1.7976931348623157e308


def p(e: exp.Expr) -> exp.Expr:
    """``e`` parenthesised unless it is atomic (a column, a literal, a NULL, a boolean, a paren)."""
    if isinstance(e, exp.Column | exp.Literal | exp.Null | exp.Boolean | exp.Paren | exp.Cast):
        return e
    return exp.Paren(this=e)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def num(x: float) -> exp.Expr:
    """A DOUBLE literal."""
    return exp.cast(exp.Literal.number(repr(float(x))), exp.DataType.Type.DOUBLE)


def integer(x: int) -> exp.Expr:
    return exp.Literal.number(str(int(x)))


def string(s: str) -> exp.Expr:
    return exp.Literal.string(s)


def null() -> exp.Expr:
    return exp.Null()


def true() -> exp.Expr:
    return exp.Boolean(this=True)


def false() -> exp.Expr:
    return exp.Boolean(this=False)


def to_double(e: exp.Expr) -> exp.Expr:
    return exp.cast(p(e), exp.DataType.Type.DOUBLE)


def to_bigint(e: exp.Expr) -> exp.Expr:
    return exp.cast(p(e), exp.DataType.Type.BIGINT)


_BIN = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul, "/": exp.Div, "<": exp.LT, "<=": exp.LTE,
        ">": exp.GT, ">=": exp.GTE, "==": exp.EQ, "!=": exp.NEQ}


def op(symbol: str, a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``a symbol b`` (arithmetic or comparison); SQL's NULL propagation."""
    return _BIN[symbol](this=p(a), expression=p(b))


def neg(a: exp.Expr) -> exp.Expr:
    return exp.Neg(this=exp.Paren(this=a))


def and_(*xs: exp.Expr) -> exp.Expr:
    """Kleene AND (SQL's AND on NULL is Kleene's)."""
    return exp.and_(*[p(x) for x in xs]) if len(xs) > 1 else xs[0]


def or_(*xs: exp.Expr) -> exp.Expr:
    """Kleene OR."""
    return exp.or_(*[p(x) for x in xs]) if len(xs) > 1 else xs[0]


def not_(x: exp.Expr) -> exp.Expr:
    """Kleene NOT."""
    return exp.Not(this=p(x))


def is_null(x: exp.Expr) -> exp.Expr:
    return exp.Is(this=p(x), expression=exp.Null())


def not_null(x: exp.Expr) -> exp.Expr:
    return exp.Not(this=exp.Paren(this=is_null(x)))


def case(whens: Sequence[tuple[exp.Expr, exp.Expr]],
         default: exp.Expr | None = None) -> exp.Expr:
    """``CASE WHEN c THEN v ... ELSE default END``: a NULL condition is not taken."""
    out = exp.Case()
    for cond, value in whens:
        out = out.when(cond, value)
    return out.else_(default) if default is not None else out


def coalesce(*xs: exp.Expr) -> exp.Expr:
    return exp.Coalesce(this=xs[0], expressions=list(xs[1:])) if len(xs) > 1 else xs[0]


def any_null(xs: Sequence[exp.Expr]) -> exp.Expr:
    return or_(*[is_null(x) for x in xs])


def least(xs: Sequence[exp.Expr]) -> exp.Expr:
    """The smallest, NULL if any is NULL."""
    if len(xs) == 1:
        return xs[0]
    return case([(any_null(xs), null())], exp.Least(this=xs[0], expressions=list(xs[1:])))


def greatest(xs: Sequence[exp.Expr]) -> exp.Expr:
    """The largest, NULL if any is NULL."""
    if len(xs) == 1:
        return xs[0]
    return case([(any_null(xs), null())], exp.Greatest(this=xs[0], expressions=list(xs[1:])))


def finite(x: exp.Expr) -> exp.Expr:
    """``x`` where it is a finite double, else NULL (NaN compares false, inf exceeds the max)."""
    return case([(op("<=", exp.Abs(this=x), num(MAX_DOUBLE)), x)], null())


def div(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    """``a / b``, NULL where ``b`` is 0 (never a division by zero)."""
    return exp.Div(this=p(a), expression=exp.Nullif(this=b, expression=num(0.0)))


def count_if(cond: exp.Expr) -> exp.Expr:
    """How many rows have ``cond`` true (0 when none): ``SUM(CASE WHEN cond THEN 1 ELSE 0 END)``."""
    return exp.Sum(this=case([(cond, integer(1))], integer(0)))


def cast_null_double() -> exp.Expr:
    return exp.cast(exp.Null(), exp.DataType.Type.DOUBLE)


def cast_null_bigint() -> exp.Expr:
    return exp.cast(exp.Null(), exp.DataType.Type.BIGINT)


def select_sql(columns: list[exp.Expr], view: str, dialect: str, where: exp.Expr | None = None,
               order: list[exp.Expr] | None = None) -> str:
    """``SELECT columns FROM view [WHERE] [ORDER BY]`` rendered in ``dialect`` (identifiers quoted
    as the dialect quotes them), for the engine's small bookkeeping queries."""
    query = exp.select(*columns).from_(exp.to_table(view, quoted=True))
    if where is not None:
        query = query.where(where)
    if order:
        query = query.order_by(*order)
    return query.sql(dialect=dialect)
