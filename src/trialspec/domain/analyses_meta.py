"""Meta-analyses: pooled effects from each study's printed estimate and CI (generic inverse
variance) or from its 2x2 counts (inverse variance, Mantel-Haenszel or Peto), fixed and
random effects (DerSimonian-Laird or REML), Q, I^2, tau^2, weights, and the protocol's rule
for choosing the model. Computed at the printed values; the claims section judges reported
pooled rows over the rounding of their inputs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.domain.analyses_compute import AnalysisResult, _title, finding, fmt, num
from trialspec.domain.analyses_plan import LOG_MEASURES, AnalysisPlan
from trialspec.results import Table

POOLING_LABELS = {"iv": "inverse variance", "mh": "Mantel-Haenszel", "peto": "Peto"}


@dataclass(frozen=True)
class MetaFacts:
    """Both models at the printed inputs, the model the plan picks, and the inputs."""

    labels: tuple[str, ...]
    measure: str
    log_scale: bool
    fixed: Any  # trialspec.stats.meta.MetaResult
    random: Any
    chosen: str  # fixed | random
    rule_choice: str  # what the protocol's rule picks at the printed inputs
    studies: tuple[Any, ...]  # EstimateCI claims, when pooled from printed effects
    tables: np.ndarray | None  # (k, 4) counts, when pooled from 2x2 tables
    pooling: str
    level: float

    def model(self, name: str) -> Any:
        return self.fixed if name == "fixed" else self.random


def meta_analysis(plan: AnalysisPlan, ctx: Any = None) -> AnalysisResult:
    from trialspec.stats import meta
    from trialspec.stats.errors import StatsInputError

    findings: list[Diagnostic] = []
    if plan.source is not None:
        resolved = studies_from(plan, ctx.study_rows(plan.source.dataset), findings)
        if resolved is None:
            return AnalysisResult(plan, {"method": "meta_analysis"}, None, findings)
        plan = resolved
    measure = plan.options.get("measure", "OR")
    log_scale = measure in LOG_MEASURES
    tau2 = plan.options.get("tau2", "DL")
    tables = None
    try:
        if plan.studies:
            labels = tuple(s[0] for s in plan.studies)
            claims = tuple(s[1] for s in plan.studies)
            levels = {float(c.level) / 100 for c in claims if c.level is not None} or {0.95}
            es = meta.effect_sizes_from_ci(
                [float(c.estimate.value) for c in claims], [float(c.lower.value) for c in claims],
                [float(c.upper.value) for c in claims], log_scale=log_scale,
                ci_level=levels.pop(), measure=measure)
            pooling = "iv"
            fixed = meta.pool(es, method="FE", conf_level=plan.level)
        else:
            labels = tuple(s[0] for s in plan.counts)
            claims = ()
            tables = np.array([s[1] for s in plan.counts], dtype=float)
            a, b, c, d = tables.T
            if measure not in ("OR", "RR"):
                findings.append(finding("TS701", plan, f"a meta-analysis of 2x2 counts pools OR or "
                                        f"RR, not {measure}", "Set `measure: OR` or `measure: RR`."))
                return AnalysisResult(plan, {"method": "meta_analysis"}, None, findings)
            es = meta.effect_sizes_2x2(a, b, c, d, measure=measure)  # type: ignore[arg-type]
            pooling = plan.options.get("pooling", "mh")
            if pooling == "mh":
                fixed = meta.mantel_haenszel(a, b, c, d, measure=measure,  # type: ignore[arg-type]
                                             conf_level=plan.level)
            elif pooling == "peto":
                fixed = meta.peto(a, b, c, d, conf_level=plan.level)
            else:
                fixed = meta.pool(es, method="FE", conf_level=plan.level)
        random = meta.pool(es, method=tau2, conf_level=plan.level)  # type: ignore[arg-type]
        iv_fixed = meta.pool(es, method="FE", conf_level=plan.level)
    except StatsInputError as err:
        findings.append(finding("TS705", plan, str(err), "Check the studies' estimates and counts."))
        return AnalysisResult(plan, {"method": "meta_analysis"}, None, findings)
    rule_choice = meta.choose_model(iv_fixed, plan.rule.q_p_above, plan.rule.i2_below)
    model = plan.options.get("model", "rule")
    chosen = rule_choice if model == "rule" else model
    facts = MetaFacts(labels, measure, log_scale, fixed, random, chosen, rule_choice, claims,
                      tables, pooling, plan.level)
    summary = {**_summary(plan, facts, iv_fixed), "per_study": _per_study(facts, es)}
    _more(summary, es, facts)
    return AnalysisResult(plan, summary, _table(plan, facts, iv_fixed), findings, facts)


def _per_study(f: MetaFacts, es: Any) -> list[dict[str, Any]]:
    """Each study's estimate and CI, for forest plots: as printed when pooled from printed
    effects, else from its 2x2 counts (the estimate and variance pooled) at the plan's level."""
    from trialspec.claims.pooling import z_for

    if f.studies:
        return [{"study": lab, "estimate": float(s.estimate.value),
                 "ci": [float(s.lower.value), float(s.upper.value)], "source": "printed"}
                for lab, s in zip(f.labels, f.studies, strict=True)]
    z = z_for(f.level)
    y, half = np.asarray(es.yi, float), z * np.sqrt(np.asarray(es.vi, float))
    lo, hi = y - half, y + half
    if f.log_scale:
        y, lo, hi = np.exp(y), np.exp(lo), np.exp(hi)
    return [{"study": lab, "estimate": num(a), "ci": [num(b), num(c)], "source": "counts"}
            for lab, a, b, c in zip(f.labels, y.tolist(), lo.tolist(), hi.tolist(), strict=True)]


