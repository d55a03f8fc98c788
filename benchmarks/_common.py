"""What every benchmark shares: a stage timer keeping the best of repeats, and a table printer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timer:
    """The best time of each named stage over repeats, in first-seen order."""

    def __init__(self) -> None:
        self.best: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        self.best[name] = min(seconds, self.best.get(name, seconds))

    def stages(self) -> list[str]:
        return list(self.best)


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows of text as aligned columns: the first left-aligned, the rest right; a rule under
    the header row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        cells = [r[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio_rows(ours: Timer, theirs: Timer, stages: list[str]) -> list[tuple[str, ...]]:
    """The header, one row per stage (best seconds of each side and their ratio), and the total."""
    rows = [("stage", "trialspec s", "pandas s", "ratio")]
    for stage in stages:
        rows.append((stage, f"{ours.best[stage]:.4f}", f"{theirs.best[stage]:.4f}",
                     f"{ours.best[stage] / theirs.best[stage]:.2f}"))
    a, b = sum(ours.best[s] for s in stages), sum(theirs.best[s] for s in stages)
    rows.append(("total", f"{a:.4f}", f"{b:.4f}", f"{a / b:.2f}"))
    return rows
