"""The swimmer plot: one bar per treated subject from the first to the last dose (days), by
arm, with the cycles given, dose reductions, dosing deviations, the first confirmed response,
progression and the best overall response. A large study is shown by a systematic sample of
at most MAX_SUBJECTS subjects (every k-th by treatment duration), which the caption says."""

from __future__ import annotations

from datetime import date
from typing import Any

from trialspec.figures import Spec, caption
from trialspec.results import CheckResult

MAX_SUBJECTS = 60


def _day(text: str | None, origin: date) -> int | None:
    return None if not text else (date.fromisoformat(text) - origin).days


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    dosing = result.section("dosing")
    if dosing is None or not dosing.summary.get("computed"):
        return [], "no dosing section (the protocol has no treatment: or no exposure data)"
    per = [s for s in dosing.summary["per_subject"] if s.get("first_dose")]
    if not per:
        return [], "no subject was treated"
    response = result.section("response")
    resp = {s["id"]: s for s in response.summary.get("per_subject", [])} if response is not None else {}
    changes: dict[str, list[dict[str, Any]]] = {}
    for c in dosing.summary.get("dose_changes", []):
        changes.setdefault(c["subject"], []).append(c)
    rows = []
    for s in per:
        origin = date.fromisoformat(s["first_dose"])
        r = resp.get(s["id"], {})
        rows.append({
            "id": s["id"], "arm": s["arm"], "cycles": s["cycles"],
            "days": _day(s["last_dose"], origin) + 1,  # type: ignore[operator]
            "reductions": [_day(c["date"], origin) for c in changes.get(s["id"], [])
                           if c["kind"] == "reduction"],
            "escalations": [_day(c["date"], origin) for c in changes.get(s["id"], [])
                            if c["kind"] != "reduction"],
            "deviations": list(s.get("deviations", [])),
            "response": _day(r.get("response_date"), origin),
            "progression": _day(r.get("progression_date"), origin),
            "best": r.get("best_response")})
    total = len(rows)
    rows.sort(key=lambda x: (str(x["arm"]), -x["days"], x["id"]))
    sampled = total > MAX_SUBJECTS
    if sampled:
        step = total / MAX_SUBJECTS
        rows = [rows[int(i * step)] for i in range(MAX_SUBJECTS)]
    arms = sorted({str(x["arm"]) for x in rows})
    words = (f"Each bar: one treated subject, from the first dose (day 0) to the end of the day of "
             f"the last dose; "
             f"{total} treated subjects" + (f", a systematic sample of {len(rows)} shown (every "
                                            f"{total / MAX_SUBJECTS:.1f}th by arm and duration)"
                                            if sampled else ", all shown") + ".")
    # "and response" only when a response section gave the markers
    what = "Treatment and response" if resp else "Treatment"
    shown = f"; {len(rows)} shown" if sampled else ""
    return [Spec("swimmer", "swimmer", f"{what} per subject (n = {total}{shown})",
                 caption(result, words), {"rows": rows, "total": total, "sampled": sampled,
                                          "arms": arms})], None


def draw(spec: Spec) -> Any:
    from matplotlib.lines import Line2D

    from trialspec.figures._render import GREY, OKABE_ITO, colour, pyplot

    plt = pyplot()
    d = spec.data
    rows = d["rows"]
    n = len(rows)
    fig, ax = plt.subplots(figsize=(8.2, 1.6 + 0.24 * n))
    arm_colour = {arm: colour(i) for i, arm in enumerate(d["arms"])}
    longest = max(r["days"] for r in rows)
    for i, r in enumerate(rows):
        y = n - 1 - i
        ax.barh(y, r["days"], left=0, height=0.62, color=arm_colour[str(r["arm"])], alpha=0.85,
                gid=f"swimmer-{r['id']}")
        for x in r["reductions"]:
            ax.plot(x, y, "v", color="black", ms=5.5)
        for x in r["escalations"]:
            ax.plot(x, y, "^", color="black", ms=5.5)
        if r["response"] is not None:
            ax.plot(r["response"], y, "*", color=OKABE_ITO[6], mec="black", mew=0.5, ms=10)
        if r["progression"] is not None:
            ax.plot(r["progression"], y, "X", color=OKABE_ITO[5], mec="black", mew=0.5, ms=7)
        if r["deviations"]:
            ax.plot(-0.025 * longest, y, "D", color=OKABE_ITO[3], ms=4.5)
        best = r["best"] or ""
        ax.text(max(r["days"], r["progression"] or 0) + 0.01 * longest, y,
                f"{best}  ({r['cycles']} cycles)", va="center", fontsize=7.5)
    ax.set_yticks(range(n), [r["id"] for r in reversed(rows)], fontsize=7.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(-0.05 * longest, longest * 1.22)
    ax.set_xlabel("Days since first dose")
    ax.set_title(spec.title, loc="left")
    ax.grid(axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    handles = [Line2D([], [], color=c, lw=6, label=f"arm {a}") for a, c in arm_colour.items()]
    marks = (  # (shown when, legend entry): only what the plot holds
        (any(r["reductions"] for r in rows), Line2D([], [], ls="", marker="v", color="black",
                                                    label="dose reduction")),
        (any(r["escalations"] for r in rows), Line2D([], [], ls="", marker="^", color="black",
                                                     label="re-escalation")),
        (any(r["deviations"] for r in rows), Line2D([], [], ls="", marker="D", color=OKABE_ITO[3],
                                                    label="dosing deviation (any)")),
        (any(r["response"] is not None for r in rows),
         Line2D([], [], ls="", marker="*", color=OKABE_ITO[6], mec="black", ms=10,
                label="first confirmed response")),
        (any(r["progression"] is not None for r in rows),
         Line2D([], [], ls="", marker="X", color=OKABE_ITO[5], mec="black", label="progression")),
        (True, Line2D([], [], ls="", color=GREY,
                      label="text: best overall response (cycles)" if any(r["best"] for r in rows)
                      else "text: cycles given")),
    )
    handles += [h for shown, h in marks if shown]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7.5)
    return fig
