"""Tidy DataFrames of a check's result, for :class:`trialspec.api.Study` (pandas imported here).

One row per thing: a finding (with the structured fields its checker knew), an analysis's
statistic, a claim, a subject's dosing or response. Columns are numeric where the values are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from trialspec.diagnostics import Diagnostic
from trialspec.results import CheckResult, Section

FINDING_COLUMNS = ("code", "name", "severity", "section", "subject", "dataset", "column", "row", "value",
                   "claim", "analysis", "file", "line", "col", "message", "hint", "accepted")
ANALYSIS_COLUMNS = ("analysis", "method", "group", "statistic", "value", "ci_lower", "ci_upper")
_INT = re.compile(r"-?(0|[1-9][0-9]*)")
_INT_ANCHORED = r"^-?(0|[1-9][0-9]*)$"


def native_ids(ids: list[str]) -> list[Any]:
    """Subject keys in their native type: the JSON-ready summary holds them as text, so keys that
    are all canonical integers ("1", "42", never "007") become integers again."""
    if ids and all(isinstance(i, str) and _INT.fullmatch(i) for i in ids):
        return [int(i) for i in ids]
    return list(ids)


def native_index(ids: Any) -> Any:
    """:func:`native_ids` for an array of keys, vectorized (Arrow): keys that are all canonical
    integers become an int64 index, any other keys their text."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arrow = pa.array(ids, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # keys that are not text: as native_ids does
        return pd.Index(native_ids(list(ids)), name="subject")
    if len(arrow) and not arrow.null_count and pc.all(pc.match_substring_regex(arrow, _INT_ANCHORED)).as_py():
        try:
            return pd.Index(pc.cast(arrow, pa.int64()).to_numpy(), name="subject")
        except pa.ArrowInvalid:  # beyond int64: kept as text
            pass
    return pd.Index(ids, dtype=object, name="subject")


def eligibility(section: Section) -> Any:
    """One row per subject, indexed by its key: each criterion's outcome and the status, built
    from the section's arrays (categorical columns: one code per subject, no string each)."""
    import pandas as pd

    subjects = section.subjects
    if subjects is None:  # a section rebuilt from a report: its lists
        lists = section.summary["subjects"]
        frame = pd.DataFrame({"subject": native_ids(lists["id"]), **lists["outcomes"],
                              "status": lists["status"]})
        return frame.set_index("subject")
    from trialspec.domain.eligibility import STATUS_NAMES, WORDS

    index = native_index(subjects.ids)
    words = pd.CategoricalDtype(list(WORDS))
    data = {c: pd.Categorical.from_codes(subjects.outcomes[:, j] % 4, dtype=words)
            for j, c in enumerate(subjects.criteria)}
    data["status"] = pd.Categorical.from_codes(subjects.status_code,
                                               dtype=pd.CategoricalDtype(list(STATUS_NAMES)))
    return pd.DataFrame(data, index=index)


def findings(result: CheckResult) -> Any:
    import pandas as pd

    data_paths = {str(d["path"]): str(d["name"]) for d in result.manifest.datasets if d.get("path")}
    rows = []
    for d, section in result.tagged_findings:
        rows.append(finding_row(d, section, data_paths, result.accepted.get(d)))
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    for c in ("line", "col", "row"):
        frame[c] = pd.array(frame[c], dtype="Int64")
    return frame


def finding_row(d: Diagnostic, section: str | None, data_paths: dict[str, str],
                 accepted: str | None) -> dict[str, Any]:
    span = d.span
    dataset = d.about("dataset")
    row = d.about("row")
    if span is not None and dataset is None:  # a span in a data file names the dataset and row
        name = next((n for p, n in data_paths.items() if span.path == p or span.path.endswith("/" + p)), None)
        if name is not None:
            dataset, row = name, row if row is not None else span.line
    subject = d.about("subject")
    return {"code": d.code, "name": d.name, "severity": d.severity.value, "section": section,
            "subject": subject, "dataset": dataset, "column": d.about("column"), "row": row,
            "value": d.about("value"), "claim": d.about("claim"), "analysis": d.about("analysis"),
            "file": span.path if span else None, "line": span.line if span else None,
            "col": span.col if span else None, "message": d.message, "hint": d.hint,
            "accepted": accepted}


