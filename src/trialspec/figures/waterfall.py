"""The waterfall: each subject's best percent change from baseline of the response marker
(the response section's ``best_change``), sorted, coloured by best overall response."""

from __future__ import annotations

from typing import Any

from trialspec.figures import Spec, caption
from trialspec.results import CheckResult

IMWG_LINES = "; dashed lines: -50% (PR), -90% (VGPR) and +25% (the IMWG PD increase)"


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    response = result.section("response")
    if response is None or "best_change" not in response.summary:
        return [], "no response section with a percent-change marker (the protocol derives no response)"
    change = response.summary["best_change"]
    per = response.summary.get("per_subject", [])
    bars = [{"id": s["id"], "percent": p, "best": s["best_response"]}
            for s, p in zip(per, change["percent"], strict=True) if p is not None]
    if not bars:
        return [], f"no subject has a post-baseline {change['marker']} value"
    imwg = str(response.summary.get("criteria", "")).startswith("imwg")
    bars.sort(key=lambda b: (-b["percent"], b["id"]))
    missing = len(per) - len(bars)
    words = (f"Best (lowest) percent change of {change['marker']} from baseline, over the "
             "assessments up to progression and before any new therapy, "
             f"one bar per subject, n = {len(bars)}"
             + (f" ({missing} subjects without a measurable {change['marker']} are not shown)"
                if missing else "")
             + (IMWG_LINES if imwg else "") + ".")
    categories = list(dict.fromkeys(b["best"] for b in sorted(bars, key=lambda b: b["percent"])))
    return [Spec("waterfall", "waterfall", f"Best change of {change['marker']} (n = {len(bars)})",
                 caption(result, words), {"bars": bars, "marker": change["marker"],
                                          "categories": categories,
                                          "lines": [-50, -90, 25] if imwg else []})], None


def draw(spec: Spec) -> Any:
    from matplotlib.patches import Patch

    from trialspec.figures._render import GREY, colour, pyplot

    plt = pyplot()
    d = spec.data
    bars = d["bars"]
    order = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
    cats = sorted(d["categories"], key=lambda c: order.index(c) if c in order else len(order))
    fill = {c: colour(i) for i, c in enumerate(cats)}
    fig, ax = plt.subplots(figsize=(min(11.0, 3.0 + 0.25 * len(bars)), 4.2))
    for i, b in enumerate(bars):
        ax.bar(i, b["percent"], color=fill[b["best"]], width=0.8, gid=f"waterfall-{b['id']}")
    for y in d["lines"]:
        ax.axhline(y, ls="--", lw=0.8, color=GREY)
    ax.axhline(0, lw=0.9, color="black")
    if len(bars) <= 60:
        ax.set_xticks(range(len(bars)), [b["id"] for b in bars], rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(bars)} subjects, sorted")
    ax.set_ylabel(f"Best change of {d['marker']} from baseline (%)")
    ax.set_title(spec.title, loc="left")
    ax.legend(handles=[Patch(color=fill[c], label=c) for c in cats], title="best response",
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig
