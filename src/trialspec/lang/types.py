"""The types of the expression language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    BOOL = "condition"
    NUMBER = "number"
    STRING = "string"
    CATEGORY = "category"
    DATE = "date"
    DATASET = "dataset"
    ANY = "any"  # an operand whose type is already in error; suppresses follow-on errors


@dataclass(frozen=True, slots=True)
class Type:
    """A value's type: kind, unit (canonical spelling, numbers only), levels, row grain.

    ``grain`` is ``None`` for one value per subject, or the name of the dataset whose rows
    the value varies over (e.g. ``assessments`` for a per-visit lab value).
    """

    kind: Kind
    unit: str | None = None
    levels: tuple[str, ...] | None = None
    analyte: str | None = None
    grain: str | None = None

    def __str__(self) -> str:
        if self.kind is Kind.NUMBER and self.unit:
            return f"number in {self.unit}"
        return self.kind.value


BOOL = Type(Kind.BOOL)
NUMBER = Type(Kind.NUMBER)
STRING = Type(Kind.STRING)
DATE = Type(Kind.DATE)
ANY = Type(Kind.ANY)
