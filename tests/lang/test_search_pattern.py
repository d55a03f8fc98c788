"""``search_pattern``: a pattern written again in what Python's re, RE2 (DuckDB) and Java's regex
(Spark) read alike, case folded into classes by re's own rule. Held to Python's re here, and
to DuckDB's RE2 on the same pairs; tests/engine/test_search_engines.py runs it on every engine."""

from __future__ import annotations

import re
import sys

import pytest

from trialspec.lang.regex import vet
from trialspec.lang.search_pattern import portable_problem, search_pattern

# patterns without \d, \w, \s (those are ASCII by definition: tested apart)
PATTERNS = [
    "DONEP", "^ANTI", "PEZIL$", "(PEZIL|MINE)$", "^A.C$", "A{,2}B", "^A{2,3}$", "x*?y", "[^a-c]+",
    "[a-cX-Z]", "^$", "", "a|", "(?:ab)+c", "(?P<g>ST)R", "[.*+?]", "\\.\\*", "[\\]\\[^-]",
    "\\x41\\u00e9", "\\N{GREEK SMALL LETTER SIGMA}", "(?x) S T R  # spaced", "\\AST", "TR\\Z",
    "ß", "straße", "istanbul", "οδος", "ΣΑΣ", "échec", "k", "[k-m]", "[^k]", "ǅ", "ﬁ", "µ", "å",
    "[Α-Ω]+", "\\t", "a\\nb", "é+", "(é|e)cho", "[&&]", "#",
]
VALUES = [
    "", "DONEPEZIL", "donepezil", "ANTIDEPRESSANT", "ABC", "AC", "B", "AAB", "AAAB", "AA", "AAA",
    "xy", "xxy", "abc", "def", "X", "ab ab c", "ababc", ".", "*", "][", "^", "-", "Aé", "σ",
    "STR", "ASTR", "STRASSE", "Straße", "STRAẞE", "straße", "İSTANBUL", "ISTANBUL", "ıstanbul",
    "ΟΔΟΣ", "οδος", "οδοσ", "σας", "ΣΑΣ", "ÉCHEC", "échec", "K", "k", "\u212a", "ſ", "S", "Ǆ",
    "ǅ", "ǆ", "ﬁ", "FI", "µ", "Μ", "μ", "Å", "\u212b", "å", "ΑΒΓ", "tab\there", "a\nb", "a\rb",
    "é", "ééé", "echo", "écho", "&", "#", "DONEP\n", "x\u2028y",
]


@pytest.mark.parametrize("ignore_case", [False, True])
def test_a_written_pattern_matches_what_python_matches(ignore_case: bool) -> None:
    for pattern in PATTERNS:
        written = search_pattern("matches", pattern, ignore_case)
        assert "(?" not in written.replace("(?:", "")  # no flag: no engine folds case itself
        for value in VALUES:
            want = re.search(pattern, value, re.IGNORECASE if ignore_case else 0) is not None
            assert (re.search(written, value) is not None) == want, (pattern, value, written)


def test_digit_word_and_space_classes_are_ascii() -> None:
    for pattern in ["^\\d+$", "\\D", "^\\w+$", "\\W", "\\s", "\\S", "[\\d.]+", "[^\\s]"]:
        written = search_pattern("matches", pattern, False)
        for value in [*VALUES, "٣٤", "１２", "Straße", "\u00a0", "\x0b", "\x1f", "2014-06", "_"]:
            want = re.search(pattern, value, re.ASCII) is not None
            assert (re.search(written, value) is not None) == want, (pattern, value, written)


def _every_character() -> str:
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)


def test_a_letter_ignoring_case_matches_exactly_the_characters_re_folds_it_with() -> None:
    # over the whole of Unicode: ß and ẞ, İ/ı/i/I, ſ/s/S, the Kelvin and Ångström signs, the
    # three sigmas, the titlecase ǅ and µ/μ/Μ
    text = _every_character()
    for letter in "kKsSiIİıßẞσςΣµåÅǅΩ1-é":
        want = [m.start() for m in re.finditer(re.escape(letter), text, re.IGNORECASE)]
        written = search_pattern("contains", letter, True)
        assert [m.start() for m in re.finditer(written, text)] == want, (letter, written)


@pytest.mark.parametrize("op, text, value, found", [
    ("contains", "straße", "STRASSE", False),  # case, not spelling: ß is not ss
    ("contains", "straße", "STRAẞE", True),
    ("starts with", "istanbul", "İSTANBUL", True),
    ("contains", "οδος", "ΟΔΟΣ", True),  # final and medial sigma alike
    ("contains", "FILE", "ﬁle", False),  # a ligature is one character
    ("starts with", "don", "DONEPEZIL", True),
    ("starts with", "PEZIL", "DONEPEZIL", False),
    ("contains", "a.b", "aXb", False),  # the text is literal
    ("contains", "", "anything", True),
])
def test_contains_and_starts_with_ignoring_case(op: str, text: str, value: str, found: bool) -> None:
    assert (re.search(search_pattern(op, text, True), value) is not None) is found


@pytest.mark.parametrize("pattern", [
    "(?=S)", "(?!S)", "(?<=S)T", "(?<!S)T", "(?>ST)", "S++", "\\bMI\\b", "\\BMI", "(?s)a.b",
    "(?m)^a", "(?a)\\w", "(?i:a)b", "[\\Da]x", "[[:upper:]]",
])
def test_what_the_engines_read_otherwise_is_refused_at_lint(pattern: str) -> None:
    problem = vet(pattern)
    assert problem is not None and problem.code == "TS335", (pattern, problem)
    assert problem.hint


def test_the_flags_every_engine_can_have_written_out_are_accepted() -> None:
    assert portable_problem("(?i)^don") is None and search_pattern("matches", "(?i)d", False) == "[Dd]"
    assert portable_problem("(?x) a b") is None and search_pattern("matches", "(?x) a b", False) == "ab"


def test_duckdb_reads_every_written_pattern_as_python_does() -> None:
    duckdb = pytest.importorskip("duckdb")
    import pyarrow as pa

    rows = [(search_pattern("matches", p, ic), v) for p in PATTERNS for ic in (False, True) for v in VALUES]
    rows += [(search_pattern("matches", p, False), v) for p in ["^\\d+$", "^\\w+$", "\\s"]
             for v in ["٣٤", "12", "Straße", "a_b", "\x0b", "\u00a0"]]
    table = pa.table({"p": [p for p, _ in rows], "v": [v for _, v in rows]})
    con = duckdb.connect()
    con.register("pairs", table)
    got = [r[0] for r in con.sql("SELECT regexp_matches(v, p) FROM pairs").fetchall()]
    want = [re.search(p, v) is not None for p, v in rows]
    wrong = [(rows[i], got[i]) for i in range(len(rows)) if got[i] != want[i]]
    assert not wrong, wrong[:5]
