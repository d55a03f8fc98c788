"""The clinical unit registry: spellings, dimensions, conversions, errors, start-up cost."""

from __future__ import annotations

import dataclasses
import itertools
import math
import pathlib
import subprocess
import sys
import textwrap

import pytest

from trialspec.units import (
    ANALYTES,
    Unit,
    UnitError,
    analyte_mass,
    combine,
    compatible,
    dimension_name,
    factor,
    known_units,
    parse_unit,
    resolve,
)

CLINICAL_SPELLINGS = [
    "g/dL", "mg/dL", "g/L", "mg/L", "mg/24h", "g/24h", "mg/day", "umol/L", "µmol/L", "μmol/L",
    "mmol/L", "mol/L", "10^9/L", "10^12/L", "/uL", "cells/uL", "U/L", "IU/L", "x ULN", "%",
    "mg/m2", "mg/kg", "mg", "g", "kg", "ug", "mL", "L", "m2", "years", "months", "weeks", "days",
    "hours", "year", "month", "week", "day", "h", "d",
]


def conv(value: float, src: str, dst: str, analyte: str | None = None) -> float:
    return value * factor(parse_unit(src), parse_unit(dst), analyte)


# --- spellings -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", CLINICAL_SPELLINGS)
def test_every_clinical_spelling_parses(text: str) -> None:
    unit = parse_unit(text)
    assert unit.text in known_units()
    assert parse_unit(unit.text) == unit  # canonical spellings are fixed points


@pytest.mark.parametrize("text", known_units())
def test_every_registered_unit_parses_to_itself(text: str) -> None:
    assert parse_unit(text).text == text


@pytest.mark.parametrize(("text", "canonical"), [
    ("µmol/L", "umol/L"), ("μmol/L", "umol/L"), ("mg/dl", "mg/dL"), ("MG/DL", "mg/dL"),
    ("mmol/l", "mmol/L"), ("g/l", "g/L"), ("cells/µl", "cells/uL"), ("mg / 24 h", "mg/24h"),
    ("mg/24hr", "mg/24h"), ("10⁹/L", "10^9/L"), ("×10^9/L", "10^9/L"), ("10*9/L", "10^9/L"),
    ("G/L", "10^9/L"), ("xULN", "x ULN"), ("X ULN", "x ULN"), ("ULN", "x ULN"),
    ("percent", "%"), ("year", "years"), ("month", "months"), ("week", "weeks"),
    ("day", "days"), ("d", "days"), ("h", "hours"), ("Kg", "kg"), ("mcg", "ug"),
    ("mL/min/1.73 m²", "mL/min/1.73m2"),
])
def test_aliases_parse_to_the_canonical_spelling(text: str, canonical: str) -> None:
    assert parse_unit(text).text == canonical


def test_unit_is_frozen_and_hashable() -> None:
    unit = parse_unit("umol/L")
    assert unit == Unit("umol/L", "[substance]/[length]^3")
    assert {unit, parse_unit("µmol/L")} == {unit}
    with pytest.raises(dataclasses.FrozenInstanceError):
        unit.text = "mg/dL"  # type: ignore[misc]


# --- dimensions ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "dimension", "name"), [
    ("g/dL", "[mass]/[length]^3", "mass concentration"),
    ("umol/L", "[substance]/[length]^3", "substance concentration"),
    ("mg/24h", "[mass]/[time]", "mass rate"),
    ("10^9/L", "1/[length]^3", "count concentration"),
    ("U/L", "[substance]/[length]^3/[time]", "catalytic concentration"),
    ("x ULN", "uln", "multiple of ULN"),
    ("%", "dimensionless", "ratio"),
    ("mg/m2", "[mass]/[length]^2", "mass per area"),
    ("mg/kg", "[mass]/[body_mass]", "mass per body weight"),
    ("months", "[time]", "time"),
])
def test_dimensions(text: str, dimension: str, name: str) -> None:
    unit = parse_unit(text)
    assert unit.dimension == dimension
    assert dimension_name(unit) == name


def test_every_registered_unit_has_a_dimension_name() -> None:
    for text in known_units():
        unit = parse_unit(text)
        assert not dimension_name(unit).startswith("["), text


