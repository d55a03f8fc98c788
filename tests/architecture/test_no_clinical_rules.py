"""engine/ holds no clinical rule: a backend evaluates the IR and reads rows
(``Backend.row_batches``); cycles, dose matching, deviations, dose intensity, baseline phases
and response categories are computed in domain/ on what it returns (issue 13).

Read from the source (ast): no engine module is named for such a rule, imports the modules
that hold them, or defines, assigns, calls or takes an argument whose name is clinical
vocabulary. Putting ``engine/pandas/dosing.py`` back, or a ``def dosing`` on a backend, fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from .test_layers import SRC, imported

ENGINE = SRC / "engine"
# words of a clinical rule, matched as whole parts of snake_case / CamelCase identifiers
CLINICAL = re.compile(r"^(dos(e|es|ing|ed)|cycles?|regimens?|rdi|intensity|deviations?|"
                      r"treatments?|treated|phases?|response|responders?|progression|exposure|"
                      r"arms?|drugs?|administrations?|admins)$")
# where the rules live: an engine importing them would run them
RULE_MODULES = ("trialspec.domain", "trialspec.criteria")


def words(name: str) -> list[str]:
    """``series_table`` -> [series, table]; ``DosingPlan`` -> [dosing, plan]."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w.lower() for w in spaced.split("_") if w]


def clinical_names(path: Path) -> list[tuple[int, str]]:
    """(line, identifier) of every clinical name a file defines, assigns, takes, calls or reads."""
    out = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
        elif isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, ast.alias):
            names.append((node.asname or node.name).split(".")[-1])
        out.extend((getattr(node, "lineno", 0), n) for n in names
                   if any(CLINICAL.match(w) for w in words(n)))
    return out


def engine_files() -> list[Path]:
    files = sorted(ENGINE.rglob("*.py"))
    assert any(f.name == "evaluate.py" for f in files)
    return files


def test_no_engine_module_is_named_for_a_clinical_rule() -> None:
    bad = [str(f.relative_to(SRC)) for f in engine_files()
           if any(CLINICAL.match(w) for w in words(f.stem))
           or any(CLINICAL.match(w) for p in f.relative_to(ENGINE).parts[:-1] for w in words(p))]
    assert bad == []


def test_no_engine_module_imports_where_the_rules_live() -> None:
    bad = {str(f.relative_to(SRC)): sorted(m for m in imported(f)
                                           if any(m == r or m.startswith(r + ".") for r in RULE_MODULES))
           for f in engine_files()}
    assert {f: m for f, m in bad.items() if m} == {}


def test_no_engine_code_names_a_clinical_concept() -> None:
    bad = {str(f.relative_to(SRC)): names for f in engine_files() if (names := clinical_names(f))}
    assert bad == {}


@pytest.mark.parametrize(("source", "found"), [
    ("def dosing(plan, frames): ...", True),
    ("class DosingTables: ...", True),
    ("x = frames.cycles", True),
    ("def f(rdi): ...", True),
    ("def row_batches(frames, dataset, columns, order_by): ...", False),
    ("def seg_cummin(v, order): ...", False),
    ("def baseline(x): ...", False),  # the language's time-series function, not a clinical rule
])
def test_the_vocabulary_check_catches_what_it_should(tmp_path: Path, source: str, found: bool) -> None:
    f = tmp_path / "m.py"
    f.write_text(source, "utf-8")
    assert bool(clinical_names(f)) is found


def test_the_seam_has_no_clinical_method() -> None:
    """``Backend`` offers reading and evaluating only: no dosing, no response table."""
    tree = ast.parse((SRC / "backend.py").read_text("utf-8"))
    backend = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Backend")
    methods = [n.name for n in backend.body if isinstance(n, ast.FunctionDef)]
    assert "row_batches" in methods
    assert [m for m in methods if any(CLINICAL.match(w) for w in words(m))] == []
    assert "series_table" not in methods
