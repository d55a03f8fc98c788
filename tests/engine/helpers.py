"""Small builders shared by the engine's unit tests."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trialspec.engine.pandas import SubjectFrames, Value, evaluate, to_python
from trialspec.lang import ir
from trialspec.lang.types import BOOL, DATE, NUMBER, STRING, Kind, Type

CAT = Type(Kind.CATEGORY, levels=("IA", "IIA", "IIIA", "IIIB"))
DAYS = Type(Kind.NUMBER, "days")


def subjects(**columns: list[Any]) -> SubjectFrames:
    """Frames with one subject-grain dataset ``s``: one subject per list element."""
    n = len(next(iter(columns.values())))
    df = pd.DataFrame({"id": [f"P{i}" for i in range(n)], **columns})
    return SubjectFrames.from_frames(df[["id"]], "id", {"s": df})


def col(name: str, type_: Type = NUMBER, dataset: str = "s") -> ir.Col:
    return ir.Col(dataset, name, type_)


def num(v: float) -> ir.Const:
    return ir.Const(float(v), NUMBER)


def text(v: str) -> ir.Const:
    return ir.Const(v, STRING)


def day(v: str) -> ir.Const:
    return ir.Const(v, DATE)


def true() -> ir.Const:
    return ir.Const(True, BOOL)


def run(node: ir.Node, frames: SubjectFrames) -> list[Any]:
    """The node's value per subject as plain Python (True/False/None, floats, dates...)."""
    value: Value = evaluate(node, frames)
    return [to_python(value, i) for i in range(frames.n)]
