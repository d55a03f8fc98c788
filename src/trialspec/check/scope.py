"""What a name can mean: the protocol's datasets, columns and definitions, indexed once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from trialspec.lang.types import Kind, Type
from trialspec.protocol.model import study_level

COLUMN_KINDS = {
    "number": Kind.NUMBER, "percent": Kind.NUMBER, "duration": Kind.NUMBER,
    "boolean": Kind.BOOL, "category": Kind.CATEGORY, "string": Kind.STRING, "date": Kind.DATE,
}
DEFAULT_UNITS = {"percent": "%", "duration": "days"}


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A resolved column: where it lives and its type."""

    dataset: str
    column: str
    type: Type


def subject_grain(ds: Any) -> bool:
    """One row per subject: a keyed table, or a long table with a pick rule."""
    if study_level(ds):
        return False
    return bool(getattr(ds, "key", None)) or bool(getattr(ds, "long", None) and getattr(ds, "pick", None))


def column_type(ds_name: str, col: Any, grain: str | None) -> Type:
    kind = COLUMN_KINDS.get(col.type, Kind.ANY)
    unit = col.unit or DEFAULT_UNITS.get(col.type)
    levels = tuple(col.levels) if col.levels else None
    return Type(kind, unit if kind is Kind.NUMBER else None, levels, col.analyte, grain)


class Scope:
    """Name lookup over a protocol's datasets and definitions."""

    def __init__(self, datasets: Mapping[str, Any], definitions: Mapping[str, Any]):
        # a study-level table is no patient's: expressions cannot name it or its columns
        self.datasets = {n: ds for n, ds in datasets.items() if not study_level(ds)}
        self.study_level = {n for n, ds in datasets.items() if study_level(ds)}
        self.study_columns = {c: n for n in self.study_level for c in datasets[n].columns}
        self.definitions = definitions
        self.row_grain = {n for n, ds in self.datasets.items() if not subject_grain(ds)}
        self.subject_columns: dict[str, list[ColumnRef]] = {}
        self.row_columns: dict[str, list[str]] = {}  # column -> the row-grain datasets having it
        for name, ds in self.datasets.items():
            if name in self.row_grain:
                for cname in ds.columns:
                    self.row_columns.setdefault(cname, []).append(name)
                continue
            for cname, col in ds.columns.items():
                ref = ColumnRef(name, cname, column_type(name, col, None))
                self.subject_columns.setdefault(cname, []).append(ref)

    def column(self, dataset: str, column: str) -> ColumnRef | None:
        ds = self.datasets.get(dataset)
        if ds is None or column not in ds.columns:
            return None
        grain = dataset if dataset in self.row_grain else None
        return ColumnRef(dataset, column, column_type(dataset, ds.columns[column], grain))

    def all_names(self, row_dataset: str | None = None) -> list[str]:
        names: list[str] = [*self.definitions, *self.subject_columns, *self.datasets]
        if row_dataset and row_dataset in self.datasets:
            names.extend(self.datasets[row_dataset].columns)
        return names

    @staticmethod
    def suggest(name: str, candidates: Iterable[str]) -> str | None:
        close = difflib.get_close_matches(name, list(dict.fromkeys(candidates)), n=1, cutoff=0.6)
        return close[0] if close else None
