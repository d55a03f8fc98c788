"""Building the typed model from a tree that fits the schema.

The schema has checked every shape; what is left is what a schema says badly: keys that
exclude or need each other (``regimen`` or ``arms``; ``levels`` only on category columns),
day ranges (``21-1``), file formats and safe data paths. Those are reported here (TS209,
TS213) at the exact key, or the exact characters inside a scalar.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any, TypeVar, cast

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.protocol.accepted import build_accepted
from trialspec.protocol.model import (
    Analysis,
    BodySize,
    Claim,
    Column,
    ColumnRange,
    Criterion,
    Dataset,
    Definition,
    DoseStep,
    DrugSchedule,
    Eligibility,
    Endpoint,
    Expr,
    LongLayout,
    Pick,
    Population,
    Protocol,
    Regimen,
    ReportedTable,
    Response,
    Study,
    Tolerances,
    Treatment,
    Value,
)
from trialspec.protocol.yamlload import MapNode, Node, ScalarNode, SeqNode, key_text, lookup
from trialspec.source import ScalarMap, SourceFile, Span

MAX_DAY = 366
MAIN_ARM = "main"

FORMATS_BY_SUFFIX = {
    ".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx", ".xpt": "xpt",
    ".sas7bdat": "sas7bdat", ".json": "dataset-json", ".ndjson": "dataset-json", ".dsjc": "dataset-json",
}
UNIT_TYPES = ("number", "duration")

T = TypeVar("T")


def build_protocol(tree: MapNode, source: SourceFile) -> tuple[Protocol | None, list[Diagnostic]]:
    """The model of a schema-valid tree; None (with diagnostics) if a rule beyond the
    schema is broken."""
    b = _Builder()
    version = _scalar(tree, "trialspec")
    protocol = Protocol(
        path=source.path,
        source=source,
        version=version if isinstance(version, int) else 1,
        study=b.study(_node(tree, "study")),
        datasets=b.named(tree, "datasets", b.dataset),
        definitions=b.named(tree, "definitions", b.definition),
        eligibility=b.eligibility(tree),
        treatment=b.optional(tree, "treatment", b.treatment),
        response=b.optional(tree, "response", b.response),
        endpoints=b.named(tree, "endpoints", b.endpoint),
        analyses=b.named(tree, "analyses", b.analysis),
        reported=b.named(tree, "reported", b.reported),
        accepted=build_accepted(tree, b.diagnostics),
        populations=b.named(tree, "populations", b.population),
    )
    failed = any(d.severity is Severity.ERROR for d in b.diagnostics)
    return (None if failed else protocol), b.diagnostics


# --- reading the tree ---------------------------------------------------------------


# The tree fits the schema, so a value's shape is known from its place: these helpers hand
# values out as Any rather than re-checking shapes the schema has checked.


def _entry(node: MapNode, name: str) -> tuple[ScalarNode, Any] | None:
    return lookup(node, name)


def _items(node: MapNode | None) -> Iterator[tuple[ScalarNode, Any]]:
    yield from node.items if node is not None else ()


def _node(node: MapNode, name: str) -> Any:
    found = lookup(node, name)
    return found[1] if found else None


def _key(node: MapNode, name: str) -> ScalarNode | None:
    found = lookup(node, name)
    return found[0] if found else None


def _scalar(node: MapNode, name: str) -> Any:
    value = _node(node, name)
    return value.value if isinstance(value, ScalarNode) else None


def _text(node: MapNode, name: str) -> str | None:
    value = _scalar(node, name)
    return None if value is None else str(value)


def _column_range(node: MapNode | None) -> ColumnRange | None:
    """A column's ``range: {low: ..., high: ...}`` (the schema checked its shape)."""
    if node is None:
        return None
    return ColumnRange(_text(node, "low"), _text(node, "high"), node.span)


def _expr(node: ScalarNode) -> Expr:
    text = node.value if isinstance(node.value, str) else node.raw
    return Expr(text, node.span, node.smap)


