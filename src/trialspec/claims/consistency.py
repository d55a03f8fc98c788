"""Checks of reported claims against each other, with no patient data.

Each check returns :class:`Finding` objects, consistent or not; the caller turns the
inconsistent ones into diagnostics (the ``code`` field) at the claims' spans (``claims`` holds
the caller's labels for them). Every comparison is made over the interval a printed value's
rounding allows, so rounding alone never makes a claim inconsistent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from trialspec.claims.values import (
    Bound,
    Claim,
    CountPercent,
    EstimateCI,
    Interval,
    NotReached,
    Number,
    OpenCI,
    Percent,
    as_claim,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one consistency check over some claims."""

    check: str  # grim, group-sizes, row-sum, statistic-p, estimate-ci, pooled
    code: str  # the TS7xx code to report when not consistent
    consistent: bool
    message: str
    claims: tuple[str, ...] = ()
    hint: str | None = None


def _pct(k: int, n: int) -> str:
    return f"{float(Fraction(100 * k, n)):.2f}%"


def grim(claim: str | Claim, n: int | None = None, *, label: str = "",
         denominators: Mapping[str, int] | None = None) -> Finding:
    """Can a count (or any count) of ``n`` give the printed percentage? If not, does another
    denominator (another group's size, the total) give it?"""
    c = as_claim(claim)
    if isinstance(c, CountPercent):
        pct, count, n = c.percent, c.count, n if n is not None else c.denominator
    elif isinstance(c, Percent):
        pct, count = c, None
    else:
        raise TypeError(f"grim needs a percentage, not {c.text!r}")
    if n is None or n <= 0:
        raise ValueError("grim needs the denominator (a group size above 0)")
    iv, labels = pct.interval, (label,) if label else ()
    if count is not None and count > n:
        return Finding("grim", "TS720", False, f"{c.text}: the count {count} exceeds n = {n}",
                       labels, "check the count and the group size")
    printed_n = c.denominator if isinstance(c, CountPercent) else None
    if printed_n is not None and printed_n != n:
        return Finding("grim", "TS722", False,
                       f"{c.text} is printed of {printed_n}, but the group has n = {n}", labels,
                       "the text and the table describe different groups")
    fits = counts_giving(iv, n)
    if (count in fits) if count is not None else bool(fits):
        return Finding("grim", "TS720", True, f"{c.text} of n = {n} is possible", labels)
    k = count
    others = [(name, m) for name, m in (denominators or {}).items() if m != n and (
        counts_giving(iv, m) if k is None else k in counts_giving(iv, m))]
    if k is None:
        what = f"{c.text} is impossible with n = {n}: no count of {n} gives {_span(iv)}"
    elif fits:
        what = (f"{c.text} is impossible with n = {n}: {k}/{n} = {_pct(k, n)}; "
                f"{_span(iv)} is {' or '.join(f'{j}/{n}' for j in fits)}")
    else:
        what = (f"{c.text} is impossible with n = {n}: {k}/{n} = {_pct(k, n)}, and no count "
                f"of {n} gives {_span(iv)}")
    if others:
        named = "; ".join(f"{name} (n = {m}{f': {k}/{m} = {_pct(k, m)}' if k is not None else ''})"
                          for name, m in others)
        return Finding("grim", "TS721", False,
                       f"{what}; it is a percentage of another denominator: {named}", labels,
                       "check which group the percentage was computed on")
    return Finding("grim", "TS720", False, what, labels,
                   "one of the count, the percentage or the group size is misprinted")


def _span(iv: Interval) -> str:
    return f"{iv.lo}-{iv.hi}%"


def counts_giving(iv: Interval, n: int) -> list[int]:
    """Every k in 0..n with 100*k/n inside the (closed) interval, exactly."""
    lo = max(0, math.ceil(Fraction(iv.lo) * n / 100)) if iv.lo.is_finite() else 0
    hi = min(n, math.floor(Fraction(iv.hi) * n / 100)) if iv.hi.is_finite() else n
    return list(range(lo, hi + 1))


def possible_denominators(claim: str | Claim, n_max: int) -> tuple[int, ...]:
    """Every group size up to ``n_max`` for which the printed percentage is possible."""
    c = as_claim(claim)
    pct = c.percent if isinstance(c, CountPercent) else c
    if not isinstance(pct, Percent):
        raise TypeError(f"not a percentage: {c.text!r}")
    k = c.count if isinstance(c, CountPercent) else None
    return tuple(n for n in range(1, n_max + 1)
                 if (k in counts_giving(pct.interval, n) if k is not None
                     else counts_giving(pct.interval, n)))


