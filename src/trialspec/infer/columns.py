"""One column's draft: its type, its levels, its unit, from the values (vectorized, no row loop)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_LEVELS = 20  # more distinct values than this: a string column, not a category
ISO_DATE = r"\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?"
BOOLEAN_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f"}
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# CDISC LBTESTCD codes of the analytes trialspec converts between mass and molar units
SDTM_ANALYTES = {"BILI": "bilirubin", "CREAT": "creatinine", "CA": "calcium", "GLUC": "glucose",
                 "UREA": "urea", "BUN": "urea", "URATE": "uric_acid", "CHOL": "cholesterol",
                 "MG": "magnesium", "PHOS": "phosphorus", "FE": "iron"}


@dataclass(frozen=True)
class ColumnDraft:
    """What the values say about one column."""

    name: str  # the name expressions use
    source: str | None  # the file's name for it, when that is not a usable name
    type: str
    levels: tuple[str, ...] = ()
    unit: str | None = None
    unit_column: str | None = None
    label: str | None = None
    test: str | None = None  # in a long table: the test code whose rows hold its values
    analyte: str | None = None  # for mass <-> molar conversion between the rows' units
    empty: bool = False
    note: str | None = None  # said as a comment in the draft


def present(s: Any) -> Any:
    """The non-missing values, text stripped; bytes (SAS readers) decoded; blanks are missing."""
    import pandas as pd

    if s.dtype == object:
        text = s
        if pd.api.types.infer_dtype(s, skipna=True) in ("bytes", "mixed", "mixed-integer"):  # SAS bytes
            decoded = s.str.decode("utf-8", "replace")  # NaN where a value is not bytes
            text = decoded.where(decoded.notna(), s)
        text = text.where(text.isna(), text.astype(str).str.strip())
        return text[text.notna() & (text != "")]
    return s[pd.notna(s)]


def infer_type(values: Any) -> tuple[str, tuple[str, ...]]:
    """The type (and levels, for a category) the present values fit, strictest first."""
    import pandas as pd

    if len(values) == 0:
        return "string", ()
    if values.dtype == bool or str(values.dtype) == "boolean":
        return "boolean", ()
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "number", ()
    text = values.astype(str)
    distinct = pd.unique(text)
    if set(pd.unique(text.str.lower())) <= BOOLEAN_WORDS:
        return "boolean", ()
    if text.str.fullmatch(ISO_DATE).all():
        return "date", ()
    if pd.to_numeric(text, errors="coerce").notna().all():
        return "number", ()
    if len(distinct) <= MAX_LEVELS and len(distinct) <= max(2, len(text) // 2):
        return "category", tuple(sorted(str(v) for v in distinct))
    return "string", ()


def usable_unit(text: str) -> str | None:
    """``text`` as a unit trialspec knows (as written, or lower-cased: YEARS is years), or None."""
    from trialspec.units import UnitError, parse_unit

    # SDTM writes unit words in capitals (YEARS): the lower-case spelling reads as protocols do
    shouting = text.isupper() and sum(ch.isalpha() for ch in text) > 2
    for candidate in ((text.lower(), text) if shouting else (text, text.lower())):
        try:
            parse_unit(candidate)
        except UnitError:
            continue
        return candidate
    return None


def unit_sibling(name: str, columns: list[str]) -> str | None:
    """The column holding ``name``'s unit: AGE -> AGEU, EXDOSE -> EXDOSU, dose -> dose_unit,
    metformin_dose -> metformin_unit."""
    stem = name.rsplit("_", 1)[0]
    for candidate in (name + "U", name[:-1] + "U", name + "_unit", name + "_UNIT", stem + "_unit",
                      stem + "_UNIT", name + "unit"):
        if candidate != name and candidate in columns:
            return candidate
    return None


def name_for(column: str, taken: set[str]) -> tuple[str, str | None]:
    """A name expressions can use for a file's column, and the file's name if that differs."""
    if NAME.fullmatch(column) and column not in taken:
        return column, None
    base = re.sub(r"[^A-Za-z0-9_]+", "_", column).strip("_") or "column"
    if not NAME.fullmatch(base):
        base = "c_" + base
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name, column


def unit_for(units: list[str], analyte_names: tuple[str, ...] = ()
             ) -> tuple[str | None, str | None, str | None]:
    """The unit to declare for values written in ``units`` (most frequent first): (unit, analyte,
    note). Rows in several units are converted to the first when every one converts to it (by
    dimension, or mass <-> molar with an analyte named by ``analyte_names``); else no unit, and a
    note for the person reviewing the draft."""
    from trialspec.units import UnitError, analyte_mass, compatible, parse_unit

    known = [u for u in (usable_unit(x) for x in units) if u]
    if not units:
        return None, None, None
    if len(known) < len(units):
        unknown = [x for x in units if not usable_unit(x)]
        return None, None, f"units in the data trialspec does not know: {', '.join(unknown[:3])}"
    target = parse_unit(known[0])
    if all(compatible(parse_unit(u), target) for u in known):
        return known[0], None, None
    for name in (SDTM_ANALYTES.get(n.upper(), n) for n in analyte_names):
        try:
            analyte_mass(name)
        except UnitError:
            continue
        if all(compatible(parse_unit(u), target, name) for u in known):
            return known[0], name.lower(), None
    return None, None, f"units that do not convert to each other: {', '.join(units[:4])}"
