"""``explain --subject``: one subject's cycles, calendar (each planned and given dose) and
dose intensity, as tables. Runs for one subject at a time, so plain loops are fine here."""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.domain.treatment_apply import planned_on
from trialspec.domain.treatment_section import EXTRA, REST, _col, amount, iso, percent
from trialspec.results import Table


def explain_subject(v: Any, subject_id: str) -> list[Table]:
    s = v.position.get(str(subject_id))
    if s is None:
        return []
    if not v.treated[s]:
        problems = v.t.get("problems")
        rejected = int(np.count_nonzero(_col(problems, "subject") == s)) if problems else 0
        note = (f"no administration could be used: {rejected} exposure row(s) rejected (see the "
                "dosing findings)" if rejected else "no administrations recorded")
        return [Table(f"Dosing of {subject_id}", ("note",), ((note,),))]
    if v.arm[s] < 0:
        return [Table(f"Dosing of {subject_id}", ("note",), (("the subject's arm is unknown",),))]
    return [_cycles(v, s, subject_id), _calendar(v, s, subject_id), _intensity(v, s, subject_id)]


def _cycles(v: Any, s: int, sid: str) -> Table:
    c, a = v.t["cycles"], v.t["admins"]
    ar = v.rows_of("admins", s)
    rows: list[tuple[Any, ...]] = []
    for r in v.rows_of("cycles", s):
        start, length, number = int(_col(c, "start")[r]), _col(c, "length")[r], int(_col(c, "cycle")[r])
        shown: Any = "-"
        if np.isnan(length):
            dates = _col(a, "date")[ar][_col(a, "cycle")[ar] == number]
            end = f"{iso(dates.max())} (last dose)"
        else:
            end, shown = iso(start + int(length) - 1), int(length)
        notes = [code for code, col in (("TS505 too short", "short"), ("TS506 too long", "long"),
                                        ("TS507 start outside window", "window"),
                                        ("TS508 beyond planned cycles", "excess")) if _col(c, col)[r]]
        rows.append((number, iso(start), end, shown, "; ".join(notes)))
    return Table(f"Cycles of {sid}", ("cycle", "start", "end", "days", "deviations"), tuple(rows),
                 f"{v.plan.cycle_days_of(int(v.arm[s]))}-day cycles; "
                 f"start window +/-{v.plan.start_window} days, "
                 f"maximum delay {v.plan.max_delay} days")


def _calendar(v: Any, s: int, sid: str) -> Table:
    plan, a, c, m = v.plan, v.t["admins"], v.t["cycles"], v.t["missed"]
    arm = plan.arms[int(v.arm[s])]
    drugs = [i for i, d in enumerate(plan.drugs) if d.arm == arm]
    cells: dict[tuple[int, int], dict[str, Any]] = {}

    def cell(cycle: int, day: int, date: int) -> dict[str, Any]:
        return cells.setdefault((cycle, day), {"date": date, "planned": {}, "given": {}, "notes": []})

    for r in v.rows_of("cycles", s):
        number, start, due = (int(_col(c, k)[r]) for k in ("cycle", "start", "due"))
        for i in drugs:
            for day in plan.drugs[i].days:
                if day <= due:
                    cell(number, day, start + day - 1)["planned"][i] = planned_on(
                        plan, v.t, i, s, start + day - 1)
    for r in v.rows_of("admins", s):
        i, number, day = int(_col(a, "drug")[r]), int(_col(a, "cycle")[r]), int(_col(a, "day")[r])
        x = cell(number, day, int(_col(a, "date")[r]))
        x["given"].setdefault(i, []).append(amount(_col(a, "dose")[r], plan.drugs[i].unit))
        name = plan.drugs[i].drug
        status, change = _col(a, "status")[r], _col(a, "change")[r]
        if status == REST:
            x["notes"].append(f"TS502 {name} on a rest day")
        elif status == EXTRA:
            x["notes"].append(f"TS504 extra {name}")
        if not _col(a, "level_ok")[r]:
            x["notes"].append(f"TS501 {name} dose not allowed")
        if change:
            word = "reduced" if change < 0 else ("re-escalated" if plan.drugs[i].reescalation
                                                 else "TS510 re-escalated")
            x["notes"].append(f"{name} {word} from {amount(_col(a, 'prev')[r], plan.drugs[i].unit)}")
    for r in v.rows_of("missed", s):
        i = int(_col(m, "drug")[r])
        cell(int(_col(m, "cycle")[r]), int(_col(m, "day")[r]), int(_col(m, "date")[r]))["notes"].append(
            f"TS503 {plan.drugs[i].drug} missed")
    columns = ["cycle", "day", "date", *(f"{plan.drugs[i].drug} planned / given" for i in drugs)]
    rows = []
    for (number, day), x in sorted(cells.items()):
        row: list[Any] = [number, day, iso(x["date"])]
        for i in drugs:
            planned = x["planned"].get(i)
            given = " + ".join(x["given"].get(i, [])) or "-"
            shown = "-" if planned is None else amount(planned, plan.drugs[i].unit)
            row.append("" if shown == given == "-" else f"{shown} / {given}")
        rows.append((*row, "; ".join(x["notes"])))
    return Table(f"Dosing calendar of {sid}", (*columns, "notes"), tuple(rows),
                 f"dose window +/-{plan.dose_window} days; '-' planned: a rest day; '-' given: no dose")


def _intensity(v: Any, s: int, sid: str) -> Table:
    plan, t, o = v.plan, v.t["intensity"], v.t["overall"]
    rows: list[tuple[Any, ...]] = []
    for r in v.rows_of("intensity", s):
        d = plan.drugs[int(_col(t, "drug")[r])]
        rows.append((d.drug, int(_col(t, "cycle")[r]), amount(_col(t, "planned")[r], d.unit),
                     amount(_col(t, "delivered")[r], d.unit), percent(_col(t, "rdi")[r])))
    for r in v.rows_of("overall", s):
        d = plan.drugs[int(_col(o, "drug")[r])]
        rows.append((d.drug, "all", amount(_col(o, "planned")[r], d.unit),
                     amount(_col(o, "delivered")[r], d.unit), percent(_col(o, "rdi")[r])))
    rows.sort(key=lambda x: (x[0], x[1] == "all", x[1] if x[1] != "all" else 0))
    note = None if plan.rdi_min is None else f"threshold {100 * plan.rdi_min:g}% over all cycles"
    return Table(f"Dose intensity of {sid}", ("drug", "cycle", "planned", "delivered", "RDI"),
                 tuple(rows), note)
