"""Pooled estimates against the studies they pool: the data-free consistency check
(generic inverse variance over the studies' rounding, fixed vs DerSimonian-Laird) and the
explainers (fixed vs random from printed studies, Mantel-Haenszel vs inverse variance from
2x2 counts). The ranges themselves come from :mod:`trialspec.claims.pooling`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from trialspec.claims.consistency import Finding
from trialspec.claims.explain import REPRODUCES, ClaimResult, Explanation, judge
from trialspec.claims.pooling import ModelRange, ModelRule, PoolRanges, Range, pool_ranges
from trialspec.claims.values import (
    Claim,
    EstimateCI,
    Interval,
    Percent,
    as_claim,
    as_estimate_ci,
    interval_of,
)


@dataclass(frozen=True, slots=True)
class PooledCheck:
    """The ranges the rounded studies allow, which models reproduce the print, and why."""

    ranges: PoolRanges
    matches: Mapping[str, tuple[str, ...]]  # model -> the printed outputs it reproduces
    outputs: tuple[str, ...]  # every printed output checked: estimate, lower, upper, weight 1..
    rule_choice: str | None
    finding: Finding


def _printed_outputs(pooled: EstimateCI | None,
                     weights: Sequence[Percent]) -> list[tuple[str, Interval, int]]:
    """(name, printed interval, index into ModelRange fields) for every printed output."""
    out = []
    if pooled is not None:
        out += [("estimate", pooled.estimate.interval, 0), ("lower", pooled.lower.interval, 1),
                ("upper", pooled.upper.interval, 2)]
    out += [(f"weight {i + 1}", w.interval, 3 + i) for i, w in enumerate(weights)]
    return out


def _model_value(m: ModelRange, index: int) -> Range:
    return (m.estimate, m.lower, m.upper)[index] if index < 3 else m.weights[index - 3]


def pooled(studies: Sequence[str | Claim], pooled: str | Claim | None = None,
           weights: Sequence[str | Claim] = (), *, scale: str = "log", level: float = 0.95,
           rule: ModelRule | None = None, labels: Sequence[str] = ()) -> PooledCheck:
    """Could generic inverse variance (fixed, or DerSimonian-Laird random effects) on the
    printed studies, rounded as they are, give the printed pooled estimate, CI and weights?"""
    st = [as_estimate_ci(s, "each study") for s in studies]
    pc = as_estimate_ci(pooled, "the pooled value") if pooled is not None else None
    ws = [as_claim(w) for w in weights]
    pcts = [w for w in ws if isinstance(w, Percent)]
    if len(pcts) != len(ws) or (ws and len(ws) != len(st)):
        raise TypeError("weights must be one percentage per study")
    ranges = pool_ranges(st, scale=scale, level=level)
    printed = _printed_outputs(pc, pcts)
    matches = {}
    for name in ("fixed", "random"):
        m = ranges.model(name)
        matches[name] = tuple(o for o, iv, i in printed
                              if _model_value(m, i).overlaps(float(iv.lo), float(iv.hi)))
    names = tuple(o for o, _, _ in printed)
    choice = rule.choose(ranges) if rule else None
    finding = _pooled_finding(ranges, printed, matches, names, choice, tuple(labels))
    return PooledCheck(ranges, matches, names, choice, finding)


def _pooled_finding(r: PoolRanges, printed: list[tuple[str, Interval, int]],
                    matches: Mapping[str, tuple[str, ...]], names: tuple[str, ...],
                    choice: str | None, labels: tuple[str, ...]) -> Finding:
    full = [m for m in ("fixed", "random") if set(matches[m]) == set(names)]
    het = f"Q {r.q}, I^2 {r.i2.lo:.1f}-{r.i2.hi:.1f}%, tau^2 {r.tau2}"
    if full:
        same = r.tau2.hi == 0.0
        model = "fixed or random effects (tau^2 = 0)" if same else " or ".join(
            {"fixed": "fixed effect", "random": "random effects (DerSimonian-Laird)"}[m]
            for m in full)
        if choice and choice != "either" and choice not in full:
            return Finding("pooled", "TS727", False,
                           f"reproduced only by {model}, but the protocol's model rule picks "
                           f"{choice} effects ({het})", labels,
                           "check which model the report used against the planned rule")
        return Finding("pooled", "TS726", True,
                       f"reproduced by generic inverse variance, {model} ({het})", labels)
    detail = []
    for model in ("fixed", "random"):
        m = r.model(model)
        bad = [f"{o} {_fmt_iv(iv)} vs {_model_value(m, i)}" for o, iv, i in printed
               if o not in matches[model]]
        detail.append(f"{model}: " + "; ".join(bad))
    return Finding("pooled", "TS726", False,
                   "not reproducible by generic inverse variance from the printed studies "
                   f"(printed vs the range their rounding allows) - {' | '.join(detail)}",
                   labels,
                   "a Mantel-Haenszel or Peto pool from the 2x2 counts weights studies "
                   "differently; give the counts to test it")


def _fmt_iv(iv: Interval) -> str:
    return f"[{iv.lo}, {iv.hi}]"


@dataclass(frozen=True, slots=True)
class PooledExplanation:
    """A printed pooled estimate, CI and weights against each pooling candidate."""

    results: tuple[ClaimResult, ...]  # estimate, lower, upper, weight 1..k (those printed)
    candidates: Mapping[str, tuple[float, ...]]  # name -> its outputs in the same order


_POOL_LABELS = {"fixed": "inverse variance, fixed effect",
                "random": "inverse variance, random effects (DerSimonian-Laird)",
                "mh": "Mantel-Haenszel, fixed effect"}


def _printed(pooled: str | Claim | None, weights: Sequence[str | Claim]) -> list[tuple[str, Claim]]:
    out: list[tuple[str, Claim]] = []
    if pooled is not None:
        pc = as_estimate_ci(pooled, "the pooled value")
        out += [("estimate", pc.estimate), ("lower", pc.lower), ("upper", pc.upper)]
    out += [(f"weight {i + 1}", as_claim(w)) for i, w in enumerate(weights)]
    return out


def explain_pooled(studies: Sequence[str | Claim], pooled: str | Claim | None = None,
                   weights: Sequence[str | Claim] = (), *, planned: str = "fixed",
                   scale: str = "log", level: float = 0.95) -> PooledExplanation:
    """Fixed vs random effects for a pool of printed (rounded) estimates with CIs: a
    candidate reproduces a printed output when the range its rounded inputs allow meets
    the output's rounding interval."""
    if planned not in ("fixed", "random"):
        raise ValueError(f"unknown pooling {planned!r}; one of fixed, random")
    st = [as_estimate_ci(s, "each study") for s in studies]
    ranges = pool_ranges(st, scale=scale, level=level)
    results: list[ClaimResult] = []
    cands: dict[str, tuple[Range, ...]] = {}
    for name in ("fixed", "random"):
        m = ranges.model(name)
        cands[name] = (m.estimate, m.lower, m.upper, *m.weights)
    for i, (quantity, claim) in enumerate(_printed(pooled, weights)):
        idx = i if pooled is not None else 3 + i
        iv = interval_of(claim)
        found = []
        for name, outs in cands.items():
            r = outs[idx]
            if r.overlaps(float(iv.lo), float(iv.hi)):
                found.append(Explanation(name, r.at_printed, REPRODUCES,
                                         f"{_POOL_LABELS[name]} gives {r.at_printed:.4g} "
                                         f"({r} over the inputs' rounding)"))
        found.sort(key=lambda e: e.candidate != planned)
        results.append(ClaimResult(claim.text, quantity, planned,
                                   cands[planned][idx].at_printed,
                                   any(e.candidate == planned for e in found), tuple(found)))
    return PooledExplanation(tuple(results), {n: tuple(r.at_printed for r in o)
                                              for n, o in cands.items()})


