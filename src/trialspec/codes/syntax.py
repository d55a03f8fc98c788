"""TS1xx: the expression language's syntax."""

from trialspec.codes import Code

CODES = (
    Code("TS101", "unexpected-token",
         "The expression has a token where the grammar expects something else.",
         "An expression that does not parse cannot be checked or run.",
         "when: age >= and 18", "Write a complete comparison, e.g. `age >= 18`."),
    Code("TS102", "unclosed-parenthesis",
         "A parenthesis or bracket is opened and never closed.",
         "The rest of the expression cannot be grouped.",
         "when: (age >= 18 and anc >= 1.0", "Add the missing `)`."),
    Code("TS103", "unexpected-end",
         "The expression ends while an operand is still expected.",
         "A dangling operator leaves the rule incomplete.",
         "when: age >=", "Finish the expression, e.g. `age >= 18`."),
    Code("TS104", "unexpected-character",
         "A character that is not part of the language.",
         "Only names, numbers, units, quoted strings and operators are allowed.",
         "when: age >= 18 & anc >= 1", "Use `and`, `or`, `not` instead of `&`, `|`, `!`."),
    Code("TS105", "nesting-too-deep",
         "The expression nests parentheses or operators deeper than the limit (200).",
         "Deep nesting is never needed in a protocol and would exhaust the parser.",
         "when: ((((((((...))))))))", "Flatten the expression or split it into definitions."),
    Code("TS106", "invalid-literal",
         "A date, number or duration literal is malformed.",
         "A malformed literal cannot be given a value.",
         "when: first_dose >= 2014-13-01", "Write dates as YYYY, YYYY-MM or YYYY-MM-DD."),
    Code("TS107", "expression-too-long",
         "The expression text exceeds the length limit (20,000 characters).",
         "Such a rule cannot be reviewed by a person and is refused before parsing.",
         "when: <a 30,000 character string>", "Split the rule into named definitions."),
)
