"""The page of a diagnostic code, as ``trialspec explain CODE`` and docs/diagnostics.md show it."""

from __future__ import annotations

from trialspec.codes import Code


def code_page(c: Code) -> str:
    example = "\n".join("    " + line for line in c.example.splitlines()) or "    (none)"
    return (f"{c.code} {c.name}\n\n{c.summary}\n\nWhy it matters: {c.why}\n\n"
            f"Example:\n{example}\n\nFix: {c.fix}\n")


def code_markdown(c: Code) -> str:
    return (f"### {c.code} `{c.name}`\n\n{c.summary}\n\n**Why:** {c.why}\n\n"
            f"**Example:**\n\n```yaml\n{c.example}\n```\n\n**Fix:** {c.fix}\n")


RANGES = (
    ("TS1", "Expression syntax"), ("TS2", "Protocol document and schema"),
    ("TS3", "Names, types and units"), ("TS4", "Data conformance"),
    ("TS5", "Eligibility and dosing"), ("TS6", "Response"),
    ("TS7", "Analyses and reported claims"), ("TS8", "Reproducibility"),
    ("TS9", "Command line: refusals and internal errors"),
)


def diagnostics_markdown() -> str:
    """docs/diagnostics.md, generated from the code table (a test keeps the file current)."""
    from trialspec.codes import CODES

    out = ["# Diagnostic codes\n",
           "Every finding trialspec reports has a stable code and a name. "
           "`trialspec explain CODE` prints the same page in the terminal.\n",
           "This file is generated: `python -m trialspec.report.codes > docs/diagnostics.md`.\n"]
    for prefix, title in RANGES:
        rows = [c for c in CODES.values() if c.code.startswith(prefix)]
        if not rows:
            continue
        out.append(f"## {prefix}xx: {title}\n")
        out.extend(code_markdown(c) for c in rows)
    return "\n".join(out)


if __name__ == "__main__":
    print(diagnostics_markdown(), end="")
