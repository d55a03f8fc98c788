"""The functions of the expression language: one signature row each.

``kind`` says how a call is compiled: ``scalar`` row-wise, ``aggregate`` over a related
dataset's rows per subject, ``series`` over a subject's assessments in time order.
``docs/language.md`` documents each row; add a function by adding a row here and a
kernel to each engine.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    """How many arguments a function takes, of what, and what it returns."""

    name: str
    kind: str  # scalar | aggregate | series
    min_args: int
    max_args: int | None  # None: any number
    args: str  # number | ordered | any | ranged | dataset | row-number | row-any | series-number | series-condition
    returns: str  # number | same | condition | percent | count
    doc: str


FUNCTIONS: dict[str, Signature] = {
    s.name: s
    for s in (
        Signature("min", "scalar", 2, None, "ordered", "same", "The smallest of the values (numbers, durations or dates); unknown if any is missing."),
        Signature("max", "scalar", 2, None, "ordered", "same", "The largest of the values (numbers, durations or dates); unknown if any is missing."),
        Signature("abs", "scalar", 1, 1, "number", "same", "The absolute value."),
        Signature("coalesce", "scalar", 2, None, "any", "same", "The first value that is present."),
        Signature("ratio", "scalar", 2, 2, "number", "ratio", "a / b; missing when b is 0."),
        Signature("lln", "scalar", 1, 1, "ranged", "same", "The lower limit of normal of the column's row (its `range: {low: ...}`)."),
        Signature("uln", "scalar", 1, 1, "ranged", "same", "The upper limit of normal of the column's row (its `range: {high: ...}`)."),
        Signature("count", "aggregate", 1, 1, "dataset", "count", "How many rows of a dataset the subject has (that match `where`)."),
        Signature("any", "aggregate", 1, 1, "dataset", "condition", "Whether any of the subject's rows match `where`."),
        Signature("all", "aggregate", 1, 1, "dataset", "condition", "Whether all of the subject's rows match `where`."),
        Signature("sum", "aggregate", 1, 1, "row-number", "same", "The sum of a column over the subject's rows."),
        Signature("mean", "aggregate", 1, 1, "row-number", "same", "The mean of a column over the subject's rows."),
        Signature("count_distinct", "aggregate", 1, 1, "row-any", "count", "How many distinct values a column holds over the subject's rows (that match `where`)."),
        Signature("baseline", "series", 1, 1, "series-number", "same", "The value at the baseline assessment (by default the last before first dose)."),
        Signature("nadir", "series", 1, 1, "series-number", "same", "The lowest value so far, after baseline, up to the current assessment."),
        Signature("change", "series", 1, 1, "series-number", "same", "The value minus its baseline."),
        Signature("pct_change", "series", 1, 1, "series-number", "percent", "The change from baseline, in percent of baseline."),
        Signature("change_from_nadir", "series", 1, 1, "series-number", "same", "The value minus the nadir before it."),
        Signature("previous", "series", 1, 1, "series-any", "same", "The value at the previous assessment."),
        Signature("consecutive", "series", 2, 2, "series-condition", "condition", "Whether the condition holds at this and the n-1 assessments before it."),
    )
}

# min and max also aggregate when given one row-grain column: max(labs.anc).
AGGREGATE_FORMS = {"min", "max", "count", "any", "all", "sum", "mean", "count_distinct"}
