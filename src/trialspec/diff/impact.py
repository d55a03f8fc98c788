"""The impact of an amendment on data: both protocol versions checked on the same data, and
what moved: subjects whose eligibility status changes (and the criteria that moved them),
per-criterion counts, and every number of the other sections' summaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity, has_errors

STATUS_NAMES = ("eligible", "ineligible", "indeterminate")  # as domain.eligibility names them

# a list of records whose items carry one of these keys is compared item by item, by that key
RECORD_KEYS = ("id", "subject", "subject_id", "name", "drug", "step", "code", "category", "arm",
               "endpoint", "analysis", "table", "path", "level", "group", "label")
# ... and, after those, these narrow a record down when the first key alone is not unique
EXTRA_KEYS = ("cycle", "day", "date", "visit", "time")
COUNTED = ("pass", "fail", "unknown", "remaining", "gain")


@dataclass(frozen=True)
class SubjectMove:
    """A subject whose eligibility status differs between the versions, and why."""

    subject: str
    old: str
    new: str
    criteria: tuple[tuple[str, str, str], ...]  # (criterion, old outcome, new outcome)


@dataclass(frozen=True)
class Moved:
    """One result that differs: where (section, key path) and from what to what."""

    section: str
    key: str
    old: Any
    new: Any

    @property
    def delta(self) -> float | int | None:
        numbers = (int, float)
        if isinstance(self.old, numbers) and isinstance(self.new, numbers) \
                and not isinstance(self.old, bool) and not isinstance(self.new, bool):
            return self.new - self.old
        return None


@dataclass
class Impact:
    """What moves when the new version replaces the old one on the same data."""

    data_dir: str
    screened: tuple[int, int] = (0, 0)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    subjects: list[SubjectMove] = field(default_factory=list)  # status changed
    reasons: list[SubjectMove] = field(default_factory=list)  # outcomes changed, status did not
    criteria: list[Moved] = field(default_factory=list)  # per-criterion counts
    results: list[Moved] = field(default_factory=list)  # other sections' summaries
    compared: list[str] = field(default_factory=list)  # the other sections compared
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def computed(self) -> bool:
        return not has_errors(self.diagnostics)


def measure_impact(old_path: str | Path, new_path: str | Path, data_dir: str | Path) -> Impact:
    """Run both versions on ``data_dir`` (``pipeline.check``) and compare the results."""
    from trialspec.pipeline import check

    impact = Impact(str(data_dir))
    runs = {"old": check(old_path, data_dir), "new": check(new_path, data_dir)}
    for side, path in (("old", old_path), ("new", new_path)):
        result = runs[side]
        if result.section("eligibility") is None:
            errors = [d for d in result.diagnostics if d.severity is Severity.ERROR][:3]
            why = "; ".join(f"{d.code} {d.message}" for d in errors) or "it did not produce results"
            impact.diagnostics.append(Diagnostic(
                "TS860", f"the {side} protocol could not be run on {data_dir}: {why}", None,
                f"Run `trialspec check {path} --data {data_dir}` to see its errors."))
    if not impact.computed:
        return impact
    old, new = runs["old"], runs["new"]
    ea, eb = old.section("eligibility"), new.section("eligibility")
    assert ea is not None and eb is not None  # checked above
    eligibility(impact, _with_subjects(ea), _with_subjects(eb))
    for section in _names(old.sections, new.sections):
        if section == "eligibility":
            continue
        impact.compared.append(section)
        a, b = old.section(section), new.section(section)
        if a is None or b is None:
            impact.results.append(Moved(section, "(section)", "computed" if a else "not computed",
                                        "computed" if b else "not computed"))
            continue
        impact.results += [Moved(section, k, x, y) for k, x, y in compare_summaries(a.summary, b.summary)]
        impact.results += _findings(section, a.findings, b.findings)
    impact.results += _findings("data", old.diagnostics, new.diagnostics)
    return impact


def _findings(section: str, old: list[Diagnostic], new: list[Diagnostic]) -> list[Moved]:
    """Findings per code, where the count moved."""
    a: dict[str, int] = {}
    b: dict[str, int] = {}
    for counts, diags in ((a, old), (b, new)):
        for d in diags:
            counts[d.code] = counts.get(d.code, 0) + 1
    return [Moved(section, f"findings.{code}", a.get(code, 0), b.get(code, 0))
            for code in sorted({*a, *b}) if a.get(code, 0) != b.get(code, 0)]


def _names(a: list[Any], b: list[Any]) -> list[str]:
    names = [s.name for s in a]
    return names + [s.name for s in b if s.name not in names]


def _with_subjects(section: Any) -> Mapping[str, Any]:
    """An eligibility summary with its per-subject lists: a large study's summary leaves them
    out (docs/reports.md), so they are taken from the section's arrays."""
    if "subjects" in section.summary or section.subjects is None:
        return section.summary
    return {**section.summary, "subjects": section.subjects.lists()}


