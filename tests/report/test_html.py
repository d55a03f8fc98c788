"""The HTML renderer on a synthetic result with awkward text: everything from the data is
escaped (no markup gets through), control characters are replaced, findings group by code
with the protocol line quoted, long tables are cut with a note, and numbers align right."""

from __future__ import annotations

import re
from collections.abc import Callable

from trialspec.report.formats import render_check
from trialspec.results import CheckResult


def test_text_from_the_data_is_escaped(result: CheckResult) -> None:
    page = render_check("html", result)
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "\x00" not in page and "\x01" not in page
    assert "2 subjects left out \ufffd of T4" in page
    # the quoted protocol line
    assert "{text: &quot;Pipes | and &lt;tags&gt;&quot;," in page and "<tags>" not in page
    assert 'Alpha | section</h2>' in page


def test_findings_group_by_code_with_the_line(result: CheckResult) -> None:
    page = render_check("html", result)
    # the protocol finding quotes line 5 of the protocol under its location
    assert "protocols/study.yaml:5:37" in page
    assert "    5 |     I1: {text: Adults, when: age &gt;= 18 mg/dL}" in page
    assert re.search(r"<code>TS406</code> <b>[^<]+</b>: 1 finding", page)
    # errors come before warnings within a part
    assert page.index("TS406") < page.index("TS412")
    assert "hint: Write the threshold in years." in page


def test_long_tables_are_cut_and_numbers_align(make_result: Callable[..., CheckResult]) -> None:
    from trialspec.report import html

    result = make_result()
    beta = result.sections[1]
    rows = tuple((f"P{i:04d}", i, f"{i / 10:.1f}%") for i in range(html.MAX_ROWS + 7))
    beta.tables[0] = type(beta.tables[0])("Long", ("subject", "i", "share"), rows)
    page = render_check("html", result)
    assert f"first {html.MAX_ROWS} of {html.MAX_ROWS + 7} rows; the JSON report lists all" in page
    assert f"P{html.MAX_ROWS - 1:04d}" in page and f"P{html.MAX_ROWS:04d}" not in page
    assert '<th class="num">i</th><th class="num">share</th>' in page
    assert '<td>P0001</td><td class="num">1</td><td class="num">0.1%</td>' in page


def test_many_findings_of_one_code_are_counted(make_result: Callable[..., CheckResult]) -> None:
    from trialspec.report import html

    page = render_check("html", make_result(findings=40))
    assert f"... and {41 - html.PER_CAUSE} more (the JSON report lists all)." in page
    assert "<b>41</b> &times; <code>TS406</code>" in page  # the top root causes count all