@pytest.mark.parametrize(("a", "b"), [
    ("mg/24h", "g/dL"), ("x ULN", "U/L"), ("%", "mg/kg"), ("mg/m2", "mg/kg"), ("%", "x ULN"),
    ("mg/dL", "umol/L"),  # convertible only with an analyte
])
def test_incompatible_units(a: str, b: str) -> None:
    assert not compatible(parse_unit(a), parse_unit(b))
    assert not compatible(parse_unit(b), parse_unit(a))


def test_mass_rate_vs_mass_concentration_names_both_dimensions() -> None:
    with pytest.raises(UnitError) as info:
        factor(parse_unit("mg/24h"), parse_unit("g/dL"))
    message = str(info.value)
    assert "mass rate" in message and "mass concentration" in message
    assert "mg/24h" in message and "g/dL" in message
    assert info.value.code == "TS303"


def test_compatible_within_a_dimension() -> None:
    assert compatible(parse_unit("mg/24h"), parse_unit("mg/day"))
    assert compatible(parse_unit("%"), parse_unit("1"))
    assert compatible(parse_unit("mg/dL"), parse_unit("umol/L"), "bilirubin")
    assert compatible(parse_unit("umol/L"), parse_unit("mg/dL"), "Uric acid")
    assert not compatible(parse_unit("mg/dL"), parse_unit("umol/L"), "bilirubn")
    assert not compatible(parse_unit("mg/24h"), parse_unit("g/dL"), "bilirubin")


# --- conversions ---------------------------------------------------------------------------

def test_bilirubin_mass_to_molar_is_exact() -> None:
    expected = 2.0 * 10 / 584.66 * 1000  # mg/dL -> mg/L, / g/mol -> mmol/L, -> umol/L
    assert conv(2.0, "mg/dL", "umol/L", "bilirubin") == pytest.approx(expected, rel=1e-12)
    assert conv(expected, "umol/L", "mg/dL", "bilirubin") == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize(("value", "src", "dst", "expected"), [
    (0.5, "g/dL", "mg/L", 5000.0),
    (200, "mg/24h", "mg/day", 200.0),
    (1.0, "10^9/L", "/uL", 1000.0),
    (50, "%", "1", 0.5),
    (3, "months", "days", 91.3125),
    (1, "years", "days", 365.25),
    (12, "months", "years", 1.0),
    (2, "weeks", "days", 14.0),
    (1, "days", "hours", 24.0),
    (1, "g/24h", "mg/24h", 1000.0),
    (4.5, "10^3/uL", "10^9/L", 4.5),
    (4.5, "10^6/uL", "10^12/L", 4.5),
    (1, "/mm3", "cells/uL", 1.0),
    (60, "U/L", "ukat/L", 1.0),
    (40, "IU/L", "U/L", 40.0),
    (1, "mg", "ug", 1000.0),
    (1, "L", "mL", 1000.0),
])
def test_conversions(value: float, src: str, dst: str, expected: float) -> None:
    assert conv(value, src, dst) == pytest.approx(expected, rel=1e-12)


def test_prefix_noise_is_rounded_away() -> None:
    assert factor(parse_unit("g/dL"), parse_unit("mg/L")) == 10000.0
    assert factor(parse_unit("mg/24h"), parse_unit("mg/day")) == 1.0


# Published clinical SI conversion factors (conventional -> SI); the molar masses must agree.
# `scale` turns the molar mass into the exact factor: mg/dL -> mmol/L is 10 / M.
@pytest.mark.parametrize(("analyte", "src", "dst", "published", "scale"), [
    ("bilirubin", "mg/dL", "umol/L", 17.1, 10_000),
    ("creatinine", "mg/dL", "umol/L", 88.4, 10_000),
    ("calcium", "mg/dL", "mmol/L", 0.2495, 10),
    ("glucose", "mg/dL", "mmol/L", 0.05551, 10),
    ("urea", "mg/dL", "mmol/L", 0.1665, 10),
    ("uric_acid", "mg/dL", "umol/L", 59.48, 10_000),
    ("cholesterol", "mg/dL", "mmol/L", 0.02586, 10),
    ("magnesium", "mg/dL", "mmol/L", 0.4114, 10),
    ("phosphorus", "mg/dL", "mmol/L", 0.3229, 10),
    ("iron", "ug/dL", "umol/L", 0.1791, 10),
    ("hemoglobin", "g/dL", "mmol/L", 0.6206, 10_000),  # the iron-binding monomer, as CDISC LB reports it
])
def test_analytes_match_published_factors(analyte: str, src: str, dst: str, published: float,
                                          scale: float) -> None:
    assert conv(1.0, src, dst, analyte) == pytest.approx(published, rel=1e-3)
    assert conv(1.0, src, dst, analyte) == pytest.approx(scale / ANALYTES[analyte], rel=1e-12)
    assert set(ANALYTES) == {"bilirubin", "creatinine", "calcium", "glucose", "urea",
                             "uric_acid", "cholesterol", "magnesium", "phosphorus", "iron",
                             "hemoglobin"}


