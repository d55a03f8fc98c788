"""The SQL engine (DuckDB) gives exactly the pandas engine's results.

Three levels, each comparing the two engines' outputs with each other (the oracle tests in
test_property.py compare each with the reference interpreter):

- random IR on random frames (missing numbers, NaN and inf, partial and invalid dates, labels,
  aggregates with unknown ``where``): every subject's value equal, bound for bound;
- a whole check on random tables through the binding (a mixed mg/dL / umol/L unit column,
  partial dates, duplicate subject keys, unknown subjects, missing cells): the JSON report
  byte for byte;
- every shipped example (``protocols/*.yaml`` with ``examples/*/data``): the JSON report byte
  for byte, and the same report through ``--engine duckdb`` and ``trialspec.run(engine=)``.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialspec.engine import get_backend
from trialspec.engine.choice import EngineUnavailable, choose_engine
from trialspec.lang import ir

from .shipped import EXAMPLES, json_report, pandas_report
from .test_property import aggregates, conditions, engine_at, frames, values

ROOT = Path(__file__).resolve().parents[2]
SQL = "duckdb"

DIFF = settings(derandomize=True, max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return all(x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
                   for x, y in zip(a, b, strict=True))
    return a == b and type(a) is type(b)


def agree(node: ir.Node, data: dict[str, Any]) -> None:
    pandas, sql = get_backend("pandas"), get_backend(SQL)
    want = pandas.evaluate(node, pandas.frames_from_pandas(**data))
    fr = sql.frames_from_pandas(**data)
    got = sql.evaluate(node, fr)
    assert type(got) is type(want)
    for i in range(fr.n):
        g, w = engine_at(got, i), engine_at(want, i)
        assert same_value(g, w), f"subject {i}: {SQL} {g!r}, pandas {w!r}\n{node!r}"


@DIFF
@given(node=st.one_of(conditions(), values(), aggregates()), data=frames())
def test_random_ir_gives_the_pandas_values(node: ir.Node, data: dict[str, Any]) -> None:
    agree(node, data)


@settings(DIFF, max_examples=40)
@given(node=st.one_of(conditions(), aggregates()), data=frames())
def test_the_trace_holds_every_subject_node_as_pandas_does(node: ir.Node, data: dict[str, Any]) -> None:
    """evaluate_with_trace: one query, every subject-grain sub-node fetched, equal to pandas'."""
    pandas, sql = get_backend("pandas"), get_backend(SQL)
    pf, sf = pandas.frames_from_pandas(**data), sql.frames_from_pandas(**data)
    _, ptrace = pandas.evaluate_with_trace(node, pf)
    _, strace = sql.evaluate_with_trace(node, sf)
    checked = 0
    for sub, grain in ir.walk_grains(node):
        if grain is not None:
            continue
        for i in range(pf.n):
            assert same_value(engine_at(strace.get(sub), i), engine_at(ptrace.get(sub), i)), sub
        checked += 1
    assert checked >= 1


def test_duplicate_subject_keys_are_refused_by_both() -> None:
    subjects = pd.DataFrame({"id": ["A", "B", "A"], "x": [1.0, 2.0, 3.0]})
    for name in ("pandas", SQL):
        with pytest.raises(Exception, match="duplicate subject keys"):
            get_backend(name).frames_from_pandas(subjects, "id", {"s": subjects}, {})


# -- a whole check through the binding, on random tables -----------------------------------------

PROTOCOL = """\
trialspec: 1
study:
  id: DIFF
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      age: {type: number, unit: years}
      stage: {type: category, levels: [I, II, III]}
      consent: {type: date}
      diagnosis: {type: date}
      prior: {type: boolean}
      creatinine: {type: number, unit: mg/dL, unit_column: creatinine_unit}
  ae:
    subject: subject_id
    columns:
      subject_id: {type: string}
      grade: {type: number}
      term: {type: string}
      start: {type: date}
eligibility:
  inclusion:
    I1:
      text: Adult
      when: age >= 18
    I2:
      text: Early stage
      when: stage in [I, II]
    I3:
      text: Kidney function
      when: creatinine <= 1.5 mg/dL
    I4:
      text: Diagnosed at least 30 days before consent
      when: consent - diagnosis >= 30 days
  exclusion:
    E1:
      text: Severe adverse event before consent
      when: any(ae where grade >= 3 and start <= consent)
    E2:
      text: Prior therapy or many events
      when: prior or count(ae where term contains "rash") >= 2
"""


