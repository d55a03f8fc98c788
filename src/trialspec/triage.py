"""Which findings count: selection (``--select``/``--ignore``), acceptance, and the verdict.

This is the one definition of "failed" that every report and the exit status share:
a check failed when an error finding is left after selection and is not accepted. The
renderers (console, Markdown, JUnit, SARIF, JSON, XLSX/CSV) and ``trialspec check``'s exit
status call :func:`failing` / :func:`failed`, and count with :func:`tally`, so that they
cannot disagree.

Selection removes findings, as ruff's ``--select``/``--ignore`` do, by code or prefix
(``TS5`` is every eligibility and dosing code). Acceptance keeps a finding, marked accepted
with its reason, from the protocol's ``accepted:`` block or a baseline file
(``--write-baseline`` / ``--baseline``). An entry past its expiry accepts nothing and is
itself a finding (TS880); an entry that matches nothing is reported as stale (TS881).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult
from trialspec.source import Span

BASELINE_VERSION = 1
# the structured fields a target may name
TARGET_FIELDS = ("claim", "subject", "dataset", "column", "analysis", "criterion")


@dataclass(frozen=True)
class Entry:
    """One acceptance, from ``accepted:`` or a baseline: a code, a target, a reason, an expiry.

    ``fingerprint`` (baselines only) names one finding exactly; ``target`` names what the
    finding is about. Neither: every finding of the code."""

    code: str
    reason: str
    target: str | None = None
    expires: str | None = None
    fingerprint: str | None = None
    span: Span | None = None
    origin: str = "protocol"


@dataclass(frozen=True)
class Tally:
    """Finding counts, after selection: the numbers every renderer prints."""

    errors: int
    warnings: int
    infos: int
    accepted: int

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos + self.accepted

    def words(self) -> str:
        bits = [_plural(self.errors, "error"), _plural(self.warnings, "warning")]
        if self.infos:
            bits.append(_plural(self.infos, "note"))
        if self.accepted:
            bits.append(f"{self.accepted} accepted")
        return ", ".join(bits)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


# --- the verdict --------------------------------------------------------------------


def accepted_reason(result: CheckResult, d: Diagnostic) -> str | None:
    return result.accepted.get(d)


def failing(result: CheckResult) -> list[Diagnostic]:
    """The findings that fail the check: errors left after selection, not accepted."""
    return [d for d in result.all_findings if d.severity is Severity.ERROR and d not in result.accepted]


def failed(result: CheckResult) -> bool:
    return any(d.severity is Severity.ERROR and d not in result.accepted for d in result.all_findings)


def tally(result: CheckResult) -> Tally:
    """Counts by severity of the findings not accepted, and the accepted ones apart."""
    active = [d for d in result.all_findings if d not in result.accepted]
    return Tally(sum(d.severity is Severity.ERROR for d in active),
                 sum(d.severity is Severity.WARNING for d in active),
                 sum(d.severity is Severity.INFO for d in active),
                 len(result.all_findings) - len(active))


# --- selection ----------------------------------------------------------------------


def select(result: CheckResult, codes: Sequence[str] = (), ignore: Sequence[str] = ()) -> None:
    """Keep the findings whose code starts with a ``select`` prefix (all, if none) and with no
    ``ignore`` prefix; a longer prefix wins, as in ruff (``--select TS5 --ignore TS51``)."""
    if not codes and not ignore:
        return

    def keep(d: Diagnostic) -> bool:
        chosen = max((len(p) for p in codes if d.code.startswith(p.upper())), default=0 if codes else 1)
        dropped = max((len(p) for p in ignore if d.code.startswith(p.upper())), default=0)
        return chosen > dropped

    result.diagnostics[:] = [d for d in result.diagnostics if keep(d)]
    for s in result.sections:
        s.findings[:] = [d for d in s.findings if keep(d)]
    result.accepted = {d: r for d, r in result.accepted.items() if keep(d)}


# --- acceptance ---------------------------------------------------------------------


def fingerprint(d: Diagnostic) -> str:
    """A finding's identity across runs: its code, file and message (not its line, which moves
    when the protocol is edited above it)."""
    path = d.span.path if d.span else ""
    return hashlib.sha256(f"{d.code}\0{path}\0{d.message}".encode()).hexdigest()[:16]


def _targets(d: Diagnostic) -> set[str]:
    out = {str(d.about(k)) for k in TARGET_FIELDS if d.about(k) is not None}
    claim = d.about("claim")
    if claim is not None:  # T2 accepts every claim of table T2; reported.T2.orr is T2.orr
        parts = str(claim).split(".")
        out |= {".".join(parts[:i]) for i in range(1, len(parts))}
    out |= {f"reported.{t}" for t in list(out) if claim is not None}
    if d.span is not None:
        out |= {d.span.path, f"{d.span.path}:{d.span.line}"}
    return out


def _applies(e: Entry, d: Diagnostic) -> bool:
    if e.code != d.code:
        return False
    if e.fingerprint is not None:
        return fingerprint(d) == e.fingerprint
    return e.target is None or e.target in _targets(d)


def accept(result: CheckResult, entries: Iterable[Entry], today: _dt.date | None = None) -> None:
    """Mark the findings each live entry matches as accepted (with its reason); report expired
    entries (TS880) and entries that match nothing (TS881: one per protocol entry, one in all
    for a baseline's) as findings. Findings are indexed by code, and a baseline's by
    fingerprint, so a large baseline costs one pass."""
    today = today or _dt.date.today()
    by_code: dict[str, list[Diagnostic]] = {}
    for d in result.all_findings:
        if d not in result.accepted:
            by_code.setdefault(d.code, []).append(d)
    prints: dict[str, list[Diagnostic]] | None = None
    extra: list[Diagnostic] = []
    stale_baseline, stale_span = 0, None
    for e in entries:
        where = ("baseline entry" if e.origin != "protocol" else "`accepted:` entry") + f" for {e.code}"
        what = f" ({e.target})" if e.target else ""
        last_day = _date(e.expires) if e.expires is not None else None
        if last_day is not None and last_day < today:
            extra.append(Diagnostic(
                "TS880", f"the {where}{what} expired on {e.expires}; its findings count again "
                f"(reason given: {e.reason})", e.span,
                "fix the finding, or renew the acceptance with a later `expires` and a current reason",
                Severity.WARNING, context=(("code", e.code),)))
            continue
        if e.fingerprint is not None:
            if prints is None:
                prints = {}
                for ds in by_code.values():
                    for d in ds:
                        prints.setdefault(fingerprint(d), []).append(d)
            hits = [d for d in prints.get(e.fingerprint, ()) if d.code == e.code]
        else:
            hits = [d for d in by_code.get(e.code, ()) if _applies(e, d)]
        if not hits and e.origin != "protocol":
            stale_baseline, stale_span = stale_baseline + 1, e.span
        elif not hits:
            extra.append(Diagnostic(
                "TS881", f"the {where}{what} matches no finding", e.span,
                "remove the entry, or correct its code and target (a claim, subject, dataset, column, "
                "analysis or criterion, as the finding's fields name it)",
                Severity.WARNING, context=(("code", e.code),)))
        for d in hits:
            result.accepted.setdefault(d, e.reason)
    if stale_baseline:
        entries_match = "entries match" if stale_baseline != 1 else "entry matches"
        extra.append(Diagnostic(
            "TS881", f"{stale_baseline} baseline {entries_match} no finding (fixed since the baseline "
            "was written?)", stale_span,
            "write the baseline again with --write-baseline, so that it holds only today's findings",
            Severity.WARNING))
    result.diagnostics.extend(extra)


def _date(text: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


def protocol_entries(acceptances: Iterable[Any]) -> list[Entry]:
    return [Entry(a.code, a.reason, a.target, a.expires, None, a.span) for a in acceptances]


# --- baselines ----------------------------------------------------------------------


def baseline_text(result: CheckResult) -> str:
    """A baseline accepting every finding of this run that is not accepted already (by the
    protocol's ``accepted:``): the findings of today, to hold new ones against."""
    rows = [{"code": d.code, "fingerprint": fingerprint(d), "where": str(d.span) if d.span else "",
             "message": d.message, "reason": "baseline"}
            for d in sorted(result.all_findings, key=Diagnostic.sort_key) if d not in result.accepted]
    return json.dumps({"trialspec_baseline": BASELINE_VERSION, "findings": rows}, indent=2,
                      ensure_ascii=False) + "\n"


def read_baseline(path: str) -> tuple[list[Entry], list[Diagnostic]]:
    """The entries of a baseline file, or a TS882 finding saying why it cannot be read."""
    span = Span(path, 1, 1, 1, 1)
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
        rows = doc["findings"]
        entries = [Entry(str(r["code"]), str(r.get("reason") or "baseline"), None, r.get("expires"),
                         str(r["fingerprint"]), span, "baseline") for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [], [Diagnostic("TS882", f"the baseline {path} cannot be read: {err}", span,
                               "write it again with `trialspec check ... --write-baseline FILE`")]
    return entries, []
