"""Planned analyses: the protocol's ``analyses:`` checked and lowered into plans.

A plan names what to compute, never how: the endpoint, the groups (each a condition the
checker lowered to IR), the tests, and the method's options. ``analyses_compute`` runs a
plan on a backend's values with :mod:`trialspec.stats`. docs/analyses.md describes every
method, test and option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from trialspec.check.protocol import parse_model_expr
from trialspec.check.scope import Scope
from trialspec.check.typecheck import Checker
from trialspec.diagnostics import Diagnostic
from trialspec.domain.endpoints import (
    EndpointPlan,
    compile_endpoints,
    lower_condition,
    lower_value,
    new_checker,
)
from trialspec.domain.populations import (
    PopulationPlan,
    Populations,
    analysis_population,
    compile_populations,
)
from trialspec.lang import ast, ir
from trialspec.lang.types import Kind
from trialspec.source import Span

METHODS = ("proportion", "counts", "summary", "kaplan_meier", "meta_analysis", "ancova", "logistic",
           "crosstab", "ordinal")
METHOD_ALIASES = {"km": "kaplan_meier", "survival": "kaplan_meier", "meta": "meta_analysis",
                  "frequency": "counts"}

# protocol test name -> candidate name in trialspec.claims.explain (proportions) or our own
TESTS: dict[str, dict[str, str]] = {
    "proportion": {"fisher": "fisher", "fisher_less": "fisher_less",
                   "fisher_greater": "fisher_greater", "chi2": "pearson_chi2",
                   "chi2_yates": "pearson_chi2_yates", "g_test": "likelihood_ratio"},
    "kaplan_meier": {"logrank": "logrank", "cox": "cox"},
    "crosstab": {"chi2": "chi2", "fisher": "fisher", "trend": "trend", "g_test": "g_test",
                 "cmh": "cmh", "mcnemar": "mcnemar", "mcnemar_nocc": "mcnemar_nocc"},
    "summary": {"ttest": "welch", "welch": "welch", "student": "student",
                "wilcoxon": "wilcoxon", "wilcoxon_normal": "wilcoxon_normal",
                "wilcoxon_nocc": "wilcoxon_nocc", "anova": "anova", "kruskal": "kruskal"},
}
PAIRED_TESTS = ("mcnemar", "mcnemar_nocc")
"""Crosstab tests of paired data: `by: [before, after]`, two columns of each subject with the
same levels, the square table of (before, after) pairs."""
DEFAULT_TESTS = {"proportion": ("fisher",), "kaplan_meier": ("logrank",), "crosstab": ("chi2",)}

_COMMON = {"groups", "reported_as", "level"}
OPTIONS: dict[str, set[str]] = {
    "proportion": _COMMON | {"measure", "rd_ci"},
    "counts": _COMMON,
    "summary": _COMMON | {"variable"},
    "kaplan_meier": _COMMON | {"conf_type", "ties", "tau", "landmarks", "strata", "covariates"},
    "ancova": _COMMON | {"variable", "covariates", "dose"},
    "crosstab": _COMMON | {"strata"},
    "ordinal": _COMMON | {"outcome", "covariates"},
    "logistic": _COMMON | {"covariates"},
    "meta_analysis": {"reported_as", "level", "measure", "studies", "counts", "model", "rule",
                      "tau2", "pooling", "from", "effect"},
}
CHOICES = {
    "conf_type": ("log", "log-log", "plain"),
    "ties": ("efron", "breslow"),
    "measure": ("OR", "RR", "HR", "MD", "RD", "NNT"),
    "model": ("rule", "fixed", "random"),
    "tau2": ("DL", "REML"),
    "pooling": ("iv", "mh", "peto"),
    "rd_ci": ("wald", "newcombe", "prop_test"),
}
PROPORTION_MEASURES = ("OR", "RR", "RD", "NNT")
LOG_MEASURES = ("OR", "RR", "HR")
RESPONDERS, NON_RESPONDERS = "responders", "non_responders"
CI_PATHS = {"pooled", "studies", "or", "hr", "ci", "median", "rd", "rr", "nnt"}
"""Path elements under which ``est (lo-hi)`` is an estimate with its CI, not a range."""


@dataclass(frozen=True)
class GroupPlan:
    """One group: the subjects for whom a condition (or a binary endpoint) holds."""

    label: str
    span: Span
    condition: ir.Node | None = None
    endpoint: EndpointPlan | None = None  # grouped by an endpoint: its responders or not
    negate: bool = False
    text: str | None = None  # the condition as written, for `options.groups`


@dataclass(frozen=True)
class Covariate:
    """A model covariate: a number, or a category (its declared levels, the first the reference)."""

    name: str
    node: ir.Node
    levels: tuple[str, ...] | None = None
    type: Any = None  # the checker's Type of a category (for its level constants)


@dataclass(frozen=True)
class ModelRule:
    """The protocol's choice of model: fixed effect if Q's p > q_p_above and I^2 < i2_below."""

    q_p_above: float = 0.1
    i2_below: float = 50.0


@dataclass(frozen=True)
class StudySource:
    """A meta-analysis reading its studies from a study-level dataset (``from:``): each
    study's 2x2 counts (events and totals, treated then control) or its printed effect
    (estimate, lower, upper), by column."""

    dataset: str
    key: str  # the column naming each study
    span: Span
    events: tuple[str, str] | None = None
    totals: tuple[str, str] | None = None
    effect: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class AnalysisPlan:
    """One planned analysis, ready to compute."""

    id: str
    span: Span
    method: str
    description: str | None
    endpoint: EndpointPlan | None
    groups: tuple[GroupPlan, ...]
    grouped_by: str | None  # `by: name`, "groups" for options.groups, None ungrouped
    tests: tuple[str, ...]
    population: PopulationPlan | None
    aliases: tuple[str, ...] = ()
    level: float = 0.95
    variable: ir.Node | None = None  # summary
    options: Mapping[str, str] = field(default_factory=dict)  # choices (conf_type, model, ...)
    studies: tuple[tuple[str, Any, Span], ...] = ()  # meta: (label, EstimateCI claim, span)
    counts: tuple[tuple[str, tuple[int, int, int, int], Span], ...] = ()  # meta: 2x2 per study
    source: StudySource | None = None  # meta: studies read from a study-level dataset
    rule: ModelRule = ModelRule()
    covariates: tuple[Covariate, ...] = ()  # ancova, logistic
    columns: tuple[GroupPlan, ...] = ()  # crosstab: the second `by` name's levels
    column_by: str | None = None
    strata: tuple[GroupPlan, ...] = ()  # crosstab (CMH), kaplan_meier (log-rank, Cox)
    tau: float | None = None  # kaplan_meier: restricted mean survival time up to tau
    landmarks: tuple[float, ...] = ()  # kaplan_meier: survival and at risk at these times
    doses: tuple[float, ...] = ()  # ancova: each group's dose, for the dose-response test

    @property
    def exhaustive(self) -> bool:
        """Whether every subject of the population falls in a group, as far as the protocol
        shows: groups by a column's levels, a condition or an endpoint, or two named groups
        written `x` and `not x`."""
        if self.grouped_by != "groups":
            return self.grouped_by is not None
        texts = [" ".join((g.text or "").split()) for g in self.groups]
        return len(texts) == 2 and (texts[1] == f"not {texts[0]}" or texts[0] == f"not {texts[1]}")


@dataclass
class CompiledAnalyses:
    """Every analysis plan, every endpoint plan, and what was found on the way."""

    plans: dict[str, AnalysisPlan]
    endpoints: dict[str, EndpointPlan]
    diagnostics: list[Diagnostic]
    populations: Populations | None = None


def compile_analyses(protocol: Any) -> CompiledAnalyses:
    """Lower the protocol's endpoints and analyses; the ones in error are left out."""
    checker = new_checker(protocol)
    endpoints, diags = compile_endpoints(protocol, checker)
    pops = compile_populations(protocol, checker, diags)
    plans: dict[str, AnalysisPlan] = {}
    for aid, analysis in protocol.analyses.items():
        plan = _Planner(protocol, checker, endpoints, diags, pops).plan(aid, analysis)
        if plan is not None:
            plans[aid] = plan
    return CompiledAnalyses(plans, endpoints, [*diags, *checker.diagnostics], pops)


