"""Protocol files: read -> YAML tree -> schema -> typed model.

    protocol, diagnostics = load_protocol("protocols/seed-rd-rrmm.yaml")

Nothing here raises on bad input: every problem is a diagnostic with a code and a place.
The protocol is None when the file cannot be read, parsed, or fitted to the schema, or a
model rule is broken. It may be returned *with* errors whose place it can still represent
(a duplicate key, TS202, keeps the first value; an unquoted ``Y``, TS210, stays the text
``"Y"``; a missing ``trialspec:`` version, TS211, is read as version 1): callers check
:func:`trialspec.diagnostics.has_errors` before running anything.

Importing this package imports neither jsonschema (until a protocol does not fit the schema) nor
pandas, scipy or statsmodels.
"""

from __future__ import annotations

import os

from trialspec.diagnostics import Diagnostic, sorted_unique
from trialspec.protocol.build import build_protocol
from trialspec.protocol.model import (
    Analysis,
    Claim,
    Column,
    Criterion,
    Dataset,
    Definition,
    DrugSchedule,
    Eligibility,
    Endpoint,
    Expr,
    LongLayout,
    Pick,
    Protocol,
    Regimen,
    ReportedTable,
    Response,
    Study,
    Tolerances,
    Treatment,
)
from trialspec.protocol.schema import load_schema, validate
from trialspec.protocol.yamlload import load_yaml, parse_source, read_source
from trialspec.source import SourceFile

__all__ = [
    "Analysis", "Claim", "Column", "Criterion", "Dataset", "Definition", "DrugSchedule",
    "Eligibility", "Endpoint", "Expr", "LongLayout", "Pick", "Protocol", "Regimen",
    "ReportedTable", "Response", "Study", "Tolerances", "Treatment",
    "build_protocol", "load_protocol", "load_protocol_source", "load_protocol_text",
    "load_schema", "load_yaml", "validate",
]


def load_protocol(path: str | os.PathLike[str]) -> tuple[Protocol | None, list[Diagnostic]]:
    """Read, parse, validate and build the protocol at ``path``."""
    source, diagnostics = read_source(path)
    if source is None or diagnostics:
        return None, diagnostics
    return load_protocol_source(source)


def load_protocol_text(text: str, path: str = "<string>") -> tuple[Protocol | None,
                                                                  list[Diagnostic]]:
    """Like :func:`load_protocol`, from text already in memory."""
    return load_protocol_source(SourceFile(path, text.removeprefix("\ufeff")))


def load_protocol_source(source: SourceFile) -> tuple[Protocol | None, list[Diagnostic]]:
    """The pipeline on a decoded file: YAML tree -> schema -> model."""
    tree, diagnostics = parse_source(source)
    if tree is None:
        return None, diagnostics
    valid, found = validate(tree)
    diagnostics += found
    if valid is None:
        return None, sorted_unique(diagnostics)
    protocol, found = build_protocol(valid, source)
    return protocol, sorted_unique(diagnostics + found)
