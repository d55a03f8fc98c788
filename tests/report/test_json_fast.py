"""The JSON report's encoder gives exactly the text of ``json.dumps(indent=2, default=str)``."""

from __future__ import annotations

import json
import random
from enum import IntEnum
from typing import Any

from trialspec.report.json_fast import dumps


class Odd:
    def __str__(self) -> str:
        return "odd<\u00e9>"


class Level(IntEnum):
    LOW = 1


def value(rng: random.Random, depth: int) -> Any:
    r = rng.random()
    if depth > 4 or r < 0.5:
        return rng.choice(["a", "é\n\"x", 1, -3, 0.1, 1e300, float("nan"), float("inf"), True, False, None,
                           2**70, Odd(), "", 1.0, Level.LOW])
    if r < 0.75:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.85:
        return tuple(value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
    keys = ["k", "é", "a b", 1, 2.5, float("nan"), True, None, Level.LOW]
    return {rng.choice(keys) if rng.random() < 0.3 else f"k{i}": value(rng, depth + 1)
            for i in range(rng.randint(0, 4))}


def test_the_same_text_as_json_dumps_with_indent() -> None:
    rng = random.Random(20261207)
    for _ in range(3000):
        v = value(rng, 0)
        assert dumps(v) == json.dumps(v, indent=2, default=str), v


def test_a_long_column_of_plain_values() -> None:
    doc = {"subjects": {"id": [f"S{i}" for i in range(1000)], "x": [i / 7 for i in range(1000)]}, "n": []}
    assert dumps(doc) == json.dumps(doc, indent=2, default=str)
