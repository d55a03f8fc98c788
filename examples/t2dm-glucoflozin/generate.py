"""Generate the synthetic example data set for GLF-T2D-301 (glucoflozin vs placebo on metformin).

    .venv/bin/python examples/t2dm-glucoflozin/generate.py [--out DIR]

(re)writes examples/t2dm-glucoflozin/data/*.csv (or DIR/*.csv). Deterministic: one numpy
Generator with a fixed seed, no network, no clock; two runs give byte-identical files. The
study, the drug and every patient are fictional. README.md says which subject shows what.

How it works:
1. 176 subjects are screened. Twelve carry a screening-failure "story" (one failed criterion
   each, or one missing lab value) and are not randomized; the other 164 are randomized
   1:1 in permuted blocks of 4 stratified by country (incomplete last blocks: unequal arms).
   Two randomized subjects carry an eligibility story too (eGFR 43, a partial insulin date).
2. Each randomized subject gets a dosing story (most: none), a time to rescue therapy and a
   week-24 HbA1c. Tables: subjects, SDTM LB (screening and week 24), SDTM EX intervals.
3. The expectations are computed here, independently of trialspec: eligibility by the
   protocol's criteria in three-valued logic (expected_eligibility.csv), the deviation codes
   each dosing story must produce (expected_deviations.csv), and every number the protocol's
   `reported:` section prints, computed with scipy and statsmodels (expected_results.csv).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20230306
OUT = Path(__file__).resolve().parent / "data"
N_SCREENED = 176
ARMS = ("glucoflozin", "placebo")
GLUCOSE_G_PER_MOL = 180.16  # trialspec's molar mass of glucose: mg/dL x 10 / 180.16 = mmol/L
FIRST_SCREENING = pd.Timestamp("2023-03-06")

# Countries and how their laboratories report: (glucose unit, HbA1c unit, eGFR spelling,
# metformin dose unit). HbA1c in mmol/mol (IFCC) is converted to % (NGSP) by the sponsor:
# % = mmol/mol / 10.929 + 2.15 (the IFCC-NGSP master equation; trialspec cannot do it).
COUNTRIES = {
    "US": ("mg/dL", "%", "mL/min/1.73m2", "mg/day"),
    "UK": ("mmol/L", "mmol/mol", "mL/min/1.73m^2", "mg/day"),
    "DE": ("mg/dL", "mmol/mol", "mL/min/1.73m2", "g/day"),
    "PL": ("mmol/L", "%", "mL/min/1.73m2", "mg/day"),
}

# Screening failures (not randomized) and the randomized subjects with an eligibility problem:
# story -> (expected status, criteria text written to expected_eligibility.csv).
ELIGIBILITY_STORIES = {
    "age_82": ("ineligible", "I1 age 82"),
    "hba1c_6_6": ("ineligible", "I2 HbA1c 6.6%"),
    "hba1c_11_3": ("ineligible", "I2 HbA1c 11.3% (100 mmol/mol)"),
    "metformin_1_g": ("ineligible", "I3 metformin 1 g/day"),
    "metformin_4_weeks": ("ineligible", "I3 metformin dose stable 4 weeks"),
    "bmi_47": ("ineligible", "I4 BMI 47.1 kg/m2"),
    "egfr_38": ("ineligible", "I5 eGFR 38"),
    "type_1": ("ineligible", "E1 type 1 diabetes"),
    "insulin_5_weeks": ("ineligible", "E2 insulin 5 weeks before screening"),
    "fpg_16_4_mmol": ("ineligible", "E3 FPG 16.4 mmol/L"),
    "fpg_289_mg": ("ineligible", "E3 FPG 289 mg/dL (16.0 mmol/L)"),
    "egfr_missing": ("indeterminate", "I5 eGFR missing"),
    # randomized despite the problem (protocol deviations found by `check`):
    "egfr_43_randomized": ("ineligible", "I5 eGFR 43"),
    "insulin_partial_date": ("indeterminate", "E2 insulin date 2023-10 straddles the window"),
}
RANDOMIZED_STORIES = ("egfr_43_randomized", "insulin_partial_date")
SCREEN_FAILURES = [s for s in ELIGIBILITY_STORIES if s not in RANDOMIZED_STORIES]

# Dosing stories: story -> (arm or None for any, expected deviation codes). README.md
# explains why each code appears; the codes are trialspec's (docs/dosing.md).
DOSING_STORIES = {
    "missed_4_days": (None, "TS503"),
    "low_compliance": ("placebo", "TS503;TS511"),
    "double_dose_week": ("glucoflozin", "TS501"),
    "extra_tablet": (None, "TS504"),
    "kit_mixup": ("placebo", "TS503;TS521"),
    "interruption": ("glucoflozin", "TS503;TS506;TS507"),
    "seventh_cycle": (None, "TS508"),
    "reduction": ("glucoflozin", ""),  # allowed: a dose change, not a deviation
    "re_escalation": ("glucoflozin", "TS510"),
    "never_dosed": ("placebo", ""),  # randomized, withdrew before the first dose
}
N_DISCONTINUED = 7  # stop study drug early (no deviation: the last cycle is not due)


def draw_screening(rng: np.random.Generator) -> pd.DataFrame:
    """Every screened subject, drawn eligible; stories then change one value each."""
    n = N_SCREENED
    sex = np.where(rng.random(n) < 0.56, "male", "female")
    height = np.round(np.where(sex == "male", rng.normal(176, 7, n), rng.normal(163, 6.5, n)))
    target_bmi = np.clip(rng.normal(31.5, 4.3, n), 21.5, 44.0)
    weight = np.round(target_bmi * (height / 100) ** 2, 1)
    country = rng.choice(list(COUNTRIES), n, p=[0.35, 0.25, 0.2, 0.2])
    metformin = rng.choice([1500, 1700, 2000, 2000, 2500, 2550, 3000], n)
    offsets = np.sort(rng.integers(0, 360, n))
    screening = FIRST_SCREENING + pd.to_timedelta(offsets, "D")
    stable_weeks = rng.integers(10, 260, n)
    df = pd.DataFrame({
        "subject_id": [f"S{i:03d}" for i in range(1, n + 1)],
        "country": country,
        "age": np.clip(np.round(rng.normal(58, 9.5, n)), 31, 79).astype(int),
        "sex": sex,
        "diabetes_type": "type2",
        "height": height,
        "weight": weight,
        "metformin_dose": metformin.astype(float),
        "metformin_stable_since": screening - pd.to_timedelta(stable_weeks * 7, "D"),
        "last_insulin_date": "",
        "screening_date": screening,
        "hba1c": np.clip(rng.normal(8.45, 0.85, n), 7.15, 10.4),
        "fpg": np.round(np.clip(rng.normal(9.6, 1.7, n), 6.0, 14.6), 1),  # mmol/L
        "egfr": np.clip(np.round(rng.normal(84, 15, n)), 47, 125),
        "story": "",
    })
    # A few subjects used insulin long ago (hospital stays): full or month-only dates, all
    # decidably outside the 12-week window.
    past = rng.choice(n, 12, replace=False)
    for k, i in enumerate(past):
        d = df.screening_date[i] - pd.Timedelta(days=int(rng.integers(150, 900)))
        df.loc[i, "last_insulin_date"] = d.strftime("%Y-%m" if k % 3 == 0 else "%Y-%m-%d")
    return df


def assign_stories(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    free = df.last_insulin_date == ""
    # the partial-date subject must be screened in early January 2024 (see below)
    jan = np.flatnonzero(free & (df.screening_date >= "2024-01-03") & (df.screening_date <= "2024-01-12"))
    df.loc[jan[0], "story"] = "insulin_partial_date"
    for story in [*SCREEN_FAILURES, "egfr_43_randomized"]:
        pick = rng.choice(np.flatnonzero((df.story == "") & free))
        df.loc[pick, "story"] = story
    return df


def apply_eligibility_stories(df: pd.DataFrame) -> pd.DataFrame:
    def at(story: str) -> int:
        return int(np.flatnonzero(df.story == story)[0])

    df.loc[at("age_82"), "age"] = 82
    df.loc[at("hba1c_6_6"), ["hba1c", "country"]] = [6.6, "US"]
    df.loc[at("hba1c_11_3"), ["hba1c", "country"]] = [100 / 10.929 + 2.15, "UK"]  # 100 mmol/mol
    i = at("metformin_1_g")
    df.loc[i, ["metformin_dose", "country"]] = [1000.0, "DE"]  # written as 1 g/day
    i = at("metformin_4_weeks")
    df.loc[i, "metformin_stable_since"] = df.screening_date[i] - pd.Timedelta(weeks=4)
    i = at("bmi_47")
    df.loc[i, ["height", "weight"]] = [168.0, 133.0]  # 47.1 kg/m2
    df.loc[at("egfr_38"), "egfr"] = 38
    df.loc[at("type_1"), ["diabetes_type", "age"]] = ["type1", 34]
    i = at("insulin_5_weeks")
    df.loc[i, "last_insulin_date"] = (df.screening_date[i] - pd.Timedelta(weeks=5)).strftime("%Y-%m-%d")
    df.loc[at("fpg_16_4_mmol"), ["fpg", "country"]] = [16.4, "UK"]
    df.loc[at("fpg_289_mg"), ["fpg", "country"]] = [289 * 10 / GLUCOSE_G_PER_MOL, "US"]
    df.loc[at("egfr_missing"), "egfr"] = np.nan
    df.loc[at("egfr_43_randomized"), "egfr"] = 43
    # October 2023 against a window of 84 days before 2024-01-03..12: it opens mid-October,
    # so part of the month is inside, part outside: undecidable.
    df.loc[at("insulin_partial_date"), "last_insulin_date"] = "2023-10"
    return df


def report_units(df: pd.DataFrame) -> pd.DataFrame:
    """Values as each country's laboratory reports them (and the sponsor's % for HbA1c)."""
    glu_unit = df.country.map(lambda c: COUNTRIES[c][0])
    df["fpg_value"] = np.where(glu_unit == "mg/dL", np.round(df.fpg * GLUCOSE_G_PER_MOL / 10),
                               df.fpg)
    df["fpg_unit"] = glu_unit
    df["hba1c_unit"] = df.country.map(lambda c: COUNTRIES[c][1])
    df["hba1c_orig"], df["hba1c"] = hba1c_as_reported(df.hba1c.to_numpy(), df.hba1c_unit.to_numpy())
    df["egfr_unit"] = df.country.map(lambda c: COUNTRIES[c][2])
    df["metformin_unit"] = df.country.map(lambda c: COUNTRIES[c][3])
    df["metformin_dose"] = np.where(df.metformin_unit == "g/day", df.metformin_dose / 1000,
                                    df.metformin_dose)
    df["bmi"] = np.round(df.weight / (df.height / 100) ** 2, 1)
    return df


def hba1c_as_reported(pct: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(original result as text, value in %): IFCC labs report whole mmol/mol."""
    ifcc = np.round((pct - 2.15) * 10.929)
    std = np.where(unit == "mmol/mol", np.round(ifcc / 10.929 + 2.15, 1), np.round(pct, 1))
    orig = np.where(unit == "mmol/mol", ifcc.astype(int).astype(str), np.char.mod("%.1f", std))
    return orig, std


