"""The layers' imports, read from the source (ast): check/ knows nothing of the sections
(domain/), domain/ and engine/ know nothing of each other, the pipeline knows no engine, and
the seam a backend hands values through (backend, values, row_batch) is numpy only."""

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


def test_the_pipeline_imports_no_engine() -> None:
    """It gets a backend from the registry by name (``trialspec.engine.get_backend``) and
    hands it on typed as ``trialspec.backend.Backend``; no engine module, no engine object."""
    engines = {p.stem for p in (SRC / "engine").iterdir() if p.stem != "__init__"
               and (p.is_dir() or p.suffix == ".py")}
    assert "pandas" in engines
    bad = sorted(m for m in imported(SRC / "pipeline.py")
                 if m.startswith("trialspec.engine.") and m.split(".")[2] in engines)
    assert bad == []


@pytest.mark.parametrize("module", ["backend.py", "values.py", "row_batch.py"])
def test_the_seam_is_numpy_only(module: str) -> None:
    """What ``domain/`` receives from a backend (value carriers, row batches) are classes of
    these modules holding numpy arrays: no pandas object and no engine class crosses."""
    bad = sorted(m for m in imported(SRC / module)
                 if m.split(".")[0] in ("pandas", "duckdb", "pyspark", "polars", "pyarrow")
                 or m.startswith("trialspec.engine") or m.startswith("trialspec.domain"))
    assert bad == []


def test_domain_reads_no_pandas_object_of_a_backend() -> None:
    """domain/ modules that read the backend's rows (response_rows, treatment_rows) and the
    dosing and response rules work on numpy arrays: they import no pandas."""
    files = [SRC / "domain" / f"{name}.py" for name in (
        "response_rows", "response_derive", "treatment_rows", "treatment_cells", "treatment_cycles",
        "treatment_match")]
    bad = {f.name: sorted(m for m in imported(f) if m.split(".")[0] == "pandas") for f in files}
    assert {f: m for f, m in bad.items() if m} == {}


def test_the_seam_types_the_data_context() -> None:
    """Every ``Backend`` method that takes a data context types it ``DataContext`` (a
    Protocol: n, subjects, position, has_column), not ``Any``, so mypy holds
    domain/ to reading only that of a backend's context; the SubjectFrames of the pandas
    backend and the SqlFrames of the SQL backends are ones."""
    tree = ast.parse((SRC / "backend.py").read_text("utf-8"))
    backend = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Backend")
    annotations = {(f.name, a.arg): ast.unparse(a.annotation) for f in backend.body
                   if isinstance(f, ast.FunctionDef) for a in f.args.args if a.arg == "frames"}
    assert len(annotations) >= 7
    assert {k: v for k, v in annotations.items() if v != "DataContext"} == {}

    from trialspec.backend import DataContext
    from trialspec.engine.pandas import SubjectFrames
    from trialspec.engine.sql.frames import SqlFrames

    members = {m for m in dir(DataContext) if not m.startswith("_")}
    assert members == {"n", "subjects", "position", "has_column"}
    assert all(hasattr(SubjectFrames, m) or m == "subjects" for m in members)
    fields = {f for f in SqlFrames.__dataclass_fields__}
    assert all(hasattr(SqlFrames, m) or m in fields for m in members)