def test_factors_round_trip_within_each_dimension() -> None:
    units = [parse_unit(t) for t in known_units()]
    for a, b in itertools.product(units, repeat=2):
        if a.dimension == b.dimension:
            assert compatible(a, b)
            assert factor(a, b) * factor(b, a) == pytest.approx(1.0, rel=1e-12), (a, b)
        else:
            assert not compatible(a, b)


def test_factor_is_cached() -> None:
    src, dst = parse_unit("mg/dL"), parse_unit("mmol/L")
    factor(src, dst, "glucose")
    hits = factor.cache_info().hits
    factor(src, dst, "glucose")
    assert factor.cache_info().hits == hits + 1


def test_analyte_is_ignored_when_not_needed() -> None:
    assert factor(parse_unit("g/dL"), parse_unit("g/L"), "no-such-analyte") == 10.0


# --- products and quotients: derived units --------------------------------------------------

@pytest.mark.parametrize(("a", "op", "b", "unit", "expected"), [
    ("kg", "/", "m2", "kg/m2", 1.0),
    ("kg/cm", "/", "cm", "kg/m2", 10_000.0),    # weight / height / height, height in cm
    ("cm", "*", "cm", "m2", 1e-4),
    ("kg", "/", "cm", "kg/cm", 1.0),            # no registered unit: a derived one
    ("kg", "*", "cm", "kg*cm", 1.0),
    (None, "/", "cm", "1/cm", 1.0),
    (None, "*", "kg", "kg", 1.0),
    ("kg", "*", None, "kg", 1.0),
    ("mg", "/", "days", "mg/day", 1.0),         # among equals, the most alike spelling
    ("mL/min", "/", "m2", "mL/min/1.73m2", 1.73),
    ("mg/m2", "*", "m2", "mg", 1.0),
    ("mg/kg", "*", "kg", "mg", 1.0),            # per kg of body weight times a weight
    ("ug/kg", "*", "kg", "ug", 1.0),
    ("mg", "/", "kg", None, 1e-6),              # a mass over a mass is a ratio, not mg/kg
    ("10^9/L", "*", "mL", None, 1e6),
    ("/min", "*", "minutes", None, 1.0),
    ("kg*cm", "/", "mg", "cm", 1e6),
    ("mg/dl", "/", "mg/L", None, 10.0),
    ("x ULN", "*", None, "x ULN", 1.0),
    ("%", "*", None, "%", 1.0),                 # 2 * 50% is 100%
    ("%", "*", "%", None, 1e-4),                # 50% * 50% is 0.25
    (None, "*", None, None, 1.0),
])
def test_combine(a: str | None, op: str, b: str | None, unit: str | None, expected: float) -> None:
    product = combine(a, op, b)
    assert (product.unit.text if product.unit else None) == unit
    assert product.factor == pytest.approx(expected, rel=1e-12)


def test_combine_says_what_unit_the_computed_number_is_in() -> None:
    product = combine("kg/cm", "/", "cm")
    assert product.raw == Unit("kg/cm^2", "[mass]/[length]^2")
    assert product.unit == parse_unit("kg/m2")
    assert factor(product.raw, product.unit) == product.factor


def test_bmi_from_kilograms_and_centimetres() -> None:
    weight, height = 80.0, 180.0
    per_cm = combine("kg", "/", "cm")
    bmi = combine(per_cm.unit.text if per_cm.unit else None, "/", "cm")
    assert bmi.unit is not None and bmi.unit.text == "kg/m2"
    value = weight / height * per_cm.factor / height * bmi.factor
    assert value == pytest.approx(80 / 1.8 ** 2, rel=1e-12)


def test_egfr_unit_is_per_1_73_square_metres() -> None:
    product = combine("mL/min", "/", "m2")  # 45 mL/min / 1.73 m2 is 45 mL/min/1.73m2
    assert 45 / 1.73 * product.factor == pytest.approx(45.0, rel=1e-12)
    assert factor(parse_unit("mL/min/1.73 m2"), resolve("(mL/min)/m2")) == pytest.approx(1 / 1.73)


