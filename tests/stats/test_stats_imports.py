"""The stats package costs nothing until an analysis needs it (DESIGN.md section 7)."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_importing_the_package_imports_no_numerics() -> None:
    loaded = _modules_after("import trialspec.stats, trialspec.stats.errors")
    assert not loaded & {"numpy", "scipy", "statsmodels", "pandas"}


def test_exact_tests_do_not_import_statsmodels_or_pandas() -> None:
    loaded = _modules_after(
        "from trialspec.stats.tables import fisher_exact; fisher_exact([[3, 1], [1, 3]])")
    assert not loaded & {"statsmodels", "pandas"}
