"""Every bad input gets a diagnostic with a code, an exact line:col and a hint.

The text cases are golden files in ``data/bad/``: each says in its leading comments what
it expects (``# expect: CODE line:col message-part``, then ``# hint: hint-part`` and
optionally ``# related: line:col note-part``). The checks are exhaustive: a file must give
exactly the diagnostics it lists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trialspec.diagnostics import Diagnostic, has_errors
from trialspec.protocol import load_protocol, yamlload
from trialspec.protocol.yamlload import MAX_NODES, load_yaml

BAD = Path(__file__).parent / "data" / "bad"
DIRECTIVE = re.compile(r"# (expect|hint|related): (?:(TS\d{3}) )?(?:(\d+):(\d+) )?(.*)")


def expectations(path: Path) -> list[dict]:
    out: list[dict] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = DIRECTIVE.fullmatch(line)
        if not m:
            continue
        kind, code, ln, col, text = m.groups()
        if kind == "expect":
            out.append({"code": code, "at": (int(ln), int(col)), "message": text,
                        "hint": None, "related": None})
        elif kind == "hint":
            out[-1]["hint"] = text
        else:
            out[-1]["related"] = ((int(ln), int(col)), text)
    return out


def at(d: Diagnostic) -> tuple[int, int] | None:
    return (d.span.line, d.span.col) if d.span else None


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_golden_bad_input(path: Path) -> None:
    wanted = expectations(path)
    assert wanted, f"{path.name} lists no expectations"
    protocol, diags = load_protocol(path)
    assert has_errors(diags)
    # a duplicate key or an unquoted Y leaves a buildable (but erroneous) protocol
    assert protocol is None or {d.code for d in diags} <= {"TS202", "TS210"}
    assert [(d.code, at(d)) for d in diags] == [(w["code"], w["at"]) for w in wanted]
    for d, w in zip(diags, wanted, strict=True):
        assert d.span is not None and d.span.path == str(path)
        assert w["message"] in d.message
        assert d.hint and w["hint"] in d.hint
        if w["related"]:
            (line, col), note = w["related"]
            assert any(note in n and (s.line, s.col) == (line, col) for n, s in d.related)


def test_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("trialspec: 1\nstudy:\n  title: étude\n".encode("latin-1"))
    protocol, diags = load_protocol(path)
    assert protocol is None
    [d] = diags
    assert (d.code, at(d)) == ("TS205", (3, 10))
    assert "E9" in d.message and d.hint


def test_not_utf8_in_second_line_after_multibyte_text(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes("# ÄÖ ok\nx: \xff\n".encode().replace(b"\xc3\xbf", b"\xff"))
    [d] = load_protocol(path)[1]
    assert (d.code, at(d)) == ("TS205", (2, 4))


def test_utf16_file_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("trialspec: 1\n".encode("utf-16"))
    [d] = load_protocol(path)[1]
    assert (d.code, at(d)) == ("TS205", (1, 1))


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufefftrialspec: 1\nstudy: {id: X}\n".encode())
    protocol, diags = load_protocol(path)
    assert diags == [] and protocol is not None
    assert (protocol.study.span.line, protocol.study.span.col) == (2, 8)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(b"")
    protocol, diags = load_protocol(path)
    assert protocol is None
    [d] = diags
    assert (d.code, at(d)) == ("TS206", (1, 1)) and d.hint


@pytest.mark.parametrize("text", ["---\n", "\n\n   \n", "~\n", "---\n...\n"])
def test_documents_without_content_are_empty(text: str) -> None:
    tree, diags = load_yaml(text)
    assert tree is None and [d.code for d in diags] == ["TS206"]


def test_missing_file(tmp_path: Path) -> None:
    protocol, diags = load_protocol(tmp_path / "nope.yaml")
    assert protocol is None
    [d] = diags
    assert d.code == "TS212" and "nope.yaml" in d.message and d.hint
    assert d.span is None  # a missing file has no line to point at


def test_directory_is_not_a_protocol(tmp_path: Path) -> None:
    [d] = load_protocol(tmp_path)[1]
    assert d.code == "TS212" and "directory" in d.message


def test_alias_bomb_is_refused_without_expanding() -> None:
    # 9 levels of 9 aliases: 9**9 (387 million) strings if expanded
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghij"
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    tree, diags = load_yaml("\n".join(lines))
    assert tree is None
    [d] = diags
    assert d.code == "TS203" and f"{MAX_NODES:,}" in d.message
    assert at(d) == (6, 12)  # the alias whose expansion crosses the limit


@pytest.mark.parametrize("text, where", [
    ("a: &a [*a]\n", (1, 8)),                 # an alias inside its own anchor
    ("x: " + "[" * 5000 + "]" * 5000, None),  # nesting
    ("x:\n" + "".join(" " * i + "- \n" for i in range(1, 300)), None),
])
def test_recursive_or_deep_documents_are_refused(text: str, where: tuple[int, int] | None) -> None:
    tree, diags = load_yaml(text)
    assert tree is None and [d.code for d in diags] == ["TS203"]
    if where:
        assert at(diags[0]) == where


def test_too_many_aliases() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    [d] = load_yaml(text)[1]
    assert d.code == "TS203" and "aliases" in d.message


def test_aliases_expanding_too_deep() -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [[[[[[[[[[*a{i - 1}]]]]]]]]]]" for i in range(1, 12)]
    tree, diags = load_yaml("\n".join(lines))
    assert tree is None
    [d] = diags
    assert d.code == "TS203" and "deeper than 100" in d.message
    assert at(d) == (11, 21)


def test_only_aliases_are_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "MAX_NODES", 50)
    text = "x:\n" + "".join(f"  - {i}\n" for i in range(60))
    tree, diags = load_yaml(text)
    assert diags == [] and len(tree.items[0][1].items) == 60
    tree, diags = load_yaml(text + "y: &y [1, 2]\nz: *y\n")
    assert [d.code for d in diags] == ["TS203"]


def test_a_few_aliases_are_fine() -> None:
    text = "base: &unit {type: number, unit: g/dL}\nx: *unit\ny: *unit\n"
    tree, diags = load_yaml(text)
    assert diags == [] and tree is not None


@pytest.mark.parametrize("text, where", [
    ("x: !!python/name:os.system\n", (1, 4)),
    ("x: !!python/object/new:dict {}\n", (1, 4)),
    ("x: !custom 1\n", (1, 4)),
    ("- !<tag:example.com,2000:x> 1\n", (1, 3)),
    ("x: &anchor !!python/tuple [1, 2]\n", (1, 4)),
])
def test_tags_are_refused(text: str, where: tuple[int, int]) -> None:
    tree, diags = load_yaml(text)
    assert tree is None
    [d] = diags
    assert (d.code, at(d)) == ("TS204", where) and d.hint


def test_standard_tags_are_accepted() -> None:
    tree, diags = load_yaml("a: !!str 12\nb: !!int 12\nc: !!float 1\nd: !!bool true\n")
    assert diags == []
    assert [v.value for _, v in tree.items] == ["12", 12, 1.0, True]


def test_standard_tag_with_the_wrong_value() -> None:
    [d] = load_yaml("a: !!int twelve\n")[1]
    assert (d.code, at(d)) == ("TS209", (1, 10))


@pytest.mark.parametrize("text, code, where, hint", [
    ("a:\n\tb: 1\n", "TS201", (2, 1), "tabs"),
    ("a: b: c\n", "TS201", (1, 5), "quoted"),
    ("a: 'open\n", "TS201", (2, 1), "never closed"),
    ("a: *nothing\n", "TS201", (1, 4), "no anchor"),
    ("a: 1\n---\nb: 2\n", "TS201", (2, 1), "one YAML document"),
    ("a: \"\\q\"\n", "TS201", (1, 6), "escape"),
    ("a: @home\n", "TS201", (1, 4), "reserved"),
    ("a: \x07\n", "TS201", (1, 4), "control character"),
    ("a: [1, 2\n", "TS201", (2, 1), None),
])
def test_syntax_errors(text: str, code: str, where: tuple[int, int], hint: str | None) -> None:
    tree, diags = load_yaml(text)
    assert tree is None
    [d] = diags
    assert (d.code, at(d)) == (code, where)
    assert d.hint and (hint is None or hint in d.hint)


def test_duplicate_keys_are_all_reported_with_the_first() -> None:
    text = "a: 1\nb: 2\na: 3\nc: {x: 1, x: 2}\n1: one\n\"1\": again\n"
    tree, diags = load_yaml(text)
    assert tree is not None  # the first value is kept, and loading goes on
    assert [(d.code, at(d)) for d in diags] == [
        ("TS202", (3, 1)), ("TS202", (4, 11)), ("TS202", (6, 1))]
    assert [(n, (s.line, s.col)) for n, s in diags[0].related] == [("first defined here", (1, 1))]
    assert [k.value for k, _ in tree.items] == ["a", "b", "c", 1]
    assert tree.items[0][1].value == 1  # the first `a`
    assert [k.value for k, _ in tree.items[2][1].items] == ["x"]


def test_complex_keys_are_reported() -> None:
    tree, diags = load_yaml("? [a, b]\n: 1\nc: 2\n")
    assert [(d.code, at(d)) for d in diags] == [("TS209", (1, 3))]
    assert [k.value for k, _ in tree.items] == ["c"]
