"""The typed model: what the examples build into, and the rules beyond the schema."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from trialspec.diagnostics import Diagnostic
from trialspec.protocol import Expr, Protocol, load_protocol, load_protocol_text

HEAD = "trialspec: 1\nstudy: {id: X}\n"


def load(text: str) -> tuple[Protocol | None, list[Diagnostic]]:
    return load_protocol_text(HEAD + text)


def brief(diags: list[Diagnostic]) -> list[tuple[str, int, int, int]]:
    return [(d.code, d.span.line, d.span.col, d.span.end_col) for d in diags]


@pytest.fixture(scope="module")
def minimal() -> Protocol:
    protocol, diags = load_protocol(Path(__file__).parent / "data" / "minimal.yaml")
    assert diags == []
    assert protocol is not None
    return protocol


def test_design_example_builds(data_dir: Path) -> None:
    protocol, diags = load_protocol(data_dir / "design_example.yaml")
    assert diags == [] and protocol is not None
    assert protocol.version == 1 and protocol.study.id == "RD-RRMM-2014"
    labs = protocol.datasets["labs"]
    assert (labs.source, labs.format, labs.long.test, labs.long.value) == (
        "lb.xpt", "xpt", "LBTESTCD", "LBSTRESN")
    assert protocol.datasets["subjects"].columns["bilirubin"].unit_column == "bilirubin_unit"
    assert protocol.definitions["measurable"].expr.text.startswith("serum_m_protein >= 0.5")
    assert list(protocol.eligibility.inclusion) == ["I1", "I5"]
    drugs = protocol.treatment.arms["main"].drugs
    assert drugs["lenalidomide"].days == tuple(range(1, 22))
    assert [r.text for r in drugs["lenalidomide"].reductions] == ["15 mg", "10 mg", "5 mg"]
    assert drugs["dexamethasone"].days == (1, 8, 15, 22)
    assert protocol.response.criteria == "imwg-2016"
    assert protocol.analyses["T4"].tests == ("fisher", "chi2")
    claims = [(c.path, c.text) for c in protocol.reported["T4"].claims]
    assert claims == [(("orr", "relapsed"), "12 (75%)"), (("orr", "refractory"), "1 (20%)"),
                      (("statistic",), "4.887"), (("p",), "0.047")]


def test_minimal_study_and_datasets(minimal: Protocol) -> None:
    assert minimal.path.endswith("minimal.yaml")
    assert minimal.source.line(5) == "trialspec: 1"
    assert (minimal.study.phase, minimal.study.reference) == (
        "II", "doi:10.38007/IJPHPM.2020.010301")
    assert list(minimal.datasets) == ["subjects", "labs", "exposure", "assessments"]
    subjects = minimal.datasets["subjects"]
    assert (subjects.key, subjects.format, subjects.long, subjects.pick) == (
        "subject_id", "csv", None, None)
    age = subjects.columns["age"]
    assert (age.type, age.unit, age.label, age.levels) == (
        "number", "years", "Age at screening", None)
    exposed = subjects.columns["thalidomide_exposed"]
    assert (exposed.levels, exposed.source) == (("Y", "N"), "THAL_EXP")
    labs = minimal.datasets["labs"]
    assert labs.pick.visit == "SCREENING" and labs.long.visit == "VISIT"
    assert labs.columns["bilirubin"].test == "BILI"
    assert labs.columns["bilirubin"].analyte == "bilirubin"
    assert minimal.datasets["exposure"].subject == "subject_id"
    assert minimal.datasets["assessments"].format == "parquet"


def test_minimal_definitions_and_eligibility(minimal: Protocol) -> None:
    measurable = minimal.definitions["measurable"]
    assert measurable.expr.text == "serum_m_protein >= 0.5 g/dL or urine_m_protein >= 200 mg/24h\n"
    assert measurable.text is None
    marrow = minimal.definitions["adequate_marrow"]
    assert (marrow.expr.text, marrow.text) == (
        "anc >= 1.0 10^9/L", "Absolute neutrophil count of at least 1.0 x 10^9/L")
    i4 = minimal.eligibility.inclusion["I4"]
    assert (i4.kind, i4.text, i4.when.text) == (
        "inclusion", "Total bilirubin <= 2.0 mg/dL", "bilirubin <= 2.0 mg/dL")
    assert (i4.span.line, i4.span.col) == (63, 5)
    e2 = minimal.eligibility.exclusion["E2"]
    assert (e2.kind, e2.when.text) == ("exclusion", "creatinine_clearance < 30 mL/min")


def test_expression_spans_point_into_the_file(minimal: Protocol) -> None:
    when = minimal.eligibility.inclusion["I4"].when
    i = when.text.index("2.0")
    s = when.smap.span(i, i + 3)
    assert minimal.source.line(s.line)[s.col - 1:s.end_col - 1] == "2.0"
    measurable = minimal.definitions["measurable"].expr
    i = measurable.text.index("urine")
    s = measurable.smap.span(i, i + 5)
    assert (s.line, s.col) == (53, 8)
    assert minimal.source.line(53)[7:12] == "urine"


def test_minimal_treatment(minimal: Protocol) -> None:
    t = minimal.treatment
    assert (t.cycle.text, t.cycles, t.exposure, t.dose_intensity_min) == (
        "28 days", "until progression", "exposure", 80.0)
    assert list(t.arms) == ["main"]
    len_ = t.arms["main"].drugs["lenalidomide"]
    assert (len_.dose.text, len_.route, len_.frequency, len_.reescalation) == (
        "25 mg", "oral", "QD", False)
    assert (t.tolerances.dose_window, t.tolerances.max_delay.text) == (2, "14 days")
    assert t.tolerances.start_window is None


def test_minimal_response_endpoints_analyses_reported(minimal: Protocol) -> None:
    r = minimal.response
    assert (r.criteria, r.assessments) == ("imwg-2016", "assessments")
    assert r.parameters["confirmation_interval"].text == "4 weeks"
    assert r.confirmation["consecutive"].text == "2"
    orr = minimal.endpoints["orr"]
    assert orr.kind == "response"
    assert [e.text for e in orr.spec["responders"]] == ["sCR", "CR", "VGPR", "PR"]
    assert "kind" not in orr.spec
    ttp = minimal.endpoints["ttp"]
    assert (ttp.kind, ttp.spec["event"].text) == ("time_to_event", "progression_date")
    t4 = minimal.analyses["T4"]
    assert (t4.method, t4.endpoint, t4.by, t4.tests, dict(t4.extra)) == (
        "proportion", "orr", "thalidomide_exposed", ("fisher", "chi2"), {})
    assert list(minimal.reported) == ["abstract", "T4"]
    p = minimal.reported["T4"].claims[-1]
    assert (p.path, p.text, p.span.line, p.span.col) == (("p",), "0.047", 116, 8)


def test_model_is_immutable(minimal: Protocol) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        minimal.study.id = "other"  # type: ignore[misc]
    assert isinstance(minimal.datasets, MappingProxyType)
    with pytest.raises(TypeError):
        minimal.datasets["new"] = minimal.datasets["labs"]  # type: ignore[index]
    assert isinstance(minimal.treatment.arms["main"].drugs["lenalidomide"].days, tuple)


def test_absent_sections_are_empty() -> None:
    protocol, diags = load("")
    assert diags == []
    assert (protocol.treatment, protocol.response) == (None, None)
    assert dict(protocol.datasets) == {} and dict(protocol.eligibility.inclusion) == {}
    assert protocol.study.title is None


# --- treatment ----------------------------------------------------------------------------


def regimen(drug: str) -> str:
    return f"treatment:\n  cycle: 28 days\n  regimen:\n    {drug}\n"


@pytest.mark.parametrize("days, expected", [
    ("1-21", tuple(range(1, 22))),
    ("8", (8,)),
    ("[1, 8, 15, 22]", (1, 8, 15, 22)),
    ("['1-4', '15-18']", (1, 2, 3, 4, 15, 16, 17, 18)),
    ("[1-4, 15-18]", (1, 2, 3, 4, 15, 16, 17, 18)),
    ("'1-2, 8, 22 - 23'", (1, 2, 8, 22, 23)),
    ("[22, 1]", (1, 22)),
])
def test_days(days: str, expected: tuple[int, ...]) -> None:
    protocol, diags = load(regimen(f"d: {{dose: 5 mg, days: {days}}}"))
    assert diags == []
    assert protocol.treatment.arms["main"].drugs["d"].days == expected


@pytest.mark.parametrize("days, at, message", [
    ("21-1", (6, 27, 31), "runs backwards"),
    ("'1-4, 21-15'", (6, 33, 38), "runs backwards"),
    ("[1, 0-3]", (6, 31, 34), "counted from 1"),
    ("1-9999", (6, 27, 33), "beyond any cycle"),
    ("[1-8, 8]", (6, 33, 34), "day 8 is listed twice"),
])
def test_bad_days_are_reported_inside_the_scalar(days: str, at: tuple[int, int, int],
                                                 message: str) -> None:
    protocol, diags = load(regimen(f"d: {{dose: 5 mg, days: {days}}}"))
    assert protocol is None
    [d] = diags
    assert (d.code, d.span.line, d.span.col, d.span.end_col) == ("TS209", *at)
    assert message in d.message and d.hint


def test_arms() -> None:
    text = ("treatment:\n  cycle: 21 days\n  cycles: 8\n  arms:\n"
            "    A: {len: {dose: 25 mg, days: 1-14}}\n    B: {dex: {dose: 40 mg, days: 1}}\n")
    protocol, diags = load(text)
    assert diags == []
    assert list(protocol.treatment.arms) == ["A", "B"]
    assert protocol.treatment.arms["B"].drugs["dex"].days == (1,)


def test_regimen_and_arms_exclude_each_other() -> None:
    text = ("treatment:\n  cycle: 21 days\n  regimen: {a: {dose: 1 mg, days: 1}}\n"
            "  arms: {A: {a: {dose: 1 mg, days: 1}}}\n")
    assert brief(load(text)[1]) == [("TS209", 6, 3, 7)]


def test_treatment_needs_a_regimen() -> None:
    assert brief(load("treatment:\n  cycle: 21 days\n")[1]) == [("TS209", 3, 1, 10)]


@pytest.mark.parametrize("value, expected", [("80", 80.0), ("80%", 80.0), ("'85.5 %'", 85.5)])
def test_dose_intensity(value: str, expected: float) -> None:
    protocol, diags = load(regimen("a: {dose: 1 mg, days: 1}") + f"  dose_intensity_min: {value}\n")
    assert diags == [] and protocol.treatment.dose_intensity_min == expected


# --- datasets -----------------------------------------------------------------------------


@pytest.mark.parametrize("source, fmt", [
    ("a.csv", "csv"), ("dir/b.XPT", "xpt"), ("c.sas7bdat", "sas7bdat"), ("d.pq", "parquet"),
    ("e.xlsx", "xlsx"),
])
def test_format_is_inferred(source: str, fmt: str) -> None:
    protocol, diags = load(f"datasets:\n  s: {{source: {source}}}\n")
    assert diags == [] and protocol.datasets["s"].format == fmt


def test_explicit_format_wins() -> None:
    protocol, _ = load("datasets:\n  s: {source: export.txt, format: csv}\n")
    assert protocol.datasets["s"].format == "csv"


def test_unknown_extension_needs_a_format() -> None:
    [d] = load("datasets:\n  s: {source: export.txt}\n")[1]
    assert (d.code, d.span.line, d.span.col) == ("TS209", 4, 15)
    assert "format:" in d.hint


@pytest.mark.parametrize("source", ["../secrets.csv", "/etc/passwd.csv", "a/../../b.csv",
                                    "C:/data/x.csv", "'..\\\\x.csv'", '"a\\x00.csv"'])
def test_sources_stay_inside_the_data_directory(source: str) -> None:
    diags = load(f"datasets:\n  s: {{source: {source}, format: csv}}\n")[1]
    assert [(d.code, d.span.line, d.span.col) for d in diags] == [("TS213", 4, 15)]


@pytest.mark.parametrize("column, key, col", [
    ("{type: number, levels: [a]}", "levels", 25),
    ("{type: category, unit: g}", "unit", 27),
    ("{type: percent, unit: '%'}", "unit", 26),
    ("{type: string, analyte: bilirubin}", "analyte", 25),
    ("{type: number, test: BILI}", "test", 25),
])
def test_column_keys_that_do_not_apply(column: str, key: str, col: int) -> None:
    [d] = load(f"datasets:\n  s:\n    columns:\n      c: {column}\n")[1]
    assert (d.code, d.span.line, d.span.col) == ("TS209", 6, col)
    assert f"`{key}`" in d.message and d.hint


def test_long_table_test_column() -> None:
    both = "datasets:\n  s: {long: {subject: S, test: T, name: NAME, value: V}}\n"
    assert brief(load(both)[1]) == [("TS209", 4, 35, 39)]
    neither = "datasets:\n  s: {long: {subject: S, value: V}}\n"
    assert brief(load(neither)[1]) == [("TS209", 4, 13, 35)]


def test_pick_needs_a_long_table_and_its_columns() -> None:
    wide = "datasets:\n  s: {pick: {visit: SCREENING}}\n"
    assert brief(load(wide)[1]) == [("TS209", 4, 7, 11)]
    no_visit = "datasets:\n  s: {long: {subject: S, test: T, value: V}, pick: {visit: X}}\n"
    assert brief(load(no_visit)[1]) == [("TS209", 4, 53, 58)]


def test_pick_by_time() -> None:
    text = ("datasets:\n  s:\n    long: {subject: S, test: T, value: V, time: DTC}\n"
            "    pick: {time: last before first_dose}\n")
    protocol, diags = load(text)
    assert diags == []
    assert protocol.datasets["s"].pick.time == Expr(
        "last before first_dose", protocol.datasets["s"].pick.time.span,
        protocol.datasets["s"].pick.time.smap)
    assert protocol.datasets["s"].pick.time.span.line == 6


# --- free-form settings -------------------------------------------------------------------


def test_analysis_extra_and_endpoint_spec_keep_expressions() -> None:
    text = ("endpoints:\n  pfs: {kind: time_to_event, start: first_dose, event: pd_date,"
            " options: {unit: months, landmarks: [6, 12]}}\n"
            "analyses:\n  T5:\n    method: kaplan_meier\n    endpoint: pfs\n"
            "    population: treated\n    options: {ci: log-log, level: 0.95}\n")
    protocol, diags = load(text)
    assert diags == []
    opts = protocol.endpoints["pfs"].spec["options"]
    assert [e.text for e in opts["landmarks"]] == ["6", "12"]
    t5 = protocol.analyses["T5"]
    assert t5.tests == () and t5.extra["population"].text == "treated"
    assert t5.extra["options"]["level"].text == "0.95"
    assert isinstance(t5.extra["options"], MappingProxyType)


def test_seed_protocol_loads_cleanly() -> None:
    seed = Path(__file__).resolve().parents[2] / "protocols" / "seed-rd-rrmm.yaml"
    if not seed.exists():
        pytest.skip("protocols/seed-rd-rrmm.yaml is not written yet")
    protocol, diags = load_protocol(seed)
    assert diags == [] and protocol is not None


def test_a_unit_with_a_unit_column_is_the_unit_rows_are_converted_to() -> None:
    text = HEAD + ("datasets:\n  s:\n    source: s.csv\n    key: id\n    columns:\n      id: {type: string}\n"
                   "      crea: {type: number, unit: mg/dL, unit_column: crea_unit, analyte: creatinine}\n")
    protocol, diags = load_protocol_text(text)
    assert diags == [] and protocol is not None
    col = protocol.datasets["s"].columns["crea"]
    assert (col.unit, col.unit_column) == ("mg/dL", "crea_unit")
