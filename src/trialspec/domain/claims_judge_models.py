"""Claims on an ``ancova`` analysis: adjusted means, differences from the reference arm, their
tests, the F test of the arm and the dose-response test, read from the analysis's summary (the
numbers the report shows).

Paths after the analysis id (``<group>`` is a level of ``by``, as the summary labels it):

- ``lsmean.<group>``: the adjusted (least-squares) mean, a number or ``est [lo; hi]``;
  ``lsmean_se.<group>`` its SE;
- ``difference.<group>``: the group minus the reference (the first level), a number or
  ``est [lo; hi]``; ``difference_se.<group>`` its SE; ``p.<group>`` its two-sided p;
- ``p`` / ``statistic``: the F test of ``by``;
- ``dose_response.p`` / ``dose_response.estimate`` / ``dose_response.se``: the slope per unit
  of dose (with ``dose:``).

A difference not reproduced is tried with the arms the other way round (the reference minus
the group), and a p as its one-sided half, so a report that swapped them is told so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trialspec.claims.values import EstimateCI, Number
from trialspec.domain.analyses_compute import fmt
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.domain.claims_judge import (
    PairFinding,
    Record,
    _did_you_mean,
    from_result,
    judge_parts,
    judge_planned,
    parse,
    unchecked,
)

PER_GROUP = ("lsmean", "lsmean_se", "difference", "difference_se", "p")
"""Path heads followed by a group."""
WHOLE = {"p": ("arm_test", "p"), "statistic": ("arm_test", "statistic")}
"""Path heads (alone) read from one test of the whole model: (summary key, field)."""
DOSE = ("p", "estimate", "se")
"""What a ``dose_response.<what>`` claim may read."""


def judge_ancova(plan: AnalysisPlan, summary: Mapping[str, Any],
                 records: Sequence[Record]) -> list[PairFinding]:
    """Judge each claim tied to an ancova analysis; verdicts are set in place."""
    lsmeans = {row["label"]: row for row in summary.get("lsmeans", [])}
    diffs = {row["label"].rsplit(" - ", 1)[0]: row for row in summary.get("differences", [])}
    labels = list(lsmeans)
    for r in records:
        c = parse(r, kind="ci" if r.rest[:1] in (("lsmean",), ("difference",)) else None)
        if c is None:
            continue
        rest = r.rest
        if len(rest) == 1 and rest[0] in WHOLE:
            key, field = WHOLE[rest[0]]
            _single(r, c, summary[key][field], f"the F test of {plan.grouped_by}",
                    halves=rest[0] == "p")
        elif len(rest) == 2 and rest[0] == "dose_response" and rest[1] in DOSE:
            dose = summary.get("dose_response")
            if dose is None:
                unchecked(r, f"{r.label}: analysis {plan.id} has no dose-response test",
                          "Give each arm its dose with `options.dose` to compute it.")
                continue
            _single(r, c, dose[rest[1]], f"the dose-response {rest[1]}", halves=rest[1] == "p")
        elif len(rest) == 2 and rest[0] in PER_GROUP:
            _per_group(plan, r, c, rest[0], rest[1], lsmeans, diffs, labels)
        else:
            unchecked(r, f"{r.label}: an ancova analysis reads "
                      + ", ".join(f"`{h}.<group>`" for h in PER_GROUP)
                      + ", `p`, `statistic` or `dose_response.p`",
                      _did_you_mean(rest[0] if rest else "", [*PER_GROUP, *WHOLE, "dose_response"]))
    return []


def _per_group(plan: AnalysisPlan, r: Record, c: Any, head: str, group: str,
               lsmeans: Mapping[str, Any], diffs: Mapping[str, Any], labels: list[str]) -> None:
    if head.startswith("lsmean"):
        row = lsmeans.get(group)
    else:
        row = diffs.get(group)
        if row is None and group in lsmeans:
            unchecked(r, f"{r.label}: `{group}` is the reference arm of {plan.id}; its differences "
                      "are the other arms'", f"Name one of: {', '.join(diffs)}.")
            return
    if row is None:
        unchecked(r, f"{r.label}: analysis {plan.id} has no arm `{group}`", _did_you_mean(group, labels))
        return
    if head.endswith("_se"):
        _single(r, c, row["se"], f"the SE of the {head.removesuffix('_se')}")
    elif head == "p":
        _single(r, c, row["p"], f"the p of {row['label']}", halves=True)
    elif head == "difference":
        _estimate(r, c, row, {"reversed": (f"{group} reversed (reference - group)", -1.0)})
    else:
        _estimate(r, c, row, {})


def _estimate(r: Record, c: Any, row: Mapping[str, Any], others: Mapping[str, tuple[str, float]]) -> None:
    """An estimate, alone or with its CI; ``others`` are (label, sign) candidates beside it."""
    est, lo, hi = row["estimate"], row["ci"][0], row["ci"][1]
    planned = f"the {'difference' if ' - ' in row['label'] else 'adjusted mean'} {row['label']}"
    if isinstance(c, EstimateCI):
        cands: dict[str, tuple[str, Sequence[float | None]]] = {"planned": (planned, [est, lo, hi])}
        for name, (label, sign) in others.items():
            cands[name] = (label, [sign * est, *(sorted((sign * lo, sign * hi)))])
        judge_parts(r, [c.estimate, c.lower, c.upper], cands, "planned", _show_ci)
    elif isinstance(c, Number):
        values = [("planned", planned, est), *((n, lab, s * est) for n, (lab, s) in others.items())]
        from_result(r, judge_planned(c, values, {"planned"}, "estimate"), fmt(est), planned)
    else:
        unchecked(r, f"{r.label}: an estimate is a number or `est [lo; hi]`")


def _single(r: Record, c: Any, value: float | None, label: str, halves: bool = False) -> None:
    if not isinstance(c, Number) and type(c).__name__ not in ("Bound", "Percent"):
        unchecked(r, f"{r.label}: this is a single number (or a bound like `<0.001`)")
        return
    res = judge_planned(c, [("planned", label, value)], {"planned"}, "p" if halves else "estimate",
                        halves=("planned",) if halves else ())
    from_result(r, res, fmt(value), label)


def _show_ci(v: Sequence[float | None]) -> str:
    return f"{fmt(v[0])} [{fmt(v[1])}; {fmt(v[2])}]"

