"""trialspec fmt: expressions rewritten canonically in place, every scalar style kept correct,
comments and layout untouched, idempotent, and the command's exit codes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from trialspec import fmt
from trialspec.cli import main
from trialspec.fmt import format_text

HEAD = """\
# a protocol for fmt tests
trialspec: 1
study: {id: FMT}   # the study
datasets:
  subjects:
    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      sex: {type: string}
      age: {type: number, unit: years}
      anc: {type: number, unit: 10^9/L}
      bilirubin: {type: number, unit: mg/dL, analyte: bilirubin}
      stage: {type: category, levels: [IIA, IIB, IIIA]}
"""


def protocol(body: str) -> str:
    return HEAD + body


def formatted(body: str) -> str:
    result = format_text(protocol(body), "p.yaml")
    assert result.ok, result.diagnostics
    assert format_text(result.text, "p.yaml").text == result.text, "fmt is not idempotent"
    return result.text[len(HEAD):]


# --- each scalar style ------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), [
    # plain, in block context
    ("definitions:\n  young: age<40   # why\n", "definitions:\n  young: age < 40   # why\n"),
    # single-quoted, with a quote doubled inside
    ("definitions:\n  a: 'sex==\"it''s\"'\n", "definitions:\n  a: 'sex == \"it''s\"'\n"),
    # double-quoted: the style is kept and the canonical double quotes are escaped
    ("definitions:\n  a: \"sex=='m'  and  age>1\"\n",
     "definitions:\n  a: \"sex == \\\"m\\\" and age > 1\"\n"),
    # folded: line breaks stay on the same tokens, indentation kept; `and` in `or` is grouped
    ("definitions:\n  a:\n    expr: >-\n      age>=18   and\n      anc≥1.0 10^9/l\n"
     "      or bilirubin <= 2.0 mg/dl\n",
     "definitions:\n  a:\n    expr: >-\n      (age >= 18 and\n      anc >= 1.0 10^9/L)\n"
     "      or bilirubin <= 2.0 mg/dL\n"),
    # literal, with the parentheses that precedence does not need removed
    ("definitions:\n  a: |\n    age  >=  18\n    and ((anc > 1))\n",
     "definitions:\n  a: |\n    age >= 18\n    and anc > 1\n"),
    # flow mapping
    ("eligibility:\n  inclusion:\n    I1: {text: Age, when: age>=18}\n",
     "eligibility:\n  inclusion:\n    I1: {text: Age, when: age >= 18}\n"),
    # a multi-line plain scalar keeps its continuation line and indentation
    ("definitions:\n  a: anc>=1.0 10^9/L and\n       bilirubin<=2 mg/dl\n",
     "definitions:\n  a: anc >= 1.0 10^9/L and\n       bilirubin <= 2 mg/dL\n"),
])
def test_each_style_is_rewritten_and_kept(before: str, after: str) -> None:
    assert formatted(before) == after


def test_plain_scalar_that_would_need_quotes_is_quoted() -> None:
    # the canonical text starts with a double quote: plain YAML would read it as quoted
    assert formatted('definitions:\n  a: ("m" == sex)\n') == "definitions:\n  a: '\"m\" == sex'\n"
    assert formatted('definitions:\n  b: {expr: ("m"==sex), text: t}\n') == \
        "definitions:\n  b: {expr: '\"m\" == sex', text: t}\n"


def test_block_header_comment_and_chomping_are_kept() -> None:
    before = "definitions:\n  a: >+ # keep\n    age>1\n\n# after\n"
    assert formatted(before) == "definitions:\n  a: >+ # keep\n    age > 1\n\n# after\n"


def test_comments_key_order_and_other_scalars_are_untouched() -> None:
    body = """\
eligibility:
  # criteria, in protocol order
  exclusion:
    E1: {when: age>90, text: "Very  old"}   # text keeps its double spaces
  inclusion:
    I2:
      when: stage in [IIA,IIIA]    # levels
      text: 'stage==x'             # a text, not an expression: never touched
"""
    out = formatted(body)
    assert out == body.replace("age>90", "age > 90").replace("[IIA,IIIA]", "[IIA, IIIA]")


def test_units_take_the_registry_spelling_only_when_the_same_unit() -> None:
    out = formatted("definitions:\n  a: bilirubin<=34 umol/l or anc>=1.5 G/L or age>=1 yrs\n"
                    "  b: age >= 1.5 years\n  c: age >= 1 days\n")
    assert out == ("definitions:\n  a: bilirubin <= 34 umol/L or anc >= 1.5 10^9/L or age >= 1 year\n"
                   "  b: age >= 1.5 years\n  c: age >= 1 day\n")


def test_unknown_units_are_left_as_written() -> None:
    result = format_text(protocol("definitions:\n  a: anc>=1 furlongs\n"), "p.yaml")
    assert result.text.endswith("a: anc >= 1 furlongs\n")


def test_treatment_response_and_endpoint_expressions() -> None:
    body = """\
treatment:
  cycle: 28days
  regimen:
    len: {dose: 25mg, days: 1-21, reductions: [15mg, 10 mg]}
  tolerances: {max_delay: 14 d}
response:
  categories: {MR: age<=-25%}
endpoints:
  e: {kind: proportion, when: age>1}
