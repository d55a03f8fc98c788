"""The typed protocol model: frozen dataclasses with spans, and no behaviour.

Mappings are read-only (:class:`types.MappingProxyType`) and keep the file's order; lists
are tuples. Expressions stay source text (:class:`Expr`): the language stage parses them.
A named item's ``span`` is where it is named (its key), so a diagnostic about criterion
``I5`` points at ``I5:``.

Free-form settings whose meaning a later stage defines (``Endpoint.spec``,
``Analysis.extra``, ``Response.confirmation``) hold :data:`Value` trees: read-only mappings,
tuples, and :class:`Expr` leaves (an empty YAML value is None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeAlias

from trialspec.source import ScalarMap, SourceFile, Span

ColumnType = Literal["number", "percent", "boolean", "category", "string", "date", "duration"]
FileFormat = Literal["csv", "parquet", "xlsx", "xpt", "sas7bdat", "dataset-json"]
EndpointKind = Literal["response", "time_to_event", "proportion"]
CriterionKind = Literal["inclusion", "exclusion"]
Value: TypeAlias = Any  # Expr | None | tuple[Value, ...] | Mapping[str, Value]


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression as written in the protocol, with a map from its text to the file."""

    text: str
    span: Span
    smap: ScalarMap


@dataclass(frozen=True, slots=True)
class Study:
    """Who and what the study is."""

    id: str
    title: str | None
    span: Span
    phase: str | None = None
    design: str | None = None
    registration: str | None = None
    reference: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """What one column means: type, unit (or the column holding it), levels, origin."""

    name: str
    span: Span
    type: ColumnType
    unit: str | None = None
    unit_column: str | None = None
    analyte: str | None = None
    levels: tuple[str, ...] | None = None
    source: str | None = None
    test: str | None = None
    label: str | None = None
    range: ColumnRange | None = None  # each row's normal range, in the value's unit
    collected: bool = True  # false: the study did not collect it; rules using it are not assessable


@dataclass(frozen=True, slots=True)
class ColumnRange:
    """The file columns holding each row's normal range (``LBSTNRLO``/``LBSTNRHI``)."""

    low: str | None
    high: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class LongLayout:
    """The column names of an SDTM-style long table (one row per subject, test and time)."""

    subject: str
    test: str
    value: str
    unit: str | None
    time: str | None
    visit: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Pick:
    """Which row of a long table is a subject's value: a visit, or a time rule."""

    span: Span
    visit: str | None = None
    time: Expr | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """One table: its file (relative to the data directory), keys, layout and columns."""

    name: str
    span: Span
    source: str | None
    key: str | None
    columns: Mapping[str, Column]
    long: LongLayout | None
    pick: Pick | None
    format: FileFormat | None
    subject: str | None
    description: str | None = None
    derived: bool = False  # filled by trialspec (e.g. `response`), not read from a file
    level: str = "subject"  # "study": one row per study (a meta-analysis' inputs), no subjects
    standard: str | None = None  # "sdtm": blank text and blank dates are missing (implied by XPT, ...)
    missing: tuple[str, ...] = ()  # cell texts that mean missing, e.g. ("NA", ".")
    complete_for: str | None = None  # whom the table covers: no rows means "none" only for them


def study_level(ds: Any) -> bool:
    """One row per study (``level: study``): read by analyses, never joined to subjects."""
    return getattr(ds, "level", "subject") == "study"


@dataclass(frozen=True, slots=True)
class Definition:
    """A named expression, with the protocol's wording of it if given."""

    name: str
    span: Span
    expr: Expr
    text: str | None


@dataclass(frozen=True, slots=True)
class Criterion:
    """One inclusion or exclusion criterion: the protocol's words and the rule."""

    id: str
    span: Span
    kind: CriterionKind
    text: str
    when: Expr
    recorded: bool = True  # false: `when: not recorded`, the data cannot decide it (not assessable)


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Inclusion and exclusion criteria, each in protocol order."""

    inclusion: Mapping[str, Criterion]
    exclusion: Mapping[str, Criterion]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class DoseStep:
    """One step of a dose schedule: from when (study day, week, cycle or visit) and its dose."""

    basis: Literal["day", "week", "cycle", "visit"]
    first: int | None  # the first day/week/cycle; None for a visit
    last: int | None  # the last one of a range; None: open-ended (`from:`)
    visit: str | None  # `from: visit WEEK 24`
    dose: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class DrugSchedule:
    """How one drug is given within a cycle."""

    drug: str
    span: Span
    dose: Expr  # the dose; with steps, the first step's dose
    route: str | None
    frequency: str | None
    days: tuple[int, ...]  # empty: every day of the cycle
    reductions: tuple[Expr, ...]
    reescalation: bool
    steps: tuple[DoseStep, ...] = ()  # a dose schedule within the arm (titration)
    form: str | None = None  # the dose form: tablet, patch, infusion, ...
    max_dose: Expr | None = None  # a cap on a dose per body size (vincristine: 2 mg)


@dataclass(frozen=True, slots=True)
class Regimen:
    """The drug schedules of one arm."""

    name: str
    drugs: Mapping[str, DrugSchedule]
    span: Span
    observation: bool = False  # an arm with nothing to administer (`{}` or `observation`)


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How far the actual treatment may deviate from the plan."""

    span: Span
    dose_window: int | None = None
    start_window: Expr | None = None
    max_delay: Expr | None = None
    dose_tolerance: float | None = None  # percent of the planned level


