"""Dosing: exposure rows -> administrations -> cycles -> deviations, on the backend's row batches.

``dosing_tables(plan, frames, backend)`` receives the plan as plain data
(``trialspec.domain.treatment.plan_tables``), reads the exposure rows through
``Backend.row_batches`` (each row's cells as neutral values, grouped by subject) and each
subject's arm and body size through ``Backend.evaluate``, and returns tidy tables as numpy
columns, positions not ids:

- ``subjects``: per subject of the index: ``id``, ``arm``, ``treated``, ``cycles``.
- ``admins``: per administration (EX intervals expanded): subject, plan drug, date (days
  since 1970-01-01), dose (in the plan's unit; NaN unknown), cycle, day, ``status``
  (OK / REST / EXTRA), ``level_ok``, ``change`` (-1 reduction, +1 rise), ``prev``, source row.
- ``missed``: per planned day without a dose: subject, drug, cycle, day, date, count.
- ``cycles``: per subject and cycle: start, length (NaN for the last), ``short``, ``long``,
  ``window`` (this cycle started outside its window), ``excess`` (beyond ``cycles``).
- ``intensity``: per subject, drug and cycle: planned and delivered amounts and counts.
- ``overall``: per subject and drug: planned, delivered, ``received``.
- ``problems``: exposure rows that cannot be used (or only partly), by ``kind``, in the
  order the rules find them and, within a kind, in file order.
- ``visits``: the visit names ``admins.visit`` codes point at (with a ``name`` column).

With a ``cycle`` column (a recorded cycle) ``admins.recorded`` holds it (-1 unknown); with
``body``, ``subjects`` holds each subject's ``height`` and ``weight`` as bound.

Each batch of subjects is worked on at once with numpy (``treatment_cells`` reads the
cells, ``treatment_cycles`` and ``treatment_match`` hold the cycle and matching rules); the
only Python loops run over distinct cell texts, cycle numbers and days of the cycle, never
over subjects or rows.
docs/dosing.md states the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from trialspec.backend import BATCH_SUBJECTS, Backend, DataContext, EngineError, UnboundDataset
from trialspec.domain.treatment_cells import (
    Columns,
    Problems,
    Visits,
    days_of,
    frequencies,
    frequency,
    unit_factor,
)
from trialspec.domain.treatment_cycles import reconstruct_cycles
from trialspec.domain.treatment_match import match_doses
from trialspec.lang import ir
from trialspec.lang.types import Kind, Type
from trialspec.row_batch import RowBatch
from trialspec.values import Labels, Numbers

OK, REST, EXTRA = 0, 1, 2
MAX_INTERVAL_DAYS = 3660  # an EX interval longer than ten years is a data error
TEXT_ROLES = ("drug", "unit", "date", "start", "end", "frequency", "form", "route", "cycle", "visit")



def dosing_tables(plan: dict[str, Any], frames: DataContext, backend: Backend,
                  batch_subjects: int = BATCH_SUBJECTS) -> dict[str, Columns]:
    """Cycles, deviations and dose intensity for every subject of ``frames``."""
    admins, arm_of, problems = administrations(plan, frames, backend, batch_subjects)
    visits = admins.pop("visits")
    out = schedule(plan, admins, arm_of, batch_subjects)
    ids = np.asarray(frames.subjects, dtype=object)
    treated = np.bincount(admins["subject"], minlength=len(ids)) > 0
    n_cycles = np.bincount(out["cycles"]["subject"], minlength=len(ids))
    out["subjects"] = {"id": ids, "arm": arm_of, "treated": treated, "cycles": n_cycles,
                       **_body(plan, frames, backend)}
    out["visits"] = {"name": visits}
    out["problems"] = problems
    return out


def administrations(plan: dict[str, Any], frames: DataContext, backend: Backend,
                    batch_subjects: int = BATCH_SUBJECTS) -> tuple[Columns, np.ndarray, Columns]:
    """The usable administrations (EX intervals expanded), sorted by subject, date and drug,
    with the visit names their ``visit`` codes point at (``visits``); each subject's arm; and
    the problem rows (the ``problems`` table)."""
    arm_of = _subject_arms(plan, frames, backend)
    parts: list[Columns] = []
    problems = Problems()
    visits = Visits()
    try:
        for batch in _exposure_batches(plan, frames, backend, batch_subjects):
            if batch.n:
                parts.append(_administrations(plan, batch, arm_of, problems, visits))
    except UnboundDataset:  # the dataset was not bound (Python API without it): say so, once
        problems.no_exposure()
    admins = _concat(parts) if parts else _empty_admins()
    if "visit" in admins:
        admins["visit"] = visits.remap(admins)
    admins["visits"] = visits.names()
    return admins, arm_of, problems.table()


def schedule(plan: dict[str, Any], admins: Columns, arm_of: np.ndarray,
             batch_subjects: int = BATCH_SUBJECTS) -> dict[str, Columns]:
    """Cycles (``treatment_cycles``) and matched doses, missed doses and intensity
    (``treatment_match``) of ``admins`` (sorted by subject), run on ``batch_subjects``
    subjects at a time."""
    n = len(arm_of)
    subject = admins["subject"]
    parts = []
    for first in range(0, max(n, 1), batch_subjects):
        last = min(first + batch_subjects, n)
        lo, hi = np.searchsorted(subject, [first, last])
        if first == 0 and last == n:
            mine = admins
        else:
            mine = {k: v[lo:hi] for k, v in admins.items()}
            mine["subject"] = mine["subject"] - first
        arms = arm_of[first:last]
        out = reconstruct_cycles(plan, mine, arms, last - first)
        out.update(match_doses(plan, out["admins"], out["cycles"], arms))
        if first:
            for table in out.values():
                table["subject"] = table["subject"] + first
        parts.append(out)
    return {name: _concat([p[name] for p in parts]) for name in parts[0]}


def _exposure_batches(plan: dict[str, Any], frames: DataContext, backend: Backend,
                      batch_subjects: int) -> Iterator[RowBatch]:
    """The exposure rows with the cells the rules read, subjects in order, rows in file order."""
    dataset = plan["exposure"]
    cols = _columns(plan, frames)
    text = Type(Kind.STRING, grain=dataset)
    nodes: dict[str, ir.Node] = {role: ir.Col(dataset, name, text) for role, name in cols.items()
                                 if role in TEXT_ROLES and name}
    nodes["dose"] = ir.Col(dataset, cols["dose"], Type(Kind.NUMBER, grain=dataset))
    return backend.row_batches(frames, dataset, nodes, (), batch_subjects)


def _columns(plan: dict[str, Any], frames: DataContext) -> dict[str, Any]:
    """The plan's column roles that the exposure dataset holds; ``unit`` is where each row's
    dose unit is: the dose's ``unit_column`` (kept by the binding as ``<dose>@unit``), else a
    declared ``unit`` column, else nowhere (a fixed unit)."""
    dataset = plan["exposure"]
    cols = {role: name for role, name in plan["columns"].items()
            if name and (role == "dose" or frames.has_column(dataset, name))}
    beside = f"{plan['columns']['dose']}{ir.UNIT_SUFFIX}"
    cols["unit"] = beside if frames.has_column(dataset, beside) else cols.get("unit")
    return cols


def _concat(tables: list[Columns]) -> Columns:
    """Tables one after the other."""
    if len(tables) == 1:
        return tables[0]
    return {c: np.concatenate([t[c] for t in tables]) for c in tables[0]}


# -- subjects' arms and body sizes --------------------------------------------------------------


def _subject_arms(plan: dict[str, Any], frames: DataContext, backend: Backend) -> np.ndarray:
    """Each subject's arm index (-1: missing or unknown; -2: an arm whose dosing is not
    checked, which the plan reports once)."""
    skipped = set(plan.get("skipped_arms", ()))
    if plan["arm_source"] is None:
        return np.full(frames.n, -2 if 0 in skipped else 0, np.int64)
    dataset, column = plan["arm_source"]
    value = backend.evaluate(ir.Col(dataset, column, Type(Kind.STRING)), frames)
    if not isinstance(value, Labels):
        raise EngineError(f"the arm column {dataset}.{column} is not read as text")
    index = [plan["arms"].index(str(u)) if str(u) in plan["arms"] else -1 for u in value.levels]
    lut = np.array([-2 if i in skipped else i for i in index] + [-1], np.int64)
    return lut[np.broadcast_to(np.asarray(value.codes), (frames.n,))]


def _body(plan: dict[str, Any], frames: DataContext, backend: Backend) -> dict[str, np.ndarray]:
    """Each subject's height, weight, age, serum creatinine (NaN when missing) and sex as bound,
    for doses per body size and by target AUC."""
    body = plan.get("body")
    if not body:
        return {}
    out = {}
    for role in ("height", "weight", "age", "creatinine", "sex"):
        if not body.get(role):
            continue
        kind = Kind.STRING if role == "sex" else Kind.NUMBER
        try:  # a dataset that is not one row per subject, or no such column: not read
            value = backend.evaluate(ir.Col(body["dataset"], body[role], Type(kind)), frames)
        except EngineError:
            continue
        if isinstance(value, Labels):
            out[role] = np.broadcast_to(value.strings(), (frames.n,))
        elif isinstance(value, Numbers):
            out[role] = np.broadcast_to(np.asarray(value.lo, float), (frames.n,))
    return out


# -- exposure rows -> administrations ---------------------------------------------------------


def _empty_admins() -> Columns:
    return {"subject": np.zeros(0, np.int64), "drug": np.zeros(0, np.int64), "date": np.zeros(0, np.int64),
            "dose": np.zeros(0), "source": np.zeros(0, np.int64)}


def _administrations(plan: dict[str, Any], batch: RowBatch, arm_of: np.ndarray, problems: Problems,
                     visits: Visits) -> Columns:
    values = batch.values
    subject = batch.subject
    source = batch.row - 1  # the file's data row of each row (0-based)
    report = problems.reporter(batch, "date" if plan["columns"].get("date") else "start")

    arm = arm_of[subject]
    no_arm = arm == -1
    report("no_arm", no_arm, "")
    drug, drug_missing = _plan_drugs(plan, _labels(values, "drug", batch.n), arm)
    report("missing_drug", drug_missing & (arm >= 0), "no drug named")
    unknown = (drug < 0) & ~drug_missing & (arm >= 0)
    report("unknown_drug", unknown, "")
    keep = drug >= 0

    dose = _doses(plan, values, drug, keep, report)
    placebo = np.asarray(plan["drugs"].get("placebo", [False] * len(plan["drugs"]["name"])), bool)
    keep &= ~((dose < 0) | ((dose == 0) & ~placebo[np.maximum(drug, 0)]))
    _report_forms(plan, values, drug, keep, report)
    extra = _extras(values, batch.row, visits)
    if plan["shape"] == "administrations":
        date, bad = days_of(_labels(values, "date", batch.n))
        report("missing_date", (bad > 0) & keep, "date", codes=bad)
        keep &= bad == 0
        out = {"subject": subject, "drug": drug, "date": date, "dose": dose, "source": source, **extra}
        return _sorted({k: v[keep] for k, v in out.items()})
    return _expand_intervals(plan, values, subject, drug, dose, source, keep, report, extra)


def _labels(values: Any, role: str, n: int) -> Labels:
    """A role's cells as labels (all missing when the dataset has no such column)."""
    value = values.get(role)
    if isinstance(value, Labels):
        return value
    return Labels(np.full(n, -1, np.int64), np.zeros(0, dtype=object))


