"""The ``claims`` section of a check: every reported number reproduced, not reproduced, or
inconsistent with the report's other numbers.

    reported: --tie--> records --judge_with_data (per analysis)--> verdicts
                               --FreeChecks (printed values only)--> inconsistencies
              --claims_section--> Section (findings at each claim's own line and column)

``claims_runner`` is the pipeline's entry point (``SECTION_RUNNERS``); it reads the analyses'
results that the analyses runner passed forward. ``run_claims`` computes them itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from trialspec.backend import Backend
from trialspec.check.scope import Scope
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.analyses import analyses_for
from trialspec.domain.analyses_compute import AnalysisResult
from trialspec.domain.analyses_plan import CompiledAnalyses
from trialspec.results import Case, Section, Table

if TYPE_CHECKING:  # the judges are imported when there are claims to judge (judge_claims)
    from trialspec.domain.claims_judge import PairFinding, Record

STATUSES = ("reproduced", "consistent", "not reproduced", "inconsistent", "not checked")
WARNING_CODES = ("TS707", "TS728", "TS730", "TS734")
NOTE_FROM_MESSAGE = ("TS729",)


def run_claims(protocol: Any, frames: Any, backend: Any) -> Section | None:
    """Check every claim of ``reported:`` against the analyses and against each other."""
    if not protocol.reported:
        return None
    compiled, results = analyses_for(protocol, frames, backend)
    return claims_section(protocol, compiled, results)


def claims_runner(compiled: Any, frames: Any, backend: Backend,
                  results: Mapping[str, Any]) -> tuple[Section | None, dict[str, Any]]:
    """The pipeline's runner: the claims judged against the analyses' results passed forward."""
    protocol = compiled.model
    if not protocol.reported:
        return None, {}
    plans, done = results.get("analyses") or (compiled.analyses, {})
    return claims_section(protocol, plans, done), {}


def judge_claims(protocol: Any, compiled: CompiledAnalyses,
                 results: dict[str, AnalysisResult]) -> tuple[list[Record], list[PairFinding]]:
    """Every claim's verdict, and the findings that concern several claims."""
    from trialspec.domain.claims_free import FreeChecks
    from trialspec.domain.claims_judge import Record, judge_with_data, parse, set_verdict, tie

    records = [Record(rt.id, c, ".".join((rt.id, *c.path)))
               for rt in protocol.reported.values() for c in rt.claims]
    aliases = {aid: aid for aid in protocol.analyses}
    for aid, plan in compiled.plans.items():
        for alias in plan.aliases:
            aliases.setdefault(alias, aid)
    tie(records, aliases)
    pairs: list[PairFinding] = []
    groups: dict[str, list[Record]] = {}
    for r in records:
        if r.analysis is not None:
            groups.setdefault(r.analysis, []).append(r)
    for aid, recs in groups.items():
        res = results.get(aid)
        if res is not None:
            pairs += judge_with_data(res, recs)
            continue
        why = "is in error (see the analyses findings)" if aid not in compiled.plans else "did not run"
        for r in recs:
            if parse(r) is not None:
                set_verdict(r, "not checked", None, f"analysis {aid} {why}")
    pairs += FreeChecks(records, compiled).run()
    for r in records:
        if r.analysis is None and r.status == "not checked" and r.code is None:
            close = Scope.suggest(r.label, list(aliases))
            set_verdict(r, "not checked", None, f"{r.label} is tied to no analysis and no check",
                        "TS707", f"Did you mean an analysis `{close}`?" if close else
                        "Name the analysis it reports (its id, or `reported_as:` in its options).")
    return records, pairs


def claims_section(protocol: Any, compiled: CompiledAnalyses,
                   results: dict[str, AnalysisResult]) -> Section:
    records, pairs = judge_claims(protocol, compiled, results)
    findings = [_diagnostic(r) for r in records if r.code is not None and (r.status in
                ("not reproduced", "not checked") or r.code == "TS734")]
    findings += [Diagnostic(p.code, p.message, p.primary.claim.span, p.hint,
                            Severity.WARNING if p.code in WARNING_CODES else Severity.ERROR,
                            tuple((o.label, o.claim.span) for o in p.others), _about(p.primary))
                 for p in pairs]
    tables = []
    for rt in protocol.reported.values():
        rows = tuple((r.label[len(rt.id) + 1:], r.claim.text, r.computed or "", r.status, _note(r))
                     for r in records if r.table == rt.id)
        tables.append(Table(f"Reported {rt.id}", ("claim", "printed", "computed", "verdict", "note"), rows))
    counts = {s: sum(r.status == s for r in records) for s in STATUSES}
    summary = {
        "claims": len(records), "counts": counts,
        "results": [{"claim": r.label, "printed": r.claim.text, "status": r.status,
                     "computed": r.computed, "analysis": r.analysis,
                     "codes": sorted({*([r.code] if r.code else []),
                                      *(p.code for p in pairs if r is p.primary or r in p.others)}),
                     "message": r.message, "inconsistent": list(r.inconsistent)}
                    for r in records],
    }
    cases = [Case(f"claims/{r.label}", r.status in ("reproduced", "consistent"),
                  "; ".join([r.message, *r.inconsistent]) if r.status not in ("reproduced", "consistent")
                  else "") for r in records]
    return Section("claims", "Reported claims", summary, tables, findings, cases)


def _diagnostic(r: Record) -> Diagnostic:
    assert r.code is not None
    severity = Severity.WARNING if r.code in WARNING_CODES else Severity.ERROR
    return Diagnostic(r.code, r.message, r.claim.span, r.hint, severity, (), _about(r))


def _about(r: Record) -> tuple[tuple[str, object], ...]:
    """The structured fields of a claim's finding (Diagnostic.context)."""
    return (("claim", r.label), ("value", r.claim.text),
            *((("analysis", r.analysis),) if r.analysis else ()))


def _note(r: Record) -> str:
    """What the verdict rests on, where the computed value alone does not say it."""
    if r.status == "inconsistent":
        return "; ".join(r.inconsistent)
    if r.status == "not reproduced":
        if r.code in NOTE_FROM_MESSAGE:  # the message says what the printed value is
            return r.message.split(" is ", 1)[-1]
        return r.hint or r.message
    if r.status == "reproduced":
        return ""  # the computed value is the whole story
    return r.message
