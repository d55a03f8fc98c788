"""ScalarMap.build / .span used directly, as the expression parser will use them."""

from __future__ import annotations

from trialspec.source import ScalarMap, SourceFile, Span


def test_build_and_span_on_a_plain_scalar() -> None:
    text = "x: 1\nwhen: age >= 18\n"
    smap = ScalarMap.build("p.yaml", text, "age >= 18", 2, 7)
    assert smap.span(7, 9) == Span("p.yaml", 2, 14, 2, 16)
    assert smap.span(0, 9) == Span("p.yaml", 2, 7, 2, 16)


def test_span_is_clamped_to_the_scalar() -> None:
    smap = ScalarMap.build("p", "a: xyz\n", "xyz", 1, 4)
    assert smap.span(-5, 99) == Span("p", 1, 4, 1, 7)
    assert smap.span(3, 3) == Span("p", 1, 7, 1, 8)  # the end: a one-column caret
    assert smap.span(2, 1) == Span("p", 1, 6, 1, 7)


def test_start_at_anchor_or_tag() -> None:
    text = "a: &x !!str  hello\n"
    smap = ScalarMap.build("p", text, "hello", 1, 4)
    assert smap.span(0, 5) == Span("p", 1, 14, 1, 19)


def test_value_on_the_line_after_its_tag() -> None:
    text = "a: !!str # note\n  hello\n"
    smap = ScalarMap.build("p", text, "hello", 1, 4)
    assert smap.span(0, 5) == Span("p", 2, 3, 2, 8)


def test_a_value_the_source_does_not_spell_still_maps_in_order() -> None:
    # not what a YAML parser would produce; the loose fallback keeps positions in order
    smap = ScalarMap.build("p", "a: 'abc'\n", "abxc", 1, 4)
    assert len(smap.positions) == 5
    assert smap.positions == tuple(sorted(smap.positions))


def test_empty_text() -> None:
    smap = ScalarMap.build("p", "", "", 1, 1)
    assert smap.positions == ((1, 1),)
    assert smap.span(0, 0) == Span("p", 1, 1, 1, 2)


def test_lines_are_counted_like_splitlines() -> None:
    text = "a: 1\r\nb: 2\rc: x\u2028y\nd: end"
    smap = ScalarMap.build("p", text, "end", 5, 4)
    assert smap.span(0, 3) == Span("p", 5, 4, 5, 7)


def test_a_span_ending_on_an_escape_covers_all_of_it() -> None:
    # when: "sex == \"m\"" -- the value is sex == "m"; a span of the comparison must end after
    # the escaped quote, not inside it (explain showed `sex == \"m\`)
    text = 'when: "sex == \\"m\\" or x == \\x41"\n'
    value = 'sex == "m" or x == A'
    smap = ScalarMap.build("p", text, value, 1, 7)
    src = SourceFile("p", text)
    assert src.slice(smap.span(0, 10)) == 'sex == \\"m\\"'
    assert src.slice(smap.span(14, 20)) == "x == \\x41"
    assert src.slice(smap.span(0, 3)) == "sex"  # plain characters as before
