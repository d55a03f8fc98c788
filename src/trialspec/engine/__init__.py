"""Execution backends for the typed IR (``trialspec.lang.ir``): how a plan is computed.

The declarative side (``domain/``, ``pipeline.py``) never imports a backend module. It asks
this registry for one by name and talks to it through the :class:`Backend` protocol (defined
in the neutral :mod:`trialspec.backend`, re-exported here), so a SQL backend (DuckDB, Spark)
can be added without touching domain code.

Importing this package is cheap: it imports no numpy or pandas. A backend's module is
imported on the first :func:`get_backend` call for its name, so ``lint`` never pays for it.
"""

from __future__ import annotations

import importlib

from trialspec.backend import Backend, EngineError

__all__ = ["Backend", "EngineError", "EngineUnavailable", "backends", "choose_engine", "get_backend",
           "register_backend"]


# name -> "module:attribute" of a Backend instance; imported on first use.
_BACKENDS: dict[str, str] = {"pandas": "trialspec.engine.pandas:BACKEND",
                             "duckdb": "trialspec.engine.duckdb:BACKEND",
                             # needs pyspark and Java: EngineError says how to install them
                             "spark": "trialspec.engine.spark.backend:BACKEND"}
_LOADED: dict[str, Backend] = {}


def register_backend(name: str, target: str) -> None:
    """Register a backend by the import path of its instance: ``"pkg.module:BACKEND"``."""
    if ":" not in target:
        raise ValueError(f"backend target must be 'module:attribute', got {target!r}")
    _BACKENDS[name] = target
    _LOADED.pop(name, None)


def backends() -> list[str]:
    """The names of the registered backends."""
    return sorted(_BACKENDS)


def get_backend(name: str = "pandas") -> Backend:
    """The backend registered as ``name``, importing its module on first use."""
    if name in _LOADED:
        return _LOADED[name]
    try:
        target = _BACKENDS[name]
    except KeyError:
        raise EngineError(f"unknown backend {name!r}; registered: {', '.join(backends())}") from None
    module, _, attr = target.partition(":")
    backend: Backend = getattr(importlib.import_module(module), attr)
    _LOADED[name] = backend
    return backend


from trialspec.engine.choice import EngineUnavailable, choose_engine  # noqa: E402 (uses backends)
