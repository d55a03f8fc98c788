"""Forest plots: each meta-analysis (study estimates with CIs, weights, the fixed and random
pooled diamonds, the heterogeneity line) and the subgroup analyses of each proportion endpoint
(each group's proportion with its exact CI, the test p of each comparison)."""

from __future__ import annotations

from typing import Any

from trialspec.figures import Spec, analyses, caption, p_text
from trialspec.results import CheckResult

RATIOS = {"OR", "RR", "HR"}
# the subgroup comparison's test, as its p is labelled
TEST_NAMES = {"fisher": "Fisher", "chi2": "chi-square", "chi2_yates": "chi-square (Yates)"}


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    out = []
    by_endpoint: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for aid, a in analyses(result).items():
        if not a.get("ran"):
            continue
        if a.get("method") == "meta_analysis" and a.get("per_study"):
            chosen = a["model"]
            pct = round(100 * a["level"])
            words = (f"{a['measure']} per study with {pct}% CI (square area: {chosen}-effect weight); "
                     f"diamonds: pooled fixed ({a['fixed']['method']}) and random "
                     f"({a['random']['method']}) effects, the protocol's choice ({chosen}) filled; "
                     f"k = {a['k']} studies. {_pi_words(a)}")
            out.append(Spec("forest", f"forest-{aid}", f"{aid}: {a['measure']} (meta-analysis)",
                            caption(result, words), {"analysis": aid, **{k: a[k] for k in (
                                "measure", "per_study", "fixed", "random", "heterogeneity", "model",
                                "level", "k", "rule")}}))
        elif a.get("method") == "proportion" and len(a.get("groups", [])) >= 2:
            by_endpoint.setdefault(a["endpoint"], []).append((aid, a))
    for endpoint, rows in by_endpoint.items():
        n = max(a["included"] for _, a in rows)
        pct = round(100 * rows[0][1]["level"])
        words = (f"Proportion with {endpoint} in each subgroup with its exact (Clopper-Pearson) "
                 f"{pct}% CI; p: Fisher's exact test (chi-square where Fisher was not planned); "
                 f"{len(rows)} subgroup analys{'is' if len(rows) == 1 else 'es'} of up to n = {n} subjects.")
        data = [{"analysis": aid, "by": a["by"], "p": _test_p(a),
                 "groups": [{k: g[k] for k in ("label", "n", "events", "proportion", "ci")}
                            for g in a["groups"]]} for aid, a in rows]
        title = (f"{rows[0][0]}: {endpoint} by {rows[0][1]['by']}" if len(rows) == 1
                 else f"{endpoint} by subgroup ({len(rows)} analyses)")
        out.append(Spec("forest", f"forest-subgroups-{endpoint}", title,
                        caption(result, words), {"endpoint": endpoint, "subgroups": data,
                                                 "level": rows[0][1]["level"]}))
    return out, "no meta-analysis or subgroup comparison of a proportion ran"


def _pi_words(a: dict[str, Any]) -> str:
    pi = a["random"].get("prediction_interval")
    if not pi or None in pi:
        return "Prediction interval: not computed by this analysis."
    return (f"Dashed line beside the random diamond: the {round(100 * a['level'])}% prediction "
            f"interval of a new study's effect, {_f(pi[0])} to {_f(pi[1])} (metafor's predict.rma).")


def _test_p(a: dict[str, Any]) -> tuple[str, float | None] | None:
    tests = a.get("tests", {})
    for name in TEST_NAMES:  # in this order of preference
        if name in tests:
            return name, tests[name].get("p")
    return None


def _f(x: float | None) -> str:
    return "NA" if x is None else f"{x:.2f}"


def draw(spec: Spec) -> Any:
    return _draw_meta(spec) if "per_study" in spec.data else _draw_subgroups(spec)