def _more(summary: dict[str, Any], es: Any, f: MetaFacts) -> None:
    """Every further figure (analyses_meta_more), under their own keys."""
    from trialspec.domain import analyses_meta_more as more

    for name in ("fixed", "random"):
        summary[name]["scale"] = more.model_scale(f.model(name))
    summary["random"].update(more.random_extras(es, f.random, f.level))
    summary["study_effects"] = more.study_effects(es, f.labels, f.level)
    tests = more.counts_tests(f.tables, f.level)
    if tests is not None:
        summary["tests"] = tests


def studies_from(plan: AnalysisPlan, rows: list[dict[str, Any]] | None,
                 findings: list[Diagnostic]) -> AnalysisPlan | None:
    """The plan with the studies a study-level dataset gives it (``from:``), one per row; a
    row whose estimate (or events) cells are all empty did not report the outcome and is left
    out. A bad row is a TS705 finding at its file row."""
    src = plan.source
    assert src is not None
    if rows is None:
        findings.append(finding("TS706", plan, f"cannot run: the study-level dataset '{src.dataset}' "
                                "was not read", "Check the data directory.", Severity.WARNING))
        return None
    reported = src.effect or src.events or ()
    columns = src.effect or (*(src.events or ()), *(src.totals or ()))
    studies, counts, bad = [], [], 0
    for row in rows:
        if not any(row["text"].get(c, "") for c in reported):
            continue
        study = _effect_row(plan, row, columns, findings) if src.effect else \
            _counts_row(plan, row, columns, findings)
        if study is None:
            bad += 1
        elif src.effect:
            studies.append(study)
        else:
            counts.append(study)
    if bad:
        return None
    if len(studies) + len(counts) < 2:
        findings.append(finding("TS705", plan, f"{len(studies) + len(counts)} study of "
                                f"'{src.dataset}' reports {', '.join(reported)}; a meta-analysis "
                                "pools at least two", "Fill in the studies' values."))
        return None
    return replace(plan, studies=tuple(studies), counts=tuple(counts))


def _effect_row(plan: AnalysisPlan, row: dict[str, Any], columns: tuple[str, ...],
                findings: list[Diagnostic]) -> tuple[str, Any, Any] | None:
    """(label, printed estimate with CI, span) of a row, or None with a finding at the row."""
    from trialspec.claims.values import ClaimSyntaxError, EstimateCI, parse_claim

    assert plan.source is not None
    label, span = str(row["values"].get(plan.source.key)), row["span"]
    cells = [row["text"].get(c, "") for c in columns]
    printed = f"{cells[0]} [{cells[1]};{cells[2]}]"
    try:
        claim: Any = parse_claim(printed, kind="ci")
    except ClaimSyntaxError:
        claim = None
    why = "is not an estimate with its CI"
    if isinstance(claim, EstimateCI):
        est, lo, hi = (float(x.value) for x in (claim.estimate, claim.lower, claim.upper))
        if not lo < est < hi:
            why = "is not an estimate inside its CI (lower < estimate < upper)"
        elif plan.options.get("measure", "OR") in LOG_MEASURES and lo <= 0:
            why = f"is not a ratio's CI ({plan.options.get('measure', 'OR')} and its limits are above 0)"
        else:
            return label, claim, span
    findings.append(finding("TS705", plan, f"study {label}: `{printed}` ({', '.join(columns)}) {why}",
                            "Fill in the estimate and both limits as printed.", span=span))
    return None


def _counts_row(plan: AnalysisPlan, row: dict[str, Any], columns: tuple[str, ...],
                findings: list[Diagnostic]) -> tuple[str, tuple[int, int, int, int], Any] | None:
    """(label, 2x2 counts, span) of a row: events and totals, treated then control."""
    assert plan.source is not None
    label, span = str(row["values"].get(plan.source.key)), row["span"]
    values = [row["values"].get(c) for c in columns]
    e_t, e_c, n_t, n_c = values
    if any(not isinstance(v, int | float) or v != int(v) or v < 0 for v in values) or (
            e_t > n_t or e_c > n_c or n_t == 0 or n_c == 0):
        e_t, e_c, n_t, n_c = (row["text"].get(c, "") for c in columns)
        findings.append(finding("TS705", plan, f"study {label}: events {e_t}/{n_t} and {e_c}/{n_c} "
                                f"({', '.join(columns)}) are not counts out of totals",
                                "Give whole numbers of events, each at most its arm's total (above 0).",
                                span=span))
        return None
    a, c = int(e_t), int(e_c)
    return label, (a, int(n_t) - a, c, int(n_c) - c), span


