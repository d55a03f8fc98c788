"""``check --engine duckdb`` on Parquet data imports no pandas when nothing needs it.

The native DuckDB binder and the SQL engine share with the pandas engine only engine-neutral
modules (``engine/binding.py``, ``files.py``, ``cells.py``, ``limits.py``), and read Arrow
results through their buffers (``trialspec/arrow_numpy.py``), never through pyarrow's
conversions, which import pandas when it is installed. pandas is imported only on the rare
paths that need it (a failing conformance check's table, the fallback to the pandas binder);
the per-subject Parquet of a large study is built from numpy buffers and the ids' Arrow text,
which are never made numpy text (``trialspec.text_ids``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

PROTOCOL = """\
trialspec: 1
study:
  id: NO-PANDAS
datasets:
  subjects:
    source: subjects.parquet
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      stage: {type: category, levels: [I, II, III]}
      consent: {type: date}
      weight: {type: number, unit: kg, unit_column: weight_unit}
      weight_unit: {type: string}
      smoker: {type: boolean}
eligibility:
  inclusion:
    I1:
      text: Adult, consented
      when: age >= 18 and consent is present
    I2:
      text: Stage II or III, at least 50 kg
      when: stage in [II, III] and weight >= 50 kg
  exclusion:
    E1:
      text: Smoker
      when: smoker
"""


def _study(folder: Path, n: int = 40) -> Path:
    table = pa.table({
        "subject_id": [f"S{i:05d}" for i in range(n)],
        "age": [float(15 + i) for i in range(n)],
        "stage": [("I", "II", "III")[i % 3] for i in range(n)],
        "consent": [None if i % 7 == 0 else f"2024-0{1 + i % 9}-1{i % 10}" for i in range(n)],
        "weight": [(40.0 + i) * (1 if i % 2 else 1000) if i % 5 else None for i in range(n)],
        "weight_unit": ["kg" if i % 2 else "g" for i in range(n)],
        "smoker": ["yes" if i % 4 == 0 else "no" for i in range(n)],
    })
    pq.write_table(table, folder / "subjects.parquet")
    protocol = folder / "protocol.yaml"
    protocol.write_text(PROTOCOL, "utf-8")
    return protocol


@pytest.mark.parametrize("n", [40, 10_001])  # 10,001: the subjects go to Parquet beside the report
def test_a_duckdb_check_of_parquet_imports_no_pandas(tmp_path: Path, n: int) -> None:
    protocol = _study(tmp_path, n)
    probe = textwrap.dedent(f"""\
        import sys
        from trialspec import text_ids
        from trialspec.cli import main
        built = []  # the ids made numpy text: nothing a check writes needs it
        numpy = text_ids.TextIds.numpy
        text_ids.TextIds.numpy = lambda self: built.append(len(self)) or numpy(self)
        rc = main(["check", {str(protocol)!r}, "--data", {str(tmp_path)!r}, "--engine", "duckdb",
                   "--format", "json", "--output", {str(tmp_path / "report.json")!r}])
        print(rc, "pandas" in sys.modules, "duckdb" in sys.modules, built, "rich" in sys.modules)
        """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # (nor rich: a JSON report to a file prints nothing styled)
    assert out.stdout.strip().splitlines()[-1] == "0 False True [] False", out.stderr
    report = (tmp_path / "report.json").read_text("utf-8")
    assert '"eligible"' in report and "TS4" not in report  # screened, and the data conform
    beside = tmp_path / "report.subjects.parquet"
    assert beside.exists() is (n > 10_000)
    if n > 10_000:
        assert pq.read_table(beside).column("subject").to_pylist()[:2] == ["S00000", "S00001"]


def test_the_per_subject_parquet_takes_the_arrow_ids_as_they_are() -> None:
    """SubjectResults given the ids as Arrow text (TextIds) writes the same rows as from numpy."""
    import numpy as np
    import pyarrow as pa

    from trialspec.domain.eligibility import SubjectResults
    from trialspec.text_ids import TextIds

    ids = np.array([f"S{i:03d}" for i in range(25)], dtype=np.dtypes.StringDType())
    outcomes = np.asfortranarray(np.tile(np.array([[1, 0], [-1, -2], [1, 1]], dtype=np.int8), (9, 1))[:25])
    status = (np.arange(25) % 3).astype(np.int8)
    missing = (("I1: subjects.age missing", np.array([3, 4, 20])),)
    plain = SubjectResults(ids, ("I1", "E1"), outcomes, status, missing)
    chunks = pa.chunked_array([pa.array(ids[:10].tolist()), pa.array(ids[10:].tolist())])
    given = SubjectResults(TextIds(chunks), ("I1", "E1"), outcomes, status, missing)
    for size in (25, 7):
        a = pa.Table.from_batches(list(plain.arrow_batches(size)))
        b = pa.Table.from_batches(list(given.arrow_batches(size)))
        assert a.equals(b)
    assert a.column("I1").to_pylist()[:3] == ["pass", "unknown", "pass"]
    assert a.column("E1").to_pylist()[:3] == ["fail", "not assessable", "pass"]
