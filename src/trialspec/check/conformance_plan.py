"""The data conformance checks (TS4xx) a protocol declares, as plain data, for every backend.

Each declared column implies checks on the cells of its data file: the file has the column,
each cell has the column's type, a level is declared, a unit converts, a key is present and
unique, a long table's test is measured once... :func:`conformance_checks` derives them from
the protocol model, in the order a binding meets them; a backend runs them and returns a
*failure table* (columns :data:`FAILURE_COLUMNS`, one row per failing cell, docs/engine.md
"Conformance checks"), and :mod:`trialspec.check.conformance_render` turns that table into
diagnostics. No backend writes a message.

It lives in ``check/``, which ``lint`` imports: no pandas, no numpy (a test holds it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from trialspec.source import Span

# The failure table's columns (docs/engine.md "Conformance checks" says what each holds).
FAILURE_COLUMNS = ("check", "dataset", "column", "row", "line", "position", "value", "subject",
                   "count", "path")
SHOW = 5  # failing rows shown per check; the rest are counted in one more diagnostic
LIMITS = (("lln", "@lln"), ("uln", "@uln"))  # a range's limits: (function, column suffix)


class FailureTable(Protocol):
    """A failure table: columns by name (:data:`FAILURE_COLUMNS`), each a sequence of equal
    length; a pandas DataFrame or a ``dict`` of lists is one."""

    def __getitem__(self, column: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class ConformanceCheck:
    """One declared check on one column of one dataset.

    ``id`` names it in a failure table's ``check`` column (unique in a plan); ``kind`` is what
    is checked (:data:`KINDS`); ``column`` is the column as messages name it (a declared
    column, ``x@lln``/``x@uln`` for a normal-range limit, or the file column of a key or
    subject); ``source`` the file column whose cells are read; ``key`` the file column whose
    cell names a failing row's subject (or study) in messages (None: rows are named by number);
    ``params`` what the kind needs (:data:`KINDS`; a long table's checks also carry the rows
    they read: ``test_column``/``test``, and ``visit_column``/``visit`` when picked at a
    visit); ``span`` the declaration a finding points back to (None: none is shown).
    """

    id: str
    dataset: str
    column: str
    kind: str
    source: str
    code: str
    params: tuple[tuple[str, Any], ...] = ()
    span: Span | None = None
    noun: str = "subject"  # what a row's key names: a subject, or a study (a study-level table)
    key: str | None = None

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


# kind -> (code, what it checks). Cell checks fail per row; dataset checks (rows, required,
# test_present, test_at_visit) fail once, with row 0. docs/engine.md "Conformance checks"
# states each kind's semantics and the value a failure row carries.
KINDS: Mapping[str, tuple[str, str]] = {
    "rows": ("TS405", "the dataset has at least one row"),
    "required": ("TS403", "the file has column `source` (params: want, the declared name it is read "
                          "for; declare, how to name another column; taken, columns not offered)"),
    "key_present": ("TS415", "a keyed table's key cell is not empty"),
    "key_unique": ("TS404", "a present key appears on no earlier row (the first is kept)"),
    "subject_known": ("TS412", "a row's subject is a subject of the population table (params: "
                               "population, population_key)"),
    "type": ("TS406", "a non-empty cell reads as the column's type (params: type, number or boolean)"),
    "finite": ("TS407", "a number cell is finite (not inf, nan, or beyond a double)"),
    "unit": ("TS408", "a present value's unit cell converts to the column's unit (params: unit, "
                      "unit_column, analyte)"),
    "allowed": ("TS409", "a category cell is one of the declared levels (params: levels)"),
    "date": ("TS410", "a date cell is an ISO 8601 date of a real day"),
    "repeated": ("TS411", "a subject has one row of a long table's test (params: test, time); the "
                          "latest is kept, the earlier ones fail"),
    "range": ("TS440", "a row's lower limit of normal is not above its upper limit (params: low, high)"),
    "test_present": ("TS420", "a long table has rows of a declared, collected test (params: test, "
                              "test_column)"),
    "test_at_visit": ("TS420", "a long table picked at a visit has rows of the test at that visit "
                               "(params: test, test_column, visit, visit_column)"),
}


def conformance_checks(protocol: Any) -> tuple[ConformanceCheck, ...]:
    """Every check the protocol's datasets declare, dataset by dataset in declaration order."""
    keyed = [ds for ds in protocol.datasets.values() if ds.key and not _study(ds)]
    population = keyed[0] if keyed else None  # the subjects: the first keyed dataset
    out: list[ConformanceCheck] = []
    for ds in protocol.datasets.values():
        out.extend(_dataset_checks(ds, population))
    return tuple(out)


