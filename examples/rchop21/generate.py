"""Generate the SYNTHETIC R-CHOP-21 example data (examples/rchop21/data): seeded, reproducible.

    python examples/rchop21/generate.py          # rewrites data/*.csv byte for byte

24 invented patients receive R-CHOP every 21 days for 6 cycles: rituximab 375 mg/m2 (IV
infusion, with start and end times), cyclophosphamide 750 mg/m2 and doxorubicin 50 mg/m2
(IV injection), vincristine 1.4 mg/m2 capped at 2 mg (IV), all on day 1, and prednisone
100 mg orally on days 1-5. Doses are computed from the screening height and weight by
Mosteller's formula and rounded as a pharmacy would (to 10 mg, 1 mg, 0.1 mg). Every other
patient is dosed exactly to plan, except for the deviations planted in PLANTED, which
tests/dosing/test_rchop.py asserts one by one. No row describes a real person.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 20211207
N = 24
CYCLE, CYCLES = 21, 6
OUT = Path(__file__).resolve().parent / "data"
DAY1 = {"RITUXIMAB": 375.0, "CYCLOPHOSPHAMIDE": 750.0, "DOXORUBICIN": 50.0, "VINCRISTINE": 1.4}
ROUNDING = {"RITUXIMAB": 10.0, "CYCLOPHOSPHAMIDE": 10.0, "DOXORUBICIN": 1.0, "VINCRISTINE": 0.1}
FORM = {"RITUXIMAB": ("INFUSION", "INTRAVENOUS"), "CYCLOPHOSPHAMIDE": ("INJECTION", "INTRAVENOUS"),
        "DOXORUBICIN": ("INJECTION", "INTRAVENOUS"), "VINCRISTINE": ("INJECTION", "INTRAVENOUS"),
        "PREDNISONE": ("TABLET", "ORAL")}
# subject -> what is planted (tests/dosing/test_rchop.py checks each)
PLANTED = {
    "R-03": "doxorubicin reduced to 37.5 mg/m2 (an allowed reduction) from cycle 4",
    "R-05": "cyclophosphamide at 600 mg/m2 in cycle 2 (no allowed level)",
    "R-07": "cycle 3 starts 10 days late",
    "R-09": "prednisone missed on days 4-5 of cycle 2",
    "R-11": "no screening height",
    "R-13": "vincristine 2.8 mg in cycle 1 (1.4 mg/m2 without the 2 mg cap)",
    "R-15": "cycle 4 recorded as CYCLE 5",
    "R-17": "a 7th cycle",
    "R-19": "rituximab given subcutaneously in cycle 5",
    "R-21": "stops after cycle 3 (progression): not a deviation",
}


def bsa(height_cm: float, weight_kg: float) -> float:
    return float(np.sqrt(height_cm * weight_kg / 3600.0))


def rounded(x: float, step: float) -> float:
    return round(round(x / step) * step, 4)


def main() -> None:
    rng = np.random.default_rng(SEED)
    dm, vs, ex = [], [], []
    for i in range(1, N + 1):
        sid = f"R-{i:02d}"
        height = float(np.round(rng.normal(170, 9), 1))
        weight = float(np.round(rng.normal(76, 12), 1))
        size = bsa(height, weight)
        start = date(2021, 1, 4) + timedelta(days=int(rng.integers(0, 200)))
        dm.append({"USUBJID": sid, "ARMCD": "RCHOP", "RFSTDTC": start.isoformat()})
        screening = (start - timedelta(days=7)).isoformat()
        if sid != "R-11":
            vs.append({"USUBJID": sid, "VSTESTCD": "HEIGHT", "VSSTRESN": height, "VSSTRESU": "cm",
                       "VISIT": "SCREENING", "VSDTC": screening})
        vs.append({"USUBJID": sid, "VSTESTCD": "WEIGHT", "VSSTRESN": weight, "VSSTRESU": "kg",
                   "VISIT": "SCREENING", "VSDTC": screening})
        cycles = 7 if sid == "R-17" else (3 if sid == "R-21" else CYCLES)
        day1 = start
        for c in range(1, cycles + 1):
            if c > 1:
                day1 += timedelta(days=CYCLE + (10 if sid == "R-07" and c == 3 else 0))
            visit = f"CYCLE {5 if sid == 'R-15' and c == 4 else c}"
            for drug, per_m2 in DAY1.items():
                if sid == "R-03" and drug == "DOXORUBICIN" and c >= 4:
                    per_m2 = 37.5
                if sid == "R-05" and drug == "CYCLOPHOSPHAMIDE" and c == 2:
                    per_m2 = 600.0
                dose = per_m2 * size
                if drug == "VINCRISTINE" and not (sid == "R-13" and c == 1):
                    dose = min(dose, 2.0)
                form, route = FORM[drug]
                if sid == "R-19" and drug == "RITUXIMAB" and c == 5:
                    route = "SUBCUTANEOUS"
                when = day1.isoformat()
                st, en = (f"{when}T09:00", f"{when}T13:30") if drug == "RITUXIMAB" else (when, when)
                ex.append({"USUBJID": sid, "EXTRT": drug, "EXDOSE": rounded(dose, ROUNDING[drug]),
                           "EXDOSU": "mg", "EXDOSFRM": form, "EXROUTE": route, "EXDOSFRQ": "ONCE",
                           "EXSTDTC": st, "EXENDTC": en,
                           "VISIT": visit})
            pred_days = [(0, 4)] if not (sid == "R-09" and c == 2) else [(0, 2)]
            for a, b in pred_days:
                ex.append({"USUBJID": sid, "EXTRT": "PREDNISONE", "EXDOSE": 100.0, "EXDOSU": "mg",
                           "EXDOSFRM": "TABLET", "EXROUTE": "ORAL", "EXDOSFRQ": "QD",
                           "EXSTDTC": (day1 + timedelta(days=a)).isoformat(),
                           "EXENDTC": (day1 + timedelta(days=b)).isoformat(), "VISIT": visit})
    OUT.mkdir(exist_ok=True)
    for name, rows in (("dm", dm), ("vs", vs), ("ex", ex)):
        with open(OUT / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    main()
