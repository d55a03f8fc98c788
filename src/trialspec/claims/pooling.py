"""What a pooled estimate can be, given studies that were themselves printed rounded.

Generic inverse variance (as R's ``meta::metagen`` and ``metafor::rma`` on estimates with CIs):
each study's estimate y (log scale for ratios) and its SE from the CI, (f(upper) - f(lower)) / 2z.
A printed study ``0.31 [0.29;0.33]`` is any point of the box [0.305, 0.315] x [0.285, 0.295] x
[0.325, 0.335], so a pooled output is a range, not a number. The range is found by evaluating
the pooling on a grid over the box (corners included) and then polishing each extreme with a
bounded local optimiser (L-BFGS-B) started from the best grid point. The fixed-effect estimate
and weights are monotone in each input, so for them the corners alone are exact; for the
random-effects outputs (tau^2 is not monotone) the polished grid is a close inner approximation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from trialspec.claims.values import EstimateCI, Number

MAX_POINTS = 200_000
"""Grid size cap: m points per input with m**(3k) <= MAX_POINTS (k studies, 3 numbers each)."""

SCALES = ("log", "linear")


@dataclass(frozen=True, slots=True)
class Range:
    """The closed range an output takes over the rounded inputs, and its value at them."""

    lo: float
    hi: float
    at_printed: float

    def overlaps(self, interval_lo: float, interval_hi: float) -> bool:
        return interval_lo <= self.hi and self.lo <= interval_hi

    def __str__(self) -> str:
        return f"{self.lo:.4g}-{self.hi:.4g}"


@dataclass(frozen=True, slots=True)
class ModelRange:
    """One pooling model's outputs over the rounded inputs; weights in percent."""

    model: str  # "fixed" or "random" (DerSimonian-Laird, tau^2 floored at 0)
    estimate: Range
    lower: Range
    upper: Range
    weights: tuple[Range, ...]


@dataclass(frozen=True, slots=True)
class PoolRanges:
    """Fixed- and random-effects outputs, with heterogeneity, over the rounded inputs."""

    fixed: ModelRange
    random: ModelRange
    q: Range
    i2: Range  # percent
    tau2: Range
    q_df: int
    points: int  # grid points evaluated before polishing

    def model(self, name: str) -> ModelRange:
        return self.fixed if name == "fixed" else self.random


def z_for(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - level) / 2))


def inverse_variance(y: np.ndarray, v: np.ndarray, z: float) -> np.ndarray:
    """Pool rows of (y, v), shape (N, k), by fixed and DL random effects, vectorized.

    Returns (N, 2 * (3 + k) + 3) columns, on the scale of y: fixed estimate, lower, upper,
    k weights in percent; the same for random effects; then Q, I^2 (percent), tau^2.
    """
    k = y.shape[1]
    w = 1.0 / v
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    se = np.sqrt(1.0 / sw)
    q = (w * (y - mu[:, None]) ** 2).sum(axis=1)
    df = k - 1
    c = sw - (w**2).sum(axis=1) / sw
    tau2 = np.maximum(0.0, (q - df) / c)  # DerSimonian-Laird, floored at 0 as metafor does
    wr = 1.0 / (v + tau2[:, None])
    swr = wr.sum(axis=1)
    mur = (wr * y).sum(axis=1) / swr
    ser = np.sqrt(1.0 / swr)
    with np.errstate(invalid="ignore", divide="ignore"):
        i2 = np.where(q > 0, np.maximum(0.0, (q - df) / np.where(q > 0, q, 1.0)), 0.0) * 100
    return np.column_stack([
        mu, mu - z * se, mu + z * se, 100 * w / sw[:, None],
        mur, mur - z * ser, mur + z * ser, 100 * wr / swr[:, None],
        q, i2, tau2,
    ])


def _box(n: Number, scale: str) -> tuple[float, float]:
    iv = n.interval
    lo, hi = float(iv.lo), float(iv.hi)
    if scale == "log":
        if n.value <= 0:
            raise ValueError(f"a ratio and its CI must be positive, not {n.text}")
        lo = max(lo, float(n.value) / 2)  # "0.01" allows 0.005 but never 0 on a log scale
    return lo, hi