def randomize(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """1:1 in permuted blocks of 4, stratified by country, in screening order. Each country's
    last block is left incomplete when enrolment closes, so the arms differ slightly in size."""
    rand = ~df.story.isin(SCREEN_FAILURES)
    df["arm"] = ""
    for country in COUNTRIES:
        idx = np.flatnonzero(rand & (df.country == country))
        blocks = [rng.permutation(["glucoflozin", "glucoflozin", "placebo", "placebo"])
                  for _ in range(len(idx) // 4 + 1)]
        df.loc[idx, "arm"] = np.concatenate(blocks)[: len(idx)]
    gap = pd.to_timedelta(rng.integers(10, 22, N_SCREENED), "D")
    df["randomization_date"] = (df.screening_date + gap).where(rand)
    return df


def outcomes(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Dosing stories, discontinuations, rescue therapy and week-24 HbA1c."""
    rand = np.flatnonzero(df.arm != "")
    df["dosing"] = ""
    free = lambda arm: [i for i in rand if df.dosing[i] == "" and df.story[i] == ""  # noqa: E731
                        and (arm is None or df.arm[i] == arm)]
    for story, (arm, _codes) in DOSING_STORIES.items():
        df.loc[rng.choice(free(arm)), "dosing"] = story
    for i in rng.choice(free(None), N_DISCONTINUED, replace=False):
        df.loc[i, "dosing"] = "discontinued"

    n = len(df)
    # Last day of study drug (day index from randomization, day 0 = first dose) and follow-up.
    df["last_dose_day"] = np.where(df.arm != "", 167, -1)
    df.loc[df.dosing == "seventh_cycle", "last_dose_day"] = 181
    disc = df.dosing == "discontinued"
    df.loc[disc, "last_dose_day"] = rng.integers(20, 150, n)[disc.to_numpy()]
    df.loc[df.dosing == "never_dosed", "last_dose_day"] = -1
    visit_delay = rng.integers(1, 4, n)
    df["end_day"] = np.where(disc, df.last_dose_day + visit_delay, 168 + visit_delay - 1)
    df.loc[df.dosing == "seventh_cycle", "end_day"] = 182
    df.loc[df.dosing == "never_dosed", "end_day"] = 4

    # Rescue therapy: from day 14 on, hazard by arm, higher with a higher baseline HbA1c.
    rate = np.where(df.arm == "placebo", 1 / 110, 1 / 400) * np.exp(0.55 * (df.hba1c - 8.45))
    t_rescue = 14 + np.ceil(rng.exponential(1 / rate))
    rescued = (df.arm != "") & (t_rescue <= df.end_day)
    df["rescue_day"] = np.where(rescued, t_rescue, np.nan)

    # Week-24 HbA1c (completers only; the value of rescued subjects does not count as response).
    delta = np.where(df.arm == "glucoflozin", rng.normal(-1.05, 0.6, n), rng.normal(-0.4, 0.6, n))
    delta = np.where(rescued, rng.normal(-0.4, 0.6, n), delta)
    wk24 = np.clip(df.hba1c + delta, 5.6, 12.5)
    df["wk24_orig"], df["wk24"] = hba1c_as_reported(wk24.to_numpy(), df.hba1c_unit.to_numpy())
    has_wk24 = (df.arm != "") & ~disc & (df.dosing != "never_dosed")
    df.loc[~has_wk24, ["wk24_orig", "wk24"]] = ["", np.nan]
    return df


# --- tables ---------------------------------------------------------------------------------------
def subjects_table(df: pd.DataFrame) -> pd.DataFrame:
    rdate = df.randomization_date
    day = lambda col: rdate + pd.to_timedelta(df[col], "D")  # noqa: E731
    return pd.DataFrame({
        "subject_id": df.subject_id, "country": df.country, "age": df.age, "sex": df.sex,
        "diabetes_type": df.diabetes_type, "height": df.height, "weight": df.weight, "bmi": df.bmi,
        "metformin_dose": df.metformin_dose, "metformin_unit": df.metformin_unit,
        "metformin_stable_since": df.metformin_stable_since,
        "last_insulin_date": df.last_insulin_date, "screening_date": df.screening_date,
        "arm": df.arm, "randomization_date": rdate,
        "rescue_date": day("rescue_day"), "end_date": day("end_day"),
    })


def lb_table(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, s in df.iterrows():
        date = s.screening_date
        rows += [
            (s.subject_id, "SCREENING", "HBA1C", s.hba1c_orig, s.hba1c_unit, s.hba1c, "%", date),
            (s.subject_id, "SCREENING", "GLUC", f"{s.fpg_value:g}", s.fpg_unit, s.fpg_value,
             s.fpg_unit, date),
            (s.subject_id, "SCREENING", "EGFR", "" if np.isnan(s.egfr) else f"{s.egfr:g}", s.egfr_unit,
             s.egfr, s.egfr_unit, date),
        ]
        if s.wk24_orig:
            end = s.randomization_date + pd.Timedelta(days=int(s.end_day))
            rows.append((s.subject_id, "WEEK24", "HBA1C", s.wk24_orig, s.hba1c_unit, s.wk24, "%", end))
    return pd.DataFrame(rows, columns=["USUBJID", "VISIT", "LBTESTCD", "LBORRES", "LBORRESU",
                                       "LBSTRESN", "LBSTRESU", "LBDTC"])


def ex_table(df: pd.DataFrame) -> pd.DataFrame:
    """SDTM EX: one row per dispensed bottle (28 days) and per change within it."""
    rows = []
    for _, s in df[df.arm != ""].iterrows():
        drug, story, last = s.arm, s.dosing, int(s.last_dose_day)
        # (first day, last day, drug, dose, frequency), day 0 = randomization = first dose
        runs = [(28 * c, min(28 * c + 27, last), drug, 10, "QD") for c in range(6) if 28 * c <= last]
        if story == "missed_4_days":  # cycle 3 days 10-13
            runs[2:3] = [(56, 64, drug, 10, "QD"), (69, 83, drug, 10, "QD")]
        elif story == "low_compliance":  # cycles 2-4: a tablet every other day
            runs[1:4] = [(28 * c, 28 * c + 27, drug, 10, "QOD") for c in (1, 2, 3)]
        elif story == "double_dose_week":  # cycle 2 days 8-14: two tablets (20 mg) a day
            runs[1:2] = [(28, 34, drug, 10, "QD"), (35, 41, drug, 20, "QD"), (42, 55, drug, 10, "QD")]
        elif story == "extra_tablet":  # cycle 4 day 15: a second tablet
            runs[3:4] = [(84, 97, drug, 10, "QD"), (98, 98, drug, 10, "BID"), (99, 111, drug, 10, "QD")]
        elif story == "kit_mixup":  # cycle 5 days 8-21: a glucoflozin bottle dispensed
            runs[4:5] = [(112, 118, drug, 10, "QD"), (119, 132, "glucoflozin", 10, "QD"),
                         (133, 139, drug, 10, "QD")]
        elif story == "interruption":  # off from cycle 2 day 22 to day 38; resumes day 39
            runs[1:3] = [(28, 48, drug, 10, "QD"), (66, 83, drug, 10, "QD")]
        elif story == "seventh_cycle":  # week-24 visit 2 weeks late; tablets taken meanwhile
            runs.append((168, 181, drug, 10, "QD"))
        elif story == "reduction":  # 5 mg from cycle 5 (volume depletion)
            runs[4:] = [(a, b, d, 5, f) for a, b, d, _, f in runs[4:]]
        elif story == "re_escalation":  # 5 mg in cycle 3, back to 10 mg from cycle 4
            runs[2] = (*runs[2][:3], 5, "QD")
        for a, b, d, dose, freq in runs:
            # a matching placebo tablet has no mass: EX counts it in tablets (EXDOSU TABLET)
            assert d != "placebo" or dose == 10, "a placebo tablet matches the 10 mg one, whole"
            amount, unit = (1, "TABLET") if d == "placebo" else (dose, "mg")
            rows.append((s.subject_id, d, amount, unit, freq, s.randomization_date + pd.Timedelta(days=a),
                         s.randomization_date + pd.Timedelta(days=b)))
    return pd.DataFrame(rows, columns=["USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRQ", "EXSTDTC",
                                       "EXENDTC"])


# --- 3. expectations, computed independently of trialspec -------------------------------------------
def expected_eligibility(subj: pd.DataFrame, lb: pd.DataFrame) -> pd.DataFrame:
    """The protocol's criteria over the files as written, in three-valued logic (NaN = unknown)."""
    scr = lb[lb.VISIT == "SCREENING"].pivot(index="USUBJID", columns="LBTESTCD", values="LBSTRESN")
    unit = lb[lb.VISIT == "SCREENING"].pivot(index="USUBJID", columns="LBTESTCD", values="LBSTRESU")
    scr, unit = scr.loc[subj.subject_id], unit.loc[subj.subject_id]
    fpg = np.where(unit.GLUC == "mg/dL", scr.GLUC * 10 / GLUCOSE_G_PER_MOL, scr.GLUC)  # mmol/L
    metformin = np.where(subj.metformin_unit == "g/day", subj.metformin_dose * 1000, subj.metformin_dose)
    screening = subj.screening_date.to_numpy()

    def tv(x: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
        out = np.asarray(x, dtype=float)
        return out if known is None else np.where(known, out, np.nan)

    # E2: the last insulin date (a day, or a month = every day of it) within 84 days before screening
    lo, hi = [], []
    for text in subj.last_insulin_date.fillna(""):
        if not text:
            lo.append(pd.NaT)
            hi.append(pd.NaT)
        elif len(text) == 7:
            first = pd.Timestamp(text + "-01")
            lo.append(first)
            hi.append(first + pd.offsets.MonthEnd(0))
        else:
            lo.append(pd.Timestamp(text))
            hi.append(pd.Timestamp(text))
    lo, hi = pd.DatetimeIndex(lo), pd.DatetimeIndex(hi)
    start = pd.DatetimeIndex(screening) - pd.Timedelta(days=84)
    inside_all = (lo >= start) & (hi <= screening)
    outside = (hi < start) | (lo > screening)
    e2 = np.where(lo.isna(), 0.0, np.where(inside_all, 1.0, np.where(outside, 0.0, np.nan)))

    truth = pd.DataFrame({
        "I1": tv(subj.age.between(18, 80)),
        "I2": tv(scr.HBA1C.between(7.0, 10.5).to_numpy(), scr.HBA1C.notna().to_numpy()),
        "I3": tv((metformin >= 1500) & (subj.metformin_stable_since <= subj.screening_date
                                         - pd.Timedelta(weeks=8)).to_numpy()),
        "I4": tv(subj.bmi.between(20, 45)),
        "I5": tv((scr.EGFR >= 45).to_numpy(), scr.EGFR.notna().to_numpy()),
        "E1": tv(subj.diabetes_type == "type1"),
        "E2": e2,
        "E3": tv(fpg > 15.0, ~np.isnan(fpg)),
    }, index=subj.subject_id)
    fails = pd.concat([truth.filter(like="I") == 0, truth.filter(like="E") == 1], axis=1).any(axis=1)
    unknown = truth.isna().any(axis=1)
    status = np.where(fails, "ineligible", np.where(unknown, "indeterminate", "eligible"))
    return pd.DataFrame({"subject_id": subj.subject_id, "status": status})


def fmt_pct(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.1f}%)"


def fmt_p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def expected_results(subj: pd.DataFrame, lb: pd.DataFrame) -> pd.DataFrame:
    """Every number of the hypothetical paper, as it would print them (scipy, statsmodels)."""
    from scipy import stats
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    out: list[tuple[str, str]] = []
    rnd = subj[subj.arm != ""].copy()
    wk = lb[lb.VISIT == "WEEK24"].set_index("USUBJID").LBSTRESN
    scr = lb[(lb.VISIT == "SCREENING") & (lb.LBTESTCD == "HBA1C")].set_index("USUBJID").LBSTRESN
    rnd["hba1c"] = scr.reindex(rnd.subject_id).to_numpy()
    rnd["wk24"] = wk.reindex(rnd.subject_id).to_numpy()
    out += [("S1.screened", str(len(subj))), ("S1.randomized", str(len(rnd)))]
    arms = {a: rnd[rnd.arm == a] for a in ARMS}
    for a, g in arms.items():
        out += [(f"T1.n.{a}", str(len(g))),
                (f"T1.age.{a}", f"{g.age.median():g} ({g.age.min()}-{g.age.max()})"),
                (f"T1.male.{a}", fmt_pct(int((g.sex == "male").sum()), len(g))),
                (f"T1.hba1c.{a}", f"{g.hba1c.median():.1f} ({g.hba1c.min():.1f}-{g.hba1c.max():.1f})"),
                (f"T1.bmi.{a}", f"{g.bmi.median():.1f} ({g.bmi.min():.1f}-{g.bmi.max():.1f})")]
    # T2: HbA1c < 7.0% at week 24 without rescue (missing or rescued = non-responder)
    table = []
    for a, g in arms.items():
        resp = int(((g.wk24 < 7.0) & g.rescue_date.isna()).sum())
        table.append([resp, len(g) - resp])
        out += [(f"T2.n.{a}", str(len(g))), (f"T2.hba1c_lt7.{a}", fmt_pct(resp, len(g)))]
        done = g[g.wk24.notna()]
        out.append((f"T2.change.mean.{a}", f"{(done.wk24 - done.hba1c).mean():.2f}"))
    chi2, p_chi2, _, _ = stats.chi2_contingency(table, correction=False)
    out += [("T2.statistic", f"{chi2:.2f}"), ("T2.p", fmt_p(p_chi2)),
            ("T2.fisher_p", fmt_p(stats.fisher_exact(table)[1]))]
    # T3: time to rescue therapy, weeks from randomization
    rnd["event"] = rnd.rescue_date.notna().astype(int)
    rnd["weeks"] = ((rnd.rescue_date.fillna(rnd.end_date) - rnd.randomization_date).dt.days / 7)
    for a in ARMS:
        g = rnd[rnd.arm == a]
        sf = SurvfuncRight(g.weeks.to_numpy(), g.event.to_numpy())
        med = sf.quantile(0.5)
        with np.errstate(divide="ignore", invalid="ignore"):  # log(-log(1)) at time 0
            lo, hi = sf.quantile_ci(0.5, method="cloglog")
        text = "NR" if np.isnan(med) else f"{med:.1f}"
        if np.isfinite(med) and np.isfinite(hi):
            text += f" (95% CI: {lo:.1f}-{hi:.1f})"
        out += [(f"T3.n.{a}", str(len(g))), (f"T3.events.{a}", str(int(g.event.sum()))),
                (f"T3.median.{a}", text)]
    chi2, p_lr = survdiff(rnd.weeks.to_numpy(), rnd.event.to_numpy(), rnd.arm.to_numpy())
    x = (rnd.arm == "glucoflozin").astype(float).to_numpy()[:, None]
    fit = PHReg(rnd.weeks.to_numpy(), x, status=rnd.event.to_numpy(), ties="efron").fit()
    b, se = fit.params[0], fit.bse[0]
    hr = lambda v: f"{np.exp(v):.2f}"  # noqa: E731
    out += [("T3.statistic", f"{chi2:.2f}"), ("T3.p", fmt_p(p_lr)),
            ("T3.hr", f"{hr(b)} (95% CI: {hr(b - 1.959964 * se)}-{hr(b + 1.959964 * se)})"),
            ("T3.hr_reversed", f"{hr(-b)} (95% CI: {hr(-b - 1.959964 * se)}-{hr(-b + 1.959964 * se)})")]
    return pd.DataFrame(out, columns=["claim", "value"])


def check(df: pd.DataFrame, subj: pd.DataFrame, lb: pd.DataFrame, ex: pd.DataFrame,
          elig: pd.DataFrame) -> None:
    """Self-checks of this script (not of trialspec)."""
    counts = elig.status.value_counts().to_dict()
    assert counts == {"eligible": 162, "ineligible": 12, "indeterminate": 2}, counts
    want = {s: st for s, (st, _t) in ELIGIBILITY_STORIES.items()}
    got = elig.set_index("subject_id").status
    for sid, story in zip(df.subject_id, df.story, strict=True):
        assert got[sid] == want.get(story, "eligible"), (sid, story, got[sid])
    n_arm = subj.arm.value_counts()
    assert n_arm.sum() - n_arm[""] == 164 and n_arm.glucoflozin != n_arm.placebo, n_arm
    assert set(subj.arm[df.story.isin(SCREEN_FAILURES)]) == {""}
    # mixed units really matter: every FPG in mg/dL would fail E3 if read as mmol/L, and every
    # metformin dose in g/day would fail I3 if read as mg/day
    scr = lb[(lb.VISIT == "SCREENING") & (lb.LBTESTCD == "GLUC")]
    assert (scr.LBSTRESN[scr.LBSTRESU == "mg/dL"] > 15).all() and (scr.LBSTRESU == "mg/dL").sum() > 50
    assert (subj.metformin_dose[subj.metformin_unit == "g/day"] < 1500).all()
    assert ex.EXTRT.isin(ARMS).all() and (ex.EXENDTC >= ex.EXSTDTC).all()
    assert set(df.dosing) == {"", "discontinued", *DOSING_STORIES}


def write(out: Path, tables: dict[str, pd.DataFrame]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df = df.copy()
        for c in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c].dt.strftime("%Y-%m-%d")
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", float_format="%.10g")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the CSVs (default: data/)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(SEED)
    df = draw_screening(rng)
    df = apply_eligibility_stories(assign_stories(df, rng))
    df = report_units(df)
    df = outcomes(randomize(df, rng), rng)
    subj, lb, ex = subjects_table(df), lb_table(df), ex_table(df)
    elig = expected_eligibility(subj, lb)
    crit = df.story.map(lambda s: ELIGIBILITY_STORIES.get(s, ("", ""))[1])
    elig["criteria"] = crit.to_numpy()
    check(df, subj, lb, ex, elig)
    dev = df[df.dosing != ""][["subject_id", "arm", "dosing"]].rename(columns={"dosing": "story"})
    dev["codes"] = dev.story.map(lambda s: DOSING_STORIES.get(s, (None, ""))[1])
    dev = dev.sort_values("subject_id")
    tables = {"subjects": subj, "lb": lb, "ex": ex, "expected_eligibility": elig,
              "expected_deviations": dev, "expected_results": expected_results(subj, lb)}
    write(args.out, tables)
    print(f"wrote {len(tables)} files to {args.out}")
    print(tables["expected_results"].to_string(index=False))


if __name__ == "__main__":
    main()
