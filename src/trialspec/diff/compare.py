"""Two protocol models -> the semantic changes between them, section by section, in words.

Only meaning is compared: expressions as canonical trees (and, where both protocols
type-check, as IR, so a rewrite that compiles to the same plan is "equivalent"), units by
their registry spelling, days as sets of days. Key order, comments, quoting and layout never
show up, because the models do not hold them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.diff.words import Context, describe, same, semantic, show, tree_of
from trialspec.protocol.model import Expr, Protocol
from trialspec.source import Span

SECTIONS = ("study", "datasets", "definitions", "eligibility", "treatment", "response",
            "endpoints", "populations", "analyses", "reported")


@dataclass(frozen=True)
class Change:
    """One semantic change: where (section, item), what kind, and what it is in words."""

    section: str
    item: str
    kind: str  # added | removed | changed | equivalent (rewritten, same compiled meaning)
    details: tuple[str, ...]
    old: Span | None = None
    new: Span | None = None

    @property
    def text(self) -> str:
        return f"{self.item}: " + "; ".join(self.details)


@dataclass
class ProtocolDiff:
    """Everything that differs between two protocol versions."""

    old_path: str
    new_path: str
    changes: list[Change] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """No semantic change (equivalent rewrites do not count)."""
        return all(c.kind == "equivalent" for c in self.changes)


def diff_protocols(old: Protocol, new: Protocol, old_ir: Any = None, new_ir: Any = None) -> ProtocolDiff:
    """The changes from ``old`` to ``new``; ``*_ir`` are checked protocols, when available."""
    out = ProtocolDiff(old.path, new.path)
    d = _Differ(old, new, old_ir, new_ir, out.changes)
    for section in SECTIONS:
        getattr(d, section)()
    return out


# --- small helpers ---------------------------------------------------------------------------


def expr_text(e: Expr | None) -> str:
    """An expression for a sentence: canonical when it parses, else as written (one line)."""
    if e is None:
        return "none"
    tree = tree_of(e.text)
    return show(tree) if tree is not None else " ".join(e.text.split())


def same_expr(a: Expr | None, b: Expr | None) -> bool:
    if a is None or b is None:
        return a is b
    ta, tb = tree_of(a.text), tree_of(b.text)
    if ta is None or tb is None:
        return " ".join(a.text.split()) == " ".join(b.text.split())
    return same(ta, tb)


def days_text(days: Iterable[int]) -> str:
    """``1-21``, ``[1, 8, 15, 22]`` or ``[1-4, 15-18]``."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + 1:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    parts = [f"{a}-{b}" if b > a else str(a) for a, b in runs]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def _arrow(what: str, old: Any, new: Any) -> str:
    return f"{what} {old} -> {new}"


def _unit(text: str | None) -> str | None:
    if text is None:
        return None
    from trialspec.units import UnitError, parse_unit

    try:
        return parse_unit(text).text
    except UnitError:
        return text


def flatten(value: Any, prefix: str = "") -> dict[str, tuple[Any, str]]:
    """A free-form value as ``key.path -> (semantic form, text to show)``."""
    if isinstance(value, Mapping):
        out: dict[str, tuple[Any, str]] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, tuple):
        items = [flatten(v) for v in value]
        if all(set(i) == {""} for i in items):
            return {prefix: (tuple(i[""][0] for i in items), "[" + ", ".join(i[""][1] for i in items) + "]")}
        out = {}
        for n, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{n}]"))
        return out
    if isinstance(value, Expr):
        tree = tree_of(value.text)
        if tree is not None:
            return {prefix: (semantic(tree), show(tree))}
        return {prefix: (value.text.strip(), value.text.strip())}
    return {prefix: (value, "null" if value is None else str(value))}


def compare_flat(old: Any, new: Any) -> list[str]:
    a, b = flatten(old), flatten(new)
    out = []
    for key in [*a, *(k for k in b if k not in a)]:
        name = key or "value"
        if key not in b:
            out.append(f"{name} removed (was {a[key][1]})")
        elif key not in a:
            out.append(f"{name} added: {b[key][1]}")
        elif a[key][0] != b[key][0]:
            out.append(_arrow(name, a[key][1], b[key][1]))
    return out