def test_derived_units_resolve_but_never_parse() -> None:
    assert resolve("kg/cm") == Unit("kg/cm", "[mass]/[length]")
    assert resolve("1/cm") == Unit("1/cm", "1/[length]")
    assert resolve("(10^9/L)*(mL)") == resolve("(10^9/L)*mL")
    assert resolve("mg/dl") == parse_unit("mg/dL")
    assert resolve("kg/cm*cm") == parse_unit("kg")
    assert resolve("(mg)/(kg)").dimension == "dimensionless"  # not mg/kg of body weight
    with pytest.raises(UnitError) as info:
        parse_unit("kg/cm")  # protocol text keeps to the registry
    assert info.value.code == "TS302"


@pytest.mark.parametrize("text", ["kg/furlong", "1/", "kg/cm^0", "(kg", "kg//cm", "*kg", "1/1",
                                  "kg/cm^", "kg cm", ""])
def test_bad_derived_units_raise_unit_error(text: str) -> None:
    with pytest.raises(UnitError):
        resolve(text)


def test_derived_units_convert_and_name_their_dimension() -> None:
    assert factor(resolve("kg/cm^2"), parse_unit("kg/m2")) == 10_000.0
    assert compatible(resolve("cm^2"), parse_unit("m2"))
    assert not compatible(resolve("kg/cm"), parse_unit("kg/m2"))
    assert dimension_name(resolve("kg/cm")) == "[mass]/[length]"
    with pytest.raises(UnitError) as info:
        factor(resolve("kg/cm"), parse_unit("kg/m2"))
    assert info.value.code == "TS303"
    assert "kg/cm ([mass]/[length])" in str(info.value) and "mass per area" in str(info.value)


def test_combine_rejects_other_operators() -> None:
    with pytest.raises(ValueError):
        combine("kg", "+", "kg")


# --- errors --------------------------------------------------------------------------------

def test_unknown_unit_suggests_known_spellings() -> None:
    with pytest.raises(UnitError) as info:
        parse_unit("mg/dx")
    assert info.value.unit == "mg/dx"
    assert info.value.code == "TS302"
    assert "mg/dL" in info.value.suggestions
    assert "unknown unit 'mg/dx'" in str(info.value) and "did you mean" in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "furlongs", "mg/", "10^999999999/L", "x" * 10_000,
                                  "mg/dL; DROP", "\x00"])
def test_bad_units_raise_unit_error(text: str) -> None:
    with pytest.raises(UnitError):
        parse_unit(text)


def test_non_text_unit_raises_unit_error() -> None:
    with pytest.raises(UnitError):
        parse_unit(2)  # type: ignore[arg-type]
    with pytest.raises(UnitError):
        parse_unit(["mg"])  # type: ignore[arg-type]


def test_molar_conversion_needs_an_analyte() -> None:
    with pytest.raises(UnitError) as info:
        factor(parse_unit("mg/dL"), parse_unit("umol/L"))
    assert info.value.code == "TS310"
    assert "analyte" in str(info.value)
    assert "mass concentration" in str(info.value)
    assert "substance concentration" in str(info.value)


def test_unknown_analyte_suggests() -> None:
    with pytest.raises(UnitError) as info:
        factor(parse_unit("mg/dL"), parse_unit("umol/L"), "bilirubn")
    assert info.value.code == "TS310"
    assert "bilirubin" in info.value.suggestions
    with pytest.raises(UnitError, match="did you mean 'creatinine'"):
        analyte_mass("creatinin")


def test_analyte_names() -> None:
    assert analyte_mass("bilirubin") == 584.66
    assert analyte_mass("Creatinine") == 113.12
    assert analyte_mass("calcium") == 40.08
    assert analyte_mass("uric acid") == analyte_mass("urate") == 168.11
    assert all(value > 0 for value in ANALYTES.values())
    with pytest.raises(TypeError):
        ANALYTES["x"] = 1.0  # type: ignore[index]


# --- start-up and docs ---------------------------------------------------------------------