def _opt_expr(node: MapNode, name: str) -> Expr | None:
    value = _node(node, name)
    return _expr(value) if isinstance(value, ScalarNode) else None


def _proxy(items: Iterator[tuple[str, T]] | list[tuple[str, T]]) -> MappingProxyType[str, T]:
    return MappingProxyType(dict(items))


def _freeze(node: Node) -> Value:
    """A free-form value: read-only mappings, tuples, Expr leaves (None for empty)."""
    if isinstance(node, MapNode):
        return _proxy((key_text(k), _freeze(v)) for k, v in node.items)
    if isinstance(node, SeqNode):
        return tuple(_freeze(item) for item in node.items)
    return None if node.value is None else _expr(node)


class _Builder:
    """Builds each section, collecting diagnostics."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, message: str, span: Span, hint: str, code: str = "TS209") -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    def named(self, tree: MapNode, section: str,
              make: Callable[[ScalarNode, Any], T]) -> MappingProxyType[str, T]:
        node = _node(tree, section)
        if not isinstance(node, MapNode):
            return _proxy([])
        return _proxy((key_text(k), make(k, v)) for k, v in _items(node))

    def optional(self, tree: MapNode, section: str,
                 make: Callable[[ScalarNode, MapNode], T]) -> T | None:
        found = _entry(tree, section)
        if found is None or not isinstance(found[1], MapNode):
            return None
        return make(*found)

    # --- study and datasets ---------------------------------------------------------

    def study(self, node: MapNode) -> Study:
        phase = _scalar(node, "phase")
        return Study(
            id=str(_scalar(node, "id")), title=_text(node, "title"), span=node.span,
            phase=None if phase is None else str(phase), design=_text(node, "design"),
            registration=_text(node, "registration"), reference=_text(node, "reference"),
            description=_text(node, "description"))

    def dataset(self, key: ScalarNode, node: MapNode) -> Dataset:
        name = key_text(key)
        long = self.long_layout(_node(node, "long"))
        columns_node = _node(node, "columns")
        columns = _proxy((key_text(k), self.column(k, v, long is not None))
                         for k, v in _items(columns_node))
        source = _text(node, "source")
        if source is not None:
            self.check_path(source, _node(node, "source"))
        derived = _scalar(node, "derived") is True
        if derived:  # filled by trialspec: no file, and one row per subject
            self.check_kind(name, key, node, "derived", ("source", "format", "long", "pick"),
                            "trialspec fills a derived dataset itself",
                            "Add `key:` with the subject key column, e.g. `key: subject_id`.")
        level = _text(node, "level") or "subject"
        if level == "study":  # one row per study, named by its key: no subjects in it
            self.check_kind(name, key, node, "study-level", ("subject", "long", "pick", "derived"),
                            "a study-level table has one row per study",
                            "Add `key:` with the column naming each study, e.g. `key: trial`.")
        return Dataset(
            name=name, span=key.span, source=source, key=_text(node, "key"), columns=columns,
            long=long, pick=self.pick(node, long), format=self.file_format(node, source),
            subject=_text(node, "subject"), description=_text(node, "description"),
            derived=derived, level=level, standard=_text(node, "standard"),
            missing=tuple(str(i.value) for i in missing.items) if (missing := _node(node, "missing")) else (),
            complete_for=_text(node, "complete_for"))

    def check_kind(self, name: str, key: ScalarNode, node: MapNode, kind: str,
                   forbidden: tuple[str, ...], why: str, key_hint: str) -> None:
        """A dataset of a special kind: the keys that do not apply to it, and its `key:`."""
        for other in forbidden:
            if (bad := _key(node, other)) is not None:
                self.error(f"`{other}` does not apply to the {kind} dataset `{name}`", bad.span,
                           f"Remove `{other}`: {why}.")
        if _key(node, "key") is None:
            self.error(f"the {kind} dataset `{name}` needs `key:`", key.span, key_hint)

    def check_path(self, source: str, node: ScalarNode) -> None:
        parts = re.split(r"[\\/]", source)
        if (source.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", source) or ".." in parts
                or any(ord(c) < 32 for c in source)):
            self.error(f"the source `{source}` is not a path inside the data directory",
                       node.span, "Give the file's path relative to the data directory, without "
                       "`..` or a leading `/`.", code="TS213")

    def file_format(self, node: MapNode, source: str | None) -> Any:
        given = _text(node, "format")
        if given is not None or source is None:
            return given
        suffix = PurePosixPath(source.replace("\\", "/")).suffix.lower()
        if suffix in FORMATS_BY_SUFFIX:
            return FORMATS_BY_SUFFIX[suffix]
        self.error(f"cannot tell the file format of `{source}` from its extension",
                   _node(node, "source").span, "Add `format:` (one of "
                   + ", ".join(sorted(set(FORMATS_BY_SUFFIX.values()))) + ").")
        return None

    def column(self, key: ScalarNode, node: MapNode, in_long_table: bool) -> Column:
        kind = str(_scalar(node, "type"))
        rules: tuple[tuple[str, bool, str], ...] = (
            ("levels", kind == "category", "applies only to category columns"),
            ("unit", kind in UNIT_TYPES, "applies only to number and duration columns"),
            ("unit_column", kind in UNIT_TYPES, "applies only to number and duration columns"),
            ("analyte", kind == "number", "applies only to number columns"),
            ("test", in_long_table, "applies only to columns of a long table (`long:`)"),
            ("range", kind == "number", "applies only to number columns"),
        )
        for name, allowed, why in rules:
            if not allowed and (bad := _key(node, name)) is not None:
                self.error(f"`{name}` {why}; `{key_text(key)}` is a {kind} column"
                           + ("" if name != "test" else " of a wide table"), bad.span,
                           f"Remove `{name}`, or change the column's `type`.")
        levels = _node(node, "levels")
        return Column(
            name=key_text(key), span=key.span, type=cast(Any, kind),
            unit=_text(node, "unit"), unit_column=_text(node, "unit_column"),
            analyte=_text(node, "analyte"),
            levels=tuple(str(i.value) for i in levels.items) if levels is not None else None,
            source=_text(node, "source"), test=_text(node, "test"), label=_text(node, "label"),
            range=_column_range(_node(node, "range")),
            collected=_scalar(node, "collected") is not False)

    def long_layout(self, node: MapNode | None) -> LongLayout | None:
        if node is None:
            return None
        test, name = _key(node, "test"), _key(node, "name")
        if test is not None and name is not None:
            self.error("`test` and `name` are the same key; write only one", name.span,
                       "Remove `name` (`test` is the usual spelling).")
        elif test is None and name is None:
            self.error("a long table needs `test`: the column naming each row's test",
                       node.span, "Add `test:` with the test-code column, e.g. `LBTESTCD`.")
        return LongLayout(
            subject=str(_scalar(node, "subject")),
            test=str(_scalar(node, "test") or _scalar(node, "name") or ""),
            value=str(_scalar(node, "value")), unit=_text(node, "unit"),
            time=_text(node, "time"), visit=_text(node, "visit"), span=node.span)

    def pick(self, dataset: MapNode, long: LongLayout | None) -> Pick | None:
        found = _entry(dataset, "pick")
        if found is None:
            return None
        key, node = found
        if long is None:
            self.error("`pick` applies only to long tables", key.span,
                       "Add `long:` describing the table's columns, or remove `pick`.")
        else:
            for name, column in (("visit", long.visit), ("time", long.time)):
                if (given := _key(node, name)) is not None and column is None:
                    self.error(f"`pick.{name}` needs `long.{name}`: the column holding the "
                               f"{name}", given.span, f"Add `{name}:` to `long:`.")
        return Pick(span=key.span, visit=_text(node, "visit"), time=_opt_expr(node, "time"))

    # --- definitions and eligibility ------------------------------------------------

    def definition(self, key: ScalarNode, node: Node) -> Definition:
        if isinstance(node, MapNode):
            return Definition(key_text(key), key.span, _expr(_node(node, "expr")),
                              _text(node, "text"))
        return Definition(key_text(key), key.span, _expr(cast(ScalarNode, node)), None)

    def eligibility(self, tree: MapNode) -> Eligibility:
        found = _entry(tree, "eligibility")
        if found is None:
            return Eligibility(_proxy([]), _proxy([]), None)
        key, node = found

        def criteria(kind: Any) -> MappingProxyType[str, Criterion]:
            group = _node(node, kind)
            return _proxy(
                (key_text(k), Criterion(key_text(k), k.span, kind, str(_scalar(v, "text")),
                                        _expr(_node(v, "when")), not _not_recorded(_node(v, "when"))))
                for k, v in _items(group))

        return Eligibility(criteria("inclusion"), criteria("exclusion"), key.span)

    # --- treatment ------------------------------------------------------------------

    def treatment(self, key: ScalarNode, node: MapNode) -> Treatment:
        regimen, arms = _entry(node, "regimen"), _entry(node, "arms")
        built: MappingProxyType[str, Regimen] = _proxy([])
        if regimen is not None and arms is not None:
            self.error("`treatment` has both `regimen` and `arms`", arms[0].span,
                       "Write `regimen:` for a single regimen, or `arms:` for several.")
        elif regimen is not None:
            built = _proxy([(MAIN_ARM, self.regimen(MAIN_ARM, *regimen))])
        elif arms is not None:
            built = _proxy((key_text(k), self.regimen(key_text(k), k, v) if isinstance(v, MapNode)
                            else Regimen(key_text(k), _proxy([]), k.span, observation=True))
                           for k, v in _items(arms[1]))
        else:
            self.error("`treatment` needs `regimen` (the drugs) or `arms`", key.span,
                       "Add `regimen:` with each drug's dose and days.")
        cycles: Any = _scalar(node, "cycles")
        if isinstance(_node(node, "cycles"), MapNode):  # by arm
            cycles = _proxy((key_text(k), v.value if isinstance(v, ScalarNode) else None)
                            for k, v in _items(_node(node, "cycles")))
        tolerances = _entry(node, "tolerances")
        cycle, by_arm, duration = self.cycle_of(key, node)
        return Treatment(
            cycle=cycle, cycles=cycles, exposure=_text(node, "exposure"),
            arms=built,
            tolerances=None if tolerances is None else Tolerances(
                span=tolerances[0].span, dose_window=_scalar(tolerances[1], "dose_window"),
                start_window=_opt_expr(tolerances[1], "start_window"),
                max_delay=_opt_expr(tolerances[1], "max_delay"),
                dose_tolerance=_percent(_scalar(tolerances[1], "dose_tolerance"))),
            dose_intensity_min=_percent(_scalar(node, "dose_intensity_min")), span=key.span,
            cycles_span=getattr(_key(node, "cycles"), "span", None),
            cycle_by_arm=by_arm, duration=duration, body_size=self.body_size(node))

    def cycle_of(self, key: ScalarNode, node: MapNode) -> tuple[Expr, Any, Expr | None]:
        """(cycle length, cycle length by arm or None, duration): a regimen without cycles is
        one cycle as long as its ``duration``; by arm, ``cycle`` is the first arm's."""
        cycle, duration = _node(node, "cycle"), _opt_expr(node, "duration")
        if isinstance(cycle, MapNode):
            by_arm = _proxy((key_text(k), _expr(v)) for k, v in _items(cycle))
            return next(iter(by_arm.values())), by_arm, duration
        if isinstance(cycle, ScalarNode):
            if duration is not None:
                self.error("`treatment` has both `cycle` and `duration`", duration.span,
                           "`duration` is for a regimen without cycles; with cycles, write `cycles:`.")
            return _expr(cycle), None, duration
        if duration is not None:
            return duration, None, duration
        self.error("`treatment` needs `cycle` (the cycle length) or `duration` (a regimen without "
                   "cycles)", key.span,
                   "Add `cycle: 28 days`, or `duration: 26 weeks` for continuous dosing.")
        return Expr("", key.span, ScalarMap(key.span.path, ((key.span.line, key.span.col),))), None, None

    def body_size(self, node: MapNode) -> BodySize | None:
        found = _entry(node, "body_size")
        if found is None:
            return None
        k, v = found
        return BodySize(dataset=_text(v, "dataset") or "", height=_text(v, "height") or "height",
                        weight=_text(v, "weight") or "weight", bsa=_text(v, "bsa") or "mosteller",
                        span=k.span, age=_text(v, "age"), sex=_text(v, "sex"),
                        creatinine=_text(v, "creatinine"), crcl=_text(v, "crcl"),
                        crcl_max=_opt_expr(v, "crcl_max"))

    def regimen(self, name: str, key: ScalarNode, node: MapNode) -> Regimen:
        drugs = _proxy((key_text(k), self.drug(k, v)) for k, v in _items(node))
        return Regimen(name, drugs, key.span)

    def drug(self, key: ScalarNode, node: MapNode) -> DrugSchedule:
        reductions = _node(node, "reductions")
        dose, days = _node(node, "dose"), _node(node, "days")
        steps = tuple(self.step(cast(MapNode, i)) for i in dose.items) if isinstance(dose, SeqNode) else ()
        return DrugSchedule(
            drug=key_text(key), span=key.span, dose=steps[0].dose if steps else _expr(dose),
            route=_text(node, "route"), frequency=_text(node, "frequency"),
            days=self.days(days) if days is not None else (),
            reductions=tuple(_expr(i) for i in reductions.items) if reductions else (),
            reescalation=_scalar(node, "reescalation") is True, steps=steps,
            form=_text(node, "form"), max_dose=_opt_expr(node, "max_dose"))

    def step(self, node: MapNode) -> DoseStep:
        """``{days: 1-14, dose: 54 mg}``, ``{from: week 3, dose: 81 mg}``, ``{from: visit WEEK 24, ...}``."""
        dose = _expr(_node(node, "dose"))
        for basis, name in (("day", "days"), ("week", "weeks"), ("cycle", "cycles")):
            value = _node(node, name)
            if value is not None:
                m = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", str(value.value))
                first, last = (int(m[1]), int(m[2] or m[1])) if m else (1, 1)
                if last < first:
                    self.error(f"the range `{first}-{last}` runs backwards", value.span,
                               f"Write `{last}-{first}`.")
                return DoseStep(basis, first, last, None, dose, value.span)  # type: ignore[arg-type]
        start = _node(node, "from")
        if start is None:
            self.error("a dose step needs `days`, `weeks`, `cycles` or `from`", node.span,
                       "Write e.g. `{days: 1-14, dose: 54 mg}` or `{from: day 15, dose: 81 mg}`.")
            return DoseStep("day", 1, None, None, dose, node.span)
        text = str(start.value).strip()
        word, _, rest = text.partition(" ")
        if word == "visit":
            return DoseStep("visit", None, None, rest.strip(), dose, start.span)
        return DoseStep(word, int(rest), None, None, dose, start.span)  # type: ignore[arg-type]

    def days(self, node: Node) -> tuple[int, ...]:
        """Expand ``1-21``, ``[1, 8, 15]``, ``[1-4, 15-18]`` into sorted days."""
        found: dict[int, Span] = {}
        items = node.items if isinstance(node, SeqNode) else (node,)
        for item in items:
            assert isinstance(item, ScalarNode)
            for day, span in self.day_items(item):
                if day in found:
                    self.error(f"day {day} is listed twice", span,
                               "List each day once.")
                found.setdefault(day, span)
        return tuple(sorted(found))

    def day_items(self, item: ScalarNode) -> Iterator[tuple[int, Span]]:
        if isinstance(item.value, int):
            pieces = [(item.value, item.value, item.span)]
        else:
            pieces = []
            for m in re.finditer(r"([0-9]+)\s*(?:-\s*([0-9]+))?", item.raw):
                first, last = int(m[1]), int(m[2] or m[1])
                pieces.append((first, last, item.smap.span(m.start(), m.end())))
        for first, last, span in pieces:
            if first < 1:
                self.error("days are counted from 1 (the cycle's first day)", span,
                           "Write day 1 for the first day of the cycle.")
            elif last < first:
                self.error(f"the range `{first}-{last}` runs backwards", span,
                           f"Write `{last}-{first}`.")
            elif last > MAX_DAY:
                self.error(f"day {last} is beyond any cycle (at most {MAX_DAY} days)", span,
                           "Days are counted within a cycle, from 1.")
            else:
                yield from ((day, span) for day in range(first, last + 1))

    # --- response, endpoints, analyses, reported ------------------------------------

    def response(self, key: ScalarNode, node: MapNode) -> Response:
        def exprs(name: str) -> MappingProxyType[str, Expr]:
            group = _node(node, name)
            return _proxy((key_text(k), _expr(v)) for k, v in _items(group))

        confirmation = _node(node, "confirmation")
        responders = _proxy((key_text(k), tuple(str(i.value) for i in v.items))
                            for k, v in _items(_node(node, "responders")))
        return Response(
            criteria=_text(node, "criteria"), assessments=_text(node, "assessments"),
            parameters=exprs("parameters"), categories=exprs("categories"),
            confirmation=_freeze(confirmation) if confirmation else _proxy([]), span=key.span,
            definitions=self.named(node, "definitions", self.definition), responders=responders)

    def endpoint(self, key: ScalarNode, node: MapNode) -> Endpoint:
        spec = _proxy((key_text(k), _freeze(v)) for k, v in node.items if key_text(k) != "kind")
        return Endpoint(key_text(key), key.span, cast(Any, _text(node, "kind")), spec)

    def analysis(self, key: ScalarNode, node: MapNode) -> Analysis:
        fixed = ("method", "endpoint", "by", "tests")
        tests = _node(node, "tests")
        by = _node(node, "by")
        by_all = tuple(str(getattr(i, "value", "")) for i in by.items) if isinstance(by, SeqNode) else ()
        return Analysis(
            id=key_text(key), span=key.span, method=_text(node, "method"),
            endpoint=_text(node, "endpoint"), by=by_all[0] if by_all else _text(node, "by"),
            tests=tuple(str(t.value) for t in tests.items) if tests else (),
            extra=_proxy((key_text(k), _freeze(v)) for k, v in node.items
                         if key_text(k) not in fixed), by_all=by_all)

    def population(self, key: ScalarNode, node: Node) -> Population:
        if not isinstance(node, MapNode):
            return Population(key_text(key), key.span, _expr(cast(ScalarNode, node)))
        default = _scalar(node, "default")
        return Population(key_text(key), key.span, _opt_expr(node, "when"), _text(node, "within"),
                          _text(node, "description"), default is True)

    def reported(self, key: ScalarNode, node: MapNode) -> ReportedTable:
        return ReportedTable(key_text(key), key.span, tuple(_claims(node, ())))


def _claims(node: MapNode, path: tuple[str, ...]) -> Iterator[Claim]:
    for k, v in node.items:
        here = (*path, key_text(k))
        if isinstance(v, MapNode):
            yield from _claims(v, here)
        elif isinstance(v, ScalarNode):
            text = v.value if isinstance(v.value, str) else v.raw
            yield Claim(here, text, v.span, v.smap)


def _percent(value: Any) -> float | None:
    if value is None:
        return None
    return float(str(value).strip().rstrip("%"))


NOT_RECORDED = "not recorded"


def _not_recorded(node: Any) -> bool:
    """`when: not recorded`: a criterion the study's data cannot decide."""
    return isinstance(node, ScalarNode) and " ".join(str(node.value).split()).lower() == NOT_RECORDED
