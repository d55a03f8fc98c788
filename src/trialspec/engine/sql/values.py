"""A compiled IR value: sqlglot expressions per component, the SQL side of ``trialspec.values``.

- :class:`SCond`: a condition as one nullable BOOLEAN expression: TRUE, FALSE, or NULL for
  unknown. SQL's AND, OR and NOT on NULL are Kleene's, so they compose directly; WHERE,
  CASE WHEN, IN and FILTER treat NULL as false, so the compiler never lets a condition reach
  them without an explicit ``IS NULL`` branch.
- :class:`SNum`: DOUBLE ``lo`` and ``hi`` (``hi`` None: exact), NULL missing (both bounds
  together), never NaN or inf.
- :class:`SDate`: BIGINT days since 1970-01-01, inclusive ``lo``/``hi`` (``hi`` None: exact).
- :class:`SText`: VARCHAR, NULL missing.

``height`` is the projection layer the expressions can be evaluated in (0: the base
SELECT's columns and literals); the compiler materialises each node's components as columns
of the next layer, so an expression never repeats a subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp


@dataclass(frozen=True)
class SCond:
    v: exp.Expr
    height: int = 0

    def parts(self) -> list[exp.Expr]:
        return [self.v]


@dataclass(frozen=True)
class SNum:
    lo: exp.Expr
    hi: exp.Expr | None = None
    height: int = 0

    @property
    def exact(self) -> bool:
        return self.hi is None

    @property
    def upper(self) -> exp.Expr:
        return self.lo if self.hi is None else self.hi

    def parts(self) -> list[exp.Expr]:
        return [self.lo] if self.hi is None else [self.lo, self.hi]


@dataclass(frozen=True)
class SDate(SNum):
    pass


@dataclass(frozen=True)
class SText:
    v: exp.Expr
    height: int = 0

    def parts(self) -> list[exp.Expr]:
        return [self.v]


SValue = SCond | SNum | SDate | SText


@dataclass(frozen=True)
class SFlags:
    """Up to eight conditions that are never NULL (such as "this column is missing here")
    packed as the bits of one small integer, bit ``j`` condition ``j``: fetched as a byte a
    row where each as a value would cost two (a value and whether it is known)."""

    v: exp.Expr
    height: int = 0

    @staticmethod
    def pack(conditions: list[exp.Expr]) -> SFlags:
        if not 0 < len(conditions) <= 8:
            raise ValueError("one to eight conditions a byte")
        terms = [exp.Case(ifs=[exp.If(this=c, true=exp.Literal.number(1 << j))],
                          default=exp.Literal.number(0)) for j, c in enumerate(conditions)]
        total: exp.Expr = terms[0]
        for t in terms[1:]:
            total = exp.Add(this=total, expression=t)
        return SFlags(exp.Paren(this=total))

    def parts(self) -> list[exp.Expr]:
        return [self.v]


def rebuild(value: SValue, parts: list[exp.Expr], height: int) -> SValue:
    """``value``'s kind holding ``parts`` (as returned by ``parts()``) at ``height``."""
    if isinstance(value, SCond | SText):
        return type(value)(parts[0], height)
    return type(value)(parts[0], parts[1] if len(parts) > 1 else None, height)
