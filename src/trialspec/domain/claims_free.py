"""Reported claims checked against each other, with no patient data.

The checks of :mod:`trialspec.claims.consistency` run on the printed values only, using what
the protocol says about them (which groups an analysis has, which endpoint's responders are
the union of which others' for PR + MR = ORR):

- GRIM: each count (percent) against its group's printed size, or any group size up to the
  stated number of patients (the reported total of an ungrouped ``counts`` analysis); a
  ``counts`` analysis's percentages against its own printed total, else the stated number of
  patients only when the analysis covers exactly those patients (the same population, groups
  that partition it), else any denominator up to it (if its patients are among them);
- group sizes against the stated number of patients (analyses of the same population);
- rows that must sum (an endpoint whose responders are the disjoint union of others');
- a test statistic against its p-value (chi-square, df = groups - 1);
- an estimate against its CI (odds and hazard ratios, pooled and study rows);
- a pooled row against the study rows it pools, for reported tables tied to no analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialspec.claims.consistency import (
    Finding,
    counts_giving,
    estimate_ci,
    grim,
    group_sizes,
    must_sum,
    possible_denominators,
    statistic_p,
)
from trialspec.claims.values import Bound, CountPercent, EstimateCI, Number, OpenCI, Percent
from trialspec.domain.analyses_plan import LOG_MEASURES, NON_RESPONDERS, RESPONDERS, CompiledAnalyses
from trialspec.domain.claims_judge import PairFinding, Record, parse


def _count_in(c: Any, n: int | None) -> int | None:
    """The count a printed cell stands for: its count, or the one count of n its percentage
    allows (None when it allows none, or several)."""
    if isinstance(c, CountPercent):
        return c.count
    if isinstance(c, Number) and c.is_integer:
        return int(c.value)
    if isinstance(c, Percent) and n:
        ks = counts_giving(c.interval, n)
        return ks[0] if len(ks) == 1 else None
    return None


def _whole(c: Any) -> int | None:
    if isinstance(c, Number) and c.is_integer:
        return int(c.value)
    return c.count if isinstance(c, CountPercent) else None


class FreeChecks:
    """Runs every data-free check over the records; collects findings, marks the records."""

    def __init__(self, records: Sequence[Record], compiled: CompiledAnalyses):
        self.records, self.compiled = records, compiled
        self.findings: list[PairFinding] = []
        self.total_plan: Any = None  # the analysis whose printed total is self.total
        self.total = self._stated_total()

    def run(self) -> list[PairFinding]:
        by_analysis: dict[str, list[Record]] = {}
        for r in self.records:
            if r.analysis is not None and parse(r) is not None:
                by_analysis.setdefault(r.analysis, []).append(r)
        for aid, recs in by_analysis.items():
            plan = self.compiled.plans.get(aid)
            if plan is not None:
                self.analysis(plan, recs)
        self.untied([r for r in self.records if r.analysis is None and parse(r) is not None])
        return self.findings

    def _stated_total(self) -> int | None:
        for r in self.records:
            plan = self.compiled.plans.get(r.analysis or "")
            if plan is not None and plan.method == "counts" and not plan.groups and r.rest in ((), ("n",)):
                k = _whole(parse(r))
                if k is not None:
                    self.total_plan = plan
                    return k
        return None

    def _covers_total(self, plan: Any) -> bool:
        """Whether the analysis's population is that of the stated number of patients (all
        patients when the stated total has no population): ir nodes compare without spans."""
        return self.total is not None and plan.population == getattr(self.total_plan, "population", None)

    def _within_total(self, plan: Any) -> bool:
        """Whether the analysis's patients are, as far as the protocol shows, some of those of
        the stated total, so that no group of it has more patients than the stated total."""
        from trialspec.domain.populations import is_within

        if self.total is None:
            return False
        return is_within(plan.population, getattr(self.total_plan, "population", None))

    def add(self, f: Finding, primary: Record, others: Sequence[Record] = ()) -> None:
        recs = (primary, *others)
        if f.consistent:
            for r in recs:
                if r.status == "not checked" and r.code is None:
                    r.status, r.message = "consistent", f.message
            return
        for r in recs:
            r.inconsistent.append(f.message)
            if r.status in ("reproduced", "consistent", "not checked"):
                r.status = "inconsistent"
        self.findings.append(PairFinding(f.code, f"{primary.label}: {f.message}", f.hint, primary,
                                         tuple(others)))

    # -- per analysis ---------------------------------------------------------------------
    def analysis(self, plan: Any, recs: list[Record]) -> None:
        """The checks of one analysis's claims, table by table: a group size printed in the
        same table counts first, then one printed in another table of the same analysis."""
        labels = [g.label for g in plan.groups]
        tables: dict[str, list[Record]] = {}
        for r in recs:
            tables.setdefault(r.table, []).append(r)
        sizes = {t: self.group_counts(rs, labels, ("n",)) for t, rs in tables.items()}
        # a size missing from a table is read from another: the analysis's own table first
        order = sorted(sizes, key=lambda t: not any(r.label.startswith(plan.id + ".") for r in tables[t]))
        self.same_sizes([sizes[t] for t in order])
        for table, trecs in tables.items():
            if plan.method == "counts":
                self.sizes(plan, self.group_counts(trecs, labels, ()))
                self.count_percents(plan, trecs, labels, tables)
                continue
            self.sizes(plan, sizes[table])
            printed_n = {g: k for g, (_r, k) in sizes[table].items()}
            for other in order:
                for g, (_r, k) in sizes[other].items():
                    printed_n.setdefault(g, k)
            if plan.method == "proportion":
                self.proportion(plan, trecs, labels, printed_n)
            if plan.method in ("proportion", "kaplan_meier"):
                self.statistic_p(plan, trecs)
            scale = "log"
            if plan.method == "meta_analysis":
                scale = "log" if plan.options.get("measure", "OR") in LOG_MEASURES else "linear"
            for r in trecs:
                # a CI the planned computation itself gives on these data is not held to the
                # symmetry of a Wald CI (an exact CI is asymmetric); one another computation
                # gives (TS712) still gets the note
                if r.status == "reproduced":
                    continue
                if isinstance(r.parsed, EstimateCI | OpenCI) and r.rest[:1] in (
                        ("or",), ("hr",), ("pooled",), ("rr",)):
                    self.add(estimate_ci(r.parsed, scale=scale, label=r.label), r)
                elif isinstance(r.parsed, EstimateCI) and r.rest[:1] == ("rd",):
                    self.add(estimate_ci(r.parsed, scale="linear", label=r.label), r)

    def same_sizes(self, sizes: list[dict[str, tuple[Record, int]]]) -> None:
        """One group printed with different sizes in two places of the report."""
        first: dict[str, tuple[Record, int]] = {}
        for by_group in sizes:
            for g, (r, k) in by_group.items():
                if g not in first:
                    first[g] = (r, k)
                elif first[g][1] != k:
                    a = first[g][0]
                    self.add(Finding("group-sizes", "TS722", False,
                                     f"group {g} has {k} patients here but {first[g][1]} in {a.label}",
                                     (r.label, a.label), "the text and the table describe different "
                                     "groups; say which is right"), r, (a,))

    @staticmethod
    def group_counts(recs: list[Record], labels: list[str],
                     prefix: tuple[str, ...]) -> dict[str, tuple[Record, int]]:
        """Printed whole counts at ``prefix + (group,)``, by group."""
        out = {}
        for r in recs:
            if len(r.rest) == len(prefix) + 1 and r.rest[:-1] == prefix and r.rest[-1] in labels:
                k = _whole(r.parsed)
                if k is not None:
                    out[r.rest[-1]] = (r, k)
        return out

    def count_percents(self, plan: Any, recs: list[Record], labels: list[str],
                       tables: dict[str, list[Record]]) -> None:
        """GRIM on the count (percent) of each group of a ``counts`` analysis. The percentage
        is of the analysis's own patients: its printed total (``n``, or the analysis itself)
        in this table, else in another table of the analysis; else the stated number of
        patients when the analysis covers exactly them; else only some denominator up to the
        stated number is asked for (a population's size is not the number of patients)."""
        mine = [r for r in recs if r.rest in ((), ("n",))]
        mine += [r for t in tables.values() if t is not recs for r in t if r.rest in ((), ("n",))]
        printed = next((k for k in (_whole(r.parsed) for r in mine) if k), None)
        stated = self.total if self._covers_total(plan) and plan.exhaustive else None
        others = {"the stated number of patients": self.total} if self.total else {}
        for r in recs:
            if len(r.rest) != 1 or r.rest[0] not in labels or \
                    not isinstance(r.parsed, CountPercent | Percent):
                continue
            n = printed or stated or (r.parsed.denominator if isinstance(r.parsed, CountPercent) else None)
            if n:
                self.grim(r, n, others)
            elif self.total and self._within_total(plan):
                self.grim_any(r, self.total)

    def sizes(self, plan: Any, groups: dict[str, tuple[Record, int]]) -> None:
        if len(groups) < 2 or not self._covers_total(plan) or not plan.exhaustive:
            return
        if all(r.status == "reproduced" for r, _k in groups.values()):
            return  # the data give these sizes: the analysis left some patients out (TS704), not the report
        assert self.total is not None
        parts = {r.label: r.parsed if isinstance(r.parsed, Number) else str(k) for r, k in groups.values()}
        f = group_sizes(parts, str(self.total), total_label="the stated number of patients")
        recs = [r for r, _ in groups.values()]
        self.add(f, recs[0], recs[1:])

    def grim(self, r: Record, n: int, denominators: dict[str, int]) -> None:
        self.add(grim(r.parsed, n, label=r.label, denominators=denominators), r)

    def proportion(self, plan: Any, recs: list[Record], labels: list[str], printed_n: dict[str, int]) -> None:
        endpoints = {n: e for n, e in self.compiled.endpoints.items() if e.binary}
        cells: dict[tuple[str, str], Record] = {}
        for r in recs:
            if len(r.rest) != 2:
                continue
            a, b = r.rest
            if a in labels and b in endpoints:
                a, b = b, a
            if a in endpoints and b in labels and isinstance(r.parsed, CountPercent | Percent | Number):
                cells[(a, b)] = r
        # the stated number of patients bounds a group only if the analysis's are among them
        total = (self.total if self._within_total(plan) else None) or \
            (sum(printed_n.values()) if len(printed_n) == len(labels) else None)
        for (_e, g), r in cells.items():
            if not isinstance(r.parsed, CountPercent | Percent):
                continue
            n = printed_n.get(g) or (r.parsed.denominator if isinstance(r.parsed, CountPercent) else None)
            others = {o: k for o, k in printed_n.items() if o != g}
            if total:
                others["all patients"] = total
            if n:
                self.grim(r, n, others)
            elif total:
                self.grim_any(r, total)
        self.row_sums(endpoints, cells, labels)
        self.columns(recs, labels)
        self.p_of_printed_counts(plan, recs, cells, printed_n)

    def p_of_printed_counts(self, plan: Any, recs: list[Record], cells: dict[tuple[str, str], Record],
                            printed_n: dict[str, int]) -> None:
        """A printed p-value against every common test of the 2x2 table the report prints
        itself (responders of each group's size): a p no test gives (TS731), or only a
        one-sided one (TS730), whatever the data say."""
        from trialspec.claims.explain import HALVED, REPRODUCES, explain_test

        p = next((r for r in recs if r.rest == ("p",) and isinstance(r.parsed, Number | Bound)), None)
        labels = [g.label for g in plan.groups]
        if p is None or plan.endpoint is None or len(labels) != 2:
            return
        table, used = [], []
        for g in labels:
            r = cells.get((plan.endpoint.name, g))
            c = r.parsed if r is not None else None
            n = printed_n.get(g) or (c.denominator if isinstance(c, CountPercent) else None)
            k = _count_in(c, n)
            if r is None or n is None or k is None or not 0 <= k <= n:
                return
            table.append([k, n - k])
            used.append((g, r, k, n))
        try:
            res = explain_test(table, p=p.claim.text)
        except ValueError:  # a table no test takes (an empty row or column)
            return
        counts = " vs ".join(f"{g} {k}/{n}" for g, _r, k, n in used)
        by = [e for e in (res.p.explanations if res.p else ()) if e.how in (REPRODUCES, HALVED)]
        two_sided = [e for e in by if e.candidate in ("fisher", "pearson_chi2", "pearson_chi2_yates",
                                                     "likelihood_ratio") and e.how == REPRODUCES]
        others = tuple(r for _g, r, _k, _n in used)
        if two_sided:
            return
        fisher = next(c for c in res.candidates if c.name == "fisher").p
        if by:
            self.findings.append(PairFinding(
                "TS730", f"{p.label}: {p.claim.text} is {by[0].message.split(' gives ')[0]} on the "
                f"printed counts ({counts}), a one-sided p; the two-sided Fisher p is {fisher:.4g}",
                "Report a two-sided p, or say that the test is one-sided and why.", p, others))
            return
        shown = "; ".join(f"{c.label} {c.p:.4g}" for c in res.candidates)
        p.inconsistent.append(f"no common test on the printed counts ({counts}) gives p = {p.claim.text}")
        if p.status in ("reproduced", "consistent", "not checked"):
            p.status = "inconsistent"
        self.findings.append(PairFinding(
            "TS731", f"{p.label}: no common test on the printed counts ({counts}) gives p = "
            f"{p.claim.text} ({shown})", "The p-value, or the counts it was computed on, are not "
            "the ones printed; recompute it from the table.", p, others))

    def grim_any(self, r: Record, total: int) -> None:
        """A percentage with no printed group size: possible for some group of the study?"""
        possible = possible_denominators(r.parsed, total)
        if possible:
            self.add(Finding("grim", "TS720", True, f"{r.parsed.text} is possible for n in "
                             f"{', '.join(map(str, possible))}", (r.label,)), r)
        else:
            self.add(Finding("grim", "TS720", False,
                             f"{r.parsed.text} is impossible for any group of up to {total} patients",
                             (r.label,), "the percentage, or the count behind it, is misprinted"), r)

    def row_sums(self, endpoints: dict[str, Any], cells: dict[tuple[str, str], Record],
                 labels: list[str]) -> None:
        sets = {n: set(e.responders) for n, e in endpoints.items() if e.kind == "response"}
        for total_ep, whole in sets.items():
            parts = [n for n, s in sets.items() if n != total_ep and s and s < whole]
            if len(parts) < 2 or set().union(*(sets[p] for p in parts)) != whole or \
                    sum(len(sets[p]) for p in parts) != len(whole):
                continue
            for g in labels:
                if (total_ep, g) in cells and all((p, g) in cells for p in parts):
                    recs = [cells[(p, g)] for p in parts]
                    if not all(_whole(r.parsed) is not None for r in recs + [cells[(total_ep, g)]]):
                        continue
                    total = cells[(total_ep, g)]
                    f = must_sum({r.label: r.parsed for r in recs}, total.parsed, total_label=total.label)
                    self.add(f, total, recs)

    def columns(self, recs: list[Record], labels: list[str]) -> None:
        """Column percentages (responders.<group>): each of the column's printed total."""
        for col in (RESPONDERS, NON_RESPONDERS):
            cells = [r for r in recs if len(r.rest) == 2 and r.rest[0] == col and r.rest[1] in labels]
            counts = [_whole(r.parsed) for r in cells]
            if len(cells) < 2 or any(k is None for k in counts):
                continue
            n = sum(k for k in counts if k is not None)
            for r in cells:
                if isinstance(r.parsed, CountPercent) and n:
                    self.grim(r, n, {})

    def statistic_p(self, plan: Any, recs: list[Record]) -> None:
        stat = next((r for r in recs if r.rest == ("statistic",)), None)
        p = next((r for r in recs if r.rest == ("p",)), None)
        if stat is None or p is None or not isinstance(stat.parsed, Number) or \
                not isinstance(p.parsed, Number | Bound) or len(plan.groups) < 2:
            return
        self.add(statistic_p(stat.parsed, p.parsed, test="chi2", df=len(plan.groups) - 1,
                             labels=(stat.label, p.label)), p, (stat,))

    # -- tables tied to no analysis -------------------------------------------------------
    def untied(self, recs: list[Record]) -> None:
        from trialspec.claims.meta import pooled
        from trialspec.claims.pooling import ModelRule

        for r in recs:
            if isinstance(r.parsed, EstimateCI | OpenCI) and r.claim.path[-1:] != ("ci",):
                self.add(estimate_ci(r.parsed, label=r.label), r)
        parents: dict[tuple[str, ...], dict[str, list[Record]]] = {}
        for r in recs:
            full = (r.table, *r.claim.path)
            if len(full) >= 3 and full[-2] in ("studies", "weights"):
                parents.setdefault(full[:-2], {}).setdefault(full[-2], []).append(r)
            elif full[-1] == "pooled":
                parents.setdefault(full[:-1], {}).setdefault("pooled", []).append(r)
        for _parent, parts in parents.items():
            studies, pool = parts.get("studies", []), parts.get("pooled", [])
            if len(studies) < 2 or len(pool) != 1 or \
                    not all(isinstance(s.parsed, EstimateCI) for s in (*studies, *pool)):
                continue
            by_study = {w.claim.path[-1]: w for w in parts.get("weights", [])}
            weights = [by_study[s.claim.path[-1]] for s in studies if s.claim.path[-1] in by_study]
            use_w = len(weights) == len(studies) and all(isinstance(w.parsed, Percent) for w in weights)
            check = pooled([s.parsed for s in studies], pool[0].parsed,
                           [w.parsed for w in weights] if use_w else (), rule=ModelRule())
            self.add(check.finding, pool[0], [*studies, *(weights if use_w else [])])
