"""Dosing on the pandas backend: exposure rows -> administrations -> cycles -> deviations.

``dosing(plan, frames)`` receives the plan as plain data (``trialspec.domain.treatment.
plan_tables``) and returns tidy tables, positions not ids:

- ``subjects``: per subject of the index: ``id``, ``arm``, ``treated``, ``cycles``.
- ``admins``: per administration (EX intervals expanded): subject, plan drug, date (days
  since 1970-01-01), dose (in the plan's unit; NaN unknown), cycle, day, ``status``
  (OK / REST / EXTRA), ``level_ok``, ``change`` (-1 reduction, +1 rise), ``prev``, source row.
- ``missed``: per planned day without a dose: subject, drug, cycle, day, date, count.
- ``cycles``: per subject and cycle: start, length (NaN for the last), ``short``, ``long``,
  ``window`` (this cycle started outside its window), ``excess`` (beyond ``cycles``).
- ``intensity``: per subject, drug and cycle: planned and delivered amounts and counts.
- ``overall``: per subject and drug: planned, delivered, ``received``.
- ``problems``: exposure rows that cannot be used (or only partly), by ``kind``.
- ``visits``: the visit names ``admins.visit`` codes point at (with a ``visit`` column).

With a ``cycle`` column (a recorded cycle) ``admins.recorded`` holds it (-1 unknown); with
``body``, ``subjects`` holds each subject's ``height`` and ``weight`` as bound.

Work is vectorized over all subjects at once; the only Python loops run over cycle
numbers (cycle reconstruction) and days of the cycle (dose matching), never over
subjects or rows. docs/dosing.md states the rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trialspec.engine.pandas.bind import LINE_COLUMN, ROW_COLUMN, UNIT_SUFFIX
from trialspec.engine.pandas.dosing_cycles import reconstruct_cycles
from trialspec.engine.pandas.dosing_match import match_doses
from trialspec.engine.pandas.read import FORMATS
from trialspec.engine.pandas.unit_column import convert_unit_column

OK, REST, EXTRA = 0, 1, 2
MAX_INTERVAL_DAYS = 3660  # an EX interval longer than ten years is a data error
PROBLEM_COLUMNS = ("kind", "subject", "source", "line", "drug", "date", "end", "dose", "unit", "detail")


def dosing(plan: dict[str, Any], frames: Any) -> dict[str, pd.DataFrame]:
    """Cycles, deviations and dose intensity for every subject of ``frames``."""
    admins, arm_of, problems = administrations(plan, frames)
    visits = admins.pop("visits", np.zeros(0, dtype=object))
    ids = np.asarray(frames.subjects, dtype=object)
    out = reconstruct_cycles(plan, admins, arm_of, len(ids))
    out.update(match_doses(plan, out["admins"], out["cycles"], arm_of))
    treated = np.bincount(admins["subject"], minlength=len(ids)) > 0
    n_cycles = np.bincount(out["cycles"]["subject"], minlength=len(ids))
    out["subjects"] = {"id": ids, "arm": arm_of, "treated": treated, "cycles": n_cycles,
                       **_body(plan, frames)}
    out["visits"] = {"name": visits}
    tables = {name: pd.DataFrame(columns, copy=False) for name, columns in out.items()}
    tables["problems"] = (pd.concat(problems, ignore_index=True) if problems
                          else pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS}))
    return tables


def administrations(plan: dict[str, Any], frames: Any) -> tuple[Columns, np.ndarray, list[pd.DataFrame]]:
    """The usable administrations (EX intervals expanded), sorted by subject, date and drug;
    each subject's arm; and the problem rows, as tables by kind."""
    rows = frames.rows.get(plan["exposure"])
    arm_of = _subject_arms(plan, frames)
    problems: list[pd.DataFrame] = []
    if rows is None:  # the dataset was not bound (Python API without it): say so, once
        problems.append(pd.DataFrame({c: [None] for c in PROBLEM_COLUMNS}).assign(kind="no_exposure",
                                                                                   subject=-1, source=-1))
    if rows is None or not len(rows.frame):
        return _empty_admins(), arm_of, problems
    admins = _administrations(plan, rows.frame, np.asarray(rows.codes, np.int64), arm_of, problems)
    path = frames.paths.get(plan["exposure"])  # CSV lines and XLSX rows count a header; XPT... have none
    header = int(FORMATS.get(Path(path or "").suffix.lower(), "csv") in ("csv", "xlsx"))
    lines = None  # each data row's file line, kept by the binding when blank lines shift them
    if LINE_COLUMN in rows.frame.columns and ROW_COLUMN in rows.frame.columns:
        at = rows.frame[ROW_COLUMN].to_numpy(np.int64) - 1
        lines = np.zeros(int(at.max()) + 1 if len(at) else 0, np.int64)
        lines[at] = rows.frame[LINE_COLUMN].to_numpy(np.int64)
    for table in problems:  # each problem row's file line, for its finding's `row` field
        source = table["source"].to_numpy(np.int64)
        table["line"] = lines[source] if lines is not None else source + 1 + header
    return admins, arm_of, problems


