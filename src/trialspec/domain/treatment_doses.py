"""Doses as the protocol writes them: amounts, placebo, dosage units, per m2 / per kg, steps.

:func:`read_dose` classifies one planned dose (``54 mg``, ``0 mg``, ``1 patch``, ``75 mg/m2``,
``2 mg/kg``) by what it measures; :func:`read_steps` turns a dose schedule
(``[{days: 1-14, dose: 54 mg}, {from: day 15, dose: 81 mg}]``) into :class:`StepPlan` rows in
the drug's unit; :func:`lint_doses` is the static part (TS220-TS224): no data, no pandas.
docs/dosing.md states every rule.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.source import Span

Kind = Literal["mass", "count", "per_m2", "per_kg", "auc"]
AUC = re.compile(r"\s*AUC\s*([0-9]+(?:\.[0-9]+)?)\s*(?:mg/mL\s*[*.x·]?\s*min)?\s*", re.I)
# the body-size unit under a per-body-size dose, by its canonical spelling
PER_BODY: dict[str, Kind] = {"m2": "per_m2", "kg": "per_kg"}
# what each dose form may be measured in (a form not listed takes any mass or count)
FORM_KINDS: dict[str, tuple[str, ...]] = {
    "tablet": ("mass", "count", "per_m2", "per_kg"), "capsule": ("mass", "count", "per_m2", "per_kg"),
    "patch": ("mass", "count"), "injection": ("mass", "per_m2", "per_kg", "auc"),
    "infusion": ("mass", "per_m2", "per_kg", "auc"), "solution": ("mass", "per_m2", "per_kg", "auc"),
}
STUDY_WEEK = 7


@dataclass(frozen=True)
class Dose:
    """A planned dose: its amount and the unit exposure is read in; ``kind`` says what it
    measures (an amount per m2 is ``per_m2`` with ``unit`` the amount's unit, e.g. mg)."""

    value: float
    unit: str
    kind: Kind


@dataclass(frozen=True)
class StepPlan:
    """One step of a dose schedule: where it starts (``basis`` day/cycle/visit, ``first``: the
    study day or cycle; ``visit``: the visit's name) and its dose, in the drug's unit."""

    basis: Literal["day", "cycle", "visit"]
    first: int
    last: int | None  # inclusive; None: open-ended
    visit: str | None
    dose: float
    span: Span


def read_dose(expr: Any) -> tuple[Dose | None, str]:
    """The dose of ``expr`` (None and why not: a message naming what is wrong)."""
    from trialspec.lang import ast
    from trialspec.lang.parser import parse_expr
    from trialspec.units import UnitError, dimension_name, factor, parse_unit

    auc = AUC.fullmatch(expr.text)
    if auc:  # carboplatin by Calvert: AUC x (GFR + 25) mg
        return Dose(float(auc[1]), "mg", "auc"), ""
    node, _ = parse_expr(expr.text, expr.smap)
    if not isinstance(node, ast.Quantity):
        return None, "is not an amount with a unit"
    if node.value < 0:
        return None, "is negative"
    try:
        unit = parse_unit(node.unit)
    except UnitError:
        return None, f"has an unknown unit `{node.unit}`"
    text = unit.text
    top, _, below = text.partition("/")
    if below in PER_BODY:
        try:
            factor(parse_unit(top), parse_unit("mg"))
            return Dose(node.value, top, PER_BODY[below]), ""
        except UnitError:
            return None, f"`{text}` is not an amount per {below}"
    for target, kind in (("mg", "mass"), ("tablet", "count")):
        try:
            factor(unit, parse_unit(target))
            # dosage units keep their written name (`patch`), all one dimension with tablets
            shown = node.unit.strip() if kind == "count" else text
            return Dose(node.value, shown, kind), ""  # type: ignore[arg-type]
        except UnitError:
            continue
    return None, f"is a {dimension_name(unit)}, not an amount of drug (mg) or of dosage units (tablet, patch)"


def convert(value: float, unit: str, to: str) -> float | None:
    """``value`` in ``unit`` expressed in ``to`` (None if not convertible)."""
    from trialspec.units import UnitError, factor, parse_unit

    try:
        return value * factor(parse_unit(unit), parse_unit(to))
    except UnitError:
        return None


def read_steps(d: Any, base: Dose, bad: Callable[[str, Span, str], None]) -> tuple[StepPlan, ...]:
    """The drug's dose steps in ``base``'s unit and kind (empty for a fixed dose)."""
    out = []
    for s in d.steps:
        dose, why = read_dose(s.dose)
        value = None if dose is None or dose.kind != base.kind else convert(dose.value, dose.unit, base.unit)
        if value is None:
            bad(f"the dose `{s.dose.text}` of a step of {d.drug} "
                + (why if dose is None else f"is not in units of the first step ({base.unit})"),
                s.dose.span, f"Write every step's dose like the first, e.g. `{base.value:g} {base.unit}`.")
            continue
        first, last = s.first, s.last
        if s.basis == "week":
            first = (first - 1) * STUDY_WEEK + 1
            last = None if last is None else last * STUDY_WEEK
        basis: Literal["day", "cycle", "visit"] = "day" if s.basis == "week" else s.basis
        out.append(StepPlan(basis, first or 0, last, s.visit, value, s.span))
    return tuple(out)


def step_gaps(d: Any) -> Iterator[tuple[str, str, Span, str]]:
    """Gaps and overlaps of a step schedule by days, weeks or cycles (TS221), and a schedule
    mixing bases (TS224): (message, span, hint) of each."""
    steps = d.steps
    bases = {"cycle" if s.basis == "cycle" else ("visit" if s.basis == "visit" else "day") for s in steps}
    if len(bases) > 1:
        yield ("TS224", f"the dose steps of {d.drug} mix study days or weeks, cycles and visits",
               steps[0].span, "Count every step of one drug the same way: all by study day/week, all by "
                              "cycle, or all by visit.")
        return
    if bases == {"visit"}:
        return
    scale = STUDY_WEEK if steps[0].basis == "week" else 1
    ranges = []
    for s in steps:
        unit = STUDY_WEEK if s.basis == "week" else 1
        first = (s.first - 1) * unit + 1
        last = None if s.last is None else s.last * unit
        ranges.append((first, last, s))
    word = "cycle" if steps[0].basis == "cycle" else "day"
    expected = 1
    for i, (first, last, s) in enumerate(ranges):
        if first > expected:
            yield ("TS221", f"the dose steps of {d.drug} leave {word}s {expected}-{first - 1} without a dose"
                   + (" (study week 1 starts on day 1)" if scale > 1 else ""), s.span,
                   f"Start this step on {word} {expected}, or add a step for the gap.")
        elif first < expected:
            yield ("TS221", f"the dose steps of {d.drug} overlap: {word} {first} is in two steps", s.span,
                   f"Start this step on {word} {expected}.")
        if last is None:
            if i + 1 < len(ranges):
                yield ("TS221", f"the open-ended step of {d.drug} (`from:`) is followed by another step",
                       ranges[i + 1][2].span, "Make the open-ended step the last one, or give it a range.")
            return
        expected = last + 1


def lint_doses(protocol: Any) -> list[Diagnostic]:
    """Static checks of the planned doses (TS220-TS224), without data."""
    t = protocol.treatment
    diags: list[Diagnostic] = []
    if t is None:
        return diags
    name = t.exposure or "exposure"
    if name not in protocol.datasets and any(r.drugs for r in t.arms.values()):
        diags.append(Diagnostic("TS220", f"the treatment needs the exposure dataset `{name}`, which is not "
                                "declared", t.span, f"Declare `{name}` under `datasets:` (EX: subject, drug, "
                                "dose, start/end or date), or name it with `treatment.exposure`.",
                                Severity.WARNING))
    for regimen in t.arms.values():
        for d in regimen.drugs.values():
            diags += _lint_drug(d, t)
    return diags + _lint_body_size(protocol)


def _lint_body_size(protocol: Any) -> list[Diagnostic]:
    """TS223 for a `body_size:` whose dataset, or a column it names, is not declared: every
    subject's dose would be unknown (TS533) for a typo in the protocol."""
    body = protocol.treatment.body_size
    if body is None:
        return []
    ds = protocol.datasets.get(body.dataset)
    if ds is None:
        near = difflib.get_close_matches(body.dataset, list(protocol.datasets), n=1)
        return [Diagnostic("TS223", f"`body_size` reads the dataset `{body.dataset}`, which is not declared",
                           body.span, f"Did you mean `{near[0]}`?" if near else
                           f"Declare `{body.dataset}` under `datasets:`, or name the one holding the "
                           "height and weight.")]
    kinds = set()
    for regimen in protocol.treatment.arms.values():
        for d in regimen.drugs.values():
            for e in [*(step.dose for step in d.steps), d.dose]:
                dose, _why = read_dose(e)
                kinds.add(dose.kind if dose is not None else None)
    # (height and weight have default names: read only by the doses that need them)
    needed = {"height": "per_m2" in kinds, "weight": bool(kinds & {"per_m2", "per_kg", "auc"})}
    out = []
    for role in ("height", "weight", "age", "sex", "creatinine"):
        name = getattr(body, role, None)
        if name and name not in ds.columns and needed.get(role, True):
            near = difflib.get_close_matches(name, list(ds.columns), n=1)
            out.append(Diagnostic("TS223", f"`body_size` reads the {role} from `{body.dataset}.{name}`, "
                                  f"which is not a declared column of `{body.dataset}`", body.span,
                                  f"Did you mean `{near[0]}`?" if near else
                                  f"Declare `{name}` under `{body.dataset}`'s `columns:` (the names "
                                  "expressions use, not the file's)."))
    return out


def _lint_drug(d: Any, t: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    exprs = [s.dose for s in d.steps] or [d.dose]
    for e in [*exprs, *d.reductions]:
        dose, why = read_dose(e)
        if dose is None:
            out.append(Diagnostic("TS222", f"the dose `{e.text}` of {d.drug} {why}", e.span,
                                  "Write a dose as an amount with its unit: `25 mg`, `75 mg/m2`, `2 mg/kg`, "
                                  "`0 mg` (a matching placebo) or `1 patch`."))
            continue
        form = (d.form or "").strip().lower()
        if form in FORM_KINDS and dose.kind not in FORM_KINDS[form]:
            out.append(Diagnostic("TS222", f"the dose `{e.text}` of {d.drug} does not fit its form "
                                  f"`{d.form}` "
                                  f"(a {form} is dosed as {', '.join(FORM_KINDS[form])})", e.span,
                                  "Check the dose's unit against the form."))
        if dose.kind == "auc" and (t.body_size is None or not t.body_size.crcl):
            out.append(Diagnostic("TS223", f"the dose `{e.text}` of {d.drug} is a target AUC (Calvert), but "
                                  "the treatment does not say how creatinine clearance is estimated", e.span,
                                  "Add `body_size: {dataset: dm, weight: WEIGHT, age: AGE, sex: SEX, "
                                  "creatinine: CREAT, crcl: cockcroft-gault}` under `treatment:`."))
        if dose.kind in ("per_m2", "per_kg") and t.body_size is None:
            out.append(Diagnostic("TS223", f"the dose `{e.text}` of {d.drug} is per body size, but the "
                                  "treatment does not say where height and weight come from", e.span,
                                  "Add `body_size: {dataset: vs, height: HEIGHT, weight: WEIGHT, bsa: "
                                  "mosteller}` under `treatment:`."))
    for code, message, span, hint in step_gaps(d) if d.steps else ():
        out.append(Diagnostic(code, message, span, hint))
    return out