def _keyed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Keys of both mappings: the old order, then keys only the new one has."""
    return [*old, *(k for k in new if k not in old)]


class _Differ:
    """Compares two models section by section, appending to ``changes``."""

    def __init__(self, old: Protocol, new: Protocol, old_ir: Any, new_ir: Any, changes: list[Change]):
        self.old, self.new, self.changes = old, new, changes
        self.old_ir, self.new_ir = old_ir, new_ir
        self.analytes = {c.name: c.analyte for ds in new.datasets.values() for c in ds.columns.values()}

    def ctx(self, polarity: int) -> Context:
        return Context(polarity, self.analytes.get)

    def add(self, section: str, item: str, kind: str, details: Iterable[str],
            old: Any = None, new: Any = None) -> None:
        details = tuple(details)
        if details:
            self.changes.append(Change(section, item, kind, details, getattr(old, "span", None),
                                       getattr(new, "span", None)))

    def named(self, section: str, old: Mapping[str, Any], new: Mapping[str, Any], what: str,
              describe_one: Callable[[str, Any], str], compare: Callable[[str, Any, Any], None],
              prefix: str = "") -> None:
        """Added / removed items of a named collection, and ``compare`` for the common ones."""
        for name in _keyed(old, new):
            item = prefix + name
            if name not in new:
                self.add(section, item, "removed", [f"{what} removed ({describe_one(name, old[name])})"],
                         old=old[name])
            elif name not in old:
                self.add(section, item, "added", [f"{what} added ({describe_one(name, new[name])})"],
                         new=new[name])
            else:
                compare(item, old[name], new[name])

    def fields(self, section: str, item: str, old: Any, new: Any, names: Iterable[str],
               fmt: Callable[[Any], Any] = lambda v: v) -> None:
        """Plain attributes compared one by one."""
        details = [_arrow(n.replace("_", " "), _none(fmt(getattr(old, n))), _none(fmt(getattr(new, n))))
                   for n in names if fmt(getattr(old, n)) != fmt(getattr(new, n))]
        self.add(section, item, "changed", details, old, new)

    # --- sections --------------------------------------------------------------------------

    def study(self) -> None:
        self.fields("study", "study", self.old.study, self.new.study,
                    ("id", "title", "phase", "design", "registration", "reference", "description"))

    def datasets(self) -> None:
        self.named("datasets", self.old.datasets, self.new.datasets, "dataset",
                   lambda n, d: d.source or "no source", self.dataset)

    def dataset(self, name: str, old: Any, new: Any) -> None:
        self.fields("datasets", name, old, new, ("source", "format", "key", "subject"))
        for part in ("long", "pick"):
            a, b = getattr(old, part), getattr(new, part)
            if (a is None) != (b is None):
                what = f"{part} {'added' if a is None else 'removed'}"
                self.add("datasets", name, "changed", [what], old, new)
            elif a is not None:
                keys = [k for k in ("subject", "test", "value", "unit", "time", "visit") if hasattr(a, k)]
                self.fields("datasets", f"{name}.{part}", a, b, keys,
                            lambda v: expr_text(v) if isinstance(v, Expr) else v)
        self.named("datasets", old.columns, new.columns, "column",
                   lambda n, c: c.type + (f", {c.unit}" if c.unit else ""), self.column, prefix=f"{name}.")

    def column(self, item: str, old: Any, new: Any) -> None:
        self.fields("datasets", item, old, new, ("type",))
        if _unit(old.unit) != _unit(new.unit):
            self.add("datasets", item, "changed", [_arrow("unit", _none(old.unit), _none(new.unit))],
                     old, new)
        self.fields("datasets", item, old, new, ("unit_column", "analyte", "source", "test", "label"))
        a, b = old.levels or (), new.levels or ()
        details = []
        if added := [x for x in b if x not in a]:
            details.append("levels added " + ", ".join(added))
        if removed := [x for x in a if x not in b]:
            details.append("levels removed " + ", ".join(removed))
        if not details and list(a) != list(b):
            details.append(f"levels reordered [{', '.join(a)}] -> [{', '.join(b)}]")
        self.add("datasets", item, "changed", details, old, new)

    def definitions(self) -> None:
        self.named("definitions", self.old.definitions, self.new.definitions, "definition",
                   lambda n, d: f"`{expr_text(d.expr)}`", self.definition)

    def definition(self, name: str, old: Any, new: Any) -> None:
        details = self.expr_change(old.expr, new.expr, 0, self._ir("definitions", name))
        if details and self.users(name):
            details[-1] += "; used by " + ", ".join(self.users(name))
        kind = self.kind_of(details)
        if (old.text or "") != (new.text or ""):
            details.append(f"wording changed: {old.text!r} -> {new.text!r}")
            kind = "changed"
        self.add("definitions", name, kind, details, old, new)

    def eligibility(self) -> None:
        old = {**self.old.eligibility.inclusion, **self.old.eligibility.exclusion}
        new = {**self.new.eligibility.inclusion, **self.new.eligibility.exclusion}
        renamed = self.renames(old, new)
        for cid in _keyed(old, new):
            if cid in renamed:
                self.add("eligibility", cid, "changed", [f"renamed to {renamed[cid]}"], old[cid],
                         new[renamed[cid]])
            elif cid in renamed.values():
                continue
            elif cid not in new:
                c = old[cid]
                self.add("eligibility", cid, "removed",
                         [f"{c.kind} criterion removed: {c.text} (`{expr_text(c.when)}`) (relaxed)"], old=c)
            elif cid not in old:
                c = new[cid]
                self.add("eligibility", cid, "added",
                         [f"{c.kind} criterion added: {c.text} (`{expr_text(c.when)}`) (tightened)"], new=c)
            else:
                self.criterion(cid, old[cid], new[cid])

    def renames(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, str]:
        gone = [k for k in old if k not in new]
        came = [k for k in new if k not in old]
        out: dict[str, str] = {}
        for k in gone:
            match = next((n for n in came if new[n].kind == old[k].kind
                          and same_expr(old[k].when, new[n].when) and n not in out.values()), None)
            if match is not None:
                out[k] = match
        return out

    def criterion(self, cid: str, old: Any, new: Any) -> None:
        details: list[str] = []
        if old.kind != new.kind:
            details.append(f"moved from {old.kind} to {new.kind}")
            if not same_expr(old.when, new.when):
                details.append(f"`{expr_text(old.when)}` -> `{expr_text(new.when)}`")
        else:
            details += self.expr_change(old.when, new.when, 1 if old.kind == "inclusion" else -1,
                                        self._ir("criteria", cid))
        kind = self.kind_of(details)
        if old.text != new.text:
            details.append(f"wording changed: {old.text!r} -> {new.text!r}")
            kind = "changed"
        self.add("eligibility", cid, kind, details, old, new)

    def treatment(self) -> None:
        old, new = self.old.treatment, self.new.treatment
        if old is None or new is None:
            if old is not new:
                self.add("treatment", "treatment", "removed" if new is None else "added",
                         ["treatment section " + ("removed" if new is None else "added")], old, new)
            return
        details = []
        if not same_expr(old.cycle, new.cycle):
            details.append(_arrow("cycle length", expr_text(old.cycle), expr_text(new.cycle)))
        if _cycles_text(old.cycles) != _cycles_text(new.cycles):
            details.append(_arrow("cycles", _cycles_text(old.cycles), _cycles_text(new.cycles)))
        if old.exposure != new.exposure:
            details.append(_arrow("exposure dataset", _none(old.exposure), _none(new.exposure)))
        if old.dose_intensity_min != new.dose_intensity_min:
            details.append(_arrow("minimum dose intensity", _pct(old.dose_intensity_min),
                                  _pct(new.dose_intensity_min)))
        details += self.tolerances(old.tolerances, new.tolerances)
        by_arm = ({a: expr_text(e) for a, e in (x.cycle_by_arm or {}).items()} for x in (old, new))
        old_by_arm, new_by_arm = by_arm
        if old_by_arm != new_by_arm:
            details.append(_arrow("cycle length by arm", str(old_by_arm or "none"),
                                  str(new_by_arm or "none")))
        if _body_text(old.body_size) != _body_text(new.body_size):
            details.append(_arrow("body size", _body_text(old.body_size), _body_text(new.body_size)))
        self.add("treatment", "treatment", "changed", details, old, new)
        for arm in _keyed(old.arms, new.arms):
            prefix = "" if arm == "main" else f"{arm}/"
            a, b = old.arms.get(arm), new.arms.get(arm)
            if a is None or b is None:
                self.add("treatment", f"arm {arm}", "removed" if b is None else "added",
                         [f"arm {'removed' if b is None else 'added'}"], a, b)
                continue
            if a.observation != b.observation:
                self.add("treatment", f"arm {arm}", "changed",
                         [_arrow("observation arm", str(a.observation).lower(),
                                 str(b.observation).lower())], a, b)
            self.named("treatment", a.drugs, b.drugs, "drug", lambda n, d: _drug_text(d), self.drug, prefix)

    def tolerances(self, old: Any, new: Any) -> list[str]:
        out = []
        for name in ("dose_window", "start_window", "max_delay", "dose_tolerance"):
            a, b = getattr(old, name, None), getattr(new, name, None)
            if isinstance(a, Expr) or isinstance(b, Expr):
                if not same_expr(a, b):
                    out.append(_arrow(name.replace("_", " "), expr_text(a), expr_text(b)))
            elif a != b:
                out.append(_arrow(name.replace("_", " "), _none(a, "not set"), _none(b, "not set")))
        return out

    def drug(self, item: str, old: Any, new: Any) -> None:
        changed = []
        dose_same = same_expr(old.dose, new.dose)
        if not dose_same:
            changed.append(_arrow("dose", expr_text(old.dose), expr_text(new.dose)))
        if old.days != new.days:
            changed.append(_arrow("days", days_text(old.days), days_text(new.days)))
        if not (len(old.reductions) == len(new.reductions)
                and all(map(same_expr, old.reductions, new.reductions))):
            changed.append(_arrow("reductions", _list(old.reductions), _list(new.reductions)))
        if _steps_text(old) != _steps_text(new):
            changed.append(_arrow("dose steps", _steps_text(old), _steps_text(new)))
        if not same_expr(getattr(old, "max_dose", None), getattr(new, "max_dose", None)):
            changed.append(_arrow("max dose", expr_text(old.max_dose), expr_text(new.max_dose)))
        for name in ("route", "frequency", "reescalation", "form"):
            if getattr(old, name, None) != getattr(new, name, None):
                changed.append(_arrow(name, _none(getattr(old, name, None)), _none(getattr(new, name, None))))
        if changed:  # say what stayed, so a reviewer reads the whole schedule
            if dose_same and not new.steps:
                changed.append(f"dose {expr_text(new.dose)} unchanged")
            if old.days == new.days:
                changed.append(f"days {days_text(new.days) if new.days else 'every day'} unchanged")
        self.add("treatment", item, "changed", changed, old, new)

    def response(self) -> None:
        old, new = self.old.response, self.new.response
        if old is None or new is None:
            if old is not new:
                self.add("response", "response", "removed" if new is None else "added",
                         ["response section " + ("removed" if new is None else "added")], old, new)
            return
        self.fields("response", "response", old, new, ("criteria", "assessments"))
        for part in ("parameters", "categories"):
            a, b = getattr(old, part), getattr(new, part)
            self.named("response", a, b, part[:-1] if part == "parameters" else "category",
                       lambda n, e: f"`{expr_text(e)}`",
                       lambda item, x, y: self.add("response", item, "changed",
                                                   self.expr_change(x, y, 0, None), x, y),
                       prefix=f"{part}.")
        self.add("response", "confirmation", "changed", compare_flat(old.confirmation, new.confirmation),
                 old, new)

    def endpoints(self) -> None:
        self.named("endpoints", self.old.endpoints, self.new.endpoints, "endpoint",
                   lambda n, e: e.kind,
                   lambda item, a, b: self.add("endpoints", item, "changed",
                                               ([_arrow("kind", a.kind, b.kind)] if a.kind != b.kind else [])
                                               + compare_flat(a.spec, b.spec), a, b))

    def populations(self) -> None:
        def text(v: Any) -> Any:
            return " ".join(v.text.split()) if hasattr(v, "text") else v

        old, new = getattr(self.old, "populations", {}), getattr(self.new, "populations", {})
        self.named("populations", old, new, "population",
                   lambda n, p: text(p.when) if p.when is not None else f"within {p.within}",
                   lambda item, a, b: self.fields("populations", item, a, b,
                                                  ("when", "within", "description", "default"), text))

    def analyses(self) -> None:
        self.named("analyses", self.old.analyses, self.new.analyses, "analysis",
                   lambda n, a: a.method or a.endpoint or "planned", self.analysis)

    def analysis(self, item: str, old: Any, new: Any) -> None:
        self.fields("analyses", item, old, new, ("method", "endpoint", "by"))
        details = []
        if added := [t for t in new.tests if t not in old.tests]:
            details.append("tests added " + ", ".join(added))
        if removed := [t for t in old.tests if t not in new.tests]:
            details.append("tests removed " + ", ".join(removed))
        self.add("analyses", item, "changed", details + compare_flat(old.extra, new.extra), old, new)

    def reported(self) -> None:
        self.named("reported", self.old.reported, self.new.reported, "reported table",
                   lambda n, t: f"{len(t.claims)} claims", self.reported_table)

    def reported_table(self, item: str, old: Any, new: Any) -> None:
        a = {".".join(c.path): c.text.strip() for c in old.claims}
        b = {".".join(c.path): c.text.strip() for c in new.claims}
        details = [f"{k} removed (was {a[k]!r})" if k not in b else f"{k} added: {b[k]!r}" if k not in a
                   else f"{k}: {a[k]!r} -> {b[k]!r}" for k in _keyed(a, b) if a.get(k) != b.get(k)]
        self.add("reported", item, "changed", details, old, new)

    # --- expressions -------------------------------------------------------------------------

    def expr_change(self, old: Expr, new: Expr, polarity: int, ir_pair: tuple[Any, Any] | None) -> list[str]:
        ta, tb = tree_of(old.text), tree_of(new.text)
        if ta is None or tb is None:
            return [] if same_expr(old, new) else [f"`{expr_text(old)}` -> `{expr_text(new)}`"]
        if same(ta, tb):
            return []
        if ir_pair is not None and ir_pair[0] is not None and ir_normal(ir_pair[0]) == ir_normal(ir_pair[1]):
            return [f"rewritten with the same meaning: `{show(ta)}` -> `{show(tb)}`"]
        return describe(ta, tb, self.ctx(polarity))

    @staticmethod
    def kind_of(details: list[str]) -> str:
        return "equivalent" if details and all(d.startswith("rewritten with the same") for d in details) \
            else "changed"

    def _ir(self, part: str, name: str) -> tuple[Any, Any] | None:
        """The compiled forms of a criterion or definition in both versions, if both compiled."""
        if self.old_ir is None or self.new_ir is None:
            return None
        if part == "definitions":
            return self.old_ir.definitions.get(name), self.new_ir.definitions.get(name)
        find = {c.id: c.node for c in self.old_ir.criteria}, {c.id: c.node for c in self.new_ir.criteria}
        return find[0].get(name), find[1].get(name)

    def users(self, definition: str) -> list[str]:
        """The criteria of the new protocol that use ``definition``, directly or through others."""
        from trialspec.lang import ast

        def names(e: Expr) -> set[str]:
            tree = tree_of(e.text)
            found, stack = set(), [tree] if tree is not None else []
            while stack:
                node = stack.pop()
                if isinstance(node, ast.Name):
                    found.add(node.parts[0])
                elif isinstance(node, tuple):
                    stack.extend(node)
                elif hasattr(node, "__dataclass_fields__"):
                    stack.extend(getattr(node, f) for f in node.__dataclass_fields__ if f != "span")
            return found

        uses = {n: names(d.expr) for n, d in self.new.definitions.items()}
        reach, frontier = {definition}, [definition]
        while frontier:
            target = frontier.pop()
            for n, used in uses.items():
                if target in used and n not in reach:
                    reach.add(n)
                    frontier.append(n)
        elig = self.new.eligibility
        return [cid for cid, c in {**elig.inclusion, **elig.exclusion}.items() if names(c.when) & reach]


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def ir_normal(node: Any) -> Any:
    """An IR node in a normal form for equality: nested ``and``/``or`` flattened and their
    operands sorted, set members sorted, constants on the right of comparisons."""
    from trialspec.lang import ir

    if type(node) not in ir.CHILD_FIELDS:
        return node
    return ir.transform(node, _normal_one)


def _normal_one(node: Any) -> Any:
    """One node of :func:`ir_normal`, its children already normal."""
    from trialspec.lang import ir

    if isinstance(node, ir.BoolOp):
        flat: list[Any] = []
        for x in node.operands:
            flat.extend(x.operands if isinstance(x, ir.BoolOp) and x.op == node.op else [x])
        return replace(node, operands=tuple(sorted(flat, key=repr)))
    if isinstance(node, ir.InSet):
        return replace(node, values=tuple(sorted(node.values, key=repr)))
    if isinstance(node, ir.Cmp) and isinstance(node.left, ir.Const) and not isinstance(node.right, ir.Const):
        return replace(node, op=FLIP[node.op], left=node.right, right=node.left)
    return node


def _cycles_text(cycles: Any) -> str:
    """``4``, ``until progression``, or ``Rd: until progression, Ld: 4`` (by arm)."""
    if isinstance(cycles, Mapping):
        return ", ".join(f"{arm}: {_none(n, 'not set')}" for arm, n in cycles.items())
    return str(_none(cycles, "not set"))


def _none(value: Any, word: str = "none") -> Any:
    return word if value is None else value


def _pct(value: float | None) -> str:
    return "not set" if value is None else f"{value:g}%"


def _list(exprs: Iterable[Expr]) -> str:
    return "[" + ", ".join(expr_text(e) for e in exprs) + "]"


def _drug_text(d: Any) -> str:
    dose = _steps_text(d) if getattr(d, "steps", ()) else expr_text(d.dose)
    return f"{dose}, days {days_text(d.days) if d.days else 'every day'}"


def _steps_text(d: Any) -> str:
    """A dose schedule as written: `54 mg from visit BASELINE; 81 mg from visit WEEK 2`."""
    parts = []
    for step in getattr(d, "steps", ()):
        if step.basis == "visit":
            where = f"visit {step.visit}"
        else:
            last = f"-{step.last}" if step.last not in (None, step.first) else ""
            where = f"{step.basis} {step.first}{last}" + ("" if step.last is not None else " on")
        parts.append(f"{expr_text(step.dose)} from {where}")
    return "; ".join(parts) or "none"


def _body_text(b: Any) -> str:
    if b is None:
        return "none"
    crcl = (f"; crcl {b.crcl} from {b.age}, {b.sex}, {b.creatinine}"
            + (f" up to {expr_text(b.crcl_max)}" if b.crcl_max is not None else "")) if b.crcl else ""
    return f"{b.dataset} ({b.height}, {b.weight}; bsa {b.bsa}{crcl})"
