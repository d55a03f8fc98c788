"""The dosing heat map: planned vs received dose per drug and cycle (delivered / planned,
summed over the subjects dosed in that cycle), each cell labelled with its percentage and n."""

from __future__ import annotations

from typing import Any

from trialspec.figures import Spec, caption
from trialspec.results import CheckResult


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    dosing = result.section("dosing")
    if dosing is None or not dosing.summary.get("computed"):
        return [], "no dosing section (the protocol has no treatment: or no exposure data)"
    cells = [dict(c) for c in dosing.summary.get("cycle_intensity", [])]
    if not cells:
        return [], "no cycle was reconstructed from the exposure data"
    treated = dosing.summary["subjects"]["treated"]
    unknown = any(c["rdi"] is None for c in cells)
    words = ("Cell: total dose delivered / total dose planned in that cycle, over the subjects in "
             f"the cycle (n in the cell); {treated} treated subjects; grey: no subject reached that cycle"
             + ("; grey with '?': the planned dose of a subject in the cycle is unknown (e.g. a dose "
                "per m² without height or weight), so the ratio is not computed" if unknown else "")
             + ".")
    return [Spec("dosing", "dosing", f"Dose received vs planned, by drug and cycle (n = {treated})",
                 caption(result, words), {"cells": cells})], None


def draw(spec: Spec) -> Any:
    import numpy as np

    from trialspec.figures._render import pyplot

    plt = pyplot()
    cells = spec.data["cells"]
    arms = {c["arm"] for c in cells}
    for c in cells:  # one row per drug, or per arm and drug when the arms differ
        c["row"] = c["drug"] if len(arms) == 1 else f"{c['arm']}: {c['drug']}"
    drugs = list(dict.fromkeys(c["row"] for c in cells))
    cycles = sorted({c["cycle"] for c in cells})
    grid = np.full((len(drugs), len(cycles)), np.nan)
    for c in cells:
        if c["rdi"] is not None:
            grid[drugs.index(c["row"]), cycles.index(c["cycle"])] = c["rdi"]
    width = min(11.0, 2.4 + 0.62 * len(cycles))
    fig, ax = plt.subplots(figsize=(width, 1.5 + 0.55 * len(drugs)))
    # perceptually uniform and colour-blind safe; grey where no subject reached the cycle
    cmap = plt.get_cmap("cividis").with_extremes(bad="#dddddd")
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, vmin=0.5, vmax=1.1, aspect="auto")
    small = len(cycles) <= 24
    for c in cells:
        i, j = drugs.index(c["row"]), cycles.index(c["cycle"])
        label = "?" if c["rdi"] is None else f"{100 * c['rdi']:.0f}%"  # dosed, planned dose unknown
        shade = "black" if c["rdi"] is None or c["rdi"] > 0.85 else "white"  # white is lost on grey
        ax.text(j, i, f"{label}\nn={c['subjects']}" if small else label, ha="center", va="center",
                fontsize=7 if small else 6, color=shade, gid=f"dosing-{c['arm']}-{c['drug']}-{c['cycle']}")
    ax.set_xticks(range(len(cycles)), [str(c) for c in cycles])
    ax.set_yticks(range(len(drugs)), drugs)
    ax.set_xlabel("Cycle")
    ax.set_title(spec.title, loc="left")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("delivered / planned")
    return fig
