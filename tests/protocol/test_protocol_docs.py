"""docs/protocol.md covers every key of the schema, and its examples are valid protocols."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from trialspec.codes import CODES
from trialspec.protocol import load_protocol_text, load_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEAD = "trialspec: 1\nstudy: {id: X}\n"


def property_names(schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        names |= set(schema.get("properties", {}))
        for value in schema.values():
            names |= property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= property_names(value)
    return names


def test_every_key_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(n for n in property_names(load_schema()) if f"`{n}`" not in text)
    assert missing == []


def test_modeline_and_every_document_code_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../schemas/protocol.schema.json" in text
    for code in (c for c in CODES if c.startswith("TS2")):
        assert f"| {code} | {CODES[code].name} |" in text


EXAMPLES = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_doc_examples_are_valid(example: str) -> None:
    text = example if "trialspec:" in example else HEAD + example
    protocol, diags = load_protocol_text(text)
    assert diags == [] and protocol is not None
