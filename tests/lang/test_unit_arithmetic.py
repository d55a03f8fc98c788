"""Units through arithmetic, from the expression to the engine's answer.

A unit with a decimal scale (eGFR's mL/min/1.73m2) is one unit; a product or quotient of
columns has the unit of the product (weight / height / height is in kg/m2 with height in
cm, converted); a plain number next to a percentage is a fraction; and where the unit of a
plain number would have to be guessed, the checker says so (TS309) instead.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from trialspec.compiled import check_model
from trialspec.lang import ir
from trialspec.protocol import load_protocol

PROTOCOL = """\
trialspec: 1
study: {id: UNITS, title: Units through arithmetic}
datasets:
  subjects:
    source: subjects.csv
    key: subject_id
    columns:
      subject_id: {type: string}
      weight: {type: number, unit: kg}
      height: {type: number, unit: cm}
      egfr: {type: number, unit: mL/min/1.73m2}
      crcl: {type: number, unit: mL/min}
      bsa: {type: number, unit: m2}
      dose: {type: number, unit: mg}
      dose_per_kg: {type: number, unit: mg/kg}
      hba1c: {type: number, unit: "%"}
      ratio: {type: number}
definitions:
  bmi: weight / (height * height)
eligibility:
  inclusion:
    I1:
      text: the case under test
      when: EXPR
