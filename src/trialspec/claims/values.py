"""Reported values: a printed number is a claim with the precision it was printed with.

``parse_claim("0.047")`` keeps the string's own digits (``decimal.Decimal``, never a float), so
the claim knows it allows 0.0465 <= x <= 0.0475. See docs/claims.md for the syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction

INF = Decimal("Infinity")

Real = float | int | Fraction | Decimal


@dataclass(frozen=True, slots=True)
class Interval:
    """The values a printed number allows: nominally [lo, hi); see :meth:`contains`."""

    lo: Decimal
    hi: Decimal

    def contains(self, x: Real) -> bool:
        """Closed membership: a tie on a bound prints either way under half-up, half-even
        or half-down rounding, so it is never held against the printer."""
        return self.lo <= _exact(x) <= self.hi

    def overlaps(self, lo: Real, hi: Real) -> bool:
        """Whether [lo, hi] and this interval share a point."""
        return _exact(lo) <= self.hi and self.lo <= _exact(hi)

    def scaled(self, factor: Decimal) -> Interval:
        a, b = self.lo * factor, self.hi * factor
        return Interval(min(a, b), max(a, b))

    def __str__(self) -> str:
        return f"[{self.lo}, {self.hi}]"


def _exact(x: Real) -> Decimal | Fraction:
    if isinstance(x, float) and x != x:
        raise ValueError("NaN is not a value a claim can be compared with")
    if isinstance(x, Fraction):
        return x  # Decimal and Fraction compare exactly with each other
    return x if isinstance(x, Decimal) else Decimal(x)  # Decimal(float) is exact too


@dataclass(frozen=True, slots=True)
class Number:
    """A number as printed, e.g. ``0.047``: its value and the interval its rounding allows."""

    text: str
    value: Decimal

    @property
    def decimals(self) -> int:
        exponent = self.value.as_tuple().exponent
        assert isinstance(exponent, int)
        return -exponent

    @property
    def half_unit(self) -> Decimal:
        """Half a unit in the last printed place: 0.0005 for ``0.047``, 0.5 for ``75``."""
        return Decimal(5).scaleb(-self.decimals - 1)

    @property
    def interval(self) -> Interval:
        return Interval(self.value - self.half_unit, self.value + self.half_unit)

    @property
    def is_integer(self) -> bool:
        return self.decimals <= 0 and self.value == self.value.to_integral_value()


@dataclass(frozen=True, slots=True)
class Bound:
    """A printed inequality, e.g. ``<0.001``: no rounding, only a side."""

    text: str
    op: str  # one of < <= > >=
    value: Decimal

    @property
    def interval(self) -> Interval:
        return Interval(-INF, self.value) if self.op in ("<", "<=") else Interval(self.value, INF)


@dataclass(frozen=True, slots=True)
class Percent:
    """A printed percentage, e.g. ``75%``; its interval is in percent units."""

    text: str
    number: Number

    @property
    def value(self) -> Decimal:
        return self.number.value

    @property
    def interval(self) -> Interval:
        return self.number.interval


@dataclass(frozen=True, slots=True)
class CountPercent:
    """A count with its percentage, ``12 (75%)``, or with its denominator, ``5/7 (71%)``."""

    text: str
    count: int
    percent: Percent
    denominator: int | None = None


@dataclass(frozen=True, slots=True)
class MedianRange:
    """A value with a printed range, ``57.9(48-69)``: a median with its minimum and maximum."""

    text: str
    median: Number
    low: Number
    high: Number


@dataclass(frozen=True, slots=True)
class EstimateCI:
    """An estimate with its confidence interval, ``3.27 [2.34;4.56]``."""

    text: str
    estimate: Number
    lower: Number
    upper: Number
    level: Decimal | None = None  # in percent (95), when printed
    percent: bool = False  # printed with % signs


@dataclass(frozen=True, slots=True)
class NotReached:
    """A median, or a bound of its CI, printed as not reached or not estimable (``NR``,
    ``not reached``, ``NE``, ``not estimable``): no number, and no rounding."""

    text: str


@dataclass(frozen=True, slots=True)
class OpenCI:
    """An estimate with its CI where some part is not reached: ``20.9 (95% CI: 15.1-NR)``,
    ``NR (95% CI: 15.1-NR)``. It is not an :class:`EstimateCI` (whose parts are all numbers),
    so code that needs both bounds of a CI (pooling, the centre of a CI) never meets it; an
    open part matches only a bound that is infinite or undefined."""

    text: str
    estimate: Number | NotReached
    lower: Number | NotReached
    upper: Number | NotReached
    level: Decimal | None = None  # in percent (95), when printed
    percent: bool = False  # printed with % signs

    @property
    def parts(self) -> tuple[Number | NotReached, Number | NotReached, Number | NotReached]:
        return self.estimate, self.lower, self.upper


Claim = Number | Bound | Percent | CountPercent | MedianRange | EstimateCI | OpenCI | NotReached


class ClaimSyntaxError(ValueError):
    """A reported value that is none of the printed forms trialspec reads."""

    def __init__(self, text: str, message: str, hint: str | None = None):
        self.text, self.message, self.hint = text, message, hint
        super().__init__(f"{message}: {text!r}")


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_OPEN = r"(?:NR|NE|not\s+reached|not\s+estimable)"  # a median or CI bound with no number
_VAL = rf"(?:{_NUM}|{_OPEN})"  # a part of a CI: a number, or open
_SEP = r"\s*(?:;|,|-|~|\bto\b)\s*"
_P = r"(?:[pP]\s*(?:=\s*)?)?"  # an optional "p =" or "P" before a p-value
_LEVEL = r"(?:(?P<level>\d+(?:\.\d+)?)\s*%\s*)?CI\s*:?\s*"
_PCT = r"\s*%"

_TRANSLATE = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\uff05": "%",
                            "\u2264": "\x01", "\u2265": "\x02", "\uff08": "(", "\uff09": ")"})


def _n(s: str) -> Number:
    return Number(s, Decimal(s))


def _pct(s: str) -> Percent:
    return Percent(s + "%", _n(s))


def _count(s: str) -> int:
    d = Decimal(s)
    if d != d.to_integral_value() or d < 0:
        raise ValueError(f"a count must be a whole number, not {s}")
    return int(d)


def _part(s: str) -> Number | NotReached:
    return NotReached(s) if re.fullmatch(_OPEN, s, re.IGNORECASE) else _n(s)


def _ci(m: re.Match[str]) -> EstimateCI | OpenCI:
    level = m.groupdict().get("level")
    est, lo, hi = _part(m["est"]), _part(m["lo"]), _part(m["hi"])
    lv, pct = Decimal(level) if level else None, m.groupdict().get("pct") is not None
    if isinstance(est, Number) and isinstance(lo, Number) and isinstance(hi, Number):
        return EstimateCI(m.string, est, lo, hi, lv, percent=pct)
    return OpenCI(m.string, est, lo, hi, lv, percent=pct)


def _range(m: re.Match[str]) -> MedianRange | OpenCI:
    """``est (lo-hi)``: a median with its range, or (open) a CI; see :func:`parse_claim`."""
    ci = _ci(m)
    return MedianRange(m.string, ci.estimate, ci.lower, ci.upper) if isinstance(ci, EstimateCI) else ci


def _bound(m: re.Match[str]) -> Bound:
    op = m["op"].replace("\x01", "<=").replace("\x02", ">=")
    return Bound(m.string, op, Decimal(m["v"]))


# (pattern, builder): the first full match wins. Order matters where forms share a prefix.
_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Claim]], ...] = tuple(
    (re.compile(rf"\s*{pattern}\s*", re.IGNORECASE), build) for pattern, build in (
        (_OPEN, lambda m: NotReached(m.string)),
        (rf"{_P}(?P<op><=|>=|<|>|\x01|\x02)\s*(?P<v>{_NUM})", _bound),
        (rf"{_P}(?P<v>{_NUM})", lambda m: Number(m.string, Decimal(m["v"]))),
        (rf"(?P<v>{_NUM}){_PCT}", lambda m: Percent(m.string, _n(m["v"]))),
        (rf"(?P<k>{_NUM})\s*\(\s*(?P<v>{_NUM}){_PCT}\s*\)",
         lambda m: CountPercent(m.string, _count(m["k"]), _pct(m["v"]))),
        (rf"(?P<k>{_NUM})\s*/\s*(?P<n>{_NUM})\s*\(\s*(?P<v>{_NUM}){_PCT}\s*\)",
         lambda m: CountPercent(m.string, _count(m["k"]), _pct(m["v"]), _count(m["n"]))),
        (rf"(?P<v>{_NUM}){_PCT}\s*\(\s*(?P<k>{_NUM})\s*/\s*(?P<n>{_NUM})\s*\)",
         lambda m: CountPercent(m.string, _count(m["k"]), _pct(m["v"]), _count(m["n"]))),
        (rf"(?P<est>{_VAL})(?P<pct>{_PCT})?\s*\[\s*(?:{_LEVEL})?(?P<lo>{_VAL})(?:{_PCT})?{_SEP}"
         rf"(?P<hi>{_VAL})(?:{_PCT})?\s*\]", _ci),
        (rf"(?P<est>{_VAL})(?P<pct>{_PCT})?\s*[(,]\s*{_LEVEL}(?P<lo>{_VAL})(?:{_PCT})?{_SEP}"
         rf"(?P<hi>{_VAL})(?:{_PCT})?\s*\)?", _ci),
        (rf"(?P<est>{_VAL})\s*\(\s*(?P<lo>{_VAL}){_SEP}(?P<hi>{_VAL})\s*\)", _range),
    )
)
_RANGE = _FORMS[-1][0]  # est (lo-hi), with no "CI": a range unless kind="ci"


def parse_claim(text: str | int, kind: str | None = None) -> Claim:
    """Read one printed value. ``kind="ci"`` reads ``est (lo-hi)`` as a CI, not a range."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ClaimSyntaxError(str(text), "a reported value must be the string it was printed as",
                               'quote it in the protocol, e.g. "0.050" rather than 0.050')
    if isinstance(text, int):
        text = str(text)
    clean = text.translate(_TRANSLATE)
    for pattern, build in _FORMS:
        m = pattern.fullmatch(clean)
        if m is None:
            continue
        try:
            claim = build(m)
        except (ValueError, InvalidOperation) as e:
            raise ClaimSyntaxError(text, str(e)) from None
        if pattern is _RANGE and isinstance(claim, OpenCI) and kind != "ci":
            raise ClaimSyntaxError(text, "a range's minimum and maximum are numbers; only a CI "
                                   "can have a bound that is not reached",
                                   'write the letters CI, e.g. "20.9 (95% CI: 15.1-NR)"')
        claim = _restore_text(claim, text)
        if kind == "ci" and isinstance(claim, MedianRange):
            return EstimateCI(text, claim.median, claim.low, claim.high)
        return claim
    raise ClaimSyntaxError(
        text, "not a reported value trialspec can read",
        'write it as printed: "0.047", "<0.001", "75%", "12 (75%)", "57.9(48-69)", '
        '"3.27 [2.34;4.56]", "3.27 (95% CI: 2.34-4.56)", "NR" or "20.9 (95% CI: 15.1-NR)"')


def _restore_text(claim: Claim, text: str) -> Claim:
    """Keep the user's own string (before Unicode normalisation) on the outer claim."""
    return replace(claim, text=text)


def as_claim(value: str | int | Claim) -> Claim:
    """A claim from its printed string, or the claim itself."""
    return value if isinstance(value, _CLAIM_TYPES) else parse_claim(value)


def as_estimate_ci(value: str | Claim, what: str = "the value") -> EstimateCI:
    """An estimate with its CI, from its printed string or the claim itself."""
    c = as_claim(value)
    if not isinstance(c, EstimateCI):
        raise TypeError(f"{what} must be an estimate with a CI, not {c.text!r}")
    return c


_CLAIM_TYPES = (Number, Bound, Percent, CountPercent, MedianRange, EstimateCI, OpenCI, NotReached)


def interval_of(claim: Claim) -> Interval:
    """The interval of a single-valued claim (a number, bound or percentage)."""
    if isinstance(claim, Number | Bound | Percent):
        return claim.interval
    raise TypeError(f"{type(claim).__name__} {claim.text!r} is not a single value")
