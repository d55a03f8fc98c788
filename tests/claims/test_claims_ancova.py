"""Claims on an ``ancova`` analysis, judged against the numbers of its summary: differences
from the reference arm (alone or with their CI), their SE and p, the adjusted means, the F
test and the dose-response p. The summary here is the CDISC pilot's ADAS-Cog ANCOVA as
trialspec computes it (held against R's lm/emmeans in tests/stats/test_stats_models.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from trialspec.domain.claims_judge import Record
from trialspec.domain.claims_judge_models import judge_ancova

PLAN: Any = SimpleNamespace(id="T14-3.01", grouped_by="treatment")
SUMMARY = {
    "lsmeans": [
        {"label": "Placebo", "estimate": 2.4736755977436107, "se": 0.6047157365850634,
         "ci": [1.2818984422786122, 3.6654527532086094]},
        {"label": "Low", "estimate": 2.0068932402428743, "se": 0.5935241558158704,
         "ci": [0.8371725147454288, 3.17661396574032]},
        {"label": "High", "estimate": 1.4676620000122764, "se": 0.6243844323656595,
         "ci": [0.2371216689079616, 2.6982023311165912]}],
    "differences": [
        {"label": "Low - Placebo", "estimate": -0.4667823575007363, "se": 0.818042222283683,
         "p": 0.5688469713417749, "ci": [-2.0789845439843924, 1.1454198289829196]},
        {"label": "High - Placebo", "estimate": -1.006013597731334, "se": 0.8405293567503513,
         "p": 0.23264109588576712, "ci": [-2.6625335545786113, 0.6505063591159432]}],
    "arm_test": {"statistic": 0.7164822759879556, "p": 0.48960371288520554},
    "dose_response": {"estimate": -0.01179222363496731, "se": 0.010109840343969083,
                      "p": 0.24470567386849687},
}


def judged(path: str, text: str, summary: dict[str, Any] = SUMMARY) -> Record:
    parts = tuple(path.split("."))
    r = Record(PLAN.id, SimpleNamespace(text=text, path=parts), f"{PLAN.id}.{path}", PLAN.id, parts)
    assert judge_ancova(PLAN, summary, [r]) == []
    return r


@pytest.mark.parametrize(("path", "text"), [
    ("difference.High", "-1.0"), ("difference.Low", "-0.5"), ("difference_se.High", "0.84"),
    ("p.High", "0.233"), ("p.Low", "0.569"), ("lsmean.Placebo", "2.47"), ("lsmean_se.Low", "0.59"),
    ("difference.High", "-1.0 [-2.66; 0.65]"), ("lsmean.High", "1.5 [0.2; 2.7]"),
    ("p", "0.49"), ("statistic", "0.72"), ("dose_response.p", "0.245"),
    ("dose_response.estimate", "-0.0118"),
])
def test_the_pilots_printed_numbers_are_reproduced(path: str, text: str) -> None:
    r = judged(path, text)
    assert r.status == "reproduced", r.message


def test_a_difference_with_the_arms_swapped_is_named() -> None:
    r = judged("difference.High", "1.0")
    assert r.status == "not reproduced" and r.code == "TS712"
    assert "reversed" in (r.hint or "")
    ci = judged("difference.High", "1.01 [-0.65; 2.66]")
    assert ci.status == "not reproduced" and ci.code == "TS712" and "reversed" in (ci.hint or "")


def test_a_wrong_number_is_not_reproduced() -> None:
    r = judged("p.High", "0.023")
    assert r.status == "not reproduced" and r.computed == "0.2326"
    assert judged("difference_se.Low", "0.92").status == "not reproduced"


def test_a_one_sided_p_is_explained() -> None:
    r = judged("p.High", "0.116")
    assert r.status == "not reproduced" and "one-sided" in (r.hint or "")


@pytest.mark.parametrize(("path", "words"), [
    ("difference.Placebo", "reference arm"), ("p.Middle", "no arm `Middle`"),
    ("slope", "an ancova analysis reads"), ("lsmean.High.extra", "an ancova analysis reads"),
])
def test_what_it_cannot_read_is_said_not_guessed(path: str, words: str) -> None:
    r = judged(path, "1.0")
    assert r.status == "not checked" and r.code == "TS707" and words in r.message, r.message


def test_no_dose_response_without_doses() -> None:
    summary = {k: v for k, v in SUMMARY.items() if k != "dose_response"}
    r = judged("dose_response.p", "0.245", summary)
    assert r.status == "not checked" and "options.dose" in (r.hint or "")
