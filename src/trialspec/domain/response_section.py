"""The ``response`` section of a check: summary, tables, findings, JUnit cases, explain.

Findings are the impossible sequences and the assessments that could not be judged
(TS620-TS628); each is located at the assessment's line in its data file when the file is
CSV, else at the protocol's ``response:`` key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.response_compile import ResponsePlan
from trialspec.domain.response_derive import NE, ROW_ASSESSED, ROW_NO_DATE, ROW_WORDS, Derived
from trialspec.results import Case, Section, Table
from trialspec.source import Span

SHOW = 5  # findings shown per code; the rest are counted in one more


def _name(plan: ResponsePlan, index: int) -> str:
    return "NE" if index < 0 else plan.names[index]


def _date(d: Any) -> str | None:
    return None if np.isnat(d) else str(d)


def _pct(n: int, of: int) -> float | None:
    return round(100.0 * n / of, 2) if of else None


class _Findings:
    """Collects findings per code, showing the first few and counting the rest."""

    def __init__(self, plan: ResponsePlan, table: dict[str, Any]):
        self.plan = plan
        self.rows = np.asarray(table["row"])
        self.lines = np.asarray(table["line"]) if "line" in table else self.rows + 1
        self.path = table.get("path")
        self.subjects = table["subjects"]
        self.subject = np.asarray(table["subject"])
        self.time = np.asarray(table["time"])
        self.out: list[Diagnostic] = []
        self.counts: dict[str, int] = {}

    def span(self, row: int | None) -> Span:
        source = self.plan.dataset_source
        if row is None or not source or not source.lower().endswith(".csv"):
            return self.plan.span
        line = int(self.lines[row])  # the file line: the header is line 1, blank lines skipped
        return Span(self.path or source, line, 1, line, 2)

    def add(self, code: str, rows: np.ndarray, message: Callable[[int], str], hint: str,
            severity: Severity, per_subject: bool = False) -> None:
        rows = np.asarray(rows)
        self.counts[code] = int(len(rows))
        for r in rows[:SHOW]:
            row = None if per_subject else int(r)
            self.out.append(Diagnostic(code, message(int(r)), self.span(row), hint, severity, (),
                                       self.about(int(r), per_subject)))
        if len(rows) > SHOW:
            what = "subjects" if per_subject else "assessments"
            more = f"{len(rows) - SHOW:,} more {what} like these ({len(rows):,} in all)"
            self.out.append(Diagnostic(code, more, self.plan.span, hint, severity))

    def about(self, r: int, per_subject: bool) -> tuple[tuple[str, object], ...]:
        """A finding's structured fields (Diagnostic.context): its subject, and its data row."""
        subject = self.subjects[r] if per_subject else self.subjects[self.subject[r]]
        fields: tuple[tuple[str, object], ...] = (("subject", subject.item() if hasattr(subject, "item")
                                                   else subject),)
        if not per_subject:
            fields += (("row", int(self.lines[r])),)
        return fields

    def who(self, row: int) -> str:
        return f"{self.subjects[self.subject[row]]} on {self.time[row]}"


