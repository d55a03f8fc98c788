"""Reported claims against time-to-event analyses and meta-analyses (see claims_judge)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trialspec.claims.pooling import z_for
from trialspec.claims.values import EstimateCI, Interval, NotReached, Number, OpenCI, Percent
from trialspec.domain.analyses_compute import fmt
from trialspec.domain.analyses_meta import MetaFacts
from trialspec.domain.analyses_plan import AnalysisPlan
from trialspec.domain.analyses_survival import SurvivalFacts
from trialspec.domain.claims_judge import (
    PairFinding,
    Record,
    _did_you_mean,
    _n,
    _Sizes,
    from_result,
    judge_parts,
    judge_planned,
    parse,
    parts_match,
    set_verdict,
    unchecked,
)

POOLINGS = {"mh": "Mantel-Haenszel", "peto": "Peto", "iv": "inverse-variance"}
MODEL_LABELS = {"fixed": "inverse variance, fixed effect",
                "random": "inverse variance, random effects (DerSimonian-Laird)",
                "mh": "Mantel-Haenszel, fixed effect", "peto": "Peto, fixed effect",
                "iv": "inverse variance, fixed effect", "DL": "random effects (DerSimonian-Laird)",
                "REML": "random effects (REML)"}


def _ci_text(v: Sequence[float | None]) -> str:
    def one(x: float | None) -> str:
        return "not reached" if x is None or not np.isfinite(x) else fmt(x)

    return f"{one(v[0])} [{one(v[1])}; {one(v[2])}]"


# -- time to event ------------------------------------------------------------------------

def judge_survival(plan: AnalysisPlan, f: SurvivalFacts, records: Sequence[Record]) -> list[PairFinding]:
    labels = list(f.labels)
    for r in records:
        c = parse(r)
        if c is None:
            continue
        head, tail = (r.rest[0], r.rest[1:]) if r.rest else ("", ())
        if head in ("statistic", "p") and not tail:
            _logrank(plan, r, c, f, head)
            continue
        if head == "hr":
            _hazard_ratio(r, c, f, tail[0] if tail else None)
            continue
        group = tail[0] if tail else ("all" if labels == ["all"] else None)
        if head not in ("median", "n", "events") or len(tail) > 1 or group not in labels:
            unchecked(r, f"{r.label}: a Kaplan-Meier analysis reads median.<group>, n.<group>, "
                      "events.<group>, statistic, p or hr", _did_you_mean(str(group), labels))
            continue
        i = labels.index(group)
        curve = f.curves[i]
        if head == "median":
            _median(r, c, f, i)
        elif curve is None:
            unchecked(r, f"{r.label}: the group is empty")
        else:
            _n(r, c, _Sizes(labels, np.array([(x.n if head == "n" else x.events) if x else 0
                                              for x in f.curves])), i,
               "subjects" if head == "n" else "events")
    return []


def _median(r: Record, c: Any, f: SurvivalFacts, i: int) -> None:
    from trialspec.stats.survival import kaplan_meier

    curve = f.curves[i]
    if curve is None:
        unchecked(r, f"{r.label}: the group is empty")
        return
    shown = "not reached" if curve.median is None else fmt(curve.median)
    if isinstance(c, NotReached):
        ok = curve.median is None
        set_verdict(r, "reproduced" if ok else "not reproduced", shown,
                    f"the median is {shown}" if ok else
                    f"{r.label} = {c.text} is not reproduced: the median is {shown} {f.unit}",
                    None if ok else "TS711", None if ok else "the curve reaches 0.5")
        return
    if isinstance(c, Number):
        res = judge_planned(c, [("km", "the Kaplan-Meier median", curve.median)], {"km"}, "median")
        from_result(r, res, shown, "the Kaplan-Meier median")
        return
    if not isinstance(c, EstimateCI | OpenCI):
        unchecked(r, f"{r.label}: a median is a number, `NR`, or a median with its CI")
        return
    cands: dict[str, tuple[str, list[float | None]]] = {}
    ct: Any
    for ct in ("log", "log-log", "plain"):
        km = kaplan_meier(f.time, f.event, f.group, conf_type=ct, conf_level=f.level)
        cu = next(x for x in km.curves if x.group == i)
        cands[ct] = (f"the median with a {ct} CI",
                     [_nan(cu.median), _nan(cu.median_lower), _nan(cu.median_upper)])
    judge_parts(r, [c.estimate, c.lower, c.upper], cands, f.conf_type, _ci_text)


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _logrank(plan: AnalysisPlan, r: Record, c: Any, f: SurvivalFacts, which: str) -> None:
    if f.logrank is None:
        unchecked(r, f"{r.label}: no log-rank test was computed (plan it with `tests: [logrank]`)")
        return
    values = [("logrank", "the log-rank test",
               f.logrank.chisq if which == "statistic" else f.logrank.p_value)]
    if which == "p" and f.cox is not None and len(f.cox.p_value) == 1:
        values.append(("cox", "the Cox model's Wald test", float(f.cox.p_value[0])))
    res = judge_planned(c, values, {"logrank"}, which)
    from_result(r, res, fmt(values[0][2]), "the log-rank test")


def _hazard_ratio(r: Record, c: Any, f: SurvivalFacts, group: str | None) -> None:
    from trialspec.stats.survival import cox_ph

    if not isinstance(c, EstimateCI):
        unchecked(r, f"{r.label}: a hazard ratio is printed with its CI")
        return
    present = [g for g in range(len(f.labels)) if (f.group == g).any()]
    others = present[1:]
    if not others or f.event.sum() == 0:
        unchecked(r, f"{r.label}: no hazard ratio can be estimated")
        return
    if group is None and len(others) == 1:
        j = 0
    elif group in f.labels and f.labels.index(group) in others:
        j = others.index(f.labels.index(group))
    else:
        unchecked(r, f"{r.label}: name the group compared with {f.labels[present[0]]}",
                  _did_you_mean(str(group), [f.labels[g] for g in others]))
        return
    x = np.column_stack([(f.group == g).astype(float) for g in others])
    cands: dict[str, tuple[str, list[float | None]]] = {}
    ties: Any
    for ties in ("efron", "breslow"):
        try:
            m = cox_ph(f.time, f.event, x, ties=ties, conf_level=f.level)
        except ValueError:
            continue
        hr, lo, hi = float(m.hazard_ratio[j]), float(m.conf_low[j]), float(m.conf_high[j])
        cands[ties] = (f"Cox ({ties} ties)", [hr, lo, hi])
        cands[f"{ties}_reversed"] = (f"Cox ({ties} ties), groups reversed", [1 / hr, 1 / hi, 1 / lo])
    if "efron" not in cands:
        unchecked(r, f"{r.label}: the Cox model does not converge")
        return
    judge_parts(r, [c.estimate, c.lower, c.upper], cands, "efron", _ci_text)


# -- meta-analysis ------------------------------------------------------------------------

def judge_meta(plan: AnalysisPlan, f: MetaFacts, records: Sequence[Record]) -> list[PairFinding]:
    if f.studies:
        return _meta_printed(plan, f, records)
    return _meta_counts(plan, f, records)


def _overlaps(rng: Any, iv: Interval) -> bool:
    return bool(rng.overlaps(float(iv.lo), float(iv.hi)))


def _meta_printed(plan: AnalysisPlan, f: MetaFacts, records: Sequence[Record]) -> list[PairFinding]:
    """Pooled outputs over the rounding of the printed study rows (claims.pooling)."""
    from trialspec.claims.pooling import ModelRule, pool_ranges

    ranges = pool_ranges(list(f.studies), scale="log" if f.log_scale else "linear", level=f.level)
    choice = ModelRule(plan.rule.q_p_above, plan.rule.i2_below).choose(ranges)
    if plan.options.get("model", "rule") != "rule":
        planned = {f.chosen}
    else:
        planned = {"fixed", "random"} if choice == "either" else {choice}
    why = (f"the protocol's rule picks {' or '.join(sorted(planned))} effects "
           f"(Q {ranges.q}, I^2 {ranges.i2.lo:.1f}-{ranges.i2.hi:.1f}%)")
    for r in records:
        c = parse(r, kind="ci" if r.rest[:1] in (("pooled",), ("studies",)) else None)
        if c is None:
            continue
        head, tail = (r.rest[0], r.rest[1:]) if r.rest else ("", ())
        if head == "pooled" and not tail and isinstance(c, EstimateCI):
            parts = (("estimate", c.estimate.interval), ("lower", c.lower.interval),
                     ("upper", c.upper.interval))
            _judge_ranges(r, parts, {m: ranges.model(m) for m in ("fixed", "random")}, planned, why,
                          lambda m, name: getattr(m, name))
        elif head == "weights" and len(tail) == 1 and tail[0] in f.labels and isinstance(c, Percent):
            i = f.labels.index(tail[0])
            _judge_ranges(r, (("weight", c.interval),), {m: ranges.model(m) for m in ("fixed", "random")},
                          planned, why, lambda m, _n, i=i: m.weights[i])
        elif head == "studies" and len(tail) == 1 and tail[0] in f.labels:
            given = f.studies[f.labels.index(tail[0])]
            same = isinstance(c, EstimateCI) and (c.estimate.value, c.lower.value, c.upper.value) == (
                given.estimate.value, given.lower.value, given.upper.value)
            wrong = None if same or not f.log_scale or not isinstance(c, EstimateCI) else \
                _ratio_scale_ci(c, given, f.level)
            if wrong is not None:
                set_verdict(r, "not reproduced", given.text,
                            f"{r.label} = {r.claim.text} is the input {given.text} with its standard "
                            f"error taken on the {f.measure} scale, (upper - lower) / {wrong[1]} = "
                            f"{wrong[0]}, instead of the log scale", "TS729",
                            "A ratio's CI is symmetric on the log scale: SE = (ln upper - ln lower) / "
                            "3.92. The narrower CI overstates the study's precision, and a pool of such "
                            "rows inherits it.")
                continue
            set_verdict(r, "reproduced" if same else "not reproduced", given.text,
                        "the analysis' input" if same else
                        f"{r.label} = {r.claim.text} differs from the analysis' input {given.text}",
                        None if same else "TS711", None if same else "the table and the analysis "
                        "should pool the same study rows")
        elif head in ("i2", "tau2", "q") and not tail and isinstance(c, Number | Percent):
            rng = getattr(ranges, head)
            ok = _overlaps(rng, c.interval)
            set_verdict(r, "reproduced" if ok else "not reproduced", f"{rng}",
                        f"the rounded studies allow {head} {rng}" if ok else
                        f"{r.label} = {r.claim.text} is not reproduced: the rounded studies allow "
                        f"{head} {rng}", None if ok else "TS711")
        else:
            unchecked(r, f"{r.label}: a meta-analysis reads pooled, weights.<study>, "
                      "studies.<study>, q, i2 or tau2", _did_you_mean(tail[0] if tail else head,
                                                                       list(f.labels)))
    return []


def _ratio_scale_ci(printed: EstimateCI, given: EstimateCI, level: float) -> tuple[str, str] | None:
    """(the SE, 2 z) as text when ``printed`` is ``given`` with its CI rebuilt from an SE taken
    on the ratio scale, ``(upper - lower) / (2 z)``, as if it were the log ratio's; else None."""
    if given.level is not None:  # the study's own CI level, when printed with it
        level = float(given.level) / 100
    z = z_for(level)
    est, lo, hi = (float(x.value) for x in (given.estimate, given.lower, given.upper))
    se = (hi - lo) / (2 * z)
    if est <= 0 or se <= 0:
        return None
    wrong = (est, est * float(np.exp(-z * se)), est * float(np.exp(z * se)))
    parts = (printed.estimate, printed.lower, printed.upper)
    if not all(p.interval.contains(v) for p, v in zip(parts, wrong, strict=True)):
        return None
    return fmt(se, 3), f"{2 * z:.3g}"