def analyses(result: CheckResult) -> Any:
    """One row per analysis x statistic (x group): numeric ``value`` and its CI where it has one."""
    import pandas as pd

    section = result.section("analyses")
    rows: list[tuple[Any, ...]] = []
    for aid, res in (section.summary.get("analyses", {}) if section else {}).items():
        if isinstance(res, dict):
            method = res.get("method")
            rows += [(aid, method, g, stat, v, lo, hi) for g, stat, v, lo, hi in _statistics(res)]
    frame = pd.DataFrame(rows, columns=list(ANALYSIS_COLUMNS))
    for c in ("value", "ci_lower", "ci_upper"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


def _statistics(node: Any, path: str = "", group: str | None = None
                ) -> Iterator[tuple[str | None, str, float, float | None, float | None]]:
    if isinstance(node, dict):
        if "estimate" in node and isinstance(node.get("ci"), list | tuple):
            lo, hi = (list(node["ci"]) + [None, None])[:2]
            yield group, path.rstrip(".") or "estimate", node["estimate"], lo, hi
            rest = {k: v for k, v in node.items() if k not in ("estimate", "ci")}
        elif "proportion" in node and isinstance(node.get("ci"), list | tuple):
            lo, hi = (list(node["ci"]) + [None, None])[:2]
            yield group, path + "proportion", node["proportion"], lo, hi
            rest = {k: v for k, v in node.items() if k not in ("proportion", "ci")}
        else:
            rest = node
        for k, v in rest.items():
            if k in ("label", "method", "ran", "by", "model", "measure", "pooling"):
                continue
            yield from _statistics(v, f"{path}{k}.", group)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            label = item.get("label") if isinstance(item, dict) else None
            if label is not None:
                yield from _statistics(item, path, str(label))
            elif isinstance(item, int | float) and not isinstance(item, bool):
                yield group, f"{path}{i}", float(item), None, None
            else:
                yield from _statistics(item, f"{path}{i}.", group)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield group, path.rstrip("."), float(node), None, None


def claims(result: CheckResult) -> Any:
    import pandas as pd

    section = result.section("claims")
    rows = section.summary.get("results", []) if section else []
    frame = pd.DataFrame([{**r, "codes": ", ".join(r.get("codes", [])),
                           "inconsistent": "; ".join(r.get("inconsistent", []))} for r in rows],
                         columns=["claim", "printed", "status", "computed", "analysis", "codes", "message",
                                  "inconsistent"])
    return frame.set_index("claim")


def dosing(result: CheckResult) -> Any:
    """One row per subject and drug: arm, cycles, planned and delivered dose, relative intensity."""
    import pandas as pd

    section = result.section("dosing")
    rows = []
    for s in (section.summary.get("per_subject", []) if section else []):
        for drug, d in (s.get("drugs") or {}).items():
            rows.append({"subject": s.get("id"), "arm": s.get("arm"), "cycles": s.get("cycles"), "drug": drug,
                         **{k: d.get(k) for k in ("planned", "delivered", "unit", "rdi")}})
    frame = pd.DataFrame(rows, columns=["subject", "arm", "cycles", "drug", "planned", "delivered", "unit",
                                        "rdi"])
    frame["subject"] = native_ids([str(x) for x in frame["subject"]]) if len(frame) else frame["subject"]
    return frame


def responses(result: CheckResult) -> Any:
    """One row per subject: best response, confirmation, dates, duration of response."""
    import pandas as pd

    section = result.section("response")
    rows = section.summary.get("per_subject", []) if section else []
    frame = pd.DataFrame(rows)
    if "id" in frame:
        frame = frame.rename(columns={"id": "subject"})
        frame["subject"] = native_ids([str(x) for x in frame["subject"]])
        frame = frame.set_index("subject")
    return frame
