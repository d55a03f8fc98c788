"""The typed, backend-neutral plan of an expression: what an engine evaluates.

The checker lowers the AST into these nodes: names are resolved to dataset columns,
definitions are inlined, units are resolved (every constant is already expressed in the
unit of the column it meets; columns are converted to their declared unit when data are
bound), `between` becomes two comparisons. Engines implement each node vectorized with
three-valued logic: a comparison with a missing operand is unknown.
Every node keeps the span of the source it came from, for ``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trialspec.lang.types import Type
from trialspec.source import Span

_NOSPAN = Span("<expr>", 1, 1, 1, 1)

# Columns the data binding adds beside the declared ones, read by name like any column:
# each row's test code in a long table read row by row, and each value's normal range.
TEST_COLUMN = "@test"
LIMIT_SUFFIX = {"lln": "@lln", "uln": "@uln"}


def _span() -> Span:
    return field(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Col:
    """A column of a dataset, in its declared unit."""

    dataset: str
    column: str
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Const:
    """A constant. Numbers are floats in ``type.unit``; dates are ISO text, maybe partial."""

    value: float | str | bool
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Cmp:
    """A comparison ``== != < <= > >=``; unknown when either side is missing."""

    op: str
    left: Node
    right: Node
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    """Kleene ``and`` / ``or`` over operands."""

    op: str
    operands: tuple[Node, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Negate:
    """Kleene ``not``."""

    operand: Node
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arith:
    """``+ - * /`` and unary minus (``op == 'neg'``, right is None); missing propagates.

    The value is in ``type.unit``. A product or quotient whose computed number is in another
    unit (weight / height / height: kg/cm^2) is wrapped by the checker in ``* factor`` to put
    it in its type's unit (kg/m2: x 10000); the inner node's type says the computed unit.
    """

    op: str
    left: Node
    right: Node | None
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class InSet:
    """Membership in a set of constants; unknown when the operand is missing."""

    operand: Node
    values: tuple[float | str | bool, ...]
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IsNull:
    """``is missing`` (or ``is present`` when negated); never unknown."""

    operand: Node
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Func:
    """A scalar function applied row-wise: min, max, abs, coalesce, ratio."""

    name: str
    args: tuple[Node, ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Aggregate:
    """An aggregate of a related dataset's rows per subject: count, any, all, sum, min, max, mean.

    ``value`` is evaluated on the dataset's rows (None for count/any/all without a value);
    ``where`` filters them. Subjects with no rows get count 0 / any false / missing sum.
    """

    func: str
    dataset: str
    value: Node | None
    where: Node | None
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Series:
    """A per-subject time-series function over a dataset's rows ordered by time.

    baseline, nadir, change, pct_change, change_from_nadir, previous, consecutive.
    """

    func: str
    dataset: str
    args: tuple[Node, ...]
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Cond:
    """``if condition then A else B``: A where the condition is true, B where it is false;
    where it is unknown, the arms' common value if they are equal and known, else missing."""

    condition: Node
    then: Node
    otherwise: Node
    type: Type
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Match:
    """A string predicate: ``contains`` / ``starts with`` (literal text) or ``matches`` (a
    regular expression searched in the value); unknown when the operand is missing."""

    op: str
    operand: Node
    pattern: str
    ignore_case: bool = False
    span: Span = _span()


Node = (Col | Const | Cmp | BoolOp | Negate | Arith | InSet | IsNull | Func | Aggregate | Series
        | Cond | Match)


def type_of(node: Node) -> Type:
    """The value type of a node (conditions are BOOL)."""
    from trialspec.lang.types import BOOL

    if isinstance(node, Cmp | BoolOp | Negate | InSet | IsNull | Match):
        return BOOL
    return node.type
