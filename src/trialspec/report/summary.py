"""What every report says first: the verdict, the claims tally, the top causes, one line per section.

Counting lives here and in :mod:`trialspec.triage` only, so the console, Markdown, JUnit,
SARIF and the spreadsheets print the same numbers. Findings are grouped by root cause (their
code: one code is one cause, e.g. TS711 "a printed number the data do not give"), and the
groups are ordered by level: the protocol's and the paper's own problems before the data's,
and those before per-subject deviations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult, Section
from trialspec.triage import failed, tally

# level of a finding by the section that produced it (None: the protocol and data stage)
LEVEL_OF_SECTION = {"claims": "paper", "analyses": "paper", "response": "subjects",
                    "dosing": "subjects", "eligibility": "subjects", "lock": "protocol"}
LEVELS = ("protocol", "paper", "data", "subjects")
LEVEL_TITLES = {"protocol": "Protocol", "paper": "Paper and analyses", "data": "Data",
                "subjects": "Subjects"}
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Group:
    """The findings of one code (one root cause) at one level."""

    code: str
    name: str
    cause: str  # the code's summary, in plain words
    level: str
    severity: Severity
    findings: tuple[Diagnostic, ...]
    accepted: int  # how many of them are accepted

    @property
    def count(self) -> int:
        return len(self.findings)


def level(d: Diagnostic, section: str | None) -> str:
    if section is not None:
        return LEVEL_OF_SECTION.get(section, "paper")
    return "data" if d.code.startswith("TS4") else "protocol"


def groups(result: CheckResult) -> list[Group]:
    """Findings grouped by code, ordered: level, then failing before accepted, severity,
    and the most frequent first."""
    from trialspec.codes import CODES

    by: dict[tuple[str, str], list[Diagnostic]] = {}
    for d, section in result.tagged_findings:
        by.setdefault((level(d, section), d.code), []).append(d)
    out = []
    for (lvl, code), ds in by.items():
        c = CODES[code]
        worst = min((d.severity for d in ds), key=SEVERITY_ORDER.__getitem__)
        out.append(Group(code, c.name, _first_sentence(c.summary), lvl, worst,
                         tuple(ds),  # in the order the checker gave them (verify: by consequence)
                         sum(d in result.accepted for d in ds)))
    return sorted(out, key=lambda g: (LEVELS.index(g.level), g.accepted == g.count,
                                      SEVERITY_ORDER[g.severity], -g.count, g.code))


_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z`])")


def _first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text, maxsplit=1)[0].rstrip(".")


# --- the summary lines --------------------------------------------------------------


def verdict(result: CheckResult) -> str:
    return "FAILED" if failed(result) else "PASSED"


def verdict_line(result: CheckResult) -> str:
    return f"{verdict(result)}: {tally(result).words()}"


def claims_line(result: CheckResult) -> str | None:
    s = result.section("claims")
    if s is None:
        return None
    c = s.summary["counts"]
    bits = [f"{c[k]} {k}" for k in ("reproduced", "consistent", "not reproduced", "inconsistent",
                                      "not checked") if c.get(k)]
    return f"Claims: {s.summary['claims']} checked: " + (", ".join(bits) or "none")


def cause_lines(result: CheckResult, top: int = 3) -> list[str]:
    """The most frequent failing causes, in plain words with their counts."""
    failing = [g for g in groups(result) if g.severity is Severity.ERROR and g.accepted < g.count]
    failing.sort(key=lambda g: (-(g.count - g.accepted), g.code))
    return [f"{g.count - g.accepted} × {g.code} {g.name}: {g.cause}" for g in failing[:top]]


def _eligibility(s: Section) -> str:
    c = s.summary["counts"]
    return (f"{s.summary['screened']} screened: {c['eligible']} eligible, {c['ineligible']} ineligible, "
            f"{c['indeterminate']} indeterminate")


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _dosing(s: Section) -> str:
    sm = s.summary
    if not sm.get("computed"):
        return "not computed (see the findings)"
    subj = sm.get("subjects", {})
    devs = sm.get("deviations", {})
    events = sum(v.get("events", 0) for v in devs.values())
    kinds = sum(1 for v in devs.values() if v.get("events"))
    head = (f"{_n(subj.get('treated', '?'))} treated, {_n(subj.get('cycles', '?'))} cycles, "
            f"{sm.get('administrations', 0):,} administrations")
    # events, not findings: one finding (a dose off-level for 21 days) can hold many events
    return head + (f"; {events:,} deviation event{'s' * (events != 1)} of {kinds} kind{'s' * (kinds != 1)}"
                   if events else "; no deviations")


def _response(s: Section) -> str:
    sm = s.summary
    orr = sm.get("orr") or {}
    best = sm.get("best_response") or {}
    bits = [f"{sm.get('subjects', '?')} subjects"]
    if orr:
        bits.append(f"ORR {orr.get('responders')}/{orr.get('subjects')} ({orr.get('percent')}%)")
    if best:
        bits.append("best " + " ".join(f"{k} {v}" for k, v in best.items() if v))
    if "progressed" in sm:
        bits.append(f"{sm['progressed']} progressed")
    return ", ".join(bits)


def _analyses(s: Section) -> str:
    sm = s.summary
    errors = sum(d.severity is Severity.ERROR for d in s.findings)
    return f"{sm.get('ran', 0)} of {sm.get('planned', 0)} ran" + (f"; {errors} in error" if errors else "")


SECTION_LINES: dict[str, Callable[[Section], str]] = {
    "eligibility": _eligibility, "dosing": _dosing, "response": _response, "analyses": _analyses,
}


def section_lines(result: CheckResult) -> list[str]:
    out = []
    for s in result.sections:
        line = SECTION_LINES.get(s.name)
        if line is not None:
            try:
                out.append(f"{s.title}: {line(s)}")
            except (KeyError, TypeError, AttributeError):  # a summary of another shape
                out.append(f"{s.title}: {len(s.findings)} findings")
    return out


def summary_lines(result: CheckResult, top: int = 3) -> list[str]:
    """The summary, at most ``4 + top + len(sections)`` lines: verdict, claims, causes, sections."""
    out = [verdict_line(result)]
    claims = claims_line(result)
    if claims:
        out.append(claims)
    causes = cause_lines(result, top)
    if causes:
        out.append("Top causes: " + causes[0])
        out += ["            " + c for c in causes[1:]]
    out += section_lines(result)
    return out


def summary_line(result: CheckResult) -> str:
    """One line (the Markdown headline, the old console footer)."""
    bits = [tally(result).words()]
    claims = claims_line(result)
    if claims:
        bits.append(claims[0].lower() + claims[1:])
    elig = result.section("eligibility")
    if elig is not None:
        bits.append(_eligibility(elig))
    return "; ".join(bits)


def as_dict(result: CheckResult) -> dict[str, Any]:
    """The summary as data (JSON report, spreadsheets)."""
    t = tally(result)
    return {"verdict": verdict(result).lower(), "errors": t.errors, "warnings": t.warnings,
            "notes": t.infos, "accepted": t.accepted, "lines": summary_lines(result)}