def run_python(code: str) -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_import_and_first_use_stay_light() -> None:
    run_python("""
        import sys
        import trialspec.units as units
        assert "pint" not in sys.modules, "the registry must be built lazily"
        assert units.parse_unit("mg/dL").dimension == "[mass]/[length]^3"
        units.factor(units.parse_unit("mg/dL"), units.parse_unit("umol/L"), "bilirubin")
        assert units.compatible(units.parse_unit("g/dL"), units.parse_unit("mg/L"))
        assert units.combine("mg/dL", "/", "mg/dL").factor == 1.0
        assert "pint" not in sys.modules, "registered units need no registry (unit_scale.py)"
        assert units.combine("kg/cm", "/", "cm").factor == 10000.0
        assert "pint" in sys.modules  # a derived unit builds it
        heavy = {"pandas", "scipy", "statsmodels", "numpy"} & {m.split(".")[0] for m in sys.modules}
        assert not heavy, heavy
    """)


def test_numpy_and_scipy_still_import_after_the_registry() -> None:
    run_python("""
        import trialspec.units as units
        units.parse_unit("mg/dL")
        import numpy, scipy
        assert numpy.ones(3).sum() == 3.0
        f = units.factor(units.parse_unit("g/dL"), units.parse_unit("mg/L"))
        assert (numpy.array([0.5, 1.0]) * f).tolist() == [5000.0, 10000.0]
    """)


def test_works_when_numpy_is_imported_first() -> None:
    run_python("""
        import numpy
        import trialspec.units as units
        assert units.factor(units.parse_unit("10^9/L"), units.parse_unit("/uL")) == 1000.0
    """)


def test_docs_list_every_unit_and_analyte() -> None:
    docs = pathlib.Path(__file__).resolve().parents[1] / "docs" / "units.md"
    text = docs.read_text(encoding="utf-8")
    for spelling in known_units():
        assert f"| `{spelling}` |" in text, spelling
    for name, mass in ANALYTES.items():
        assert f"| `{name}` | {mass:g} |" in text, name
    assert math.isclose(factor(parse_unit("months"), parse_unit("days")), 365.25 / 12)


# --- the table of registered units' sizes (unit_scale.py) ----------------------------------

def _pint_factor(s: str, d: str, analyte: str | None = None) -> float:
    """factor() as pint computes it, with the molar mass as a pint quantity."""
    from trialspec import units

    qs, qd = units._quantity(s), units._quantity(d)
    direction = units._molar_direction(s, d)
    if direction and dict(units._dims(s)) != dict(units._dims(d)):
        molar = units._registry().Quantity(units.analyte_mass(analyte or ""), "g/mol")
        qs = qs / molar if direction == 1 else qs * molar
    return float(f"{float(qs.to(qd.units).magnitude / qd.magnitude):.15g}")


def test_the_scale_table_is_what_pint_computes() -> None:
    from trialspec import unit_scale

    assert unit_scale.computed() == unit_scale.SCALE, (
        "unit_scale.py is out of date: run `python -m trialspec.unit_scale`")


def test_every_factor_between_registered_units_is_pints() -> None:
    from trialspec import units
    from trialspec.units import ANALYTES, factor, known_units, parse_unit

    names = known_units()
    pairs = 0
    for s in names:
        for d in names:
            us, ud = parse_unit(s), parse_unit(d)
            if dict(units._dims(s)) == dict(units._dims(d)):
                assert factor(us, ud) == pytest.approx(_pint_factor(s, d), rel=1e-14), (s, d)
                pairs += 1
            elif units._molar_direction(s, d):
                for analyte in ANALYTES:
                    assert factor(us, ud, analyte) == pytest.approx(
                        _pint_factor(s, d, analyte), rel=1e-14), (s, d, analyte)
                    pairs += 1
    assert pairs > 1000  # (a table that lost its rows would compare nothing)


@pytest.mark.parametrize(("src", "dst", "analyte", "rounded"), [
    # exact 1000 / 24.305 = 41.14379757251594...: pint's float sizes gave ...160
    ("g/L", "mmol/L", "magnesium", 41.1437975725159),
    ("ng/mL", "mmol/L", "magnesium", 4.11437975725159e-05),  # and here pint gave ...159 right
    # exact 10000 / 60.06 = 166.5001665001665001...: rounds up at the 15th digit
    ("mg/dL", "umol/L", "urea", 166.500166500167),
    ("U/L", "ukat/L", None, 0.0166666666666667),
    ("mL/min/1.73m2", "mL/min/1.73m2", None, 1.0),
])
def test_factors_between_registered_units_are_correctly_rounded(
        src: str, dst: str, analyte: str | None, rounded: float) -> None:
    from trialspec.units import factor, parse_unit

    assert factor(parse_unit(src), parse_unit(dst), analyte) == rounded
