"""The `study` fixture: a protocol and a data folder in tmp_path (see datastudy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from datastudy import LABS, PROTOCOL, SUBJECTS, Study


@pytest.fixture
def study(tmp_path: Path) -> Study:
    s = Study(tmp_path)
    s.data.mkdir()
    s.set_protocol(PROTOCOL)
    s.write("subjects.csv", SUBJECTS)
    s.write("lb.csv", LABS)
    return s
