"""The clinical unit registry: the units protocols and lab data are written in, on top of pint.

A closed table of spellings (``_UNITS``) maps what users write (``mg/dL``, ``10^9/L``,
``x ULN``) to a pint expression over a small definitions file (``_PINT_DEFINITIONS``) that
holds only what clinical protocols need. pint supplies the dimensional analysis and the
conversion factors; this module supplies the spellings, the clinical conventions (a month is
365.25/12 days, ``x ULN`` is its own dimension, ``mg/kg`` is per kilogram of body weight) and
the analyte table for mass <-> molar conversion. docs/units.md documents all of it.

Start-up: importing this module imports no pint. Registered units are read, checked and
converted from their sizes in base units (``unit_scale.py``, written from pint and checked
against it by the tests), so most protocols never build the registry; it is built on first
use by a derived unit (0.15-0.2 s, most of it ``import pint``) and never imports numpy, scipy
or pandas.
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

from trialspec.unit_scale import SCALE

__all__ = [
    "ANALYTES", "Product", "Unit", "UnitError", "analyte_mass", "combine", "compatible",
    "dimension_name", "factor", "known_units", "parse_unit", "resolve",
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
    """A parsed unit: its canonical spelling and a stable dimension string.

    A *derived* unit (the unit of a computed product or quotient whose dimension no registered
    unit has, e.g. ``kg/cm`` for ``weight / height``) is a Unit too; see :func:`combine`.
    """

    text: str
    dimension: str


@dataclass(frozen=True)
class Product:
    """The unit of a product or quotient, as :func:`combine` works it out.

    The computed number ``a * b`` (or ``a / b``), with ``a`` and ``b`` in their own units, is in
    ``raw``; multiplied by ``factor`` it is in ``unit``. ``None`` is a plain number.
    """

    unit: Unit | None
    factor: float
    raw: Unit | None


# Only what clinical protocols need. Base dimensions beyond SI: [uln] (multiples of the upper
# limit of normal) and [body_mass] (the "per kg" of a weight-based dose, so that mg/kg is not
# a dimensionless ratio comparable with %).
_PINT_DEFINITIONS = """
femto- = 1e-15 = f-
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
dosage_unit = [dosage_unit] = tablet
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
degree_celsius = [temperature_celsius] = degC
degree_fahrenheit = [temperature_fahrenheit] = degF
equivalent = [equivalent] = Eq
hba1c_ifcc_unit = [hba1c_ifcc] = mmol_per_mol_hba1c
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
     ("x10^9/L", "10^9 cells/L", "10*9/L", "10**9/L", "10E9/L", "G/L", "GI/L")),
    ("10^12/L", "1e12/L", "10^12 cells per litre",
     ("x10^12/L", "10*12/L", "10**12/L", "10E12/L", "T/L", "TI/L")),
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
    ("mU/L", "mU/L", "milli-units per litre (e.g. TSH; = mIU/L = uIU/mL)",
     ("mIU/L", "uIU/mL", "uU/mL", "mcIU/mL")),
    ("kU/L", "kU/L", "kilo-units per litre (e.g. IgE; = kIU/L = IU/mL)", ("kIU/L", "IU/mL", "U/mL")),
    ("mEq/L", "mEq/L", "milliequivalents per litre (not converted to mmol/L: that needs the ion's "
     "charge)", ("meq/L",)),
    ("mmol/mol", "mmol_per_mol_hba1c", "HbA1c in IFCC units (not converted to %: the relation "
     "is affine)", ()),
    ("fL", "fL", "femtolitres (mean corpuscular volume)", ("um3", "fl")),
    ("pg", "pg", "picograms (mean corpuscular haemoglobin)", ()),
    ("fmol", "fmol", "femtomoles (mean corpuscular haemoglobin as iron, CDISC fmol(Fe))",
     ("fmol(Fe)",)),
    ("ng/dL", "ng/dL", "nanograms per decilitre", ()),
    ("pg/L", "pg/L", "picograms per litre", ()),
    ("ukat/L", "ukat/L", "microkatals per litre (1 ukat/L = 60 U/L)", ()),
    ("x ULN", "ULN", "multiple of the upper limit of normal", ("ULN", "times ULN")),
    ("%", "percent", "percent (50% = 0.5)", ("percent",)),
    ("1", "1", "a plain number or ratio", ()),
    ("mg/m2", "mg/m**2", "milligrams per square metre of body surface area", ()),
    ("mg/kg", "mg/kg_bw", "milligrams per kilogram of body weight", ()),
    ("ug/kg", "ug/kg_bw", "micrograms per kilogram of body weight", ("mcg/kg",)),
    ("kg/m2", "kg/m**2", "kilograms per square metre (body mass index)", ()),
    ("tablet", "tablet", "dosage units (a tablet or capsule, e.g. of a matching placebo)",
     ("tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps", "patch", "patches")),
    ("mg", "mg", "milligrams", ()),
    ("g", "g", "grams", ()),
    ("kg", "kg", "kilograms", ()),
    ("ug", "ug", "micrograms", ("mcg",)),
    ("mL", "mL", "millilitres", ()),
    ("L", "L", "litres", ()),
    ("m2", "m**2", "square metres (body surface area)", ("m^2",)),
    ("cm", "cm", "centimetres", ()),
    ("C", "degC", "degrees Celsius (not converted to F: the relation is affine)", ("degC", "°C")),
    ("F", "degF", "degrees Fahrenheit (not converted to C: the relation is affine)", ("degF", "°F")),
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
    "[dosage_unit]": "dosage units",
    "[mass]/[length]^2": "mass per area", "[mass]/[body_mass]": "mass per body weight",
    "[mass]": "mass", "[length]^3": "volume", "[length]^2": "area", "[length]": "length",
    "[length]^3/[time]": "volume rate", "[length]/[time]": "volume rate per area",
    "[mass]/[length]/[time]^2": "pressure", "1/[time]": "frequency", "[time]": "time",
    "[substance]": "amount of substance", "[temperature_celsius]": "temperature (Celsius)",
    "[temperature_fahrenheit]": "temperature (Fahrenheit)",
    "[equivalent]/[length]^3": "equivalent concentration", "[hba1c_ifcc]": "HbA1c (IFCC)",
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
    # haemoglobin as its iron-carrying monomer (CDISC reports HGB in mmol/L, MCH in fmol(Fe)):
    # 64458 g/mol / 4 = 16114.5 g/mol; g/dL x 0.6206 = mmol/L, pg x 0.06206 = fmol
    "hemoglobin": 16114.5,
})
_ANALYTE_ALIASES = {"urate": "uric_acid", "phosphate": "phosphorus", "total_bilirubin": "bilirubin",
                    "haemoglobin": "hemoglobin"}


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
    """The pint quantity one `canonical` unit is worth (e.g. 10^9/L -> 1e9 / liter).

    `canonical` may also be a derived spelling (``kg/cm^2``): the product of its terms."""
    registry = _registry()
    if canonical not in _EXPRESSIONS:
        terms = _derived_terms(canonical)
        if terms is None:
            raise KeyError(canonical)
        value = registry.Quantity(1)
        for term, exp in terms:
            value = value * _quantity(term) ** exp
        return value
    value = registry.parse_expression(_EXPRESSIONS[canonical])
    return value if isinstance(value, registry.Quantity) else registry.Quantity(value)


