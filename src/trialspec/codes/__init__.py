"""The registry of diagnostic codes: one table per range, joined here.

Ranges: TS1xx expression syntax, TS2xx protocol document and schema, TS3xx names, types
and units, TS4xx data conformance, TS5xx eligibility and dosing (dosing.py), TS6xx response (response.py),
TS7xx analyses and reported claims, TS8xx reproducibility (lock, verify, diff), TS9xx the
command line: refusals and internal errors (usage.py).
To add a code, add a :class:`Code` row to its range's module; ``trialspec explain CODE``
and ``docs/diagnostics.md`` read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """A stable diagnostic code with the page ``trialspec explain CODE`` prints."""

    code: str
    name: str
    summary: str
    why: str
    example: str
    fix: str


def _table() -> dict[str, Code]:
    from trialspec.codes import data, document, dosing, repro, response, semantic, stats, syntax, usage

    table: dict[str, Code] = {}
    for module in (syntax, document, semantic, data, dosing, response, stats, repro, usage):
        for c in module.CODES:
            if c.code in table:
                raise RuntimeError(f"duplicate diagnostic code {c.code}")
            table[c.code] = c
    return table


CODES: dict[str, Code] = _table()
