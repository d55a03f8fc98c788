"""The protocol JSON Schema and how its errors come back: at the right key, readable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.protocol import load_protocol_text, load_schema
from trialspec.protocol.schema import plain, validate
from trialspec.protocol.yamlload import load_yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
HEAD = "trialspec: 1\nstudy: {id: X}\n"


def diags_of(text: str) -> list[Diagnostic]:
    return load_protocol_text(text)[1]


def brief(diags: list[Diagnostic]) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in diags if d.span]


def test_published_schema_is_the_package_schema() -> None:
    published = (ROOT / "schemas" / "protocol.schema.json").read_bytes()
    packaged = (ROOT / "src" / "trialspec" / "schemas" / "protocol.schema.json").read_bytes()
    assert published == packaged
    assert json.loads(published) == load_schema()


def test_schema_is_valid_json_schema_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    Draft202012Validator.check_schema(schema)


def walk(schema: Any, where: str = "") -> list[tuple[str, dict]]:
    out = []
    if isinstance(schema, dict):
        out.append((where, schema))
        for key, value in schema.items():
            if key in ("properties", "$defs"):
                out += [x for k, v in value.items() for x in walk(v, f"{where}/{key}/{k}")]
            elif isinstance(value, dict):
                out += walk(value, f"{where}/{key}")
    return out


def test_every_property_and_definition_has_a_title_and_description() -> None:
    missing = [where for where, s in walk(load_schema())
               if where.split("/")[-2:-1] in (["properties"], ["$defs"])
               and not ("title" in s and "description" in s)]
    assert missing == []


def test_fixed_key_objects_refuse_unknown_keys() -> None:
    open_objects = [where for where, s in walk(load_schema())
                    if "properties" in s and s.get("additionalProperties") is not False]
    assert open_objects == []


@pytest.mark.parametrize("name", ["design_example.yaml", "minimal.yaml"])
def test_examples_validate_cleanly(name: str) -> None:
    tree, diags = load_yaml(DATA / name)
    assert diags == []
    valid, diags = validate(tree)
    assert diags == [] and valid is not None
    assert list(Draft202012Validator(load_schema()).iter_errors(plain(valid))) == []


def test_design_example_is_the_one_in_the_design(data_dir: Path) -> None:
    design = Path("/work/shared/DESIGN.md")
    if not design.exists():
        pytest.skip("the design document is not next to the checkout")
    text = design.read_text(encoding="utf-8")
    example = text.split("A shortened example:\n\n```yaml\n", 1)[1].split("```", 1)[0]
    assert (data_dir / "design_example.yaml").read_text(encoding="utf-8") == example


def test_minimal_example_carries_the_modeline(data_dir: Path) -> None:
    first = (data_dir / "minimal.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../../schemas/protocol.schema.json"
    assert (data_dir / "../../../schemas/protocol.schema.json").resolve().exists()


# --- the version ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2", "0", '"1"', "1.0", "true", "[1]", "v1"])
def test_unsupported_versions(value: str) -> None:
    protocol, diags = load_protocol_text(f"trialspec: {value}\nstudy: {{id: X}}\n")
    assert protocol is None
    assert brief(diags) == [("TS211", 1, 12)]


def test_missing_version_is_reported_and_read_as_1() -> None:
    protocol, diags = load_protocol_text("study: {id: X}\n")
    assert brief(diags) == [("TS211", 1, 1)]
    assert protocol is not None and protocol.version == 1


# --- unknown keys, shapes, values -------------------------------------------------------


@pytest.mark.parametrize("text, where, hint", [
    ("eligibilty: {}\n", (3, 1), "Did you mean `eligibility`?"),
    ("definitons: {}\n", (3, 1), "Did you mean `definitions`?"),
    ("zzz: 1\n", (3, 1), "Expected one of: `trialspec`, `study`"),
    ("datasets:\n  s:\n    colums: {}\n", (5, 5), "Did you mean `columns`?"),
    ("datasets:\n  s:\n    columns:\n      a: {type: number, units: g}\n", (6, 25),
     "Did you mean `unit`?"),
    ("treatment:\n  cycle: 28 days\n  regimen:\n    len: {dose: 5 mg, days: 1, doses: 1}\n",
     (6, 32), "Did you mean `dose`?"),
])
def test_unknown_keys(text: str, where: tuple[int, int], hint: str) -> None:
    [d] = diags_of(HEAD + text)
    assert (d.code, d.span.line, d.span.col) == ("TS208", *where)
    assert hint in d.hint


def test_sections_of_the_wrong_shape() -> None:
    diags = diags_of(HEAD + "datasets: [subjects, labs]\neligibility: yes please\n")
    assert brief(diags) == [("TS207", 3, 11), ("TS207", 4, 14)]
    assert "must be a mapping" in diags[0].message


def test_study_is_required_and_reported_at_the_top() -> None:
    assert brief(diags_of("trialspec: 1\n")) == [("TS209", 1, 1)]


def test_missing_key_is_reported_at_its_parent_key() -> None:
    [d] = diags_of(HEAD + "eligibility:\n  inclusion:\n    I1: {text: Adult}\n")
    assert (d.code, d.span.line, d.span.col) == ("TS209", 5, 5)
    assert "`eligibility.inclusion.I1` is missing the required key `when`" in d.message
    assert "Add `when:`" in d.hint


def test_invalid_names_point_at_the_key() -> None:
    [d] = diags_of(HEAD + "definitions:\n  2fast: 1\n")
    assert (d.code, d.span.line, d.span.col) == ("TS209", 4, 3)
    assert "letter or underscore" in d.message


def test_repeated_level_points_at_the_repeat() -> None:
    text = HEAD + "datasets:\n  s:\n    columns:\n      c: {type: category, levels: [a, b, a]}\n"
    [d] = diags_of(text)
    assert (d.code, d.span.line, d.span.col) == ("TS209", 6, 42)


def test_one_diagnostic_per_place() -> None:
    # `days` fails several branches of its anyOf; one readable message comes back
    text = HEAD + "treatment:\n  cycle: 28 days\n  regimen:\n    len: {dose: 5 mg, days: 1-x}\n"
    [d] = diags_of(text)
    assert (d.code, d.span.line, d.span.col) == ("TS209", 6, 29)
    assert "Write days as a number" in d.message
    assert "days of the cycle" in d.hint


def test_wrong_type_of_a_nested_value() -> None:
    [d] = diags_of(HEAD + "reported:\n  T1: {p: [1, 2]}\n")
    assert (d.code, d.span.line, d.span.col) == ("TS209", 4, 11)
    assert "should be a mapping or text, not a list" in d.message


def test_boolean_where_text_is_expected_says_to_quote() -> None:
    [d] = diags_of(HEAD.replace("{id: X}", "{id: X, title: true}"))
    assert d.code == "TS209" and 'Quote it: "true"' in d.hint


def test_empty_value_says_to_give_one() -> None:
    [d] = diags_of(HEAD.replace("{id: X}", "{id: X, title: }"))
    assert d.code == "TS209" and "Give it a value" in d.hint


# --- YAML 1.1 booleans and numbers read in place ----------------------------------------


def test_yaml11_boolean_in_text_position_is_an_error() -> None:
    diags = diags_of(HEAD.replace("{id: X}", "{id: NO}"))
    assert brief(diags) == [("TS210", 2, 13)]
    assert diags[0].severity is Severity.ERROR


def test_yaml11_boolean_in_a_criterion_is_an_error() -> None:
    text = HEAD + "eligibility:\n  inclusion:\n    I1: {text: Consent, when: yes}\n"
    assert brief(diags_of(text)) == [("TS210", 5, 31)]


def test_yaml11_boolean_in_boolean_position_is_that_boolean() -> None:
    text = HEAD + ("treatment:\n  cycle: 28 days\n  regimen:\n"
                   "    a: {dose: 5 mg, days: 1, reescalation: yes}\n"
                   "    b: {dose: 5 mg, days: 1, reescalation: off}\n")
    protocol, diags = load_protocol_text(text)
    assert diags == []
    drugs = protocol.treatment.arms["main"].drugs
    assert (drugs["a"].reescalation, drugs["b"].reescalation) == (True, False)


def test_yaml11_boolean_in_free_form_settings_is_a_warning() -> None:
    text = HEAD + "response:\n  confirmation: {before_new_therapy: yes}\n"
    protocol, diags = load_protocol_text(text)
    assert brief(diags) == [("TS210", 4, 38)]
    assert diags[0].severity is Severity.WARNING
    assert protocol is not None
    assert protocol.response.confirmation["before_new_therapy"].text == "yes"


def test_quoted_levels_are_fine() -> None:
    text = HEAD + "datasets:\n  s:\n    columns:\n      c: {type: category, levels: ['Y', \"N\"]}\n"
    protocol, diags = load_protocol_text(text)
    assert diags == []
    assert protocol.datasets["s"].columns["c"].levels == ("Y", "N")


def test_unquoted_numbers_where_text_is_expected_keep_their_source_text() -> None:
    text = HEAD + ("datasets:\n  s:\n    columns:\n      grade: {type: category, levels: [1, 2.50]}\n"
                   "reported:\n  T2: {p: 0.290, n: 021, ci: {low: 1.10}}\n")
    protocol, diags = load_protocol_text(text)
    assert diags == []
    assert protocol.datasets["s"].columns["grade"].levels == ("1", "2.50")
    claims = {c.path: c.text for c in protocol.reported["T2"].claims}
    assert claims == {("p",): "0.290", ("n",): "021", ("ci", "low"): "1.10"}


def test_numbers_stay_numbers_where_numbers_are_expected() -> None:
    text = HEAD + "treatment:\n  cycle: 28 days\n  cycles: 6\n  regimen:\n    a: {dose: 5 mg, days: 1}\n"
    protocol, diags = load_protocol_text(text)
    assert diags == [] and protocol.treatment.cycles == 6


# --- start-up cost ----------------------------------------------------------------------


def test_importing_the_protocol_package_is_light() -> None:
    code = ("import sys, trialspec.protocol; "
            "print(sorted(m for m in ('jsonschema', 'pandas', 'scipy', 'statsmodels', 'numpy')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_alternative_that_fits_the_shape_gives_the_errors() -> None:
    # a definition is an expression or a mapping: a mapping gets the mapping's errors
    diags = diags_of(HEAD + "definitions:\n  x: {exp: a}\n")
    assert brief(diags) == [("TS209", 4, 3), ("TS208", 4, 7)]
    assert "missing the required key `expr`" in diags[0].message
    assert diags[1].hint == "Did you mean `expr`?"


@pytest.mark.parametrize("value, message", [
    ("many", "must be `until progression`"),
    ("0", "below the minimum 1"),
])
def test_cycles(value: str, message: str) -> None:
    text = HEAD + (f"treatment:\n  cycle: 28 days\n  cycles: {value}\n"
                   "  regimen: {a: {dose: 1 mg, days: 1}}\n")
    [d] = diags_of(text)
    assert (d.code, d.span.line, d.span.col) == ("TS209", 5, 11)
    assert message in d.message and "How many cycles" in d.hint


def test_enum_suggestion_ignores_case() -> None:
    [d] = diags_of(HEAD + "datasets:\n  s: {source: a.dat, format: CSV}\n")
    assert d.hint == "Did you mean `csv`?"


def test_boolean_claim_says_to_quote() -> None:
    [d] = diags_of(HEAD + "reported:\n  T1: {significant: true}\n")
    assert "should be a mapping or text, not the boolean true" in d.message
    assert d.hint == 'Quote it: "true".'
