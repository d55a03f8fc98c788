"""Writes data/patients.csv: the MRC 1948 streptomycin trial's 107 analysed patients,
reconstructed from the published counts (BMJ 1948;2:769-782, Table II: radiological
assessment at six months, by arm). Only the arm and the six-month radiological category of
each patient are known from the paper; the identifiers and row order are invented, and no
other per-patient value is used. Deterministic: `python examples/streptomycin-1948/generate.py`.
"""

from __future__ import annotations

import csv
from pathlib import Path

LEVELS = ("considerable_improvement", "moderate_improvement", "no_change",
          "moderate_deterioration", "considerable_deterioration", "death")
TABLE_II = {"streptomycin": (28, 10, 2, 5, 6, 4), "control": (4, 13, 3, 12, 6, 14)}


def main() -> None:
    out = Path(__file__).resolve().parent / "data" / "patients.csv"
    rows = []
    for arm, counts in TABLE_II.items():
        for level, k in zip(LEVELS, counts, strict=True):
            rows.extend({"arm": arm, "radiology_6m": level} for _ in range(k))
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["patient", "arm", "radiology_6m"])
        for i, r in enumerate(rows, 1):
            w.writerow([f"P{i:03d}", r["arm"], r["radiology_6m"]])


if __name__ == "__main__":
    main()
