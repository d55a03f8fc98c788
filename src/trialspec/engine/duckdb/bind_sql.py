"""SQL expressions that read a data file's cells the way the pandas binder does.

Each function returns DuckDB SQL text over a file relation (``read_csv`` with every column as
text, or ``read_parquet``): the declared missing-value rules (``engine/pandas/missing.py``),
trimming, and the conversion of a cell to its declared type, with the condition under which
the cell fails its conformance check and the value the failure table carries (the cell as
written, or its trimmed text: ``engine/pandas/conform.py`` decides which, this module follows).
Nothing here touches data; ``bind`` and ``conform`` run the SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trialspec.engine.cells import FALSE_WORDS, ISO_DATE, TRUE_WORDS

# the characters Python's str.strip() and Arrow's utf8_trim_whitespace both remove (the
# separators U+001C-U+001F among them; the last is U+3000)
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"  # what pandas.to_numeric reads as a number
NOT_FINITE = ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity")
BEYOND = r"[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+"  # a number, maybe beyond a double's range


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def dbl(x: float) -> str:
    """A DOUBLE literal that reads back as exactly ``x`` (never a DECIMAL)."""
    text = repr(float(x))
    return text if "e" in text or "inf" in text or "nan" in text else text + "e0"


def in_list(texts: Sequence[str]) -> str:
    return "(" + ", ".join(lit(t) for t in texts) + ")" if texts else "(NULL)"


def trim(expr: str) -> str:
    """``expr`` without surrounding whitespace; trimmed only when it starts or ends with some
    (trimming by a set of characters is slow, and most cells need none)."""
    ws = lit(WHITESPACE)
    return (f"(CASE WHEN contains({ws}, left({expr}, 1)) OR contains({ws}, right({expr}, 1)) "
            f"THEN trim({expr}, {ws}) ELSE {expr} END)")


@dataclass
class Source:
    """One data file as a relation: its columns (in file order) and their DuckDB types, and the
    missing-value rules of its dataset (SDTM blanks, ``missing:`` tokens)."""

    relation: str  # the SQL of the file relation (a view name)
    columns: list[str]
    types: dict[str, str]
    blank: bool
    tokens: tuple[str, ...] = ()
    row: str = '"@file_row"'  # the 1-based data row, a column of the relation

    def has(self, name: str) -> bool:
        return name in self.types

    def index(self, name: str) -> int:
        return self.columns.index(name) if name in self.types else -1

    def is_text(self, name: str) -> bool:
        return self.types.get(name, "VARCHAR") == "VARCHAR"

    cells: bool = False  # the relation holds each text column's @raw:, @txt: and @num: columns
    # text columns no cell of which starts or ends with whitespace (``edges_sql`` found): their
    # cells are their trimmed text, so no trimming is written for them
    untrimmed: frozenset[str] = frozenset()

    def edges_sql(self, name: str) -> str:
        """SQL, an aggregate: whether some cell of text column ``name`` needs trimming."""
        col = ident(name)
        ws = lit(WHITESPACE)
        return f"coalesce(bool_or(contains({ws}, left({col}, 1)) OR contains({ws}, right({col}, 1))), false)"

    def _trim(self, name: str, expr: str) -> str:
        return expr if name in self.untrimmed else trim(expr)

    def cell_columns(self) -> list[str]:
        """The select list adding each text column's cell as written (``@raw:``, missing rules
        applied), trimmed (``@txt:``) and read as a number (``@num:``), so that the conversions
        name a column instead of repeating the expression (DuckDB computes only those read)."""
        out = []
        for name in self.columns:
            if self.is_text(name):
                t = ident(f"@txt:{name}")
                out += [f"{self.raw(name)} AS {ident(f'@raw:{name}')}", f"{self.text(name)} AS {t}",
                        f"(CASE WHEN regexp_full_match({t}, {lit(NUMBER)}) THEN TRY_CAST({t} AS DOUBLE) END) "
                        f"AS {ident(f'@num:{name}')}"]
        return out

    def parsed(self, name: str) -> str:
        """A text cell read as a number as pandas.to_numeric reads it (NULL: not a number)."""
        if self.cells:
            return ident(f"@num:{name}")
        t = self.text(name)
        return f"(CASE WHEN regexp_full_match({t}, {lit(NUMBER)}) THEN TRY_CAST({t} AS DOUBLE) END)"

    def raw(self, name: str) -> str:
        """The cell as written, NULL where the dataset's missing rules make it missing."""
        col = ident(name)
        if not self.is_text(name):
            return col
        if self.cells:
            return ident(f"@raw:{name}")
        wanted = sorted({t.strip() for t in self.tokens})
        conds = []
        if self.blank:
            conds.append(f"{self._trim(name, col)} = ''")
        if wanted:
            conds.append(f"{self._trim(name, col)} IN {in_list(wanted)}")
        if not conds:
            return col
        return f"(CASE WHEN {' OR '.join(conds)} THEN NULL ELSE {col} END)"

    def text(self, name: str) -> str:
        """The cell's trimmed text (NULL: missing)."""
        if not self.is_text(name):
            return f"CAST({ident(name)} AS VARCHAR)"
        if self.cells:
            return ident(f"@txt:{name}")
        return self._trim(name, self.raw(name))


