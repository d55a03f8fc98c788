"""TS7xx: analyses and reported claims.

TS70x are the analyses themselves (trialspec.domain.analyses); TS71x are reported claims against the data
(trialspec.claims.explain), TS72x claims against each other (trialspec.claims.consistency).
"""

from trialspec.codes import Code

CODES = (
    Code("TS701", "analysis-invalid",
         "A planned analysis cannot be set up: an unknown endpoint, method, test or grouping, "
         "or options the method does not read.",
         "An analysis that cannot be built computes nothing, and every number reported for it "
         "goes unchecked.",
         "analyses: {T4: {endpoint: orr, by: disease_stage}}  # no such column",
         "Name a declared endpoint, a category or boolean column (or definition) in `by`, and "
         "one of the methods and tests docs/analyses.md lists."),
    Code("TS702", "analysis-empty-group",
         "A group of an analysis has no subjects, or the analysis has none at all.",
         "An empty group has no proportion, median or hazard; tests that compare it cannot run.",
         "groups: {over_90: age > 90}  # nobody is over 90",
         "Check the grouping and the population; merge or drop the empty group."),
    Code("TS703", "analysis-no-events",
         "A time-to-event analysis has no events (in a group, or at all): no median, log-rank "
         "test or hazard ratio can be estimated.",
         "Kaplan-Meier medians, the log-rank test and the Cox model all need events.",
         "endpoints: {os: {kind: time_to_event, event: death_date, ...}}  # nobody died",
         "Check the event and censoring dates, or wait for more follow-up."),
    Code("TS704", "analysis-missing-values",
         "Some subjects are left out of an analysis because their endpoint or group is unknown.",
         "A complete-case analysis of fewer subjects than the population can change the result; "
         "the report should say how many were left out and why.",
         "best_response missing for P18: P18 is left out of T4",
         "Complete the data, or say in the protocol how unknown values are counted."),
    Code("TS705", "analysis-not-computable",
         "A planned statistic cannot be computed from the data as they are (a table with an "
         "empty row or column, a Cox model that does not converge, a pool without studies).",
         "The statistic does not exist for these data; any number reported for it is "
         "unsupported.",
         "every subject responded: the chi-square test of a table with an empty column",
         "Use a test defined for these data (Fisher's exact test), or report that it cannot "
         "be computed."),
    Code("TS706", "analysis-data-unavailable",
         "An analysis needs a dataset that was not bound (a derived dataset such as `response` "
         "that no earlier section produced, or a file that was not read).",
         "Without its data an analysis cannot run; its reported numbers stay unchecked.",
         "endpoint orr reads response.best_response, but no response section ran",
         "Add the section that derives the dataset (e.g. `response:`), or give its file."),
    Code("TS707", "claim-not-checked",
         "A reported value is tied to no analysis and to no check: its path names no analysis, "
         "group or quantity trialspec knows.",
         "A claim nobody checks looks verified in the report while it is not; usually a "
         "misspelled group or an analysis that was not declared.",
         "reported: {T4: {orr: {relapse: \"12 (75%)\"}}}  # the group is `relapsed`",
         "Name the analysis (its id, or `reported_as:`), the group and the quantity as "
         "docs/analyses.md lists them."),
    Code("TS708", "analysis-groups-overlap",
         "Subjects fall in more than one group of an analysis's `groups:`.",
         "Groups compared by a test must not share subjects; overlapping conditions count "
         "them twice.",
         "groups: {young: age <= 60, old: age >= 60}  # 60-year-olds are in both",
         "Make the group conditions exclusive."),
    Code("TS709", "analysis-time-before-start",
         "A time-to-event endpoint gives a negative time: the event or censoring date is "
         "before the time origin.",
         "A negative follow-up time is a data error; the subject is left out of the analysis.",
         "progression_date 2015-01-10 before first_dose_date 2015-02-01",
         "Correct the dates, or the endpoint's `start:`."),
    Code("TS710", "claim-syntax",
         "A reported value is none of the printed forms trialspec reads.",
         "A claim keeps the exact string a report printed, so its precision is known; a value "
         "that cannot be read cannot be checked.",
         'reported: {T4: {p: "p about .05"}}',
         'Write the value as printed: "0.047", "<0.001", "75%", "12 (75%)", "57.9(48-69)", '
         '"3.27 [2.34;4.56]" or "3.27 (95% CI: 2.34-4.56)", quoted.'),
    Code("TS711", "claim-not-reproduced",
         "A reported number is not what the planned computation gives, and no common "
         "alternative gives it either.",
         "A number nobody can reproduce from the data is unsupported: a typo, another data "
         "cut, or an unreported method.",
         'reported: {T4: {p: "0.012"}}  # Fisher gives 0.047, chi-square 0.027',
         "Check the number in the report and the data it was computed on."),
    Code("TS712", "claim-other-computation",
         "A reported number is not what the planned computation gives, but another common "
         "computation gives it.",
         "The report used a method other than the one planned (Fisher vs chi-square, with or "
         "without Yates, one- vs two-sided, fixed vs random effects, Mantel-Haenszel vs "
         "inverse variance, another denominator); readers are told one thing and given another.",
         'analyses: {T4: {tests: [chi2]}}; reported: {T4: {p: "0.047"}}  # Fisher\'s p',
         "Report the planned computation, or amend the plan and say why."),
    Code("TS713", "claim-misplaced-decimal",
         "A reported number is a computed value with its decimal point moved one place.",
         "A factor of ten changes a conclusion while looking plausible; it is a transcription "
         "error.",
         'reported: {T3: {statistic: "0.290"}}  # chi-square gives 0.029',
         "Correct the decimal point in the report."),
    Code("TS714", "statistic-p-different-tests",
         "A reported test statistic and its p-value come from two different tests.",
         "Printing a chi-square statistic beside a Fisher exact p-value makes each look "
         "supported by the other; neither matches the other's test.",
         'reported: {T4: {statistic: "4.887", p: "0.047"}}  # chi-square, Fisher',
         "Report the statistic and p-value of one test, and name it."),
    Code("TS720", "count-percent-impossible",
         "A percentage that no count of the stated group size can give (GRIM).",
         "k/n can take only n + 1 values; a percentage between them is misprinted, or the "
         "count or the group size is wrong.",
         'reported: {T5: {pr: {unexposed: "3 (50.05%)"}}}  # of 6: 3/6 = 50.00%',
         "Recompute the percentage from the count and the group size."),
    Code("TS721", "percent-of-other-denominator",
         "A percentage is impossible for its own group but is a count of another group's "
         "size (or the total).",
         "Percentages computed on the wrong group, or swapped between groups, misstate the "
         "comparison.",
         'ORR exposed (n = 11) "80%", unexposed (n = 10) "45.5%"  # 5/11 and 8/10, swapped',
         "Put each percentage with the group it was computed on."),
    Code("TS722", "group-sizes-total",
         "Group sizes do not add up to the stated number of patients.",
         "Groups that should partition the patients but do not mean patients were lost, "
         "double-counted or described from another data set.",
         'gender: {male: "7", female: "6"}, patients: "21"  # 13, not 21',
         "Account for every patient in exactly one group."),
    Code("TS723", "rows-do-not-sum",
         "Rows that must add up to another row (e.g. PR + MR = ORR) do not.",
         "A total that is not the sum of its parts means one of them is wrong.",
         'pr: "10 (62.5%)", mr: "2 (12.5%)", orr: "13 (81%)"  # 10 + 2 = 12',
         "Recount the parts and the total."),
    Code("TS724", "statistic-p-mismatch",
         "A reported p-value is not the p-value of the reported statistic.",
         "The p of a chi-square (or z, t, F) statistic is determined by it and its degrees "
         "of freedom; a p outside that range was computed some other way or misprinted.",
         'statistic: "4.887", p: "0.047"  # chi-square(1) 4.887 gives p = 0.027',
         "Report the statistic and p-value of the same test; `check --data` names the test "
         "the p-value comes from."),
    Code("TS725", "estimate-ci-asymmetric",
         "An estimate is outside its CI, or not at its centre on the CI's scale.",
         "A Wald CI is symmetric around a ratio on the log scale, around a difference on the "
         "linear scale; an estimate off-centre beyond rounding is a misprint (or an exact CI "
         "that should be named).",
         'or: "3.27 [2.34;5.56]"  # the CI centres on 3.61',
         "Check the estimate and both bounds; name the CI method if it is not Wald."),
    Code("TS726", "pooled-not-reproducible",
         "A pooled estimate, CI or weights cannot come from the studies it pools by generic "
         "inverse variance, fixed or random effects, over their rounding.",
         "The pooled row should follow from the study rows; if it cannot, a different "
         "method (Mantel-Haenszel, Peto) or different study data were used.",
         'studies: ["2.82 [1.84;4.33]", "4.02 [2.36;6.85]"], pooled: "3.27 [2.34;4.56]"',
         "Say which pooling method and which study data produced the pooled row."),
    Code("TS727", "pooled-model-against-rule",
         "A pooled estimate is reproduced only by the model that the protocol's "
         "model-choice rule does not pick.",
         "The rule (e.g. fixed effect if Q's p > 0.1 and I^2 < 50%) was stated in advance; "
         "reporting the other model is a deviation from the plan.",
         "rule picks fixed (I^2 0%), pooled row matches random effects only",
         "Report the model the rule picks, or state the deviation."),
    Code("TS728", "pooling-method-decides",
         "A pooled estimate (or its weights) is reproduced by one fixed-effect pooling of the "
         "studies' 2x2 counts (Mantel-Haenszel, Peto) and not by the other (inverse "
         "variance), and the protocol sets no `pooling:` (as the report names no method).",
         "Mantel-Haenszel and inverse variance weight studies differently; when only one "
         "gives the printed numbers, the method is part of the result and must be stated. "
         "It is a warning: the numbers are reproduced.",
         'counts: {CASTOR: [199, 41, 148, 86], POLLUX: [261, 20, 211, 65]}  # no `pooling:`',
         "Name the pooling method (`pooling: mh`, `iv` or `peto`), as the report should."),
    Code("TS729", "ci-on-wrong-scale",
         "A study's printed CI is its source's CI rebuilt from a standard error taken on the "
         "ratio scale, (upper - lower) / 3.92, as if it were the log ratio's.",
         "An odds or hazard ratio's CI is symmetric on the log scale; reading its width on the "
         "ratio scale shrinks the CI (0.31 [0.24;0.39] becomes [0.29;0.33], as if the trial had "
         "ten times its events), and a pool of such rows is falsely precise and heterogeneous.",
         'studies: {CASTOR: "0.31 [0.29;0.33]"}  # published: 0.31 (0.24-0.39)',
         "Take SE = (ln upper - ln lower) / 3.92 and rebuild the CI, or print the source's CI."),
    Code("TS730", "p-one-sided",
         "A printed p-value is given, on the report's own counts, only by a one-sided test "
         "(Fisher's exact test in one direction, or half an asymptotic p). A warning: "
         "trialspec cannot read whether the report says the test is one-sided.",
         "A one-sided p is about half the two-sided one; printed as if two-sided, it overstates "
         "the evidence.",
         'orr: {IgA: "75% (9/12)", IgG: "100% (5/5)"}, p: "0.3235"  # two-sided Fisher: 0.5147',
         "Report the two-sided p, or name the test as one-sided and say why."),
    Code("TS731", "p-not-from-printed-counts",
         "No common test of the 2x2 table the report itself prints (each group's responders of "
         "its size) gives the printed p-value.",
         "Chi-square with or without Yates' correction, the G-test and Fisher's exact test "
         "(two- and one-sided) are tried at the printed p's rounding; when none gives it, the "
         "p-value or the counts are not the ones computed.",
         'n: {a: "18", b: "4"}, orr: {a: "83.33%", b: "75%"}, p: "0.4462"  # Fisher 1, chi2 0.70',
         "Recompute the p-value from the printed table, or correct the counts."),
    Code("TS732", "population-unknown",
         "An analysis (or a population's `within`) names a population that is neither built in "
         "(`screened`, `eligible`) nor defined under `populations:`.",
         "An analysis in an unknown population would otherwise run on every subject while the "
         "report says otherwise.",
         "analyses: {T2: {endpoint: orr, population: eligble}}",
         "Name `screened`, `eligible` or a population defined under `populations:`."),
    Code("TS733", "population-undefined",
         "A population cannot be built: it is defined within itself (through others), or has "
         "neither a condition (`when`) nor a parent population (`within`).",
         "Every population must come down to conditions on subjects within `screened` or "
         "`eligible`.",
         "populations: {itt: {within: pp}, pp: {within: itt}}",
         "Give each population a condition, within `screened`, `eligible` or another population."),
    Code("TS734", "claim-planned-tests-disagree",
         "A printed statistic or p-value is checked against several planned tests and only some "
         "of them give it. A warning: the claim counts as reproduced, and the message says which "
         "tests do and which do not.",
         "`p < 0.01` planned with Fisher, chi-square and Yates is given by Fisher (0.009) but not "
         "by Yates (0.014): the report should say which test it used.",
         'tests: [fisher, chi2, chi2_yates] ... p: "<0.01"',
         'Tie the claim to its test (`p: {fisher: "<0.01"}`) or plan only the test reported.'),
)
"""Diagnostic codes of this range; see codes/__init__.py for the ranges."""
