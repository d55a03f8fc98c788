"""Analysis populations: who each analysis includes, by name.

Two are built in: ``screened`` (every subject of the subjects table) and ``eligible``
(the subjects the eligibility section finds eligible; indeterminate ones are not). A
protocol defines its own under ``populations:`` (``itt``, ``safety``, ``per_protocol``...),
each a condition, optionally ``within`` another population, and may mark one
``default: true``. An analysis names its population (``population: itt``), writes a
condition (``population: age >= 18``: within the default), or uses the default, which is
``screened`` when the protocol marks none. docs/analyses.md describes them.

This module only plans (names to IR); the masks are computed in ``analyses_compute`` from
the backend's values and the eligibility statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trialspec.check.scope import Scope
from trialspec.check.typecheck import Checker
from trialspec.diagnostics import Diagnostic
from trialspec.domain.endpoints import lower_condition
from trialspec.lang import ir
from trialspec.source import Span

SCREENED, ELIGIBLE = "screened", "eligible"
BUILT_IN = {SCREENED: "every subject screened (each row of the subjects table)",
            ELIGIBLE: "the subjects eligible by every criterion (indeterminate ones are not)"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PopulationPlan:
    """A population as conditions that must all hold, and whether it needs eligibility."""

    name: str  # screened, eligible, a defined name, or the condition's text
    description: str
    conditions: tuple[ir.Node, ...] = ()
    eligible: bool = False  # only subjects the eligibility section finds eligible


SCREENED_PLAN = PopulationPlan(SCREENED, BUILT_IN[SCREENED])
ELIGIBLE_PLAN = PopulationPlan(ELIGIBLE, BUILT_IN[ELIGIBLE], eligible=True)


@dataclass(frozen=True)
class Populations:
    """Every named population of a protocol, and the default one."""

    named: dict[str, PopulationPlan]
    default: PopulationPlan | None  # None: the protocol's default is in error


def compile_populations(protocol: Any, checker: Checker, diags: list[Diagnostic]) -> Populations:
    """The built-ins and the protocol's populations, lowered; ones in error are left out."""
    defined = getattr(protocol, "populations", {}) or {}
    named: dict[str, PopulationPlan] = {SCREENED: SCREENED_PLAN, ELIGIBLE: ELIGIBLE_PLAN}
    for name, pop in defined.items():
        if name in BUILT_IN:
            diags.append(Diagnostic("TS225", f"population `{name}` is built in and cannot be "
                                    "redefined", pop.span, f"`{name}` is {BUILT_IN[name]}; give "
                                    "yours another name (e.g. `itt`, `safety`, `per_protocol`)."))
    building: list[str] = []

    def build(name: str, span: Span) -> PopulationPlan | None:
        if name in named:
            return named[name]
        pop = defined.get(name)
        if pop is None:
            diags.append(Diagnostic("TS732", f"unknown population `{name}`", span,
                                    _suggest(name, [*BUILT_IN, *defined])))
            return None
        if name in building:
            diags.append(Diagnostic("TS733", "populations defined within each other: "
                                    + " -> ".join([*building[building.index(name):], name]),
                                    pop.span, "One population must be within `screened`, "
                                    "`eligible`, or a condition alone."))
            return None
        building.append(name)
        parent = build(pop.within, pop.span) if pop.within else SCREENED_PLAN
        building.pop()
        node = None
        if pop.when is not None:
            node = lower_condition(checker, pop.when, f"population {name}", diags)
            if node is None:
                return None
        if parent is None or (pop.when is None and pop.within is None):
            if parent is not None:
                diags.append(Diagnostic("TS733", f"population `{name}` has neither `when` nor "
                                        "`within`", pop.span, "Give its condition, e.g. "
                                        "`itt: {when: arm is present}`."))
            return None
        plan = PopulationPlan(name, pop.description or (pop.when.text if pop.when else name),
                              parent.conditions + ((node,) if node is not None else ()),
                              parent.eligible)
        named[name] = plan
        return plan

    for name, pop in defined.items():
        if name not in BUILT_IN:
            build(name, pop.span)
    defaults = [p for p in defined.values() if p.default]
    for extra in defaults[1:]:
        diags.append(Diagnostic("TS226", f"more than one default population: `{defaults[0].name}` "
                                f"and `{extra.name}`", extra.span,
                                "Mark one population `default: true`."))
    default = named.get(defaults[0].name) if defaults else SCREENED_PLAN
    return Populations(named, default)


def analysis_population(given: Any, pops: Populations, checker: Checker, what: str,
                        diags: list[Diagnostic]) -> PopulationPlan | None:
    """An analysis's ``population:``: a population's name, or a condition within the
    default population; the default when not given (None when in error)."""
    if given is None:
        return pops.default
    text = str(getattr(given, "text", given)).strip()
    if text in pops.named:
        return pops.named[text]
    if _NAME.match(text) and not _known_name(checker, text):
        diags.append(Diagnostic("TS732", f"{what}: unknown population `{text}`", given.span,
                                _suggest(text, list(pops.named))))
        return None
    node = lower_condition(checker, given, what, diags)
    base = pops.default
    if node is None or base is None:
        return None
    return PopulationPlan(text, f"{text} (within {base.name})", base.conditions + (node,),
                          base.eligible)


def _known_name(checker: Checker, name: str) -> bool:
    return name in checker.scope.all_names()


def _suggest(word: str, choices: list[str]) -> str:
    close = Scope.suggest(word, choices)
    listed = ", ".join(f"`{c}`" for c in choices)
    return (f"Did you mean `{close}`? " if close else "") + (
        f"Populations: {listed}; define others under `populations:`.")


def is_within(mine: PopulationPlan | None, theirs: PopulationPlan | None) -> bool:
    """Whether, as far as the protocol shows, every subject of ``mine`` is in ``theirs``:
    ``theirs``'s conditions all hold in ``mine`` (also inside a condition `x and y`)."""
    if theirs is None or mine == theirs:
        return True
    if mine is None or (theirs.eligible and not mine.eligible):
        return False
    held: list[Any] = []
    for c in mine.conditions:
        held.append(c)
        if getattr(c, "op", None) == "and":
            held.extend(getattr(c, "operands", ()))
    return all(c in held for c in theirs.conditions)
