"""The one regular expression every engine searches with, for ``matches``, and for ``contains``
and ``starts with`` ``ignoring case``.

A pattern is written in Python's ``re`` syntax, but the engines search with three regex
libraries: Python's ``re`` (pandas), RE2 (DuckDB) and ``java.util.regex`` (Spark). Given
the same text they differ: ``\\w`` and ``\\d`` are Unicode classes to ``re`` and ASCII to
the others, ``.`` stops at ``\\r`` in Java only, ``x{,2}`` is a repeat to ``re`` and literal
text to RE2 and Java, ``(?i)`` folds ``É`` in ``re`` and RE2 but not in Java, RE2 has no
look-around, Java no ``(?P<name>...)``, and each folds case by its own tables. So no engine
is given the pattern as written: it is parsed once by ``re``'s own parser and written again
(``search_pattern``) with only what the three read alike:

- literal characters (ASCII punctuation escaped, control characters as ``\\xhh``), classes of
  characters and ranges (``[...]``, ``[^...]``), ``(?:...)``, ``|``, the greedy and lazy
  repeats as ``{m,n}``, ``^`` and ``$``;
- ``.`` as ``[^\\n]`` (what ``re`` means by it);
- ``\\d``, ``\\w``, ``\\s`` and their negations as the ASCII classes ``[0-9]``,
  ``[0-9A-Za-z_]`` and ``[\\t\\n\\x0b\\x0c\\r ]`` (SDTM coded terms are ASCII; a class of
  letters in another script is written out, ``[à-ÿ]``);
- ``ignoring case`` (or a leading ``(?i)``) as no flag at all: each letter becomes the class
  of the characters ``re`` folds it with (``k`` -> ``[Kk\\u212a]``), by ``re``'s own rule, so
  the three engines match the same characters whatever their case tables say. ``contains``
  and ``starts with`` ``ignoring case`` search for their text the same way (``ß`` matches
  ``ß`` and ``ẞ``, not ``ss``: case, not spelling).

What cannot be written so is refused when the protocol is linted (``portable_problem``,
TS335): look-around, atomic groups and possessive repeats, word boundaries (``\\b``), flags
other than ``(?i)`` and ``(?x)``, and a negated class inside a class (``[\\D]``).
"""

from __future__ import annotations

import importlib
import string
from functools import cache, lru_cache
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_casefix: Any = importlib.import_module("re._casefix")
_sre: Any = importlib.import_module("_sre")

IGNORECASE, UNICODE, VERBOSE = 2, 32, 64  # re's flag bits (re.I, re.U, re.X)

ASCII_CLASSES: dict[str, list[tuple[int, int]]] = {
    "CATEGORY_DIGIT": [(0x30, 0x39)],
    "CATEGORY_WORD": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
    "CATEGORY_SPACE": [(0x09, 0x0D), (0x20, 0x20)],
}
NEGATED = {"CATEGORY_NOT_DIGIT": "CATEGORY_DIGIT", "CATEGORY_NOT_WORD": "CATEGORY_WORD",
           "CATEGORY_NOT_SPACE": "CATEGORY_SPACE"}
_PUNCTUATION = frozenset(string.punctuation)


class NotPortable(ValueError):
    """A pattern the engines would read differently: (message, hint)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


@lru_cache(maxsize=512)
def search_pattern(op: str, text: str, ignore_case: bool) -> str:
    """The regex every engine searches values with for ``op`` (``matches``: ``text`` is the
    pattern; ``contains``/``starts with``: ``text`` is literal). Raises NotPortable for a
    pattern ``portable_problem`` refuses."""
    if op == "matches":
        tree = _parser.parse(text)
        flags = tree.state.flags
        if flags & ~(IGNORECASE | UNICODE | VERBOSE):
            raise NotPortable("the pattern sets a flag other than `(?i)` or `(?x)`",
                              "Write `ignoring case` after the pattern for `(?i)`; drop the other flags.")
        return _Writer(ignore_case or bool(flags & IGNORECASE)).seq(tree)
    if op not in ("contains", "starts with"):
        raise ValueError(f"unknown string predicate {op!r}")
    writer = _Writer(ignore_case)
    return ("^" if op == "starts with" else "") + "".join(writer.literal(ord(c)) for c in text)


def portable_problem(pattern: str) -> NotPortable | None:
    """Why ``pattern`` cannot be written for every engine alike (None: it can)."""
    try:
        search_pattern("matches", pattern, False)
    except NotPortable as err:
        return err
    return None


# -- case: the characters re folds a character with ---------------------------------------------


@cache
def _lowered_from() -> dict[int, list[int]]:
    """Each lower-case code point, and the code points ``re`` lowers to it (other than itself):
    built once, on the first pattern that ignores case (a pass over Unicode, about 0.1 s)."""
    out: dict[int, list[int]] = {}
    lower = _sre.unicode_tolower
    for cp in range(0x110000):
        lo = lower(cp)
        if lo != cp:
            out.setdefault(lo, []).append(cp)
    return out


def _folded(points: set[int]) -> set[int]:
    """Every code point ``re`` with IGNORECASE matches to a class holding ``points``: those
    whose lower case (``_sre.unicode_tolower``) is the lower case of one of them or one of
    its special equivalents (``re._casefix``, e.g. ``s`` and ``ſ``), as ``re``'s compiler does."""
    lower = _sre.unicode_tolower
    lows = {lower(p) for p in points}
    for lo in list(lows):
        lows.update(_casefix._EXTRA_CASES.get(lo, ()))
    rev = _lowered_from()
    out = set(lows)
    for lo in lows:
        out.update(rev.get(lo, ()))
    return {p for p in out if lower(p) in lows}


