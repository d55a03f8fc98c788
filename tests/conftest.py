"""Test-wide settings: property tests are seeded and keep no example database, so every
run (and CI) sees the same examples; the ``backend`` fixture runs a test on every registered
backend (``trialspec.engine.backends()``), so a new backend is held to every oracle at once.

The SQL engines run every oracle too, Spark on one local session for the whole run (started
on first use and reused: engine/spark/session.py). A query costs DuckDB some tens of
milliseconds and Spark a few tenths of a second whatever it computes, where pandas answers in
microseconds, so a property test runs fewer examples there: at most ``SQL_EXAMPLES[engine]``
(on Spark, the number the test states with ``@pytest.mark.spark_examples(n)``), unshrunk on
Spark; the engine property tests also batch many trees into one query
(tests/engine/test_property.py), on every backend.
"""

from collections.abc import Iterator

import pytest
from hypothesis import Phase, settings

from trialspec.backend import Backend
from trialspec.engine import backends, get_backend

settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.load_profile("deterministic")

# At most this many examples of a property test on a SQL engine (on Spark, unless the test
# states its own with the spark_examples marker); pandas runs each test's own number.
SQL_EXAMPLES = {"duckdb": 30, "spark": 3}

# The test session's Spark settings: test data are a few rows, so one shuffle partition, no
# broadcast joins (each a job of its own), no adaptive re-planning and no generated code
# (compiling Java for each new query costs more than it saves on ten rows). Together they cut
# a small query from ~1.7 s to ~0.35 s here. Results do not depend on them.
SPARK_TEST_SETTINGS = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark_examples(n): the property test runs n examples on Spark")


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each registered backend in turn (test ids ``[pandas]``, ``[duckdb]``, ``[spark]``)."""
    if request.param == "spark":
        spark_test_session()
    return get_backend(request.param)


@pytest.fixture(scope="session")
def spark() -> object:
    """The Spark session of the whole test run (for Spark's own tests)."""
    return spark_test_session()


def spark_test_session() -> object:
    """trialspec's Spark session, with the test settings (started once for the whole run)."""
    from trialspec.engine.spark.session import spark_session

    session = spark_session()
    for key, value in SPARK_TEST_SETTINGS.items():
        session.conf.set(key, value)
    return session


@pytest.fixture(autouse=True)
def _fewer_examples_on_sql(request: pytest.FixtureRequest) -> Iterator[None]:
    """On a SQL engine, a Hypothesis test runs at most ``SQL_EXAMPLES[engine]`` examples (on
    Spark its ``spark_examples``), and on Spark reports a failing example as found, unshrunk."""
    callspec = getattr(request.node, "callspec", None)
    test = getattr(request, "function", None)
    engine = callspec.params.get("backend") if callspec is not None else None
    if engine not in SQL_EXAMPLES or not getattr(test, "is_hypothesis_test", False):
        yield
        return
    marker = request.node.get_closest_marker("spark_examples") if engine == "spark" else None
    wanted = marker.args[0] if marker is not None else SQL_EXAMPLES[engine]
    # Hypothesis reads a test's settings when it is called (the attribute @settings sets)
    own = test._hypothesis_internal_use_settings  # type: ignore[union-attr]
    # and on Spark does not shrink a failure (minutes of queries): the message names the tree
    phases = [p for p in own.phases if p is not Phase.shrink or engine != "spark"]
    test._hypothesis_internal_use_settings = settings(  # type: ignore[union-attr]
        own, max_examples=min(wanted, own.max_examples), phases=phases)
    try:
        yield
    finally:
        test._hypothesis_internal_use_settings = own  # type: ignore[union-attr]
