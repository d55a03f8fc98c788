"""The CDISC pilot's dose-response test: its ADAS-Cog(11) ANCOVA (protocols/cdiscpilot01.yaml,
T14-3.01) with `dose: {Placebo: 0, Xanomeline Low Dose: 54, Xanomeline High Dose: 81}`,
against lm(CHG ~ TRTPN + SITEGR1 + BASE) (tests/fixtures/r/dose_response.R)."""

from __future__ import annotations

from pathlib import Path

import pytest
from analyses_helpers import MINI_HEAD, ROOT, close, r_reference

from trialspec.domain.analyses_plan import compile_analyses
from trialspec.pipeline import check
from trialspec.protocol import load_protocol_text

REF = r_reference("dose_response.json")
DOSE = "dose: {Placebo: 0, Xanomeline Low Dose: 54, Xanomeline High Dose: 81}}"


def pilot_with_doses(tmp_path: Path, level: str = "") -> dict:
    text = (ROOT / "protocols" / "cdiscpilot01.yaml").read_text(encoding="utf-8")
    assert text.count(DOSE) == 1  # the protocol plans the dose-response test itself
    extra = f", level: {level}" if level else ""
    path = tmp_path / "cdiscpilot01.yaml"
    path.write_text(text.replace(DOSE, DOSE[:-1] + f"{extra}}}"), encoding="utf-8")
    result = check(path, ROOT / "examples" / "cdiscpilot01" / "data")
    assert not [d for d in result.diagnostics if d.severity.value == "error"], result.diagnostics
    section = next(s for s in result.sections if s.name == "analyses")
    return {"summary": section.summary["analyses"]["T14-3.01"],
            "note": next(t.note for t in section.tables if t.title.startswith("T14-3.01:"))}


@pytest.mark.parametrize("level", ["", "90"])
def test_pilot_adas_cog_dose_response_as_r(tmp_path: Path, level: str) -> None:
    out = pilot_with_doses(tmp_path, level)
    d, ref = out["summary"]["dose_response"], REF["pilot_adas_90" if level else "pilot_adas"]
    assert out["summary"]["included"] == ref["n"] and d["df"] == ref["df"]
    assert d["doses"] == REF["pilot_adas"]["doses"]
    close([d["estimate"], d["se"], d["t"], d["p"], *d["ci"]],
          [ref["estimate"], ref["se"], ref["t"], ref["p_value"], *ref["conf_int"]])
    assert "dose response (slope per unit of dose)" in out["note"]


@pytest.mark.parametrize(("dose", "says"), [
    ("{a: 0}", "no dose for `b`"),
    ("{a: 0, c: 1}", "`c` is not a level"),
    ("{a: 5, b: 5}", "two different doses"),
    ("[0, 54]", "maps each level"),
])
def test_bad_doses_are_diagnostics(dose: str, says: str) -> None:
    body = f"analyses:\n  A: {{method: ancova, by: arm, options: {{variable: age, dose: {dose}}}}}\n"
    protocol, _ = load_protocol_text(MINI_HEAD + body, "m.yaml")
    assert protocol is not None
    diags = compile_analyses(protocol).diagnostics
    assert [d.code for d in diags] == ["TS701"] and says in diags[0].message and diags[0].hint
