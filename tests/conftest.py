"""Test-wide settings: property tests are seeded and keep no example database, so every
run (and CI) sees the same examples."""

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, database=None, deadline=None)
settings.load_profile("deterministic")
