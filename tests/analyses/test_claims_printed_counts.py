"""A printed p-value against the 2x2 table the report prints itself (each group's responders
of its printed size), whatever the data say: no common test gives it (TS731), or only a
one-sided one (TS730). The data are the seed's Table 4 counts, 12/16 and 1/5."""

from __future__ import annotations

from analyses_helpers import finding, mini, verdicts

T = """
analyses:
  T: {endpoint: orr, by: arm, tests: [fisher]}
reported:
  T:
"""


def report(*lines: str) -> str:
    return T + "".join(f"    {line}\n" for line in lines)


def test_a_p_the_printed_table_gives_raises_nothing() -> None:
    _a, claims = mini(report('n: {a: "16", b: "5"}', 'orr: {a: "75%", b: "20%"}', 'p: "0.047"'))
    assert verdicts(claims)["T.p"] == ("reproduced", [])


def test_a_p_no_test_of_the_printed_table_gives() -> None:
    # the table prints other counts than the data's (15/18 vs 3/4) and a p none of their tests give
    _a, claims = mini(report('n: {a: "18", b: "4"}', 'orr: {a: "83.33%", b: "75%"}', 'p: "0.4462"'))
    f = finding(claims, "TS731", "T.p")
    assert "printed counts (a 15/18 vs b 3/4) gives p = 0.4462" in f.message
    assert "Fisher's exact test (two-sided) 1" in f.message and f.severity.value == "error"
    assert [label for label, _span in f.related] == ["T.orr.a", "T.orr.b"]
    assert verdicts(claims)["T.p"][1] == ["TS711", "TS731"]


def test_a_one_sided_p_on_the_printed_table() -> None:
    _a, claims = mini(report('n: {a: "12", b: "5"}', 'orr: {a: "75% (9/12)", b: "100% (5/5)"}',
                             'p: "0.3235"'))
    f = finding(claims, "TS730", "T.p")
    assert "Fisher's exact test (one-sided, less) on the printed counts (a 9/12 vs b 5/5)" in f.message
    assert "the two-sided Fisher p is 0.5147" in f.message and f.severity.value == "warning"


def test_no_check_without_the_whole_table() -> None:
    # b's count is not printed, and 75% of an unprinted n is no count: nothing to test
    _a, claims = mini(report('n: {a: "16"}', 'orr: {a: "75%", b: "20%"}', 'p: "0.4462"'))
    assert {d.code for d in claims.findings} & {"TS730", "TS731"} == set()