def _text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "text", value))


def _suggest(word: str, choices: Any) -> str:
    close = Scope.suggest(word, choices)
    return f"Did you mean `{close}`?" if close else "One of: " + ", ".join(f"`{c}`" for c in choices) + "."


class _Planner:
    def __init__(self, protocol: Any, checker: Checker, endpoints: dict[str, EndpointPlan],
                 diags: list[Diagnostic], pops: Populations):
        self.protocol, self.checker, self.endpoints, self.diags = protocol, checker, endpoints, diags
        self.pops = pops

    def error(self, message: str, span: Span, hint: str) -> None:
        self.diags.append(Diagnostic("TS701", message, span, hint))

    def plan(self, aid: str, a: Any) -> AnalysisPlan | None:
        before = len(self.diags) + len(self.checker.diagnostics)
        options: Mapping[str, Any] = a.extra.get("options") or {}
        found = self.endpoint(a)
        if found is False:
            return None
        endpoint = found if isinstance(found, EndpointPlan) else None
        method = self.method(a, endpoint, options)
        if method is None:
            return None
        for key in options:
            if key not in OPTIONS[method]:
                self.error(f"`{key}` is not an option of {method} analyses", a.span,
                           _suggest(key, sorted(OPTIONS[method])))
        tests = self.tests(a, method)
        groups, grouped_by = self.groups(a, options)
        population = analysis_population(a.extra.get("population"), self.pops, self.checker,
                                         f"the population of {aid}", self.diags)
        if population is None:  # in error (reported): never every subject instead
            return None
        kw: dict[str, Any] = {}
        if method in ("summary", "ancova"):
            kw["variable"] = self.variable(a, options)
        if method == "crosstab":
            if len(a.by_all) != 2:
                self.error("a crosstab needs `by: [rows, columns]`", a.span,
                           "e.g. `by: [arm, radiological_response]`.")
            else:
                kw["columns"], kw["column_by"] = self.by(a, a.by_all[1]), a.by_all[1]
                self.paired(a, groups, kw["columns"])
            if options.get("strata") is not None:
                kw["strata"] = self.by(a, str(_text(options["strata"])))
            if "cmh" in a.tests and options.get("strata") is None:
                self.error("the CMH test needs `options: {strata: ...}`", a.span,
                           "Name the stratifying category, e.g. `strata: site_group`.")
        if method == "kaplan_meier":
            kw.update(self.survival_options(options))
            if options.get("strata") is not None:
                kw["strata"] = self.by(a, str(_text(options["strata"])))
            kw["covariates"] = self.covariates(a, options)
        if method == "ordinal":
            kw["covariates"] = self.covariates(a, {"covariates": (options.get("outcome"),)}
                                               if options.get("outcome") is not None else {})
            if not kw["covariates"] or kw["covariates"][0].levels is None:
                self.error("an ordinal analysis needs `options: {outcome: ...}`, a category whose "
                           "levels are declared in order", a.span,
                           "e.g. `outcome: radiology_6m`, levels from worst to best.")
            kw["covariates"] += self.covariates(a, options)
            if grouped_by in (None, "groups"):
                self.error("an ordinal analysis compares the levels of `by:` (the arm)", a.span,
                           "Name the treatment column, e.g. `by: arm`.")
        if method == "ancova" and options.get("dose") is not None:
            kw["doses"] = self.doses(a, options["dose"], groups)
        if method in ("ancova", "logistic"):
            kw["covariates"] = self.covariates(a, options)
            if grouped_by in (None, "groups"):
                self.error(f"a {method} analysis compares the levels of `by:` (the arm)", a.span,
                           "Name the treatment column, e.g. `by: arm`.")
        if method == "meta_analysis":
            kw.update(self.meta_inputs(a, options))
        choices = {k: self.choice(k, options[k]) for k in CHOICES if k in options}
        if method == "proportion" and choices.get("measure") not in (None, *PROPORTION_MEASURES):
            self.error(f"a proportion analysis estimates {', '.join(PROPORTION_MEASURES)}, not "
                       f"`{choices['measure']}`", options["measure"].span,
                       "Use `measure: RD`, `RR`, `OR` or `NNT`.")
        if method == "meta_analysis" and choices.get("measure") == "NNT":
            self.error("a meta-analysis pools OR, RR, HR, MD or RD, not NNT", options["measure"].span,
                       "Pool `measure: RD` and invert it.")
        plan = AnalysisPlan(
            id=aid, span=a.span, method=method, description=_text(a.extra.get("description")),
            endpoint=endpoint, groups=groups, grouped_by=grouped_by, tests=tests,
            population=population, aliases=self.aliases(options),
            level=self.level(options.get("level")),
            options={k: v for k, v in choices.items() if v is not None}, **kw)
        if len(self.diags) + len(self.checker.diagnostics) > before:
            return None
        return plan

    # -- what is analysed -------------------------------------------------------------------
    def endpoint(self, a: Any) -> EndpointPlan | None | bool:
        """The endpoint plan, None when there is none, False when it is in error."""
        if a.endpoint is None:
            return None
        if a.endpoint in self.endpoints:
            return self.endpoints[a.endpoint]
        if a.endpoint not in self.protocol.endpoints:  # not in error: unknown
            self.error(f"analysis {a.id}: unknown endpoint `{a.endpoint}`", a.span,
                       _suggest(a.endpoint, list(self.protocol.endpoints)) if self.protocol.endpoints
                       else "Declare it under `endpoints:`.")
        return False

    def method(self, a: Any, endpoint: EndpointPlan | None, options: Mapping[str, Any]) -> str | None:
        method = METHOD_ALIASES.get(a.method or "", a.method)
        if method is None:
            if endpoint is not None:
                method = "proportion" if endpoint.binary else "kaplan_meier"
            else:
                method = ("meta_analysis" if {"studies", "counts", "from"} & set(options)
                          else "crosstab" if len(a.by_all) == 2 else "counts")
        if method == "counts" and len(a.by_all) == 2:
            method = "crosstab"
        if method not in METHODS:
            self.error(f"analysis {a.id}: unknown method `{a.method}`", a.span,
                       _suggest(str(a.method), METHODS))
            return None
        need = {"proportion": "binary", "logistic": "binary",
                "kaplan_meier": "time_to_event"}.get(method)
        if need and endpoint is None:
            self.error(f"a {method} analysis needs `endpoint:`", a.span,
                       "Name the endpoint analysed, declared under `endpoints:`.")
            return None
        if need == "binary" and endpoint is not None and not endpoint.binary:
            self.error(f"`{endpoint.name}` is a time-to-event endpoint; a proportion needs a "
                       "response or proportion endpoint", a.span,
                       "Use `method: kaplan_meier` for a time-to-event endpoint.")
            return None
        if need == "time_to_event" and endpoint is not None and endpoint.binary:
            self.error(f"`{endpoint.name}` is not a time-to-event endpoint", a.span,
                       "Use `method: proportion` for a response or proportion endpoint.")
            return None
        return method

    def tests(self, a: Any, method: str) -> tuple[str, ...]:
        known = TESTS.get(method, {})
        for t in a.tests:
            if t not in known:
                self.error(f"`{t}` is not a test of {method} analyses", a.span,
                           _suggest(t, list(known)) if known else f"{method} analyses take no tests.")
        return tuple(a.tests) or DEFAULT_TESTS.get(method, ())

    def groups(self, a: Any, options: Mapping[str, Any]) -> tuple[tuple[GroupPlan, ...], str | None]:
        named = options.get("groups")
        if a.by is not None and named is not None:
            self.error(f"analysis {a.id} has both `by` and `options.groups`", a.span,
                       "Group by a column (`by:`) or by named conditions (`groups:`), not both.")
            return (), None
        if named is not None:
            if not isinstance(named, Mapping) or len(named) < 1:
                self.error("`groups` maps each group's label to its condition", a.span,
                           "e.g. `groups: {young: age <= 58, old: age > 58}`.")
                return (), None
            out = []
            for label, expr in named.items():
                if not isinstance(getattr(expr, "text", None), str):  # a list or mapping, not a condition
                    self.error(f"group {label} of {a.id} is not a condition", a.span,
                               "e.g. `groups: {young: age <= 58, old: age > 58}`.")
                    return (), None
                node = lower_condition(self.checker, expr, f"group {label} of {a.id}", self.diags)
                out.append(GroupPlan(str(label), expr.span, condition=node, text=str(expr.text)))
            return tuple(out), "groups"
        if a.by is None:
            return (), None
        return self.by(a), a.by

    def by(self, a: Any, name: str | None = None) -> tuple[GroupPlan, ...]:
        name = name or a.by
        ep = self.endpoints.get(name)
        if ep is not None and ep.binary:
            return (GroupPlan(RESPONDERS, a.span, endpoint=ep),
                    GroupPlan(NON_RESPONDERS, a.span, endpoint=ep, negate=True))
        node, t = self.checker.check(ast.Name((name,), a.span), None)
        if node is None or t.kind is Kind.ANY:
            return ()
        if t.grain is not None:
            self.error(f"`by: {name}` varies per row of '{t.grain}', not per subject", a.span,
                       "Group by a subject-level column or definition.")
            return ()
        if t.kind is Kind.BOOL:
            return (GroupPlan("true", a.span, condition=node),
                    GroupPlan("false", a.span, condition=ir.Negate(node, a.span)))
        if t.kind is Kind.CATEGORY and t.levels:
            return tuple(GroupPlan(level, a.span, condition=ir.Cmp(
                "==", node, ir.Const(level, t, a.span), a.span)) for level in t.levels)
        self.error(f"`by: {name}` is a {t}; grouping needs a category with declared levels, a "
                   "condition or a binary endpoint", a.span,
                   "Declare the column's `levels:`, or name groups by condition with "
                   "`options: {groups: {label: condition, ...}}`.")
        return ()

    def paired(self, a: Any, rows: tuple[GroupPlan, ...], columns: tuple[GroupPlan, ...]) -> None:
        """McNemar's test pairs each subject's two columns: both must have the same levels."""
        paired = [t for t in a.tests if t in PAIRED_TESTS]
        if not paired or not rows or not columns:
            return
        r, c = [g.label for g in rows], [g.label for g in columns]
        if r != c or len(r) != 2:
            self.error(f"`{paired[0]}` compares two paired binary columns with the same two levels; "
                       f"`{a.by_all[0]}` has {', '.join(r)} and `{a.by_all[1]}` has {', '.join(c)}",
                       a.span, "Name a subject's two measurements, e.g. `by: [before, after]`, "
                       "both booleans or both with the same two levels.")

    # -- options ----------------------------------------------------------------------------
    def choice(self, key: str, value: Any) -> str | None:
        text = _text(value)
        choices = CHOICES[key]
        by_lower = {c.lower(): c for c in choices}
        if text is None or text.lower() not in by_lower:
            self.error(f"`{key}: {text}` is not one of {', '.join(choices)}",
                       getattr(value, "span", None) or Span("<expr>", 1, 1, 1, 1),
                       _suggest(str(text), choices))
            return None
        return by_lower[text.lower()]

    def aliases(self, options: Mapping[str, Any]) -> tuple[str, ...]:
        value = options.get("reported_as")
        if value is None:
            return ()
        items = value if isinstance(value, tuple) else (value,)
        return tuple(str(_text(v)) for v in items if v is not None)

    def number(self, value: Any, what: str) -> float | None:
        try:
            return float(Decimal(str(_text(value)).strip().rstrip("%")))
        except (InvalidOperation, ValueError):
            self.error(f"{what} must be a number, not `{_text(value)}`", value.span,
                       "Write a number, e.g. `0.1` or `50`.")
            return None

    def level(self, value: Any) -> float:
        if value is None:
            return 0.95
        x = self.number(value, "`level`")
        if x is None:
            return 0.95
        x = x / 100 if x > 1 else x
        if not 0 < x < 1:
            self.error(f"`level: {_text(value)}` is not a confidence level", value.span,
                       "Write it in percent (`95`) or as a fraction (`0.95`).")
            return 0.95
        return x

    def survival_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if options.get("tau") is not None:
            tau = self.number(options["tau"], "`tau`")
            if tau is not None and tau <= 0:
                self.error("`tau` must be a positive time", options["tau"].span,
                           "Give it in the endpoint's unit, e.g. `tau: 12`.")
            out["tau"] = tau
        given = options.get("landmarks")
        if given is not None:
            items = given if isinstance(given, tuple) else (given,)
            times = [self.number(v, "a landmark time") for v in items]
            out["landmarks"] = tuple(sorted(t for t in times if t is not None))
        return out

    def covariates(self, a: Any, options: Mapping[str, Any]) -> tuple[Covariate, ...]:
        given = options.get("covariates") or ()
        out = []
        for expr in given if isinstance(given, tuple) else (given,):
            tree = parse_model_expr(expr, self.diags)
            if tree is None:
                continue
            node, t = self.checker.check(tree, None)
            if node is None or t.kind is Kind.ANY:
                continue
            if t.grain is None and t.kind is Kind.NUMBER:
                out.append(Covariate(str(expr.text), node))
            elif t.grain is None and t.kind is Kind.CATEGORY and t.levels:
                out.append(Covariate(str(expr.text), node, tuple(t.levels), t))
            else:
                self.error(f"covariate `{expr.text}` is a {t}; a covariate is a number or a "
                           "category with declared levels, one per subject", expr.span,
                           "e.g. `covariates: [baseline, site_group]`.")
        return tuple(out)

    def variable(self, a: Any, options: Mapping[str, Any]) -> ir.Node | None:
        if options.get("variable") is None:
            self.error(f"a {a.method or 'summary'} analysis needs `options: {{variable: ...}}`", a.span,
                       "Name the number summarised, e.g. `variable: age`.")
            return None
        return lower_value(self.checker, options["variable"], Kind.NUMBER,
                           f"the variable of {a.id}", self.diags)

    def doses(self, a: Any, given: Any, groups: tuple[GroupPlan, ...]) -> tuple[float, ...]:
        """``dose: {level: number, ...}``: one dose per level of ``by:``, two of them distinct."""
        labels = [g.label for g in groups]
        span = getattr(given, "span", a.span)
        hint = "Give every arm its dose, e.g. `dose: {Placebo: 0, Low: 54, High: 81}`."
        if not isinstance(given, Mapping):
            self.error("`dose` maps each level of `by:` to its dose", span, hint)
            return ()
        for key in given:
            if str(key) not in labels:
                self.error(f"`dose`: `{key}` is not a level of `{a.by}`", span, _suggest(str(key), labels))
                return ()
        missing = [lab for lab in labels if lab not in {str(k) for k in given}]
        if missing:
            self.error(f"`dose` gives no dose for {', '.join(f'`{m}`' for m in missing)}", span, hint)
            return ()
        by_label = {str(k): self.number(v, f"the dose of {k}") for k, v in given.items()}
        doses = tuple(by_label[lab] for lab in labels)
        if any(d is None for d in doses):
            return ()
        if len(set(doses)) < 2:
            self.error("a dose-response test needs two different doses", span, hint)
            return ()
        return tuple(float(d or 0) for d in doses)

    def meta_inputs(self, a: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        from trialspec.claims.values import ClaimSyntaxError, EstimateCI, parse_claim

        studies, counts = options.get("studies"), options.get("counts")
        pooling, measure = _text(options.get("pooling")), _text(options.get("measure")) or "OR"
        if pooling == "peto" and measure.upper() != "OR":
            self.error(f"Peto's method pools odds ratios, not {measure}", options["pooling"].span,
                       "Use `measure: OR` with `pooling: peto`, or pool by `mh` or `iv`.")
        if options.get("from") is not None:
            return self.meta_source(a, options)
        if (studies is None) == (counts is None):
            self.error("a meta-analysis needs its studies: `studies` (each an estimate with its "
                       "CI as printed) or `counts` (each study's 2x2 table), one of them", a.span,
                       'e.g. `studies: {CASTOR: "2.82 [1.84;4.33]", POLLUX: "4.02 [2.36;6.85]"}`.')
            return {}
        out: dict[str, Any] = {}
        if studies is not None:
            rows = []
            for label, expr in (studies.items() if isinstance(studies, Mapping) else ()):
                try:
                    claim = parse_claim(str(expr.text), kind="ci")
                except ClaimSyntaxError as err:
                    self.diags.append(Diagnostic("TS710", err.message, expr.span, err.hint))
                    continue
                if not isinstance(claim, EstimateCI):
                    self.error(f"study {label}: `{expr.text}` is not an estimate with a CI",
                               expr.span, 'Write it as printed, e.g. "2.82 [1.84;4.33]".')
                    continue
                rows.append((str(label), claim, expr.span))
            out["studies"] = tuple(rows)
        else:
            out["counts"] = tuple(self.study_counts(counts))
        rule = self.model_rule(options)
        if rule is not None:
            out["rule"] = rule
        if len(out.get("studies") or out.get("counts") or ()) < 2:
            self.error("a meta-analysis pools at least two studies", a.span,
                       "List every study under `studies:` or `counts:`.")
        return out

    def meta_source(self, a: Any, options: Mapping[str, Any]) -> dict[str, Any]:
        """``from: <study-level dataset>`` with ``counts: {events: [..], totals: [..]}`` or
        ``effect: [estimate, lower, upper]``: the columns holding each study's inputs."""
        from trialspec.protocol.model import study_level

        given = options["from"]
        span = getattr(given, "span", a.span)
        if isinstance(given, tuple | Mapping):
            self.error("`from` names one study-level dataset", a.span, "Write e.g. `from: trials`.")
            return {}
        name = str(_text(given))
        out: dict[str, Any] = {}
        rule = self.model_rule(options)
        if rule is not None:
            out["rule"] = rule
        ds = self.protocol.datasets.get(name)
        if ds is None or not study_level(ds):
            levels = [n for n, d in self.protocol.datasets.items() if study_level(d)]
            self.error(f"`from: {name}` is not a study-level dataset", span,
                       f"Did you mean `{levels[0]}`?" if levels else
                       "Declare the studies' table under `datasets:` with `level: study`.")
            return out
        counts, effect = options.get("counts"), options.get("effect")
        if (counts is None) == (effect is None) or options.get("studies") is not None:
            self.error(f"`from: {name}` needs either `counts: {{events: [..], totals: [..]}}` or "
                       "`effect: [estimate, lower, upper]`, naming its columns", span,
                       "e.g. `counts: {events: [orr_dara, orr_ctrl], totals: [n_dara, n_ctrl]}`.")
            return out

        def columns(value: Any, n: int, what: str, order: str) -> tuple[str, ...] | None:
            items = value if isinstance(value, tuple) else ()
            names = tuple(str(_text(v)) for v in items)
            if len(names) != n:
                where = getattr(items[0], "span", span) if items else getattr(value, "span", span)
                self.error(f"{what} must name {n} columns of `{name}`, {order}; it names {len(names)}",
                           where, f"List the column names in brackets: [{order}].")
                return None
            for v, col in zip(items, names, strict=True):
                if col not in ds.columns:
                    self.error(f"`{name}` has no column `{col}`", getattr(v, "span", span),
                               _suggest(col, list(ds.columns)))
                    return None
            return names

        if effect is not None:
            cols = columns(effect, 3, "`effect`", "estimate, lower, upper")
            if cols is not None:
                out["source"] = StudySource(name, str(ds.key), span, effect=(cols[0], cols[1], cols[2]))
            return out
        if not isinstance(counts, Mapping) or set(counts) != {"events", "totals"}:
            self.error("`counts` of a study-level dataset names `events` and `totals`, each "
                       "[treated, control]", getattr(counts, "span", span),
                       "e.g. `counts: {events: [orr_dara, orr_ctrl], totals: [n_dara, n_ctrl]}`.")
            return out
        events = columns(counts["events"], 2, "`events`", "treated, control")
        totals = columns(counts["totals"], 2, "`totals`", "treated, control")
        if events is not None and totals is not None:
            out["source"] = StudySource(name, str(ds.key), span, events=(events[0], events[1]),
                                        totals=(totals[0], totals[1]))
        return out

    def model_rule(self, options: Mapping[str, Any]) -> ModelRule | None:
        rule = options.get("rule")
        if not isinstance(rule, Mapping):
            return None
        q = self.number(rule["q_p_above"], "`q_p_above`") if "q_p_above" in rule else 0.1
        i2 = self.number(rule["i2_below"], "`i2_below`") if "i2_below" in rule else 50.0
        return ModelRule(q if q is not None else 0.1, i2 if i2 is not None else 50.0)

    def study_counts(self, counts: Any) -> list[tuple[str, tuple[int, int, int, int], Span]]:
        rows = []
        for label, value in (counts.items() if isinstance(counts, Mapping) else ()):
            cells = value if isinstance(value, tuple) else ()
            nums = [self.number(c, f"a count of study {label}") for c in cells]
            if len(cells) != 4 or any(x is None or x < 0 or x != int(x) for x in nums):
                span = cells[0].span if cells else Span("<expr>", 1, 1, 1, 1)
                self.error(f"study {label}: counts are four whole numbers", span,
                           "Write `[events, non-events]` of the treated arm, then of the "
                           "control arm: `[45, 30, 20, 55]`.")
                continue
            a, b, c, d = (int(x or 0) for x in nums)
            rows.append((str(label), (a, b, c, d), cells[0].span))
        return rows


def lint_analyses(protocol: Any, compiled: CompiledAnalyses | None = None) -> list[Diagnostic]:
    """Every static finding of endpoints, analyses and reported claims, without data: what
    ``lint`` can report (imports neither pandas nor scipy). Give the ``compiled`` analyses
    of the compile stage, or they are compiled here."""
    diags = list((compiled if compiled is not None else compile_analyses(protocol)).diagnostics)
    for rt in protocol.reported.values():
        from trialspec.claims.values import ClaimSyntaxError, parse_claim  # (only with claims)

        for c in rt.claims:
            try:
                parse_claim(c.text, kind="ci" if CI_PATHS & set(c.path) else None)
            except ClaimSyntaxError as err:
                diags.append(Diagnostic("TS710", err.message, c.span, err.hint))
    return diags