def _extras(values: Any, row: np.ndarray, visits: Visits) -> Columns:
    """Columns handed over beside each administration: the recorded cycle (``recorded``: the
    first whole number in the cell, -1 if none) and the visit (``visit``: a code into
    ``visits``, -1 if none)."""
    columns: Columns = {}
    if "cycle" in values:
        cycle = values["cycle"]
        found = [re.search(r"\d+", str(t)) for t in cycle.levels]
        number = np.array([int(m[0]) if m else -1 for m in found] + [-1], np.int64)
        columns["recorded"] = number[np.asarray(cycle.codes)]
    if "visit" in values:
        columns["visit"] = visits.codes(values["visit"], row)
    return columns


def _report_forms(plan: dict[str, Any], values: Any, drug: np.ndarray, keep: np.ndarray,
                  report: Any) -> None:
    """Rows whose dose form or route (EXDOSFRM, EXROUTE) is not the drug's planned one."""
    for role in ("form", "route"):
        planned = plan["drugs"].get(role)
        if role not in values or not planned or not any(planned):
            continue
        cells = values[role]
        written = [str(u).strip().casefold() for u in cells.levels]
        want = [None if p is None else str(p).strip().casefold() for p in planned]
        # per (drug, written value): differs from the plan (a missing cell is not a mismatch)
        table = np.array([[w is not None and x != w for x in written] + [False] for w in want], bool)
        mismatch = keep & table[np.maximum(drug, 0), np.asarray(cells.codes)]
        report(f"{role}_mismatch", mismatch, np.array([f"{role} {p}" for p in planned], dtype=object)[
            np.maximum(drug, 0)])


