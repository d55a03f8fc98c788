"""Printed values become typed claims with the interval their rounding allows."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest

from trialspec.claims import (
    Bound,
    ClaimSyntaxError,
    CountPercent,
    EstimateCI,
    MedianRange,
    NotReached,
    Number,
    Percent,
    parse_claim,
)
from trialspec.claims.values import OpenCI

D = Decimal


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("0.047", "0.0465", "0.0475"),
    ("1.0", "0.95", "1.05"),
    ("4.887", "4.8865", "4.8875"),
    ("0.290", "0.2895", "0.2905"),
    ("12", "11.5", "12.5"),
    ("2.2e-16", "2.15e-16", "2.25e-16"),
    ("P = 0.047", "0.0465", "0.0475"),
])
def test_number_interval_is_half_a_unit_in_the_last_printed_place(text: str, lo: str,
                                                                  hi: str) -> None:
    c = parse_claim(text)
    assert isinstance(c, Number)
    assert (c.interval.lo, c.interval.hi) == (D(lo), D(hi))
    assert c.text == text


def test_trailing_zeros_are_precision_not_decoration() -> None:
    assert parse_claim("1.0").interval != parse_claim("1").interval
    assert parse_claim("0.290").decimals == 3


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("75%", "74.5", "75.5"), ("50.05%", "50.045", "50.055"), ("62.8%", "62.75", "62.85"),
])
def test_percent_interval_in_percent_units(text: str, lo: str, hi: str) -> None:
    c = parse_claim(text)
    assert isinstance(c, Percent)
    assert (c.interval.lo, c.interval.hi) == (D(lo), D(hi))


def test_bounds() -> None:
    c = parse_claim("<0.001")
    assert isinstance(c, Bound) and c.op == "<" and c.interval.hi == D("0.001")
    assert c.interval.contains(0.0004) and not c.interval.contains(0.002)
    assert parse_claim("p \u2264 0.05") == Bound("p \u2264 0.05", "<=", D("0.05"))
    assert parse_claim(">0.05").interval.lo == D("0.05")


@pytest.mark.parametrize(("text", "count", "pct", "n"), [
    ("12 (75%)", 12, "75", None), ("3 (50.05%)", 3, "50.05", None), ("12(75%)", 12, "75", None),
    ("5/7 (71%)", 5, "71", 7), ("71% (5/7)", 5, "71", 7),
])
def test_count_with_percent(text: str, count: int, pct: str, n: int | None) -> None:
    c = parse_claim(text)
    assert isinstance(c, CountPercent)
    assert (c.count, c.percent.value, c.denominator) == (count, D(pct), n)


def test_median_with_range_and_ci_forms() -> None:
    m = parse_claim("57.9(48-69)")
    assert isinstance(m, MedianRange)
    assert (m.median.value, m.low.value, m.high.value) == (D("57.9"), D("48"), D("69"))
    for text in ("3.27 [2.34;4.56]", "3.27 (95% CI: 2.34-4.56)", "3.27 [2.34, 4.56]"):
        c = parse_claim(text)
        assert isinstance(c, EstimateCI), text
        assert (c.estimate.value, c.lower.value, c.upper.value) == (D("3.27"), D("2.34"),
                                                                   D("4.56"))
        assert not c.percent
    assert parse_claim("3.27 (95% CI: 2.34-4.56)").level == D("95")  # type: ignore[union-attr]
    assert isinstance(parse_claim("0.36 (0.27-0.47)", kind="ci"), EstimateCI)


def test_ci_with_negative_bounds_and_percent_signs() -> None:
    c = parse_claim("-1.2 (95% CI -2.3 to -0.1)")
    assert isinstance(c, EstimateCI)
    assert (c.lower.value, c.upper.value) == (D("-2.3"), D("-0.1"))
    p = parse_claim("39%, 95% CI: 16-61%")
    assert isinstance(p, EstimateCI) and p.percent
    assert parse_claim("0.31 [0.29\u20130.33]").upper.value == D("0.33")  # type: ignore[union-attr]


def test_not_reached() -> None:
    assert isinstance(parse_claim("NR"), NotReached)
    assert isinstance(parse_claim("not reached"), NotReached)
    for text in ("NE", "not estimable", "Not Estimable"):
        assert parse_claim(text) == NotReached(text)


@pytest.mark.parametrize(("text", "parts", "level"), [
    ("20.9 (95% CI: 15.1-NR)", ("20.9", "15.1", None), "95"),
    ("NR (95% CI: 15.1-NR)", (None, "15.1", None), "95"),
    ("NE (95% CI: NE-NE)", (None, None, None), "95"),
    ("20.9 [15.1; not reached]", ("20.9", "15.1", None), None),
    ("20.9 (95% CI 15.1 to not estimable)", ("20.9", "15.1", None), "95"),
    ("20.9 (95% CI: 15.1\u2013NR)", ("20.9", "15.1", None), "95"),
])
def test_a_ci_with_a_bound_not_reached_is_an_open_ci(text: str, parts: tuple[str | None, ...],
                                                     level: str | None) -> None:
    c = parse_claim(text)
    assert isinstance(c, OpenCI) and not isinstance(c, EstimateCI)
    assert tuple(None if isinstance(p, NotReached) else str(p.value) for p in c.parts) == parts
    assert c.level == (D(level) if level else None) and c.text == text


def test_an_open_bound_without_the_letters_ci_is_a_ci_only_where_the_path_says_so() -> None:
    assert isinstance(parse_claim("20.9 (15.1-NR)", kind="ci"), OpenCI)
    with pytest.raises(ClaimSyntaxError) as e:
        parse_claim("20.9 (15.1-NR)")  # a range's maximum is a number
    assert e.value.hint and "CI" in e.value.hint
    assert isinstance(parse_claim("57.9(48-69)"), MedianRange)  # numbers: still a range
    assert isinstance(parse_claim("3.27 (95% CI: 2.34-4.56)"), EstimateCI)  # and still a CI


def test_containment_is_exact_and_closed_at_ties() -> None:
    iv = parse_claim("56.3%").interval  # type: ignore[union-attr]
    assert iv.contains(Fraction(900, 16))  # 9/16 = 56.25% exactly: half-up prints 56.3
    assert iv.contains(Fraction(5635, 100))  # a tie at the top prints 56.3 rounding half-down
    assert not iv.contains(56.35)  # the double 56.35 is a little above 56.35: exact compare
    assert not iv.contains(Fraction(5625, 100) - Fraction(1, 10**9))


@pytest.mark.parametrize("bad", ["", "abc", "3 (", "1.2.3", "3.5 (75%)", "12 (75)"])
def test_unreadable_values_raise_a_claim_syntax_error_with_a_hint(bad: str) -> None:
    with pytest.raises(ClaimSyntaxError) as e:
        parse_claim(bad)
    assert e.value.text == bad


def test_a_yaml_float_is_refused_because_its_precision_is_lost() -> None:
    with pytest.raises(ClaimSyntaxError) as e:
        parse_claim(0.050)  # type: ignore[arg-type]
    assert e.value.hint and "quote" in e.value.hint
    assert parse_claim(12) == Number("12", D(12))


def test_importing_claims_imports_no_pandas_numpy_or_scipy() -> None:
    code = ("import sys, trialspec.claims; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
