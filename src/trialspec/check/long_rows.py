"""A long table without ``pick`` read row by row: each declared test is a row-level value.

Every row of such a table holds one test's result. In an aggregate over it, a column that
names a test (``alt: {test: ALT}``) is that row's value where the row is an ALT row; so the
aggregate reads the ALT rows only: the checker adds ``@test in [ALT]`` to its ``where``
(for ``all`` as the rows to judge, so other tests' rows neither pass nor fail it). Two tests
in one aggregate are never on one row: that is an error (TS332), not a silent "unknown".
Columns with ``source:`` and no ``test:`` (a date, a visit) are read on every row. A time
series of a test's column (``change(alt)``) follows that test's rows only (``ir.Series.partition``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trialspec.lang import ast, ir
from trialspec.lang.types import STRING

if TYPE_CHECKING:
    from trialspec.check.typecheck import Checker


def _nodes(roots: list[Any]) -> list[ir.Node]:
    """The nodes under ``roots``, in source order, not descending into nested aggregates
    (their own rows)."""
    out: list[ir.Node] = []
    for root in roots:
        if root is not None:
            out.extend(ir.walk(root, _not_nested(root)))
    return out


def _not_nested(root: ir.Node) -> Callable[[ir.Node], bool]:
    """Descend into ``root`` and any node but an aggregate under it."""
    return lambda n: n is root or not isinstance(n, ir.Aggregate)


def base_column(column: str) -> str:
    """``alt@uln`` -> ``alt``: the declared column a range column belongs to."""
    return column.split("@", 1)[0]


def _by_rows(ds: Any) -> bool:
    """Whether the dataset is a long table read row by row (no ``pick``)."""
    return getattr(ds, "long", None) is not None and getattr(ds, "pick", None) is None


def _tests(ds: Any, dataset: str, roots: list[Any]) -> dict[str, str]:
    """{test code: column} of the test columns of ``dataset`` read under ``roots``."""
    tests: dict[str, str] = {}
    for node in _nodes(roots):
        if isinstance(node, ir.Col) and node.dataset == dataset:
            col = ds.columns.get(base_column(node.column))
            if col is not None and not (col.source and not col.test):  # a test, not a per-row column
                tests.setdefault(col.test or col.name, col.name)
    return tests


def test_partition(ck: Checker, dataset: str, value: Any, span: Any) -> ir.Node | None:
    """The ``partition`` of a time series of ``value`` over ``dataset``: the row's test code
    when the dataset is read row by row and ``value`` reads a test (``change(alt)`` follows
    the ALT results only), else None (every row of the subject is one series)."""
    ds = ck.scope.datasets.get(dataset)
    if ds is None or not _by_rows(ds) or not _tests(ds, dataset, [value]):
        return None
    return ir.Col(dataset, ir.TEST_COLUMN, STRING, span)


def restrict_to_test(ck: Checker, e: ast.Call, dataset: str, value: Any,
                     where: Any) -> tuple[Any, Any, bool]:
    """(value, where, failed): the aggregate's rows narrowed to the one test it reads."""
    ds = ck.scope.datasets[dataset]
    if not _by_rows(ds):
        return value, where, False
    tests = _tests(ds, dataset, [value, where])
    if len(tests) > 1:
        (t1, c1), (t2, c2) = list(tests.items())[:2]
        ck._error("TS332", f"a row of '{dataset}' holds one test: '{c1}' ({t1}) and '{c2}' ({t2}) "
                  "are never on the same row", e.span,
                  f"Aggregate each test on its own, e.g. `any({dataset} where {c1} ...) or "
                  f"any({dataset} where {c2} ...)`.")
        return value, where, True
    if not tests:
        return value, where, False
    test = next(iter(tests))
    guard = ir.InSet(ir.Col(dataset, ir.TEST_COLUMN, STRING, e.span), (test,), False, e.span)
    if e.name == "all" and value is None and where is not None:
        value, where = where, None  # all(rows where X): X on every row of the test
    where = guard if where is None else ir.BoolOp("and", (guard, where), where.span)
    return value, where, False
