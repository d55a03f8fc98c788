"""The CONSORT flow: screened -> excluded at each criterion (failed, unknown, not assessable)
-> eligible -> treated by arm -> response and progression -> analysis populations.

Every number is read from the sections (eligibility, dosing, response, analyses); a stage the
result does not hold (e.g. discontinuation, when no disposition data are declared) is drawn
as a box saying so, never left out silently."""

from __future__ import annotations

import textwrap
from typing import Any

from trialspec.figures import Spec, analyses, caption
from trialspec.results import CheckResult


def _eligible(subjects: Any, sid: str) -> bool:
    """Whether a subject was screened eligible (found by id, through the bound data)."""
    from trialspec.domain.eligibility import ELIGIBLE

    i = subjects.position(sid) if subjects is not None else None
    return i is not None and int(subjects.status_code[i]) == ELIGIBLE


def specs(result: CheckResult) -> tuple[list[Spec], str | None]:
    elig = result.section("eligibility")
    if elig is None:
        return [], "no eligibility section (the data were not read)"
    e = elig.summary
    previous = e["screened"]
    steps = []
    for c in e["criteria"]:
        steps.append({"id": c["id"], "text": c["text"], "excluded": previous - c["remaining"],
                      "fail": c["fail"], "unknown": c["unknown"],
                      "not_assessable": c.get("not_assessable", 0)})
        previous = c["remaining"]
    subjects = elig.subjects
    data: dict[str, Any] = {"screened": e["screened"], "counts": dict(e["counts"]), "steps": steps}
    dosing = result.section("dosing")
    if dosing is not None and dosing.summary.get("computed"):
        per = dosing.summary["per_subject"]
        arms: dict[str, int] = {}
        for s in per:
            arms[str(s["arm"])] = arms.get(str(s["arm"]), 0) + 1
        eligible = [_eligible(subjects, str(s["id"])) for s in per]
        data["treated"] = {"n": dosing.summary["subjects"]["treated"], "arms": arms,
                           "not_eligible": sum(not x for x in eligible)}
        data["untreated_eligible"] = e["counts"]["eligible"] - sum(eligible)
    response = result.section("response")
    if response is not None and "per_subject" in response.summary:
        r = response.summary
        evaluable = sum(1 for s in r["per_subject"] if s["best_response"] not in (None, "NE"))
        data["response"] = {"assessed": r["subjects"], "evaluable": evaluable, "progressed": r["progressed"]}
    populations: dict[int, list[str]] = {}
    for aid, a in analyses(result).items():
        n = a.get("included", a.get("total"))
        if n is None and a.get("groups"):
            n = sum(g.get("n", 0) for g in a["groups"])
        if a.get("ran") and n is not None and a.get("method") != "meta_analysis":
            populations.setdefault(int(n), []).append(aid)
    data["populations"] = {str(n): ids for n, ids in sorted(populations.items(), reverse=True)}
    words = ("Participant flow from the check's results: exclusions are counted once, at the first "
             "criterion (in protocol order) a subject fails or cannot be decided on; 'failed' and "
             "'unknown' count every subject per criterion.")
    title = f"Participant flow (CONSORT), n = {e['screened']} screened"
    return [Spec("consort", "consort", title, caption(result, words), data)], None


def _box(ax: Any, x: float, y: float, text: str, width: int, gid: str, **kw: Any) -> Any:
    wrapped = "\n".join(textwrap.fill(line, width) for line in text.split("\n"))
    return ax.text(x, y, wrapped, ha="center", va="center", fontsize=8.5, gid=gid, wrap=False,
            bbox={"boxstyle": "square,pad=0.5", "fc": kw.get("fc", "white"), "ec": "#333333", "lw": 0.9})


def _lines(text: str, width: int) -> int:
    return sum(len(textwrap.wrap(line, width)) or 1 for line in text.split("\n"))