def _plan_drugs(plan: dict[str, Any], names: Labels, arm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's plan drug (-1 if not in the subject's arm); drug names match ignoring case."""
    codes = np.asarray(names.codes)
    drugs = plan["drugs"]
    by_name: dict[str, list[tuple[int, int]]] = {}
    for i, (a, name) in enumerate(zip(drugs["arm"], drugs["name"], strict=True)):
        by_name.setdefault(name.casefold(), []).append((a, i))
    lut = np.full((len(plan["arms"]) + 1, len(names.levels) + 1), -1, np.int64)
    for j, u in enumerate(names.levels):
        for a, i in by_name.get(str(u).strip().casefold(), ()):
            lut[a, j] = i
    missing = codes < 0
    return lut[np.where(arm >= 0, arm, len(plan["arms"])), codes], missing


def _doses(plan: dict[str, Any], values: Any, drug: np.ndarray, keep: np.ndarray,
           report: Any) -> np.ndarray:
    """Doses in each drug's planned unit: NaN when missing or in an unusable unit."""
    n = len(drug)
    raw = np.array(np.broadcast_to(np.asarray(values["dose"].lo, float), (n,)))
    if "unit" not in values and plan["dose_unit"] is None:
        dose = raw.copy()  # no unit anywhere: read in the plan's unit
    else:
        # one factor per (planned unit, written unit): the written units are resolved once each
        if "unit" in values:
            units: Labels = values["unit"]
        else:
            units = Labels(np.zeros(n, np.int64), np.array([plan["dose_unit"]], dtype=object))
        codes, written = np.asarray(units.codes), units.levels
        targets = list(dict.fromkeys(plan["drugs"]["unit"]))
        t_codes = np.array([targets.index(u) for u in plan["drugs"]["unit"]], np.int64)
        factors = np.full((len(targets), len(written) + 1), np.nan)  # last column: no unit
        for i, target in enumerate(targets):
            factors[i, :-1] = [unit_factor(w, target) for w in written]
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


