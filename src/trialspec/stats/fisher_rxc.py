"""Fisher's exact test of an r x c table (r, c > 2), as R's ``fisher.test``: the sum of the
probabilities of every table with the observed margins that is at most as probable as the
observed one (FEXACT's tolerance on the log probability).

A simplified network algorithm: the table is built column by column; a node is the multiset
of row totals still to fill (rows are exchangeable for what remains), holding the distinct
log-probabilities of the partial tables that reach it with their multiplicities. Bounds on
what the remaining columns can add (each column split alone, as evenly and as unevenly as
its row caps allow) settle whole groups of completions at once: all count, or none does.
Beyond ``MAX_VALUES`` open partial values the test refuses, and the chi-square test is the
fallback.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from trialspec.stats._rcompat import FEXACT_TOL
from trialspec.stats.errors import StatsInputError

MAX_VALUES = 2_000_000


def _splits(total: int, caps: np.ndarray) -> np.ndarray:
    """Every way to split ``total`` into len(caps) parts, part i at most caps[i]."""
    parts = np.zeros((1, 0), dtype=np.int64)
    for i in range(len(caps) - 1):
        values = np.arange(0, min(int(caps[i]), total) + 1)
        grown = np.column_stack([np.repeat(parts, len(values), axis=0), np.tile(values, len(parts))])
        rest = total - grown.sum(axis=1)
        parts = grown[(rest >= 0) & (rest <= int(caps[i + 1:].sum()))]
    last = total - parts.sum(axis=1)
    return np.column_stack([parts, last])[last <= caps[-1]]


def _even(total: int, caps: np.ndarray) -> float:
    """max of -sum log x! for one column: fill the rows as evenly as their caps allow."""
    x = np.zeros(len(caps), dtype=np.int64)
    left = total
    order = np.argsort(caps)
    for k, i in enumerate(order):
        share = min(int(caps[i]), left // (len(caps) - k))
        x[i] = share
        left -= share
    x[order[-1]] += left
    return float(-gammaln(x + 1).sum())


def _uneven(total: int, caps: np.ndarray) -> float:
    """min of -sum log x! for one column: fill the largest rows first."""
    x = np.zeros(len(caps), dtype=np.int64)
    left = total
    for i in np.argsort(-caps):
        x[i] = min(int(caps[i]), left)
        left -= x[i]
    return float(-gammaln(x + 1).sum())


def fisher_rxc_p_value(table: np.ndarray) -> float:
    t = np.asarray(table, dtype=np.int64)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    n = int(t.sum())
    const = float(gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(n + 1))
    target = float(-gammaln(t + 1).sum()) + FEXACT_TOL  # a table counts when its value <= this
    nodes: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {
        tuple(sorted(rows.tolist())): (np.zeros(1), np.ones(1))}
    p = 0.0
    for j, total in enumerate(cols):
        later = cols[j + 1:]
        pending: dict[tuple[int, ...], list[tuple[np.ndarray, np.ndarray]]] = {}
        for key, (values, weights) in nodes.items():
            caps = np.array(key, dtype=np.int64)
            splits = _splits(int(total), caps)
            steps = -gammaln(splits + 1).sum(axis=1)
            rests = np.sort(caps - splits, axis=1)
            for after, step in zip(map(tuple, rests.tolist()), steps.tolist(), strict=True):
                pending.setdefault(after, []).append((values + step, weights))
        nodes = {}
        size = 0
        for key, parts in pending.items():
            v = np.concatenate([a for a, _ in parts])
            w = np.concatenate([b for _, b in parts])
            if not len(later):
                keep = v <= target
                p += float((w[keep] * np.exp(const + v[keep])).sum())
                continue
            left = np.array(key, dtype=np.int64)
            hi = sum(_even(int(c), left) for c in later)  # the most probable completion
            lo = sum(_uneven(int(c), left) for c in later)
            done = v + hi <= target  # every completion counts: their total mass at once
            if done.any():
                mass = float(gammaln(left.sum() + 1) - gammaln(left + 1).sum() - gammaln(later + 1).sum())
                p += float((w[done] * np.exp(const + v[done] + mass)).sum())
            keep = ~done & (v + lo <= target)
            if keep.any():
                uniq, inverse = np.unique(np.round(v[keep], 9), return_inverse=True)
                nodes[key] = (uniq, np.bincount(inverse, weights=w[keep]))
                size += len(uniq)
        if size > MAX_VALUES:
            raise StatsInputError(f"too many tables with these margins for an exact test (more than "
                                  f"{MAX_VALUES:,} partial tables); use the chi-square test instead")
    return min(1.0, p)
