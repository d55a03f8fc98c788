"""Lock and verify fixtures: a copy of the seed study in a temporary folder, and the real CLI."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """A copy of the seed study laid out as a study repository: protocols/ and data/."""
    (tmp_path / "protocols").mkdir()
    shutil.copy(ROOT / "protocols" / "seed-rd-rrmm.yaml", tmp_path / "protocols")
    shutil.copytree(ROOT / "examples" / "seed" / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run the real command line: (exit status, standard output and error)."""
    from trialspec.cli import main

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run
