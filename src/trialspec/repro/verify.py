"""Verifying a lock: compare its results with a fresh computation, say what moved and why.

Numbers compare with a relative tolerance (``rtol``, 1e-9 by default); everything else must be
equal. Each input (engine version, protocol, datasets, criteria libraries) is compared by
version or sha256: a changed input is named as a possible cause of every changed result.
The comparison comes back as a report :class:`~trialspec.results.Section` named ``lock``, so
every renderer (console, JSON, Markdown, JUnit, SARIF) shows it without knowing about locks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.repro.canonical import Path as DocPath
from trialspec.repro.lock import LockFile
from trialspec.results import Case, Section, Table

DEFAULT_RTOL = 1e-9
SHOW_CHANGES = 25  # changed values reported one finding each; the rest in one summary finding
# how list items are matched and named (a claim by its label: T2.orr)
ID_KEYS = ("id", "name", "step", "code", "subject", "key", "claim")


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Change:
    """One value that differs: where it is in the lock, a readable name, and both values."""

    path: DocPath  # in the lock document (for an added value: its nearest parent there)
    label: str
    locked: Any
    now: Any


# Sections in the order a check runs them: a change upstream is the likely cause of later ones.
PIPELINE_ORDER = ("eligibility", "dosing", "response", "analyses", "claims")


def _pipeline_rank(c: Change) -> int:
    section = c.path[1] if len(c.path) > 1 and c.path[0] == "results" else ""
    return PIPELINE_ORDER.index(section) if section in PIPELINE_ORDER else len(PIPELINE_ORDER)


def consequence_rank(c: Change) -> tuple[int, int]:
    """Changes by consequence: a claim's verdict first, then a subject's eligibility status, then
    the rest of the claims, then derived values upstream first (a changed status explains what
    follows)."""
    claim_verdict = c.label.startswith("claims.") and c.label.endswith(("].status", ".counts"))
    subject_status = c.label.startswith("eligibility.subjects[") and c.label.endswith("].status")
    tier = 0 if claim_verdict else 1 if subject_status else 2 if c.label.startswith("claims.") else 3
    return tier, _pipeline_rank(c)


_SUBJECT_LABEL = re.compile(
    r"^(?:eligibility\.subjects|dosing\.per_subject|response\.per_subject)\[([^\]]+)\]")


def changed_subjects(changes: list[Change]) -> list[str]:
    """The subjects whose own results changed, in first-seen order."""
    out: dict[str, None] = {}
    for c in changes:
        m = _SUBJECT_LABEL.match(c.label)
        if m:
            out.setdefault(m[1])
    return list(out)


def changed_lines(old: Any, new: Any) -> tuple[list[int], int]:
    """From two ``row_digests`` strings: the file lines (header is line 1) whose text is not in
    the lock, and how many locked lines are gone."""
    if not isinstance(old, str) or not isinstance(new, str):
        return [], 0
    from collections import Counter

    left = Counter(old.split())
    lines = []
    for i, digest in enumerate(new.split()):
        if left[digest] > 0:
            left[digest] -= 1
        else:
            lines.append(i + 2)
    return lines, sum(left.values())


# -- comparing values ------------------------------------------------------------------------

def compare(locked: Any, now: Any, rtol: float, path: DocPath = (), label: str = "") -> Iterator[Change]:
    """Every difference between two canonical documents, in document order."""
    old_rows = _rows_by_id(locked) if isinstance(locked, dict) else None
    new_rows = _rows_by_id(now) if isinstance(now, dict) else None
    if old_rows is not None and new_rows is not None:  # a columnar table: compare row by row
        ids = [*old_rows, *(k for k in new_rows if k not in old_rows)]
        for n, ident in enumerate(ids):
            sub = f"{label}[{ident}]"
            if ident not in new_rows:
                yield Change((*path, "id", n), sub, old_rows[ident], ABSENT)
            elif ident not in old_rows:
                yield Change(path, sub, ABSENT, new_rows[ident])
            else:
                yield from compare(old_rows[ident], new_rows[ident], rtol, (*path, "id", n), sub)
        return
    if isinstance(locked, dict) and isinstance(now, dict):
        for k in sorted(locked.keys() | now.keys()):
            sub = f"{label}.{k}" if label else str(k)
            if k not in now:
                yield Change((*path, k), sub, locked[k], ABSENT)
            elif k not in locked:
                yield Change(path, sub, ABSENT, now[k])
            else:
                yield from compare(locked[k], now[k], rtol, (*path, k), sub)
    elif isinstance(locked, list) and isinstance(now, list):
        key = _identity(locked, now)
        if key is None:
            for i in range(max(len(locked), len(now))):
                sub = f"{label}[{i}]"
                if i >= len(now):
                    yield Change((*path, i), sub, locked[i], ABSENT)
                elif i >= len(locked):
                    yield Change(path, sub, ABSENT, now[i])
                else:
                    yield from compare(locked[i], now[i], rtol, (*path, i), sub)
            return
        old_at = {item[key]: i for i, item in enumerate(locked)}
        new_at = {item[key]: i for i, item in enumerate(now)}
        for ident in [*old_at, *(k for k in new_at if k not in old_at)]:
            sub = f"{label}[{ident}]"
            if ident not in new_at:
                yield Change((*path, old_at[ident]), sub, locked[old_at[ident]], ABSENT)
            elif ident not in old_at:
                yield Change(path, sub, ABSENT, now[new_at[ident]])
            else:
                i = old_at[ident]
                yield from compare(locked[i], now[new_at[ident]], rtol, (*path, i), sub)
    elif not same(locked, now, rtol):
        yield Change(path, label, locked, now)


def _rows_by_id(table: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """A columnar table (an ``id`` list, aligned lists, dicts of aligned lists, dicts keyed
    by id) as one row per id; None for anything else."""
    ids = table.get("id")
    if not (isinstance(ids, list) and ids and all(isinstance(i, str) for i in ids)
            and len(set(ids)) == len(ids)):
        return None
    n, index = len(ids), {ident: i for i, ident in enumerate(ids)}
    rows: dict[str, dict[str, Any]] = {ident: {} for ident in ids}
    for key, value in table.items():
        if key == "id":
            continue
        if isinstance(value, list) and len(value) == n:
            for ident, i in index.items():
                rows[ident][key] = value[i]
        elif isinstance(value, dict) and value and all(isinstance(c, list) and len(c) == n
                                                        for c in value.values()):
            for ident, i in index.items():
                rows[ident][key] = {name: column[i] for name, column in value.items()}
        elif isinstance(value, dict) and set(value) <= set(index):
            for ident, v in value.items():
                rows[ident][key] = v
        else:
            return None
    return rows


def same(a: Any, b: Any, rtol: float) -> bool:
    """Equal values; numbers within ``rtol`` of each other (relative to the larger)."""
    if _number(a) and _number(b):
        if isinstance(a, int) and isinstance(b, int):
            return a == b
        return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)
    return type(a) is type(b) and a == b


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _identity(*lists: list[Any]) -> str | None:
    """The key naming the items of both lists, if every item is an object with a unique such key."""
    items = [x for lst in lists for x in lst]
    if not items or not all(isinstance(x, dict) for x in items):
        return None
    for key in ID_KEYS:
        if all(isinstance(x.get(key), str | int) and not isinstance(x.get(key), bool) for x in items) and all(
                len({x[key] for x in lst}) == len(lst) for lst in lists):
            return key
    return None


def leaves(doc: Any) -> int:
    """How many plain values a document holds."""
    if isinstance(doc, dict):
        return sum(leaves(v) for v in doc.values())
    if isinstance(doc, list):
        return sum(leaves(v) for v in doc)
    return 1


def show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, dict | list):
        n = leaves(value)
        return f"{type(value).__name__.replace('dict', 'object')} of {n} value{'s' * (n != 1)}"
    if isinstance(value, str):
        return repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- inputs: what may explain a change ------------------------------------------------------

@dataclass(frozen=True)
class Input:
    """One input of the computation, as locked and as now."""

    name: str  # "trialspec", "protocol", "dataset subjects", "criteria imwg-2016"
    path: DocPath  # its value in the lock
    locked: Any
    now: Any
    code: str
    severity: Severity
    what: str  # words for the finding

    @property
    def changed(self) -> bool:
        return self.locked != self.now


def inputs(locked: dict[str, Any], now: dict[str, Any]) -> list[Input]:
    was, is_ = locked.get("trialspec_version"), now["trialspec_version"]
    out = [Input("trialspec", ("trialspec_version",), was, is_, "TS804", Severity.WARNING,
                 f"trialspec version changed: {was} -> {is_}"),
           Input("protocol", ("protocol", "sha256"), _get(locked, "protocol", "sha256"),
                 now["protocol"]["sha256"], "TS802", Severity.ERROR,
                 f"protocol {now['protocol']['path']} edited: sha256 "
                 f"{_short(_get(locked, 'protocol', 'sha256'))} -> {_short(now['protocol']['sha256'])}")]
    old_sets, new_sets = _dict(locked.get("datasets")), now["datasets"]
    for name in [*old_sets, *(n for n in new_sets if n not in old_sets)]:
        old, new = _dict(old_sets.get(name)), _dict(new_sets.get(name))
        file = new.get("path") or old.get("path")
        if name not in new_sets:
            what = (f"dataset {name} ({file}) is in the lock but was not read now "
                    f"(the protocol no longer names it, or it could not be read)")
        elif name not in old_sets:
            what = f"dataset {name} ({file}) is read now but is not in the lock"
        else:
            what = (f"dataset {name} ({file}) changed: sha256 {_short(old.get('sha256'))} -> "
                    f"{_short(new.get('sha256'))}, {old.get('rows')} -> {new.get('rows')} rows"
                    + _lines_words(old.get("row_digests"), new.get("row_digests")))
        path: DocPath = ("datasets", name, "sha256") if name in old_sets else ("datasets",)
        out.append(Input(f"dataset {name}", path, old.get("sha256"), new.get("sha256"), "TS803",
                         Severity.ERROR, what))
    old_libs, new_libs = _dict(locked.get("criteria")), now["criteria"]
    for name in [*old_libs, *(n for n in new_libs if n not in old_libs)]:
        path = ("criteria", name) if name in old_libs else ("criteria",)
        was, is_ = old_libs.get(name, ABSENT), new_libs.get(name, ABSENT)
        out.append(Input(f"criteria {name}", path, was, is_, "TS805", Severity.WARNING,
                         f"criteria library {name} changed: {_lib(was)} -> {_lib(is_)}"))
    return out


SHOW_LINES = 10


def _lines_words(old: Any, new: Any) -> str:
    lines, gone = changed_lines(old, new)
    if not lines and not gone:
        return ""
    shown = ", ".join(str(n) for n in lines[:SHOW_LINES]) + (f" and {len(lines) - SHOW_LINES} more"
                                                             if len(lines) > SHOW_LINES else "")
    removed = gone - len(lines)  # a changed line is one new text for one locked text
    return ((f", changed line{'s' * (len(lines) != 1)} {shown}" if lines else "")
            + (f", {removed} line{'s' * (removed != 1)} removed" if removed > 0 else ""))


def dependency_changes(locked: dict[str, Any], now: dict[str, Any]) -> list[str]:
    old, new = _dict(locked.get("dependencies")), _dict(now.get("dependencies"))
    return [f"{n} {old.get(n)} -> {new.get(n)}" for n in sorted(old.keys() | new.keys())
            if old.get(n) != new.get(n)]


def _lib(sha: Any) -> str:
    return "not used" if sha is ABSENT else "not found" if sha is None else f"sha256 {_short(sha)}"


def _short(sha: Any) -> str:
    return sha[:12] if isinstance(sha, str) else str(sha)


def _get(doc: Any, *keys: str) -> Any:
    for k in keys:
        doc = doc.get(k) if isinstance(doc, dict) else None
    return doc


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


# -- the verdict, as a report section ------------------------------------------------------------

def verify(lock: LockFile, now: dict[str, Any] | None, rtol: float = DEFAULT_RTOL, relock: str = "",
           recomputed: bool = True) -> Section:
    """Compare a lock with a fresh lock document.

    ``recomputed`` False: the check stopped before any result (``now`` then holds only the inputs),
    so inputs are compared and no result is verified. ``now`` None: nothing is known (the lock
    itself could not be read).
    """
    relock = relock or "trialspec lock PROTOCOL --data DIR"
    if lock.doc is None or now is None:
        diags = list(lock.diagnostics)
        return Section("lock", f"Lock ({lock.path})", {"lock": lock.path, "verified": False, "rtol": rtol},
                       [], diags, [Case("lock/read", False, diags[0].message if diags else "no lock")])
    locked = lock.doc
    findings: list[Diagnostic] = []
    if not recomputed:
        findings.append(Diagnostic(
            "TS807", "the results could not be recomputed, so none of the locked results is verified",
            lock.span(("results",)), "Run `trialspec check` on the protocol and data to see the errors."))
        checked = [i for i in inputs(locked, now) if i.changed and i.code in ("TS802", "TS804")]
        findings += [Diagnostic(i.code, i.what, lock.span(i.path), f"If intended, re-lock: {relock}",
                                i.severity) for i in checked]
        return Section("lock", f"Lock ({lock.path})", {"lock": lock.path, "verified": False, "rtol": rtol},
                       [], findings, [Case("lock/recompute", False, findings[0].message)])

    checked = inputs(locked, now)
    causes = [i.what for i in checked if i.changed]
    changes = [*compare(_dict(locked.get("results")), now["results"], rtol, ("results",)),
               *compare(_dict(locked.get("findings")), now["findings"], rtol, ("findings",), "findings")]
    changes.sort(key=consequence_rank)  # a claim's verdict first; then upstream before downstream
    subjects = changed_subjects(changes)
    for i in checked:
        if i.changed:
            outcome = f"{len(changes)} result{'s' * (len(changes) != 1)} changed" if changes else \
                "the results still reproduce"
            findings.append(Diagnostic(i.code, f"{i.what}; {outcome}", lock.span(i.path),
                                       f"If intended, re-lock: {relock}", i.severity))
    deps = dependency_changes(locked, now)
    why = [*causes, *([f"dependency versions changed: {', '.join(deps)}"] if deps else [])] or [
        "no input, engine or dependency version changed: the computation may not be deterministic"]
    hint = ("May have changed because: " + "; ".join(why)
            + (f". Subjects whose results changed: {', '.join(subjects)}" if subjects else "")
            + f". If intended, re-lock: {relock}")
    for c in changes[:SHOW_CHANGES]:
        message = f"{c.label}: {show(c.locked)} -> {show(c.now)}{_relative(c, rtol)}"
        findings.append(Diagnostic("TS801", message, lock.span(c.path), hint))
    if len(changes) > SHOW_CHANGES:
        rest = changes[SHOW_CHANGES:]
        message = f"and {len(rest)} more changed results (the JSON report lists all)"
        findings.append(Diagnostic("TS801", message, lock.span(rest[0].path), hint))
    return Section("lock", f"Lock ({lock.path})", _summary(lock, locked, now, rtol, checked, changes, why),
                   _tables(locked, now, checked, changes), findings, _cases(locked, now, checked, changes))


def verdict(section: Section) -> str:
    """One line: verified, or how many values moved."""
    s = section.summary
    if s.get("verified"):
        return f"lock verified: {s.get('values', 0)} values reproduce (rtol {s['rtol']:g})"
    changes = len(s.get("changes", ()))
    inputs = [i["input"] for i in s.get("inputs", ()) if i["changed"]]
    if "values" not in s:
        return "lock not verified: " + (section.findings[0].message if section.findings else "no results")
    return (f"lock drift: {changes} of {s['values']} values changed"
            + (f"; changed inputs: {', '.join(inputs)}" if inputs else ""))


def _relative(c: Change, rtol: float) -> str:
    if not (_number(c.locked) and _number(c.now)) or isinstance(c.locked, int) and isinstance(c.now, int):
        return ""
    scale = max(abs(c.locked), abs(c.now))
    return f" (relative difference {abs(c.locked - c.now) / scale:.2g} > rtol {rtol:g})" if scale else ""


def _summary(lock: LockFile, locked: dict[str, Any], now: dict[str, Any], rtol: float, checked: list[Input],
             changes: list[Change], why: list[str]) -> dict[str, Any]:
    def side(c: Change) -> dict[str, Any]:
        return {"path": c.label, **({} if c.locked is ABSENT else {"locked": c.locked}),
                **({} if c.now is ABSENT else {"now": c.now})}

    errors = bool(changes) or any(i.changed and i.severity is Severity.ERROR for i in checked)
    return {
        "lock": lock.path,
        "verified": not errors,
        "rtol": rtol,
        "results_sha256": {"locked": locked.get("results_sha256"), "now": now["results_sha256"]},
        "values": leaves(now["results"]) + leaves(now["findings"]),
        "inputs": [{"input": i.name, "locked": None if i.locked is ABSENT else i.locked,
                    "now": None if i.now is ABSENT else i.now, "changed": i.changed} for i in checked],
        "changes": [side(c) for c in changes],
        "causes": why if changes else [i.what for i in checked if i.changed],
        "subjects": changed_subjects(changes),
    }


def _tables(locked: dict[str, Any], now: dict[str, Any], checked: list[Input],
            changes: list[Change]) -> list[Table]:
    def short(v: Any) -> str:
        return "(absent)" if v is ABSENT or v is None else _short(v)

    rows = tuple((i.name, short(i.locked), short(i.now), "changed" if i.changed else "same") for i in checked)
    tables = [Table("Inputs", ("input", "locked", "now", "status"), rows,
                    "sha256 shown to 12 hex digits; the lock file has them whole")]
    per = _per_section(locked, now, changes)
    tables.append(Table("Results", ("section", "values", "changed"),
                        tuple((name, n, k) for name, (n, k) in per.items())))
    if changes:
        shown = tuple((c.label, show(c.locked), show(c.now)) for c in changes[:SHOW_CHANGES])
        note = f"and {len(changes) - SHOW_CHANGES} more" if len(changes) > SHOW_CHANGES else None
        tables.append(Table("Changed results", ("value", "locked", "now"), shown, note))
    return tables


def _per_section(locked: dict[str, Any], now: dict[str, Any],
                 changes: list[Change]) -> dict[str, tuple[int, int]]:
    before = _dict(locked.get("results"))
    names = [*before, *(n for n in now["results"] if n not in before)]
    out: dict[str, tuple[int, int]] = {}
    for name in [*names, "findings"]:
        doc = now["findings"] if name == "findings" else now["results"].get(name, {})
        n = leaves(doc) if doc else 0
        k = sum(1 for c in changes if _under(c, name))
        out[name] = (n, k)
    return out


def _under(c: Change, name: str) -> bool:
    return c.label == name or c.label.startswith((f"{name}.", f"{name}["))


def _cases(locked: dict[str, Any], now: dict[str, Any], checked: list[Input],
           changes: list[Change]) -> list[Case]:
    cases = [Case(f"lock/input/{i.name}", not (i.changed and i.severity is Severity.ERROR),
                  i.what if i.changed else "same as locked") for i in checked]
    for name, (n, k) in _per_section(locked, now, changes).items():
        first = next((c for c in changes if _under(c, name)), None)
        message = (f"{k} of {n} values changed; first: {first.label}: "
                   f"{show(first.locked)} -> {show(first.now)}" if first else f"{n} values reproduce")
        cases.append(Case(f"lock/results/{name}", k == 0, message))
    return cases
