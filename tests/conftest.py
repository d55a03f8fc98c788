"""Test-wide settings: property tests are seeded and keep no example database, so every
run (and CI) sees the same examples; the ``backend`` fixture runs a test on every registered
backend (``trialspec.engine.backends()``), so a new backend is held to every oracle at once."""

import pytest
from hypothesis import settings

from trialspec.backend import Backend
from trialspec.engine import backends, get_backend

settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.load_profile("deterministic")


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each registered backend in turn (test ids ``[pandas]``, ``[duckdb]``...)."""
    return get_backend(request.param)
