"""CDISC Dataset-JSON v1.1: the JSON form (.json), NDJSON (.ndjson) and compressed (.dsjc).

A file holds one dataset: top-level metadata (``datasetJSONVersion``, ``name``, ``records``,
``columns`` as ``[{itemOID, name, label, dataType, ...}]``) and ``rows``, each an array of
cells in column order. NDJSON puts the metadata object on the first line and one row array
per line; DSJC is that NDJSON compressed with zlib. ``null`` is a missing value, ``""`` an
empty string (missing too under the SDTM rule). Numbers arrive as JSON numbers, except
``decimal`` columns, which the standard exchanges as text; they are read as numbers here.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NUMERIC = {"integer", "float", "double", "decimal"}
KNOWN_TYPES = NUMERIC | {"string", "boolean", "datetime", "date", "time", "URI"}


def read_dataset_json(path: Path) -> pd.DataFrame:
    """Read a Dataset-JSON file; raises ``ValueError`` with a readable reason if it cannot."""
    raw = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".dsjc":
        try:
            raw = zlib.decompress(raw)
        except zlib.error as err:
            raise ValueError(f"not a zlib-compressed Dataset-JSON file: {err}") from err
    text = raw.decode("utf-8-sig")
    try:
        if suffix in (".ndjson", ".dsjc"):
            head, _, body = text.partition("\n")
            meta = json.loads(head)
            lines = [line for line in body.split("\n") if line.strip()]
            rows = json.loads("[" + ",".join(lines) + "]")  # one parse, not one per line
        else:
            meta = json.loads(text)
            rows = meta.get("rows", []) if isinstance(meta, dict) else []
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from err
    columns = _columns(meta)
    return _frame(columns, rows, meta.get("records"))


def _columns(meta: Any) -> list[tuple[str, str]]:
    if not isinstance(meta, dict) or "columns" not in meta:
        raise ValueError("not a Dataset-JSON file: no top-level `columns`")
    version = str(meta.get("datasetJSONVersion", ""))
    if not version.startswith("1.1"):
        raise ValueError(f"Dataset-JSON version {version or '(none)'}: trialspec reads version 1.1")
    out = []
    for i, col in enumerate(meta["columns"]):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str):
            raise ValueError(f"column {i + 1} has no `name`")
        kind = str(col.get("dataType", "string"))
        if kind not in KNOWN_TYPES:
            raise ValueError(f"column {col['name']}: unknown dataType {kind!r}")
        out.append((col["name"], kind))
    return out


def _frame(columns: list[tuple[str, str]], rows: Any, records: Any) -> pd.DataFrame:
    if not isinstance(rows, list):
        raise ValueError("`rows` is not an array")
    width = len(columns)
    bad = next((i for i, r in enumerate(rows) if not isinstance(r, list) or len(r) != width), None)
    if bad is not None:
        raise ValueError(f"row {bad + 1} does not have {width} cells, one per column")
    if isinstance(records, int) and records != len(rows):
        raise ValueError(f"`records` says {records} rows, the file has {len(rows)}")
    cells = np.array(rows, dtype=object).reshape(len(rows), width)
    data: dict[str, Any] = {}
    for j, (name, kind) in enumerate(columns):
        column = cells[:, j]
        if kind in NUMERIC:
            data[name] = pd.to_numeric(pd.Series(column, dtype=object), errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
        else:
            data[name] = column
    return pd.DataFrame(data, copy=False)