def _study(ds: Any) -> bool:
    return getattr(ds, "level", "subject") == "study"


class CheckIndex:
    """A plan's checks looked up the way a backend meets them: a cell check by (dataset,
    column, kind), a ``required`` check by (dataset, the name it is wanted for, file column)."""

    def __init__(self, checks: Iterable[ConformanceCheck] = ()):
        self.checks = tuple(checks)
        self._cells = {(c.dataset, c.column, c.kind): c for c in self.checks if c.kind != "required"}
        self._required = {(c.dataset, c.param("want"), c.source): c for c in self.checks
                          if c.kind == "required"}

    def cell(self, dataset: str, column: str, kind: str) -> ConformanceCheck | None:
        return self._cells.get((dataset, column, kind))

    def required(self, dataset: str, want: str, source: str) -> ConformanceCheck | None:
        return self._required.get((dataset, want, source))


def _check(ds: Any, column: str, kind: str, source: str, span: Span | None, key: str | None = None,
           **params: Any) -> ConformanceCheck:
    code = KINDS[kind][0]
    want = params.get("want")
    suffix = f"{column}:{kind}" + (f":{source}" if kind == "required" else "") + (
        f"<{want}" if kind == "required" and want != column else "")
    noun = "study" if _study(ds) else "subject"
    name = f"{ds.name}.{suffix}" if column else f"{ds.name}:{kind}"  # (a dataset check: no column)
    return ConformanceCheck(name, ds.name, column, kind, source, code,
                            tuple((k, v) for k, v in params.items() if v is not None), span, noun, key)


def _dataset_checks(ds: Any, population: Any) -> Iterator[ConformanceCheck]:
    yield _check(ds, "", "rows", "", ds.span)
    if ds.long is None or _study(ds):
        yield from _wide_checks(ds, population)
    elif ds.pick is None:
        yield from _long_rows_checks(ds, population)
    else:
        yield from _long_checks(ds, population)


def _known(ds: Any, column: str, population: Any) -> Iterator[ConformanceCheck]:
    """Rows of a table joined to the population name one of its subjects."""
    if population is not None and ds is not population and not _study(ds):
        yield _check(ds, column, "subject_known", column, None, population=population.name,
                     population_key=population.key)


def _wide_checks(ds: Any, population: Any) -> Iterator[ConformanceCheck]:
    id_col = ds.key if _study(ds) else ds.key or ds.subject
    declared = {c: col.span for c, col in ds.columns.items()}
    if id_col:
        yield _check(ds, id_col, "required", id_col, declared.get(id_col, ds.span), want=id_col,
                     declare="key: {}" if ds.key else "subject: {}", taken=())
        if ds.key:
            yield _check(ds, id_col, "key_present", id_col, declared.get(id_col), id_col)
            yield _check(ds, id_col, "key_unique", id_col, declared.get(id_col), id_col)
        yield from _known(ds, id_col, population)
    taken = frozenset({id_col, *(c.source or n for n, c in ds.columns.items()),
                       *(c.unit_column for c in ds.columns.values())})
    for cname, col in ds.columns.items():
        if cname == id_col:
            continue
        src = col.source or cname
        if col.collected:  # a column not collected may be absent from the file
            yield _check(ds, cname, "required", src, col.span, want=cname, declare="source: {}",
                         taken=taken)
        if col.unit_column:
            yield _check(ds, cname, "required", col.unit_column, col.span, want=cname,
                         declare="unit_column: {}", taken=taken)
        yield from _value_checks(ds, col, src, id_col, col.unit_column, {})
        yield from _range_checks(ds, col, declared, taken, id_col, {})


