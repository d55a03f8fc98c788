"""TS8xx: reproducibility: a lock file's results against the same computation run again.

``trialspec verify`` (trialspec.repro.verify) yields these, located at the line of the lock file
holding the value that moved. See docs/reproducibility.md.
"""

from trialspec.codes import Code

CODES: tuple[Code, ...] = (
    Code("TS801", "result-changed",
         "A locked result is not reproduced: recomputed now it differs from the value in the lock file "
         "(beyond the stated tolerance, for numbers), or it appeared or disappeared.",
         "The lock says which numbers the study's protocol and data give. A number that moves without "
         "the lock being updated is a result nobody reviewed.",
         '"eligible": 17   # the lock; the data now give 16',
         "Read the finding's causes (protocol edited, a dataset changed, engine version changed). If the "
         "change is intended, re-lock with `trialspec lock PROTOCOL --data DIR` and commit the lock with it, "
         "so reviewers see which results moved."),
    Code("TS802", "protocol-changed",
         "The protocol file is not the one the lock was made from: its sha256 differs.",
         "The locked results no longer describe the protocol under review, even when they still reproduce.",
         '"protocol": {"sha256": "999ee0e2..."}   # the file now hashes to 4b1c07aa...',
         "Review the protocol change (`trialspec diff OLD NEW --data DIR` says it in words), then re-lock "
         "with `trialspec lock` and commit the lock with the change."),
    Code("TS803", "data-changed",
         "A dataset is not the one the lock was made from: its sha256 differs, or the protocol now reads "
         "a dataset the lock does not list (or no longer reads one it does).",
         "Results computed from other data are other results; a silently replaced data file is the "
         "reproducibility failure a lock exists to catch.",
         '"subjects": {"sha256": "bcbc8b58..."}   # subjects.csv now hashes to 0f3e...',
         "Find out who changed the data and why; if the new data are right, re-lock with `trialspec lock`."),
    Code("TS804", "engine-changed",
         "The lock was made by another trialspec version than the one verifying it.",
         "A new version may compute some results differently; when the results still reproduce this is "
         "only a note, and when they do not it is one of the possible causes.",
         '"trialspec_version": "0.1.0"   # verified with 0.2.0',
         "If every result reproduces, re-lock to record the new version; otherwise read the release "
         "notes for changed computations."),
    Code("TS805", "criteria-library-changed",
         "A criteria library the protocol imports (e.g. `response: {criteria: imwg-2016}`) differs from the "
         "one the lock was made with.",
         "The library decides responses; a changed library can move every response-based result.",
         '"criteria": {"imwg-2016": "5d1f..."}   # the installed library hashes to 77ab...',
         "Check the library's changes; if intended, re-lock with `trialspec lock`."),
    Code("TS806", "lock-unreadable",
         "The lock file is not a trialspec lock: invalid JSON, a missing field, or a lock format newer "
         "than this trialspec reads.",
         "Nothing can be verified against a lock that cannot be read.",
         "a merge conflict marker (<<<<<<<) left in the lock file",
         "Regenerate it with `trialspec lock PROTOCOL --data DIR` (resolve conflicts by re-locking, "
         "never by hand)."),
    Code("TS807", "not-recomputed",
         "The results could not be recomputed: the protocol (or its data) has errors that stop the check.",
         "Verification compares results; with none recomputed, every locked result is unverified.",
         "a typo in an expression: the protocol no longer compiles",
         "Run `trialspec check PROTOCOL --data DIR` to see the errors and fix them."),
    # TS880-TS889: accepted findings and baselines (`accepted:`, --baseline)
    Code("TS880", "acceptance-expired",
         "An entry of the protocol's `accepted:` block (or of a baseline file) is past its `expires` date, "
         "so the findings it accepted count again.",
         "An acceptance is a decision with a reason and a time limit; once the limit passes the decision "
         "must be taken again, not kept silently.",
         "accepted: [{code: TS701, target: T2.orr, reason: erratum, expires: 2024-01-31}]",
         "Fix the finding, or renew the acceptance with a new `expires` date and an up-to-date reason."),
    Code("TS881", "acceptance-unused",
         "An entry of the protocol's `accepted:` block (or of a baseline file) matches no finding.",
         "An acceptance that accepts nothing is stale: the problem was fixed, or the target is misspelt "
         "and the finding it meant is still failing.",
         "accepted: [{code: TS701, target: T2.ORR, reason: erratum}]   # the claim is T2.orr",
         "Remove the entry, or correct its `code` and `target` (a claim, subject, dataset, column or analysis)."),
    Code("TS882", "baseline-unreadable",
         "The baseline file given with `--baseline` could not be read as a trialspec baseline.",
         "Without the baseline, every finding it accepted would fail again; trialspec says why instead.",
         "a baseline edited by hand into invalid JSON",
         "Write it again with `trialspec check PROTOCOL --data DIR --write-baseline FILE`."),
    Code("TS883", "acceptance-unknown-code",
         "An entry of the protocol's `accepted:` block names a diagnostic code trialspec does not have.",
         "An acceptance for a code that cannot occur accepts nothing; usually the code is misspelt.",
         "accepted: [{code: TS799, reason: erratum}]   # no such code (TS709 was meant)",
         "Use a code from `docs/diagnostics.md` (as printed in the finding you mean to accept)."),
    # TS850-TS899: fmt and diff
    Code("TS851", "fmt-kept-as-written",
         "`trialspec fmt` could not rewrite this expression canonically without changing how the YAML "
         "around it reads, so it left the expression exactly as written (a warning; the file is still formatted).",
         "fmt only rewrites an expression when the file, read again, gives the same YAML tree and the same "
         "expression; anything else would let formatting change the protocol's meaning.",
         "when: &rule age>=18   # an anchored scalar is shared with its aliases",
         "Quote the expression or move it into a `>-` block, then run `trialspec fmt` again."),
    Code("TS860", "impact-not-computed",
         "`trialspec diff --data` could not run one of the two protocol versions on the data (the protocol or "
         "the data have errors), so the amendment's impact is missing or partial.",
         "The impact (who changes eligibility status, which results move) is what reviewers weigh an "
         "amendment by; a diff without it must say so.",
         "the new protocol reads a column the data do not have",
         "Run `trialspec check PROTOCOL --data DIR` on the version named in the message and fix its errors."),
)
