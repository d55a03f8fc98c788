"""What a check produces: sections of results, each rendered by ``report/`` without computing.

Every part of ``trialspec check`` (eligibility, dosing, response, analyses, claims) returns a
:class:`Section`: a JSON-ready summary with stable keys, a few display tables, its findings
as diagnostics, one test case per rule for JUnit, and per-subject tables for ``explain``.
Renderers (console, JSON, Markdown, JUnit, SARIF) know only this shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trialspec.diagnostics import Diagnostic


@dataclass(frozen=True)
class Table:
    """A small table to show: a title, column headers, rows of plain values."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str | None = None


@dataclass(frozen=True)
class Case:
    """One rule's verdict, for JUnit: passed, or failed with a message."""

    name: str
    passed: bool
    message: str = ""


@dataclass
class Section:
    """One part of a check's result."""

    name: str
    title: str
    summary: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    explain: Callable[[str], list[Table]] | None = None
    # values this section derived per subject, for later sections to read as a dataset the
    # protocol declares `derived: true`: {dataset: {column: values}}, with the key column
    derived: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    # each subject's results as arrays, never a Python object per subject (eligibility:
    # domain.eligibility.SubjectResults); the summary lists subjects only for small studies
    subjects: Any = None


@dataclass
class Manifest:
    """What was checked: versions and hashes, for the report and for lock files."""

    trialspec_version: str
    protocol_path: str
    protocol_sha256: str
    datasets: list[dict[str, Any]]


@dataclass
class CheckResult:
    """Everything ``trialspec check`` found, in protocol order."""

    manifest: Manifest
    diagnostics: list[Diagnostic]  # protocol and data findings (sections hold their own)
    sections: list[Section]
    sources: dict[str, Any] = field(default_factory=dict)
    # the protocol's `accepted:` entries, and the findings accepted (by them or a baseline),
    # each with its reason: see trialspec.triage, the one place that decides what failed
    acceptances: tuple[Any, ...] = ()
    accepted: dict[Diagnostic, str] = field(default_factory=dict)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def all_findings(self) -> list[Diagnostic]:
        return [*self.diagnostics, *(d for s in self.sections for d in s.findings)]

    @property
    def tagged_findings(self) -> list[tuple[Diagnostic, str | None]]:
        """Every finding with the name of the section that found it (None: protocol and data)."""
        return [(d, None) for d in self.diagnostics] + [(d, s.name) for s in self.sections
                                                        for d in s.findings]
