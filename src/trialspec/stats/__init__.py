"""Statistical computations on plain numpy arrays, held against R to 1e-6 relative.

One idea per module, each imported only when an analysis needs it (they import scipy and
statsmodels, which are slow to import):

- :mod:`.proportions`: a proportion with its exact (Clopper-Pearson) CI, as ``binom.test``.
- :mod:`.tables`: 2x2 and 2xk tables: Fisher's exact test (with the conditional MLE odds
  ratio and its CI, as ``fisher.test``), Pearson's chi-square with and without Yates'
  correction (``chisq.test``), the Wald odds ratio (``metafor::escalc``).
- :mod:`.survival`: Kaplan-Meier curves, medians and their CIs (``survival::survfit``),
  the log-rank test (``survdiff``) and Cox regression (``coxph``).
- :mod:`.meta`: meta-analysis: inverse variance (fixed, DerSimonian-Laird, REML),
  Mantel-Haenszel, Peto, generic inverse variance from estimates and CIs (``metafor``).

Every result is a frozen dataclass; inputs that cannot be analysed raise
:class:`trialspec.stats.errors.StatsInputError`. ``docs/stats.md`` lists each function, the R
function it matches and the known differences.
"""