def _draw_meta(spec: Spec) -> Any:
    from trialspec.figures._render import GREY, OKABE_ITO, pyplot

    plt = pyplot()
    d = spec.data
    studies = d["per_study"]
    chosen = d["model"]
    weights = d[chosen]["weights"]
    k = len(studies)
    fig, ax = plt.subplots(figsize=(8.2, 1.9 + 0.38 * (k + 3)))
    fig.subplots_adjust(right=0.6)
    y = list(range(k + 3, 3, -1))  # studies from the top; pooled rows below a gap
    ratio = d["measure"] in RATIOS
    wmax = max([w for w in weights if w is not None] or [1])
    for i, (s, yy) in enumerate(zip(studies, y, strict=True)):
        lo, hi = s["ci"]
        if lo is not None and hi is not None:  # an undefined limit (R's NA) is left out
            ax.plot([lo, hi], [yy, yy], color="black", lw=1.2, gid=f"{spec.key}-study-{i}-ci")
        w = weights[i] or 0
        if s["estimate"] is not None:
            ax.plot([s["estimate"]], [yy], "s", color=OKABE_ITO[0], ms=5 + 9 * (w / wmax) ** 0.5)
    rows = [("fixed", 2), ("random", 1)]
    for name, yy in rows:
        m = d[name]
        lo, hi = m["ci"]
        est = m["estimate"]
        filled = name == chosen
        ax.fill([lo, est, hi, est], [yy, yy + 0.28, yy, yy - 0.28], lw=1.2,
                edgecolor=OKABE_ITO[5], facecolor=OKABE_ITO[5] if filled else "white",
                gid=f"{spec.key}-pooled-{name}")
    pi = d["random"].get("prediction_interval")
    if pi and None not in pi:  # a new study's effect: the line metafor draws around the diamond
        ax.plot(pi, [1, 1], color=OKABE_ITO[5], lw=1.0, ls="--", zorder=0, gid=f"{spec.key}-prediction")
    if ratio:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.axvline(1, color=GREY, lw=0.9)
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.axvline(0, color=GREY, lw=0.9)
    ax.axvline(d[chosen]["estimate"], color=OKABE_ITO[5], lw=0.8, ls=":")
    labels = [s["study"] for s in studies] + [f"Pooled, fixed ({d['fixed']['method']})",
                                               f"Pooled, random ({d['random']['method']})"]
    ax.set_yticks(y + [2, 1], labels)
    ax.set_ylim(0.3, k + 3.7)
    # right-hand columns: estimate [CI] and weight, in axes-fraction x so they never meet the plot
    right = [f"{_f(s['estimate'])} [{_f(s['ci'][0])}; {_f(s['ci'][1])}]" for s in studies]
    right += [f"{_f(d[n]['estimate'])} [{_f(d[n]['ci'][0])}; {_f(d[n]['ci'][1])}]" for n, _ in rows]
    wtext = [f"{w:.1f}%" if w is not None else "" for w in weights] + ["100%" if chosen == "fixed" else "",
                                                                     "100%" if chosen == "random" else ""]
    trans = ax.get_yaxis_transform()
    ax.text(1.04, k + 3.55, f"{d['measure']} [{round(100 * d['level'])}% CI]", transform=trans,
            fontweight="bold", va="bottom", fontsize=8.5)
    ax.text(1.36, k + 3.55, f"Weight ({chosen})", transform=trans, fontweight="bold", va="bottom",
            fontsize=8.5)
    for yy, r, w in zip(y + [2, 1], right, wtext, strict=True):
        ax.text(1.04, yy, r, transform=trans, va="center", fontsize=8.5)
        ax.text(1.36, yy, w, transform=trans, va="center", fontsize=8.5)
    h = d["heterogeneity"]
    hp = "NA" if h["p"] is None else f"{h['p']:.3f}"
    ax.set_xlabel(f"{d['measure']}{' (log scale)' if ratio else ''}")
    ax.text(0.0, -0.12 - 0.4 / (k + 3), f"Heterogeneity: Q = {h['q']:.2f}, df = {h['df']}, p = {hp}, "
            f"I\u00b2 = {h['i2']:.1f}%, \u03c4\u00b2 = {h['tau2']:.4f}", transform=ax.transAxes,
            va="top", fontsize=8.5, gid=f"{spec.key}-heterogeneity")
    ax.set_title(spec.title, loc="left")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    return fig


def _draw_subgroups(spec: Spec) -> Any:
    from trialspec.figures._render import GREY, OKABE_ITO, pyplot

    plt = pyplot()
    d = spec.data
    rows: list[tuple[str, Any, bool]] = []  # label, group or header text, is_header
    for sg in d["subgroups"]:
        test = sg["p"]
        p = "" if test is None or test[1] is None else f"{TEST_NAMES[test[0]]} {p_text(test[1])}"
        rows.append((f"{sg['analysis']} ({sg['by']})", p, True))
        rows.extend((g["label"], g, False) for g in sg["groups"])
    n = len(rows)
    fig, ax = plt.subplots(figsize=(7.6, 1.3 + 0.26 * n))
    labels, ys = [], []
    for i, (label, item, header) in enumerate(rows):
        yy = n - i
        ys.append(yy)
        if header:
            labels.append(label)
            ax.text(1.04, yy, item, transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                    color=GREY)
            continue
        labels.append(f"   {label}")
        lo, hi = item["ci"]
        ax.plot([lo, hi], [yy, yy], color="black", lw=1.1, gid=f"{spec.key}-{i}-ci")
        ax.plot([item["proportion"]], [yy], "s", color=OKABE_ITO[0], ms=5)
        ax.text(1.04, yy, f"{item['events']}/{item['n']}  {100 * item['proportion']:.0f}% "
                f"[{100 * lo:.0f}; {100 * hi:.0f}]", transform=ax.get_yaxis_transform(), va="center",
                fontsize=8)
    ax.set_yticks(ys, labels, fontsize=8)
    for tick, (_, _, header) in zip(ax.get_yticklabels(), rows, strict=True):
        if header:
            tick.set_fontweight("bold")
    ax.set_xlim(0, 1)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel(f"Proportion with {d['endpoint']} (events/n, % [95% CI])")
    ax.set_title(spec.title, loc="left")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#eeeeee", lw=0.6)
    return fig
