"""The typed, backend-neutral plan of an expression: what an engine evaluates.

The checker lowers the AST into these nodes: names are resolved to dataset columns,
definitions are inlined, units are resolved (every constant is already expressed in the
unit of the column it meets; columns are converted to their declared unit when data are
bound), `between` becomes two comparisons. Engines implement each node vectorized with
three-valued logic: a comparison with a missing operand is unknown.
Every node keeps the span of the source it came from, for ``explain``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from trialspec.lang.types import Type
from trialspec.source import Span

_NOSPAN = Span("<expr>", 1, 1, 1, 1)

# Columns the data binding adds beside the declared ones, read by name like any column:
# each row's test code in a long table read row by row, each value's normal range, and the
# unit each row of a value with a unit column was written in.
TEST_COLUMN = "@test"
LIMIT_SUFFIX = {"lln": "@lln", "uln": "@uln"}
UNIT_SUFFIX = "@unit"  # a value column's unit as written per row, beside it (``unit_column:``)


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
    ``args`` are the function's own: ``(x,)``, or ``(cond, n)`` for ``consecutive``.
    ``order_by`` (a date per row of ``dataset``) orders a subject's rows, missing dates last,
    ties in file order; None keeps the file's order. ``baseline`` (a condition per row) marks
    the rows that may be baseline, the last true one per subject is; None: the first row is.
    The checker lowers a series written in a rule with neither (file order, first row); a
    criteria plan fills both (``trialspec.domain.response_compile.bind_series``).
    ``partition`` (a text per row) splits a subject's rows into series of their own: over a
    long table without ``pick`` it is the row's test code, so ``change(alt)`` is an ALT
    result's change from the first ALT result, whatever the other tests' rows between them.
    """

    func: str
    dataset: str
    args: tuple[Node, ...]
    type: Type
    order_by: Node | None = None
    baseline: Node | None = None
    span: Span = _span()
    partition: Node | None = None


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


# -- walking and rewriting ----------------------------------------------------------------------
# The one description of an IR node's shape: which fields hold child nodes, in source order.
# Every walker (lint, the pipeline, explain, the response compiler) goes through it, so they
# agree on what is under a node and at which grain (tests/lang/test_ir_walk.py holds it complete).

CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    Col: (),
    Const: (),
    Cmp: ("left", "right"),
    BoolOp: ("operands",),
    Negate: ("operand",),
    Arith: ("left", "right"),
    InSet: ("operand",),
    IsNull: ("operand",),
    Func: ("args",),
    Aggregate: ("value", "where"),
    Series: ("args", "order_by", "baseline", "partition"),
    Cond: ("condition", "then", "otherwise"),
    Match: ("operand",),
}

# Grain: None is one value per subject; a dataset name is one value per row of that dataset.
SUBJECT: str | None = None


def children(node: Node) -> tuple[Node, ...]:
    """The nodes directly under ``node``, in source order (None fields left out)."""
    out: list[Node] = []
    for name in CHILD_FIELDS[type(node)]:
        value = getattr(node, name)
        if isinstance(value, tuple):
            out.extend(value)
        elif value is not None:
            out.append(value)
    return tuple(out)


def child_grain(node: Node, grain: str | None = SUBJECT) -> str | None:
    """The grain the children of ``node`` are evaluated at, when ``node`` is at ``grain``:
    under an aggregate, the rows of its dataset; elsewhere the same (a time series is itself
    one value per row of its dataset, read inside an aggregate)."""
    return node.dataset if isinstance(node, Aggregate) else grain


def walk(node: Node, descend: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """Every node under ``node`` (itself first), pre-order, left to right in source order.
    ``descend(n)`` false keeps the walk out of ``n``'s children (``n`` itself is yielded)."""
    for n, _grain in walk_grains(node, SUBJECT, descend):
        yield n


def walk_grains(node: Node, grain: str | None = SUBJECT,
                descend: Callable[[Node], bool] | None = None) -> Iterator[tuple[Node, str | None]]:
    """(node, grain) for every node under ``node`` (itself at ``grain``), pre-order, in source order."""
    stack: list[tuple[Node, str | None]] = [(node, grain)]
    while stack:
        n, g = stack.pop()
        yield n, g
        if descend is None or descend(n):
            below = child_grain(n, g)
            stack.extend((c, below) for c in reversed(children(n)))


def grain_of(root: Node, target: Node, grain: str | None = SUBJECT) -> str | None:
    """The grain ``target`` (found by identity under ``root``) is evaluated at."""
    for n, g in walk_grains(root, grain):
        if n is target:
            return g
    raise KeyError(f"{type(target).__name__} is not under this node")


def subject_columns(node: Node) -> list[Col]:
    """The distinct subject-grain columns under ``node``, in source order (the columns read
    per subject; those under an aggregate are read per row and left out)."""
    out: dict[tuple[str, str], Col] = {}
    for n, g in walk_grains(node):
        if isinstance(n, Col) and g is SUBJECT:
            out.setdefault((n.dataset, n.column), n)
    return list(out.values())


def transform(node: Node, fn: Callable[[Node], Node], memo: dict[Node, Node] | None = None) -> Node:
    """Rebuild ``node`` bottom-up: each node's children are transformed first, then ``fn`` is
    applied to the node carrying them. Unchanged subtrees are kept (same object), and equal
    subtrees are rewritten once and shared (``memo``, by equality)."""
    memo = {} if memo is None else memo

    def go(n: Node) -> Node:
        hit = memo.get(n)
        if hit is not None:
            return hit
        changes: dict[str, Any] = {}
        for name in CHILD_FIELDS[type(n)]:
            value = getattr(n, name)
            if isinstance(value, tuple):
                items = tuple(go(v) for v in value)
                if any(a is not b for a, b in zip(items, value, strict=True)):
                    changes[name] = items
            elif value is not None:
                new = go(value)
                if new is not value:
                    changes[name] = new
        out = fn(replace(n, **changes) if changes else n)
        memo[n] = out
        return out

    return go(node)
