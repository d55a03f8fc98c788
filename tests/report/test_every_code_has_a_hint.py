"""Every diagnostic code has a hint: its registry row says how to fix it, and a finding made
without a more exact hint carries that one (TS526, TS522 and the dosing findings did not)."""

from __future__ import annotations

import pytest

from trialspec.codes import CODES
from trialspec.diagnostics import Diagnostic


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_fix_and_every_finding_a_hint(code: str) -> None:
    row = CODES[code]
    assert row.fix.strip() and row.summary.strip() and row.why.strip()
    assert Diagnostic(code, "a finding").hint == row.fix


def test_an_exact_hint_is_kept() -> None:
    assert Diagnostic("TS526", "dose -25", hint="Correct row 7.").hint == "Correct row 7."


def test_the_command_line_codes_are_registered() -> None:
    assert {"TS900", "TS901", "TS902", "TS903", "TS904", "TS905", "TS906", "TS910"} <= set(CODES)
