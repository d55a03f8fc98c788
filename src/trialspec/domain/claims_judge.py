"""Reported claims against the analyses that should produce them.

A claim is tied to an analysis by its path: ``reported: {T4: {orr: {relapsed: ...}}}`` is
``T4.orr.relapsed``; the longest prefix that names an analysis (its id or one of its
``reported_as`` aliases) ties it, and the rest of the path (``orr.relapsed``) says which
number of that analysis it is (docs/analyses.md lists the paths each method reads). Each
claim is then reproduced, or not, and when it is not the candidates of
:mod:`trialspec.claims.explain` say which other common computation gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from trialspec.check.scope import Scope
from trialspec.claims.explain import DECIMAL_SHIFT, REPRODUCES, ClaimResult, judge
from trialspec.claims.values import (
    ClaimSyntaxError,
    CountPercent,
    EstimateCI,
    NotReached,
    Number,
    Percent,
    parse_claim,
)
from trialspec.domain.analyses_compute import (
    TEST_LABELS,
    AnalysisResult,
    CountFacts,
    ProportionFacts,
    fmt,
)
from trialspec.domain.analyses_plan import CI_PATHS, NON_RESPONDERS, RESPONDERS, TESTS, AnalysisPlan


@dataclass
class Record:
    """One reported claim, where it sits, what it is tied to, and its verdict."""

    table: str
    claim: Any  # trialspec.protocol.model.Claim
    label: str
    analysis: str | None = None
    rest: tuple[str, ...] = ()
    parsed: Any = None
    status: str = "not checked"  # reproduced | not reproduced | inconsistent | consistent
    computed: str | None = None
    message: str = ""
    code: str | None = None
    hint: str | None = None
    inconsistent: list[str] = field(default_factory=list)  # messages of data-free findings


@dataclass(frozen=True)
class PairFinding:
    """A finding about several claims (the statistic and p of one test)."""

    code: str
    message: str
    hint: str | None
    primary: Record
    others: tuple[Record, ...]


def tie(records: Sequence[Record], aliases: Mapping[str, str]) -> None:
    """Tie each claim to the analysis named by the longest prefix of its path."""
    for r in records:
        full = (r.table, *r.claim.path)
        for k in range(len(full), 0, -1):
            aid = aliases.get(".".join(full[:k]))
            if aid is not None:
                r.analysis, r.rest = aid, tuple(full[k:])
                break


def parse(r: Record, kind: str | None = None) -> Any:
    """The printed value of a record, read once (None, with the TS710 verdict, if unreadable)."""
    if r.parsed is None and r.code != "TS710":
        ci = kind or ("ci" if CI_PATHS & {*r.claim.path, *r.rest} else None)
        try:
            r.parsed = parse_claim(r.claim.text, kind=ci)
        except ClaimSyntaxError as err:
            set_verdict(r, "not reproduced", None, err.message, "TS710", err.hint)
    return r.parsed


def set_verdict(r: Record, status: str, computed: str | None, message: str,
                code: str | None = None, hint: str | None = None) -> None:
    r.status, r.computed, r.message, r.code, r.hint = status, computed, message, code, hint


def unchecked(r: Record, message: str, hint: str | None = None) -> None:
    set_verdict(r, "not checked", None, message, "TS707", hint)


def from_result(r: Record, res: ClaimResult, computed: str, planned: str) -> None:
    """The verdict of a single printed number judged by :func:`trialspec.claims.explain.judge`."""
    if res.reproduced:
        set_verdict(r, "reproduced", computed, f"{planned}: {computed}")
        return
    others = [e.message for e in res.explanations]
    set_verdict(r, "not reproduced", computed,
                f"{r.label} = {r.claim.text} is not reproduced ({planned}: {computed})",
                res.code, "; ".join(others) if others else
                "no common computation on these data gives it")


def judge_planned(printed: Any, values: Sequence[tuple[str, str, float | None]], planned: set[str],
                  quantity: str, halves: Sequence[str] = (), shifts: bool = True) -> ClaimResult:
    """:func:`judge` with several planned candidates: reproduced if one of them gives it.
    ``shifts=False`` drops misplaced-decimal explanations (a count is not a decimal)."""
    res = judge(printed, values, quantity=quantity, halves=halves)
    ok = any(e.how == REPRODUCES and e.candidate in planned for e in res.explanations)
    others = tuple(e for e in res.explanations if (e.candidate not in planned or e.how != REPRODUCES)
                   and (shifts or e.how != DECIMAL_SHIFT))
    computed = next((v for name, _, v in values if name in planned), None)
    return ClaimResult(res.printed, quantity, ",".join(sorted(planned)), computed, ok,
                       res.explanations if ok else others)


def parts_match(parts: Sequence[Any], values: Sequence[float | None]) -> bool:
    """Whether every printed part (a Number or Percent) contains its value; a part printed
    not reached (``NR``, a NotReached) matches only a value that is infinite or undefined.
    Values past the parts are only shown, not compared."""
    return all(_part_matches(p, v) for p, v in zip(parts, values[:len(parts)], strict=True))


def _part_matches(part: Any, v: float | None) -> bool:
    if v is None or not np.isfinite(v):
        return isinstance(part, NotReached)
    return not isinstance(part, NotReached) and bool(part.interval.contains(float(v)))


def judge_parts(r: Record, printed_parts: Sequence[Any],
                candidates: Mapping[str, tuple[str, Sequence[float | None]]], planned: str,
                show: Callable[[Sequence[float | None]], str]) -> None:
    """A claim of several numbers (estimate and CI, median and range, count and percent):
    a candidate gives it when it gives every number within its rounding."""
    want = candidates[planned]
    computed = show(want[1])
    if parts_match(printed_parts, want[1]):
        set_verdict(r, "reproduced", computed, f"{want[0]}: {computed}")
        return
    others = [f"{label} gives {show(vals)}" for name, (label, vals) in candidates.items()
              if name != planned and parts_match(printed_parts, vals)]
    set_verdict(r, "not reproduced", computed,
                f"{r.label} = {r.claim.text} is not reproduced ({want[0]}: {computed})",
                "TS712" if others else "TS711",
                "; ".join(others) if others else "no common computation on these data gives it")


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = Scope.suggest(word, choices)
    if close:
        return f"Did you mean `{close}`?"
    return "Known here: " + ", ".join(f"`{c}`" for c in choices) + "."


def _pct(k: float, n: float) -> float | None:
    return 100.0 * k / n if n else None


# -- proportions --------------------------------------------------------------------------

def judge_proportion(plan: AnalysisPlan, f: ProportionFacts, records: Sequence[Record]) -> list[PairFinding]:
    labels = list(f.labels)
    pairs: list[PairFinding] = []
    tests: dict[str, dict[str, Record]] = {}  # per reported table: its statistic and p
    for r in records:
        rest, c = r.rest, parse(r)
        if c is None:
            continue
        if rest in (("statistic",), ("p",)):
            tests.setdefault(r.table, {})[rest[0]] = r
            continue
        if len(rest) == 2 and rest[0] in ("statistic", "p") and rest[1] in TESTS["proportion"]:
            # `p: {fisher: "0.047"}`: the claim names its test; judged against that test only
            tests.setdefault(f"{r.table}/{rest[1]}", {"test": rest[1]})[rest[0]] = r  # type: ignore[dict-item]
            continue
        head = rest[0] if rest else f.endpoint
        tail = rest[1:] if rest else ()
        if head in labels and len(tail) == 1 and tail[0] in f.other_events:
            head, tail = tail[0], (head,)  # orr.relapsed written relapsed.orr
        group = tail[0] if tail else ("all" if labels == ["all"] else None)
        grouped = head in f.other_events or head in (RESPONDERS, NON_RESPONDERS, "n", "ci")
        if grouped and (len(tail) > 1 or (group is None and head != "n") or (group and group not in labels)):
            unchecked(r, f"{r.label}: analysis {plan.id} has no group `{group or ''}`",
                      _did_you_mean(str(group), labels))
            continue
        i = labels.index(group) if group in labels else None
        if head in f.other_events and i is not None:
            _count_percent(r, c, f, head, i)
        elif head in (RESPONDERS, NON_RESPONDERS) and i is not None:
            _column_percent(r, c, f, i, head == RESPONDERS)
        elif head == "n":
            _n(r, c, f, i)
        elif head == "ci" and i is not None:
            _ci(r, c, f, i)
        elif rest == ("or",) or (rest[:1] == ("or",) and len(rest) == 2 and rest[1] in OR_CI):
            _odds_ratio(plan, r, c, f, OR_CI.get(rest[-1]) if len(rest) == 2 else None)
        elif rest[:1] in (("rd",), ("rr",), ("nnt",)) and len(rest) <= 2:
            from trialspec.domain.claims_judge_effects import judge_effect

            judge_effect(plan, r, c, f, rest[0], rest[1] if len(rest) == 2 else None)
        else:
            unchecked(r, f"{r.label}: a proportion analysis has no `{'.'.join(rest)}`",
                      "Paths: <endpoint>.<group>, n.<group>, responders.<group>, "
                      "non_responders.<group>, ci.<group>, statistic, p, or, rd, rr, nnt.")
    for found in tests.values():
        named = found.get("test")
        pairs += _tests(plan, f, found.get("statistic"), found.get("p"),
                        (str(named),) if named else None)
    return pairs


def _count_percent(r: Record, c: Any, f: ProportionFacts, endpoint: str, i: int) -> None:
    k_all, n_all = f.other_events[endpoint], f.n
    k = int(k_all[i])
    cands: dict[str, tuple[str, list[float | None]]] = {}
    for j, lab in enumerate(f.labels):
        kj, nj = int(k_all[j]), int(n_all[j])
        cands[lab] = (f"the {endpoint} of {lab} ({kj}/{nj})", [kj, _pct(kj, nj), nj])
    total_k, total_n = int(k_all.sum()), int(n_all.sum())
    if len(f.labels) > 1:
        cands["all"] = (f"the {endpoint} of all subjects ({total_k}/{total_n})",
                        [total_k, _pct(total_k, total_n), total_n])
        for j, lab in enumerate(f.labels):
            if j != i:
                cands[f"{lab}/n"] = (f"{k} of the {int(n_all[j])} in {lab} (another denominator)",
                                     [k, _pct(k, int(n_all[j])), int(n_all[j])])
        cands["total/n"] = (f"{k} of all {total_n} subjects (another denominator)",
                            [k, _pct(k, total_n), total_n])
    planned = f.labels[i]
    cands[planned] = (f"the {endpoint} of {planned}", cands[planned][1])

    if isinstance(c, CountPercent):
        parts = [_whole(c.count), c.percent] + ([_whole(c.denominator)] if c.denominator else [])
        vals = {name: (lab, v if c.denominator else v[:2]) for name, (lab, v) in cands.items()}
        judge_parts(r, parts, vals, planned, _show_count)
    elif isinstance(c, Percent):
        judge_parts(r, [c], {name: (lab, [v[1], v[0], v[2]]) for name, (lab, v) in cands.items()},
                    planned, lambda v: f"{int(v[1] or 0)}/{int(v[2] or 0)} = {fmt(v[0])}%")
    elif isinstance(c, Number) and c.is_integer:
        res = judge_planned(c, [(name, lab, v[0]) for name, (lab, v) in cands.items()
                                if "/" not in name], {planned}, "count", shifts=False)
        from_result(r, res, str(k), f"the {endpoint} count")
    else:
        unchecked(r, f"{r.label}: `{r.claim.text}` is not a count or percentage")


def _whole(k: int) -> Number:
    """A count as a printed number: its interval holds that whole number and no other."""
    return Number(str(k), Decimal(k))


def _show_count(v: Sequence[float | None]) -> str:
    """``k/n = p%`` (or ``k (p%)`` without a denominator)."""
    if len(v) == 3:
        return f"{int(v[0] or 0)}/{int(v[2] or 0)} = {fmt(v[1])}%"
    return f"{int(v[0] or 0)} ({fmt(v[1])}%)"


def _column_percent(r: Record, c: Any, f: ProportionFacts, i: int, responders: bool) -> None:
    col = f.events if responders else f.n - f.events
    other = f.n - f.events if responders else f.events
    k, total = int(col[i]), int(col.sum())
    what = "responders" if responders else "non-responders"
    cands = {"column": (f"{k} of the {total} {what}", [k, _pct(k, total)]),
             "row": (f"{k} of the {int(f.n[i])} in {f.labels[i]} (a row percentage)",
                     [k, _pct(k, int(f.n[i]))]),
             "other": (f"the other column ({int(other[i])} of {int(other.sum())})",
                       [int(other[i]), _pct(int(other[i]), int(other.sum()))])}
    if isinstance(c, CountPercent):
        judge_parts(r, [_whole(c.count), c.percent], cands, "column", _show_count)
    elif isinstance(c, Percent):
        judge_parts(r, [c], {n: (lab, v[1:]) for n, (lab, v) in cands.items()}, "column",
                    lambda v: f"{fmt(v[0])}%")
    elif isinstance(c, Number) and c.is_integer:
        judge_parts(r, [c], {n: (lab, v[:1]) for n, (lab, v) in cands.items()}, "column",
                    lambda v: str(int(v[0] or 0)))
    else:
        unchecked(r, f"{r.label}: `{r.claim.text}` is not a count or percentage")


def _n(r: Record, c: Any, f: Any, i: int | None, counted: str = "subjects") -> None:
    """A printed count of ``counted`` (subjects: a group's size; or events) per group."""
    sizes = np.asarray(f.n)
    if not (isinstance(c, Number) and c.is_integer):
        what = "a group size" if counted == "subjects" else f"a number of {counted}"
        unchecked(r, f"{r.label}: {what} is a whole number, not `{r.claim.text}`")
        return

    def of(lab: str) -> str:
        return f"the size of {lab}" if counted == "subjects" else f"the {counted} of {lab}"

    values = [(lab, of(lab), float(k)) for lab, k in zip(f.labels, sizes, strict=True)]
    values.append(("all", f"the number of {counted}", float(sizes.sum())))
    planned = "all" if i is None else f.labels[i]
    res = judge_planned(c, values, {planned}, "n", shifts=False)
    from_result(r, res, str(int(sizes.sum() if i is None else sizes[i])),
                f"the number of {counted}" if i is None else of(planned))


def _ci(r: Record, c: Any, f: ProportionFacts, i: int) -> None:
    from statsmodels.stats.proportion import proportion_confint

    if not isinstance(c, EstimateCI):
        unchecked(r, f"{r.label}: a CI is printed as `estimate [lower; upper]`")
        return
    k, n = int(f.events[i]), int(f.n[i])
    if n == 0:
        unchecked(r, f"{r.label}: the group is empty")
        return
    scale = 100.0 if c.percent or float(c.upper.value) > 1 else 1.0
    cands: dict[str, tuple[str, list[float | None]]] = {
        "exact": ("the exact (Clopper-Pearson) CI", [k / n, *f.ci[i]])}
    for method, label in (("normal", "the Wald (normal) CI"), ("wilson", "the Wilson CI"),
                          ("agresti_coull", "the Agresti-Coull CI"), ("jeffreys", "the Jeffreys CI")):
        lo, hi = proportion_confint(k, n, alpha=1 - f.level, method=method)
        cands[method] = (label, [k / n, float(lo), float(hi)])
    scaled = {name: (lab, [None if v is None else v * scale for v in vals])
              for name, (lab, vals) in cands.items()}
    judge_parts(r, [c.estimate, c.lower, c.upper], scaled, "exact",
                lambda v: f"{fmt(v[0])} [{fmt(v[1])}; {fmt(v[2])}]")


OR_CI = {"exact": "conditional", "conditional": "conditional", "fisher": "conditional", "wald": "wald"}
"""The CI method a claim names (`or: {exact: "0.216 (0.048-0.759)"}`) -> the odds ratio it means."""


def _odds_ratio(plan: AnalysisPlan, r: Record, c: Any, f: ProportionFacts, method: str | None = None) -> None:
    if not isinstance(c, EstimateCI) or not f.odds_ratio:
        unchecked(r, f"{r.label}: an odds ratio needs two groups and a printed CI")
        return
    cands: dict[str, tuple[str, list[float | None]]] = {}
    for name, label in (("wald", "the sample odds ratio with a Wald CI"),
                        ("conditional", "Fisher's conditional MLE with its exact CI")):
        o = f.odds_ratio.get(name)
        if o and o["estimate"]:
            lo, hi = o["ci"]
            cands[name] = (label, [o["estimate"], lo, hi])
            cands[f"{name}_reversed"] = (f"{label}, groups reversed",
                                         [1 / o["estimate"], 1 / hi if hi else None, 1 / lo if lo else None])
    planned = method or ("conditional" if any(t.startswith("fisher") for t in plan.tests) else "wald")
    if planned not in cands:
        unchecked(r, f"{r.label}: the odds ratio is not estimable")
        return
    judge_parts(r, [c.estimate, c.lower, c.upper], cands, planned,
                lambda v: f"{fmt(v[0])} [{fmt(v[1])}; {fmt(v[2])}]")


def _tests(plan: AnalysisPlan, f: ProportionFacts, stat: Record | None,
           p: Record | None, named: tuple[str, ...] | None = None) -> list[PairFinding]:
    from trialspec.claims.explain import explain_test
    from trialspec.domain.claims_judge_tests import per_test_note, unknown_counted

    keep = f.n > 0
    table = f.table[keep]
    if table.shape[0] < 2:
        for r in (stat, p):
            if r is not None:
                unchecked(r, f"{r.label}: fewer than two groups have subjects; no test to check against")
        return []
    chosen = named or plan.tests
    planned = {TESTS["proportion"][t] for t in chosen}
    names = ", ".join(TEST_LABELS[t] for t in chosen)
    try:
        te = explain_test(table, stat.parsed if stat else None, p.parsed if p else None)
    except (TypeError, ValueError) as err:
        for r in (stat, p):
            if r is not None:
                unchecked(r, f"{r.label}: {err}")
        return []
    by = {c.name: c for c in te.candidates}
    for r, res, which in ((stat, te.statistic, "statistic"), (p, te.p, "p")):
        if r is None or res is None:
            continue
        mine = {n for n in planned if n in by and (which == "p" or by[n].statistic is not None)}
        values = [(c.name, c.label, c.statistic if which == "statistic" else c.p) for c in te.candidates]
        values += unknown_counted(f, keep, which)
        res2 = judge_planned(r.parsed, values, mine, which,
                             halves=("pearson_chi2", "pearson_chi2_yates", "likelihood_ratio")
                             if which == "p" else ())
        shown = "; ".join(f"{by[n].label} {fmt(by[n].statistic if which == 'statistic' else by[n].p)}"
                          for n in sorted(mine)) or f"no planned test ({names}) has a {which}"
        if not mine:
            res2 = ClaimResult(res2.printed, which, None, None, False, res2.explanations)
        from_result(r, res2, shown, f"the plan ({names})")
        per_test_note(r, res2, mine, by, which)
    if te.code and stat is not None and p is not None:
        return [PairFinding("TS714", f"{p.label}: {te.notes[0]}",
                            "Report the statistic and p-value of one test, and name the test.", p, (stat,))]
    return []


# -- counts and summaries -----------------------------------------------------------------

def judge_counts(plan: AnalysisPlan, f: CountFacts, records: Sequence[Record]) -> list[PairFinding]:
    labels = list(f.labels)
    for r in records:
        c = parse(r)
        if c is None:
            continue
        if r.rest in ((), ("n",)):
            _n(r, c, _Sizes(labels, f.counts if plan.groups else np.array([f.total])), None)
        elif len(r.rest) == 1 and r.rest[0] in labels:
            i = labels.index(r.rest[0])
            if isinstance(c, CountPercent | Percent):
                n = f.total
                cands = {lab: (f"{lab} ({int(kj)}/{n})", [int(kj), _pct(int(kj), n)])
                         for lab, kj in zip(labels, f.counts, strict=True)}
                if isinstance(c, CountPercent):
                    judge_parts(r, [_whole(c.count), c.percent], cands, labels[i], _show_count)
                else:
                    judge_parts(r, [c], {n_: (lab, v[1:]) for n_, (lab, v) in cands.items()}, labels[i],
                                lambda v: f"{fmt(v[0])}%")
            else:
                _n(r, c, _Sizes(labels, f.counts), i)
        else:
            unchecked(r, f"{r.label}: a counts analysis reads its total (`n`) or a group",
                      _did_you_mean(r.rest[-1] if r.rest else "", labels))
    return []


@dataclass(frozen=True)
class _Sizes:
    labels: Sequence[str]
    n: np.ndarray


# -- dispatch -----------------------------------------------------------------------------

def judge_with_data(result: AnalysisResult, records: Sequence[Record]) -> list[PairFinding]:
    """Judge every claim tied to one analysis; the claims' verdicts are set in place."""
    from trialspec.domain.claims_judge_more import judge_meta, judge_survival
    from trialspec.domain.claims_judge_summary import judge_summary

    if not result.ran:
        for r in records:
            set_verdict(r, "not checked", None, f"analysis {result.plan.id} did not run (see its findings)")
        return []
    judges: dict[str, Callable[..., list[PairFinding]]] = {
        "proportion": judge_proportion, "counts": judge_counts, "summary": judge_summary,
        "kaplan_meier": judge_survival, "meta_analysis": judge_meta}
    if result.plan.method == "ancova":  # judged on the summary: the numbers the report shows
        from trialspec.domain.claims_judge_models import judge_ancova

        return judge_ancova(result.plan, result.summary, records)
    judge = judges.get(result.plan.method)
    if judge is None:  # a method whose numbers no claim judge reads yet: said, never a crash
        for r in records:
            judged = ", ".join(sorted([*judges, "ancova"]))
            unchecked(r, f"{r.label}: claims on a `{result.plan.method}` analysis are not checked yet",
                      f"trialspec judges claims on {judged} analyses; keep the "
                      "printed value as a comment until this method's claims are judged.")
        return []
    return judge(result.plan, result.facts, records)

