"""Findings about a long table's layout that no single cell shows: a declared test code
with no rows at all in the file (FOLATE declared, never measured), which would otherwise
leave every subject unknown without a word."""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic, Severity

SHOW_CODES = 40  # test codes listed in the hint


def absent_tests(ds: Any, tests: np.ndarray, where: Any,
                 at_visit: np.ndarray | None = None) -> list[Diagnostic]:
    """A warning per declared (and collected) test code that no row of the file carries, or
    (``at_visit``: the codes of the rows of the picked visit) none of the picked visit."""
    present = sorted({str(t) for t in tests if t is not None and t != ""})
    have = set(present)
    visit_codes = None if at_visit is None else {str(t) for t in at_visit}
    out = []
    for cname, col in ds.columns.items():
        if not col.test or not getattr(col, "collected", True):
            continue
        if col.test in have:
            if visit_codes is not None and col.test not in visit_codes:
                out.append(Diagnostic(
                    "TS420", f"dataset '{ds.name}': no rows with {ds.long.test} {col.test!r} at visit "
                    f"{ds.pick.visit!r} (for '{cname}'); every subject's {cname} is missing",
                    where.declared.get(cname, ds.span),
                    f"The file has {col.test} rows at other visits; check `pick: {{visit: ...}}` against "
                    f"the file's {ds.long.visit} values.", Severity.WARNING,
                    context=(("dataset", ds.name), ("column", cname))))
            continue
        listed = ", ".join(present[:SHOW_CODES]) + (" ..." if len(present) > SHOW_CODES else "")
        out.append(Diagnostic(
            "TS420", f"dataset '{ds.name}': no rows with {ds.long.test} {col.test!r} (for '{cname}'); "
            f"every subject's {cname} is missing", where.declared.get(cname, ds.span),
            f"Codes in the file: {listed or '(none)'}. Correct the code, or declare the column "
            "`collected: false` if the study did not measure it.", Severity.WARNING,
            context=(("dataset", ds.name), ("column", cname))))
    return out