def _model(r: Any) -> dict[str, Any]:
    lo, hi = r.effect_ci
    return {"method": r.method, "estimate": num(r.effect), "ci": [num(lo), num(hi)],
            "p": num(r.p_value), "tau2": num(r.tau2), "i2": num(r.i2),
            "weights": [num(w) for w in r.weights]}


def _summary(plan: AnalysisPlan, f: MetaFacts, iv_fixed: Any) -> dict[str, Any]:
    return {
        "method": "meta_analysis", "measure": f.measure, "k": len(f.labels),
        "studies": list(f.labels), "pooling": f.pooling, "level": f.level,
        "fixed": _model(f.fixed), "random": _model(f.random),
        # the fixed model's own heterogeneity (rma.mh's Q is around the MH estimate); the
        # inverse-variance one, which the model rule reads, beside it
        "heterogeneity": {"q": num(f.fixed.q), "df": f.fixed.q_df, "p": num(f.fixed.q_p_value),
                          "i2": num(f.fixed.i2_from_q), "tau2": num(f.random.tau2),
                          "method": f.fixed.method},
        "heterogeneity_iv": {"q": num(iv_fixed.q), "df": iv_fixed.q_df, "p": num(iv_fixed.q_p_value),
                             "i2": num(iv_fixed.i2_from_q)},
        "rule": {"q_p_above": plan.rule.q_p_above, "i2_below": plan.rule.i2_below,
                 "picks": f.rule_choice},
        "model": f.chosen,
    }


def _study_effects(f: MetaFacts) -> list[str]:
    """Each study's own effect and CI from its 2x2 counts (escalc's OR/RR with its 0.5 rule),
    so that the measure's column holds the measure, and the counts a column of their own."""
    from trialspec.claims.pooling import z_for
    from trialspec.stats import meta

    if f.tables is None or f.measure not in ("OR", "RR"):
        return ["" for _ in f.labels]
    es = meta.effect_sizes_2x2(*np.asarray(f.tables, dtype=float).T,
                               measure="OR" if f.measure == "OR" else "RR")
    half = z_for(f.level) * np.sqrt(es.vi)
    est, lo, hi = np.exp(es.yi), np.exp(es.yi - half), np.exp(es.yi + half)
    return [f"{fmt(e)} [{fmt(a)}; {fmt(b)}]" if np.isfinite(e) else ""
            for e, a, b in zip(est, lo, hi, strict=True)]


def _table(plan: AnalysisPlan, f: MetaFacts, iv_fixed: Any) -> Table:
    rows: list[tuple[Any, ...]] = []
    counted = f.tables is not None and not f.studies
    effects = _study_effects(f) if counted else []
    for i, label in enumerate(f.labels):
        shares = (f"{fmt(f.fixed.weights[i], 3)}%", f"{fmt(f.random.weights[i], 3)}%")
        if counted:
            counts = " / ".join(str(int(x)) for x in f.tables[i])  # type: ignore[index]
            rows.append((label, counts, effects[i], *shares))
        else:
            s = f.studies[i]
            rows.append((label, f"{s.estimate.text} [{s.lower.text}; {s.upper.text}]", *shares))
    for name in ("fixed", "random"):
        r = f.model(name)
        lo, hi = r.effect_ci
        mark = " (chosen)" if name == f.chosen else ""
        pooled = f"{fmt(r.effect)} [{fmt(lo)}; {fmt(hi)}]"
        rows.append((f"pooled, {name}{mark}", "", pooled, "", "") if counted else
                    (f"pooled, {name}{mark}", pooled, "", ""))
    note = (f"{POOLING_LABELS[f.pooling]} (fixed), {f.random.method} (random); Q = {fmt(f.fixed.q)} "
            f"(df {f.fixed.q_df}), p = {fmt(f.fixed.q_p_value)}, I^2 = {fmt(f.fixed.i2_from_q, 3)}%, "
            f"tau^2 = {fmt(f.random.tau2)}; rule (fixed if Q p > {plan.rule.q_p_above:g} and "
            f"I^2 < {plan.rule.i2_below:g}%) picks {f.rule_choice}")
    weights = ("weight (fixed)", "weight (random)")
    columns = (("study", "2x2 counts (a / b / c / d)", f"{f.measure} [CI]", *weights) if counted
               else ("study", f"{f.measure} [CI]", *weights))
    return Table(_title(plan), columns,
                 tuple(rows), note)
