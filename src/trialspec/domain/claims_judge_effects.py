"""Claims about the effect measures of a two-group proportion analysis: ``rd``, ``rr``, ``nnt``.

A printed RD or RR with its CI is reproduced when the planned computation gives all three
numbers at their printed precision (the RD's planned CI is ``options.rd_ci``, Wald by
default); when it is not, the other common computations that give it are named (another CI
method, the groups reversed, a percentage). An NNT is one number (or with a CI).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trialspec.claims.values import EstimateCI, Number
from trialspec.domain.analyses_compute import ProportionFacts, fmt
from trialspec.domain.analyses_effects import RD_LABELS
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.domain.claims_judge import Record, judge_parts, unchecked

Candidates = dict[str, tuple[str, list[float | None]]]


def _show(v: Any) -> str:
    return f"{fmt(v[0])} [{fmt(v[1])}; {fmt(v[2])}]" if len(v) == 3 else fmt(v[0])


def _neg(v: float | None) -> float | None:
    return None if v is None else -v


def _inv(v: float | None) -> float | None:
    return None if not v else 1 / v


def _rd(plan: AnalysisPlan, r: Record, c: Any, f: ProportionFacts, method: str | None) -> None:
    rd = f.effects["rd"]
    if not isinstance(c, EstimateCI):
        unchecked(r, f"{r.label}: a risk difference is printed as `estimate [lower; upper]`")
        return
    scale = 100.0 if c.percent or max(abs(float(c.lower.value)), abs(float(c.upper.value))) > 1 else 1.0
    cands: Candidates = {}
    for name, label in RD_LABELS.items():
        lo, hi = rd[name]
        cands[name] = (f"the risk difference with the {label} CI", [rd["estimate"], lo, hi])
        cands[f"{name}_reversed"] = (f"the risk difference with the {label} CI, groups reversed",
                                       [_neg(rd["estimate"]), _neg(hi), _neg(lo)])
    scaled = {k: (lab, [None if x is None else x * scale for x in v]) for k, (lab, v) in cands.items()}
    judge_parts(r, [c.estimate, c.lower, c.upper], scaled, method or rd["ci_method"], _show)


def _rr(plan: AnalysisPlan, r: Record, c: Any, f: ProportionFacts, method: str | None) -> None:
    rr = f.effects["rr"]
    if not isinstance(c, EstimateCI):
        unchecked(r, f"{r.label}: a risk ratio is printed as `estimate [lower; upper]`")
        return
    lo, hi = rr["ci"]
    cands: Candidates = {
        "log": ("the risk ratio with its CI on the log scale", [rr["estimate"], lo, hi]),
        "reversed": ("the risk ratio with its log CI, groups reversed",
                     [_inv(rr["estimate"]), _inv(hi), _inv(lo)])}
    odds = f.odds_ratio.get("wald")
    if odds and odds["estimate"]:
        cands["odds_ratio"] = ("the odds ratio (not the risk ratio)", [odds["estimate"], *odds["ci"]])
    judge_parts(r, [c.estimate, c.lower, c.upper], cands, method or "log", _show)


def _nnt(plan: AnalysisPlan, r: Record, c: Any, f: ProportionFacts, method: str | None) -> None:
    nnt = f.effects["nnt"]
    est = nnt["estimate"]
    if isinstance(c, EstimateCI):
        lo, hi = nnt["ci"]
        cands: Candidates = {"nnt": ("1 / RD with the RD's inverted CI", [est, lo, hi]),
                             "reversed": ("1 / RD, groups reversed", [_neg(est), _neg(hi), _neg(lo)])}
        judge_parts(r, [c.estimate, c.lower, c.upper], cands, "nnt", _show)
    elif isinstance(c, Number):
        judge_parts(r, [c], {"nnt": ("1 / RD", [est]), "reversed": ("1 / RD, groups reversed", [_neg(est)]),
                             "ceiling": ("1 / |RD| rounded up", [_ceil(est)])}, "nnt", _show)
    else:
        unchecked(r, f"{r.label}: an NNT is a number, or a number with its CI")


def _ceil(v: float | None) -> float | None:
    import math
    return None if v is None else float(math.ceil(abs(v)))


EFFECT_CLAIMS: dict[str, Callable[[AnalysisPlan, Record, Any, ProportionFacts, str | None], None]] = {
    "rd": _rd, "rr": _rr, "nnt": _nnt}
"""Claim path (a proportion analysis's ``rd``, ``rr``, ``nnt``) -> its judge."""
CI_METHODS = {"rd": ("wald", "newcombe", "prop_test"), "rr": ("log", "wald"), "nnt": ()}
"""The CI methods a claim may name (`rd: {newcombe: "..."}`); for RR `wald` is the log CI."""


def judge_effect(plan: AnalysisPlan, r: Record, c: Any, f: ProportionFacts, what: str,
                 method: str | None = None) -> None:
    if method is not None and method not in CI_METHODS[what]:
        unchecked(r, f"{r.label}: `{method}` is not a CI method of {what} ("
                  + (", ".join(CI_METHODS[what]) or "none") + ")")
        return
    if not f.effects:
        unchecked(r, f"{r.label}: a {what.upper()} needs exactly two groups with subjects")
        return
    EFFECT_CLAIMS[what](plan, r, c, f, "log" if (what, method) == ("rr", "wald") else method)