def _judge_ranges(r: Record, parts: Sequence[tuple[str, Interval]], models: dict[str, Any],
                  planned: set[str], why: str, get: Any) -> None:
    fits = {m: all(_overlaps(get(models[m], name), iv) for name, iv in parts) for m in models}
    shown = {m: ", ".join(f"{name} {get(models[m], name)}" for name, _ in parts) for m in models}
    plan_name = sorted(planned)[0]
    computed = shown[plan_name]
    if any(fits[m] for m in planned):
        ok = next(m for m in sorted(planned) if fits[m])
        set_verdict(r, "reproduced", shown[ok], f"{MODEL_LABELS[ok]} gives {shown[ok]} over the "
                    "rounding of the printed studies")
        return
    others = [m for m in models if fits[m] and m not in planned]
    detail = " | ".join(f"{MODEL_LABELS[m]}: {shown[m]}" for m in models)
    if others:
        set_verdict(r, "not reproduced", computed,
                    f"{r.label} = {r.claim.text} is reproduced only by {MODEL_LABELS[others[0]]}, "
                    f"but {why}", "TS727",
                    f"{MODEL_LABELS[others[0]]} gives {shown[others[0]]}; report the model the rule picks, "
                    "or state the deviation")
    else:
        set_verdict(r, "not reproduced", computed,
                    f"{r.label} = {r.claim.text} is not reproduced by generic inverse variance from the "
                    f"printed studies, fixed or random effects ({detail})", "TS726",
                    "a Mantel-Haenszel or Peto pool of the 2x2 counts weights studies differently; "
                    "give the counts (`counts:`) to test it")


