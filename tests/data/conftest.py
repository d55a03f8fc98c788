"""The `study` fixture: a protocol and a data folder in tmp_path (see datastudy.py), checked by
each registered backend (the ``backend`` fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from datastudy import LABS, PROTOCOL, SUBJECTS, Study

from trialspec.backend import Backend


@pytest.fixture
def study(tmp_path: Path, backend: Backend) -> Study:
    s = Study(tmp_path, backend.name)
    s.data.mkdir()
    s.set_protocol(PROTOCOL)
    s.write("subjects.csv", SUBJECTS)
    s.write("lb.csv", LABS)
    return s