def draw(spec: Spec) -> Any:
    from trialspec.figures._render import pyplot

    plt = pyplot()
    d = spec.data
    c = d["counts"]
    main: list[tuple[str, str, str | None]] = []  # (gid, text, side text)
    side = [f"Excluded (n = {c['ineligible'] + c['indeterminate']}): "
            f"{c['ineligible']} ineligible, {c['indeterminate']} indeterminate"]
    # a criterion that excluded someone gets a line; the others are named together (the CDISC
    # pilot has 31 criteria, most of them not assessable on SDTM data)
    for s in d["steps"]:
        if s["excluded"]:
            extra = [f"{s['fail']} failed", f"{s['unknown']} unknown"]
            if s["not_assessable"]:
                extra.append(f"{s['not_assessable']} not assessable")
            side.append(f"- {s['id']} ({s['excluded']} excluded here; {', '.join(extra)}): "
                        f"{textwrap.shorten(s['text'], 60)}")
    unassessable = [s["id"] for s in d["steps"] if not s["excluded"] and s["not_assessable"]]
    quiet = [s["id"] for s in d["steps"] if not s["excluded"] and not s["not_assessable"]]
    if quiet:
        side.append(f"- no exclusions at {', '.join(quiet)}")
    if unassessable:
        side.append(f"- not assessable on these data: {', '.join(unassessable)}")
    main.append(("screened", f"Assessed for eligibility (screened)\nn = {d['screened']}", "\n".join(side)))
    main.append(("eligible", f"Eligible\nn = {c['eligible']}", None))
    t = d.get("treated")
    if t:
        arms = "\n".join(f"{arm}: n = {n}" for arm, n in t["arms"].items())
        note = []
        if t["not_eligible"]:
            note.append(f"{t['not_eligible']} treated subject(s) were not eligible")
        if d.get("untreated_eligible"):
            note.append(f"{d['untreated_eligible']} eligible subject(s) were never treated")
        main.append(("treated", f"Allocated and treated (received any dose)\nn = {t['n']}\n{arms}",
                     "\n".join(note) or None))
    else:
        main.append(("treated", "Treatment received: not in the results (no dosing section)", None))
    main.append(("discontinued", "Discontinuation: not in the results\n(the protocol declares no "
                 "disposition data)", None))
    r = d.get("response")
    if r:
        main.append(("response", f"Response assessed n = {r['assessed']}\nevaluable (best response "
                     f"not NE) n = {r['evaluable']}\nprogressed n = {r['progressed']}", None))
    pops = d["populations"]
    if pops:
        rows = [f"n = {n}: {len(ids)} analys{'is' if len(ids) == 1 else 'es'} "
                f"({textwrap.shorten(', '.join(ids), 50)})"
                for n, ids in pops.items()]
        main.append(("analysed", "Analysis populations\n" + "\n".join(rows), None))
    else:
        main.append(("analysed", "Analysis populations: no analysis ran", None))
    width_main, width_side = 46, 58
    heights = [max(_lines(text, width_main), _lines(s or "", width_side)) for _, text, s in main]
    total = sum(heights) + 2.2 * len(main)
    fig, ax = plt.subplots(figsize=(8.6, 0.5 + 0.19 * total))
    ax.set_xlim(0, 1)
    ax.set_ylim(total, 0)
    ax.axis("off")
    y = 0.0
    boxes, sides = [], []
    for (gid, text, side_text), h in zip(main, heights, strict=True):
        cy = y + (h + 2.2) / 2
        boxes.append(_box(ax, 0.25, cy, text, width_main, f"consort-{gid}",
                          fc="#f2f2f2" if "not in the results" in text else "white"))
        sides.append(None if not side_text else ax.text(
            0.53, cy, "\n".join(textwrap.fill(line, width_side, subsequent_indent="  ")
                                for line in side_text.split("\n")),
            ha="left", va="center", fontsize=8, gid=f"consort-{gid}-side",
            bbox={"boxstyle": "square,pad=0.5", "fc": "white", "ec": "#333333", "lw": 0.9}))
        y += h + 2.2
    # arrows between the boxes' edges, measured once the text is laid out
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    inverse = ax.transData.inverted()

    def extent(t: Any) -> tuple[float, float, float, float]:
        bb = t.get_bbox_patch().get_window_extent(renderer)
        (x0, y0), (x1, y1) = inverse.transform([(bb.x0, bb.y0), (bb.x1, bb.y1)])
        return x0, x1, min(y0, y1), max(y0, y1)

    arrow = {"arrowstyle": "->", "lw": 0.9, "shrinkA": 0, "shrinkB": 0}
    for a, b in zip(boxes, boxes[1:], strict=False):
        ax.annotate("", xy=(0.25, extent(b)[2]), xytext=(0.25, extent(a)[3]), arrowprops=arrow)
    for box, side_box in zip(boxes, sides, strict=True):
        if side_box is not None:
            x1 = extent(box)[1]
            sx0, _, sy0, sy1 = extent(side_box)
            cy = (sy0 + sy1) / 2
            ax.annotate("", xy=(sx0, cy), xytext=(x1, cy), arrowprops=arrow)
    ax.set_title(spec.title, loc="left")
    return fig