def _meta_counts(plan: AnalysisPlan, f: MetaFacts, records: Sequence[Record]) -> list[PairFinding]:
    from trialspec.stats import meta
    from trialspec.stats.errors import StatsInputError

    assert f.tables is not None
    a, b, c_, d = f.tables.T
    es = meta.effect_sizes_2x2(a, b, c_, d, measure=f.measure)  # type: ignore[arg-type]
    fits: dict[str, Any] = {}
    for name, fit in (("mh", lambda: meta.mantel_haenszel(a, b, c_, d, measure=f.measure,  # type: ignore[arg-type]
                                                          conf_level=f.level)),
                      ("peto", lambda: meta.peto(a, b, c_, d, conf_level=f.level)),
                      ("iv", lambda: meta.pool(es, method="FE", conf_level=f.level)),
                      ("DL", lambda: meta.pool(es, method="DL", conf_level=f.level)),
                      ("REML", lambda: meta.pool(es, method="REML", conf_level=f.level))):
        if name == "peto" and f.measure != "OR":
            continue
        try:
            fits[name] = fit()
        except StatsInputError:
            continue
    planned = f.pooling if f.chosen == "fixed" else plan.options.get("tau2", "DL")
    z = z_for(f.level)
    decided: list[Record] = []  # reproduced by the planned pooling, but not by the other one
    other = "iv" if planned in ("mh", "peto") else "mh" if planned == "iv" else None
    for r in records:
        c = parse(r)
        if c is None:
            continue
        head, tail = (r.rest[0], r.rest[1:]) if r.rest else ("", ())
        if head == "pooled" and not tail and isinstance(c, EstimateCI):
            cands = {m: (MODEL_LABELS[m], [x.effect, *x.effect_ci]) for m, x in fits.items()}
            judge_parts(r, [c.estimate, c.lower, c.upper], cands, planned, _ci_text)
            if _decides(r, [c.estimate, c.lower, c.upper], cands, other):
                decided.append(r)
        elif head == "weights" and len(tail) == 1 and tail[0] in f.labels and isinstance(c, Percent):
            i = f.labels.index(tail[0])
            cands = {m: (MODEL_LABELS[m], [float(x.weights[i])]) for m, x in fits.items()}
            judge_parts(r, [c], cands, planned, lambda v: f"{fmt(v[0], 3)}%")
            if _decides(r, [c], cands, other):
                decided.append(r)
        elif head == "studies" and len(tail) == 1 and tail[0] in f.labels and isinstance(c, EstimateCI):
            i = f.labels.index(tail[0])
            y, se = float(es.yi[i]), float(np.sqrt(es.vi[i]))
            study = [y, y - z * se, y + z * se]
            values = [float(np.exp(v)) for v in study] if f.log_scale else study
            label = f"the study's {f.measure} from its 2x2 counts (Wald CI)"
            judge_parts(r, [c.estimate, c.lower, c.upper], {"study": (label, values)}, "study", _ci_text)
        elif head in ("i2", "tau2", "q") and not tail and isinstance(c, Number | Percent):
            value = {"i2": fits["iv"].i2_from_q, "tau2": fits[plan.options.get("tau2", "DL")].tau2,
                     "q": fits["iv"].q}[head]
            res = judge_planned(c, [(head, head, value)], {head}, head)
            from_result(r, res, fmt(value), f"the pooled studies' {head}")
        else:
            unchecked(r, f"{r.label}: a meta-analysis reads pooled, weights.<study>, "
                      "studies.<study>, q, i2 or tau2", _did_you_mean(tail[0] if tail else head,
                                                                    list(f.labels)))
    if not decided or other is None or "pooling" in plan.options:
        return []
    shown = _ci_text([fits[other].effect, *fits[other].effect_ci])
    return [PairFinding(
        "TS728", f"{decided[0].label} = {decided[0].claim.text} is reproduced by "
        f"{POOLINGS[planned]} pooling of the 2x2 counts, not by {POOLINGS[other]} pooling of "
        f"the same counts ({shown}): the pooling method decides it, and the protocol names none",
        "Name the pooling method (`pooling:`), as the report should; R's "
        "meta::metabin pools by Mantel-Haenszel by default, metafor::rma by inverse variance.",
        decided[0], tuple(decided[1:]))]


def _decides(r: Record, parts: Sequence[Any], cands: Mapping[str, tuple[str, Sequence[float | None]]],
             other: str | None) -> bool:
    """Whether a claim the planned pooling reproduced is one the other pooling would not."""
    return (r.status == "reproduced" and other is not None and other in cands
            and not parts_match(parts, cands[other][1]))

