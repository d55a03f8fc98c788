"""Which file columns a dataset's declaration reads, and as what: for the binders and readers
of every engine (no pandas, no database here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NUMBER_TYPES = frozenset({"number", "percent", "duration"})


def named_columns(ds: Any) -> set[str]:
    """Every name the dataset's declaration holds (columns, sources, keys, unit columns, a long
    layout's fields, range limits): the file columns the binding may read."""
    import dataclasses

    out: set[str] = set()
    todo = [ds]
    while todo:
        x = todo.pop()
        if isinstance(x, str):
            out.add(x)
        elif isinstance(x, Mapping):
            todo += [*x.keys(), *x.values()]
        elif isinstance(x, (list, tuple, set, frozenset)):
            todo += list(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            todo += [getattr(x, f.name) for f in dataclasses.fields(x)]
    return out


def number_only_columns(ds: Any) -> set[str]:
    """The file columns the dataset reads only as numbers (a `number`, `percent` or `duration`
    column's source, a range limit), never as text: a key, a subject or unit column, a long
    layout's fields, or the source of a string, category, boolean or date column."""
    layout = getattr(ds, "long", None)
    numbers: set[str] = set()
    keys = (getattr(ds, "key", None), getattr(ds, "subject", None))
    text: set[str] = {c for c in keys if isinstance(c, str)}
    if layout is not None:
        text |= {c for c in (layout.subject, layout.test, layout.unit, layout.time, layout.visit) if c}
    for cname, col in ds.columns.items():
        source = col.source or (layout.value if layout is not None and col.test else cname)
        (numbers if col.type in NUMBER_TYPES else text).add(source)
        if col.unit_column:
            text.add(col.unit_column)
        if col.range is not None:
            numbers |= {c for c in (col.range.low, col.range.high) if c}
    return numbers - text


def exact_integer_columns(ds: Any) -> set[str]:
    """The file columns whose integers must keep their digits when a reader would make numbers
    with gaps floats (pandas reads a Parquet integer column holding a null as float64, so `7`
    would become the text `7.0`): every column the declaration names but those it reads only
    as numbers."""
    return named_columns(ds) - number_only_columns(ds)
