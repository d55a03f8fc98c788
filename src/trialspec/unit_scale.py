"""Each registered unit's exact size in pint's base units, and its dimensions.

With this table, reading, type checking and converting the registered units of
``units._UNITS`` needs no pint: importing pint and loading its definitions costs 0.15-0.2 s,
about a quarter of a whole ``trialspec lint``. pint stays the source of truth: the table is
what pint computes with exact fractions (``non_int_type=Fraction``), written out by
``python -m trialspec.unit_scale`` (run it after changing the unit table or the
definitions), and tests/test_units.py checks that it is up to date. A factor between two
registered units is then exact before it is rounded to 15 significant digits, where pint's
floating-point sizes (9999.999999999998 for g/dL) could tip a near-tie the wrong way.
Derived units (``kg/cm``, the units of computed products and quotients) still go through
pint.
"""

from __future__ import annotations

# canonical spelling: ((numerator, denominator) of its size in base units, ((dimension, exponent), ...))
SCALE: dict[str, tuple[tuple[int, int], tuple[tuple[str, int], ...]]] = {
    'g/dL': ((10000, 1), (('[length]', -3), ('[mass]', 1))),
    'mg/dL': ((10, 1), (('[length]', -3), ('[mass]', 1))),
    'ug/dL': ((1, 100), (('[length]', -3), ('[mass]', 1))),
    'g/L': ((1000, 1), (('[length]', -3), ('[mass]', 1))),
    'mg/L': ((1, 1), (('[length]', -3), ('[mass]', 1))),
    'ug/L': ((1, 1000), (('[length]', -3), ('[mass]', 1))),
    'mg/mL': ((1000, 1), (('[length]', -3), ('[mass]', 1))),
    'ug/mL': ((1, 1), (('[length]', -3), ('[mass]', 1))),
    'ng/mL': ((1, 1000), (('[length]', -3), ('[mass]', 1))),
    'pg/mL': ((1, 1000000), (('[length]', -3), ('[mass]', 1))),
    'mol/L': ((1000, 1), (('[length]', -3), ('[substance]', 1))),
    'mmol/L': ((1, 1), (('[length]', -3), ('[substance]', 1))),
    'umol/L': ((1, 1000), (('[length]', -3), ('[substance]', 1))),
    'nmol/L': ((1, 1000000), (('[length]', -3), ('[substance]', 1))),
    'pmol/L': ((1, 1000000000), (('[length]', -3), ('[substance]', 1))),
    'mg/24h': ((1, 86400000), (('[mass]', 1), ('[time]', -1))),
    'g/24h': ((1, 86400), (('[mass]', 1), ('[time]', -1))),
    'mmol/24h': ((1, 86400000), (('[substance]', 1), ('[time]', -1))),
    'mg/day': ((1, 86400000), (('[mass]', 1), ('[time]', -1))),
    'g/day': ((1, 86400), (('[mass]', 1), ('[time]', -1))),
    '10^9/L': ((1000000000000, 1), (('[length]', -3),)),
    '10^12/L': ((1000000000000000, 1), (('[length]', -3),)),
    '10^3/uL': ((1000000000000, 1), (('[length]', -3),)),
    '10^6/uL': ((1000000000000000, 1), (('[length]', -3),)),
    '/uL': ((1000000000, 1), (('[length]', -3),)),
    'cells/uL': ((1000000000, 1), (('[length]', -3),)),
    '/mm3': ((1000000000, 1), (('[length]', -3),)),
    'cells/mm3': ((1000000000, 1), (('[length]', -3),)),
    'U/L': ((1, 60000), (('[length]', -3), ('[substance]', 1), ('[time]', -1))),
    'IU/L': ((1, 60000), (('[length]', -3), ('[substance]', 1), ('[time]', -1))),
    'mU/L': ((1, 60000000), (('[length]', -3), ('[substance]', 1), ('[time]', -1))),
    'kU/L': ((1, 60), (('[length]', -3), ('[substance]', 1), ('[time]', -1))),
    'mEq/L': ((1, 1), (('[equivalent]', 1), ('[length]', -3))),
    'mmol/mol': ((1, 1), (('[hba1c_ifcc]', 1),)),
    'fL': ((1, 1000000000000000000), (('[length]', 3),)),
    'pg': ((1, 1000000000000), (('[mass]', 1),)),
    'fmol': ((1, 1000000000000000), (('[substance]', 1),)),
    'ng/dL': ((1, 100000), (('[length]', -3), ('[mass]', 1))),
    'pg/L': ((1, 1000000000), (('[length]', -3), ('[mass]', 1))),
    'ukat/L': ((1, 1000), (('[length]', -3), ('[substance]', 1), ('[time]', -1))),
    'x ULN': ((1, 1), (('[uln]', 1),)),
    '%': ((1, 100), ()),
    '1': ((1, 1), ()),
    'mg/m2': ((1, 1000), (('[length]', -2), ('[mass]', 1))),
    'mg/kg': ((1, 1000), (('[body_mass]', -1), ('[mass]', 1))),
    'ug/kg': ((1, 1000000), (('[body_mass]', -1), ('[mass]', 1))),
    'kg/m2': ((1000, 1), (('[length]', -2), ('[mass]', 1))),
    'tablet': ((1, 1), (('[dosage_unit]', 1),)),
    'mg': ((1, 1000), (('[mass]', 1),)),
    'g': ((1, 1), (('[mass]', 1),)),
    'kg': ((1000, 1), (('[mass]', 1),)),
    'ug': ((1, 1000000), (('[mass]', 1),)),
    'mL': ((1, 1000000), (('[length]', 3),)),
    'L': ((1, 1000), (('[length]', 3),)),
    'm2': ((1, 1), (('[length]', 2),)),
    'cm': ((1, 100), (('[length]', 1),)),
    'C': ((1, 1), (('[temperature_celsius]', 1),)),
    'F': ((1, 1), (('[temperature_fahrenheit]', 1),)),
    'mL/min': ((1, 60000000), (('[length]', 3), ('[time]', -1))),
    'mL/min/1.73m2': ((1, 103800000), (('[length]', 1), ('[time]', -1))),
    'mmHg': ((26664477483, 200000), (('[length]', -1), ('[mass]', 1), ('[time]', -2))),
    '/min': ((1, 60), (('[time]', -1),)),
    'years': ((31557600, 1), (('[time]', 1),)),
    'months': ((2629800, 1), (('[time]', 1),)),
    'weeks': ((604800, 1), (('[time]', 1),)),
    'days': ((86400, 1), (('[time]', 1),)),
    'hours': ((3600, 1), (('[time]', 1),)),
    'minutes': ((60, 1), (('[time]', 1),)),
    'ms': ((1, 1000), (('[time]', 1),)),
}


