"""The expression AST: frozen declarations, each with a span; no behaviour.

Spans are excluded from equality, so ``parse(print(ast)) == ast`` compares meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialspec.source import Span

_NOSPAN = Span("<expr>", 1, 1, 1, 1)


def _span() -> Span:
    return field(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Number:
    """A plain number, kept as written (``0.290`` is not ``0.29``)."""

    text: str
    span: Span = _span()

    @property
    def value(self) -> float:
        return float(self.text)


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit: ``0.5 g/dL``, ``28 days``, ``50%``, ``3 x ULN``."""

    text: str
    unit: str
    span: Span = _span()

    @property
    def value(self) -> float:
        return float(self.text)


@dataclass(frozen=True, slots=True)
class Date:
    """An ISO 8601 date, possibly partial (``2014-06``)."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class String:
    """A quoted string literal."""

    value: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` or ``false``."""

    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    """A column, definition or level name, optionally qualified (``labs.anc``)."""

    parts: tuple[str, ...]
    span: Span = _span()

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation (three-valued: not unknown is unknown)."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Neg:
    """Arithmetic negation."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Logical:
    """``and`` / ``or`` over two or more operands, flattened."""

    op: str
    operands: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arith:
    """A binary arithmetic operation: ``+ - * /``."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison: ``== != < <= > >=`` (canonical spelling)."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Between:
    """``x between lo and hi`` (inclusive), or its negation."""

    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class In:
    """``x in [a, b]``, or its negation."""

    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IsMissing:
    """``x is missing`` (or ``x is present`` when negated): never unknown."""

    operand: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Within:
    """``x within 28 days before first_dose``: x in [anchor - d, anchor] (or after)."""

    operand: Expr
    duration: Expr
    direction: str
    anchor: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; with ``where`` it aggregates over a related table's rows."""

    name: str
    args: tuple[Expr, ...]
    where: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class If:
    """``if C then A else B``: three-valued (unknown C gives unknown unless the arms agree)."""

    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Match:
    """A string predicate: ``x contains "A"``, ``x starts with "A"``, ``x matches "^A.*"``."""

    op: str  # contains | starts with | matches
    operand: Expr
    pattern: str
    ignore_case: bool = False
    span: Span = _span()
    pattern_span: Span = _span()  # the quoted pattern, for a caret under a bad regex


Expr = (
    Number | Quantity | Date | String | Boolean | Name | Not | Neg | Logical | Arith
    | Compare | Between | In | IsMissing | Within | Call | If | Match
)