def _count_of(value: str | int | Claim) -> tuple[int, Percent | None]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    c = as_claim(value)
    if isinstance(c, CountPercent):
        return c.count, c.percent
    if isinstance(c, Number) and c.is_integer:
        return int(c.value), None
    raise TypeError(f"not a count: {c.text!r}")


def must_sum(parts: Mapping[str, str | int | Claim], total: str | int | Claim, *,
             total_label: str = "total", check: str = "row-sum") -> Finding:
    """Counts (and their percentages, if printed) that must add up to a total."""
    code = {"row-sum": "TS723", "group-sizes": "TS722"}[check]
    counts = {name: _count_of(v) for name, v in parts.items()}
    want, want_pct = _count_of(total)
    got = sum(k for k, _ in counts.values())
    labels = (*parts, total_label)
    terms = " + ".join(f"{name} {k}" for name, (k, _) in counts.items())
    if got != want:
        return Finding(check, code, False,
                       f"{terms} = {got}, but {total_label} is {want}", labels,
                       "a group or row is missing, double-counted or misprinted")
    pcts = [p for _, p in counts.values()]
    if want_pct is not None and all(p is not None for p in pcts):
        lo = sum(p.interval.lo for p in pcts if p)
        hi = sum(p.interval.hi for p in pcts if p)
        if not want_pct.interval.overlaps(lo, hi):
            return Finding(check, code, False,
                           f"the percentages add to {lo}-{hi}%, but {total_label} is "
                           f"{want_pct.text}", labels)
    return Finding(check, code, True, f"{terms} = {got} = {total_label}", labels)


def group_sizes(parts: Mapping[str, str | int | Claim], total: str | int | Claim, *,
                total_label: str = "total") -> Finding:
    """Group sizes that must add up to the stated number of patients."""
    return must_sum(parts, total, total_label=total_label, check="group-sizes")


PFunction = Callable[[float, float, "float | None"], float]


# test -> (p from |statistic|, label); p decreases as |statistic| grows, for all of them
def _p_functions() -> dict[str, tuple[PFunction, str]]:
    from scipy import stats

    return {
        "chi2": (lambda x, df, _: float(stats.chi2.sf(x, df)), "chi-square"),
        "z": (lambda x, _, __: float(2 * stats.norm.sf(x)), "z (two-sided)"),
        "t": (lambda x, df, _: float(2 * stats.t.sf(x, df)), "t (two-sided)"),
        "f": (lambda x, df, df2: float(stats.f.sf(x, df, df2)), "F"),
    }


def p_range(statistic: str | Claim, *, test: str = "chi2", df: float = 1,
            df2: float | None = None) -> tuple[float, float]:
    """The p-values the printed statistic's rounding interval maps to."""
    s = as_claim(statistic)
    if not isinstance(s, Number):
        raise TypeError(f"a test statistic is a number, not {s.text!r}")
    fn, _ = _p_functions()[test]
    lo, hi = float(s.interval.lo), float(s.interval.hi)
    if test != "chi2" and test != "f":
        lo, hi = (0.0, max(-lo, hi)) if lo <= 0 <= hi else sorted((abs(lo), abs(hi)))
    lo = max(lo, 0.0)
    return fn(hi, df, df2), fn(lo, df, df2)


def statistic_p(statistic: str | Claim, p: str | Claim, *, test: str = "chi2", df: float = 1,
                df2: float | None = None, labels: Sequence[str] = ()) -> Finding:
    """Does the printed p lie in the range of p-values the printed statistic allows?"""
    s, pc = as_claim(statistic), as_claim(p)
    if not isinstance(pc, Number | Bound):
        raise TypeError(f"a p-value is a number or a bound, not {pc.text!r}")
    lo, hi = p_range(s, test=test, df=df, df2=df2)
    iv = pc.interval
    ok = iv.overlaps(lo, hi)
    name = _p_functions()[test][1]
    dfs = f"df = {df:g}" + (f", {df2:g}" if df2 is not None else "")
    implied = f"{lo:.4g}" if f"{lo:.4g}" == f"{hi:.4g}" else f"{lo:.4g}-{hi:.4g}"
    if ok:
        return Finding("statistic-p", "TS724", True,
                       f"{name} {s.text} ({dfs}) gives p = {implied}, as printed ({pc.text})",
                       tuple(labels))
    return Finding("statistic-p", "TS724", False,
                   f"statistic and p-value do not match: {name} {s.text} ({dfs}) gives "
                   f"p = {implied}, not {pc.text}", tuple(labels),
                   "if the table of counts is known, the explainer names the test the p-value "
                   "comes from (often Fisher's exact test beside a chi-square statistic)")


