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


def test_a_protocol_without_a_section_does_not_import_its_module(tmp_path: Path) -> None:
    """An eligibility-only check imports none of the dosing, response, analyses or claims
    modules (pipeline.SECTION_USED; the seed study's tests run all four)."""
    import subprocess
    import textwrap

    protocol = tmp_path / "p.yaml"
    protocol.write_text(textwrap.dedent("""\
        trialspec: 1
        study: {id: ONLY-ELIGIBILITY}
        datasets:
          subjects:
            source: subjects.csv
            key: subject_id
            columns:
              subject_id: {type: string}
              age: {type: number, unit: years}
        eligibility:
          inclusion:
            I1: {text: Adult, when: age >= 18}
        """), encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys
        import pandas as pd
        import trialspec
        study = trialspec.run({str(protocol)!r}, tables={{"subjects": pd.DataFrame(
            {{"subject_id": ["a", "b"], "age": [17.0, 40.0]}})}})
        assert study.result.section("eligibility").summary["counts"]["eligible"] == 1
        loaded = [m for m in ("trialspec.domain.treatment", "trialspec.domain.response",
                              "trialspec.domain.analyses", "trialspec.domain.claims_section",
                              "trialspec.domain.response_compile", "trialspec.domain.analyses_plan")
                  if m in sys.modules]
        print(loaded)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