def _expand_intervals(plan: dict[str, Any], values: Any, subject: np.ndarray, drug: np.ndarray,
                      dose: np.ndarray, source: np.ndarray, keep: np.ndarray, report: Any,
                      extra: Columns) -> Columns:
    """EX intervals -> one row per administration they stand for (docs/dosing.md)."""
    n = len(subject)
    start, sbad = days_of(_labels(values, "start", n))
    end, ebad = days_of(_labels(values, "end", n))
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
    defaults = [frequency(f) if f else (1, 1) for f in plan["drugs"]["frequency"]]
    d = np.maximum(drug, 0)
    default = (np.array([x[0] for x in defaults], np.int64)[d], np.array([x[1] for x in defaults])[d])
    if "frequency" in values:
        step, per, known = frequencies(values["frequency"], default)
    else:
        step, per, known = default[0], default[1], np.ones(n, bool)
    report("bad_frequency", keep & ~known, "")
    keep &= known
    rows = np.flatnonzero(keep)
    rows = rows[np.lexsort((end[rows], start[rows], drug[rows], subject[rows]))]
    _report_overlaps(subject[rows], drug[rows], start[rows], end[rows], rows, n, report)
    n_days = np.where(step[rows] > 0, (end[rows] - start[rows]) // np.maximum(step[rows], 1) + 1, 1)
    counts = n_days * per[rows]
    which = np.repeat(np.arange(len(rows)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    per_r = per[rows][which]
    src = rows[which]
    out = {"subject": subject[src], "drug": drug[src], "date": start[src] + (k // per_r) * step[rows][which],
           "dose": dose[src], "source": source[src], **{c: v[src] for c, v in extra.items()}}
    # overlapping intervals: each (day, slot) counted once, from the earlier interval
    first = _first_of_each(out["subject"], out["drug"], out["date"], k % per_r)
    return _sorted({c: v[first] for c, v in out.items()})


def _first_of_each(*keys: np.ndarray) -> np.ndarray:
    """True on the first occurrence (in array order) of each distinct tuple of ``keys``."""
    n = len(keys[0])
    out = np.zeros(n, bool)
    if not n:
        return out
    order = np.lexsort((np.arange(n), *reversed(keys)))
    same = np.ones(n - 1, bool)
    for key in keys:
        k = key[order]
        same &= k[1:] == k[:-1]
    out[order[np.r_[True, ~same]]] = True
    return out


def _report_overlaps(subject: np.ndarray, drug: np.ndarray, start: np.ndarray, end: np.ndarray,
                     rows: np.ndarray, n: int, report: Any) -> None:
    """Intervals (sorted by subject, drug, start) starting on or before an earlier one's end."""
    if not len(rows):
        return
    group = np.r_[True, (subject[1:] != subject[:-1]) | (drug[1:] != drug[:-1])]
    gid = np.cumsum(group) - 1
    # the running latest end within each group: offsets make one running maximum segmented
    low = int(end.min())
    span = int(end.max()) - low + 1
    running = np.maximum.accumulate((end - low) + gid * span) - gid * span + low
    prev_end = np.where(group, np.nan, np.r_[np.nan, running[:-1].astype(float)])
    overlap = start <= np.nan_to_num(prev_end, nan=-np.inf)
    mask = np.zeros(n, bool)
    mask[rows[overlap]] = True
    ends = np.zeros(n, np.int64)
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