def findings(plan: ResponsePlan, table: dict[str, Any], d: Derived) -> _Findings:
    """Every data finding of the derivation (TS620-TS628)."""
    f = _Findings(plan, table)
    names = plan.names
    values = table["values"]
    cat = d.category
    subjects = table["subjects"]
    responses = np.array([names.index(c) for c in plan.confirmation.categories], dtype=np.int64)
    is_response = np.isin(cat, responses)

    no_base = np.flatnonzero((d.n_rows > 0) & ~d.has_baseline)
    f.add("TS620", no_base, lambda s: f"{subjects[s]}: no assessment qualifies as baseline (baseline_when); "
          "response not evaluable", "Check the assessment dates and the first dose date.", Severity.WARNING,
          per_subject=True)
    f.add("TS622", np.flatnonzero(d.status == ROW_NO_DATE),
          lambda r: f"{subjects[f.subject[r]]}: an assessment without a date is not used",
          "Fill in the date.", Severity.WARNING)
    partial = table.get("partial")
    if partial is not None:
        f.add("TS628", np.flatnonzero(partial & (d.status != ROW_NO_DATE)),
              lambda r: f"{subjects[f.subject[r]]}: an assessment dated only to the month or year is "
              f"placed on its first day, {f.time[r]}",
              "Complete the date; response dates and durations depend on it.", Severity.WARNING)
    for i, c in enumerate(plan.categories):
        req = values.get(f"requires:{c.name}")
        if req is None:
            continue
        bad = np.flatnonzero((cat == i) & (req != 1))
        def unmet(r: int, c: Any = c) -> str:
            return f"{f.who(r)}: {c.name} without {c.requires_text or 'its requirement'}"

        f.add("TS623", bad, unmet,
              f"{c.name} requires {c.requires_text or 'it'}; check the rule that gave it and the data.",
              Severity.ERROR)
    first_dose = np.asarray(values.get("first_dose", np.full(len(cat), np.datetime64("NaT", "D"))),
                            "datetime64[D]")
    early = np.flatnonzero(is_response & (table["time"] <= first_dose))
    f.add("TS624", early, lambda r: f"{f.who(r)}: {_name(plan, cat[r])} on or before the first dose "
          f"({first_dose[r]})", "Check the dates and the `baseline_when` parameter.", Severity.ERROR)
    late = np.flatnonzero(is_response & d.after_progression)
    f.add("TS625", late, lambda r: f"{f.who(r)}: {_name(plan, cat[r])} after progression "
          f"({d.progression[f.subject[r]]}) is not counted",
          "Check the progression and the later assessments.", Severity.WARNING)
    censored = np.flatnonzero(d.n_censored > 0)
    f.add("TS626", censored,
          lambda s: f"{subjects[s]}: {d.n_censored[s]} assessment(s) on or after the start of new "
          "therapy not used", "None needed.", Severity.INFO, per_subject=True)
    unconfirmed = np.flatnonzero(~np.isnat(d.progression) & ~d.progression_confirmed)
    f.add("TS627", unconfirmed, lambda s: f"{subjects[s]}: progression on {d.progression[s]} rests on one PD "
          "assessment at the end of follow-up", "Look for a confirming assessment.", Severity.INFO,
          per_subject=True)
    none = np.flatnonzero((d.has_baseline & (d.n_assessed == 0)) | (d.n_rows == 0))
    f.add("TS621", none, lambda s: f"{subjects[s]}: no evaluable assessment after baseline; best response NE",
          "Expected for early drop-outs.", Severity.INFO, per_subject=True)
    return f


def response_section(plan: ResponsePlan, table: dict[str, Any], d: Derived,
                     explain_values: Callable[[], dict[str, Any]] | None = None) -> Section:
    """The response section of a check report; ``explain_values`` gives the per-assessment
    values explain shows (``table``'s own when None)."""
    names = (*plan.names, "NE")
    subjects = table["subjects"]
    n = len(subjects)
    best = np.where(d.best >= 0, d.best, len(plan.names))
    counts = np.bincount(best, minlength=len(names))
    distribution = {name: int(c) for name, c in zip(names, counts, strict=True)}
    rates: dict[str, dict[str, Any]] = {}
    for rate, cats in plan.responders.items():
        k = int(sum(distribution[c] for c in cats))
        rates[rate] = {"categories": list(cats), "responders": k, "subjects": n, "percent": _pct(k, n)}
    f = findings(plan, table, d)
    dor, censored = d.dor_days, d.dor_censored
    per_subject = []
    for i in range(n):
        b, u = int(d.best[i]), int(d.best_unconfirmed[i])
        per_subject.append({
            "id": str(subjects[i]), "best_response": _name(plan, b), "best_unconfirmed": _name(plan, u),
            "confirmed": None if b == NE else bool(b == u),
            "response_date": _date(d.first_response[i]), "progression_date": _date(d.progression[i]),
            "progression_confirmed": None if np.isnat(d.progression[i]) else bool(d.progression_confirmed[i]),
            "duration_of_response_days": None if np.isnan(dor[i]) else int(dor[i]),
            "duration_censored": bool(censored[i]) if not np.isnan(dor[i]) else None,
        })
    summary: dict[str, Any] = {
        "criteria": plan.criteria,
        "assessments": plan.dataset,
        "subjects": n,
        "best_response": distribution,
        "orr": rates.get("ORR"),
        "rates": rates,
        "progressed": int((~np.isnat(d.progression)).sum()),
        "findings": {code: c for code, c in sorted(f.counts.items()) if c},
        "per_subject": per_subject,
    }
    tables = [
        Table(f"Best overall response ({plan.criteria})", ("category", "subjects", "%"),
              tuple((name, int(c), _pct(int(c), n)) for name, c in zip(names, counts, strict=True)),
              "best confirmed category before progression and before any new therapy"),
        Table("Response rates", ("rate", "categories", "responders", "of", "%"),
              tuple((r, " + ".join(v["categories"]), v["responders"], n, v["percent"])
                    for r, v in rates.items())),
        Table("Response by subject", ("subject", "best", "best seen", "first response", "progression",
                                      "DoR (days)"),
              tuple((s["id"], s["best_response"], s["best_unconfirmed"], s["response_date"] or "",
                     s["progression_date"] or "", "" if s["duration_of_response_days"] is None else
                     f"{s['duration_of_response_days']}{'+' if s['duration_censored'] else ''}")
                    for s in per_subject), "DoR n+: censored at the last assessment"),
    ]
    cases = [
        Case("response/baseline", "TS620" not in summary["findings"],
             f"{f.counts.get('TS620', 0)} subject(s) without a baseline assessment"),
        Case("response/requirements", "TS623" not in summary["findings"],
             f"{f.counts.get('TS623', 0)} assessment(s) in a category whose requirement fails"),
        Case("response/before-first-dose", "TS624" not in summary["findings"],
             f"{f.counts.get('TS624', 0)} response(s) on or before the first dose"),
        Case("response/after-progression", "TS625" not in summary["findings"],
             f"{f.counts.get('TS625', 0)} response(s) after progression"),
    ]
    explain = _explainer(plan, table, d, explain_values or (lambda: table["values"]))
    return Section("response", f"Response ({plan.criteria})", summary, tables, f.out, cases, explain)


