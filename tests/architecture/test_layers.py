"""The layers' imports, read from the source (ast): check/ knows nothing of the sections
(domain/), and domain/ and engine/ know nothing of each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "trialspec"


def imported(path: Path) -> set[str]:
    """Every module a file imports (at the top or inside a function), absolute."""
    package = "trialspec." + ".".join(path.relative_to(SRC).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("check", "trialspec.domain"),
    ("domain", "trialspec.engine"),
    ("engine", "trialspec.domain"),
])
def test_a_layer_does_not_import_another(layer: str, forbidden: str) -> None:
    files = sorted((SRC / layer).rglob("*.py"))
    assert files
    bad = {str(f.relative_to(SRC)): sorted(m for m in imported(f)
                                           if m == forbidden or m.startswith(forbidden + "."))
           for f in files}
    assert {f: m for f, m in bad.items() if m} == {}
