"""The YAML tree: 1.2 core typing, YAML 1.1 booleans remembered, spans for every node,
and a ScalarMap from each scalar's text to the file, for every scalar style."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from trialspec.protocol.yamlload import MapNode, ScalarNode, SeqNode, load_yaml, lookup


def scalar(text: str, *path: str | int) -> ScalarNode:
    tree, diags = load_yaml(text)
    assert diags == [], diags
    node = tree
    for part in path:
        node = node.items[part] if isinstance(part, int) else lookup(node, part)[1]
    assert isinstance(node, ScalarNode)
    return node


def where(node: ScalarNode, word: str) -> tuple[int, int, int, int]:
    """The file span of the first occurrence of ``word`` in the scalar's text."""
    i = node.raw.index(word)
    s = node.smap.span(i, i + len(word))
    return s.line, s.col, s.end_line, s.end_col


@pytest.mark.parametrize("text, value", [
    ("x: yes", "yes"), ("x: No", "No"), ("x: on", "on"), ("x: OFF", "OFF"), ("x: Y", "Y"),
    ("x: n", "n"), ("x: true", True), ("x: False", False), ("x: TRUE", True),
    ("x: ~", None), ("x: null", None), ("x:", None), ("x: Null", None),
    ("x: 12", 12), ("x: -3", -3), ("x: +7", 7), ("x: 0o17", 15), ("x: 0x1F", 31),
    ("x: 012", 12),  # YAML 1.1 would read octal 10
    ("x: 1.50", 1.5), ("x: .5", 0.5), ("x: 1e3", 1000.0), ("x: -.inf", -math.inf),
    ("x: 1_000", "1_000"), ("x: 1:30", "1:30"), ("x: 2014-06-01", "2014-06-01"),
    ("x: 0b101", "0b101"), ("x: '12'", "12"), ('x: "true"', "true"), ("x: 28 days", "28 days"),
])
def test_core_schema_typing(text: str, value: object) -> None:
    assert scalar(text, "x").value == value


def test_nan() -> None:
    assert math.isnan(scalar("x: .NaN", "x").value)


def test_huge_integers_stay_text() -> None:
    digits = "9" * 5000
    assert scalar(f"x: {digits}", "x").value == digits


@pytest.mark.parametrize("text, flagged", [
    ("x: yes", True), ("x: Y", True), ("x: off", True), ("x: NO", True),
    ("x: 'yes'", False), ('x: "Y"', False), ("x: true", False), ("x: yess", False),
    ("x: !!str yes", False),
])
def test_yaml11_booleans_are_remembered(text: str, flagged: bool) -> None:
    assert scalar(text, "x").yaml11_bool is flagged


def test_raw_keeps_the_source_text_of_numbers() -> None:
    node = scalar("p: 0.290", "p")
    assert (node.value, node.raw) == (0.29, "0.290")


def test_spans_of_every_node() -> None:
    text = "a:\n  b: [1, two]\n  c:\n    - x: 1\n    - y\n\nd: end\n"
    tree, _ = load_yaml(text)
    a = lookup(tree, "a")[1]
    assert isinstance(a, MapNode)
    s = a.span  # a block mapping ends at its last value, not at the next key
    assert (s.line, s.col, s.end_line, s.end_col) == (2, 3, 5, 8)
    seq = lookup(a, "b")[1]
    assert isinstance(seq, SeqNode)
    assert (seq.span.line, seq.span.col, seq.span.end_line, seq.span.end_col) == (2, 6, 2, 14)
    two = seq.items[1]
    assert (two.span.line, two.span.col, two.span.end_col) == (2, 10, 13)
    key = tree.items[1][0]
    assert (key.span.line, key.span.col, key.span.end_col) == (7, 1, 2)
    assert tree.span.end_line == 7


def test_empty_value_has_a_one_column_span() -> None:
    node = scalar("a:\nb: 1\n", "a")
    assert node.value is None
    assert (node.span.line, node.span.end_line) == (1, 1)


# --- ScalarMap: each style --------------------------------------------------------------


def test_plain() -> None:
    node = scalar("when: age >= 18\n", "when")
    assert where(node, "18") == (1, 14, 1, 16)


def test_plain_multiline() -> None:
    text = "def: serum >= 0.5 g/dL\n     or urine >= 200 mg/24h\n\n     or other\n"
    node = scalar(text, "def")
    assert node.raw == "serum >= 0.5 g/dL or urine >= 200 mg/24h\nor other"
    assert where(node, "urine") == (2, 9, 2, 14)
    assert where(node, "other") == (4, 9, 4, 14)
    assert where(node, "g/dL or urine") == (1, 19, 2, 14)  # across the folded break


def test_single_quoted() -> None:
    node = scalar("when: 'it''s 18'\n", "when")
    assert node.value == "it's 18"
    assert where(node, "18") == (1, 14, 1, 16)
    assert where(node, "'") == (1, 10, 1, 12)  # the doubled quote: a span covers both halves


def test_double_quoted_escapes() -> None:
    node = scalar('when: "a\\tb == \\u00e9t\\u00e9 and c"\n', "when")
    assert node.value == "a\tb == été and c"
    assert where(node, "\t") == (1, 9, 1, 11)  # an escape starts at its backslash, ends after it
    assert where(node, "b") == (1, 11, 1, 12)
    assert where(node, "é") == (1, 16, 1, 22)  # \u00e9
    assert where(node, "t") == (1, 22, 1, 23)
    assert where(node, "and") == (1, 30, 1, 33)


