"""``contains``, ``starts with`` and ``matches``, with and without ``ignoring case``, on every
engine (pandas, DuckDB, Spark through the ``backend`` fixture), held to Python's re on values
where the engines' own regex libraries and case tables disagree: ß/ẞ, dotted and dotless i,
the final sigma, É, the Kelvin sign, a ligature, digits and letters of other scripts."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from trialspec.backend import Backend
from trialspec.lang import ir
from trialspec.lang.types import STRING

from .test_property import engine_at

VALUES = ["STRASSE", "Straße", "STRAẞE", "İSTANBUL", "ıstanbul", "ISTANBUL", "ΟΔΟΣ", "οδος",
          "ÉCHEC", "échec", "\u212aELVIN", "kelvin", "ﬁle", "FILE", "٣٤", "12", "a_b", "x y", "B",
          "AAB", "a.b", "aXb", "tab\there", None]
PREDICATES = [
    ("contains", "straße", True), ("contains", "STRASSE", False), ("starts with", "istanbul", True),
    ("contains", "οδος", True), ("starts with", "kel", True), ("contains", "FILE", True),
    ("contains", "a.b", True), ("matches", "^échec", True), ("matches", "^\\w+$", False),
    ("matches", "^\\d+$", False), ("matches", "\\s", False), ("matches", "A{,2}B$", False),
    ("matches", "(?P<x>ST)R", False), ("matches", "^[^a-z]+$", True), ("matches", "a.b", False),
]


def want(op: str, text: str, ignore_case: bool, value: str | None) -> bool | None:
    """Python's re: the language's meaning (\\d, \\w and \\s ASCII; a case-blind contains or
    starts with is its text escaped, case-blind)."""
    if value is None:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    if op == "matches":
        return re.search(text, value, flags | (re.ASCII if "\\" in text else 0)) is not None
    if not ignore_case:
        return text in value if op == "contains" else value.startswith(text)
    pattern = re.escape(text)
    return (re.search if op == "contains" else re.match)(pattern, value, flags) is not None


def test_text_predicates_give_pythons_answer_on_every_engine(backend: Backend) -> None:
    frame = pd.DataFrame({"id": [f"P{i}" for i in range(len(VALUES))], "t": VALUES})
    fr = backend.frames_from_pandas(frame[["id"]], "id", {"s": frame}, {})
    nodes = [ir.Match(op, ir.Col("s", "t", STRING), text, ic) for op, text, ic in PREDICATES]
    many: Any = getattr(backend, "evaluate_many", None)
    got = many(nodes, fr) if many is not None else [backend.evaluate(n, fr) for n in nodes]
    wrong = [(op, text, ic, v, engine_at(value, i), want(op, text, ic, v))
             for (op, text, ic), value in zip(PREDICATES, got, strict=True)
             for i, v in enumerate(VALUES) if engine_at(value, i) != want(op, text, ic, v)]
    assert not wrong, wrong