"""

# Subjects A-E. BMI: A 18.5, B 29.6, C 19.5, D 27.7, E unknown.
DATA = {
    "subject_id": ["A", "B", "C", "D", "E"],
    "weight": [60.0, 95.8, 50.0, 80.0, None],
    "height": [180.0, 180.0, 160.0, 170.0, 175.0],
    "egfr": [38.0, 43.0, 45.0, 60.0, 44.99],
    "crcl": [45.0, 60.0, 80.0, 100.0, 52.0],
    "bsa": [1.73, 2.0, 1.5, 1.9, 1.8],
    "dose": [100.0, 250.0, 150.0, 160.0, 100.0],
    "dose_per_kg": [2.0, 2.0, 3.0, 2.0, 2.0],
    "hba1c": [40.0, 60.0, None, 50.0, None],
    "ratio": [0.3, 0.7, 0.5, None, None],
}


def compile_expr(tmp_path: Path, expr: str) -> tuple[Any, list[Any]]:
    path = tmp_path / "p.yaml"
    path.write_text(PROTOCOL.replace("EXPR", f'"{expr}"'), "utf-8")
    model, diags = load_protocol(path)
    assert model is not None, diags
    checked, more = check_model(model)
    return checked, [*diags, *more]


def errors(diags: list[Any]) -> list[Any]:
    return [d for d in diags if d.severity.value == "error"]


def node_of(tmp_path: Path, expr: str) -> ir.Node:
    checked, diags = compile_expr(tmp_path, expr)
    assert errors(diags) == [] and checked is not None
    return checked.criteria[0].node


def outcomes(tmp_path: Path, expr: str) -> list[str]:
    import pandas as pd

    import trialspec

    compile_expr(tmp_path, expr)
    study = trialspec.run(tmp_path / "p.yaml", tables={"subjects": pd.DataFrame(DATA)})
    return list(study.eligibility["I1"])


def right_type(tmp_path: Path, expr: str) -> str | None:
    node = node_of(tmp_path, f"{expr} is present")
    assert isinstance(node, ir.IsNull)
    return ir.type_of(node.operand).unit


# --- eGFR: a unit with a decimal scale ---------------------------------------------------------

@pytest.mark.parametrize("unit", ["mL/min/1.73m2", "mL/min/1.73 m2", "mL/min/1.73m^2", "mL/min/1.73 m²"])
def test_egfr_threshold_is_in_the_columns_unit(tmp_path: Path, unit: str) -> None:
    node = node_of(tmp_path, f"egfr >= 45 {unit}")
    assert node == ir.Cmp(">=", node.left, ir.Const(45.0, node.right.type))  # type: ignore[union-attr]
    assert outcomes(tmp_path, f"egfr >= 45 {unit}") == ["fail", "fail", "pass", "pass", "fail"]


def test_a_division_by_an_area_is_the_same_quantity(tmp_path: Path) -> None:
    # (45 mL/min) / (1.73 m2) is 45 mL/min/1.73m2: written with spaces it divides, and agrees
    assert outcomes(tmp_path, "egfr >= 45 mL/min / 1.73 m2") == ["fail", "fail", "pass", "pass", "fail"]
    # crcl normalised to body surface area: crcl / bsa is in mL/min/1.73m2 (x 1.73)
    assert right_type(tmp_path, "crcl / bsa") == "mL/min/1.73m2"
    assert outcomes(tmp_path, "crcl / bsa >= 45 mL/min/1.73m2") == ["pass", "pass", "pass", "pass", "pass"]
    # 45, 60, 80, 100, 52 mL/min over 1.73, 2.0, 1.5, 1.9, 1.8 m2: 45, 51.9, 92.3, 91.1, 50.0
    assert outcomes(tmp_path, "crcl / bsa >= 60 mL/min/1.73m2") == ["fail", "fail", "pass", "pass", "fail"]


def test_a_division_by_a_bare_number_keeps_its_dimension(tmp_path: Path) -> None:
    # `45 mL/min/1.73` is 45 mL/min divided by 1.73: a volume rate, not an eGFR
    _checked, diags = compile_expr(tmp_path, "egfr >= 45 mL/min/1.73")
    assert [d.code for d in errors(diags)] == ["TS303"]
    assert "mL/min" in diags[0].message and "volume rate per area" in diags[0].message
    assert right_type(tmp_path, "crcl / 1.73") == "mL/min"


def test_an_unknown_unit_with_a_number_inside_says_how_to_divide(tmp_path: Path) -> None:
    _checked, diags = compile_expr(tmp_path, "egfr >= 45 mL/min/1.5m2")
    assert [d.code for d in errors(diags)] == ["TS302"]
    assert "mL/min/1.73m2" in diags[0].message  # did you mean
    assert "spaces around" in (diags[0].hint or "")


# --- products and quotients of columns ---------------------------------------------------------

@pytest.mark.parametrize(("expr", "unit"), [
    ("weight / height", "kg/cm"),
    ("weight * height", "kg*cm"),
    ("height * height", "m2"),
    ("weight / height / height", "kg/m2"),
    ("weight / (height * height)", "kg/m2"),
    ("bmi", "kg/m2"),
    ("ratio(weight, height * height)", "kg/m2"),
    ("1 / height", "1/cm"),
    ("weight / 2", "kg"),
    ("dose / bsa", "mg/m2"),
    ("dose_per_kg * weight", "mg"),
    ("weight / weight", None),
    ("dose / weight", None),  # a mass over a mass is a ratio, not mg/kg of body weight
])
def test_products_and_quotients_have_the_unit_of_the_product(tmp_path: Path, expr: str,
                                                             unit: str | None) -> None:
    assert right_type(tmp_path, expr) == unit


@pytest.mark.parametrize("expr", [
    "weight / (height * height) >= 20 kg/m2",
    "weight / height / height >= 20 kg/m2",
    "bmi >= 20 kg/m2",
    "bmi >= 20",  # a bare number is read in the value's unit, kg/m2
    "ratio(weight, height) / height >= 20 kg/m2",
    "weight / height >= 20 kg/m2 * height",
])
def test_bmi_from_centimetres_is_right(tmp_path: Path, expr: str) -> None:
    assert outcomes(tmp_path, expr) == ["fail", "pass", "fail", "pass", "unknown"]


def test_the_product_is_converted_once_in_the_plan(tmp_path: Path) -> None:
    node = node_of(tmp_path, "weight / height / height >= 20 kg/m2")
    assert isinstance(node, ir.Cmp) and isinstance(node.left, ir.Arith)
    scaled = node.left
    assert scaled.op == "*" and scaled.right == ir.Const(10_000.0, scaled.right.type)  # type: ignore[union-attr]
    assert scaled.type.unit == "kg/m2" and ir.type_of(scaled.left).unit == "kg/cm^2"
    assert node.right == ir.Const(20.0, node.right.type)  # type: ignore[union-attr]


def test_a_unit_the_quotient_cannot_have_is_a_dimension_error(tmp_path: Path) -> None:
    _checked, diags = compile_expr(tmp_path, "weight / height >= 20 kg/m2")
    assert [d.code for d in errors(diags)] == ["TS303"]
    assert "kg/cm" in diags[0].message and "mass per area" in diags[0].message


def test_a_dose_per_kilogram_is_compared_through_the_weight(tmp_path: Path) -> None:
    _checked, diags = compile_expr(tmp_path, "dose / weight <= 2 mg/kg")
    assert [d.code for d in errors(diags)] == ["TS309"]
    assert "body weight" in (diags[0].hint or "") and "* weight" in (diags[0].hint or "")
    # doses 100, 250, 150, 160 mg; 2 mg/kg of 60, 95.8, 50, 80 kg is 120, 191.6, 100, 160 mg
    assert outcomes(tmp_path, "dose <= 2 mg/kg * weight") == ["pass", "fail", "fail", "pass", "unknown"]
    assert outcomes(tmp_path, "dose_per_kg * weight <= 150 mg") == ["pass", "fail", "pass", "fail", "unknown"]


def test_a_conversion_by_hand_is_a_warning(tmp_path: Path) -> None:
    checked, diags = compile_expr(tmp_path, "weight / (height / 100) / (height / 100) >= 20 kg/m2")
    assert checked is not None and errors(diags) == []
    warnings = [d for d in diags if d.code == "TS314"]
    assert len(warnings) == 2 and all(d.severity.value == "warning" for d in warnings)
    assert "still in cm" in warnings[0].message
    _checked, diags = compile_expr(tmp_path, "weight / 2 >= 20 kg or hba1c / 100 > 1%")
    assert [d.code for d in diags] == []


# --- percentages and plain numbers ----------------------------------------------------------------
# hba1c: 40%, 60%, -, 50%, -; ratio (plain): 0.3, 0.7, 0.5, -, -

@pytest.mark.parametrize(("expr", "expected"), [
    ("coalesce(hba1c, ratio) >= 50%", ["fail", "pass", "pass", "pass", "unknown"]),
    ("coalesce(ratio, hba1c) >= 0.5", ["fail", "pass", "pass", "pass", "unknown"]),
    ("coalesce(ratio, hba1c) >= 50%", ["fail", "pass", "pass", "pass", "unknown"]),
    ("coalesce(hba1c, ratio * 100%) >= 50%", ["fail", "pass", "pass", "pass", "unknown"]),
    ("hba1c >= ratio * 100%", ["pass", "fail", "unknown", "unknown", "unknown"]),
    ("hba1c >= ratio", ["pass", "fail", "unknown", "unknown", "unknown"]),
    ("ratio * 100 * 1% >= 50%", ["fail", "pass", "pass", "unknown", "unknown"]),
    ("(ratio * 100) * 1% >= hba1c", ["fail", "pass", "unknown", "unknown", "unknown"]),
    ("hba1c >= 50 * 1%", ["fail", "pass", "unknown", "pass", "unknown"]),
    ("hba1c * hba1c >= 25%", ["fail", "pass", "unknown", "pass", "unknown"]),
    ("hba1c + ratio >= 100%", ["fail", "pass", "unknown", "unknown", "unknown"]),
    ("max(hba1c, ratio) >= 50%", ["fail", "pass", "unknown", "unknown", "unknown"]),
    ("max(ratio, hba1c) >= 0.5", ["fail", "pass", "unknown", "unknown", "unknown"]),
    ("hba1c >= 50", ["fail", "pass", "unknown", "pass", "unknown"]),  # a bare number: in %
])
def test_a_plain_number_next_to_a_percentage_is_a_fraction(tmp_path: Path, expr: str,
                                                           expected: list[str]) -> None:
    assert outcomes(tmp_path, expr) == expected


def test_coalesce_takes_the_unit_of_its_first_column(tmp_path: Path) -> None:
    assert right_type(tmp_path, "coalesce(hba1c, ratio)") == "%"
    assert right_type(tmp_path, "coalesce(ratio, hba1c)") is None
    assert right_type(tmp_path, "coalesce(500 mg, dose)") == "mg"
    assert right_type(tmp_path, "coalesce(1 g, dose)") == "mg"
    # doses 100, 250, 150, 160, 100 mg: the constant is converted to mg too
    assert outcomes(tmp_path, "min(1 g, dose) <= 150 mg") == ["pass", "fail", "pass", "fail", "pass"]
    assert right_type(tmp_path, "ratio * 100%") == "%"


@pytest.mark.parametrize("expr", ["ratio >= weight", "weight + ratio > 1 kg", "ratio <= 2 mg/kg",
                                  "coalesce(weight, ratio) > 1 kg"])
def test_a_plain_value_next_to_another_unit_is_not_guessed(tmp_path: Path, expr: str) -> None:
    _checked, diags = compile_expr(tmp_path, expr)
    assert [d.code for d in errors(diags)] == ["TS309"]
    assert diags[0].hint


def test_lint_reads_the_new_forms_without_heavy_imports(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "p.yaml"
    path.write_text(PROTOCOL.replace("EXPR", '"egfr >= 45 mL/min/1.73m2 and bmi >= 20 kg/m2"'), "utf-8")
    code = textwrap.dedent(f"""
        import sys
        from trialspec.cli import main
        assert main(["lint", {str(path)!r}]) == 0
        heavy = {{"pandas", "scipy", "numpy"}} & {{m.split(".")[0] for m in sys.modules}}
        assert not heavy, heavy
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