def explain_pooled_counts(tables: Sequence[ArrayLike], pooled: str | Claim | None = None,
                          weights: Sequence[str | Claim] = (), *, planned: str = "mh",
                          level: float = 0.95) -> PooledExplanation:
    """Mantel-Haenszel vs inverse variance (fixed, DerSimonian-Laird) odds ratios from each
    study's 2x2 table ``[[events, non-events] first arm, [events, non-events] second arm]``."""
    from trialspec.stats import meta

    t = np.asarray(tables, dtype=np.float64)
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    es = meta.effect_sizes_2x2(a, b, c, d, measure="OR")
    fits = {"mh": meta.mantel_haenszel(a, b, c, d, measure="OR", conf_level=level),
            "fixed": meta.pool(es, method="FE", conf_level=level),
            "random": meta.pool(es, method="DL", conf_level=level)}
    cands = {n: (r.effect, *r.effect_ci, *(float(w) for w in r.weights))
             for n, r in fits.items()}
    if planned not in cands:
        raise ValueError(f"unknown pooling {planned!r}; one of {', '.join(cands)}")
    results = []
    for i, (quantity, claim) in enumerate(_printed(pooled, weights)):
        idx = i if pooled is not None else 3 + i
        values = [(n, _POOL_LABELS[n], v[idx]) for n, v in cands.items()]
        results.append(judge(claim, values, quantity=quantity, planned=planned))
    return PooledExplanation(tuple(results), cands)
