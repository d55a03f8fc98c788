"""The clinical unit registry: the units protocols and lab data are written in, on top of pint.

A closed table of spellings (``_UNITS``) maps what users write (``mg/dL``, ``10^9/L``,
``x ULN``) to a pint expression over a small definitions file (``_PINT_DEFINITIONS``) that
holds only what clinical protocols need. pint supplies the dimensional analysis and the
conversion factors; this module supplies the spellings, the clinical conventions (a month is
365.25/12 days, ``x ULN`` is its own dimension, ``mg/kg`` is per kilogram of body weight) and
the analyte table for mass <-> molar conversion. docs/units.md documents all of it.

Start-up: importing this module imports no pint. The registry is built on first use
(about 0.12 s, most of it ``import pint``) and never imports numpy, scipy or pandas.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "ANALYTES", "Unit", "UnitError", "analyte_mass", "compatible", "dimension_name", "factor",
    "known_units", "parse_unit",
]


class UnitError(Exception):
    """A unit or analyte problem. ``str(e)`` is the message plus a hint; ``.unit`` the text.

    ``.code`` is the diagnostic code it maps to: TS302 unknown unit, TS303 dimension
    mismatch, TS310 unknown or missing analyte.
    """

    def __init__(self, message: str, *, unit: str | None = None, hint: str | None = None,
                 code: str = "TS302", suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(f"{message}; {hint}" if hint else message)
        self.message, self.unit, self.hint = message, unit, hint
        self.code, self.suggestions = code, suggestions


@dataclass(frozen=True)
class Unit:
    """A parsed unit: its canonical spelling and a stable dimension string."""

    text: str
    dimension: str


# Only what clinical protocols need. Base dimensions beyond SI: [uln] (multiples of the upper
# limit of normal) and [body_mass] (the "per kg" of a weight-based dose, so that mg/kg is not
# a dimensionless ratio comparable with %).
_PINT_DEFINITIONS = """
pico- = 1e-12 = p-
nano- = 1e-9 = n-
micro- = 1e-6 = u-
milli- = 1e-3 = m-
centi- = 1e-2 = c-
deci- = 1e-1 = d-
kilo- = 1e3 = k-
gram = [mass] = g
meter = [length] = m
second = [time] = s
mole = [substance] = mol
upper_limit_of_normal = [uln] = ULN
kilogram_of_body_weight = [body_mass] = kg_bw
liter = decimeter ** 3 = L
minute = 60 * second = min
hour = 60 * minute = h
day = 24 * hour = d
week = 7 * day
year = 365.25 * day
month = year / 12
percent = 0.01
katal = mole / second = kat
enzyme_unit = micromole / minute = U
millimeter_of_mercury = 133.322387415 * kilogram / meter / second ** 2 = mmHg
""".strip().splitlines()

# canonical spelling, pint expression, meaning, aliases. Aliases are other ways of writing the
# same unit; they parse to the canonical spelling. Lookup also ignores whitespace, reads
# µ/μ as u, ×/X as x, superscript digits as digits, a lower-case l as litre (mg/dl), and
# otherwise ignores case when that is unambiguous (MG/DL; but G/L is giga per litre).
_UNITS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("g/dL", "g/dL", "grams per decilitre", ()),
    ("mg/dL", "mg/dL", "milligrams per decilitre", ()),
    ("ug/dL", "ug/dL", "micrograms per decilitre", ("mcg/dL",)),
    ("g/L", "g/L", "grams per litre", ()),
    ("mg/L", "mg/L", "milligrams per litre", ()),
    ("ug/L", "ug/L", "micrograms per litre", ("mcg/L",)),
    ("mg/mL", "mg/mL", "milligrams per millilitre", ()),
    ("ug/mL", "ug/mL", "micrograms per millilitre", ("mcg/mL",)),
    ("ng/mL", "ng/mL", "nanograms per millilitre", ()),
    ("pg/mL", "pg/mL", "picograms per millilitre", ()),
    ("mol/L", "mol/L", "moles per litre", ()),
    ("mmol/L", "mmol/L", "millimoles per litre", ()),
    ("umol/L", "umol/L", "micromoles per litre", ()),
    ("nmol/L", "nmol/L", "nanomoles per litre", ()),
    ("pmol/L", "pmol/L", "picomoles per litre", ()),
    ("mg/24h", "mg/(24*h)", "milligrams per 24 hours (24-hour collection)",
     ("mg/24hr", "mg/24hrs")),
    ("g/24h", "g/(24*h)", "grams per 24 hours (24-hour collection)", ("g/24hr", "g/24hrs")),
    ("mmol/24h", "mmol/(24*h)", "millimoles per 24 hours (24-hour collection)",
     ("mmol/24hr",)),
    ("mg/day", "mg/d", "milligrams per day", ("mg/d",)),
    ("g/day", "g/d", "grams per day", ("g/d",)),
    ("10^9/L", "1e9/L", "10^9 cells (or particles) per litre",
     ("x10^9/L", "10^9 cells/L", "10*9/L", "10**9/L", "10E9/L", "G/L")),
    ("10^12/L", "1e12/L", "10^12 cells per litre",
     ("x10^12/L", "10*12/L", "10**12/L", "10E12/L", "T/L")),
    ("10^3/uL", "1e3/uL", "10^3 cells per microlitre",
     ("x10^3/uL", "10*3/uL", "10**3/uL", "10E3/uL", "K/uL")),
    ("10^6/uL", "1e6/uL", "10^6 cells per microlitre",
     ("x10^6/uL", "10*6/uL", "10**6/uL", "10E6/uL", "M/uL")),
    ("/uL", "1/uL", "cells per microlitre", ()),
    ("cells/uL", "1/uL", "cells per microlitre", ("cell/uL",)),
    ("/mm3", "1/mm**3", "cells per cubic millimetre (= per microlitre)", ()),
    ("cells/mm3", "1/mm**3", "cells per cubic millimetre (= per microlitre)", ("cell/mm3",)),
    ("U/L", "U/L", "enzyme units (umol/min) per litre", ("units/L",)),
    ("IU/L", "U/L", "international enzyme units per litre (= U/L)", ()),
    ("ukat/L", "ukat/L", "microkatals per litre (1 ukat/L = 60 U/L)", ()),
    ("x ULN", "ULN", "multiple of the upper limit of normal", ("ULN", "times ULN")),
    ("%", "percent", "percent (50% = 0.5)", ("percent",)),
    ("1", "1", "a plain number or ratio", ()),
    ("mg/m2", "mg/m**2", "milligrams per square metre of body surface area", ()),
    ("mg/kg", "mg/kg_bw", "milligrams per kilogram of body weight", ()),
    ("ug/kg", "ug/kg_bw", "micrograms per kilogram of body weight", ("mcg/kg",)),
    ("kg/m2", "kg/m**2", "kilograms per square metre (body mass index)", ()),
    ("mg", "mg", "milligrams", ()),
    ("g", "g", "grams", ()),
    ("kg", "kg", "kilograms", ()),
    ("ug", "ug", "micrograms", ("mcg",)),
    ("mL", "mL", "millilitres", ()),
    ("L", "L", "litres", ()),
    ("m2", "m**2", "square metres (body surface area)", ("m^2",)),
    ("cm", "cm", "centimetres", ()),
    ("mL/min", "mL/min", "millilitres per minute (e.g. creatinine clearance)", ()),
    ("mL/min/1.73m2", "mL/min/(1.73*m**2)",
     "millilitres per minute per 1.73 m2 body surface area (eGFR)", ("mL/min/1.73m^2",)),
    ("mmHg", "mmHg", "millimetres of mercury (133.322387415 Pa)", ()),
    ("/min", "1/min", "per minute (heart or respiratory rate)",
     ("bpm", "beats/min", "breaths/min")),
    ("years", "year", "years of 365.25 days", ("year", "yr", "yrs")),
    ("months", "month", "months of 365.25/12 = 30.4375 days", ("month",)),
    ("weeks", "week", "weeks of 7 days", ("week", "wk", "wks")),
    ("days", "day", "days", ("day", "d")),
    ("hours", "hour", "hours", ("hour", "h", "hr", "hrs")),
    ("minutes", "minute", "minutes", ("minute", "min")),
    ("ms", "ms", "milliseconds (e.g. QTc)", ("msec",)),
)

# Human words for the dimension strings of registered units (dimension_name falls back to the
# dimension string itself for anything else).
_DIMENSION_NAMES = {
    "[mass]/[length]^3": "mass concentration", "[mass]/[time]": "mass rate",
    "[substance]/[length]^3": "substance concentration", "[substance]/[time]": "substance rate",
    "1/[length]^3": "count concentration", "[substance]/[length]^3/[time]":
    "catalytic concentration", "uln": "multiple of ULN", "dimensionless": "ratio",
    "[mass]/[length]^2": "mass per area", "[mass]/[body_mass]": "mass per body weight",
    "[mass]": "mass", "[length]^3": "volume", "[length]^2": "area", "[length]": "length",
    "[length]^3/[time]": "volume rate", "[length]/[time]": "volume rate per area",
    "[mass]/[length]/[time]^2": "pressure", "1/[time]": "frequency", "[time]": "time",
}
_DIM_ORDER = ("[mass]", "[substance]", "[uln]", "[length]", "[time]", "[body_mass]")

# Molar masses in g/mol, for mass <-> molar conversion (mg/dL <-> umol/L): the PubChem formula
# weighed with IUPAC standard atomic weights (C 12.0107, H 1.00794, N 14.0067, O 15.9994),
# rounded as clinical SI conversion tables round it. Each gives the factor those tables print
# (Young DS, Ann Intern Med 1987;106:114-129; AMA Manual of Style SI table), and
# tests/test_units.py checks it. Left out on purpose (see docs/units.md): urea nitrogen/BUN,
# triglycerides, albumin and other proteins, mEq.
ANALYTES: Mapping[str, float] = MappingProxyType({
    "bilirubin": 584.66,    # C33H36N4O6; mg/dL x 17.1 = umol/L
    "creatinine": 113.12,   # C4H7N3O; mg/dL x 88.4 = umol/L
    "calcium": 40.08,       # Ca 40.078; mg/dL x 0.2495 = mmol/L
    "glucose": 180.16,      # C6H12O6; mg/dL x 0.0555 = mmol/L
    "urea": 60.06,          # CH4N2O; mg/dL x 0.1665 = mmol/L
    "uric_acid": 168.11,    # C5H4N4O3; mg/dL x 59.48 = umol/L
    "cholesterol": 386.65,  # C27H46O; mg/dL x 0.02586 = mmol/L
    "magnesium": 24.305,    # Mg; mg/dL x 0.4114 = mmol/L
    "phosphorus": 30.974,   # P (inorganic phosphate reported as P); mg/dL x 0.3229 = mmol/L
    "iron": 55.845,         # Fe; ug/dL x 0.1791 = umol/L
})
_ANALYTE_ALIASES = {"urate": "uric_acid", "phosphate": "phosphorus", "total_bilirubin": "bilirubin"}


def known_units() -> list[str]:
    """The registered canonical spellings, in table order (aliases: see docs/units.md)."""
    return [row[0] for row in _UNITS]


# ---------------------------------------------------------------------------------------
# Spelling lookup (pure Python, no pint)

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_LITRE = re.compile(r"(?<![A-Za-z])([munpd]?)l(?![A-Za-z])")


def _key(text: str) -> str:
    """The lookup key: no whitespace, ASCII micro, 'x' for times, plain digits."""
    text = re.sub(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", r"10^\1", text).translate(_SUPERSCRIPTS)
    text = text.replace("µ", "u").replace("μ", "u").replace("×", "x").replace("·", "*")
    return "".join(text.split())


@functools.cache
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """(key -> canonical, casefolded key -> canonical where the fold is unambiguous)."""
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for canonical, _expr, _meaning, aliases in _UNITS:
        for spelling in (canonical, *aliases):
            key = _key(spelling)
            if exact.setdefault(key, canonical) != canonical:
                raise RuntimeError(f"unit spelling {spelling!r} registered twice")
            folded.setdefault(key.casefold(), set()).add(canonical)
    unique = {k: next(iter(v)) for k, v in folded.items() if len(v) == 1}
    return exact, unique


def _lookup(text: str) -> str | None:
    exact, folded = _index()
    key = _key(text)
    for candidate in (key, _LITRE.sub(r"\1L", key)):
        if candidate in exact:
            return exact[candidate]
    return folded.get(key.casefold())


def _suggest(text: str, choices: list[str]) -> tuple[str, ...]:
    import difflib

    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(text.casefold()[:64], list(by_fold), n=3, cutoff=0.6)
    return tuple(dict.fromkeys(by_fold[c] for c in close))


def _did_you_mean(suggestions: tuple[str, ...], fallback: str) -> str:
    if not suggestions:
        return fallback
    return "did you mean " + " or ".join(repr(s) for s in suggestions) + "?"


# ---------------------------------------------------------------------------------------
# The pint registry, built on first use

_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


def _import_pint() -> Any:
    """Import pint without letting it import numpy and scipy.

    pint/compat.py probes ``import numpy`` and ``import scipy`` at import time, only to support
    array quantities. trialspec converts scalars here (arrays are multiplied by ``factor()``),
    so the probes would cost ~50 ms and a scipy import in ``trialspec lint`` for nothing. A
    ``None`` entry in sys.modules makes the probe raise ImportError, which pint handles; the
    entries are removed straight after, so numpy and scipy import normally later. If pint or
    numpy/scipy are already imported this changes nothing. (A thread importing numpy during
    these few milliseconds would fail; the CLI imports pint before it starts any thread.)
    """
    if "pint" in sys.modules:
        return sys.modules["pint"]
    blocked = [name for name in ("numpy", "scipy") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import pint
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
    return pint


def _registry() -> Any:
    registry = _STATE.get("registry")
    if registry is None:
        with _LOCK:
            registry = _STATE.get("registry")
            if registry is None:
                pint = _import_pint()
                registry = pint.UnitRegistry(None, on_redefinition="raise")
                registry.load_definitions(_PINT_DEFINITIONS)
                _STATE["registry"] = registry
    return registry


_EXPRESSIONS = {row[0]: row[1] for row in _UNITS}


@functools.cache
def _quantity(canonical: str) -> Any:
    """The pint quantity one `canonical` unit is worth (e.g. 10^9/L -> 1e9 / liter)."""
    registry = _registry()
    value = registry.parse_expression(_EXPRESSIONS[canonical])
    return value if isinstance(value, registry.Quantity) else registry.Quantity(value)


@functools.cache
def _dims(canonical: str) -> Mapping[str, int]:
    dims = _quantity(canonical).dimensionality.items()
    return MappingProxyType({dim: int(exp) for dim, exp in dims if exp})


def _format_dims(dims: Mapping[str, int]) -> str:
    if not dims:
        return "dimensionless"
    if dict(dims) == {"[uln]": 1}:
        return "uln"
    order = sorted(dims, key=lambda d: (_DIM_ORDER.index(d) if d in _DIM_ORDER else 99, d))

    def power(dim: str, exp: int) -> str:
        return dim if exp == 1 else f"{dim}^{exp}"

    top = "*".join(power(d, dims[d]) for d in order if dims[d] > 0) or "1"
    return top + "".join("/" + power(d, -dims[d]) for d in order if dims[d] < 0)


# ---------------------------------------------------------------------------------------
# Public API


def parse_unit(text: str) -> Unit:
    """Parse a unit as users write it into its canonical :class:`Unit`.

    Raises UnitError (code TS302) with did-you-mean suggestions for an unknown unit.
    """
    if not isinstance(text, str):
        raise UnitError(f"a unit must be text, not {type(text).__name__}", unit=repr(text))
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Unit:
    if not text.strip():
        raise UnitError("empty unit", unit=text, hint="write a unit such as 'mg/dL'")
    canonical = _lookup(text)
    if canonical is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        exact, _folded = _index()
        suggestions = tuple(dict.fromkeys(
            exact[_key(s)] for s in _suggest(_key(text), list(exact))))
        raise UnitError(f"unknown unit {shown!r}", unit=text, suggestions=suggestions,
                        hint=_did_you_mean(suggestions, "docs/units.md lists the known units"))
    return Unit(canonical, _format_dims(_dims(canonical)))


def dimension_name(u: Unit) -> str:
    """The dimension in words: 'mass concentration', 'time', 'multiple of ULN', ..."""
    return _DIMENSION_NAMES.get(u.dimension, u.dimension)


def _analyte_key(name: str) -> str | None:
    key = "_".join(name.strip().casefold().replace("-", " ").split())
    key = _ANALYTE_ALIASES.get(key, key)
    return key if key in ANALYTES else None


def analyte_mass(name: str) -> float:
    """The molar mass of `name` in g/mol; UnitError (code TS310) with did-you-mean if unknown."""
    key = _analyte_key(name) if isinstance(name, str) else None
    if key is None:
        suggestions = _suggest(str(name), [*ANALYTES, *_ANALYTE_ALIASES])
        known = ", ".join(ANALYTES)
        raise UnitError(f"unknown analyte {name!r}", code="TS310", suggestions=suggestions,
                        hint=_did_you_mean(suggestions, f"known analytes: {known}"))
    return ANALYTES[key]


def _unit(u: Unit | str) -> str:
    """The canonical spelling of `u` (a Unit, or a spelling, which is parsed)."""
    return parse_unit(u.text if isinstance(u, Unit) else u).text


def _molar_direction(src: str, dst: str) -> int:
    """+1 if src is dst with mass for substance (mg/dL -> umol/L), -1 for the reverse, else 0."""
    a, b = _dims(src), _dims(dst)
    ratio = {d: a.get(d, 0) - b.get(d, 0) for d in {*a, *b}}
    ratio = {d: e for d, e in ratio.items() if e}
    if ratio == {"[mass]": 1, "[substance]": -1}:
        return 1
    if ratio == {"[mass]": -1, "[substance]": 1}:
        return -1
    return 0


def compatible(a: Unit, b: Unit, analyte: str | None = None) -> bool:
    """Whether a value in `a` can be converted to `b`: same dimension, or mass <-> molar
    (mg/dL <-> umol/L) with a known `analyte`. Never raises for registered units."""
    sa, sb = _unit(a), _unit(b)
    if _dims(sa) == _dims(sb):
        return True
    return (_molar_direction(sa, sb) != 0 and isinstance(analyte, str)
            and _analyte_key(analyte) is not None)


@functools.lru_cache(maxsize=4096)
def factor(src: Unit, dst: Unit, analyte: str | None = None) -> float:
    """The number to multiply a value in `src` by to get it in `dst`.

    `analyte` is needed (and only used) for mass <-> molar conversion. Raises UnitError: TS303
    if the dimensions differ (the message names both), TS310 if the analyte is missing or
    unknown. Factors are rounded to 15 significant digits, which drops float noise from
    chained prefixes (0.5 g/dL is exactly 5000 mg/L) and keeps about 1e-15 relative accuracy.
    """
    s, d = _unit(src), _unit(dst)
    qs, qd = _quantity(s), _quantity(d)
    if _dims(s) != _dims(d):
        direction = _molar_direction(s, d)
        us, ud = parse_unit(s), parse_unit(d)
        what = (f"cannot convert {s} ({dimension_name(us)}, {us.dimension}) to {d} "
                f"({dimension_name(ud)}, {ud.dimension})")
        if direction == 0:
            raise UnitError(what, unit=s, code="TS303",
                            hint="use a unit of the same dimension")
        if analyte is None:
            raise UnitError(what + " without an analyte", unit=s, code="TS310",
                            hint="mass <-> molar conversion needs the analyte's molar mass: "
                                 "name it (analyte: bilirubin)")
        molar = _registry().Quantity(analyte_mass(analyte), "g/mol")
        qs = qs / molar if direction == 1 else qs * molar
    value = float(qs.to(qd.units).magnitude / qd.magnitude)
    return float(f"{value:.15g}")
