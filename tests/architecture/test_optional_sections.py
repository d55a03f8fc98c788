"""A section whose module is not installed is skipped; a broken one fails loudly."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trialspec.pipeline import _optional


def test_a_missing_optional_module_is_skipped() -> None:
    assert _optional("trialspec.domain.no_such_section", "run") is None


def test_a_present_runner_is_returned() -> None:
    from trialspec.domain.response import run_response

    assert _optional("trialspec.domain.response", "run_response") is run_response


def test_a_missing_function_is_an_error() -> None:
    with pytest.raises(AttributeError):
        _optional("trialspec.domain.response", "run_no_such_thing")


def test_an_import_error_inside_a_section_is_an_error(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken_section_i13.py").write_text("import no_such_dependency_i13\n",
                                                    encoding="utf-8")
    (tmp_path / "broken_name_i13.py").write_text("from os import no_such_name\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ModuleNotFoundError):
            _optional("broken_section_i13", "run")
        with pytest.raises(ImportError):
            _optional("broken_name_i13", "run")
    finally:
        sys.modules.pop("broken_section_i13", None)
        sys.modules.pop("broken_name_i13", None)