def test_double_quoted_multiline_and_escaped_break() -> None:
    text = 'x: "one\n  two \\\n  three"\n'
    node = scalar(text, "x")
    assert node.value == "one two three"
    assert where(node, "two") == (2, 3, 2, 6)
    assert where(node, "three") == (3, 3, 3, 8)


def test_folded() -> None:
    text = "x: >\n  one two\n  three\n\n  four\n    more\n  five\n"
    node = scalar(text, "x")
    assert node.value == "one two three\nfour\n  more\nfive\n"
    assert where(node, "three") == (3, 3, 3, 8)
    assert where(node, "four") == (5, 3, 5, 7)
    assert where(node, "  more") == (6, 3, 6, 9)
    assert where(node, "five") == (7, 3, 7, 7)


def test_literal() -> None:
    text = "x: |\n  one\n    two\n  three\n"
    node = scalar(text, "x")
    assert node.value == "one\n  two\nthree\n"
    assert where(node, "two") == (3, 5, 3, 8)
    assert where(node, "three") == (4, 3, 4, 8)


@pytest.mark.parametrize("text, value", [
    ("x: |2\n    one\n  two\n\ny: 1\n", "  one\ntwo\n"),
    ("x: |+\n  one\n  two\n\ny: 1\n", "one\ntwo\n\n"),
    ("x: |-\n  one\n  two\n\ny: 1\n", "one\ntwo"),
    ("x: >2-\n    one\n  two\n\ny: 1\n", "  one\ntwo"),
    ("x: >+ # comment\n  one\n  two\n\ny: 1\n", "one two\n\n"),
])
def test_block_indicators(text: str, value: str) -> None:
    node = scalar(text, "x")
    assert node.value == value
    assert where(node, "two") == (3, 3, 3, 6)


def test_nested_block_scalar_with_indicator() -> None:
    text = "a:\n  b:\n    c: |1\n      x\n     y\n"
    node = scalar(text, "a", "b", "c")
    assert node.value == " x\ny\n"
    assert where(node, "x") == (4, 7, 4, 8)
    assert where(node, "y") == (5, 6, 5, 7)


def test_anchor_and_tag_are_skipped() -> None:
    node = scalar("x: &keep !!str  yes please\n", "x")
    assert node.value == "yes please"
    assert (node.span.line, node.span.col) == (1, 17)
    assert where(node, "please") == (1, 21, 1, 27)


def test_crlf_line_endings() -> None:
    node = scalar("a: 1\r\nwhen: >\r\n  x >= 1\r\n  and y\r\n", "when")
    assert node.value == "x >= 1 and y\n"
    assert where(node, "and") == (4, 3, 4, 6)


def test_flow_collections() -> None:
    text = "c: {type: category, levels: ['a b', \"c\\\"d\", e]}\n"
    tree, _ = load_yaml(text)
    levels = lookup(lookup(tree, "c")[1], "levels")[1]
    assert [i.value for i in levels.items] == ["a b", 'c"d', "e"]
    assert where(levels.items[1], "d") == (1, 41, 1, 42)
    assert where(levels.items[2], "e") == (1, 45, 1, 46)


def test_unicode_columns_count_characters() -> None:
    node = scalar("title: Étude naïve sur le café\n", "title")
    assert where(node, "café") == (1, 27, 1, 31)


def test_empty_span_inside_scalar() -> None:
    node = scalar("x: abc\n", "x")
    s = node.smap.span(3, 3)
    assert (s.line, s.col, s.end_line, s.end_col) == (1, 7, 1, 8)


STYLES = [None, "'", '"', "|", ">"]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufeff"),
    max_size=60)


@settings(max_examples=300, deadline=None)
@given(value=TEXT, style=st.sampled_from(STYLES), indent=st.integers(0, 3))
def test_every_character_maps_to_its_source(value: str, style: str | None, indent: int) -> None:
    """Whatever PyYAML writes, in any style, each visible character maps back onto itself."""
    doc = yaml.safe_dump({"k": {"v": value}}, default_style=style, allow_unicode=True,
                         width=20)
    text = "\n".join(" " * indent + ln if ln else ln for ln in doc.splitlines()) + "\n"
    try:
        yaml.safe_load(text)
    except yaml.YAMLError:
        return  # re-indenting broke a document PyYAML wrote in a form we cannot shift
    node = scalar(text, "k", "v") if indent == 0 else None
    if node is None:
        tree, diags = load_yaml(text)
        assert diags == []
        node = lookup(lookup(tree, "k")[1], "v")[1]
    assert node.raw == str(yaml.safe_load(text)["k"]["v"]) or node.style is None
    lines = text.splitlines()
    previous = (0, 0)
    for i, ch in enumerate(node.raw):
        line, col = node.smap.positions[i]
        assert (line, col) > previous  # strictly in file order
        previous = (line, col)
        if ch.isprintable() and not ch.isspace() and ch not in "\\'\"":
            found = lines[line - 1][col - 1]
            assert found == ch or (node.style == '"' and found == "\\")  # an escape


def test_load_yaml_accepts_text_bytes_paths_and_sources(tmp_path) -> None:
    from trialspec.source import SourceFile

    path = tmp_path / "p.yaml"
    path.write_bytes(b"a: 1\n")
    for data in ("a: 1\n", b"a: 1\n", path, SourceFile("p.yaml", "a: 1\n")):
        tree, diags = load_yaml(data, path="p.yaml")
        assert diags == [] and tree.items[0][1].value == 1
    tree, _ = load_yaml(path)
    assert tree.span.path == str(path)
