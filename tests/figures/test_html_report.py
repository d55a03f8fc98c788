"""The HTML report of the shipped examples: valid HTML5 (html5lib's strict parser), one file
with nothing external, the summary first with the JSON report's numbers, every figure the
results allow, and every section's findings grouped by code with the protocol line quoted."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from trialspec import figures

EXPECTED_FIGURES = {
    "seed": {"consort", "forest-T2.orr", "forest-T2.vgpr", "forest-T2.mrd", "forest-T2.pfs",
             "forest-T2.os", "forest-subgroups-orr", "swimmer", "dosing", "waterfall"},
    "t2dm": {"consort", "km-T3", "dosing", "swimmer"},
}


def test_html_is_valid_html5(example: str, html_reports: dict[str, Path]) -> None:
    import html5lib

    text = html_reports[example].read_text("utf-8")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    parser.parse(text)  # strict: raises ParseError at the first parse error
    assert parser.errors == []
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")


def test_html_has_no_external_reference(example: str, html_reports: dict[str, Path]) -> None:
    text = html_reports[example].read_text("utf-8")
    # SVG names its namespaces (xmlns="http://www.w3.org/..."), which is never fetched;
    # nothing else may name a network location, and links may only point inside the page
    stripped = re.sub(r'\sxmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", text)
    assert not re.search(r"https?:", stripped, re.I), re.search(r".{60}https?:.{60}", stripped)
    # a raster inside a figure is inlined as a data: URI; any other link is a fetch
    assert not re.search(r"""\b(src|href|action|poster|data)\s*=\s*["']?(?!data:image/png;base64,)"""
                         r"""[^"'#\s>]""", stripped, re.I)
    assert "<script" not in text.lower() and "<link" not in text.lower()
    # url(#clip) points inside the page
    assert not re.search(r"url\((?!#)|@import|//[a-z0-9.-]+\.[a-z]{2,}", stripped, re.I)


def test_summary_comes_first_with_the_reports_numbers(example: str, html_reports: dict[str, Path],
                                                      checked: dict[str, Any]) -> None:
    text = html.unescape(re.sub(r"<[^>]+>", " ", html_reports[example].read_text("utf-8")))
    text = re.sub(r"\s+", " ", text)
    _, doc = checked[example]
    assert text.index("Summary") < text.index("Figures") < text.index("Eligibility:")
    counts = doc["sections"]["claims"]["summary"]["counts"]
    total = doc["sections"]["claims"]["summary"]["claims"] - counts["not checked"]
    assert f"{total} checked" in text
    assert f"{counts['reproduced'] + counts['consistent']} reproduced" in text
    assert f"{counts['not reproduced']} not reproduced" in text
    assert f"{counts['inconsistent']} inconsistent" in text
    e = doc["sections"]["eligibility"]["summary"]
    assert (f"Eligibility: {e['screened']} screened: {e['counts']['eligible']} eligible, "
            f"{e['counts']['ineligible']} ineligible, {e['counts']['indeterminate']} indeterminate.") in text
    d = doc["sections"]["dosing"]["summary"]
    assert f"Dosing: {d['subjects']['treated']} treated, {d['subjects']['cycles']:,} cycles" in text
    m = doc["manifest"]
    assert m["protocol"]["sha256"] in text and m["trialspec_version"] in text
    for ds in m["datasets"]:
        assert ds["sha256"] in text
    assert "Top root causes" in text


def test_every_figure_is_in_the_report(example: str, html_reports: dict[str, Path],
                                       checked: dict[str, Any]) -> None:
    text = html_reports[example].read_text("utf-8")
    ids = set(re.findall(r'<figure id="figure-([^"]+)"', text))
    assert EXPECTED_FIGURES[example] <= ids
    result, _ = checked[example]
    drawn = {s.key for name in figures.FIGURES for s in figures.specs(result, name)[0]}
    assert ids == drawn
    assert text.count("<svg") == len(ids)
    if example == "t2dm":  # no response section: the waterfall says why it is absent
        assert "Waterfall plot: not drawn:" in text


def test_findings_are_grouped_by_code_with_the_line_quoted(html_reports: dict[str, Path],
                                                           checked: dict[str, Any]) -> None:
    text = html.unescape(html_reports["seed"].read_text("utf-8"))
    _, doc = checked["seed"]
    claims = doc["sections"]["claims"]["findings"]
    n711 = sum(f["code"] == "TS711" for f in claims)
    assert f"TS711 claim-not-reproduced: {n711} findings" in re.sub(r"<[^>]+>", "", text)
    first = claims[0]
    line = Path("protocols/seed-rd-rrmm.yaml").read_text("utf-8").splitlines()[first["location"]["line"] - 1]
    assert f"{first['location']['line']:>5} | {line}" in text


def test_verify_writes_html_too(tmp_path: Path) -> None:
    import contextlib
    import io

    from trialspec.cli import main

    out = tmp_path / "verify.html"
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["verify", "protocols/seed-rd-rrmm.yaml", "--data", "examples/seed/data",
                       "--format", "html", "--output", str(out)])
    assert status in (0, 1)
    text = out.read_text("utf-8")
    assert '<section id="section-lock">' in text and "No figures: this report holds no check" in text
    assert text.index('id="summary"') < text.index('id="section-lock"')


@pytest.mark.parametrize("fmt", ["html"])
def test_lint_does_not_offer_html(fmt: str) -> None:
    from trialspec.cli import main

    assert main(["lint", "protocols/seed-rd-rrmm.yaml", "--format", fmt]) == 2


def test_make_demo_writes_the_html_reports() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text("utf-8")
    assert "DEMO_HTML := demo-report.html" in makefile
    assert "--format html --output $(DEMO_HTML) --exit-zero" in makefile
    assert "--format html --output demo-report-t2dm.html --exit-zero" in makefile


def test_a_figure_that_fails_is_named_and_the_report_still_written(
        checked: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from trialspec.figures import km
    from trialspec.report.formats import render_check

    def broken(spec: figures.Spec) -> Any:
        raise ValueError("no room for the risk table")

    monkeypatch.setattr(km, "draw", broken)
    page = render_check("html", checked["t2dm"][0])
    assert ("T3: time_to_rescue by arm (Kaplan-Meier): could not be drawn: ValueError: "
            "no room for the risk table") in page
    assert 'id="figure-consort"' in page and 'id="figure-km-T3"' not in page


def test_diff_writes_html(tmp_path: Path) -> None:
    import contextlib
    import io

    import html5lib

    from trialspec.cli import main

    out = tmp_path / "diff.html"
    with contextlib.redirect_stdout(io.StringIO()):
        status = main(["diff", "protocols/seed-rd-rrmm.yaml", "protocols/seed-rd-rrmm-amendment-1.yaml",
                       "--data", "examples/seed/data", "--format", "html", "--output", str(out)])
    assert status == 1  # changes found
    text = out.read_text("utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    assert "<b>I1</b>: upper age limit raised from 75 to 80 (relaxed)" in text
    assert "<td>P02</td><td>ineligible</td><td>eligible</td><td>I1: fail → pass</td>" in text
    assert "<script" not in text and "http" not in text
