"""JUnit XML reports, so CI systems list every rule as a test. Computes nothing.

A check gives a ``findings`` suite with one failed test case per diagnostic code that has
failing findings (errors left after ``--select``/``--ignore`` and not accepted:
:func:`trialspec.triage.failing`, the definition every format shares): its failure lists every
such finding with ``file:line:col``, the source line and the caret. Accepted findings are
passed cases saying ``accepted:`` and why; warnings and notes sit in a passed case's output.
Each report section (eligibility, dosing, response, analyses, claims, lock: whatever the
result holds) is a suite with one passed ``<testcase>`` per :class:`~trialspec.results.Case`:
an ineligible subject or a criterion no one could be assessed on is a result, said in
``system-out``, not a failure. Output is
deterministic (no timestamps or host names) and valid against the Jenkins/Surefire JUnit
schema (tests/fixtures/schemas/junit-10.xsd).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.results import CheckResult

# characters XML 1.0 cannot carry, even escaped
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_check(result: CheckResult) -> str:
    m = result.manifest
    prefix = PurePath(m.protocol_path).stem or "protocol"
    # a section's cases are its results (an ineligible subject, a criterion no subject could
    # be assessed on): recorded, never failures. What failed is the findings suite's, by the
    # one definition every format shares (trialspec.triage.failing).
    suites = [_suite(f"{prefix}.{s.name}", [_result_case(c, f"{prefix}.{s.name}") for c in s.cases])
              for s in result.sections]
    findings = _suite(f"{prefix}.findings", _finding_cases(result, f"{prefix}.findings"))
    _properties(findings, {"protocol": m.protocol_path, "protocol_sha256": m.protocol_sha256,
                           "trialspec_version": m.trialspec_version,
                           **{f"dataset.{d['name']}.sha256": d["sha256"] or "" for d in m.datasets}})
    return _document(f"trialspec {m.protocol_path}", [findings, *suites])


def render_diagnostics(diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    """Lint: one test case per protocol file, failed when the file has errors."""
    paths = sorted({*sources, *(d.span.path for d in diags if d.span is not None)})
    cases = []
    for path in paths:
        here = [d for d in diags if d.span is not None and d.span.path == path]
        errors = [d for d in here if d.severity is Severity.ERROR]
        others = [d for d in here if d not in errors]
        case = _case(path, "trialspec.lint", not errors,
                     f"{len(errors)} error{'s' * (len(errors) != 1)}: {errors[0].code} {errors[0].message}"
                     if errors else "", "lint", _details(errors, sources))
        if others:
            ET.SubElement(case, "system-out").text = _clean(_details(others, sources))
        cases.append(case)
    loose = [d for d in diags if d.span is None]
    if loose:
        passed = not any(d.severity is Severity.ERROR for d in loose)
        cases.append(_case("(no file)", "trialspec.lint", passed, loose[0].message, "lint",
                           _details(loose, sources)))
    return _document("trialspec lint", [_suite("lint", cases)])


def _finding_cases(result: CheckResult, classname: str) -> list[ET.Element]:
    from trialspec.triage import failing

    sources = result.sources
    errors: dict[str, list[Diagnostic]] = {}
    for d in sorted(failing(result), key=Diagnostic.sort_key):
        errors.setdefault(d.code, []).append(d)
    cases = [_case(f"{code} {group[0].name}", classname, False,
                   f"{len(group)} finding{'s' * (len(group) != 1)}; first: "
                   f"{group[0].span or ''}{': ' if group[0].span else ''}{group[0].message}",
                   code, _details(group, sources))
             for code, group in sorted(errors.items())]
    accepted: dict[str, list[Diagnostic]] = {}
    for d in sorted(set(result.all_findings) & set(result.accepted), key=Diagnostic.sort_key):
        accepted.setdefault(d.code, []).append(d)
    for code, group in sorted(accepted.items()):  # accepted: a passed case that says so and why
        case = _case(f"{code} {group[0].name} (accepted)", classname, True, "")
        ET.SubElement(case, "system-out").text = _clean("\n".join(
            f"accepted: {result.accepted[d]}\n{_details([d], sources)}" for d in group))
        cases.append(case)
    if not errors:
        cases.insert(0, _case("no error findings", classname, True, ""))
    others = [d for d in result.all_findings if d.severity is not Severity.ERROR and d not in result.accepted]
    if others:
        case = _case("warnings and notes", classname, True, "")
        ET.SubElement(case, "system-out").text = _clean(_details(others, sources))
        cases.append(case)
    return cases


def _result_case(c: Any, classname: str) -> ET.Element:
    """A section's rule as a passed test case; an outcome other than "all pass" is said in
    ``system-out`` (it is a result of the check, not a failure of it)."""
    case = _case(c.name, classname, True, "")
    if not c.passed:
        ET.SubElement(case, "system-out").text = _clean(f"result: {c.message}")
    return case


def _details(diags: Sequence[Diagnostic], sources: Mapping[str, Any]) -> str:
    from trialspec.report.diagnostics import render

    return "\n".join(render(d, sources).plain for d in diags)


def _case(name: str, classname: str, passed: bool, message: str, kind: str = "",
          body: str = "") -> ET.Element:
    case = ET.Element("testcase", {"name": _clean(name), "classname": _clean(classname), "time": "0"})
    if not passed:
        failure = ET.SubElement(case, "failure",
                                {"message": _clean(message), "type": _clean(kind or "failure")})
        failure.text = _clean(body or message)
    return case


def _suite(name: str, cases: list[ET.Element]) -> ET.Element:
    failures = sum(c.find("failure") is not None for c in cases)
    suite = ET.Element("testsuite", {"name": _clean(name), "tests": str(len(cases)),
                                     "failures": str(failures), "errors": "0", "skipped": "0", "time": "0"})
    suite.extend(cases)
    return suite


def _properties(suite: ET.Element, values: Mapping[str, str]) -> None:
    props = ET.Element("properties")
    for k, v in values.items():
        ET.SubElement(props, "property", {"name": _clean(k), "value": _clean(v)})
    suite.insert(0, props)


def _document(name: str, suites: list[ET.Element]) -> str:
    root = ET.Element("testsuites", {
        "name": _clean(name),
        "tests": str(sum(int(s.get("tests", 0)) for s in suites)),
        "failures": str(sum(int(s.get("failures", 0)) for s in suites)),
        "errors": "0", "time": "0"})
    root.extend(suites)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _clean(text: Any) -> str:
    """Text XML can hold: characters XML 1.0 forbids become U+FFFD."""
    return _ILLEGAL.sub("\ufffd", "" if text is None else str(text))
