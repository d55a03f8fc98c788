"""Diagnostics: what every checker yields. Rendering lives in ``report.diagnostics`` only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from trialspec.codes import CODES
from trialspec.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding: a stable code, a message, where it is, and what to try."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = Severity.ERROR
    related: tuple[tuple[str, Span], ...] = field(default=())
    # what the finding is about, as structured fields where the checker knows them
    # (subject, dataset, column, row, value, claim, analysis, criterion): read with ``about``
    context: tuple[tuple[str, object], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")
        if not self.hint:  # every finding says what to try: the code's own fix, if none more exact
            object.__setattr__(self, "hint", CODES[self.code].fix)

    @property
    def name(self) -> str:
        return CODES[self.code].name

    def about(self, key: str) -> object:
        """One structured field of :attr:`context` (``"subject"``, ``"claim"``, ...), or None."""
        return next((v for k, v in self.context if k == key), None)

    def sort_key(self) -> tuple[str, int, int, str]:
        s = self.span
        return (s.path, s.line, s.col, self.code) if s else ("", 0, 0, self.code)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diags)


def sorted_unique(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sort by position and drop exact repeats, keeping the first of each."""
    seen: set[Diagnostic] = set()
    out: list[Diagnostic] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


class DiagnosticError(Exception):
    """Carries diagnostics out of a stage that cannot go on; callers render them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("; ".join(f"{d.code} {d.message}" for d in self.diagnostics))


def collect(it: Iterable[Diagnostic]) -> Iterator[Diagnostic]:
    yield from it
