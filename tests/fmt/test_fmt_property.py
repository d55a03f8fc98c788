"""fmt on random expressions, written messily in every scalar style: the result reads back as
the canonical expression, everything around it is untouched, and fmt twice is fmt once."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trialspec.diagnostics import has_errors
from trialspec.fmt import canonical_tree, format_text
from trialspec.lang import ast
from trialspec.lang.parser import parse_expr
from trialspec.lang.printer import to_text
from trialspec.protocol import load_protocol_text

HEAD = "trialspec: 1\nstudy: {id: P}   # a comment\ndefinitions:\n  other: x  >  1   # another\n"
TAIL = "  # keep me\n  last: z\n"

KEYWORDS = {"and", "or", "not", "between", "in", "is", "within", "where", "true", "false",
            "before", "after", "missing", "present", "if", "then", "else", "x"}
names = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
numbers = st.from_regex(r"(0|[1-9][0-9]{0,3})(\.[0-9]{1,3})?", fullmatch=True)
# canonical and other spellings, so unit canonicalization is exercised
UNITS = ["g/dL", "mg/dl", "10^9/L", "G/L", "x ULN", "ULN", "%", "days", "d", "umol/l", "mg/24h", "year"]

atoms = st.one_of(
    numbers.map(ast.Number),
    st.builds(ast.Quantity, numbers, st.sampled_from(UNITS)),
    st.sampled_from(["2014-06", "2018-04-30"]).map(ast.Date),
    st.text(alphabet="ab \"'\\#:,[]{}", max_size=5).map(ast.String),
    st.booleans().map(ast.Boolean),
    names.map(lambda n: ast.Name((n,))),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.Logical("or", tuple(xs))),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: ast.Logical("and", tuple(xs))),
        children.map(ast.Not), children.map(ast.Neg),
        st.builds(ast.Arith, st.sampled_from("+-*/"), children, children),
        st.builds(ast.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children, children),
        st.builds(ast.Between, children, children, children, st.booleans()),
        st.builds(ast.In, children, st.lists(children, max_size=3).map(tuple), st.booleans()),
        st.builds(ast.IsMissing, children, st.booleans()),
        st.builds(ast.If, children, children, children),
        st.builds(ast.Match, st.sampled_from(["contains", "starts with", "matches"]), children,
                  st.text(alphabet="abc \"'\\", max_size=5), st.booleans()),
        st.builds(ast.Call, names, st.lists(children, max_size=2).map(tuple), st.one_of(st.none(), children)),
    )


trees = st.recursive(atoms, _extend, max_leaves=8)
TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|[()\[\],]|[^\s()\[\],\"]+")
SPELLINGS = {"<=": "≤", ">=": "≥", "!=": "≠"}


@st.composite
def messy(draw: st.DrawFn, tree: ast.Expr) -> str:
    """The tree's canonical text with random extra spaces, other operator spellings and
    redundant parentheses: text that parses to the same tree."""
    tokens = [m.group() for m in TOKEN.finditer(to_text(tree))]
    out = []
    for tok in tokens:
        if tok in SPELLINGS and draw(st.booleans()):
            tok = SPELLINGS[tok]
        out.append(tok)
    gaps = [" " * draw(st.integers(1, 3)) for _ in out]
    text = "".join(t + g for t, g in zip(out, gaps, strict=True)).strip()
    return f"( {text} )" if draw(st.booleans()) else text


def _single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _double(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lines(text: str, cut: int) -> tuple[str, str]:
    """Split at a space outside strings, near ``cut``: a line break there folds back to it."""
    spaces = [m.start() for m in re.finditer(r" (?=[^ ])", text)
              if text[:m.start()].count('"') % 2 == 0]
    if not spaces:
        return text, ""
    at = min(spaces, key=lambda i: abs(i - cut))
    return text[:at], text[at + 1:]


STYLES = ("plain", "single", "double", "folded", "literal", "flow", "flow-single", "plain-2", "single-2")


def scalar(style: str, text: str, cut: int) -> str:
    """`  d: <the scalar in this style>` (and its continuation lines)."""
    a, b = _lines(text, cut)
    if style == "plain":
        return f"  d: {text}\n"
    if style == "single":
        return f"  d: {_single(text)}\n"
    if style == "double":
        return f"  d: {_double(text)}\n"
    if style in ("folded", "literal"):
        indicator = ">-" if style == "folded" else "|"
        return f"  d: {indicator}\n    {a}\n" + (f"    {b}\n" if b else "")
    if style == "flow":
        return f"  d: {{expr: {text}, text: t}}\n"
    if style == "flow-single":
        return f"  d: {{expr: {_single(text)}, text: t}}\n"
    if style == "plain-2":
        return f"  d: {a}\n" + (f"     {b}\n" if b else "")
    quoted = _single(f"{a}\n{b}" if b else a)  # a quoted scalar over two lines
    return "  d: " + quoted.replace("\n", "\n     ") + "\n"


def expression(text: str) -> str:
    protocol, diags = load_protocol_text(text)
    assert protocol is not None, diags
    return protocol.definitions["d"].expr.text


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), tree=trees, cut=st.integers(0, 60))
def test_fmt_is_canonical_local_and_idempotent(data: st.DataObject, tree: ast.Expr, style: str,
                                               cut: int) -> None:
    text = data.draw(messy(tree))
    want = canonical_tree(parse_expr(to_text(tree))[0])
    source = HEAD + scalar(style, text, cut) + TAIL
    original, diags = load_protocol_text(source)
    # the messy YAML must be a valid protocol (e.g. a bare `on` is TS210, which fmt refuses)
    assume(original is not None and "d" in original.definitions and not has_errors(diags))
    written, _ = parse_expr(original.definitions["d"].expr.text)
    assume(written is not None and canonical_tree(written) == want)

    result = format_text(source, "p.yaml")
    assert result.ok, result.diagnostics
    assert not [d for d in result.diagnostics if d.code == "TS851"]
    out = result.text
    assert out.startswith(HEAD.replace("x  >  1", "x > 1")) and out.endswith(TAIL)
    got = expression(out)
    assert parse_expr(got)[0] == want
    assert " ".join(got.split()) == " ".join(to_text(want).split())
    assert format_text(out, "p.yaml").text == out