# -- writing ---------------------------------------------------------------------------------------


def _char(cp: int) -> str:
    """One literal character as every engine reads it, inside a class or not."""
    if cp < 0x20 or cp == 0x7F:
        return f"\\x{cp:02x}"
    ch = chr(cp)
    if ch in _PUNCTUATION:  # (a backslash before ASCII punctuation is the literal in all three)
        return "\\" + ch
    return ch


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges sorted, overlapping and adjacent ones joined."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def _class(ranges: list[tuple[int, int]], negate: bool) -> str:
    body = "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in ranges)
    return f"[{'^' if negate else ''}{body}]"


class _Writer:
    def __init__(self, ignore_case: bool) -> None:
        self.ignore_case = ignore_case

    def literal(self, cp: int) -> str:
        if self.ignore_case and _sre.unicode_iscased(cp):
            folded = _folded({cp})
            if len(folded) > 1:
                return _class(_merged([(p, p) for p in folded]), False)
        return _char(cp)

    def members(self, ranges: list[tuple[int, int]], negate: bool) -> str:
        if self.ignore_case:
            ranges = _merged([(p, p) for p in _folded({p for lo, hi in ranges for p in range(lo, hi + 1)})])
        else:
            ranges = _merged(ranges)
        return _class(ranges, negate)

    def seq(self, items: Any) -> str:
        return "".join(self.item(op, av) for op, av in items)

    def item(self, op: Any, av: Any) -> str:
        name = str(op)
        if name == "LITERAL":
            return self.literal(av)
        if name == "NOT_LITERAL":
            return self.members([(av, av)], True)
        if name == "ANY":
            return "[^\\n]"
        if name == "IN":
            return self.in_class(av)
        if name == "CATEGORY":
            return self.in_class([(op, av)])
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            lo, hi, sub = av
            count = f"{{{lo},}}" if hi == _parser.MAXREPEAT else f"{{{lo},{hi}}}"
            return f"(?:{self.seq(sub)}){count}" + ("?" if name == "MIN_REPEAT" else "")
        if name == "SUBPATTERN":
            _group, add, remove, sub = av
            if add or remove:
                raise NotPortable("the pattern sets a flag on a group (`(?i:...)`)",
                                  "Write `ignoring case` after the whole pattern instead.")
            return f"(?:{self.seq(sub)})"
        if name == "BRANCH":
            return "(?:" + "|".join(self.seq(b) for b in av[1]) + ")"
        if name == "AT":
            where = str(av)
            if where in ("AT_BEGINNING", "AT_BEGINNING_STRING"):
                return "^"
            if where in ("AT_END", "AT_END_STRING"):  # (values are trimmed: no final line break)
                return "$"
            raise NotPortable("`\\b` and `\\B` (word boundaries) mean different things to the engines",
                              "Spell the boundary out: `(^|[^A-Za-z0-9_])MI($|[^A-Za-z0-9_])`.")
        if name in ("ASSERT", "ASSERT_NOT"):
            raise NotPortable("look-around (`(?=`, `(?!`, `(?<=`, `(?<!`) is not searched by every engine",
                              "Rewrite it without look-around, or split it into two conditions joined "
                              "by `and not`.")
        if name in ("ATOMIC_GROUP", "POSSESSIVE_REPEAT"):
            raise NotPortable("atomic groups and possessive repeats (`(?>`, `a++`) are not searched "
                              "by every engine", "Use the plain group or repeat: `(...)`, `a+`.")
        raise NotPortable(f"the pattern uses `{name.lower()}`, which not every engine reads alike",
                          "Use literal text, classes `[...]`, groups, `|`, repeats, `^` and `$`.")

    def in_class(self, items: list[tuple[Any, Any]]) -> str:
        negate = False
        ranges: list[tuple[int, int]] = []
        for op, av in items:
            name = str(op)
            if name == "NEGATE":
                negate = True
            elif name == "LITERAL":
                ranges.append((av, av))
            elif name == "RANGE":
                ranges.append(av)
            elif name == "CATEGORY" and str(av) in ASCII_CLASSES:
                ranges += ASCII_CLASSES[str(av)]
            elif name == "CATEGORY" and str(av) in NEGATED and len(items) == 1:
                return self.members(ASCII_CLASSES[NEGATED[str(av)]], True)
            else:
                raise NotPortable("a negated class inside a class (`[\\D...]`) is not read alike by "
                                  "every engine", "Write the characters wanted: `[0-9A-F]`.")
        return self.members(ranges, negate)
