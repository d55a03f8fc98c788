"""A row-by-row reference interpreter of the IR: plain Python, one subject at a time.

It shares no code with the engine. It reads the same input DataFrames cell by cell and
implements the documented semantics (docs/engine.md) directly from their definitions:
Kleene's truth tables, interval comparisons, missing-propagating arithmetic. The property
test holds the vectorized engine to it.

Values here: numbers are None or a (lo, hi) pair of floats (lo == hi when exact); dates are
None or a (lo, hi) pair of day ordinals (``date.toordinal()``); strings/categories are None
or str; conditions are True / False / None (unknown).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from typing import Any

import pandas as pd

from trialspec.lang import ir
from trialspec.lang.types import Kind

# -- Kleene logic, from the truth tables -------------------------------------------------------

AND = {
    (True, True): True, (True, False): False, (True, None): None,
    (False, True): False, (False, False): False, (False, None): False,
    (None, True): None, (None, False): False, (None, None): None,
}
OR = {
    (True, True): True, (True, False): True, (True, None): True,
    (False, True): True, (False, False): False, (False, None): None,
    (None, True): True, (None, False): None, (None, None): None,
}
NOT = {True: False, False: True, None: None}


def k_and(values: list[Any]) -> Any:
    acc = True
    for v in values:
        acc = AND[(acc, v)]
    return acc


def k_or(values: list[Any]) -> Any:
    acc = False
    for v in values:
        acc = OR[(acc, v)]
    return acc


# -- reading cells -------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ].*)?)?)?$")


def is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def read_number(v: Any) -> Any:
    if is_missing(v):
        return None
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    x = float(v)
    return None if math.isinf(x) or math.isnan(x) else (x, x)


def read_date(v: Any) -> Any:
    if is_missing(v):
        return None
    if isinstance(v, dt.datetime):
        d = v.date().toordinal()
        return (d, d)
    if isinstance(v, dt.date):
        return (v.toordinal(), v.toordinal())
    if not isinstance(v, str):
        return None
    m = _ISO.match(v.strip())
    if m is None:
        return None
    year = int(m.group(1))
    if m.group(2) is None:
        if year < 1:
            return None
        return (dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal())
    month = int(m.group(2))
    if not 1 <= month <= 12 or year < 1:
        return None
    last = calendar.monthrange(year, month)[1]
    if m.group(3) is None:
        return (dt.date(year, month, 1).toordinal(), dt.date(year, month, last).toordinal())
    day = int(m.group(3))
    if not 1 <= day <= last:
        return None
    d = dt.date(year, month, day).toordinal()
    return (d, d)


def read_label(v: Any) -> Any:
    return None if is_missing(v) else str(v)


def read_bool(v: Any) -> Any:
    if is_missing(v):
        return None
    if isinstance(v, bool):
        return v
    if hasattr(v, "dtype") and str(v.dtype) == "bool":
        return bool(v)
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    return None


READERS = {Kind.NUMBER: read_number, Kind.DATE: read_date, Kind.CATEGORY: read_label,
           Kind.STRING: read_label, Kind.BOOL: read_bool}


# -- the interpreter -----------------------------------------------------------------------------


class Reference:
    """Evaluates IR nodes for one subject at a time from the raw DataFrames."""

    def __init__(self, subjects: pd.DataFrame, key: str, subject_tables: dict[str, pd.DataFrame],
                 row_tables: dict[str, tuple[pd.DataFrame, str]]) -> None:
        self.ids = list(subjects[key])
        self.tables = {}
        for name, df in subject_tables.items():
            self.tables[name] = {r[key]: r for r in df.to_dict("records")}
        self.rows: dict[str, dict[Any, list[dict[str, Any]]]] = {}
        for name, (df, col) in row_tables.items():
            per: dict[Any, list[dict[str, Any]]] = {s: [] for s in self.ids}
            for r in df.to_dict("records"):
                if r[col] in per:
                    per[r[col]].append(r)
            self.rows[name] = per

    def subject(self, node: ir.Node, i: int) -> Any:
        return self.ev(node, self.ids[i], None, None)

    def ev(self, node: ir.Node, sid: Any, grain: str | None, row: dict[str, Any] | None) -> Any:
        return getattr(self, "ev_" + type(node).__name__)(node, sid, grain, row)

    def ev_Col(self, node: ir.Col, sid: Any, grain: Any, row: Any) -> Any:
        read = READERS[node.type.kind]
        if node.dataset in self.rows:
            assert grain == node.dataset
            return read(row[node.column])
        rec = self.tables[node.dataset].get(sid)
        return None if rec is None else read(rec[node.column])

    def ev_Const(self, node: ir.Const, sid: Any, grain: Any, row: Any) -> Any:
        kind = node.type.kind
        if kind is Kind.NUMBER:
            return read_number(float(node.value))
        if kind is Kind.DATE:
            return read_date(node.value)
        if kind is Kind.BOOL:
            return bool(node.value)
        return str(node.value)

    def ev_Cmp(self, node: ir.Cmp, sid: Any, grain: Any, row: Any) -> Any:
        a = self.ev(node.left, sid, grain, row)
        b = self.ev(node.right, sid, grain, row)
        if a is None or b is None:
            return None
        if isinstance(a, tuple):
            return interval_cmp(node.op, a, b)
        return (a == b) if node.op == "==" else (a != b)

    def ev_BoolOp(self, node: ir.BoolOp, sid: Any, grain: Any, row: Any) -> Any:
        values = [self.ev(x, sid, grain, row) for x in node.operands]
        return k_and(values) if node.op == "and" else k_or(values)

    def ev_Negate(self, node: ir.Negate, sid: Any, grain: Any, row: Any) -> Any:
        return NOT[self.ev(node.operand, sid, grain, row)]

    def ev_Arith(self, node: ir.Arith, sid: Any, grain: Any, row: Any) -> Any:
        a = self.ev(node.left, sid, grain, row)
        if node.op == "neg":
            return None if a is None else (-a[1], -a[0])
        b = self.ev(node.right, sid, grain, row)
        if a is None or b is None:
            return None
        lk = type_kind(node.left)
        rk = type_kind(node.right)
        if lk is Kind.DATE and rk is Kind.DATE:
            return (float(a[0] - b[1]), float(a[1] - b[0]))
        if lk is Kind.DATE or rk is Kind.DATE:
            date, days = (a, b) if lk is Kind.DATE else (b, a)
            if node.op == "-":
                days = (-days[1], -days[0])
            lo, hi = round_days(days[0]), round_days(days[1])
            if lo is None or hi is None:
                return None
            return (date[0] + lo, date[1] + hi)
        return num_op(node.op, a, b)

    def ev_InSet(self, node: ir.InSet, sid: Any, grain: Any, row: Any) -> Any:
        a = self.ev(node.operand, sid, grain, row)
        if a is None:
            return None
        kind = type_kind(node.operand)
        if kind is Kind.NUMBER or kind is Kind.DATE:
            read = read_number if kind is Kind.NUMBER else read_date
            consts = [read(v) for v in node.values]
            found = any(c is not None and a[0] == a[1] == c[0] == c[1] for c in consts)
            overlaps = any(c is not None and not (a[1] < c[0] or c[1] < a[0]) for c in consts)
            result = True if found else (False if not overlaps else None)
        elif kind is Kind.BOOL:
            result = a in [v for v in node.values if isinstance(v, bool)]
        else:
            result = a in [str(v) for v in node.values]
        return NOT[result] if node.negated else result

    def ev_IsNull(self, node: ir.IsNull, sid: Any, grain: Any, row: Any) -> Any:
        missing = self.ev(node.operand, sid, grain, row) is None
        return not missing if node.negated else missing

    def ev_Func(self, node: ir.Func, sid: Any, grain: Any, row: Any) -> Any:
        args = [self.ev(a, sid, grain, row) for a in node.args]
        if node.name == "coalesce":
            return next((a for a in args if a is not None), None)
        if any(a is None for a in args):
            return None
        if node.name == "min":
            return (min(a[0] for a in args), min(a[1] for a in args))
        if node.name == "max":
            return (max(a[0] for a in args), max(a[1] for a in args))
        if node.name == "abs":
            lo, hi = args[0]
            if lo >= 0:
                return (lo, hi)
            if hi <= 0:
                return (-hi, -lo)
            return (0.0, max(-lo, hi))
        if node.name == "ratio":
            return num_op("/", args[0], args[1])
        raise AssertionError(node.name)

    def ev_Cond(self, node: ir.Cond, sid: Any, grain: Any, row: Any) -> Any:
        c = self.ev(node.condition, sid, grain, row)
        a = self.ev(node.then, sid, grain, row)
        b = self.ev(node.otherwise, sid, grain, row)
        if c is True:
            return a
        if c is False:
            return b
        return a if a is not None and a == b else None  # unknown: only an agreed known value

    def ev_Match(self, node: ir.Match, sid: Any, grain: Any, row: Any) -> Any:
        x = self.ev(node.operand, sid, grain, row)
        if x is None:
            return None
        p = node.pattern
        if node.ignore_case:  # letter by letter, as Python's re folds case (not casefold())
            if node.op == "contains":
                return re.search(re.escape(p), x, re.IGNORECASE) is not None
            if node.op == "starts with":
                return re.match(re.escape(p), x, re.IGNORECASE) is not None
        if node.op == "contains":
            return p in x
        if node.op == "starts with":
            return x.startswith(p)
        return re.search(node.pattern, str(self.ev(node.operand, sid, grain, row)),
                         re.IGNORECASE if node.ignore_case else 0) is not None

    def ev_Aggregate(self, node: ir.Aggregate, sid: Any, grain: Any, row: Any) -> Any:
        rows = self.rows[node.dataset][sid]
        wheres = [True if node.where is None else self.ev(node.where, sid, node.dataset, r)
                  for r in rows]
        values = [None if node.value is None else self.ev(node.value, sid, node.dataset, r)
                  for r in rows]
        if node.func == "count_distinct":  # present values; unknown where adds to the upper bound
            sure = {v for w, v in zip(wheres, values, strict=True) if w is True and v is not None}
            maybe = {v for w, v in zip(wheres, values, strict=True) if w is None and v is not None}
            return (float(len(sure)), float(len(sure | maybe)))
        if node.func in ("any", "all", "count"):
            conds = []
            for w, v in zip(wheres, values, strict=True):
                if node.value is not None and type_kind(node.value) is not Kind.BOOL:
                    v = v is not None  # a non-condition value counts where present
                if node.value is None:
                    c = w
                elif node.func == "all":
                    c = OR[(NOT[w], v)]
                else:
                    c = AND[(w, v)]
                conds.append(c)
            if node.func == "any":
                return k_or(conds)
            if node.func == "all":
                return k_and(conds)
            sure = sum(1 for c in conds if c is True)
            unknown = sum(1 for c in conds if c is None)
            return (float(sure), float(sure + unknown))
        chosen = []
        for w, v in zip(wheres, values, strict=True):
            if w is None:
                return None
            if w is True:
                if v is None:
                    return None
                chosen.append(v)
        if not chosen:
            return None
        if node.func == "min":
            return (min(v[0] for v in chosen), min(v[1] for v in chosen))
        if node.func == "max":
            return (max(v[0] for v in chosen), max(v[1] for v in chosen))
        lo = hi = 0.0
        for v in chosen:
            lo += v[0]
            hi += v[1]
        if node.func == "mean":
            lo, hi = lo / len(chosen), hi / len(chosen)
        return (lo, hi)


def type_kind(node: ir.Node) -> Kind:
    return ir.type_of(node).kind


def interval_cmp(op: str, a: tuple[Any, Any], b: tuple[Any, Any]) -> Any:
    (alo, ahi), (blo, bhi) = a, b
    if op == "<":
        return True if ahi < blo else (False if alo >= bhi else None)
    if op == "<=":
        return True if ahi <= blo else (False if alo > bhi else None)
    if op == ">":
        return interval_cmp("<", b, a)
    if op == ">=":
        return interval_cmp("<=", b, a)
    equal = True if alo == ahi == blo == bhi else (False if ahi < blo or bhi < alo else None)
    return equal if op == "==" else NOT[equal]


def finite(x: float) -> Any:
    return None if math.isinf(x) or math.isnan(x) else x


def num_op(op: str, a: tuple[float, float], b: tuple[float, float]) -> Any:
    if op == "/" and b[0] <= 0 <= b[1]:
        return None
    fn = {"+": lambda x, y: x + y, "-": lambda x, y: x - y,
          "*": lambda x, y: x * y, "/": lambda x, y: x / y}[op]
    if a[0] == a[1] and b[0] == b[1]:
        r = finite(fn(a[0], b[0]))
        return None if r is None else (r, r)
    if op == "+":
        lo, hi = a[0] + b[0], a[1] + b[1]
    elif op == "-":
        lo, hi = a[0] - b[1], a[1] - b[0]
    else:
        corners = [fn(x, y) for x in a for y in b]
        if any(math.isnan(c) for c in corners):
            return None
        lo, hi = min(corners), max(corners)
    lo, hi = finite(lo), finite(hi)
    return None if lo is None or hi is None else (lo, hi)


def round_days(x: float) -> Any:
    if not abs(x) <= 1e7:
        return None
    return int(math.copysign(math.floor(abs(x) + 0.5), x))
