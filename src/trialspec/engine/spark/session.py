"""The Spark session trialspec runs its SQL on: the user's, or one started once per process.

A user on a cluster hands trialspec their session (:func:`use_session`), or has one active
(``SparkSession.getActiveSession()``), or names where to run in the environment:
``SPARK_REMOTE`` (a Spark Connect server, ``sc://host:port``; pyspark reads it itself) or
``TRIALSPEC_SPARK_MASTER`` (a master URL: ``spark://host:7077``, ``yarn``, ``local[4]``).
With none of these, trialspec starts Spark in local mode on two cores.

trialspec never changes the user's session: it works in ``session.newSession()``, which
shares the cluster and the cached tables but has its own SQL settings and temporary views,
and sets there what its SQL relies on (``SETTINGS``):

- ANSI mode off. Spark 4 turns it on by default, and then a cast that fails (``'1O'`` as a
  number) or a division by zero raises and stops the whole query. trialspec's rule is that a
  bad value is a missing value (docs/engine.md), which is what ANSI-off Spark does: NULL,
  as DuckDB's ``TRY_CAST`` and pandas' ``to_numeric(errors="coerce")`` do. Numbers are
  doubles, so the wrap-around ANSI-off allows on integer overflow does not arise.
- the session time zone UTC: dates are calendar days, never shifted by the driver's zone.
- Arrow on: tables go to Spark and come back as Arrow record batches, not Python rows.

Starting a local session costs seconds (a JVM; docs/engine.md, "Spark", gives the figure),
so it is started once per process and reused; importing this module imports no pyspark.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trialspec.backend import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["INSTALL_HINT", "SETTINGS", "spark_session", "use_session"]

INSTALL_HINT = ("the Spark engine needs pyspark and a Java runtime (17 or later): "
                "pip install 'trialspec[spark]', and e.g. apt-get install default-jre-headless")

# SQL settings of trialspec's own session (the module docstring says why each).
SETTINGS = {
    "spark.sql.ansi.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}

# Only for a session trialspec starts itself in local mode: a cluster's own configuration
# decides these for a session the user hands over.
LOCAL_MASTER = "local[2]"
_LOCAL_CONFIG = {
    "spark.app.name": "trialspec",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # a few small tables per protocol: Spark's default of 200 shuffle partitions is 200 tasks
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}
_LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
_LOCAL_JAVA = (
    f"-Dlog4j2.configurationFile={_LOG_CONFIG.as_uri()}",
    # the JVM's quick compiler only: a local run is short, and compiling hot code a second
    # time for peak speed (C2) took the two cores from the run; measured here, start-up went
    # from 32 s to 20 s and a warm query from ~6 s to ~1.5 s (docs/engine.md, "Spark")
    "-XX:TieredStopAtLevel=1",
)

_LOCK = threading.Lock()
_SESSION: SparkSession | None = None


def use_session(session: SparkSession | None) -> None:
    """Run trialspec's Spark work on ``session``'s cluster (None: forget it, start afresh)."""
    global _SESSION
    with _LOCK:
        _SESSION = None if session is None else _own(session)


def spark_session() -> SparkSession:
    """trialspec's Spark session: the one handed over, the active one, or one started here."""
    global _SESSION
    with _LOCK:
        if _SESSION is None or _stopped(_SESSION):
            _SESSION = _own(_existing() or _start())
        return _SESSION


def _own(session: SparkSession) -> SparkSession:
    """A session on ``session``'s cluster with trialspec's SQL settings, leaving it as it was."""
    mine = session.newSession()
    for key, value in SETTINGS.items():
        mine.conf.set(key, value)
    return mine


def _existing() -> SparkSession | None:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(INSTALL_HINT) from None
    return SparkSession.getActiveSession()


def _start() -> SparkSession:
    """Start a session: Spark Connect at ``SPARK_REMOTE``, else a master URL (local by default)."""
    from pyspark.errors import PySparkException
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if "SPARK_REMOTE" not in os.environ:
        master = os.environ.get("TRIALSPEC_SPARK_MASTER", LOCAL_MASTER)
        builder = builder.master(master)
        if master.startswith("local"):
            _local_environment()
            for key, value in _LOCAL_CONFIG.items():
                builder = builder.config(key, value)
            builder = builder.config("spark.driver.extraJavaOptions", " ".join(_LOCAL_JAVA))
    try:
        session = builder.getOrCreate()
    except PySparkException as exc:
        raise EngineError(f"could not start Spark ({exc}); {INSTALL_HINT}") from None
    _ends_with_this_process(session)
    return session


def _ends_with_this_process(session: SparkSession) -> None:
    """Stop the JVM this process started when the process is told to stop (SIGTERM): by
    default Python dies at once, and the JVM (1.4 GB) went on for 30 s or more, until it
    noticed. The handler kills it, then lets the signal end the process as it would have."""
    import signal

    proc = getattr(getattr(session.sparkContext, "_gateway", None), "proc", None)
    if proc is None or threading.current_thread() is not threading.main_thread():
        return  # (not a JVM of ours, or no signals here: only the main thread sets handlers)
    before = signal.getsignal(signal.SIGTERM)

    def stop(signum: int, frame: Any) -> None:
        proc.kill()
        signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)


def _local_environment() -> None:
    """What a local JVM and its Python workers need, unless the user set it already."""
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise EngineError(f"no Java runtime found (no JAVA_HOME, no java on PATH); {INSTALL_HINT}")
    # the driver binds to the loopback address instead of guessing the host's (and warning)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (per-subject batches) run this interpreter, with trialspec importable
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def _stopped(session: Any) -> bool:
    """Whether the session's SparkContext was stopped (by the user) since it was handed over."""
    context = getattr(session, "_sc", None)
    return context is not None and getattr(context, "_jsc", None) is None
