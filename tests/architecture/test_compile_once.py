"""One compile stage: a check compiles each section's plan exactly once, and `lint` is
that stage."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trialspec.pipeline import check, lint

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"
DATA = ROOT / "examples" / "seed" / "data"
COMPILERS = (("trialspec.domain.response_compile", "compile_response"),
             ("trialspec.domain.analyses_plan", "compile_analyses"),
             ("trialspec.domain.treatment", "build_plan"),
             ("trialspec.check.protocol", "check_protocol"))


def count_compiles(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Wrap every compiler, wherever a module holds it by name, with a counter."""
    import trialspec.compiled
    import trialspec.domain.analyses
    import trialspec.domain.analyses_plan
    import trialspec.domain.claims_section
    import trialspec.domain.response
    import trialspec.domain.response_compile
    import trialspec.domain.treatment  # noqa: F401  (every module that may hold a compiler)

    counts: Counter[str] = Counter()
    for module, name in COMPILERS:
        original = getattr(sys.modules[module], name)

        def counted(*args: Any, _f: Callable[..., Any] = original, _n: str = name, **kw: Any) -> Any:
            counts[_n] += 1
            return _f(*args, **kw)

        for mod in [m for k, m in sys.modules.items() if k.startswith("trialspec")]:
            if getattr(mod, name, None) is original:
                monkeypatch.setattr(mod, name, counted)
    return counts


def test_a_check_compiles_each_plan_once(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_compiles(monkeypatch)
    result = check(SEED, DATA)
    assert {s.name for s in result.sections} >= {"eligibility", "dosing", "response", "analyses", "claims"}
    assert counts == Counter({name: 1 for _module, name in COMPILERS})


def test_lint_is_the_compile_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_compiles(monkeypatch)
    assert lint([str(SEED)]).ok
    assert counts == Counter({name: 1 for _module, name in COMPILERS})