@dataclass(frozen=True, slots=True)
class Treatment:
    """The planned treatment; a single ``regimen:`` is the arm named ``main``."""

    cycle: Expr
    # one number of cycles for every arm, or one per arm (a mapping by arm name)
    cycles: int | Literal["until progression"] | Mapping[str, Any] | None
    exposure: str | None
    arms: Mapping[str, Regimen]
    tolerances: Tolerances | None
    dose_intensity_min: float | None
    span: Span
    cycles_span: Span | None = None  # the `cycles:` key, where a finding about it points
    # `cycle:` by arm (then `cycle` is the first arm's), and a regimen without cycles
    cycle_by_arm: Mapping[str, Expr] | None = None
    duration: Expr | None = None  # `duration:` of a regimen without cycles (then `cycle` is it)
    body_size: BodySize | None = None


@dataclass(frozen=True, slots=True)
class BodySize:
    """Where height and weight come from for doses per m2 or per kg, and the BSA formula."""

    dataset: str
    height: str
    weight: str
    bsa: str  # mosteller | dubois
    span: Span
    age: str | None = None  # for a carboplatin AUC dose (Calvert): age, sex, serum creatinine
    sex: str | None = None
    creatinine: str | None = None
    crcl: str | None = None  # cockcroft-gault
    crcl_max: Expr | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """How response is judged: a criteria library and the protocol's overrides."""

    criteria: str | None
    assessments: str | None
    parameters: Mapping[str, Expr]
    categories: Mapping[str, Expr]
    confirmation: Mapping[str, Value]
    span: Span
    # named expressions over the assessments; one named like a category records how a paper
    # or SAP defines it (lint compares it with the library's rule)
    definitions: Mapping[str, Definition] = field(default_factory=lambda: MappingProxyType({}))
    # rates to report: name -> the categories counted as responders
    responders: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A named endpoint: its kind and its settings (every key but ``kind``)."""

    name: str
    span: Span
    kind: EndpointKind
    spec: Mapping[str, Value]


@dataclass(frozen=True, slots=True)
class Analysis:
    """A planned analysis; settings other than method, endpoint, by and tests are in extra."""

    id: str
    span: Span
    method: str | None
    endpoint: str | None
    by: str | None
    tests: tuple[str, ...]
    extra: Mapping[str, Value]
    by_all: tuple[str, ...] = ()  # `by: [rows, columns]`: both names (by is the first)


@dataclass(frozen=True, slots=True)
class Population:
    """A named analysis population: who is in it (``when``), within which other population."""

    name: str
    span: Span
    when: Expr | None
    within: str | None = None
    description: str | None = None
    default: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    """A reported value, kept as the exact text printed, at its path in its table."""

    path: tuple[str, ...]
    text: str
    span: Span
    smap: ScalarMap


@dataclass(frozen=True, slots=True)
class Acceptance:
    """One entry of ``accepted:``: a finding's code, what it is about, why, and until when."""

    code: str
    target: str | None
    reason: str
    expires: str | None  # YYYY-MM-DD, the last day it holds
    span: Span


@dataclass(frozen=True, slots=True)
class ReportedTable:
    """The claims of one reported table or section, in file order."""

    id: str
    span: Span
    claims: tuple[Claim, ...]


@dataclass(frozen=True, slots=True)
class Protocol:
    """A whole protocol file, typed."""

    path: str
    source: SourceFile
    version: int
    study: Study
    datasets: Mapping[str, Dataset]
    definitions: Mapping[str, Definition]
    eligibility: Eligibility
    treatment: Treatment | None
    response: Response | None
    endpoints: Mapping[str, Endpoint]
    analyses: Mapping[str, Analysis]
    reported: Mapping[str, ReportedTable]
    accepted: tuple[Acceptance, ...] = ()
    populations: Mapping[str, Population] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def population(self) -> str | None:
        """The dataset whose keys are the subjects: the first keyed, patient-level one."""
        return next((n for n, ds in self.datasets.items() if ds.key and not study_level(ds)), None)