def random_tables(seed: int) -> dict[str, pd.DataFrame]:
    rnd = random.Random(seed)
    n = rnd.randrange(1, 12)
    ids = [f"P{i}" for i in range(n)]
    if n > 2 and rnd.random() < 0.3:
        ids[-1] = ids[0]  # a duplicate key: a finding, the first row kept

    def pick(options: list[Any], size: int = n) -> list[Any]:
        return [rnd.choice(options) for _ in range(size)]

    subjects = pd.DataFrame({
        "subject_id": ids,
        "age": pick(["17", "18", "44", "70", "", "old", None]),
        "stage": pick(["I", "II", "III", "IV", None]),
        "consent": pick(["2014-06-15", "2014-06", "2014", "2014-02-30", None]),
        "diagnosis": pick(["2014-04-01", "2014-05", "2014-06-10", None]),
        "prior": pick(["true", "false", "maybe", None]),
        "creatinine": pick(["0.9", "1.6", "80", "140", "", None]),
        "creatinine_unit": pick(["mg/dL", "umol/L", "furlongs", None]),
    }, dtype=object)
    m = rnd.randrange(0, 15)
    ae = pd.DataFrame({
        "subject_id": pick([*ids, "P99"], m),
        "grade": pick(["1", "3", "4", "", None], m),
        "term": pick(["rash", "skin rash", "nausea", None], m),
        "start": pick(["2014-06-01", "2014-06", "2014-07-01", None], m),
    }, dtype=object)
    return {"subjects": subjects, "ae": ae}


def report(path: Path, engine: str, data: Path | None = None,
           tables: dict[str, pd.DataFrame] | None = None) -> str:
    from trialspec.pipeline import check
    from trialspec.report.formats import render_check

    return render_check("json", check(path, data, backend_name=engine, tables=tables))


@pytest.fixture(scope="module")
def protocol_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("diff") / "diff.yaml"
    path.write_text(PROTOCOL, encoding="utf-8")
    return path


@settings(derandomize=True, max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_a_check_on_random_tables_gives_the_pandas_report(protocol_file: Path, seed: int) -> None:
    tables = random_tables(seed)
    want = report(protocol_file, "pandas", tables=tables)
    assert '"eligibility"' in want
    assert report(protocol_file, SQL, tables=tables) == want


# -- every shipped example ---------------------------------------------------------------------------

def test_every_shipped_example_is_listed() -> None:
    assert sorted(EXAMPLES) == sorted(p.stem for p in (ROOT / "protocols").glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_shipped_example_gives_the_pandas_report(name: str) -> None:
    want, got = pandas_report(name), json_report(name, SQL)
    assert '"sections"' in want
    if got != want:  # show the first difference, not two whole reports
        for k, (a, b) in enumerate(zip(got.splitlines(), want.splitlines(), strict=False)):
            assert a == b, f"line {k + 1}"
        assert got == want


def test_the_command_line_and_the_api_take_the_engine(tmp_path: Path) -> None:
    from trialspec.api import run
    from trialspec.cli import main

    path, data = ROOT / "protocols" / "rchop21.yaml", ROOT / "examples" / "rchop21" / "data"
    outs = {}
    for engine in ("pandas", SQL):
        out = tmp_path / f"{engine}.json"
        code = main(["check", str(path), "--data", str(data), "--engine", engine, "--format", "json",
                     "--output", str(out), "--exit-zero"])
        assert code == 0
        outs[engine] = out.read_bytes()
    assert outs["pandas"] == outs[SQL]
    assert run(path, data, engine=SQL).eligibility.equals(run(path, data).eligibility)


def test_an_unknown_engine_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from trialspec.cli import main

    path, data = ROOT / "protocols" / "seed-rd-rrmm.yaml", ROOT / "examples" / "seed" / "data"
    assert main(["check", str(path), "--data", str(data), "--engine", "oracle"]) == 2
    err = capsys.readouterr().err
    assert "error[TS907]" in err and "choose one of pandas, duckdb" in err
    with pytest.raises(EngineUnavailable, match="unknown engine 'oracle'"):
        choose_engine("oracle")


def test_auto_picks_duckdb_for_large_data_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trialspec.engine import choice

    (tmp_path / "a.csv").write_bytes(b"x" * 4096)
    assert choose_engine("auto", tmp_path) == "pandas"
    monkeypatch.setattr(choice, "AUTO_BYTES", 1024)
    assert choose_engine("auto", tmp_path) == "duckdb"
    frame = pd.DataFrame({"x": np.zeros(1000)})
    assert choose_engine("auto", tables={"s": frame}) == "duckdb"
    assert choose_engine("auto", tables={"s": frame.head(10)}) == "pandas"


def test_lint_and_the_engine_registry_import_no_duckdb() -> None:
    import subprocess
    import sys

    code = ("import sys, trialspec.engine, trialspec.engine.choice; from trialspec.cli import main; "
            f"main(['lint', {str(ROOT / 'protocols' / 'seed-rd-rrmm.yaml')!r}]); "
            "print('duckdb' in sys.modules, 'sqlglot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"
