"""The shipped examples every engine is held to, and their pandas reports, computed once per
test run: the DuckDB and the Spark differential tests compare against the same reports, so
neither pays for the pandas runs again."""

from __future__ import annotations

from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# every shipped protocol (protocols/*.yaml) and the example folder holding its data
EXAMPLES = {
    "cdiscpilot01": "cdiscpilot01",
    "rchop21": "rchop21",
    "seed-rd-rrmm": "seed",
    "seed-rd-rrmm-amendment-1": "seed",
    "streptomycin-1948": "streptomycin-1948",
    "t2dm-glucoflozin": "t2dm-glucoflozin",
}


def paths(name: str) -> tuple[Path, Path]:
    """The protocol file and the data folder of a shipped example."""
    return ROOT / "protocols" / f"{name}.yaml", ROOT / "examples" / EXAMPLES[name] / "data"


def json_report(name: str, engine: str) -> str:
    """The JSON report of a shipped example checked on ``engine``."""
    from trialspec.pipeline import check
    from trialspec.report.formats import render_check

    return render_check("json", check(*paths(name), backend_name=engine))


@cache
def pandas_report(name: str) -> str:
    """The pandas engine's JSON report of a shipped example, once per test run."""
    return json_report(name, "pandas")
