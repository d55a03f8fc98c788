"""Figures drawn from a check's result objects, never recomputed from the data.

Each figure module has ``specs(result) -> (list[Spec], absent)``: the numbers to draw, read
from the sections' summaries (no matplotlib; tests compare them with the JSON report), and
``draw(spec) -> matplotlib Figure``. ``absent`` says, in words, why a study has none.
matplotlib is imported only by ``draw`` and ``render``, so ``lint`` never loads it.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from typing import Any

from trialspec.results import CheckResult

# figure name (as `trialspec plot --figure` takes it) -> module
FIGURES = {
    "consort": "trialspec.figures.consort",
    "km": "trialspec.figures.km",
    "forest": "trialspec.figures.forest",
    "swimmer": "trialspec.figures.swimmer",
    "dosing": "trialspec.figures.dosing_heatmap",
    "waterfall": "trialspec.figures.waterfall",
}


@dataclass(frozen=True)
class Spec:
    """One figure to draw: what, its title and caption, and the numbers it shows."""

    figure: str  # a FIGURES key
    key: str  # unique within the report, e.g. "km-T3"
    title: str
    caption: str
    data: dict[str, Any] = field(default_factory=dict)


def module(name: str) -> Any:
    return importlib.import_module(FIGURES[name])


def specs(result: CheckResult, name: str) -> tuple[list[Spec], str | None]:
    """The figures of one kind this result can give, or why it gives none."""
    found, absent = module(name).specs(result)
    return list(found), (absent if not found else None)


def fingerprint(result: CheckResult) -> str:
    """The provenance line of every caption: protocol and data sha256 (first 12 hex digits;
    the data digest is the sha256 of the datasets' 'name sha256' lines, in manifest order)."""
    m = result.manifest
    lines = "".join(f"{d['name']} {d.get('sha256', '')}\n" for d in m.datasets)
    data = hashlib.sha256(lines.encode()).hexdigest()[:12]
    return f"protocol sha256 {m.protocol_sha256[:12]}, data sha256 {data}, trialspec {m.trialspec_version}"


def analyses(result: CheckResult) -> dict[str, dict[str, Any]]:
    section = result.section("analyses")
    return dict(section.summary.get("analyses", {})) if section is not None else {}


def p_text(p: float | None) -> str:
    """A p-value as a figure prints it: three decimals, or p < 0.001 (never p = 0.000)."""
    if p is None:
        return "p = NA"
    return "p < 0.0001" if p < 1e-4 else "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def caption(result: CheckResult, *parts: str) -> str:
    return " ".join(p.strip() for p in parts if p) + f" [{fingerprint(result)}]"
