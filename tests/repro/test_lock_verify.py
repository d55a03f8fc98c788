"""`trialspec lock` then `verify`, on a copy of the seed study: clean when nothing changed, and each
kind of change (a data cell, a threshold, the engine version) detected and named."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trialspec import __version__

Cli = Callable[..., tuple[int, str]]
PROTOCOL = "protocols/seed-rd-rrmm.yaml"
LOCK = PROTOCOL + ".lock.json"


def _lock(seed: Path, cli: Cli) -> dict[str, Any]:
    code, out = cli("lock", str(seed / PROTOCOL), "--data", str(seed / "data"))
    assert code == 0, out
    return dict(json.loads((seed / LOCK).read_text("utf-8")))


def _verify(seed: Path, cli: Cli, *extra: str) -> tuple[int, dict[str, Any]]:
    # the lock names ../data, outside its own folder: a lock does not choose what verify reads
    extra = extra or ("--data", str(seed / "data"))
    code, out = cli("verify", str(seed / PROTOCOL), "--format", "json", *extra)
    return code, json.loads(out)


def _findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["sections"]["lock"]["findings"])


def _messages(doc: dict[str, Any], code: str) -> list[str]:
    return [d["message"] for d in _findings(doc) if d["code"] == code]


def test_lock_then_verify_is_clean(seed: Path, cli: Cli) -> None:
    lock = _lock(seed, cli)
    text = (seed / LOCK).read_text("utf-8")
    assert lock["data_dir"] == "../data" and lock["protocol"]["path"] == "seed-rd-rrmm.yaml"
    assert str(seed) not in text  # nothing absolute: it verifies wherever the study is cloned
    assert lock["trialspec_version"] == __version__
    assert set(lock["datasets"]) >= {"subjects", "labs"} and "eligibility" in lock["results"]
    assert text == json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    code, doc = _verify(seed, cli)
    assert code == 0 and doc["ok"] is True and _findings(doc) == []
    summary = doc["sections"]["lock"]["summary"]
    assert summary["verified"] is True and summary["changes"] == [] and summary["rtol"] == 1e-9
    assert summary["results_sha256"]["locked"] == summary["results_sha256"]["now"]


def test_locking_twice_gives_the_same_bytes(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    first = (seed / LOCK).read_bytes()
    _lock(seed, cli)
    assert (seed / LOCK).read_bytes() == first


def test_verifies_on_a_fresh_clone_from_another_folder(seed: Path, tmp_path_factory: pytest.TempPathFactory,
                                                       cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    _lock(seed, cli)
    clone = tmp_path_factory.mktemp("elsewhere") / "study"
    shutil.copytree(seed, clone)
    monkeypatch.chdir(clone)
    code, out = cli("verify", PROTOCOL, "--data", "data")
    assert code == 0, out
    assert "lock verified" in out


def test_a_changed_data_cell_is_named(seed: Path, cli: Cli) -> None:
    lock = _lock(seed, cli)
    subjects = lock["results"]["eligibility"]["subjects"]
    subject = next(i for i, st in zip(subjects["id"], subjects["status"], strict=True) if st == "eligible")
    path = seed / "data" / "subjects.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    row = next(r for r in rows if r[0] == subject)
    row[rows[0].index("age")] = "80"  # I1 admits 18 to 75
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)

    code, doc = _verify(seed, cli)
    assert code == 1 and doc["ok"] is False
    [data] = _messages(doc, "TS803")
    assert data.startswith("dataset subjects (subjects.csv) changed: sha256 ")
    assert not _messages(doc, "TS802")  # the protocol did not change
    changed = _messages(doc, "TS801")
    assert f"eligibility.subjects[{subject}].status: 'eligible' -> 'ineligible'" in changed
    assert f"eligibility.subjects[{subject}].outcomes.I1: 'pass' -> 'fail'" in changed
    hint = next(d["hint"] for d in _findings(doc) if d["code"] == "TS801")
    assert "dataset subjects (subjects.csv) changed" in hint and "trialspec lock" in hint
    causes = doc["sections"]["lock"]["summary"]["causes"]
    assert causes == [data.split("; ")[0]]
    line = rows.index(row) + 1  # the file line of the edited row (the header is line 1)
    assert data.split("; ")[0].endswith(f"21 -> 21 rows, changed line {line}")
    assert doc["sections"]["lock"]["summary"]["subjects"] == [subject]
    assert f"Subjects whose results changed: {subject}" in hint


def test_a_changed_threshold_is_named(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    protocol = seed / PROTOCOL
    text = protocol.read_text("utf-8")
    assert "anc >= 1.0 10^9/L" in text
    protocol.write_text(text.replace("anc >= 1.0 10^9/L", "anc >= 1.5 10^9/L"), "utf-8")

    code, doc = _verify(seed, cli)
    assert code == 1
    [edited] = _messages(doc, "TS802")
    assert edited.startswith("protocol seed-rd-rrmm.yaml edited: sha256 ")
    assert not _messages(doc, "TS803")
    changed = _messages(doc, "TS801")
    assert any(m.startswith("eligibility.criteria[I4].fail: ") for m in changed)
    assert any(m.startswith("eligibility.counts.eligible: ") for m in changed)
    where = next(d["location"] for d in _findings(doc) if d["code"] == "TS802")
    lines = (seed / LOCK).read_text("utf-8").splitlines()
    assert where["path"].endswith(LOCK) and '"sha256"' in lines[where["line"] - 1]


def test_an_edited_protocol_with_the_same_results_is_still_drift(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    protocol = seed / PROTOCOL
    protocol.write_text(protocol.read_text("utf-8") + "# a comment\n", "utf-8")
    code, doc = _verify(seed, cli)
    assert code == 1
    [edited] = _messages(doc, "TS802")
    assert edited.endswith("the results still reproduce") and not _messages(doc, "TS801")


def test_a_changed_engine_version_is_named(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    lock = seed / LOCK
    text = lock.read_text("utf-8")
    assert f'"trialspec_version": "{__version__}"' in text
    old = f'"trialspec_version": "{__version__}"'
    lock.write_text(text.replace(old, '"trialspec_version": "0.0.1"'), "utf-8")

    code, doc = _verify(seed, cli)
    assert code == 0  # the results reproduce: a new engine is a note, not drift
    [engine] = _messages(doc, "TS804")
    assert engine == f"trialspec version changed: 0.0.1 -> {__version__}; the results still reproduce"
    finding = next(d for d in _findings(doc) if d["code"] == "TS804")
    assert finding["severity"] == "warning"
    assert finding["location"]["line"] == next(i for i, ln in enumerate(text.splitlines(), 1)
                                               if '"trialspec_version"' in ln)


def test_a_changed_result_value_in_the_lock_is_caught(seed: Path, cli: Cli) -> None:
    lock = _lock(seed, cli)
    eligible = lock["results"]["eligibility"]["counts"]["eligible"]
    lock["results"]["eligibility"]["counts"]["eligible"] = eligible + 1
    (seed / LOCK).write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n", "utf-8")
    code, doc = _verify(seed, cli)
    assert code == 1
    assert _messages(doc, "TS801") == [f"eligibility.counts.eligible: {eligible + 1} -> {eligible}"]
    hint = next(d["hint"] for d in _findings(doc) if d["code"] == "TS801")
    assert "no input, engine or dependency version changed" in hint


def test_unreadable_lock(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    lock = seed / LOCK
    lock.write_text("<<<<<<< HEAD\n" + lock.read_text("utf-8"), "utf-8")
    code, doc = _verify(seed, cli, "--data", str(seed / "data"))
    assert code == 1
    [finding] = _findings(doc)
    assert finding["code"] == "TS806" and finding["location"]["line"] == 1
    assert "not valid JSON" in finding["message"]
    assert _verify(seed, cli)[0] == 1  # without --data too: the lock cannot say where the data are


def test_newer_lock_format(seed: Path, cli: Cli) -> None:
    lock = _lock(seed, cli)
    lock["lock_version"] = 99
    (seed / LOCK).write_text(json.dumps(lock), "utf-8")
    code, doc = _verify(seed, cli, "--data", str(seed / "data"))
    assert code == 1 and "lock format 99" in _messages(doc, "TS806")[0]


def test_missing_lock_is_a_usage_error(seed: Path, cli: Cli) -> None:
    code, out = cli("verify", str(seed / PROTOCOL))
    assert code == 2 and "no lock file" in out and "trialspec lock" in out


def test_bad_tolerance_is_a_usage_error(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    assert cli("verify", str(seed / PROTOCOL), "--rtol", "-1")[0] == 2
    assert cli("verify", str(seed / PROTOCOL), "--rtol", "x")[0] == 2


def test_data_folder_can_be_given(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    moved = seed / "elsewhere"
    shutil.move(seed / "data", moved)
    assert cli("verify", str(seed / PROTOCOL))[0] == 2  # the folder the lock names is gone
    code, doc = _verify(seed, cli, "--data", str(moved))
    assert code == 0 and _findings(doc) == []


def test_a_protocol_that_does_not_compile(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    protocol = seed / PROTOCOL
    protocol.write_text(protocol.read_text("utf-8").replace("when: pn_grade >= 2", "when: pn_grade >= "),
                        "utf-8")
    code, doc = _verify(seed, cli)
    assert code == 1
    assert _messages(doc, "TS807") and _messages(doc, "TS802")
    assert doc["diagnostics"]  # the errors that stopped the check are shown
    os.remove(seed / LOCK)
    code, out = cli("lock", str(protocol), "--data", str(seed / "data"))
    assert code == 1 and "nothing locked" in out and not (seed / LOCK).exists()


def test_console_verdict(seed: Path, cli: Cli) -> None:
    _lock(seed, cli)
    code, out = cli("verify", str(seed / PROTOCOL), "--data", str(seed / "data"))
    assert code == 0 and "lock verified:" in out and "rtol 1e-09" in out


def test_a_lock_does_not_choose_what_verify_reads(seed: Path, cli: Cli) -> None:
    """A lock is data: a data_dir of /etc (or one climbing out with ..) is refused before any
    file is read, and the user names the folder with --data."""
    for where in ("/etc", "../data", "../../../../../../etc"):
        lock = _lock(seed, cli)
        lock["data_dir"] = where
        (seed / LOCK).write_text(json.dumps(lock), "utf-8")
        code, out = cli("verify", str(seed / PROTOCOL))
        assert code == 2 and "TS905" in out and "/etc/passwd" not in out, out
    code, doc = _verify(seed, cli, "--data", str(seed / "data"))
    assert code == 0 and _findings(doc) == []


def test_a_lock_may_name_a_folder_inside_its_own(seed: Path, cli: Cli) -> None:
    shutil.move(seed / "data", seed / "protocols" / "data")
    code, out = cli("lock", str(seed / PROTOCOL), "--data", str(seed / "protocols" / "data"))
    assert code == 0, out
    assert json.loads((seed / LOCK).read_text("utf-8"))["data_dir"] == "data"
    code, out = cli("verify", str(seed / PROTOCOL))
    assert code == 0 and "lock verified" in out