def _explainer(plan: ResponsePlan, table: dict[str, Any], d: Derived,
               explain_values: Callable[[], dict[str, Any]]) -> Callable[[str], list[Table]]:
    subjects = table["subjects"]
    subject = np.asarray(table["subject"])
    shown = list(plan.explain)

    def number(v: Any, unit: str | None, signed: bool) -> str:
        if v is None or (isinstance(v, float | np.floating) and np.isnan(v)):
            return "-"
        if isinstance(v, float | np.floating):
            if unit == "%":
                return f"{float(v):+.1f}%"
            return f"{float(v):+.4g}" if signed else f"{float(v):.4g}"
        return str(v)

    def cell(values: dict[str, Any], name: str, r: int) -> str:
        parts = [number(values[f"explain:{name}:{i}"][r], getattr(getattr(node, "type", None), "unit", None),
                        signed=i > 0) for i, node in enumerate(plan.explain[name])]
        return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")

    def explain(subject_id: str) -> list[Table]:
        found = np.flatnonzero(subjects.astype(str) == str(subject_id))
        if not len(found):
            return []
        i = int(found[0])
        values = explain_values()
        rows = []
        for r in range(*np.searchsorted(subject, [i, i + 1])):
            c = int(d.category[r])
            status = int(d.status[r])
            if status == ROW_ASSESSED:
                what = _name(plan, c)
                cat, rid, _confirm = d.rules[d.rule[r]] if d.rule[r] >= 0 else ("", "", True)
                rule = cat if rid == cat else f"{cat}.{rid}"
            else:
                what, rule = ROW_WORDS[status], ""
            by = int(d.confirmed_by[r])
            pairing = ""
            if by >= 0:
                as_ = _name(plan, int(d.confirmed_as[r]))
                pairing = f"confirmed {as_} with {table['time'][by]}"
            elif status == ROW_ASSESSED and c >= 0 and plan.names[c] in plan.confirmation.categories:
                pairing = "not confirmed"
            if d.after_progression[r] and status == ROW_ASSESSED:
                pairing = (pairing + "; " if pairing else "") + "after progression: not counted"
            day = table["time"][r]
            rows.append(("(no date)" if np.isnat(day) else str(day), *(cell(values, k, r) for k in shown),
                         what, rule, pairing))
        detail = Table(f"{subject_id}: assessments ({plan.criteria})",
                       ("date", *shown, "category", "rule", "confirmation"), tuple(rows),
                       "value (change from baseline, rise from the lowest earlier value)")
        b, u = int(d.best[i]), int(d.best_unconfirmed[i])
        dor = d.dor_days[i]
        summary = Table(f"{subject_id}: best overall response {_name(plan, b)}", ("item", "value"), (
            ("best overall response", _name(plan, b)),
            ("best category seen", _name(plan, u)),
            ("first response", _date(d.first_response[i]) or ""),
            ("progression", (_date(d.progression[i]) or "") + (
                "" if np.isnat(d.progression[i]) or d.progression_confirmed[i] else " (unconfirmed)")),
            ("duration of response (days)", "" if np.isnan(dor) else
             f"{int(dor)}{' (censored)' if d.dor_censored[i] else ''}"),
        ))
        return [summary, detail]

    return explain


def failed_section(plan_errors: int) -> Section:
    """The section when the response plan cannot be built (lint reports why)."""
    return Section("response", "Response", {"derived": False, "errors": plan_errors}, [], [],
                   [Case("response/plan", False,
                         f"{plan_errors} error(s) in the response section; see lint")])
