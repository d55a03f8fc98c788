"""The JSON report's companion: each subject's results as Parquet beside the report.

A report lists each subject (id, status, every criterion's outcome, missing data) only for
studies of at most ``SUBJECTS_IN_JSON`` subjects (10,000): beyond that a JSON document of
per-subject lists is large and slow for every reader, so the summary says
``"subjects_in": "parquet"`` and the rows go to ``<report>.subjects.parquet`` beside the JSON
file (``report.json`` -> ``report.subjects.parquet``), written by the same rules as every
output (report/output.py: never onto an input, replaced atomically), a row group at a time.
docs/reports.md has the schema.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from trialspec.report.output import STDOUT, write_atomic_stream

SUFFIX = ".subjects.parquet"
ROW_GROUP = 1 << 20  # subjects a row group (and a batch built at a time)


def companion_path(report: str | Path) -> Path | None:
    """Where the per-subject Parquet of a JSON report at ``report`` goes (None: standard output)."""
    if str(report) == STDOUT or not str(report):
        return None
    path = Path(report)
    if path.exists() and not path.is_file():  # a device (/dev/null) or FIFO has no "beside"
        return None
    return path.with_name((path.stem if path.suffix.lower() == ".json" else path.name) + SUFFIX)


def omitted(result: Any) -> bool:
    """Whether the JSON report leaves the subjects out (a large study), so they go to Parquet."""
    elig = result.section("eligibility")
    return elig is not None and elig.subjects is not None and "subjects" not in elig.summary


def write_subjects(result: Any, report: str | Path) -> Path | None:
    """Write the per-subject Parquet beside the JSON report when the report leaves them out."""
    target = companion_path(report)
    if target is None or not omitted(result):
        return None
    import pyarrow.parquet as pq

    subjects = result.section("eligibility").subjects
    batches = subjects.arrow_batches(ROW_GROUP)
    first = next(batches)

    # the words (status, outcomes, missing) dictionary-encoded, the ids not (one each: trying
    # costs); statistics (min and max per row group) only for the ids, what a reader filters by;
    # the ids compressed (Snappy: a third of their size), the words not: their runs of a few
    # codes are already small, and Snappy over them cost a sixth of the file's encoding time
    # (5M subjects: 0.09 s of 0.6 s) for 4% of its size
    words = [name for name in first.schema.names if name != "subject"]

    def write(f: Any) -> None:
        # batch by batch, so the rows are never all held as Arrow; each batch is encoded in a
        # thread while the next is built (Arrow's writer lets go of the GIL): two at a time
        options = {"use_dictionary": words, "write_statistics": ["subject"],
                   "compression": {"subject": "snappy", **dict.fromkeys(words, "none")}}
        with pq.ParquetWriter(f, first.schema, **options) as writer, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="trialspec-parquet") as pool:
            pending = pool.submit(writer.write_batch, first, row_group_size=ROW_GROUP)
            for batch in batches:
                pending.result()
                pending = pool.submit(writer.write_batch, batch, row_group_size=ROW_GROUP)
            pending.result()

    write_atomic_stream(target, write)
    return target
