"""``schema_fit.fits``, the fast yes of schema validation, held to jsonschema: on every
shipped protocol, on seeded random mutations of them, and keyword by keyword."""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from trialspec.protocol import load_protocol, load_schema
from trialspec.protocol.schema import _Schema, plain
from trialspec.protocol.schema_fit import compiled, fits
from trialspec.protocol.yamlload import MapNode, load_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "protocols").glob("*.yaml"))
VALIDATOR = Draft202012Validator(load_schema())


def view_of(path: Path) -> Any:
    """A protocol file as the schema sees it (normalized as ``validate`` does)."""
    tree, diags = load_yaml(path)
    assert isinstance(tree, MapNode), diags
    return plain(_Schema(load_schema()).normalize(tree, []))


def test_the_protocol_schema_compiles() -> None:
    # a keyword added to the schema that the checks do not cover would silently send every
    # protocol to jsonschema again: this says so
    assert compiled(load_schema()) is not None


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_protocol_fits_as_jsonschema_says(path: Path) -> None:
    view = view_of(path)
    assert VALIDATOR.is_valid(view)
    assert fits(view, load_schema()) is True


# values a mutation puts in place of another: every JSON type, and the edges the schema's
# keywords look at (empty text, a negative number, a fraction, a boolean for a number)
REPLACEMENTS: list[Any] = [None, "", " ", "x", "1 mg", 0, -1, 1.5, 2.0, True, False, [], {}, ["a"],
                           [1, 1.0], {"zz": 1}, {"expr": "age > 1"}, "age >= 18"]


def _places(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _places(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _places(v, (*path, i))
    return out


def _mutate(doc: Any, rng: random.Random) -> Any:
    """``doc`` with one random change at one random place."""
    doc = copy.deepcopy(doc)
    path = rng.choice(_places(doc)[1:])
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last, value = path[-1], parent[path[-1]]
    kind = rng.randrange(6)
    if kind == 0:  # a key or an item removed
        del parent[last]
    elif kind == 1 and isinstance(value, dict):  # an unknown key
        value[rng.choice(["zz", "Expr", "unit", "id"])] = rng.choice(REPLACEMENTS)
    elif kind == 2 and isinstance(value, list) and value:  # an item twice
        value.append(copy.deepcopy(value[0]))
    elif kind == 3 and isinstance(value, (list, dict)):  # emptied
        value.clear()
    else:
        parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
    return doc


def test_fits_agrees_with_jsonschema_on_mutated_protocols() -> None:
    rng = random.Random(20261207)
    views = [view_of(p) for p in SHIPPED]
    answers: dict[Any, int] = {True: 0, False: 0, None: 0}
    for i in range(240):
        doc = _mutate(views[i % len(views)], rng)
        said = fits(doc, load_schema())
        answers[said] += 1
        # every yes is held to jsonschema (a wrong yes would hide a protocol's errors), and
        # every third no (a wrong no only costs the time of asking jsonschema)
        if said is True or said is False and answers[False] % 3 == 0:
            assert said == VALIDATOR.is_valid(doc), (i, doc)
    # the mutations make documents of both kinds, and ``fits`` answers nearly all of them
    assert answers[True] > 40 and answers[False] > 40 and answers[None] < 5, answers


@pytest.mark.parametrize("schema, value, expected", [
    ({"type": "integer"}, 3, True),
    ({"type": "integer"}, 3.0, True),  # Draft 2020-12: no fractional part is an integer
    ({"type": "integer"}, 3.5, False),
    ({"type": "integer"}, True, False),  # a boolean is not a number
    ({"type": "number"}, False, False),
    ({"type": ["string", "null"]}, None, True),
    ({"minimum": 0}, -1, False),
    ({"minimum": 0}, "text", True),  # a number's keyword says nothing of text
    ({"maximum": 1}, True, True),
    ({"minLength": 2}, "é", False),
    ({"pattern": "b"}, "abc", True),  # unanchored, as re.search
    ({"pattern": "^b"}, "abc", False),
    ({"enum": [1, "a"]}, 1.0, True),
    ({"enum": [1]}, True, False),  # true is not 1
    ({"const": {"a": [1]}}, {"a": [1.0]}, True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [{"a": 1}, {"a": 2}], True),
    ({"required": ["a"]}, {"b": 1}, False),
    ({"required": ["a"]}, [1], True),  # an object's keyword says nothing of an array
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x"}, True),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": "x"}, False),
    ({"additionalProperties": {"type": "integer"}}, {"b": "x"}, False),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"B": 1}, False),
    ({"minProperties": 1}, {}, False),
    ({"items": {"type": "string"}, "minItems": 1, "maxItems": 2}, ["a", "b", "c"], False),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 2, True),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 2.5, False),
    ({"$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"},
     [[[]], []], True),  # a definition that refers to itself
    ({"$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}}}, "$ref": "#/$defs/t"},
     [[1]], False),
])
def test_each_keyword_means_what_jsonschema_says(schema: dict[str, Any], value: Any, expected: bool) -> None:
    assert Draft202012Validator(schema).is_valid(value) is expected  # the case is right
    assert fits(value, schema) is expected


@pytest.mark.parametrize("schema, value", [
    ({"not": {"type": "string"}}, 1),  # a keyword the checks do not cover: never guessed
    ({"type": "string", "format": "date"}, "x"),
    ({"prefixItems": [{"type": "string"}]}, ["a"]),
    ({"uniqueItems": True}, [float("nan"), 1]),  # equality that is not JSON's
])
def test_what_it_cannot_judge_is_left_to_jsonschema(schema: dict[str, Any], value: Any) -> None:
    assert fits(value, schema) is None


def test_a_protocol_that_fits_is_loaded_without_jsonschema() -> None:
    code = ("import sys; from trialspec.protocol import load_protocol; "
            f"p, d = load_protocol({str(SHIPPED[0])!r}); assert p is not None, d; "
            "print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_protocol_that_does_not_fit_still_gets_jsonschemas_diagnostics(tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(SHIPPED[0].read_text(encoding="utf-8") + "\nunknwn_section: 1\n", encoding="utf-8")
    protocol, diags = load_protocol(bad)
    assert protocol is None
    assert [d.code for d in diags if d.code in ("TS208", "TS209")] == ["TS208"]
