"""The Spark engine: its session, its connection, its registration, and the shipped examples.

The oracles (engine, dosing, series, conformance) run on Spark through the ``backend``
fixture (tests/conftest.py); this module holds what is Spark's own. Every test here uses
the one Spark session of the test run.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trialspec import engine
from trialspec.backend import EngineError

from .shipped import EXAMPLES, json_report, pandas_report

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_example_reports_the_same_on_spark_as_on_pandas(spark: Any) -> None:
    """The whole JSON report (statuses, attrition, findings, derived values, analyses) of each
    shipped example, byte for byte, on one Spark session."""
    for name in EXAMPLES:
        assert json_report(name, "spark") == pandas_report(name), \
            f"{name}: the Spark report differs from the pandas report"


def test_the_session_has_the_settings_trialspec_relies_on(spark: Any) -> None:
    assert spark.conf.get("spark.sql.ansi.enabled") == "false"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "true"


def test_the_connection_round_trips_arrow_with_null_never_nan(spark: Any) -> None:
    """Bad casts and division by zero are NULL (ANSI off); a column of type null and unsigned
    integers are registered as types Spark reads; views are dropped on close."""
    import pyarrow as pa

    from trialspec.engine.spark.connection import SparkConnection

    conn = SparkConnection()
    conn.register("ts_spark_test", pa.table({
        "_i": pa.array([0, 1, 2], pa.uint32()), "x": [1.0, None, 3.0], "t": ["1.5", "junk", None],
        "none": pa.nulls(3)}))
    got = conn.query("SELECT `_i`, `x` / 0 AS `q`, CAST(`t` AS DOUBLE) AS `c`, `none` "
                     "FROM ts_spark_test ORDER BY `_i`")
    assert got.column("_i").to_pylist() == [0, 1, 2]
    assert got.column("q").to_pylist() == [None, None, None]
    assert got.column("c").to_pylist() == [1.5, None, None]
    assert got.column("none").null_count == 3
    conn.close()
    assert not conn.session.catalog.tableExists("ts_spark_test")


def test_without_pyspark_the_backend_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyspark" else real(name, *a))
    monkeypatch.delitem(sys.modules, "trialspec.engine.spark.backend", raising=False)
    monkeypatch.delitem(engine._LOADED, "spark", raising=False)
    with pytest.raises(EngineError, match=r"Java runtime.*pip install 'trialspec\[spark\]'"):
        engine.get_backend("spark")


def test_importing_the_engine_or_the_spark_backend_starts_no_spark() -> None:
    code = ("import sys, trialspec.engine as e; a = 'pyspark' in sys.modules; "
            "e.get_backend('spark'); print(a, 'pyspark.sql' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_a_handed_over_session_is_left_as_it_was(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's session (on their cluster) runs trialspec in a session of its own, with
    trialspec's settings, and keeps its own settings."""
    from trialspec.engine.spark import session as mod

    monkeypatch.setattr(mod, "_SESSION", mod._SESSION)  # the test run's session comes back after
    user = spark.newSession()
    user.conf.set("spark.sql.ansi.enabled", "true")
    mod.use_session(user)
    mine = mod.spark_session()
    assert mine is not user and mine.sparkContext is user.sparkContext
    assert mine.conf.get("spark.sql.ansi.enabled") == "false"
    assert user.conf.get("spark.sql.ansi.enabled") == "true"


def test_a_stopped_run_takes_the_local_jvm_it_started_with_it() -> None:
    """SIGTERM to a process that started Spark locally: the JVM is killed with it (left to
    notice by itself it went after 0.5 s on an idle machine, and after 30 s and more on a
    busy one, holding 1.4 GB; killed, it is gone in a few hundredths)."""
    import signal
    import time

    script = ("import sys, time\n"
              "from trialspec.engine.spark.session import spark_session\n"
              "s = spark_session()\n"
              "print(s.sparkContext._gateway.proc.pid, flush=True)\n"
              "time.sleep(600)\n")
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                          stderr=subprocess.DEVNULL) as run:
        try:
            assert run.stdout is not None
            jvm = int(run.stdout.readline())
            assert _alive(jvm)
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=30) == -signal.SIGTERM  # ended by the signal, as before
            deadline = time.monotonic() + 1
            while _alive(jvm) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _alive(jvm)
        finally:
            run.kill()


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return False