@functools.cache
def _dims(canonical: str) -> Mapping[str, int]:
    row = SCALE.get(canonical)
    if row is not None:  # a registered unit: from the table pint computed (unit_scale.py)
        return MappingProxyType(dict(row[1]))
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


def _describe(u: Unit) -> str:
    """The dimension in words and as a string: 'mass rate, [mass]/[time]'."""
    name = dimension_name(u)
    return u.dimension if name == u.dimension else f"{name}, {u.dimension}"


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
    """The canonical spelling of `u` (a Unit, or a spelling, which is resolved)."""
    return resolve(u).text


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
    chained prefixes (0.5 g/dL is exactly 5000 mg/L) and keeps about 1e-15 relative accuracy;
    between registered units they are computed exactly first (``unit_scale.py``), so the
    rounding is correct, and pint is not needed.
    """
    s, d = _unit(src), _unit(dst)
    direction, mass = 0, 1.0
    if _dims(s) != _dims(d):
        direction = _molar_direction(s, d)
        us, ud = resolve(s), resolve(d)
        what = f"cannot convert {s} ({_describe(us)}) to {d} ({_describe(ud)})"
        if direction == 0:
            raise UnitError(what, unit=s, code="TS303",
                            hint="use a unit of the same dimension")
        if analyte is None:
            raise UnitError(what + " without an analyte", unit=s, code="TS310",
                            hint="mass <-> molar conversion needs the analyte's molar mass: "
                                 "name it (analyte: bilirubin)")
        mass = analyte_mass(analyte)
    if s in SCALE and d in SCALE:  # registered units: exact, from their sizes in base units
        from decimal import Decimal
        from fractions import Fraction

        exact = Fraction(*SCALE[s][0]) / Fraction(*SCALE[d][0])
        molar = Fraction(str(mass))
        exact = exact / molar if direction == 1 else exact * molar if direction == -1 else exact
        return float(f"{Decimal(exact.numerator) / Decimal(exact.denominator):.15g}")
    qs, qd = _quantity(s), _quantity(d)
    if direction:
        molar = _registry().Quantity(mass, "g/mol")
        qs = qs / molar if direction == 1 else qs * molar
    value = float(qs.to(qd.units).magnitude / qd.magnitude)
    return float(f"{value:.15g}")


# ---------------------------------------------------------------------------------------
# Products and quotients: derived units
#
# The unit of `weight / height` (kg, cm) is kg/cm, which no registered unit is. Such a
# *derived* unit is a product of powers of registered units, spelled with their canonical
# spellings joined by `*` and `/`: `kg/cm`, `kg*cm`, `1/cm`, `kg/cm^2`; a spelling that holds
# an operator or a space is parenthesised, `(10^9/L)*mL`. Derived spellings are never accepted
# in a protocol (`parse_unit` keeps to the registry); they are the types of computed values,
# made by `combine` and read back by `resolve`.

_TERM = re.compile(r"\(([^()]+)\)|([^()*/^\s]+)")
_EXPONENT = re.compile(r"\^(\d+)")
_BARE_TERM = re.compile(r"[^()*/^\s]+")


def _term_text(canonical: str, bracket: bool = False) -> str:
    return canonical if _BARE_TERM.fullmatch(canonical) and not bracket else f"({canonical})"


def _derived_text(terms: tuple[tuple[str, int], ...], bracket: bool = False) -> str:
    def power(term: str, exp: int) -> str:
        text = _term_text(term, bracket)
        return text if exp == 1 else f"{text}^{exp}"

    top = "*".join(power(t, e) for t, e in terms if e > 0) or "1"
    return top + "".join("/" + power(t, -e) for t, e in terms if e < 0)


@functools.lru_cache(maxsize=1024)
def _derived_terms(text: str) -> tuple[tuple[str, int], ...] | None:
    """The (registered canonical spelling, exponent) terms of a derived spelling, or None."""
    terms: dict[str, int] = {}
    pos = 1 if text.startswith("1/") else _read_term(text, 0, 1, terms)
    while 0 <= pos < len(text):
        if text[pos] not in "*/":
            return None
        sign = -1 if text[pos] == "/" else 1
        pos = _read_term(text, pos + 1, sign, terms)
    if pos < 0 or not terms:
        return None
    return tuple((t, e) for t, e in terms.items() if e)


def _read_term(text: str, pos: int, sign: int, terms: dict[str, int]) -> int:
    """Read one term at ``pos`` into ``terms``; the position after it, or -1 if malformed."""
    m = _TERM.match(text, pos)
    if m is None:
        return -1
    name = m.group(1) or m.group(2)
    if name not in _EXPRESSIONS or name == "1":
        return -1
    pos = m.end()
    exp = 1
    e = _EXPONENT.match(text, pos)
    if e is not None:
        exp, pos = int(e.group(1)), e.end()
    if exp == 0:
        return -1
    terms[name] = terms.get(name, 0) + sign * exp
    return pos


def resolve(u: Unit | str) -> Unit:
    """A registered unit in any accepted spelling, or a derived unit as :func:`combine` spells it.

    For the types of computed values; protocol text goes through :func:`parse_unit`, which
    accepts registered units only. Raises UnitError (TS302) for anything else.
    """
    text = u.text if isinstance(u, Unit) else u
    if not isinstance(text, str):
        return parse_unit(text)
    if _lookup(text) is not None:
        return _parse(text)
    terms = _derived_terms(text)
    if terms is None:
        return parse_unit(text)  # raises the registry's TS302 with suggestions
    unit = _unit_of_terms(terms)
    return unit if unit is not None else _parse("1")


def _magnitude(q: Any) -> float:
    """The plain number a dimensionless quantity is worth, rounded like factor()."""
    return float(f"{float(q.to('dimensionless').magnitude):.15g}")


def _closest(quantity: Any, dims: Mapping[str, int], raw_text: str) -> tuple[str, float] | None:
    """The registered unit of dimension `dims` closest in scale to `quantity`, and the factor.

    Closest means the factor nearest 1 (kg/cm^2 is expressed in kg/m2, not mg/m2); among
    equals (mg/24h and mg/day), the spelling most like `raw_text`, then table order."""
    import difflib
    import math

    best: tuple[tuple[float, float, int], str, float] | None = None
    for index, (canonical, _expr, _meaning, _aliases) in enumerate(_UNITS):
        if dict(_dims(canonical)) != dict(dims):
            continue
        f = _magnitude(quantity / _quantity(canonical))
        if f <= 0:
            continue
        like = difflib.SequenceMatcher(None, raw_text, canonical).ratio()
        key = (round(abs(math.log10(f)), 9), -like, index)
        if best is None or key < best[0]:
            best = (key, canonical, f)
    return None if best is None else (best[1], best[2])


def _terms_of(text: str | None) -> tuple[tuple[str, int], ...]:
    if text is None:
        return ()
    unit = resolve(text)
    if unit.text == "1":
        return ()
    if unit.text in _EXPRESSIONS:
        return ((unit.text, 1),)
    terms = _derived_terms(unit.text)
    assert terms is not None
    return terms


def _unit_of_terms(terms: tuple[tuple[str, int], ...]) -> Unit | None:
    """The unit the terms spell: registered when they spell one (kg/m2), else derived."""
    if not terms:
        return None
    if len(terms) == 1 and terms[0][1] == 1:
        return _parse(terms[0][0])
    text = _derived_text(terms)
    registered = _lookup(text)
    if registered is not None:
        registry = _registry()
        value = registry.Quantity(1)
        for term, exp in terms:
            value = value * _quantity(term) ** exp
        same = _quantity(registered) / value
        if not same.dimensionality and _magnitude(same) == 1.0:
            return _parse(registered)
        text = _derived_text(terms, bracket=True)  # mg/kg is per body weight; (mg)/(kg) is not
    return Unit(text, _format_dims(_dims(text)))


def _merge_like_terms(terms: tuple[tuple[str, int], ...]) -> tuple[tuple[tuple[str, int], ...], float]:
    """Terms of one dimension folded into the first of them (kg*cm/m -> kg), and the factor."""
    kept: dict[str, int] = {}
    scale = 1.0
    for term, exp in terms:
        like = next((k for k in kept if dict(_dims(k)) == dict(_dims(term))), None)
        if like is None:
            kept[term] = kept.get(term, 0) + exp
            continue
        scale *= _magnitude(_quantity(term) / _quantity(like)) ** exp
        kept[like] += exp
    return tuple((t, e) for t, e in kept.items() if e), float(f"{scale:.15g}")


@functools.lru_cache(maxsize=1024)
def combine(a: str | None, op: str, b: str | None) -> Product:
    """The unit of ``a * b`` or ``a / b`` (``op``), for numbers in units `a` and `b`.

    ``None`` is a plain number. The result is expressed in a registered unit when one has its
    dimension (the one closest in scale: kg / cm / cm is in kg/m2, with factor 10000), as a
    plain number when it has none (cm / m: factor 0.01), and otherwise in a derived unit
    (kg / cm is kg/cm). A dose per kilogram of body weight times a mass counts the mass as
    body weight (mg/kg * kg is mg). Raises UnitError (TS302) for an unknown unit.
    """
    if op not in ("*", "/"):
        raise ValueError(f"combine: op must be '*' or '/', not {op!r}")
    if a is None and b is None:
        return Product(None, 1.0, None)
    sign = 1 if op == "*" else -1
    ta, tb = _terms_of(a), _terms_of(b)
    merged: dict[str, int] = {}
    for term, exp in (*ta, *((t, sign * e) for t, e in tb)):
        merged[term] = merged.get(term, 0) + exp
    raw_terms = tuple((t, e) for t, e in merged.items() if e)
    raw = _unit_of_terms(raw_terms)
    if raw is None:
        return Product(None, 1.0, None)
    quantity = _quantity(raw.text)
    if op == "*":
        quantity = _as_body_weight(quantity, ta, tb)
    dims = {d: int(e) for d, e in quantity.dimensionality.items() if e}
    if raw.text in _EXPRESSIONS and dict(_dims(raw.text)) == dims:
        return Product(raw, 1.0, raw)  # already a registered unit: kg / m2, 2 * 50%
    if not dims:
        return Product(None, _magnitude(quantity), raw)
    closest = _closest(quantity, dims, raw.text)
    if closest is not None:
        return Product(_parse(closest[0]), closest[1], raw)
    terms, scale = _merge_like_terms(raw_terms)
    unit = _unit_of_terms(terms)
    return Product(unit, scale, raw)


def _as_body_weight(quantity: Any, ta: tuple[tuple[str, int], ...],
                    tb: tuple[tuple[str, int], ...]) -> Any:
    """`quantity` (a product) with a plain mass read as body weight, when the other factor is
    per body weight: a dose in mg/kg times a weight in kg is a dose in mg."""
    def dims(terms: tuple[tuple[str, int], ...]) -> dict[str, int]:
        out: dict[str, int] = {}
        for term, exp in terms:
            for d, e in _dims(term).items():
                out[d] = out.get(d, 0) + e * exp
        return {d: e for d, e in out.items() if e}

    da, db = dims(ta), dims(tb)
    per_body = da.get("[body_mass]", 0) < 0 or db.get("[body_mass]", 0) < 0
    a_mass, b_mass = da == {"[mass]": 1}, db == {"[mass]": 1}
    if per_body and (a_mass or b_mass):
        registry = _registry()
        return quantity * registry.Quantity(1, "kg_bw") / registry.Quantity(1, "kg")
    return quantity
