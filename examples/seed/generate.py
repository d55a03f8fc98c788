"""Generate the synthetic example data set for the seed study (Rd in 21 RRMM patients).

    .venv/bin/python examples/seed/generate.py [--out DIR]

(re)writes examples/seed/data/*.csv (or DIR/*.csv). Deterministic: one numpy Generator with a
fixed seed, no network, no clock; two runs give byte-identical files. The patient data are
synthetic; the seed paper (its two regimens, June 2014 - April 2018) fixes their shape.
table2_trials.csv holds published figures (README.md, "Table 2's trials"). README.md says
which subject shows what, and lists every contradiction of the paper that had to be resolved.

How it works:
1. a small seeded search draws each subject's attributes (disease status, prior thalidomide /
   lenalidomide / ixazomib, age group, sex, isotype, renal insufficiency, diabetes) per intended
   best-response class, so that the counts of the paper's Tables 3-7 hold by construction, and
   picks which subject carries which "story" (an eligibility failure, a dosing deviation, ...);
2. tables are built from that profile: subjects, screening labs (SDTM LB), exposure (one row
   per administration, and SDTM EX intervals for three subjects), response assessments;
3. self-checks: the paper's counts, a reference IMWG 2016 derivation of every best confirmed
   response under four readings of the criteria, the intended eligibility, EX vs exposure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20140601
OUT = Path(__file__).resolve().parent / "data"
N = 21
FIRST, LAST = pd.Timestamp("2014-06-01"), pd.Timestamp("2018-04-30")
BILI_UMOL_PER_MG_DL = 17.104  # 10 mg/L / 584.66 g/mol

# --- 1. The paper's counts --------------------------------------------------------------------
# Intended best confirmed response classes: 11 PR + 2 MR (the paper's "ORR" 13) and 8 SD/PD.
RESP = np.array(["PR"] * 11 + ["MR"] * 2 + ["NR"] * 8)
# (attribute, {class: count}, drawn only among subjects having attribute `within`).
# "E" = effective (PR or MR): Table 3 and the text give effective / invalid counts only.
MARGINS = [
    ("refractory", {"PR": 1, "MR": 0, "NR": 4}, None),  # Table 4
    ("thal", {"PR": 8, "MR": 1, "NR": 6}, None),  # Table 5
    ("len", {"PR": 4, "MR": 1, "NR": 6}, None),  # Table 6
    ("ixa", {"PR": 4, "MR": 0, "NR": 1}, "len"),  # Table 7; ixazomib given with Rd before
    ("old", {"E": 6, "NR": 4}, None),  # Table 3: age > 58
    ("female", {"E": 6, "NR": 4}, None),  # Table 3
    ("lc", {"PR": 4, "MR": 0, "NR": 2}, None),  # Table 3 light chain (MR needs serum + urine)
    ("renal", {"E": 5, "NR": 2}, None),  # text: ORR 71.4% (5/7) vs "57.2%" (8/14)
    ("diabetes", {"E": 2, "NR": 1}, None),  # text: ORR 66.7% (2/3) vs 61.1% (11/18)
]
# Printed tables, checked against the generated data: column -> {level: (n, PR, MR)}.
TABLES_4_7 = {
    "disease_status": {"relapsed": (16, 10, 2), "refractory": (5, 1, 0)},
    "thalidomide_exposed": {"true": (15, 8, 1), "false": (6, 3, 1)},
    "lenalidomide_exposed": {"true": (11, 4, 1), "false": (10, 7, 1)},
    "ixazomib_exposed": {"true": (5, 4, 0), "false": (16, 7, 2)},
}
# Table 3 and the text: group -> (effective, invalid).
TABLE_3 = {"age <= 58": (7, 4), "age > 58": (6, 4), "male": (7, 4), "female": (6, 4),
           "light chain": (4, 2), "heavy chain": (9, 6),
           "renal insufficiency": (5, 2), "diabetes": (2, 1)}

# --- 2. Response trajectories -----------------------------------------------------------------
# Roles per (class, light-chain isotype); the role's prefix is the intended best response.
ROLES = {("PR", True): ["pr_urine"] * 3 + ["pr_flc"],
         ("PR", False): ["pr_then_pd"] + ["pr_serum"] * 6,
         ("MR", False): ["mr_blip", "mr"],
         ("NR", True): ["sd_urine", "pd_flc"],
         ("NR", False): ["pd_serum", "pd_lesion"] + ["sd_serum"] * 4}
# Fractions of baseline at post-baseline visits 1..7 for (serum M, urine M, involved-minus-
# uninvolved FLC). Margins keep every visit far from the IMWG thresholds, so rounding and
# +-1.5% jitter cannot move a category (see the reference derivation below).
STABLE = [1.03, .96, .93, 1.02, .98, 1.00, .97]
S_PR = [.70, .45, .38, .35, .33, .32, .31]
S_PR_PD = [.65, .42, .36, .34, .60, .85, .85]
S_MR = [.68, .62, .60, .63, .62, .62, .61]
S_BLIP = [.68, .46, .60, .62, .61, .61, .61]  # one unconfirmed PR visit (visit 2)
PATHS = {
    "pr_serum": (S_PR, S_PR, S_PR),
    "pr_then_pd": (S_PR_PD, STABLE, S_PR_PD),  # confirmed PR, then confirmed PD at visits 5-6
    "pr_urine": (STABLE, [.45, .08, .06, .05, .05, .05, .05], [.55, .30, .25, .22, .22, .21, .21]),
    "pr_flc": (STABLE, STABLE, [.60, .35, .30, .28, .27, .27, .27]),
    "mr": (S_MR, [.42, .32, .30, .33, .31, .31, .31], S_MR),
    "mr_blip": (S_BLIP, [.40, .08, .30, .32, .31, .31, .31], S_BLIP),
    "sd_serum": (STABLE, STABLE, STABLE),
    "sd_urine": (STABLE, STABLE, STABLE),
    "pd_serum": ([1.45, 2.05, 2.20, 1.60], STABLE, [1.45, 2.05, 2.20, 1.60]),  # v4 on new therapy
    "pd_lesion": (STABLE, STABLE, STABLE),  # new lesions from visit 1
    "pd_flc": (STABLE, STABLE, [1.45, 2.0, 2.4, 2.7]),
}
HEAVY = ((0.9, 3.0), (0, 150), (3, 25))  # baseline ranges: serum g/dL, urine mg/24h, dFLC mg/dL
BASE = {"pr_serum": ((1.2, 4.5),) + HEAVY[1:], "pr_then_pd": ((2.6, 4.0),) + HEAVY[1:],
        "pr_urine": (None, (500, 2400), (15, 120)), "pr_flc": (None, (40, 160), (30, 90)),
        "mr": ((2.0, 2.6), (450, 750), (3, 25)), "mr_blip": ((2.0, 2.6), (450, 750), (3, 25)),
        "sd_serum": HEAVY, "sd_urine": (None, (500, 2400), (15, 120)),
        "pd_serum": ((1.5, 3.0),) + HEAVY[1:], "pd_lesion": HEAVY,
        "pd_flc": (None, (40, 160), (30, 90))}

# --- 3. Stories: one subject each, picked in this order -----------------------------------------
DEVIATIONS = ["dose_not_allowed", "rest_day_dose", "missed_dose", "extra_dose", "cycle_too_long",
              "start_outside_window", "dose_reduction", "re_escalation", "low_dose_intensity"]
STORIES = [
    ("age_over_75", lambda p: (p.role == "sd_serum") & p.old),
    ("one_prior_cycle", lambda p: ~p.refractory & ~(p.thal | p.len | p.ixa)),
    ("low_anc", lambda p: p.role == "pr_serum"),
    ("missing_platelets", lambda p: p.role == "mr"),
    ("seven_cycles", lambda p: p.role == "pr_serum"),
    ("five_cycles", lambda p: p.role == "pr_urine"),
    ("never_dexamethasone", lambda p: p.diabetes),
    *[(d, lambda p: ~p.role.str.startswith("pd") & (p.role != "pr_then_pd")) for d in DEVIATIONS],
    ("ex_intervals", lambda p: ~p.role.str.startswith("pd") & (p.role != "pr_then_pd")),
]
# Table 2's meta-analysis inputs: the two randomized trials it pools, one row each (not
# synthetic; README.md says where each number comes from). Response counts are responders of
# the response-evaluable patients (240 + 234 + 281 + 276 = the paper's "1031 patients").
TRIALS = pd.DataFrame({
    "trial": ["CASTOR", "POLLUX"],
    "comparison": ["DVd vs Vd", "DRd vs Rd"],
    "evaluable_dara": [240, 281], "evaluable_ctrl": [234, 276],
    "orr_dara": [199, 261], "orr_ctrl": [148, 211],  # NEJM 2016: 82.9 vs 63.2%, 92.9 vs 76.4%
    "vgpr_dara": [142, 222], "vgpr_ctrl": [68, 132],  # CASTOR NEJM 2016: 59.2 vs 29.1%
    "mrd_dara": [17, 63], "mrd_ctrl": [4, 22],  # reconstructed from Table 2 (README)
    "pfs_hr": ["0.31", "0.41"], "pfs_lower": ["0.24", "0.31"], "pfs_upper": ["0.39", "0.53"],
    "os_hr": ["0.77", "0.64"], "os_lower": ["0.59", "0.47"], "os_upper": ["1.01", "0.87"],
})

# The paper's two regimens (section 2.2, and the "LD regimen" of section 1): (drug, days, dose).
REGIMENS = {
    "Rd": [("lenalidomide", range(1, 22), 25), ("dexamethasone", [1, 8, 15, 22], 40)],
    "Ld": [("lenalidomide", range(1, 22), 15), ("dexamethasone", [1, 2, 3, 4, 15, 16, 17, 18], 20)],
}
# Who takes the LD regimen (4 cycles planned): four subjects whose stories are about screening,
# and the one given a fifth cycle (more than the LD regimen plans: TS508).
LD_STORIES = ["five_cycles", "low_anc", "one_prior_cycle", "missing_platelets"]
LEN_LEVELS = {"dose_reduction": [25, 25, 25, 15], "re_escalation": [25, 15, 25, 25],
              "low_dose_intensity": [25, 15, 10, 10], "dose_not_allowed": [25, 25, 20, 25]}
EX_STORIES = ["ex_intervals", "dose_reduction", "missed_dose"]


def solve(rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """Seeded search for a profile meeting every count and able to carry every story."""
    for attempt in range(1, 10_001):
        p = pd.DataFrame({"resp": RESP})
        for attr, counts, within in MARGINS:
            col = np.zeros(N, bool)
            for cls, k in counts.items():
                pool = (p.resp != "NR") if cls == "E" else (p.resp == cls)
                if within:
                    pool &= p[within]
                col[rng.choice(np.flatnonzero(pool), k, replace=False)] = True
            p[attr] = col
        p["role"] = ""
        for (cls, lc), roles in ROLES.items():
            p.loc[(p.resp == cls) & (p.lc == lc), "role"] = rng.permutation(roles)
        p = p.iloc[rng.permutation(N)].reset_index(drop=True)  # enrolment order
        if (p.refractory & ~(p.thal | p.len)).any():  # refractory to something already given
            continue
        p["story"] = ""
        for story, cond in STORIES:
            hits = np.flatnonzero(cond(p) & (p.story == ""))
            if not len(hits):
                break
            p.loc[hits[0], "story"] = story
        else:
            return p, attempt
    raise RuntimeError("no profile found")


def subjects_table(p: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    eff, old = (p.resp != "NR").to_numpy(), p.old.to_numpy()
    age = np.zeros(N, int)

    def fill(mask, anchors, lo, hi):
        idx = np.flatnonzero(mask)
        draws = rng.integers(lo, hi + 1, len(idx) - len(anchors))
        age[idx] = rng.permutation(np.r_[anchors, draws])

    over75 = (p.story == "age_over_75").to_numpy()
    fill(eff & ~old, [49, 58], 50, 57)  # paper's range starts at 49; 58 sets the medians
    fill(~eff & ~old, [58], 50, 57)
    fill(eff & old, [], 59, 75)
    fill(~eff & old & ~over75, [61], 62, 75)
    age[over75] = 80  # the paper's own range ends at 80 (> 75: fails inclusion 1)

    iso = np.empty(N, object)
    chain = np.empty(N, object)
    hc = np.flatnonzero(~p.lc)
    pairs = [("IgG", "kappa")] * 6 + [("IgG", "lambda")] * 5 + [("IgA", "kappa")] * 3 + [
        ("IgA", "lambda")]
    iso[hc], chain[hc] = zip(*(pairs[i] for i in rng.permutation(len(pairs))), strict=True)
    lc = p.lc.to_numpy()
    iso[lc], chain[lc] = "light_chain", rng.permutation(["kappa"] * 3 + ["lambda"] * 3)

    # Durie-Salmon: Table 1's IIA 4 / IIIA 8 / IIIB 1 (13 patients) scaled to 21; substage B
    # (creatinine >= 2 mg/dL) only among the renal-insufficiency subjects.
    stage = np.empty(N, object)
    b = rng.choice(np.flatnonzero(p.renal), 2, replace=False)
    stage[b] = "IIIB"
    stage[np.setdiff1d(np.arange(N), b)] = rng.permutation(["IIA"] * 6 + ["IIIA"] * 13)

    # Prior cycles: median 7, range 1-12 (Table 1); more for more prior drugs / refractory.
    cycles = np.array([2, 3, 4, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10, 11, 12, 12])
    score = (p.thal + p.len + 2 * p.ixa + p.refractory).to_numpy() + rng.random(N)
    one = (p.story == "one_prior_cycle").to_numpy()
    score[one] = -1
    prior = np.zeros(N, int)
    order = np.argsort(score, kind="stable")
    prior[order[0]], prior[order[1:]] = 1, cycles

    # Steady accrual from June 2014 (the paper's start), one patient every ~53 days.
    offsets = np.linspace(0, 1100, N).astype(int) + rng.integers(0, 20, N)
    consent = pd.Timestamp("2014-06-03") + pd.to_timedelta(offsets, "D")
    screening = consent + pd.to_timedelta(rng.integers(1, 11, N), "D")
    first_dose = screening + pd.to_timedelta(rng.integers(3, 10, N), "D")
    thal = p.thal.to_numpy()
    return pd.DataFrame({
        "subject_id": [f"P{i:02d}" for i in range(1, N + 1)],
        "age": age, "sex": np.where(p.female, "female", "male"), "ds_stage": stage,
        "iss_stage": rng.permutation(["II"] * 7 + ["III"] * 14), "prior_cycles": prior,
        "disease_status": np.where(p.refractory, "refractory", "relapsed"),
        "isotype": iso, "light_chain": chain, "thalidomide_exposed": thal,
        "lenalidomide_exposed": p.len, "ixazomib_exposed": p.ixa,
        "renal_insufficiency": p.renal, "diabetes": p.diabetes,
        "est_survival": rng.integers(6, 49, N), "ecog": rng.choice([0, 1, 2], N, p=[.3, .5, .2]),
        "pn_grade": np.where(thal, rng.integers(0, 2, N), 0),  # none >= 2 (paper)
        "consent_date": consent, "first_dose_date": first_dose, "screening_date": screening,
    })


def assessments_table(p, subj, rng) -> pd.DataFrame:
    rows = []
    for i, s in subj.iterrows():
        role, n = p.role[i], p.n_visits[i]
        (s_rng, u_rng, f_rng), paths = BASE[role], PATHS[role]
        s0 = round(rng.uniform(*s_rng), 2) if s_rng else 0.0
        u0 = 0.0 if (u_rng[0] == 0 and rng.random() < .4) else round(rng.uniform(*u_rng))
        f0, unf = rng.uniform(*f_rng), round(rng.uniform(0.4, 1.4), 2)
        frac = np.ones((n + 1, 3))
        frac[1:] = np.array([path[:n] for path in paths]).T * rng.uniform(.985, 1.015, (n, 3))
        days = np.r_[(s.screening_date - s.first_dose_date).days,
                     28 * np.arange(1, n + 1) + rng.integers(-2, 3, n)]
        inv = np.round(unf + f0 * frac[:, 2], 2)
        kappa_inv = s.light_chain == "kappa"
        rows.append(pd.DataFrame({
            "subject_id": s.subject_id,
            "date": s.first_dose_date + pd.to_timedelta(days, "D"),
            "serum_m_protein": np.round(s0 * frac[:, 0], 2),
            "urine_m_protein": np.round(u0 * frac[:, 1]).astype(int),
            "flc_kappa": inv if kappa_inv else unf, "flc_lambda": unf if kappa_inv else inv,
            "serum_ife": "positive", "urine_ife": "positive" if u0 > 0 else "negative",
            "bm_plasma_cells": np.r_[round(rng.uniform(12, 60)), [np.nan] * n],
            "plasmacytoma": np.full(n + 1, p.plasmacytoma[i]),
            "new_lesions": (role == "pd_lesion") & (days > 0),
            "new_therapy": (role == "pd_serum") & (np.arange(n + 1) == 3),
        }))
    return pd.concat(rows, ignore_index=True)


def exposure_table(p, subj) -> pd.DataFrame:
    n_cyc = p.n_cycles.to_numpy()
    lengths = [np.full(k, 28) for k in n_cyc]
    for story, cyc, days in (("cycle_too_long", 1, 49), ("start_outside_window", 1, 23)):
        lengths[np.flatnonzero(p.story == story)[0]][cyc] = days  # cycle 2's length
    cyc = pd.DataFrame({
        "i": np.repeat(np.arange(N), n_cyc),
        "cycle": np.concatenate([np.arange(1, k + 1) for k in n_cyc]),
        "offset": np.concatenate([np.r_[0, np.cumsum(x)[:-1]] for x in lengths])})
    sched = pd.DataFrame([(arm, drug, day, dose) for arm, drugs in REGIMENS.items()
                          for drug, days, dose in drugs for day in days],
                         columns=["arm", "drug", "day", "dose"])
    cyc["arm"] = subj.arm.to_numpy()[cyc.i]
    ex = cyc.merge(sched, on="arm").sort_values(["i", "cycle", "drug", "day"], kind="stable")
    ex = ex.reset_index(drop=True)
    ex["date"] = subj.first_dose_date.to_numpy()[ex.i] + pd.to_timedelta(
        ex.offset + ex.day - 1, "D")
    for story, levels in LEN_LEVELS.items():
        m = (p.story.to_numpy()[ex.i] == story) & (ex.drug == "lenalidomide")
        ex.loc[m, "dose"] = np.array(levels)[ex.cycle[m] - 1]
    def at(frame, story, drug="lenalidomide", cycle=None, day=None):
        m = (p.story.to_numpy()[frame.i] == story) & (frame.drug == drug)
        return m & (frame.cycle == cycle) & (frame.day == day) if cycle else m

    extra = ex[at(ex, "extra_dose", cycle=1, day=5)]  # a second capsule on cycle 1 day 5
    rest = ex[at(ex, "rest_day_dose", cycle=2, day=21)].assign(day=24)  # taken on day 24
    rest["date"] += pd.Timedelta(days=3)
    ex = pd.concat([ex, extra, rest], ignore_index=True)
    drop = at(ex, "missed_dose", cycle=2, day=10) | at(ex, "never_dexamethasone", "dexamethasone")
    ex = ex[~drop].sort_values(["i", "date", "drug"], kind="stable")
    return pd.DataFrame({"subject_id": subj.subject_id.to_numpy()[ex.i], "drug": ex.drug,
                         "date": ex.date, "dose": ex.dose, "unit": "mg"})


def ex_intervals(expo: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """SDTM EX rows: one per run of consecutive days at one lenalidomide dose (QD)."""
    d = expo[expo.subject_id.isin(ids) & (expo.drug == "lenalidomide")].copy()
    brk = (d.date.diff() != pd.Timedelta(days=1)) | (d.dose.diff() != 0) | (
        d.subject_id != d.subject_id.shift())
    g = d.groupby(brk.cumsum())
    return pd.DataFrame({"USUBJID": g.subject_id.first(), "EXTRT": "lenalidomide",
                         "EXDOSE": g.dose.first(), "EXDOSU": "mg", "EXDOSFRQ": "QD",
                         "EXSTDTC": g.date.min(), "EXENDTC": g.date.max()}).reset_index(drop=True)


def lb_table(subj, assess, p, rng) -> pd.DataFrame:
    base = assess.groupby("subject_id").first()
    bili_mg = rng.uniform(0.3, 1.1, N)
    umol = rng.random(N) < .4
    wide = pd.DataFrame({
        "NEUT": np.where(p.story == "low_anc", 0.8, np.round(rng.uniform(1.2, 4.5, N), 1)),
        "PLAT": np.where(p.story == "missing_platelets", np.nan, rng.integers(70, 260, N)),
        "AST": np.round(rng.uniform(.3, .95, N), 2), "ALT": np.round(rng.uniform(.3, .95, N), 2),
        "BILI": np.where(umol, np.round(bili_mg * BILI_UMOL_PER_MG_DL), np.round(bili_mg, 1)),
        "SPEP": base.serum_m_protein.to_numpy(), "UPEP": base.urine_m_protein.to_numpy(),
        "KAPPA": base.flc_kappa.to_numpy(), "LAMBDA": base.flc_lambda.to_numpy()},
        index=subj.subject_id)
    units = {"NEUT": "10^9/L", "PLAT": "10^9/L", "AST": "x ULN", "ALT": "x ULN", "SPEP": "g/dL",
             "UPEP": "mg/24h", "KAPPA": "mg/dL", "LAMBDA": "mg/dL"}
    lb = wide.reset_index().melt("subject_id", var_name="LBTESTCD", value_name="LBSTRESN")
    lb["LBTESTCD"] = pd.Categorical(lb.LBTESTCD, list(wide.columns))
    lb = lb.sort_values(["subject_id", "LBTESTCD"]).reset_index(drop=True)
    bili_unit = pd.Series(np.where(umol, "umol/L", "mg/dL"), index=subj.subject_id)
    lb["LBSTRESU"] = lb.LBTESTCD.map(units).astype(object)
    is_bili = lb.LBTESTCD == "BILI"
    lb.loc[is_bili, "LBSTRESU"] = bili_unit[lb.subject_id[is_bili]].to_numpy()
    screening = subj.set_index("subject_id").screening_date
    return pd.DataFrame({"USUBJID": lb.subject_id, "VISIT": "SCREENING",
                         "LBTESTCD": lb.LBTESTCD.astype(str), "LBSTRESN": lb.LBSTRESN,
                         "LBSTRESU": lb.LBSTRESU,
                         "LBDTC": screening[lb.subject_id].to_numpy()})


# --- 4. Self-checks -------------------------------------------------------------------------------
RANK = {"PD": 0, "SD": 1, "MR": 2, "PR": 3}


def reference_bor(a: pd.DataFrame, chain: str, strict_mr: bool, nadir_has_baseline: bool) -> str:
    """Best confirmed IMWG 2016 response of one subject (a check of this script, not the product).

    strict_mr: MR also needs urine -50% when urine is not measurable at baseline.
    nadir_has_baseline: progression is judged from the lowest value including baseline (else the
    lowest post-baseline value).
    """
    if a.new_therapy.any():
        a = a[a.date < a.date[a.new_therapy].min()]
    inv, uninv = ("flc_kappa", "flc_lambda") if chain == "kappa" else ("flc_lambda", "flc_kappa")
    s, u = a.serum_m_protein.to_numpy(), a.urine_m_protein.to_numpy()
    f = (a[inv] - a[uninv]).to_numpy()
    fs, fu = s[0] >= .5, u[0] >= 200
    markers = [(s, fs, .5), (u, fu, 200), (f, not (fs or fu), 10)]
    cats = []
    for i in range(1, len(a)):
        prog = bool(a.new_lesions.iloc[i])
        for x, followed, absolute in markers:
            ref = x[:i].min() if nadir_has_baseline or i == 1 else x[1:i].min()
            prog |= followed and x[i] - ref >= max(.25 * ref, absolute)
        urine_pr = u[i] < 200 or u[i] <= .1 * u[0]
        urine_mr = u[i] <= .5 * u[0] if (fu or strict_mr) else True
        if fs:
            pr, mr = s[i] <= .5 * s[0] and urine_pr, s[i] <= .75 * s[0] and urine_mr
        elif fu:
            pr, mr = urine_pr, u[i] <= .5 * u[0]
        else:
            pr, mr = f[i] <= .5 * f[0], False
        cats.append("PD" if prog else "PR" if pr else "MR" if mr else "SD")
    first_pd = cats.index("PD") if "PD" in cats else len(cats)
    pairs = [min(RANK[cats[k]], RANK[cats[k + 1]]) for k in range(first_pd - 1)]
    if pairs:
        return {v: k for k, v in RANK.items()}[max(pairs)]
    return "PD" if first_pd < len(cats) else "NE"


def check(subj, p, lb, expo, ex, assess, bor) -> None:
    eff = bor.best_response.isin(["PR", "MR"]).to_numpy()
    for col, levels in TABLES_4_7.items():
        for level, (n, pr, mr) in levels.items():
            m = subj[col].astype(str).str.lower().to_numpy() == level
            got = (m.sum(), (m & (bor.best_response == "PR")).sum(),
                   (m & (bor.best_response == "MR")).sum())
            assert got == (n, pr, mr), (col, level, got)
    groups = {"age <= 58": subj.age <= 58, "age > 58": subj.age > 58, "male": subj.sex == "male",
              "female": subj.sex == "female", "light chain": subj.isotype == "light_chain",
              "heavy chain": subj.isotype != "light_chain",
              "renal insufficiency": subj.renal_insufficiency, "diabetes": subj.diabetes}
    for name, m in groups.items():
        assert ((m & eff).sum(), (m & ~eff).sum()) == TABLE_3[name], name
    assert (subj.age.min(), subj.age.max(), subj.age.median()) == (49, 80, 58)
    assert subj.age[eff].median() == 58 and subj.age[~eff].median() == 59.5
    assert subj.prior_cycles.median() == 7 and subj.prior_cycles.agg(["min", "max"]).tolist() == [
        1, 12]
    for i, s in subj.iterrows():
        a = assess[assess.subject_id == s.subject_id]
        assert 4 <= len(a) - 1 <= 7 and a.date.iloc[0] < s.first_dose_date
        for strict in (False, True):
            for nadir in (False, True):
                assert reference_bor(a, s.light_chain, strict, nadir) == bor.best_response[i], i
    # Eligibility, as the seed protocol's criteria read (three-valued: NaN -> unknown).
    w = lb.pivot(index="USUBJID", columns="LBTESTCD", values="LBSTRESN").loc[subj.subject_id]
    bili_unit = lb[lb.LBTESTCD == "BILI"].set_index("USUBJID").LBSTRESU[subj.subject_id]
    bili = np.where(bili_unit == "umol/L", w.BILI / BILI_UMOL_PER_MG_DL, w.BILI)
    inv = np.fmax(w.KAPPA, w.LAMBDA)
    ratio = w.KAPPA / w.LAMBDA
    measurable = (w.SPEP >= .5) | (w.UPEP >= 200) | ((inv >= 10) & ~ratio.between(.26, 1.65))
    fails = pd.DataFrame({
        "I1": ~subj.age.between(18, 75).to_numpy(),
        "I2": ~(subj.ds_stage.str.startswith(("II", "III")) & (subj.prior_cycles >= 2)).to_numpy(),
        "I3": ~measurable.to_numpy(), "I4": ((w.NEUT < 1.0) | (w.PLAT < 50)).to_numpy(),
        "I5": ((w.AST > 3) | (w.ALT > 3) | (bili > 2.0)).to_numpy(),
        "I6": (subj.est_survival < 3).to_numpy(), "I7": (subj.ecog > 2).to_numpy(),
        "E1": (subj.pn_grade >= 2).to_numpy()}, index=subj.subject_id)
    got = fails.apply(lambda r: ",".join(r.index[r]), axis=1)
    want = p.story.map({"age_over_75": "I1", "one_prior_cycle": "I2", "low_anc": "I4"}).fillna("")
    assert (got.to_numpy() == want.to_numpy()).all(), got
    missing = w.PLAT[(p.story == "missing_platelets").to_numpy()]
    assert w.isna().sum().sum() == 1 and missing.isna().all()
    # EX intervals expand to exactly the lenalidomide rows of the same subjects.
    days = ex.apply(lambda r: pd.date_range(r.EXSTDTC, r.EXENDTC), axis=1)
    expanded = ex.assign(date=days).explode("date")[["USUBJID", "date", "EXDOSE"]]
    orig = expo[expo.subject_id.isin(ex.USUBJID) & (expo.drug == "lenalidomide")]
    assert len(expanded) == len(orig)
    assert (expanded.to_numpy() == orig[["subject_id", "date", "dose"]].to_numpy()).all()
    dates = pd.concat([subj.consent_date, expo.date, assess.date])
    assert dates.min() >= FIRST and dates.max() <= LAST


def main(out_dir: Path = OUT) -> None:
    rng = np.random.default_rng(SEED)
    p, attempts = solve(rng)
    p["plasmacytoma"] = False  # one SD subject has a soft-tissue plasmacytoma throughout
    plasma = np.flatnonzero((p.role == "sd_serum") & (p.story != "age_over_75"))[0]
    p.loc[plasma, "plasmacytoma"] = True
    p["n_cycles"] = np.select(
        [p.role.str.startswith("pd"), p.role == "pr_then_pd", p.story == "seven_cycles",
         p.story == "five_cycles"], [2, 6, 7, 5], 4)
    p["n_visits"] = np.where(p.role.str.startswith("pd"), 4, p.n_cycles)  # PD: 2 follow-ups
    subj = subjects_table(p, rng)
    # Prior stem cell transplant: the paper's 2 patients, both relapsed (section 2.1). Drawn
    # from a second generator, so that adding the column moved no other value.
    transplant = np.zeros(N, bool)
    transplant[np.random.default_rng(SEED + 1).choice(np.flatnonzero(~p.refractory), 2,
                                                      replace=False)] = True
    subj.insert(subj.columns.get_loc("ixazomib_exposed") + 1, "prior_transplant", transplant)
    subj.insert(1, "arm", np.where(p.story.isin(LD_STORIES), "Ld", "Rd"))
    assess = assessments_table(p, subj, rng)
    lb = lb_table(subj, assess, p, rng)
    expo = exposure_table(p, subj)
    ex = ex_intervals(expo, subj.subject_id[p.story.isin(EX_STORIES)].tolist())
    bor = pd.DataFrame({"subject_id": subj.subject_id,
                        "best_response": p.role.str[:2].str.upper()})
    check(subj, p, lb, expo, ex, assess, bor)

    status = p.story.map({"age_over_75": "ineligible", "one_prior_cycle": "ineligible",
                          "low_anc": "ineligible", "missing_platelets": "indeterminate"})
    reason = p.story.map({"age_over_75": "I1 age 80", "one_prior_cycle": "I2 1 prior cycle",
                          "low_anc": "I4 ANC 0.8", "missing_platelets": "I4 platelets missing"})
    elig = pd.DataFrame({"subject_id": subj.subject_id, "status": status.fillna("eligible"),
                         "criteria": reason.fillna("")})
    out_dir.mkdir(parents=True, exist_ok=True)
    out = {"subjects": subj.drop(columns="screening_date"), "lb": lb, "exposure": expo, "ex": ex,
           "assessments": assess, "expected_best_response": bor, "expected_eligibility": elig,
           "table2_trials": TRIALS}
    for name, df in out.items():
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == bool:
                df[c] = df[c].map({True: "true", False: "false"})
            elif pd.api.types.is_datetime64_any_dtype(df[c]):
                df[c] = df[c].dt.strftime("%Y-%m-%d")
        df.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n", float_format="%.10g")
    summary = pd.DataFrame({"subject": subj.subject_id, "role": p.role, "story": p.story,
                            "cycles": p.n_cycles, "best": bor.best_response,
                            "eligibility": elig.status})
    print(f"profile found after {attempts} draw(s); wrote {len(out)} files to {out_dir}")
    print(summary.to_string(index=False))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the CSVs (default: data/)")
    main(ap.parse_args().out)
