"""--select/--ignore by code or prefix, --exit-zero, the protocol's `accepted:` block (reason,
expiry), and baselines (--write-baseline / --baseline)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from trialspec.cli import main
from trialspec.results import CheckResult
from trialspec.triage import Entry, accept, failed, failing, select, tally

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocols" / "t2dm-glucoflozin.yaml"
DATA = ROOT / "examples" / "t2dm-glucoflozin" / "data"


@pytest.fixture(scope="module")
def checked() -> CheckResult:
    from trialspec.pipeline import check

    return check(PROTOCOL, DATA)


@pytest.fixture
def result(checked: CheckResult) -> CheckResult:
    return copy.deepcopy(checked)


def codes(result: CheckResult) -> set[str]:
    return {d.code for d in result.all_findings}


def test_select_and_ignore_by_prefix_longer_prefix_wins(result: CheckResult) -> None:
    every = codes(result)
    assert any(c.startswith("TS5") for c in every) and any(c.startswith("TS7") for c in every)
    select(result, ["TS5"], [])
    assert codes(result) == {c for c in every if c.startswith("TS5")}
    some = sorted(codes(result))[0]
    select(result, ["TS5"], [some])
    assert some not in codes(result)


def test_accept_by_code_and_claim_target(result: CheckResult) -> None:
    claim = next(d for d in result.all_findings if d.about("claim") == "T3.hr")
    before = tally(result)
    accept(result, [Entry(claim.code, "the paper's erratum", target="T3.hr")], dt.date(2026, 1, 1))
    assert result.accepted[claim] == "the paper's erratum"
    after = tally(result)
    assert after.accepted == 1 and after.errors == before.errors - 1
    assert claim not in failing(result)


def test_a_table_target_accepts_each_of_its_claims(result: CheckResult) -> None:
    t2 = [d for d in result.all_findings if str(d.about("claim") or "").startswith("T2.")]
    assert t2
    for code in {d.code for d in t2}:
        accept(result, [Entry(code, "table 2 is known wrong", target="T2")])
    assert all(d in result.accepted for d in t2)


def test_expired_acceptance_is_a_finding_and_accepts_nothing(result: CheckResult) -> None:
    d = failing(result)[0]
    accept(result, [Entry(d.code, "old decision", expires="2020-01-31")], dt.date(2026, 12, 7))
    assert d not in result.accepted
    expired = [x for x in result.diagnostics if x.code == "TS880"]
    assert len(expired) == 1 and "expired on 2020-01-31" in expired[0].message


def test_unused_acceptance_is_reported(result: CheckResult) -> None:
    accept(result, [Entry("TS101", "nothing to accept")])
    assert [x.code for x in result.diagnostics if x.code == "TS881"] == ["TS881"]


def test_accepting_everything_passes(result: CheckResult) -> None:
    assert failed(result)
    for code in {d.code for d in failing(result)}:
        accept(result, [Entry(code, "accepted for the test")])
    assert not failed(result)


def test_protocol_accepted_block_and_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = PROTOCOL.read_text("utf-8") + (
        "\naccepted:\n"
        "  - {code: TS712, target: T3.hr, reason: groups reversed in the paper, expires: 2999-12-31}\n"
        "  - {code: TS999, reason: no such code}\n")
    protocol = tmp_path / "p.yaml"
    protocol.write_text(text, "utf-8")
    assert main(["lint", str(protocol)]) == 0  # TS883 is a warning: the entry accepts nothing
    assert "TS883" in capsys.readouterr().out
    main(["check", str(protocol), "--data", str(DATA), "--format", "json", "--output",
          str(tmp_path / "r.json")])
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    accepted = [f for f in doc["sections"]["claims"]["findings"] if "accepted" in f]
    assert accepted and {f["about"]["claim"] for f in accepted} == {"T3.hr"}
    assert accepted[0]["accepted"] == "groups reversed in the paper"


def test_exit_zero_and_select_on_the_command_line(tmp_path: Path) -> None:
    args = ["check", str(PROTOCOL), "--data", str(DATA), "--format", "json",
            "--output", str(tmp_path / "r.json")]
    assert main(args) == 1
    assert main([*args, "--exit-zero"]) == 0
    assert main([*args, "--select", "TS6"]) == 0  # no response findings fail this study
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    found = [f for s in doc["sections"].values() for f in s["findings"]]
    assert doc["ok"] and all(f["code"].startswith("TS6") for f in found)
    assert main([*args, "--select", "X1"]) == 2  # not a code: a usage error


def test_baseline_round_trip(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    args = ["check", str(PROTOCOL), "--data", str(DATA), "--format", "json",
            "--output", str(tmp_path / "r.json")]
    assert main([*args, "--write-baseline", str(baseline)]) == 1  # writing it does not accept
    rows = json.loads(baseline.read_text("utf-8"))["findings"]
    assert rows and all(len(r["fingerprint"]) == 16 for r in rows)
    assert main([*args, "--baseline", str(baseline)]) == 0
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert doc["summary"]["accepted"] == len(rows) and doc["summary"]["errors"] == 0
    # findings left out by --ignore leave their baseline entries unmatched: one TS881 says how many
    assert main([*args, "--baseline", str(baseline), "--ignore", "TS5"]) == 0
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    stale = [d for d in doc["diagnostics"] if d["code"] == "TS881"]
    dosing = sum(r["code"].startswith("TS5") for r in rows)
    assert dosing and len(stale) == 1 and stale[0]["message"].startswith(f"{dosing} baseline entr")
    baseline.write_text("{not json", "utf-8")
    assert main([*args, "--baseline", str(baseline)]) == 1
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert any(d["code"] == "TS882" for d in doc["diagnostics"])