def estimate_ci(claim: str | Claim, *, scale: str = "log", label: str = "") -> Finding:
    """Is the estimate inside its CI, and at its centre (log scale for ratios, linear for
    differences) within rounding? Exact (e.g. Clopper-Pearson) CIs are not symmetric. A CI
    with a part not reached (:class:`OpenCI`) has no centre: only its order is checked."""
    c = as_claim(claim)
    if isinstance(c, OpenCI):
        return _open_ci(c, (label,) if label else ())
    if not isinstance(c, EstimateCI):
        raise TypeError(f"not an estimate with a CI: {c.text!r}")
    labels = (label,) if label else ()
    e, lo, hi = c.estimate.interval, c.lower.interval, c.upper.interval
    if not (lo.lo <= e.hi and e.lo <= hi.hi and lo.lo <= hi.hi):
        return Finding("estimate-ci", "TS725", False,
                       f"{c.text}: the estimate is outside its confidence interval", labels)
    if scale == "log" and min(e.lo, lo.lo) <= 0:
        return Finding("estimate-ci", "TS725", False,
                       f"{c.text}: a ratio and its CI must be positive", labels,
                       "use scale: linear for a difference")
    f, back = _SCALES[scale]
    centre = ((f(lo.lo) + f(hi.lo)) / 2, (f(lo.hi) + f(hi.hi)) / 2)
    tol = 1e-12 * max(1.0, abs(centre[1]))
    ok = f(e.lo) <= centre[1] + tol and centre[0] - tol <= f(e.hi)
    implied = f"{back(centre[0]):.4g}-{back(centre[1]):.4g}"
    where = "on the log scale" if scale == "log" else "on the linear scale"
    if ok:
        return Finding("estimate-ci", "TS725", True,
                       f"{c.text}: the CI's centre {where} is {implied}, as printed", labels)
    return Finding("estimate-ci", "TS725", False,
                   f"{c.text}: the estimate is not the centre of its CI {where}: the CI implies "
                   f"{implied}", labels,
                   "a Wald CI is symmetric on this scale; an exact or profile CI need not be, "
                   "so say which CI was used, or check the estimate")


def _open_ci(c: OpenCI, labels: tuple[str, ...]) -> Finding:
    """A CI with a part not reached has no centre: only the order of its parts is checked.
    A bound not reached lies above every number (a median not reached has an upper bound not
    reached: ``NR (95% CI: 15.1-NR)``); a lower bound not reached, as in ``NE (95% CI: NE-NE)``,
    leaves the estimate and the upper bound unordered against it."""
    e, lo, hi = c.parts[0], c.parts[1], c.parts[2]
    problems = []
    if isinstance(e, NotReached) and isinstance(hi, Number):
        problems.append(f"the estimate is {e.text}, but the upper bound {hi.text} is reached")
    pairs = ((lo, e, "the estimate is below its lower bound"), (e, hi, "the estimate is above its "
             "upper bound"), (lo, hi, "the lower bound is above the upper bound"))
    for a, b, what in pairs:
        if isinstance(a, Number) and isinstance(b, Number) and a.interval.lo > b.interval.hi:
            problems.append(what)
    if problems:
        return Finding("estimate-ci", "TS725", False, f"{c.text}: {'; '.join(problems)}", labels,
                       "a bound not reached is above every number: an estimate not reached has "
                       "an upper bound not reached")
    return Finding("estimate-ci", "TS725", True,
                   f"{c.text}: a CI with a part not reached has no centre; its parts are in order",
                   labels)


def _identity(x: float) -> float:
    return x


_SCALES: dict[str, tuple[Callable[[Decimal], float], Callable[[float], float]]] = {
    "log": (lambda d: math.log(d), math.exp),
    "linear": (float, _identity),
}


__all__ = ["Finding", "estimate_ci", "grim", "group_sizes", "must_sum", "p_range",
           "possible_denominators", "statistic_p"]
