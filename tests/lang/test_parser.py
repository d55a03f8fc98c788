"""The parser and printer against golden cases, and the round trip on random ASTs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialspec.diagnostics import DiagnosticError
from trialspec.lang import ast
from trialspec.lang.parser import MAX_DEPTH, parse, parse_expr
from trialspec.lang.printer import to_text

CASES = yaml.safe_load((Path(__file__).parent / "syntax_cases.yaml").read_text("utf-8"))


@pytest.mark.parametrize("case", CASES["ok"], ids=lambda c: c["text"])
def test_parses_and_prints_canonically(case: dict) -> None:
    tree = parse(case["text"])
    assert to_text(tree) == case["canonical"]
    assert parse(to_text(tree)) == tree


@pytest.mark.parametrize("case", CASES["errors"], ids=lambda c: c["text"] or "<empty>")
def test_syntax_errors_have_code_and_column(case: dict) -> None:
    tree, diags = parse_expr(case["text"])
    assert tree is None
    assert [d.code for d in diags] == [case["code"]]
    assert diags[0].span is not None and diags[0].span.col == case["col"]
    assert diags[0].hint
    if "says" in case:
        assert case["says"] in diags[0].message


def test_ten_thousand_nested_parentheses_are_refused_not_crashed() -> None:
    text = "(" * 10_000 + "age >= 18" + ")" * 10_000
    tree, diags = parse_expr(text)
    assert tree is None and [d.code for d in diags] == ["TS105"]


def test_deep_operator_chains_are_refused() -> None:
    text = "not " * (MAX_DEPTH + 10) + "x"
    tree, diags = parse_expr(text)
    assert tree is None and [d.code for d in diags] == ["TS105"]


def test_overlong_expression_is_refused() -> None:
    tree, diags = parse_expr("a or " * 5000 + "b")
    assert tree is None and [d.code for d in diags] == ["TS107"]


def test_spans_point_at_the_source() -> None:
    tree = parse("age >= 18 and anc >= 1.0 10^9/L")
    assert isinstance(tree, ast.Logical)
    right = tree.operands[1]
    assert isinstance(right, ast.Compare)
    assert (right.span.col, right.span.end_col) == (15, 32)
    assert (right.right.span.col, right.right.span.end_col) == (22, 32)


def test_a_parenthesized_operand_ends_at_its_parenthesis() -> None:
    """`w / (a + b)` spans its `)` (explain showed `w / (a + b`), and `(a + b)` is shown whole."""
    text = "w / (age + age) < 1"
    tree = parse(text)
    assert isinstance(tree, ast.Compare) and isinstance(tree.left, ast.Arith)
    assert text[tree.left.span.col - 1:tree.left.span.end_col - 1] == "w / (age + age)"
    assert text[tree.left.right.span.col - 1:tree.left.right.span.end_col - 1] == "(age + age)"


def test_number_text_is_kept_as_written() -> None:
    tree = parse("p < 0.290")
    assert isinstance(tree, ast.Compare) and isinstance(tree.right, ast.Number)
    assert tree.right.text == "0.290"


@pytest.mark.parametrize("unit", ["mL/min/1.73m2", "mL/min/1.73 m2", "mL/min/1.73m^2"])
def test_a_decimal_scale_in_a_unit_is_part_of_the_quantity(unit: str) -> None:
    tree = parse(f"egfr >= 45 {unit}")
    assert tree == ast.Compare(">=", ast.Name(("egfr",)), ast.Quantity("45", unit))
    assert isinstance(tree, ast.Compare)
    assert (tree.right.span.col, tree.right.span.end_col) == (9, 12 + len(unit))


def test_spaces_around_the_slash_still_divide() -> None:
    tree = parse("45 mL/min / 1.73 m2")
    assert tree == ast.Arith("/", ast.Quantity("45", "mL/min"), ast.Quantity("1.73", "m2"))
    assert parse("45 mL/min/1.73") == ast.Arith("/", ast.Quantity("45", "mL/min"), ast.Number("1.73"))


def test_a_keyword_after_a_decimal_scale_is_not_swallowed() -> None:
    tree = parse("x between 45 mL/min/1.73 and 60")
    assert isinstance(tree, ast.Between) and tree.high == ast.Number("60")
    assert tree.low == ast.Arith("/", ast.Quantity("45", "mL/min"), ast.Number("1.73"))


def test_parse_raises_diagnostic_error() -> None:
    with pytest.raises(DiagnosticError) as info:
        parse("age >=")
    assert info.value.diagnostics[0].code == "TS103"


# -- round trip on random trees ---------------------------------------------------------

KEYWORDS = {"and", "or", "not", "between", "in", "is", "within", "where", "true", "false",
            "before", "after", "missing", "present", "if", "then", "else"}
names = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
numbers = st.from_regex(r"(0|[1-9][0-9]{0,3})(\.[0-9]{1,3})?", fullmatch=True)
UNITS = ["g/dL", "mg/24h", "10^9/L", "x ULN", "%", "mg/m2", "days", "umol/L", "mL/min/1.73m2",
         "mL/min/1.73 m2", "mL/min/1.73m^2", "m^2"]

atoms = st.one_of(
    numbers.map(ast.Number),
    st.builds(ast.Quantity, numbers, st.sampled_from(UNITS)),
    st.sampled_from(["2014-06", "2018-04-30"]).map(ast.Date),
    st.text(alphabet="abc \"'\\", max_size=5).map(ast.String),
    st.booleans().map(ast.Boolean),
    st.lists(names, min_size=1, max_size=2).map(lambda p: ast.Name(tuple(p))),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    flat_or = st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.Logical("or", tuple(xs)))
    flat_and = st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.Logical("and", tuple(xs)))
    return st.one_of(
        flat_or, flat_and,
        children.map(ast.Not), children.map(ast.Neg),
        st.builds(ast.Arith, st.sampled_from("+-*/"), children, children),
        st.builds(ast.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(ast.Between, children, children, children, st.booleans()),
        st.builds(ast.In, children, st.lists(children, max_size=3).map(tuple), st.booleans()),
        st.builds(ast.IsMissing, children, st.booleans()),
        st.builds(ast.Within, children, children, st.sampled_from(["before", "after"]), children),
        st.builds(ast.If, children, children, children),
        st.builds(ast.Match, st.sampled_from(["contains", "starts with", "matches"]), children,
                  st.text(alphabet="abc \"'\\", max_size=5), st.booleans()),
        st.builds(ast.Call, names, st.lists(children, max_size=3).map(tuple),
                  st.one_of(st.none(), children)),
    )


def _normal(e: ast.Expr) -> ast.Expr:
    """The form the parser gives: nested same-op logicals are flattened."""
    if isinstance(e, ast.Logical):
        ops: list[ast.Expr] = []
        for x in map(_normal, e.operands):
            ops.extend(x.operands if isinstance(x, ast.Logical) and x.op == e.op else [x])
        return ast.Logical(e.op, tuple(ops))
    return e


trees = st.recursive(atoms, _extend, max_leaves=12)


@settings(derandomize=True, database=None, max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(trees)
def test_print_then_parse_is_identity(tree: ast.Expr) -> None:
    text = to_text(tree)
    back, diags = parse_expr(text)
    assert diags == [], text
    assert to_text(back) == text
    assert back == _deep_normal(tree)


def _deep_normal(e: ast.Expr) -> ast.Expr:
    import dataclasses

    if not dataclasses.is_dataclass(e):
        return e
    changes = {}
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        if isinstance(v, tuple):
            changes[f.name] = tuple(_deep_normal(x) for x in v)
        elif dataclasses.is_dataclass(v):
            changes[f.name] = _deep_normal(v)
    return _normal(dataclasses.replace(e, **changes))


# --- the parser's tables, written once (grammar_tables.py) -----------------------------------

def test_the_grammar_tables_are_for_this_grammar() -> None:
    from trialspec.lang import grammar_tables, parser

    assert parser.grammar_sha256() == grammar_tables.GRAMMAR_SHA256, (
        "grammar.lark changed: run `python -m trialspec.lang.grammar_tables`")
    assert grammar_tables.DATA and grammar_tables.MEMO


def test_the_loaded_parser_parses_and_fails_as_a_built_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the lark that wrote the tables, the loaded parser is the built one's equal; with
    another lark (a newer release on a fresh machine), the tables are not used at all."""
    import lark

    from trialspec.lang import grammar_tables, parser

    if lark.__version__ != grammar_tables.LARK_VERSION:
        loads: list[str] = []
        monkeypatch.setattr(lark.Lark, "_load_from_dict", lambda *a, **k: loads.append("loaded"))
        parser._lark.cache_clear()
        try:
            assert parser.parse_expr("age >= 18")[0] is not None
            assert loads == []  # built from the grammar
        finally:
            parser._lark.cache_clear()
        return
    loaded = lark.Lark._load_from_dict(grammar_tables.DATA, grammar_tables.MEMO)
    built = lark.Lark(parser.grammar_text(), **parser._OPTIONS)
    texts = [c["text"] for c in CASES["ok"] + CASES["errors"]]
    texts += ["age >= 18 and (x in [1, 2] or y is missing)", "a +", "visit_date within 3 days before d"]
    results = {}
    for name, lark_parser in (("loaded", loaded), ("built", built)):
        monkeypatch.setattr(parser, "_lark", lambda p=lark_parser: p)
        results[name] = [parser.parse_expr(t) for t in texts]
    assert results["loaded"] == results["built"]
    assert sum(tree is None for tree, _ in results["loaded"]) == len(CASES["errors"]) + 1


def test_stale_tables_are_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    import lark

    from trialspec.lang import grammar_tables, parser

    loads: list[str] = []
    load = lark.Lark._load_from_dict
    monkeypatch.setattr(lark.Lark, "_load_from_dict",
                        lambda *a, **k: loads.append("loaded") or load(*a, **k))
    same_lark = lark.__version__ == grammar_tables.LARK_VERSION
    parser._lark.cache_clear()
    try:
        assert parser.parse_expr("age >= 18")[0] is not None
        # the tables are used when they are for this grammar and this lark
        assert loads == (["loaded"] if same_lark else [])
        used = list(loads)
        monkeypatch.setattr(grammar_tables, "GRAMMAR_SHA256", "0" * 64)
        parser._lark.cache_clear()
        assert parser.parse_expr("age >= 18")[0] is not None
        assert loads == used  # stale: built from the grammar instead
        monkeypatch.setattr(grammar_tables, "GRAMMAR_SHA256", parser.grammar_sha256())
        monkeypatch.setattr(grammar_tables, "LARK_VERSION", "0.0.1")
        parser._lark.cache_clear()
        assert parser.parse_expr("age >= 18")[0] is not None
        assert loads == used  # written by another lark: built too
    finally:
        parser._lark.cache_clear()