"""
    assert formatted(body) == """\
treatment:
  cycle: 28 days
  regimen:
    len: {dose: 25 mg, days: 1-21, reductions: [15 mg, 10 mg]}
  tolerances: {max_delay: 14 days}
response:
  categories: {MR: age <= -25%}
endpoints:
  e: {kind: proportion, when: age > 1}
"""


def test_canonical_file_is_unchanged() -> None:
    text = protocol("definitions:\n  a: age >= 18 and anc >= 1.0 10^9/L\n")
    result = format_text(text, "p.yaml")
    assert result.text == text and result.changed == []


def test_crlf_line_endings_are_kept() -> None:
    text = protocol("definitions:\n  a: >-\n    age>1\n    and anc>1\n").replace("\n", "\r\n")
    out = format_text(text, "p.yaml").text
    assert out == text.replace("age>1", "age > 1").replace("anc>1", "anc > 1")


# --- the safety net ---------------------------------------------------------------------------


def test_a_rewrite_that_breaks_the_yaml_falls_back_to_quotes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "plain_ok", lambda text, flow: True)  # pretend every text is plain-safe
    out = formatted('definitions:\n  a: ("m" == sex)\n  b: age>1\n')
    assert out == "definitions:\n  a: '\"m\" == sex'\n  b: age > 1\n"


def test_a_rewrite_that_cannot_be_made_safe_is_left_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fmt.emit
    monkeypatch.setattr(fmt, "emit", lambda text, slot, canon, eol, level=0:
                        "[broken" if slot.value.startswith("age") else real(text, slot, canon, eol, level))
    result = format_text(protocol("definitions:\n  a: age>1\n  b: anc>1\n"), "p.yaml")
    assert result.text.endswith("  a: age>1\n  b: anc > 1\n")
    assert [d.code for d in result.diagnostics] == ["TS851"]
    assert result.diagnostics[0].span is not None and result.diagnostics[0].span.line == 16


def test_anchored_scalars_are_not_rewritten() -> None:
    text = protocol("definitions:\n  a: &rule age>1\n  b: *rule\n")
    assert format_text(text, "p.yaml").text == text


def test_files_with_errors_are_not_touched() -> None:
    for body, code in (("definitions:\n  a: age >=\n", "TS103"), ("definitons:\n  a: age>1\n", "TS208")):
        result = format_text(protocol(body), "p.yaml")
        assert not result.ok and result.text == protocol(body)
        assert code in [d.code for d in result.diagnostics]


# --- the command --------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_bytes(protocol(body).encode("utf-8"))
    return path


def test_check_exits_1_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = write(tmp_path, "messy.yaml", "definitions:\n  a: age>1\n")
    clean = write(tmp_path, "clean.yaml", "definitions:\n  a: age > 1\n")
    before = messy.read_bytes()
    assert main(["fmt", "--check", str(messy), str(clean)]) == 1
    out = capsys.readouterr().out
    assert f"would reformat {messy} (1 expression)" in out
    assert f"{messy}:16:6: age>1  ->  age > 1" in out
    assert str(clean) not in out
    assert messy.read_bytes() == before
    assert main(["fmt", "--check", str(clean)]) == 0


def test_fmt_writes_atomically_keeps_mode_and_bom(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + protocol("definitions:\n  a: age>1\n").encode("utf-8"))
    path.chmod(0o644)
    assert main(["fmt", str(path)]) == 0
    assert "reformatted" in capsys.readouterr().out
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"  a: age > 1\n")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]  # no temporary file left
    inode = os.stat(path).st_ino
    assert main(["fmt", str(path)]) == 0  # nothing to change: the file is not rewritten
    assert os.stat(path).st_ino == inode
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_of_a_file_with_errors_exits_1_untouched(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "bad.yaml", "definitions:\n  a: age>1 and\n")
    before = path.read_bytes()
    assert main(["fmt", str(path)]) == 1
    captured = capsys.readouterr()
    assert "error[TS103]" in captured.out and "not formatted" in captured.err
    assert path.read_bytes() == before


def test_diff_mode_prints_a_unified_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "p.yaml", "definitions:\n  a: age>1\n")
    assert main(["fmt", "--diff", str(path)]) == 0
    out = capsys.readouterr().out
    assert "-  a: age>1\n+  a: age > 1\n" in out


def test_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", "no/such.yaml"]) == 2


def test_shipped_protocols_format_cleanly_and_idempotently() -> None:
    root = Path(__file__).resolve().parents[2] / "protocols"
    for path in sorted(root.glob("*.yaml")):
        result = format_text(path.read_text("utf-8"), str(path))
        assert result.ok, result.diagnostics
        assert format_text(result.text, str(path)).changed == []


def test_fmt_imports_no_heavy_library(tmp_path: Path) -> None:
    """fmt runs in pre-commit hooks, like lint: no pandas, scipy, statsmodels or numpy."""
    import subprocess
    import sys

    path = write(tmp_path, "p.yaml", "definitions:\n  a: anc>=1 G/L\n")
    code = ("import sys; from trialspec.cli import main; main(['fmt', '--check', sys.argv[1]]); "
            "print(sorted(m for m in ('pandas', 'scipy', 'statsmodels', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
