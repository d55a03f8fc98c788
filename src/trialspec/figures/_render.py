"""matplotlib set up once for every figure: Agg, text kept as SVG text, a colour-blind-safe
palette (Okabe-Ito), and the writers (inline SVG for HTML; a file by its suffix)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision
# deficiency; black is kept for text and reference lines
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
GREY = "#6b6b6b"

RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: searchable, small, no font files to embed
    "svg.hashsalt": "trialspec",  # stable element ids: the same result gives the same SVG
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
}

# the RDF metadata names vocabularies by URL: nothing a reader needs, and no URL stays
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend with the house style (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from cycler import cycler
    from matplotlib import pyplot as plt

    params: Any = plt.rcParams  # typed by key literals; ours are plain strings
    params.update({**RC, "axes.prop_cycle": cycler(color=OKABE_ITO)})
    return plt


def svg_text(fig: Any) -> str:
    """The figure as an inline <svg> element (no XML prolog, no DOCTYPE, no creation date)."""
    plt = pyplot()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = re.sub(r"^.*?(?=<svg)", "", buf.getvalue(), count=1, flags=re.S)
    return _METADATA.sub("", text, count=1)


def save(fig: Any, path: Path, caption: str | None = None) -> bytes:
    """The figure's bytes in the format its file name says (svg, png or pdf); a figure on its
    own carries its caption (with the hashes) in small type under it."""
    import textwrap

    plt = pyplot()
    if caption:
        words, bracket, provenance = caption.rpartition(" [")
        text = textwrap.fill(words or provenance, int(fig.get_figwidth() * 15))
        if bracket:  # the hashes on a line of their own, never broken
            text += "\n[" + provenance
        # just under what is drawn (a tall figure's bottom margin would leave a gap)
        drawn = fig.get_tightbbox(fig.canvas.get_renderer())
        fig.text(drawn.x0 / fig.get_figwidth(), (drawn.y0 - 0.06) / fig.get_figheight(), text,
                 ha="left", va="top", fontsize=7, color=GREY, transform=fig.transFigure)
    buf = io.BytesIO()
    fmt = FORMATS[path.suffix.lower()]
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}[fmt]
    fig.savefig(buf, format=fmt, dpi=200 if fmt == "png" else None, metadata=metadata)
    plt.close(fig)
    if fmt == "svg":
        return _METADATA.sub("", buf.getvalue().decode("utf-8"), count=1).encode("utf-8")
    return buf.getvalue()


def colour(i: int) -> str:
    return OKABE_ITO[i % (len(OKABE_ITO) - 1)]
