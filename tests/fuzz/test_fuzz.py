"""Fuzzing: whatever the input, only diagnostics come out, never an exception.

Over the expression parser, the type checker (with the static section checks), the YAML
loader, the CSV reader (through a whole check) and every renderer. In the suite the runs are
seeded (``derandomize=True``) and small, so CI is deterministic and fast; ``make fuzz`` sets
TRIALSPEC_FUZZ to a number of examples and runs them with fresh randomness
(docs/reliability.md records what the long runs found).
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialspec.codes import CODES
from trialspec.compiled import check_model
from trialspec.diagnostics import Diagnostic, Severity
from trialspec.lang.parser import parse_expr
from trialspec.protocol import load_protocol_text
from trialspec.source import SourceFile, Span

BASE = Path(__file__).parents[1] / "cli" / "corpus" / "base"
PROTOCOL = (BASE / "p.yaml").read_text("utf-8")
E1 = "when: age > 90"
LONG = int(os.environ.get("TRIALSPEC_FUZZ", "0"))  # make fuzz: examples per test, random seeds


def budget(n: int) -> Any:
    """Seeded and small in the suite; long and random under ``make fuzz``."""
    return settings(max_examples=LONG or n, derandomize=not LONG, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def only_diagnostics(diags: Any) -> None:
    for d in diags:
        assert isinstance(d, Diagnostic) and d.code in CODES and d.hint


# -- expressions ------------------------------------------------------------------------------

NAMES = ["age", "sex", "bilirubin", "first_dose", "adult", "M", "F", "nosuch", "subjects", "exposure",
         "dose", "drug"]
UNITS = ["mg", "mg/dL", "g/dL", "years", "days", "weeks", "%", "x ULN", "10^9/L", "umol/L", "mg/24h",
         "furlongs", "mg/m2", "1", "kg"]
NUMBERS = ["0", "1", "18", "2.5", "1e308", "1e309", "1e-400", "1e400", "0.000", "99999999999999999999",
           ".5", "007"]
FUNCTIONS = ["max", "min", "coalesce", "count", "any", "baseline", "nadir", "abs", "nosuch"]
atom = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NUMBERS),
    st.builds(lambda n, u: f"{n} {u}", st.sampled_from(NUMBERS), st.sampled_from(UNITS)),
    st.sampled_from(["2020-01-06", "2020-13-01", "2020-02", "2014", '"M"', "'x'", '""', "true", "false"]),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.builds(lambda a, op, b: f"{a} {op} {b}", children,
                       st.sampled_from(["and", "or", "<", "<=", ">=", "==", "!=", "+", "-", "*", "/",
                                        "≥", "before", "after"]), children)
    return st.one_of(
        binary,
        st.builds(lambda a: f"({a})", children),
        st.builds(lambda a: f"not {a}", children),
        st.builds(lambda a: f"-{a}", children),
        st.builds(lambda a, b, c: f"{a} between {b} and {c}", children, children, children),
        st.builds(lambda a, xs: f"{a} in [{', '.join(xs)}]", children, st.lists(children, max_size=3)),
        st.builds(lambda a: f"{a} is present", children),
        st.builds(lambda f, xs: f"{f}({', '.join(xs)})", st.sampled_from(FUNCTIONS),
                  st.lists(children, max_size=3)),
        st.builds(lambda a, b: f"count(exposure where {a}) {b}", children, st.sampled_from(["> 1", ""])),
        st.builds(lambda a, n: f"{a} within {n} days before first_dose", children, st.sampled_from(NUMBERS)),
    )


expressions = st.recursive(atom, _combine, max_leaves=12)
junk = st.text(st.sampled_from(list("()[]{}<>=!&|+-*/.,:;'\"\\ \t\n0123456789eEagmdL%^x§≥μ")), max_size=80)


@budget(300)
@given(st.one_of(expressions, junk))
def test_the_parser_returns_a_tree_or_diagnostics(text: str) -> None:
    tree, diags = parse_expr(text)
    assert (tree is None) == bool(diags)
    only_diagnostics(diags)


def _lint(text: str) -> list[Diagnostic]:
    protocol, diags = load_protocol_text(text, "fuzz.yaml")
    only_diagnostics(diags)
    if protocol is None:
        return diags
    _checked, found = check_model(protocol)
    only_diagnostics(found)
    return diags + found


def _yaml_string(expr: str) -> str:
    return '"' + expr.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


@budget(100)
@given(expressions)
def test_the_type_checker_says_only_diagnostics(expr: str) -> None:
    _lint(PROTOCOL.replace(E1, "when: " + _yaml_string(expr)))


@budget(60)
@given(st.sampled_from(["cycle: 28 days", "dose: 25 mg,", "start_window: 3 days", "reductions: [15 mg]"]),
       expressions)
def test_treatment_quantities_say_only_diagnostics(where: str, expr: str) -> None:
    key, _, rest = where.partition(": ")
    tail = "," if rest.endswith(",") else ""
    new = f"{key}: {_yaml_string(expr)}{tail}" if key != "reductions" else f"{key}: [{_yaml_string(expr)}]"
    _lint(PROTOCOL.replace(where, new))


# -- YAML -------------------------------------------------------------------------------------

SNIPPETS = [": ", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: *a", "!!python/object ", "!!binary ", "\t",
            '"', "'", "1e400", "~", "null", "yes", "Y", "%YAML 1.1\n", "---\n", "...\n", "#", "\n  x: 1",
            "\x00", "\ufeff", "?", "|", ">", "@", "`", "\\u0000", "2020-13-01", ": [1, 2]", "\u2028"]


@budget(200)
@given(st.lists(st.tuples(st.integers(0, len(PROTOCOL)), st.sampled_from(SNIPPETS)), min_size=1, max_size=4))
def test_a_mutated_protocol_says_only_diagnostics(edits: list[tuple[int, str]]) -> None:
    text = PROTOCOL
    for at, snippet in sorted(edits, reverse=True):
        text = text[:at] + snippet + text[at:]
    _lint(text)


SEED = (Path(__file__).parents[2] / "protocols" / "seed-rd-rrmm.yaml").read_text("utf-8")
VALUES = ["1e400", "-1", "0", '""', "[]", "{}", "~", "yes", "1e309 mg", "25 days", "0.5 g/dL", "abc",
          "[1, 2]", "2020-13-01", '"12 (75%)"', '"0.0.1"', '"1/0"', "NaN", ".inf", "999999999999999999999"]


@budget(10)
@given(st.lists(st.tuples(st.integers(0, SEED.count("\n")), st.sampled_from(VALUES)), min_size=1, max_size=3))
def test_the_seed_protocol_with_values_swapped_says_only_diagnostics(swaps: list[tuple[int, str]]) -> None:
    """Every section's static checks (response, analyses, claims) on the real protocol with a
    value replaced: the value after the first `: ` of a line."""
    lines = SEED.split("\n")
    for line, value in swaps:
        key, sep, _old = lines[line].partition(": ")
        if sep:
            lines[line] = f"{key}: {value}"
    _lint("\n".join(lines))


@budget(100)
@given(st.text(max_size=200))
def test_any_text_as_a_protocol_says_only_diagnostics(text: str) -> None:
    _lint(text)


# -- CSV, through a whole check, and every renderer of its result ----------------------------

CELLS = ["S01", "S02", "", "54", "-1", "1e400", "inf", "nan", "NA", "M", "F", "X", "0.8", "2020-01-06",
         "2020-13-45", '"a,b"', '"line\nbreak"', '"', "\ufeff", "  ", "é", "\x00", "9" * 30]
rows = st.lists(st.lists(st.sampled_from(CELLS), min_size=0, max_size=7), max_size=8)


def _every_rendering(result: Any) -> None:
    from trialspec.report.check import console
    from trialspec.report.console import Console
    from trialspec.report.formats import CHECK_RENDERERS, render_check

    for fmt in CHECK_RENDERERS:
        assert isinstance(render_check(fmt, result), str)
    Console(file=io.StringIO(), width=100).print(console(result))


@budget(8)
@given(rows, st.sampled_from(["subject_id,age,sex,bilirubin,first_dose", "subject_id;age;sex", "",
                              "age,age"]))
def test_any_subjects_file_gives_a_report(cells: list[list[str]], header: str) -> None:
    from trialspec.pipeline import check

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "ex.csv").write_bytes((BASE / "data" / "ex.csv").read_bytes())
        text = "\n".join([header, *(",".join(r) for r in cells)]) + "\n"
        (data / "subjects.csv").write_bytes(text.encode("utf-8", "surrogatepass"))
        (Path(tmp) / "p.yaml").write_text(PROTOCOL, "utf-8")
        result = check(Path(tmp) / "p.yaml", data)
        only_diagnostics(result.all_findings)
        _every_rendering(result)


texts = st.text(max_size=60)
spans = st.one_of(st.none(), st.builds(lambda a, b, c, d: Span("fuzz.yaml", a, b, a + c, d),
                                       st.integers(1, 40), st.integers(1, 200), st.integers(0, 3),
                                       st.integers(0, 200)))
diagnostics = st.builds(lambda code, msg, span, hint, sev: Diagnostic(code, msg, span, hint, sev),
                        st.sampled_from(sorted(CODES)), texts, spans, st.one_of(st.none(), texts),
                        st.sampled_from(list(Severity)))


@budget(60)
@given(st.lists(diagnostics, max_size=6), st.text(max_size=300))
def test_every_renderer_takes_any_diagnostics(diags: list[Diagnostic], source: str) -> None:
    from trialspec.report.console import Console
    from trialspec.report.diagnostics import render_all
    from trialspec.report.formats import DIAGNOSTIC_RENDERERS, render_diagnostics
    from trialspec.results import CheckResult, Manifest

    sources = {"fuzz.yaml": SourceFile("fuzz.yaml", source)}
    Console(file=io.StringIO(), width=80).print(render_all(diags, sources))
    for fmt in DIAGNOSTIC_RENDERERS:
        assert isinstance(render_diagnostics(fmt, diags, sources), str)
    result = CheckResult(Manifest("0", "fuzz.yaml", "", []), diags, [], sources)
    _every_rendering(result)
