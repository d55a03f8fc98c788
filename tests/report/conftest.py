"""Report renderer fixtures: a synthetic result that exercises every shape, and the published
schemas (SARIF 2.1.0, JUnit, trialspec's own report schema) to validate output against.

The SARIF and JUnit schemas are vendored in tests/fixtures/schemas/ (see the README there):
tests never download anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import Case, CheckResult, Manifest, Section, Table
from trialspec.source import SourceFile, Span

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
PROTOCOL = "protocols/study.yaml"
PROTOCOL_TEXT = """trialspec: 1
study: {id: S1}
eligibility:
  inclusion:
    I1: {text: Adults, when: age >= 18 mg/dL}
    I2: {text: "Pipes | and <tags>", when: ecog in [0, 1]}
"""


@pytest.fixture(scope="session")
def sarif_schema() -> Callable[[str], list[str]]:
    import jsonschema

    schema = json.loads((SCHEMAS / "sarif-2.1.0.json").read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

    def errors(text: str) -> list[str]:
        return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(json.loads(text))]

    return errors


@pytest.fixture(scope="session")
def junit_schema() -> Callable[[str], list[str]]:
    import xmlschema

    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))

    def errors(text: str) -> list[str]:
        return [str(e.reason) for e in schema.iter_errors(text)]

    return errors


@pytest.fixture(scope="session")
def report_schema() -> Callable[[str], list[str]]:
    import jsonschema

    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def errors(text: str) -> list[str]:
        return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(json.loads(text))]

    return errors


def span(line: int, col: int, end_col: int, path: str = PROTOCOL) -> Span:
    return Span(path, line, col, line, end_col)


def synthetic(findings: int = 0) -> CheckResult:
    """Two generic sections with awkward text, findings of every severity, a data-file span."""
    manifest = Manifest("9.9.9", PROTOCOL, "ab" * 32,
                        [{"name": "subjects", "path": "subjects.csv", "sha256": "cd" * 32, "rows": 3}])
    diags = [
        Diagnostic("TS303", "cannot compare `age` (years) with 18 mg/dL", span(5, 37, 45),
                   "Write the threshold in years.", related=(("declared here", span(2, 1, 6)),)),
        Diagnostic("TS406", "subjects.age: not a number: 'sixty' for subject P03 (row 3)",
                   Span("data/subjects.csv", 4, 2, 4, 3), "Correct the value or leave the cell empty."),
        Diagnostic("TS412", "3 exposure rows for unknown subject P99", None, severity=Severity.WARNING),
        *(Diagnostic("TS406", f"subjects.age: not a number: 'x{i}'",
                     Span("data/subjects.csv", 10 + i, 2, 10 + i, 3)) for i in range(findings)),
    ]
    long_rows = tuple((f"P{i:02d}", i, i / 3) for i in range(20))
    alpha = Section(
        "alpha", "Alpha | section", {"n": 2, "rate": 0.5},
        [Table("Counts", ("group", "n", "share"), (("a|b", 1, 0.25), ("<script>x</script>", None, True),
                                                   ("line\nbreak `tick`", 3, "n/a")), "a note with | a pipe"),
         Table("Empty", ("x",), ())],
        [Diagnostic("TS701", "analysis T4: unknown endpoint orr2", span(6, 5, 9), severity=Severity.ERROR),
         Diagnostic("TS704", "2 subjects left out \x00 of T4", span(6, 5, 9), severity=Severity.INFO)],
        [Case("alpha/one", True, "fine"), Case("alpha/two", False, "2 fail & 1 unknown <of> 3 \x01")])
    beta = Section("beta", "Beta", {"items": [1, 2]}, [Table("Long", ("subject", "i", "third"), long_rows)],
                   [], [Case("beta/only", False, "")])
    sources = {PROTOCOL: SourceFile(PROTOCOL, PROTOCOL_TEXT)}
    return CheckResult(manifest, diags, [alpha, beta], sources)


@pytest.fixture
def result() -> CheckResult:
    return synthetic()


@pytest.fixture
def make_result() -> Callable[..., CheckResult]:
    return synthetic


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str]]:
    """Run the real command line: (exit status, standard output)."""
    from trialspec.cli import main

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().out

    return run


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """A copy of the seed study: tmp/protocols/seed-rd-rrmm.yaml and tmp/data/."""
    import shutil

    (tmp_path / "protocols").mkdir()
    shutil.copy(ROOT / "protocols" / "seed-rd-rrmm.yaml", tmp_path / "protocols")
    shutil.copytree(ROOT / "examples" / "seed" / "data", tmp_path / "data")
    return tmp_path
