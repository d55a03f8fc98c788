"""R's own numerical conventions, where matching R to 1e-6 depends on them.

R's ``fisher.test`` finds its conditional MLE and confidence limits with ``uniroot`` at the
default tolerance (``.Machine$double.eps^0.25``, about 1.2e-4 in the search variable). The
answer is therefore only as precise as that tolerance, and which approximation comes out
depends on the exact sequence of iterates: scipy's ``brentq`` (a different variant of Brent's
method) stops at a different point inside the same tolerance. :func:`uniroot` follows the
algorithm ``uniroot`` uses (Brent's zeroin in the netlib C formulation: inverse quadratic
interpolation, the step compared with the *last* step), so the same function gives the same
root.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trialspec.stats.errors import StatsInputError

EPS = float(np.finfo(np.float64).eps)
UNIROOT_TOL = EPS**0.25
"""``uniroot``'s default ``tol``."""
REL_ERR = 1 + 1e-7
"""R's tie tolerance for "as or less probable" in ``fisher.test`` and ``binom.test``."""
FEXACT_TOL = 3.45254e-7
"""FEXACT's tie tolerance on log probabilities (``fisher.test`` for larger tables)."""


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    tol: float = UNIROOT_TOL,
    max_iter: int = 1000,
) -> float:
    """A root of ``f`` in ``[lower, upper]``, computed as R's ``uniroot(f, c(lower, upper))``."""
    a, b = lower, upper
    fa, fb = f(a), f(b)
    if np.isnan(fa) or np.isnan(fb):
        raise StatsInputError("root finding failed: the function is undefined at an endpoint")
    if fa * fb > 0:
        raise StatsInputError("root finding failed: no sign change over the interval")
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    c, fc = a, fa
    for _ in range(max_iter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):  # make b the best approximation so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # two distinct points: secant
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise StatsInputError(f"root finding did not converge in {max_iter} iterations")