# -- subjects' arms ---------------------------------------------------------------------------


def _subject_arms(plan: dict[str, Any], frames: Any) -> np.ndarray:
    """Each subject's arm index (-1: missing or unknown; -2: an arm whose dosing is not
    checked, which the plan reports once)."""
    skipped = set(plan.get("skipped_arms", ()))
    if plan["arm_source"] is None:
        return np.full(frames.n, -2 if 0 in skipped else 0, np.int64)
    dataset, column = plan["arm_source"]
    values = frames.tables[dataset].column(column)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    index = [plan["arms"].index(str(u)) if str(u) in plan["arms"] else -1 for u in uniques]
    lut = np.array([-2 if i in skipped else i for i in index] + [-1], np.int64)
    return lut[codes]


def _body(plan: dict[str, Any], frames: Any) -> dict[str, np.ndarray]:
    """Each subject's height, weight, age, serum creatinine (NaN when missing) and sex as bound,
    for doses per body size and by target AUC."""
    body = plan.get("body")
    if not body or body["dataset"] not in frames.tables:
        return {}
    table = frames.tables[body["dataset"]]
    out = {}
    for role in ("height", "weight", "age", "creatinine", "sex"):
        if not body.get(role):
            continue
        try:
            values = np.asarray(table.column(body[role]), dtype=object)
        except (KeyError, AttributeError):
            continue
        numbers = None if role == "sex" else pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
        out[role] = values if numbers is None else numbers
    return out


# -- exposure rows -> administrations ---------------------------------------------------------


Columns = dict[str, np.ndarray]  # a table as equal-length numpy arrays, until the output


def _empty_admins() -> Columns:
    return {"subject": np.zeros(0, np.int64), "drug": np.zeros(0, np.int64), "date": np.zeros(0, np.int64),
            "dose": np.zeros(0), "source": np.zeros(0, np.int64)}


def _administrations(plan: dict[str, Any], frame: pd.DataFrame, subject: np.ndarray, arm_of: np.ndarray,
                     problems: list[pd.DataFrame]) -> Columns:
    cols = dict(plan["columns"])
    cols["unit"] = _unit_column(frame, cols)
    # the file's data row of each row (0-based), kept by the binding beside the values
    source = (frame[ROW_COLUMN].to_numpy(np.int64) - 1 if ROW_COLUMN in frame.columns
              else np.arange(len(frame), dtype=np.int64))
    report = _Reporter(problems, frame, cols, subject, source)

    arm = arm_of[subject]
    no_arm = arm == -1
    report("no_arm", no_arm, "")
    drug, drug_missing = _plan_drugs(plan, frame[cols["drug"]], arm)
    report("missing_drug", drug_missing & (arm >= 0), "no drug named")
    unknown = (drug < 0) & ~drug_missing & (arm >= 0)
    report("unknown_drug", unknown, "")
    keep = drug >= 0

    dose = _doses(plan, cols, frame, drug, keep, report)
    placebo = np.asarray(plan["drugs"].get("placebo", [False] * len(plan["drugs"]["name"])), bool)
    keep &= ~((dose < 0) | ((dose == 0) & ~placebo[np.maximum(drug, 0)]))
    _report_forms(plan, cols, frame, drug, keep, report)
    extra = _extras(cols, frame)
    if plan["shape"] == "administrations":
        date, bad = _days(frame[cols["date"]].to_numpy())
        report("missing_date", (bad > 0) & keep, "date", codes=bad)
        keep &= bad == 0
        out = {"subject": subject, "drug": drug, "date": date, "dose": dose, "source": source,
               **extra["columns"]}
        return {**_sorted({k: v[keep] for k, v in out.items()}), **extra["tables"]}
    expanded = _expand_intervals(plan, cols, frame, subject, drug, dose, source, keep, report,
                                 extra["columns"])
    return {**expanded, **extra["tables"]}


