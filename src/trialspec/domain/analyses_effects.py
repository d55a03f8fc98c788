"""Effect measures of a two-group proportion analysis: RD, RR, NNT and prop.test.

The first group is compared with the second (as the odds ratio is): ``RD = p1 - p2``,
``RR = p1 / p2``, ``NNT = 1 / RD``. Every number comes from :mod:`trialspec.stats.effects`
(held against R). The summary keys are stable: ``effects.rd`` (``estimate``, ``se``, ``ci``
by the planned method, ``wald``, ``newcombe``, ``prop_test``, ``p``), ``effects.rr``
(``estimate``, ``log_estimate``, ``se``, ``ci``, ``p``), ``effects.nnt`` (``estimate``,
``ci``) and ``prop_test`` (``corrected`` and ``uncorrected``: statistic, df, p).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trialspec.domain.analyses_plan import AnalysisPlan

RD_METHODS = ("wald", "newcombe", "prop_test")
RD_LABELS = {"wald": "Wald", "newcombe": "Newcombe hybrid score", "prop_test": "prop.test, corrected"}


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def binary_effects(plan: AnalysisPlan, events: np.ndarray, n: np.ndarray) -> dict[str, Any]:
    """The effects of group 1 against group 2, and prop.test for every 2+ groups."""
    from trialspec.stats.effects import prop_test, two_proportions
    from trialspec.stats.errors import StatsInputError

    keep = n > 0
    out: dict[str, Any] = {}
    if keep.sum() < 2:
        return out
    try:
        corrected = prop_test(events[keep], n[keep], correct=True, conf_level=plan.level)
        plain = prop_test(events[keep], n[keep], correct=False, conf_level=plan.level)
    except StatsInputError:
        return out
    out["prop_test"] = {name: {"statistic": _num(t.statistic), "df": float(t.df), "p": _num(t.p_value)}
                        for name, t in (("corrected", corrected), ("uncorrected", plain))}
    if len(n) != 2 or not keep.all():
        return out
    e = two_proportions(int(events[0]), int(n[0]), int(events[1]), int(n[1]), conf_level=plan.level)
    intervals = {"wald": [_num(e.rd.conf_low), _num(e.rd.conf_high)],
                 "newcombe": [_num(x) for x in e.rd_newcombe],
                 "prop_test": [_num(x) for x in corrected.conf_int or (None, None)]}
    method = plan.options.get("rd_ci", "wald")
    out["effects"] = {
        "comparison": "first group against the second",
        "rd": {"estimate": _num(e.rd.estimate), "se": _num(e.rd.se), "ci_method": method,
               "ci": intervals[method], **intervals, "p": _num(e.rd.p_value)},
        "rr": {"estimate": _num(e.rr.estimate), "log_estimate": _num(e.rr.log_estimate),
               "se": _num(e.rr.se), "ci": [_num(e.rr.conf_low), _num(e.rr.conf_high)],
               "p": _num(e.rr.p_value)},
        "nnt": {"estimate": _num(e.nnt), "ci": [_num(x) for x in e.nnt_ci]},
    }
    return out


def effects_note(summary: dict[str, Any], measure: str | None) -> str:
    """One line for the table: the planned measure (or all three) with its CI."""
    eff = summary.get("effects")
    if not eff:
        return ""

    def show(x: float | None) -> str:
        return "NA" if x is None else f"{x:.4g}"

    rd, rr = eff["rd"], eff["rr"]
    parts = {
        "RD": f"risk difference {show(rd['estimate'])} [{show(rd['ci'][0])}; {show(rd['ci'][1])}] "
              f"({RD_LABELS[rd['ci_method']]})",
        "RR": f"risk ratio {show(rr['estimate'])} [{show(rr['ci'][0])}; {show(rr['ci'][1])}]",
        "NNT": f"NNT {show(eff['nnt']['estimate'])}",
    }
    if measure in parts:
        return parts[measure]
    return "; ".join(parts.values())
