"""Reading SDTM: trialspec's readers beside plain pyreadstat and pandas on the same files.

1. The CDISC pilot's 15 XPT files (examples/cdiscpilot01/data): trialspec's read step
   (``read_table`` through pyreadstat, then the SDTM missing rule that turns blank text into
   missing cells) against ``pyreadstat.read_xport`` alone and ``pandas.read_sas`` (which
   decodes the IBM zero as 5.4e-79).
2. An SDTM-sized LB: 1,000,000 synthetic rows (seeded; 2,000 subjects x 25 tests x 20
   visits; 1% missing results, blank flags, some blank dates) written once as XPT v5 and as
   Dataset-JSON NDJSON in a temporary directory, then read by trialspec and by
   pyreadstat / pandas.read_sas / json + pandas.

Times are the best of ``REPEATS`` runs; the load average is printed, since timings on a busy
machine are not comparable. Before timing, trialspec's result is compared with pyreadstat's
(the same numbers; blanks missing), so the figures are for the same work.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from benchmarks._common import Timer, table
from trialspec.engine.pandas.missing import mark_missing
from trialspec.engine.pandas.read import read_table

PILOT = Path(__file__).resolve().parents[1] / "examples" / "cdiscpilot01" / "data"
ROWS = 1_000_000
REPEATS = 2
SEED = 20260107


def trialspec_read(path: Path, fmt: str) -> pd.DataFrame:
    return mark_missing(read_table(path, fmt), blank=True)


def plain_xpt(path: Path) -> pd.DataFrame:
    """pyreadstat alone; Windows-1252 since the pilot's ts.xpt is not UTF-8 (ASCII reads alike)."""
    return pyreadstat.read_xport(str(path), encoding="windows-1252")[0]


def synthetic_lb(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    tests = [f"T{i:02d}" for i in range(25)]
    subjects = np.array([f"01-{i // 100:03d}-{i:04d}" for i in range(n // 500)], dtype=object)
    value = np.round(rng.lognormal(3, 1, n), 2)
    value[rng.random(n) < 0.01] = np.nan
    value[rng.random(n) < 0.05] = 0.0
    days = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    dates = days.strftime("%Y-%m-%d").to_numpy(dtype=object)
    dates[rng.random(n) < 0.01] = ""
    return pd.DataFrame({
        "STUDYID": "BENCH01", "DOMAIN": "LB",
        "USUBJID": subjects[np.arange(n) % len(subjects)],
        "LBTESTCD": np.array(tests, dtype=object)[np.arange(n) % len(tests)],
        "LBSTRESN": value,
        "LBSTRESU": np.where(np.isnan(value), "", "mmol/L"),
        "LBBLFL": np.where(rng.random(n) < 0.05, "Y", ""),
        "VISITNUM": (np.arange(n) // 50_000 % 20).astype(float),
        "LBDTC": dates,
    })


def write_ndjson(df: pd.DataFrame, path: Path) -> None:
    kinds = {"LBSTRESN": "double", "VISITNUM": "double"}
    meta = {"datasetJSONCreationDateTime": "2026-01-07T00:00:00", "datasetJSONVersion": "1.1.0",
            "itemGroupOID": "IG.LB", "records": len(df), "name": "LB", "label": "Laboratory",
            "columns": [{"itemOID": f"IT.LB.{c}", "name": c, "label": c, "dataType": kinds.get(c, "string")}
                        for c in df.columns]}
    rows = df.astype(object).where(df.notna(), None).to_numpy().tolist()
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(meta) + "\n")
        f.writelines(json.dumps(r) + "\n" for r in rows)


def plain_ndjson(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8") as f:
        meta = json.loads(f.readline())
        rows = [json.loads(line) for line in f]
    return pd.DataFrame(rows, columns=[c["name"] for c in meta["columns"]])


def same_numbers(ours: pd.DataFrame, theirs: pd.DataFrame, column: str) -> None:
    a, b = ours[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float)
    assert np.array_equal(a, b, equal_nan=True), column


def run(timer: Timer, label: str, fn: object) -> None:
    for _ in range(REPEATS):
        with timer(label):
            fn()  # type: ignore[operator]


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f}")
    timer = Timer()
    pilot = sorted(PILOT.glob("*.xpt"))
    for path in pilot:  # the same numbers as pyreadstat; pandas' zero is not zero
        ours, theirs = trialspec_read(path, "xpt"), plain_xpt(path)
        for column in theirs.select_dtypes("number").columns:
            same_numbers(ours, theirs, column)
    run(timer, f"pilot {len(pilot)} XPT: trialspec", lambda: [trialspec_read(p, "xpt") for p in pilot])
    run(timer, f"pilot {len(pilot)} XPT: pyreadstat", lambda: [plain_xpt(p) for p in pilot])
    run(timer, f"pilot {len(pilot)} XPT: pandas.read_sas",
        lambda: [pd.read_sas(p, format="xport") for p in pilot])
    with tempfile.TemporaryDirectory() as tmp:
        lb = synthetic_lb(ROWS)
        xpt, ndjson = Path(tmp) / "lb.xpt", Path(tmp) / "lb.ndjson"
        pyreadstat.write_xport(lb, str(xpt), table_name="LB", file_format_version=5)
        write_ndjson(lb, ndjson)
        ours = trialspec_read(xpt, "xpt")
        same_numbers(ours, pyreadstat.read_xport(str(xpt))[0], "LBSTRESN")
        assert ours["LBDTC"].isna().sum() == (lb["LBDTC"] == "").sum()
        same_numbers(trialspec_read(ndjson, "dataset-json"), ours, "LBSTRESN")
        size = f"{xpt.stat().st_size / 1e6:.0f} MB"
        run(timer, f"LB 1M rows XPT ({size}): trialspec", lambda: trialspec_read(xpt, "xpt"))
        run(timer, "LB 1M rows XPT: pyreadstat", lambda: pyreadstat.read_xport(str(xpt)))
        run(timer, "LB 1M rows XPT: pandas.read_sas", lambda: pd.read_sas(xpt, format="xport"))
        run(timer, f"LB 1M rows NDJSON ({ndjson.stat().st_size / 1e6:.0f} MB): trialspec",
            lambda: trialspec_read(ndjson, "dataset-json"))
        run(timer, "LB 1M rows NDJSON: json + pandas", lambda: plain_ndjson(ndjson))
    rows = [("reading", "best of 2 (s)")]
    rows += [(name, f"{seconds:.3f}") for name, seconds in timer.best.items()]
    print(table(rows))


if __name__ == "__main__":
    main()