@dataclass
class Cell:
    """A cell check: where it fails, and what the failure row carries."""

    kind: str
    column: str  # the checked column as the plan names it
    position: int  # the file column's index
    bad: str  # SQL condition, used only as a filter: true fails, false and NULL do not
    value: str  # SQL: the failing cell's value in the failure table


@dataclass
class Converted:
    """A column's converted value and its cell checks."""

    value: str
    checks: list[Cell]
    sql_type: str  # DOUBLE, VARCHAR, BOOLEAN
    lo: str | None = None  # a date's first and last day (DATE), for partial dates
    hi: str | None = None


def number(src: Source, name: str, column: str, ci: int) -> tuple[str, list[Cell]]:
    """A number: (its value, finite or NULL; the type and finite checks)."""
    col = ident(name)
    if not src.is_text(name):  # a Parquet number: NaN is missing, inf fails `finite`
        x = f"CAST({col} AS DOUBLE)"
        # (isinf() as comparisons, which the Parquet reader decides from each row group's
        # minimum and maximum: a column without an infinity is not read for this check)
        inf = f"({x} = CAST('Infinity' AS DOUBLE) OR {x} = CAST('-Infinity' AS DOUBLE))"
        return (f"(CASE WHEN isfinite({x}) THEN {x} END)", [Cell("finite", column, ci, inf, col)])
    t = src.text(name)
    parsed = src.parsed(name)
    words = f"lower({t}) IN {in_list(NOT_FINITE)}"
    beyond = f"regexp_full_match({t}, {lit(BEYOND)})"
    # the words and the long-number pattern looked at only where the cell is not a number (as
    # CASE branches, which DuckDB evaluates for the rows that take them; in an AND or OR it
    # computed both for every cell: half of a CSV's conformance counts)
    bad_type = (f"(CASE WHEN {parsed} IS NULL AND {t} <> '' THEN NOT ({words}) AND NOT {beyond} "
                f"ELSE false END)")
    not_finite = (f"(CASE WHEN {parsed} IS NULL THEN coalesce(({words}) OR {beyond}, false) "
                  f"ELSE isinf({parsed}) END)")
    return (f"(CASE WHEN isfinite({parsed}) THEN {parsed} END)",
            [Cell("type", column, ci, bad_type, src.raw(name)),
             Cell("finite", column, ci, not_finite, src.raw(name))])


