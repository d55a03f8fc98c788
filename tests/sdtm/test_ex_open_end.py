"""An SDTM EX row with a start date and a blank end date is read as one day with a warning
(TS512), not dropped: the subject stays treated (t2dm-glucoflozin example, one end blanked)."""

from __future__ import annotations

import shutil
from pathlib import Path

from trialspec.pipeline import check

ROOT = Path(__file__).resolve().parents[2]


def test_blank_end_date_is_one_day_with_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "t2dm-glucoflozin" / "data", data)
    lines = (data / "ex.csv").read_text(encoding="utf-8").splitlines()
    subject = lines[1].split(",")[0]
    first = [i for i, line in enumerate(lines) if line.startswith(subject + ",")]
    # keep only the subject's first row, with its end blanked: one day of dosing
    cells = lines[first[0]].split(",")
    cells[-1] = ""
    kept = [line for i, line in enumerate(lines) if i not in first[1:]]
    kept[first[0]] = ",".join(cells)
    (data / "ex.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    protocol = ROOT / "protocols" / "t2dm-glucoflozin.yaml"
    before = check(protocol, ROOT / "examples" / "t2dm-glucoflozin" / "data")
    after = check(protocol, data)
    found = [d for d in after.all_findings if d.code == "TS512"]
    assert len(found) == 1 and found[0].severity.value == "warning"
    assert subject in found[0].message
    treated = after.section("dosing").summary["subjects"]["treated"]
    assert treated == before.section("dosing").summary["subjects"]["treated"]
    assert "TS523" not in {d.code for d in after.all_findings} - {d.code for d in before.all_findings}
