"""Failures of a long table's layout that no single cell shows: a declared test code with
no rows at all in the file (FOLATE declared, never measured), which would otherwise leave
every subject unknown without a word (the ``test_present`` and ``test_at_visit`` checks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.engine.binding import Failed, dataset_failure


def absent_tests(ds: Any, tests: np.ndarray, where: Any,
                 at_visit: np.ndarray | None = None) -> list[Failed]:
    """A failure per declared (and collected) test code that no row of the file carries, or
    (``at_visit``: the codes of the rows of the picked visit) none of the picked visit."""
    present = tuple(sorted({str(t) for t in tests if t is not None and t != ""}))
    visit_codes = None if at_visit is None else {str(t) for t in at_visit}
    out: list[Failed] = []
    for cname, col in ds.columns.items():
        if not col.test or not getattr(col, "collected", True):
            continue
        if col.test not in present:
            out += dataset_failure(where.checks.cell(ds.name, cname, "test_present"), where.path, present)
        elif visit_codes is not None and col.test not in visit_codes:
            out += dataset_failure(where.checks.cell(ds.name, cname, "test_at_visit"), where.path)
    return out
