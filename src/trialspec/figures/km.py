"""Kaplan-Meier curves per group: CI bands, censoring marks, median lines, the log-rank p,
and the number at risk aligned under the time axis; one figure per Kaplan-Meier analysis."""

from __future__ import annotations

from typing import Any

from trialspec.figures import Spec, analyses, caption, p_text
from trialspec.results import CheckResult


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    out = []
    for aid, a in analyses(result).items():
        if a.get("method") != "kaplan_meier" or not a.get("ran"):
            continue
        groups = [g for g in a["groups"] if g.get("curve")]
        tests = a.get("tests", {})
        lr = tests.get("logrank")
        n = sum(g["n"] for g in a["groups"])
        by = f" by {a['by']}" if a.get("by") else ""
        pct = round(100 * a["level"])
        words = (f"Kaplan-Meier estimate of {a['endpoint']}{by}, n = {n}; shaded: pointwise "
                 f"{pct}% CI ({a['conf_type']}); ticks: censored; dashed: medians.")
        out.append(Spec("km", f"km-{aid}", f"{aid}: {a['endpoint']}{by} (Kaplan-Meier)",
                        caption(result, words), {
                            "analysis": aid, "unit": a["unit"], "groups": groups,
                            "at_risk": a.get("at_risk", {"times": [], "counts": {}}),
                            "logrank_p": lr["p"] if lr else None,
                            "cox": tests.get("cox", {}).get("hazard_ratios", []), "level": a["level"]}))
    return out, "no Kaplan-Meier analysis ran (the protocol plans none, or it had no data)"


def draw(spec: Spec) -> Any:
    import numpy as np

    from trialspec.figures._render import GREY, colour, pyplot

    plt = pyplot()
    d = spec.data
    groups = d["groups"]
    times = d["at_risk"]["times"]
    fig = plt.figure(figsize=(7.2, 4.6 + 0.22 * len(groups)))
    grid = fig.add_gridspec(2, 1, height_ratios=[4.2, 0.3 + 0.26 * len(groups)], hspace=0.3)
    ax, risk = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    last = max([max(g["curve"]["time"] or [0]) for g in groups] + [max(times or [0])])
    for i, g in enumerate(groups):
        c = g["curve"]
        col = colour(i)
        t = np.r_[0.0, np.asarray(c["time"], float)]
        s = np.r_[1.0, np.asarray(c["surv"], float)]
        lo = np.r_[1.0, np.asarray([np.nan if x is None else x for x in c["lower"]], float)]
        hi = np.r_[1.0, np.asarray([np.nan if x is None else x for x in c["upper"]], float)]
        med = "not reached" if g["median"] is None else f"{g['median']:.3g} {d['unit']}"
        label = f"{g['label']} (n = {g['n']}, {g['events']} events, median {med})"
        line = ax.step(t, s, where="post", color=col, lw=1.8, label=label)[0]
        line.set_gid(f"{spec.key}-{g['label']}-steps")
        ax.fill_between(t, lo, hi, step="post", color=col, alpha=0.16, lw=0)
        cens = np.asarray(c["n_censor"], float) > 0
        ax.plot(t[1:][cens], s[1:][cens], "|", color=col, ms=7, mew=1.3)
        if g["median"] is not None:
            ax.plot([0, g["median"], g["median"]], [0.5, 0.5, 0], ls="--", lw=0.9, color=col)
    ax.set_ylim(-0.02, 1.03)
    ax.set_xlim(0, last * 1.02 if last else 1)
    ax.set_ylabel("Survival probability (event-free)")
    ax.set_xticks(times)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(f"Time ({d['unit']})")
    ax.set_title(spec.title, loc="left")
    ax.grid(axis="y", color="#e5e5e5", lw=0.6)
    ax.legend(loc="lower left", fontsize=8.5)
    words = [f"Log-rank {p_text(d['logrank_p'])}"] if d["logrank_p"] is not None else []
    pct = round(100 * d["level"])
    for hr in d["cox"]:
        lo_, hi_ = hr["ci"]
        words.append(f"HR {hr['group']} vs {hr['reference']} {hr['estimate']:.2f} "
                     f"({pct}% CI {lo_:.2f}-{hi_:.2f})" if lo_ is not None and hi_ is not None else "")
    if words:
        ax.text(0.99, 0.98, "\n".join(w for w in words if w), transform=ax.transAxes, ha="right",
                va="top", fontsize=8.5)
    # the number at risk, one row per group, each number under its tick
    risk.set_xlim(ax.get_xlim())
    risk.set_ylim(-0.5, len(groups) - 0.5)
    counts = d["at_risk"]["counts"]
    for i, g in enumerate(groups):
        y = len(groups) - 1 - i
        for t_, k in zip(times, counts.get(g["label"], []), strict=False):
            risk.text(t_, y, str(k), ha="center", va="center", fontsize=8.5, color=colour(i),
                      gid=f"{spec.key}-{g['label']}-risk-{t_:g}")
    risk.set_yticks(range(len(groups)), [g["label"] for g in reversed(groups)], fontsize=8.5)
    for tick, i in zip(risk.get_yticklabels(), reversed(range(len(groups))), strict=True):
        tick.set_color(colour(i))
    risk.set_xticks(times)
    risk.tick_params(axis="x", labelbottom=False, length=0)
    risk.tick_params(axis="y", length=0, pad=16)
    for side in ("left", "bottom"):
        risk.spines[side].set_visible(False)
    risk.set_title("Number at risk", loc="left", fontsize=9, fontweight="normal", color=GREY)
    return fig
