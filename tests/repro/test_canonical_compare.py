"""Canonical lock text and the comparison behind `verify`: rounding, line map, tolerance, matching."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from trialspec.repro.canonical import canonical, dump, sha256_of
from trialspec.repro.lock import LockFile, criteria_libraries
from trialspec.repro.verify import SHOW_CHANGES, compare, same, verify
from trialspec.source import SourceFile


def test_canonical_values() -> None:
    doc = canonical({"f": 0.1 + 0.2, "np": np.float64(1 / 3), "i": np.int64(4), "b": np.bool_(True),
                     "nan": float("nan"), "inf": -np.inf, "neg0": -0.0, "t": (1, 2), "s": {3, 1},
                     "d": dt.date(2014, 6, 1), 5: None})
    assert doc == {"f": 0.3, "np": 0.333333333333, "i": 4, "b": True, "nan": "NaN", "inf": "-Infinity",
                   "neg0": 0.0, "t": [1, 2], "s": [1, 3], "d": "2014-06-01", "5": None}
    assert type(doc["i"]) is int and type(doc["b"]) is bool
    assert canonical(1.23456789012345e-20) == 1.23456789012e-20


def test_dump_is_json_dumps_and_knows_every_line() -> None:
    doc = canonical({"b": {"z": [1, {"k": "v"}, []], "a": {}}, "a": "é", "c": [0.5]})
    text, lines = dump(doc)
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    rows = text.splitlines()
    assert rows[lines[("b", "z", 1, "k")] - 1].strip() == '"k": "v"'
    assert rows[lines[("c", 0)] - 1].strip() == "0.5"
    assert rows[lines[("b", "a")] - 1].strip() == '"a": {},'


def test_hash_ignores_key_order() -> None:
    assert sha256_of({"a": 1, "b": [1, 2]}) == sha256_of({"b": [1, 2], "a": 1})
    assert sha256_of({"a": 1}) != sha256_of({"a": 1.5})


@pytest.mark.parametrize(("a", "b", "rtol", "expected"), [
    (1, 1, 0.0, True), (1, 2, 0.5, False),  # integers compare exactly
    (0.047, 0.047 * (1 + 1e-10), 1e-9, True), (0.047, 0.047 * (1 + 1e-8), 1e-9, False),
    (0.047, 0.047 * (1 + 1e-8), 1e-7, True), (17, 17.0, 1e-9, True),
    (True, 1, 1e-9, False), ("1", 1, 1e-9, False), (None, 0, 1e-9, False), ("NaN", "NaN", 1e-9, True),
])
def test_same(a: Any, b: Any, rtol: float, expected: bool) -> None:
    assert same(a, b, rtol) is expected


def test_lists_of_named_items_match_by_name() -> None:
    old = {"subjects": [{"id": "P01", "status": "eligible"}, {"id": "P02", "status": "ineligible"}]}
    new = {"subjects": [{"id": "P02", "status": "ineligible"}, {"id": "P01", "status": "ineligible"},
                        {"id": "P03", "status": "eligible"}]}
    changes = list(compare(old, new, 1e-9))
    first = changes[0]
    assert (first.label, first.locked, first.now) == ("subjects[P01].status", "eligible", "ineligible")
    assert changes[0].path == ("subjects", 0, "status")  # where it is in the lock
    added = changes[1]
    assert added.label == "subjects[P03]" and added.now == {"id": "P03", "status": "eligible"}
    assert list(compare({"xs": [1, 2, 3]}, {"xs": [1, 5]}, 0))[0].label == "xs[1]"


def _lock_file(doc: dict[str, Any]) -> LockFile:
    text, lines = dump(doc)
    return LockFile("s.yaml.lock.json", doc, lines, SourceFile("s.yaml.lock.json", text))


def _doc(results: dict[str, Any], version: str = "1.0") -> dict[str, Any]:
    doc = {"lock_version": 1, "trialspec_version": version, "dependencies": {"numpy": "2.0"}, "criteria": {},
           "protocol": {"path": "s.yaml", "sha256": "a" * 64}, "data_dir": "data",
           "datasets": {"subjects": {"path": "s.csv", "sha256": "b" * 64, "rows": 3}},
           "results": canonical(results), "findings": {}}
    doc["results_sha256"] = sha256_of({"results": doc["results"], "findings": {}})
    return doc


def test_floats_within_tolerance_verify() -> None:
    locked = _doc({"analyses": {"T4": {"p": 0.0465123456789, "or": 3.25}}})
    now = _doc({"analyses": {"T4": {"p": 0.0465123456789 * (1 + 1e-11), "or": 3.25}}})
    section = verify(_lock_file(locked), now, 1e-9)
    assert section.findings == [] and section.summary["verified"] is True
    section = verify(_lock_file(locked), _doc({"analyses": {"T4": {"p": 0.0471, "or": 3.25}}}), 1e-9)
    [finding] = section.findings
    assert finding.code == "TS801"
    assert finding.message.startswith("analyses.T4.p: 0.0465123456789 -> 0.0471 (")
    assert "relative difference 0.012 > rtol 1e-09" in finding.message
    assert finding.span is not None
    assert finding.span.line == dump(locked)[1][("results", "analyses", "T4", "p")]
    assert "dependency versions changed" not in (finding.hint or "")
    assert "the computation may not be deterministic" in (finding.hint or "")


def test_dependency_changes_are_offered_as_a_cause() -> None:
    now = _doc({"x": 2})
    now["dependencies"] = {"numpy": "2.1"}
    [finding] = verify(_lock_file(_doc({"x": 1})), now).findings
    assert "dependency versions changed: numpy 2.0 -> 2.1" in (finding.hint or "")


def test_inputs_added_and_removed() -> None:
    now = _doc({"x": 1}, version="2.0")
    now["datasets"] = {"labs": {"path": "lb.csv", "sha256": "c" * 64, "rows": 9}}
    section = verify(_lock_file(_doc({"x": 1})), now)
    messages = {d.code: [] for d in section.findings}
    for d in section.findings:
        messages[d.code].append(d.message)
    assert messages["TS804"] == ["trialspec version changed: 1.0 -> 2.0; the results still reproduce"]
    assert sorted(messages["TS803"]) == [
        "dataset labs (lb.csv) is read now but is not in the lock; the results still reproduce",
        "dataset subjects (s.csv) is in the lock but was not read now (the protocol no longer names it, "
        "or it could not be read); the results still reproduce"]
    assert section.summary["verified"] is False


def test_many_changes_are_summarised() -> None:
    n = SHOW_CHANGES + 7
    section = verify(_lock_file(_doc({"v": list(range(n))})), _doc({"v": [i + 1 for i in range(n)]}))
    ts801 = [d for d in section.findings if d.code == "TS801"]
    assert len(ts801) == SHOW_CHANGES + 1 and ts801[-1].message.startswith("and 7 more changed results")
    assert len(section.summary["changes"]) == n


def test_criteria_libraries() -> None:
    assert criteria_libraries(None) == {}
    assert criteria_libraries(SimpleNamespace(response=None)) == {}
    assert criteria_libraries(SimpleNamespace(response=SimpleNamespace(criteria="no-such-library"))) == {
        "no-such-library": None}
    shipped = criteria_libraries(SimpleNamespace(response=SimpleNamespace(criteria="imwg-2016")))
    assert shipped["imwg-2016"] is None or len(shipped["imwg-2016"] or "") == 64


def test_changes_are_ordered_by_consequence() -> None:
    from trialspec.repro.verify import Change, changed_subjects, consequence_rank

    def change(section: str, label: str) -> Change:
        return Change(("results", section), label, 1, 2)

    found = [change("analyses", "analyses.analyses.T2.orr.fixed.ci[0]"),
             change("eligibility", "eligibility.subjects[P03].outcomes.I1"),
             change("claims", "claims.results[T2.orr].computed"),
             change("eligibility", "eligibility.subjects[P03].status"),
             change("claims", "claims.results[T2.orr].status"),
             change("dosing", "dosing.per_subject[P07].drugs.lenalidomide.rdi")]
    ordered = [c.label for c in sorted(found, key=consequence_rank)]
    assert ordered == ["claims.results[T2.orr].status", "eligibility.subjects[P03].status",
                       "claims.results[T2.orr].computed", "eligibility.subjects[P03].outcomes.I1",
                       "dosing.per_subject[P07].drugs.lenalidomide.rdi",
                       "analyses.analyses.T2.orr.fixed.ci[0]"]
    assert changed_subjects(found) == ["P03", "P07"]


def test_claims_are_matched_by_their_label() -> None:
    orr, os_ = {"claim": "T2.orr", "status": "reproduced"}, {"claim": "T2.os", "status": "reproduced"}
    locked = {"results": [orr, os_]}
    now = {"results": [os_, {**orr, "status": "not reproduced"}]}
    [c] = list(compare(locked, now, 1e-9, (), "claims"))
    assert c.label == "claims.results[T2.orr].status"