def _long_checks(ds: Any, population: Any) -> Iterator[ConformanceCheck]:
    lay = ds.long
    declared = {c: col.span for c, col in ds.columns.items()}
    roles = {"subject": lay.subject, "test": lay.test, "value": lay.value, "unit": lay.unit,
             "time": lay.time, "visit": lay.visit}
    taken = frozenset(roles.values())
    for role, c in roles.items():
        if c:
            want = f"long.{role}"
            yield _check(ds, want, "required", c, declared.get(want, ds.span), want=want,
                         declare=f"long: {{{{{role}: {{}}}}}}", taken=taken)
    yield from _known(ds, lay.subject, population)
    picked = bool(ds.pick.visit and lay.visit)
    visit = {"visit_column": lay.visit, "visit": ds.pick.visit} if picked else {}
    for cname, col in ds.columns.items():
        if not col.test or not col.collected:
            continue
        yield _check(ds, cname, "test_present", lay.test, col.span, test=col.test, test_column=lay.test)
        if picked:
            yield _check(ds, cname, "test_at_visit", lay.test, col.span, test=col.test,
                         test_column=lay.test, **visit)
    for cname, col in ds.columns.items():
        if not col.test:
            continue
        source = col.source or lay.value
        rows = {"test_column": lay.test, "test": col.test, **visit}
        yield _check(ds, cname, "required", source, col.span, want=cname, declare="source: {}", taken=taken)
        yield _check(ds, cname, "repeated", source, col.span, lay.subject, time=lay.time, **rows)
        yield from _value_checks(ds, col, source, lay.subject, lay.unit, rows)
        yield from _range_checks(ds, col, declared, frozenset(), lay.subject, rows)


def _long_rows_checks(ds: Any, population: Any) -> Iterator[ConformanceCheck]:
    lay = ds.long
    declared = {c: col.span for c, col in ds.columns.items()}
    yield from _known(ds, lay.subject, population)
    for cname, col in ds.columns.items():
        if population is not None and cname == population.key:
            continue
        if col.source and not col.test:  # a per-row column (a date, a visit): every row
            yield _check(ds, cname, "required", col.source, col.span, want=cname, declare="source: {}",
                         taken=frozenset())
            yield from _value_checks(ds, col, col.source, lay.subject, None, {})
            continue
        rows = {"test_column": lay.test, "test": col.test or cname}
        yield from _value_checks(ds, col, lay.value, lay.subject, lay.unit, rows)
        yield from _range_checks(ds, col, declared, frozenset(), lay.subject, rows)


def _value_checks(ds: Any, col: Any, source: str, key: str | None, unit_column: str | None,
                  rows: Mapping[str, Any]) -> Iterator[ConformanceCheck]:
    """The checks of a column's cells by its type (and unit): on the rows ``rows`` selects."""
    if col.type in ("number", "percent", "duration"):
        yield _check(ds, col.name, "type", source, col.span, key, type="number", **rows)
        yield _check(ds, col.name, "finite", source, col.span, key, **rows)
        if unit_column and col.unit:
            yield _check(ds, col.name, "unit", source, col.span, key, unit=col.unit,
                         unit_column=unit_column, analyte=col.analyte, **rows)
    elif col.type == "boolean":
        yield _check(ds, col.name, "type", source, col.span, key, type="boolean", **rows)
    elif col.type == "category" and col.levels:
        yield _check(ds, col.name, "allowed", source, col.span, key, levels=tuple(col.levels), **rows)
    elif col.type == "date":
        yield _check(ds, col.name, "date", source, col.span, key, **rows)


def _range_checks(ds: Any, col: Any, declared: Mapping[str, Span], taken: frozenset[Any], key: str | None,
                  rows: Mapping[str, Any]) -> Iterator[ConformanceCheck]:
    """A normal range's columns: present, numbers, and the lower not above the upper."""
    rng = getattr(col, "range", None)
    if rng is None:
        return
    for fn, suffix in LIMITS:
        source = rng.low if fn == "lln" else rng.high
        if source is None:
            continue
        want = f"{col.name}.range"
        yield _check(ds, f"{col.name}{suffix}", "required", source, declared.get(want, ds.span),
                     want=want, declare="source: {}", taken=taken)
        limit = replace(col, name=f"{col.name}{suffix}", span=None)
        yield from _value_checks(ds, limit, source, key, None, rows)  # (its value reports the units)
    if rng.low is not None and rng.high is not None:
        yield _check(ds, col.name, "range", rng.high, col.span, key, low=rng.low, high=rng.high, **rows)
