"""Which engine runs a check: ``--engine pandas|duckdb|spark|auto`` and ``run(engine=)``.

Deciding imports no engine (``importlib.util.find_spec`` only asks whether one is installed)
and reads no data (file sizes only), so a bad choice is refused before any work is done.

``auto`` picks **duckdb** when the data are large: the data files total at least
``AUTO_BYTES`` (256 MiB), or at least ``AUTO_RAM_FRACTION`` (a tenth) of the machine's
physical memory, whichever is smaller, and DuckDB is installed; in-memory tables count by
their pandas memory usage. Otherwise it picks **pandas**, which starts fastest on small data.
It never picks spark: running on a cluster is a choice made on purpose.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trialspec.backend import EngineError

ENGINES = ("pandas", "duckdb", "spark", "auto")
AUTO_BYTES = 256 * 1024 * 1024
AUTO_RAM_FRACTION = 0.1
# the module an engine needs, and how to install it
REQUIRES: dict[str, tuple[str, str]] = {
    "duckdb": ("duckdb", "pip install duckdb"),
    "spark": ("pyspark", "pip install 'trialspec[spark]' (and a Java runtime)"),
}


class EngineUnavailable(EngineError, ValueError):
    """The engine asked for is unknown or not installed; the message says what to do."""


def choose_engine(name: str, data_dir: str | Path | None = None,
                  tables: Mapping[str, Any] | None = None) -> str:
    """The registered backend to run on for ``name`` (``auto`` decided from the data's size)."""
    from trialspec.engine import backends

    if name == "auto":
        return "duckdb" if large(data_dir, tables) and installed("duckdb") else "pandas"
    if name not in ENGINES and name not in backends():
        raise EngineUnavailable(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name not in backends():
        usable = ", ".join(e for e in ENGINES if e == "auto" or e in backends())
        raise EngineUnavailable(f"the {name} engine is not available in this installation; "
                                f"choose one of {usable}")
    if not installed(name):
        module, how = REQUIRES[name]
        raise EngineUnavailable(f"the {name} engine needs the Python package {module!r}, which is "
                                f"not installed: {how}; or choose another with --engine")
    return name


def installed(name: str) -> bool:
    """Whether the modules engine ``name`` needs can be imported (without importing them)."""
    need = REQUIRES.get(name)
    return need is None or importlib.util.find_spec(need[0]) is not None


def threshold() -> int:
    """The bytes of data from which ``auto`` picks duckdb."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return AUTO_BYTES
    return int(min(AUTO_BYTES, ram * AUTO_RAM_FRACTION))


def large(data_dir: str | Path | None, tables: Mapping[str, Any] | None) -> bool:
    """Whether the data reach :func:`threshold`: the files of the folder (recursively), or the
    in-memory tables' memory."""
    limit = threshold()
    total = 0
    if data_dir is not None:
        for root, _dirs, files in os.walk(data_dir):
            for f in files:
                try:
                    total += os.stat(os.path.join(root, f)).st_size
                except OSError:
                    continue
                if total >= limit:
                    return True
    for table in (tables or {}).values():
        usage = getattr(table, "memory_usage", None)
        if usage is not None:
            total += int(usage(index=False, deep=False).sum())
        if total >= limit:
            return True
    return total >= limit