class _Pool:
    """The pooled outputs as a function of the 3k rounded inputs, points in the unit cube."""

    def __init__(self, studies: Sequence[EstimateCI], scale: str, level: float):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
        if len(studies) < 2:
            raise ValueError("pooling needs at least two studies")
        self.k, self.scale, self.z = len(studies), scale, z_for(level)
        self.study_z = np.array([z_for(float(s.level) / 100 if s.level else 0.95)
                                 for s in studies])
        boxes = [_box(n, scale) for s in studies for n in (s.estimate, s.lower, s.upper)]
        self.lo = np.array([b[0] for b in boxes])
        self.hi = np.array([b[1] for b in boxes])
        mid = [float(n.value) for s in studies for n in (s.estimate, s.lower, s.upper)]
        self.printed = (np.array(mid) - self.lo) / np.where(self.hi > self.lo, self.hi - self.lo, 1)

    def outputs(self, unit: np.ndarray) -> np.ndarray:
        x = (self.lo + unit * (self.hi - self.lo)).reshape(-1, self.k, 3)
        f = np.log if self.scale == "log" else (lambda a: a)
        est, lower, upper = f(x[:, :, 0]), f(x[:, :, 1]), f(x[:, :, 2])
        se = (upper - lower) / (2 * self.study_z)
        out = inverse_variance(est, se**2, self.z)
        if self.scale == "log":
            for start in (0, 3 + self.k):
                out[:, start:start + 3] = np.exp(out[:, start:start + 3])
        return out


def _grid(dims: int, max_points: int) -> np.ndarray:
    m = int(math.floor(max_points ** (1 / dims) + 1e-9))
    if m >= 2:
        axes = np.linspace(0.0, 1.0, m)
        return np.stack(np.meshgrid(*([axes] * dims), indexing="ij"), -1).reshape(-1, dims)
    rng = np.random.default_rng(0)  # too many studies for a full grid: corners and interior
    corners = rng.integers(0, 2, size=(max_points // 2, dims)).astype(float)
    return np.vstack([corners, rng.random((max_points - len(corners), dims))])


def _polish(pool: _Pool, col: int, start: np.ndarray, sign: float) -> float:
    from scipy.optimize import minimize

    def f(u: np.ndarray) -> float:
        return float(sign * pool.outputs(u[None, :])[0, col])

    res = minimize(f, start, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(start))
    return sign * min(float(res.fun), f(start))


def pool_ranges(studies: Sequence[EstimateCI], *, scale: str = "log", level: float = 0.95,
                max_points: int = MAX_POINTS) -> PoolRanges:
    """The ranges of fixed- and random-effects outputs that the rounded studies allow."""
    pool = _Pool(studies, scale, level)
    grid = _grid(3 * pool.k, max_points)
    out = pool.outputs(grid)
    at = pool.outputs(pool.printed[None, :])[0]
    ranges = []
    for col in range(out.shape[1]):
        lo_i, hi_i = int(np.argmin(out[:, col])), int(np.argmax(out[:, col]))
        lo = min(float(out[lo_i, col]), _polish(pool, col, grid[lo_i], 1.0))
        hi = max(float(out[hi_i, col]), _polish(pool, col, grid[hi_i], -1.0))
        ranges.append(Range(lo, hi, float(at[col])))
    k = pool.k

    def model(name: str, start: int) -> ModelRange:
        r = ranges[start:start + 3 + k]
        return ModelRange(name, r[0], r[1], r[2], tuple(r[3:]))

    q, i2, tau2 = ranges[-3:]
    return PoolRanges(model("fixed", 0), model("random", 3 + k), q, i2, tau2,
                      q_df=k - 1, points=len(grid))


@dataclass(frozen=True, slots=True)
class ModelRule:
    """A protocol's model choice: fixed effect if Q's p > q_p and I^2 < i2, else random."""

    q_p: float = 0.1
    i2: float = 50.0

    def choose(self, ranges: PoolRanges) -> str:
        """"fixed", "random", or "either" when the rounded inputs allow both."""
        from scipy.stats import chi2

        p_lo = float(chi2.sf(ranges.q.hi, ranges.q_df))
        p_hi = float(chi2.sf(ranges.q.lo, ranges.q_df))
        surely_fixed = p_lo > self.q_p and ranges.i2.hi < self.i2
        surely_random = p_hi <= self.q_p or ranges.i2.lo >= self.i2
        if surely_fixed == surely_random:
            return "either"
        return "fixed" if surely_fixed else "random"