def computed() -> dict[str, tuple[tuple[int, int], tuple[tuple[str, int], ...]]]:
    """The table as pint computes it now, in exact fractions."""
    from fractions import Fraction

    from trialspec import units

    pint = units._import_pint()
    registry = pint.UnitRegistry(None, on_redefinition="raise", non_int_type=Fraction)
    registry.load_definitions(units._PINT_DEFINITIONS)
    out = {}
    for canonical in units.known_units():
        value = registry.parse_expression(units._EXPRESSIONS[canonical])
        base = (value if isinstance(value, registry.Quantity) else registry.Quantity(value)).to_base_units()
        size = Fraction(base.magnitude)
        dims = tuple((d, int(e)) for d, e in sorted(base.dimensionality.items()) if e)
        out[canonical] = ((size.numerator, size.denominator), dims)
    return out


def _write() -> None:
    """Rewrite ``SCALE`` above with :func:`computed` (the rest of the file is kept)."""
    from pathlib import Path

    path = Path(__file__)
    lines = path.read_text("utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("SCALE: "))
    stop = lines.index("}\n", start)
    rows = [f"    {k!r}: ({v!r}, {d!r}),\n" for k, (v, d) in computed().items()]
    path.write_text("".join([*lines[:start + 1], *rows, *lines[stop:]]), "utf-8")


if __name__ == "__main__":
    _write()
