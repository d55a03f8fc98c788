"""Convert the pilot's LB, QS and VS from R data files to CDISC Dataset-JSON v1.1.

The phuse-scripts snapshot that holds the pilot's SDTM XPT files lacks lb.xpt, qs.xpt and
vs.xpt (Git LFS pointers). The R package safetyData ships the same three domains as
`data/sdtm_lb.rda`, `sdtm_qs.rda`, `sdtm_vs.rda` (read from the same PHUSE XPT files). This
one-off script writes them as Dataset-JSON v1.1 so that the example also shows that format:

- `lb.ndjson`: Dataset-JSON NDJSON (first line the metadata, then one JSON array per row);
- `vs.json`: Dataset-JSON (one JSON object with `columns` and `rows`);
- `qs.dsjc`: Compressed Dataset-JSON (zlib stream of the NDJSON form), because QS as text
  would be 25 MB.

Column metadata (label, logical type, length) comes from the pilot's own define.xml.
Character values that R read as NA were blank in SAS; they are written as "" (SDTM's blank),
numeric NA as null. Three character variables that R turned into numbers (QSSTRESC, VSORRES,
VSSTRESC) are written back as the character value a SAS program would give (`64`, `98.6`).

Run (pyreadr is needed only here, not by trialspec):

    pip install pyreadr
    git --git-dir=PATH/SafetyGraphics+safetyData/repo show HEAD:data/sdtm_lb.rda > /tmp/sdtm_lb.rda
    (same for sdtm_qs.rda, sdtm_vs.rda, and define.xml from phuse-scripts data/sdtm/cdiscpilot01)
    python examples/cdiscpilot01/convert.py /tmp examples/cdiscpilot01/data

The output is deterministic: the creation time is fixed to the safetyData commit's date.
"""

from __future__ import annotations

import json
import math
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from typing import Any

import pyreadr

ODM = "{http://www.cdisc.org/ns/odm/v1.2}"
DEF = "{http://www.cdisc.org/ns/def/v1.0}"
CREATED = "2022-04-26T08:58:16"  # safetyData commit afb97162, the source of the .rda files
DOMAINS = {"lb": "ndjson", "vs": "json", "qs": "dsjc"}
LABELS = {"lb": "Laboratory Tests Results", "qs": "Questionnaires", "vs": "Vital Signs"}


def define_items(define: Path) -> dict[str, tuple[str, str, int | None]]:
    """OID -> (label, define DataType, length) from the pilot's define.xml."""
    root = ET.parse(define).getroot()
    items: dict[str, tuple[str, str, int | None]] = {}
    for item in root.iter(f"{ODM}ItemDef"):
        length = item.get("Length")
        items[item.get("OID", "")] = (
            item.get(f"{DEF}Label", ""),
            item.get("DataType", ""),
            int(length) if length else None,
        )
    return items


def as_text(value: Any) -> str:
    """A character cell: blank for R's NA, SAS's BEST. rendering for a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def as_number(value: Any) -> int | float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def convert(domain: str, rda_dir: Path, items: dict[str, tuple[str, str, int | None]]) -> tuple[dict[str, Any], list[list[Any]]]:
    frame = pyreadr.read_r(str(rda_dir / f"sdtm_{domain}.rda"))[f"sdtm_{domain}"]
    columns: list[dict[str, Any]] = []
    converters = []
    for name in frame.columns:
        label, define_type, length = items[f"{domain.upper()}.{name}"]
        if define_type == "text":
            data_type, convert_cell = "string", as_text
        elif define_type in ("date", "datetime"):
            data_type, convert_cell = define_type, as_text
        else:
            numbers = [as_number(v) for v in frame[name].tolist()]
            integral = all(n is None or isinstance(n, int) for n in numbers)
            data_type, convert_cell = ("integer" if integral else "double"), as_number
        column: dict[str, Any] = {
            "itemOID": f"IT.{domain.upper()}.{name}",
            "name": name,
            "label": label,
            "dataType": data_type,
        }
        if data_type == "string" and length:
            column["length"] = length
        if name in ("STUDYID", "USUBJID"):
            column["keySequence"] = 1 if name == "STUDYID" else 2
        columns.append(column)
        converters.append(convert_cell)
    cells = [frame[name].tolist() for name in frame.columns]
    rows = [[conv(col[i]) for conv, col in zip(converters, cells, strict=True)] for i in range(len(frame))]
    metadata = {
        "datasetJSONCreationDateTime": CREATED,
        "datasetJSONVersion": "1.1.0",
        "originator": "trialspec examples/cdiscpilot01/convert.py",
        "sourceSystem": {"name": "safetyData (R package)", "version": "1.0.0"},
        "studyOID": "CDISCPILOT01",
        "metaDataRef": "define.xml (phuse-scripts data/sdtm/cdiscpilot01)",
        "itemGroupOID": f"IG.{domain.upper()}",
        "records": len(rows),
        "name": domain.upper(),
        "label": LABELS[domain],
        "columns": columns,
    }
    return metadata, rows


def ndjson(metadata: dict[str, Any], rows: list[list[Any]]) -> bytes:
    lines = [json.dumps(metadata, separators=(",", ":"))]
    lines.extend(json.dumps(row, separators=(",", ":")) for row in rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(domain: str, form: str, metadata: dict[str, Any], rows: list[list[Any]], out: Path) -> Path:
    target = out / f"{domain}.{form}"
    if form == "json":
        whole = dict(metadata, rows=rows)
        target.write_text(json.dumps(whole, separators=(",", ":")) + "\n", encoding="utf-8")
    elif form == "ndjson":
        target.write_bytes(ndjson(metadata, rows))
    else:
        target.write_bytes(zlib.compress(ndjson(metadata, rows), 9))
    return target


def main(argv: list[str]) -> int:
    rda_dir, out = Path(argv[0]), Path(argv[1])
    items = define_items(rda_dir / "define.xml")
    for domain, form in DOMAINS.items():
        metadata, rows = convert(domain, rda_dir, items)
        target = write(domain, form, metadata, rows, out)
        print(f"{target}: {len(rows)} rows, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