def _extras(cols: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Columns handed over beside each administration: the recorded cycle (``recorded``: the
    first whole number in the cell, -1 if none) and the visit (``visit``: a code into
    ``visits``, -1 if none)."""
    columns: dict[str, np.ndarray] = {}
    tables: dict[str, Any] = {}
    if cols.get("cycle") in frame.columns:
        text = pd.Series(frame[cols["cycle"]].to_numpy(dtype=object)).astype("string")
        number = pd.to_numeric(text.str.extract(r"(\d+)", expand=False), errors="coerce")
        columns["recorded"] = number.fillna(-1).to_numpy(np.int64)
    if cols.get("visit") in frame.columns:
        codes, uniques = pd.factorize(pd.Series(frame[cols["visit"]].to_numpy(dtype=object)).astype("string")
                                      .str.strip().str.upper().to_numpy(dtype=object))
        columns["visit"] = codes.astype(np.int64)
        tables["visits"] = np.asarray(uniques, dtype=object)
    return {"columns": columns, "tables": tables}


def _report_forms(plan: dict[str, Any], cols: dict[str, Any], frame: pd.DataFrame, drug: np.ndarray,
                  keep: np.ndarray, report: Any) -> None:
    """Rows whose dose form or route (EXDOSFRM, EXROUTE) is not the drug's planned one."""
    for role in ("form", "route"):
        planned = plan["drugs"].get(role)
        if not cols.get(role) or cols[role] not in frame.columns or not planned or not any(planned):
            continue
        codes, uniques = pd.factorize(np.asarray(frame[cols[role]].to_numpy(dtype=object), dtype=object))
        written = [str(u).strip().casefold() for u in uniques]
        want = [None if p is None else str(p).strip().casefold() for p in planned]
        # per (drug, written value): differs from the plan (a missing cell is not a mismatch)
        table = np.array([[w is not None and x != w for x in written] + [False] for w in want], bool)
        mismatch = keep & table[np.maximum(drug, 0), codes]
        report(f"{role}_mismatch", mismatch, np.array([f"{role} {p}" for p in planned], dtype=object)[
            np.maximum(drug, 0)])


def _unit_column(frame: pd.DataFrame, cols: dict[str, Any]) -> str | None:
    """Where each row's dose unit is: the dose's ``unit_column`` (kept by the binding as
    ``<dose>@unit``), else a declared ``unit`` column, else nowhere (a fixed unit)."""
    beside = f"{cols['dose']}{UNIT_SUFFIX}"
    if beside in frame.columns:
        return beside
    return cols["unit"] if cols.get("unit") in frame.columns else None


def _plan_drugs(plan: dict[str, Any], names: pd.Series, arm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's plan drug (-1 if not in the subject's arm); drug names match ignoring case."""
    codes, uniques = pd.factorize(np.asarray(names, dtype=object))
    drugs = plan["drugs"]
    by_name: dict[str, list[tuple[int, int]]] = {}
    for i, (a, name) in enumerate(zip(drugs["arm"], drugs["name"], strict=True)):
        by_name.setdefault(name.casefold(), []).append((a, i))
    lut = np.full((len(plan["arms"]) + 1, len(uniques) + 1), -1, np.int64)
    for j, u in enumerate(uniques):
        for a, i in by_name.get(str(u).strip().casefold(), ()):
            lut[a, j] = i
    missing = codes < 0
    return lut[np.where(arm >= 0, arm, len(plan["arms"])), codes], missing


def _doses(plan: dict[str, Any], cols: dict[str, Any], frame: pd.DataFrame, drug: np.ndarray,
           keep: np.ndarray, report: Any) -> np.ndarray:
    """Doses in each drug's planned unit: NaN when missing or in an unusable unit."""
    column = frame[cols["dose"]]
    raw = (column.to_numpy(dtype=float, na_value=np.nan) if column.dtype.kind in "fiu"
           else pd.to_numeric(pd.Series(column.to_numpy()), errors="coerce").to_numpy(float))
    if not cols.get("unit") and plan["dose_unit"] is None:
        dose = raw.copy()  # no unit anywhere: read in the plan's unit
    else:
        # one factor per (planned unit, written unit): the written units are resolved once each
        units = (frame[cols["unit"]].to_numpy(dtype=object) if cols.get("unit")
                 else np.full(len(frame), plan["dose_unit"], dtype=object))
        codes, written = pd.factorize(units)
        t_codes, targets = pd.factorize(np.asarray(plan["drugs"]["unit"], dtype=object))
        factors = np.full((len(targets), len(written) + 1), np.nan)  # last column: no unit
        for i, target in enumerate(targets):
            factors[i, :-1] = convert_unit_column(np.ones(len(written)), written, target)[0]
        target = t_codes[np.maximum(drug, 0)]
        f = factors[target, codes]
        # a drug counted in dosage units (`1 patch`): a row in another unit (EX writes a
        # placebo patch as 0 mg) is one administration of the planned number of units
        n_drugs = len(plan["drugs"]["name"])
        count = np.asarray(plan["drugs"].get("count", [False] * n_drugs), bool)[np.maximum(drug, 0)]
        counted = count & np.isnan(f) & ~np.isnan(raw)  # a missing dose stays missing (TS527)
        raw = np.where(counted, np.asarray(plan["drugs"]["dose"], float)[np.maximum(drug, 0)], raw)
        f = np.where(counted, 1.0, f)
        with np.errstate(over="ignore", invalid="ignore"):
            dose = raw * f
        dose[np.isinf(dose)] = np.nan  # an overflow is unknown, not infinite
        bad = keep & np.isnan(f) & ~np.isnan(raw)
        report("bad_unit", bad, np.array([f"not convertible to {t}" for t in targets], dtype=object)[target])
    placebo = np.asarray(plan["drugs"].get("placebo", [False] * len(plan["drugs"]["name"])), bool)
    report("nonpositive_dose", keep & ((raw < 0) | ((raw == 0) & ~placebo[np.maximum(drug, 0)])), "")
    report("missing_dose", keep & np.isnan(raw), "")
    return np.where(raw <= 0, raw, dose)


def _days(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dates as int64 days since 1970-01-01, and a problem code per row: 0 ok, 1 missing,
    2 partial (YYYY or YYYY-MM), 3 not a calendar date. A time of day is ignored; years
    0001-9999 are read without pandas' nanosecond limits."""
    values = np.asarray(values)
    if values.dtype.kind == "M":
        nat = np.isnat(values)
        return np.where(nat, 0, values.astype("datetime64[D]").astype(np.int64)), nat.astype(np.int8)
    codes, uniques = pd.factorize(values.astype(object))
    text = pd.Series(uniques, dtype=object).astype("string").str.strip().fillna("")
    full = text.str.match(r"\d{4}-\d{2}-\d{2}(?:[T ]|$)").to_numpy(bool)
    ymd = [pd.to_numeric(text.str.slice(a, b).where(full), errors="coerce").fillna(1).to_numpy(np.int64)
           for a, b in ((0, 4), (5, 7), (8, 10))]
    month = np.clip(ymd[1], 1, 12)
    first = ((ymd[0] - 1970) * 12 + month - 1).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)
    ok = full & (ymd[0] >= 1) & (ymd[1] == month) & (ymd[2] >= 1) & (ymd[2] <= length)
    days = np.append(first.astype("datetime64[D]").astype(np.int64) + ymd[2] - 1, 0)
    partial = text.str.fullmatch(r"\d{4}(-\d{2})?").to_numpy(bool)
    status = np.where(ok, 0, np.where((text == "").to_numpy(bool), 1, np.where(partial, 2, 3)))
    status = np.append(status, 1).astype(np.int8)  # code -1: a missing cell
    return np.where(status[codes] == 0, days[codes], 0), status[codes]


# frequency -> (days between administration days, administrations per day); ONCE has step 0
FREQUENCIES = {"QD": (1, 1), "BID": (1, 2), "TID": (1, 3), "QID": (1, 4), "QOD": (2, 1), "QW": (7, 1),
               "ONCE": (0, 1)}


def _frequency(text: str) -> tuple[int, int]:
    """(step, per day) of a frequency; (-1, 0) if it cannot be expanded."""
    key = text.strip().upper()
    if key in FREQUENCIES:
        return FREQUENCIES[key]
    m = re.fullmatch(r"Q([1-9][0-9]{0,3})([DW])", key)
    return (int(m[1]) * (7 if m[2] == "W" else 1), 1) if m else (-1, 0)


def _frequencies(values: Any, default: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray,
                                                                                np.ndarray]:
    """(step, per day, known) per row; a missing frequency is the drug's planned one (QD if none)."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    table = [_frequency(str(u)) for u in uniques]
    step = np.array([t[0] for t in table] + [0], np.int64)[codes]
    per = np.array([t[1] for t in table] + [0], np.int64)[codes]
    known = np.array([t[0] >= 0 for t in table] + [True], bool)[codes]
    missing = codes < 0
    return np.where(missing, default[0], step), np.where(missing, default[1], per), known


def _expand_intervals(plan: dict[str, Any], cols: dict[str, Any], frame: pd.DataFrame, subject: np.ndarray,
                      drug: np.ndarray, dose: np.ndarray, source: np.ndarray, keep: np.ndarray,
                      report: Any, extra: Columns | None = None) -> Columns:
    """EX intervals -> one row per administration they stand for (docs/dosing.md)."""
    start, sbad = _days(frame[cols["start"]].to_numpy())
    end, ebad = _days(frame[cols["end"]].to_numpy())
    # an SDTM EX row with a start and a blank end (an ongoing or single administration) is
    # read as one day (its frequency's doses on that day), with a warning; not dropped
    open_end = (ebad == 1) & (sbad == 0)
    report("open_end", open_end & keep, "end")
    end, ebad = np.where(open_end, start, end), np.where(open_end, 0, ebad).astype(ebad.dtype)
    report("missing_date", (sbad > 0) & keep, "start", codes=sbad)
    report("missing_date", (ebad > 0) & keep, "end", codes=ebad)
    keep &= (sbad == 0) & (ebad == 0)
    report("end_before_start", keep & (end < start), "")
    report("interval_too_long", keep & (end - start > MAX_INTERVAL_DAYS), f"{MAX_INTERVAL_DAYS}")
    keep &= (end >= start) & (end - start <= MAX_INTERVAL_DAYS)
    defaults = [_frequency(f) if f else (1, 1) for f in plan["drugs"]["frequency"]]
    d = np.maximum(drug, 0)
    default = (np.array([x[0] for x in defaults], np.int64)[d], np.array([x[1] for x in defaults])[d])
    if cols.get("frequency"):
        step, per, known = _frequencies(frame[cols["frequency"]].to_numpy(), default)
    else:
        step, per, known = default[0], default[1], np.ones(len(frame), bool)
    report("bad_frequency", keep & ~known, "")
    keep &= known
    rows = np.flatnonzero(keep)
    rows = rows[np.lexsort((end[rows], start[rows], drug[rows], subject[rows]))]
    _report_overlaps(subject[rows], drug[rows], start[rows], end[rows], rows, report)
    n_days = np.where(step[rows] > 0, (end[rows] - start[rows]) // np.maximum(step[rows], 1) + 1, 1)
    counts = n_days * per[rows]
    which = np.repeat(np.arange(len(rows)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    per_r = per[rows][which]
    src = rows[which]
    out = {"subject": subject[src], "drug": drug[src], "date": start[src] + (k // per_r) * step[rows][which],
           "dose": dose[src], "source": source[src], **{c: v[src] for c, v in (extra or {}).items()}}
    # overlapping intervals: each (day, slot) counted once, from the earlier interval
    slots = pd.DataFrame({**out, "slot": k % per_r})
    first = ~slots.duplicated(["subject", "drug", "date", "slot"]).to_numpy()
    return _sorted({c: v[first] for c, v in out.items()})


def _report_overlaps(subject: np.ndarray, drug: np.ndarray, start: np.ndarray, end: np.ndarray,
                     rows: np.ndarray, report: Any) -> None:
    """Intervals (sorted by subject, drug, start) starting on or before an earlier one's end."""
    if not len(rows):
        return
    group = np.r_[True, (subject[1:] != subject[:-1]) | (drug[1:] != drug[:-1])]
    gid = np.cumsum(group) - 1
    prev_end = pd.Series(end).groupby(gid).cummax().groupby(gid).shift(1).to_numpy()
    overlap = start <= np.nan_to_num(prev_end, nan=-np.inf)
    size = int(rows.max()) + 1
    mask = np.zeros(size, bool)
    mask[rows[overlap]] = True
    ends = np.zeros(size, np.int64)
    ends[rows] = np.nan_to_num(prev_end, nan=0).astype(np.int64)
    report("overlap", mask, ends=ends)


def _sorted(admins: Columns) -> Columns:
    """Administrations ordered by subject, date and drug, file order within (a stable sort of
    one int64 key; usually the file is in that order already)."""
    admins = {k: np.asarray(v, np.float64 if k == "dose" else np.int64) for k, v in admins.items()}
    s, d, g = admins["subject"], admins["date"], admins["drug"]
    if not len(s):
        return admins
    span, nd = int(d.max() - d.min()) + 1, int(g.max()) + 1
    if (int(s.max()) + 1) * span * nd < 1 << 62:
        key = (s * span + (d - d.min())) * nd + g
        if np.all(key[1:] >= key[:-1]):
            return admins
        order = np.argsort(key, kind="stable")
    else:  # keys too wide for one int64
        order = np.lexsort((admins["source"], g, d, s))
    return {k: v[order] for k, v in admins.items()}


# -- problems -----------------------------------------------------------------------------


class _Reporter:
    """Collects problem rows into a tidy table: the cells as given, for the message."""

    def __init__(self, out: list[pd.DataFrame], frame: pd.DataFrame, cols: dict[str, Any],
                 subject: np.ndarray, source: np.ndarray):
        self.out, self.frame, self.cols, self.subject, self.source = out, frame, cols, subject, source

    def cells(self, role: str, rows: np.ndarray) -> np.ndarray:
        name = self.cols.get(role)
        if not name or name not in self.frame.columns:
            return np.full(len(rows), None, dtype=object)
        return np.asarray(self.frame[name].to_numpy(dtype=object)[rows], dtype=object)

    def __call__(self, kind: str, mask: np.ndarray, detail: Any = "", codes: np.ndarray | None = None,
                 ends: np.ndarray | None = None) -> None:
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        if codes is not None:  # which date, and what is wrong with it
            detail = np.array([f"{detail}:{w}" for w in ("", "missing", "partial", "not a calendar date")],
                              dtype=object)[codes[rows]]
        elif isinstance(detail, np.ndarray):  # one detail per row
            detail = detail[rows]
        elif ends is not None:  # the end (days since 1970) of the interval it overlaps
            detail = ends[rows].astype(object)
        self.out.append(pd.DataFrame({
            "kind": kind, "subject": self.subject[rows], "source": self.source[rows],
            "drug": self.cells("drug", rows),
            "date": self.cells("date" if self.cols.get("date") else "start", rows),
            "end": self.cells("end", rows), "dose": self.cells("dose", rows),
            "unit": self.cells("unit", rows), "detail": detail}))
