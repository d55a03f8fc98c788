"""The analyses of a two-arm trial on 100,000 subjects (synthetic, seeded): trialspec's
analyses section beside the same scipy/statsmodels calls made by hand on the same arrays,
in the same run.

The data: arm (1:1), five site groups, a baseline score, a change from baseline (normal,
an arm effect of -0.5), a responder flag (40% vs 45%) and a five-level ordinal outcome. The
protocol plans: the responder proportion by arm (Fisher, chi-square, RD/RR/NNT, prop.test),
the change by arm (Welch, Wilcoxon with Hodges-Lehmann, ANOVA, Kruskal-Wallis), the ANCOVA
of the change on arm, site and baseline, a logistic regression of response on arm and
baseline, and the ordinal outcome by arm (chi-square, trend, CMH by site). trialspec's time
includes building the analysis plans, evaluating the columns, the populations, and the
report's summaries; "by hand" is only the statistics' calls on ready numpy arrays. Best of
``REPEATS`` runs; peak RSS of the process at the end.
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd

from benchmarks._common import table

N_SUBJECTS = 100_000
REPEATS = 2
SEED = 16
PROTOCOL = """\
trialspec: 1
study: {id: ANALYSES-BENCH}
datasets:
  subjects:
    key: subject_id
    columns:
      subject_id: {type: string}
      arm: {type: category, levels: [placebo, active]}
      site: {type: category, levels: [s1, s2, s3, s4, s5]}
      baseline: {type: number}
      change: {type: number}
      responder: {type: boolean}
      grade: {type: category, levels: [g1, g2, g3, g4, g5]}
populations:
  itt: {when: arm is present, default: true}
endpoints:
  response: {kind: proportion, when: responder}
analyses:
  P: {endpoint: response, by: arm, tests: [fisher, chi2], options: {measure: RD}}
  S: {method: summary, by: arm, tests: [welch, wilcoxon, anova, kruskal], options: {variable: change}}
  A: {method: ancova, by: arm, options: {variable: change, covariates: [site, baseline]}}
  L: {method: logistic, endpoint: response, by: arm, options: {covariates: [baseline]}}
  X: {by: [arm, grade], tests: [chi2, trend, cmh], options: {strata: site}}
"""


def make_data(n: int = N_SUBJECTS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    site = rng.integers(0, 5, n)
    baseline = rng.normal(20, 6, n).round(1)
    change = (rng.normal(2, 5, n) - 0.5 * arm + 0.1 * (baseline - 20)).round(2)
    responder = rng.random(n) < np.where(arm == 1, 0.45, 0.40)
    grade = np.clip(np.round(rng.normal(2 + 0.2 * arm, 1.1, n)), 0, 4).astype(int)
    return pd.DataFrame({
        "subject_id": np.char.add("S", np.arange(n).astype(str)).astype(object),
        "arm": np.array(["placebo", "active"], dtype=object)[arm],
        "site": np.array([f"s{i}" for i in range(1, 6)], dtype=object)[site],
        "baseline": baseline, "change": change, "responder": responder,
        "grade": np.array([f"g{i}" for i in range(1, 6)], dtype=object)[grade]})


def by_hand(d: pd.DataFrame) -> dict[str, float]:
    """The same statistics from scipy/statsmodels on numpy arrays (what a user would write)."""
    import statsmodels.api as sm
    from scipy import stats
    from statsmodels.stats.contingency_tables import StratifiedTable

    out: dict[str, float] = {}
    arm = (d["arm"].to_numpy() == "active").astype(int)
    resp = d["responder"].to_numpy()
    t = np.array([[np.sum(resp & (arm == a)), np.sum(~resp & (arm == a))] for a in (0, 1)])
    out["fisher p"] = stats.fisher_exact(t).pvalue
    out["chi2 p"] = stats.chi2_contingency(t, correction=False).pvalue
    x = d["change"].to_numpy()
    g0, g1 = x[arm == 0], x[arm == 1]
    out["welch p"] = stats.ttest_ind(g0, g1, equal_var=False).pvalue
    out["wilcoxon p"] = stats.mannwhitneyu(g0, g1).pvalue
    out["anova p"] = stats.f_oneway(g0, g1).pvalue
    out["kruskal p"] = stats.kruskal(g0, g1).pvalue
    site = pd.get_dummies(d["site"], drop_first=True).to_numpy(float)
    X = np.column_stack([np.ones(len(d)), arm, site, d["baseline"].to_numpy()])
    out["ancova diff"] = sm.OLS(x, X).fit().params[1]
    out["logistic coef"] = sm.GLM(resp.astype(float), np.column_stack(
        [np.ones(len(d)), d["baseline"].to_numpy(), arm]), family=sm.families.Binomial()).fit().params[2]
    grade = pd.crosstab(d["arm"], d["grade"]).to_numpy()
    out["chi2 rxc p"] = stats.chi2_contingency(grade, correction=False).pvalue
    strata = [pd.crosstab(s["arm"], s["responder"]).to_numpy() for _k, s in d.groupby("site")]
    out["cmh 2x2 p"] = StratifiedTable(np.dstack(strata)).test_null_odds().pvalue
    return out


def trialspec_run(d: pd.DataFrame) -> dict:
    from trialspec.domain.analyses import run_analyses
    from trialspec.engine import get_backend
    from trialspec.protocol import load_protocol_text

    protocol, diags = load_protocol_text(PROTOCOL, "bench.yaml")
    assert protocol is not None, diags
    backend = get_backend("pandas")
    bound = backend.bind_frames(protocol, {"subjects": d})
    assert bound.frames is not None, [x.message for x in bound.diagnostics]
    section = run_analyses(protocol, bound.frames, backend)
    assert section is not None
    errors = [f.message for f in section.findings if f.severity.value == "error"]
    assert not errors, errors
    return section.summary["analyses"]


def main() -> None:
    d = make_data()
    best = {"trialspec": float("inf"), "by hand": float("inf")}
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = trialspec_run(d)
        best["trialspec"] = min(best["trialspec"], time.perf_counter() - t0)
        t0 = time.perf_counter()
        hand = by_hand(d)
        best["by hand"] = min(best["by hand"], time.perf_counter() - t0)
    # the two sides compute the same numbers
    assert np.isclose(out["S"]["tests"]["welch"]["p"], hand["welch p"], rtol=1e-9)
    assert np.isclose(out["A"]["differences"][0]["estimate"], hand["ancova diff"], rtol=1e-9)
    assert np.isclose(out["P"]["tests"]["chi2"]["p"], hand["chi2 p"], rtol=1e-9)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{N_SUBJECTS:,} subjects, best of {REPEATS}; peak RSS {peak_mb:.0f} MB")
    print(table([("side", "seconds"),
                 *((k, f"{v:.2f}") for k, v in best.items())]))
