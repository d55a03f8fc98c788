"""Fixtures for the figure and HTML report tests: the seed and diabetes examples checked once,
their JSON reports, and their HTML reports written by the real command line."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "stats"))  # rref: the R reference files

EXAMPLES = {
    "seed": (ROOT / "protocols" / "seed-rd-rrmm.yaml", ROOT / "examples" / "seed" / "data"),
    "t2dm": (ROOT / "protocols" / "t2dm-glucoflozin.yaml", ROOT / "examples" / "t2dm-glucoflozin" / "data"),
}


@pytest.fixture(scope="session", params=sorted(EXAMPLES))
def example(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def checked() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Each example's CheckResult and its JSON report, computed once."""
    from trialspec.pipeline import check
    from trialspec.report.formats import check_json

    out = {}
    for name, (protocol, data) in EXAMPLES.items():
        result = check(protocol, data)
        out[name] = (result, json.loads(check_json(result)))
    return out


@pytest.fixture(scope="session")
def html_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example's HTML report, written by `trialspec check --format html --output`."""
    from trialspec.cli import main

    folder = tmp_path_factory.mktemp("html")
    out = {}
    for name, (protocol, data) in EXAMPLES.items():
        path = folder / f"{name}.html"
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["check", str(protocol), "--data", str(data), "--format", "html",
                           "--output", str(path)])
        assert status in (0, 1)
        out[name] = path
    return out
