"""`check` tells a progress callback each stage as it starts."""

from __future__ import annotations

from pathlib import Path

from trialspec.pipeline import check

ROOT = Path(__file__).resolve().parents[2]


def test_check_reports_each_stage_in_order() -> None:
    stages: list[str] = []
    check(ROOT / "protocols" / "seed-rd-rrmm.yaml", ROOT / "examples" / "seed" / "data",
          progress=stages.append)
    assert stages[:3] == ["compiling the protocol", "reading and checking the data", "screening eligibility"]
    assert stages[3:] == ["running treatment", "running response", "running analyses", "running claims"]
