"""A proportion with its exact (Clopper-Pearson) confidence interval, as R's ``binom.test``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scipy import stats

from trialspec.stats._arrays import conf_level as check_level
from trialspec.stats.errors import StatsInputError

Alternative = Literal["two-sided", "less", "greater"]


@dataclass(frozen=True)
class Proportion:
    """x successes out of n, the exact CI and the exact binomial test against ``null``."""

    successes: int
    trials: int
    estimate: float
    conf_low: float
    conf_high: float
    conf_level: float
    null: float
    p_value: float
    alternative: Alternative


def binomial_proportion(
    successes: int,
    trials: int,
    *,
    conf_level: float = 0.95,
    null: float = 0.5,
    alternative: Alternative = "two-sided",
) -> Proportion:
    """``binom.test(successes, trials, p = null, alternative, conf.level)``.

    The interval is Clopper-Pearson, from beta quantiles as R computes it: for a two-sided
    interval ``qbeta(alpha/2, x, n - x + 1)`` and ``qbeta(1 - alpha/2, x + 1, n - x)``, with
    0 and 1 at x = 0 and x = n; one-sided intervals put all of alpha in one tail. The p-value
    is scipy's ``binomtest``, which uses R's two-sided rule (outcomes at most
    ``1 + 1e-7`` times as probable as the observed one).
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise StatsInputError(f"need 0 <= successes <= trials and trials >= 1, "
                              f"got {successes} of {trials}")
    if alternative not in ("two-sided", "less", "greater"):
        raise StatsInputError(f"alternative must be 'two-sided', 'less' or 'greater', "
                              f"got {alternative!r}")
    if not 0.0 <= null <= 1.0:
        raise StatsInputError(f"null proportion must be between 0 and 1, got {null}")
    level = check_level(conf_level)
    x, n = int(successes), int(trials)
    alpha = 1 - level
    tail = alpha / 2 if alternative == "two-sided" else alpha
    low = 0.0 if x == 0 or alternative == "less" else float(stats.beta.ppf(tail, x, n - x + 1))
    high = (1.0 if x == n or alternative == "greater"
            else float(stats.beta.isf(tail, x + 1, n - x)))
    p_value = float(stats.binomtest(x, n, p=null, alternative=alternative).pvalue)
    return Proportion(successes=x, trials=n, estimate=x / n, conf_low=low, conf_high=high,
                      conf_level=level, null=null, p_value=p_value, alternative=alternative)