def convert(src: Source, name: str, col: Any, column: str | None = None,
            units: tuple[str, str] | None = None) -> Converted:
    """Declared column ``col`` read from file column ``name``: its value and checks.

    ``units``: (the unit column's raw SQL, a CASE giving each unit's factor to the declared
    unit, NULL where it does not convert), for a per-row unit column.
    """
    column = column or col.name
    ci = src.index(name)
    if col.type in ("number", "percent", "duration"):
        value, checks = number(src, name, column, ci)
        if units is not None and col.unit:
            unit_raw, factor = units
            product = f"({value} * {factor})"
            checks.append(Cell("unit", column, ci, f"({factor} IS NULL AND {value} IS NOT NULL)", unit_raw))
            value = f"(CASE WHEN isfinite({product}) THEN {product} END)"
        return Converted(value, checks, "DOUBLE")
    if col.type == "boolean":
        if src.types.get(name) == "BOOLEAN":
            return Converted(ident(name), [], "BOOLEAN")
        t = src.text(name)
        value = (f"(CASE WHEN lower({t}) IN {in_list(sorted(TRUE_WORDS))} THEN true "
                 f"WHEN lower({t}) IN {in_list(sorted(FALSE_WORDS))} THEN false END)")
        return Converted(value, [Cell("type", column, ci, f"({t} IS NOT NULL AND {value} IS NULL)",
                                      src.raw(name))], "BOOLEAN")
    if col.type == "category":
        t = src.text(name)
        if not col.levels:
            return Converted(t, [], "VARCHAR")
        levels = in_list(list(col.levels))
        return Converted(f"(CASE WHEN {t} IN {levels} THEN {t} END)",
                         [Cell("allowed", column, ci, f"({t} IS NOT NULL AND {t} NOT IN {levels})", t)],
                         "VARCHAR")
    if col.type == "date":
        return date(src, name, column, ci)
    return Converted(src.text(name), [], "VARCHAR")


def date(src: Source, name: str, column: str, ci: int) -> Converted:
    """An ISO 8601 date, maybe partial: the day's text as the pandas binder keeps it (the first
    ten characters: a time of day is dropped), and its first and last day."""
    t = src.text(name)
    if src.types.get(name) == "DATE":
        t = f"strftime({ident(name)}, '%Y-%m-%d')"
    day = f"left({t}, 10)"
    y = f"TRY_CAST(left({day}, 4) AS INTEGER)"
    m = f"TRY_CAST(substr({day}, 6, 2) AS INTEGER)"
    ok = (f"(regexp_full_match({t}, {lit(ISO_DATE)}) AND CASE length({day}) WHEN 4 THEN true "
          f"WHEN 7 THEN {m} BETWEEN 1 AND 12 "
          f"ELSE try_strptime({day}, '%Y-%m-%d') IS NOT NULL END)")
    value = f"(CASE WHEN {ok} THEN {day} END)"
    lo = (f"(CASE WHEN {ok} THEN CASE length({day}) WHEN 4 THEN make_date({y}, 1, 1) "
          f"WHEN 7 THEN make_date({y}, {m}, 1) ELSE CAST(try_strptime({day}, '%Y-%m-%d') AS DATE) END END)")
    hi = (f"(CASE WHEN {ok} THEN CASE length({day}) WHEN 4 THEN make_date({y}, 12, 31) "
          f"WHEN 7 THEN last_day(make_date({y}, {m}, 1)) "
          f"ELSE CAST(try_strptime({day}, '%Y-%m-%d') AS DATE) END END)")
    present = f"{t} IS NOT NULL"
    if src.types.get(name) == "DATE":  # a typed day: no text to parse unless its year is odd
        d = ident(name)
        fast = f"(year({d}) BETWEEN 1 AND 9999)"  # strftime gives an ISO day the text rules pass
        ok = f"(CASE WHEN {fast} THEN true ELSE {ok} END)"
        lo = f"(CASE WHEN {fast} THEN {d} ELSE {lo} END)"
        hi = f"(CASE WHEN {fast} THEN {d} ELSE {hi} END)"
        # (the same rows, without writing every day as text; a day in years 1-9999 passes, a
        # range the Parquet reader decides from each row group's minimum and maximum)
        present = f"({d} IS NOT NULL AND NOT ({d} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'))"
    return Converted(value, [Cell("date", column, ci, f"({present} AND NOT coalesce({ok}, false))", t)],
                     "VARCHAR", lo, hi)


def factor_case(unit_text: str, factors: dict[str, float]) -> str:
    """A CASE giving each (trimmed) unit's factor, NULL for units that do not convert."""
    known = [(u, f) for u, f in factors.items() if f == f]  # (NaN: does not convert)
    if not known:
        return "CAST(NULL AS DOUBLE)"
    return ("(CASE " + " ".join(f"WHEN {unit_text} = {lit(u)} THEN {dbl(f)}" for u, f in known)
            + " END)")
