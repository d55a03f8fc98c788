"""The seed study's example data are what examples/seed/generate.py writes, byte for byte:
the committed CSVs cannot drift from the script (and its self-checks) that documents them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "seed"


def test_the_seed_data_regenerate_byte_for_byte(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, cwd=ROOT)
    shipped = sorted(p.name for p in (EXAMPLE / "data").iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == shipped
    for name in shipped:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / "data" / name).read_bytes(), name