def eligibility(impact: Impact, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Status counts, subjects that move, and per-criterion counts."""
    impact.screened = (old["screened"], new["screened"])
    impact.counts = {s: (old["counts"].get(s, 0), new["counts"].get(s, 0)) for s in STATUS_NAMES}
    from trialspec.domain.eligibility import subject_records

    before = {s["id"]: s for s in subject_records(old["subjects"])}
    after = {s["id"]: s for s in subject_records(new["subjects"])}
    for sid in [*before, *(s for s in after if s not in before)]:
        a, b = before.get(sid), after.get(sid)
        status_a = a["status"] if a else "not screened"
        status_b = b["status"] if b else "not screened"
        oa, ob = (a or {}).get("outcomes", {}), (b or {}).get("outcomes", {})
        moved = tuple((c, oa.get(c, "absent"), ob.get(c, "absent"))
                      for c in [*oa, *(c for c in ob if c not in oa)] if oa.get(c) != ob.get(c))
        if status_a != status_b:
            impact.subjects.append(SubjectMove(sid, status_a, status_b, moved))
        elif moved:
            impact.reasons.append(SubjectMove(sid, status_a, status_b, moved))
    ca = {c["id"]: c for c in old["criteria"]}
    cb = {c["id"]: c for c in new["criteria"]}
    for cid in [*ca, *(c for c in cb if c not in ca)]:
        if cid not in cb or cid not in ca:
            impact.criteria.append(Moved("eligibility", cid, "absent" if cid not in ca else "present",
                                         "absent" if cid not in cb else "present"))
            continue
        impact.criteria += [Moved("eligibility", f"{cid}.{k}", ca[cid][k], cb[cid][k])
                            for k in COUNTED if ca[cid].get(k) != cb[cid].get(k)]


def compare_summaries(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """The values of two JSON-like summaries that differ, as (key path, old, new). Mappings
    are compared key by key; lists of records are matched by their identifying keys (a
    record on one side only is one line); other lists are compared whole."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for k in [*old, *(k for k in new if k not in old)]:
            out += compare_summaries(old.get(k), new.get(k), f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        keys = _record_keys([*old, *new])
        if keys and (matched := _by_key(old, new, keys)) is not None:
            a, b = matched
            out = []
            for k in [*a, *(k for k in b if k not in a)]:
                here = f"{prefix}[{k}]"
                if k not in a or k not in b:
                    out.append((here, _brief(a.get(k)), _brief(b.get(k))))
                else:
                    out += compare_summaries(a[k], b[k], here)
            return out
        if len(old) == len(new) and any(isinstance(v, Mapping | list | tuple) for v in [*old, *new]):
            out = []
            for i, (x, y) in enumerate(zip(old, new, strict=True)):
                out += compare_summaries(x, y, f"{prefix}[{i}]")
            return out
        if any(isinstance(v, Mapping | list | tuple) for v in [*old, *new]):
            return [] if old == new else [(prefix, f"{len(old)} items", f"{len(new)} items")]
        return [] if list(old) == list(new) else [(prefix, list(old), list(new))]
    return [] if old == new else [(prefix, old, new)]


def _record_keys(records: list[Any]) -> tuple[str, ...]:
    """The identifying keys every record has (e.g. ``subject``, ``drug``, ``cycle``)."""
    if not records or not all(isinstance(r, Mapping) for r in records):
        return ()
    return tuple(k for k in (*RECORD_KEYS, *EXTRA_KEYS) if all(k in r for r in records))


def _by_key(old: Any, new: Any, keys: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Both sides' records by their key values, with the first key alone if that is unique on
    both sides, else all of them; None if records still repeat."""
    for used in (keys[:1], keys):
        a, b = ({"/".join(str(r[k]) for k in used): {k: v for k, v in r.items() if k not in used}
                 for r in side} for side in (old, new))
        if len(a) == len(old) and len(b) == len(new):
            return a, b
    return None


def _brief(record: Any) -> str:
    """A record on one side only (its identifying keys are in the path)."""
    if record is None:
        return "absent"
    shown = [f"{k}={v}" for k, v in record.items()][:6]
    return "{" + ", ".join(shown) + (", ..." if len(record) > len(shown) else "") + "}"
