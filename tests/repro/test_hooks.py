"""The pre-commit hooks in .pre-commit-hooks.yaml: the shape pre-commit reads, and the files they match."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _hooks() -> dict[str, dict[str, object]]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert isinstance(hooks, list)
    return {h["id"]: h for h in hooks}


def test_lint_and_fmt_hooks() -> None:
    hooks = _hooks()
    assert set(hooks) == {"trialspec-lint", "trialspec-fmt"}
    for hook_id, command in (("trialspec-lint", "lint"), ("trialspec-fmt", "fmt")):
        hook = hooks[hook_id]
        assert hook["language"] == "python" and hook["entry"] == f"trialspec {command}"
        assert {"name", "files"} <= set(hook)


def test_the_hooks_run_on_protocol_files_only() -> None:
    for hook in _hooks().values():
        pattern = re.compile(str(hook["files"]))
        for path in ("protocols/seed-rd-rrmm.yaml", "study/protocols/amendment-2.yml",
                     "trial.trialspec.yaml"):
            assert pattern.search(path), path
        for path in ("protocols/seed-rd-rrmm.yaml.lock.json", ".github/workflows/ci.yaml",
                     "docs/protocol.md"):
            assert not pattern.search(path), path


def test_the_shipped_protocols_match() -> None:
    pattern = re.compile(str(_hooks()["trialspec-lint"]["files"]))
    shipped = sorted((ROOT / "protocols").glob("*.yaml"))
    assert shipped and all(pattern.search(p.relative_to(ROOT).as_posix()) for p in shipped)
