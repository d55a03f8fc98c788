"""The Python API, for notebooks: run a protocol on a folder or on DataFrames, get DataFrames.

    import trialspec
    study = trialspec.run("protocols/seed-rd-rrmm.yaml", data="examples/seed/data")
    study.eligibility      # subjects x criteria: pass / fail / unknown, and status
    study.attrition        # protocol order, remaining after each criterion, gain
    study.findings         # every diagnostic: code, severity, message, location, hint

    study = trialspec.run("protocol.yaml", tables={"subjects": df, "labs": lb})

A protocol with errors raises :class:`ProtocolError`, carrying the diagnostics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trialspec.diagnostics import DiagnosticError, Severity
from trialspec.results import CheckResult, Section


class ProtocolError(DiagnosticError):
    """The protocol (or the data) could not be checked; ``.diagnostics`` says why."""


@dataclass
class Study:
    """The result of running a protocol on data, as DataFrames."""

    result: CheckResult

    @property
    def eligibility(self) -> Any:
        """One row per subject: each criterion's outcome and the subject's status."""
        import pandas as pd

        subjects = self._section("eligibility").summary["subjects"]
        frame = pd.DataFrame({"subject": subjects["id"], **subjects["outcomes"],
                              "status": subjects["status"]})
        return frame.set_index("subject")

    @property
    def attrition(self) -> Any:
        """Criteria in protocol order with pass/fail/unknown counts, remaining and gain."""
        import pandas as pd

        return pd.DataFrame(self._section("eligibility").summary["criteria"]).set_index("id")

    @property
    def findings(self) -> Any:
        """Every diagnostic as a row: code, name, severity, message, location, hint."""
        import pandas as pd

        rows = [{"code": d.code, "name": d.name, "severity": d.severity.value, "message": d.message,
                 "location": str(d.span) if d.span else None, "hint": d.hint}
                for d in self.result.all_findings]
        return pd.DataFrame(rows, columns=["code", "name", "severity", "message", "location", "hint"])

    @property
    def sections(self) -> dict[str, Section]:
        return {s.name: s for s in self.result.sections}

    def explain(self, subject: str) -> list[Any]:
        """Every section's tables for one subject, as DataFrames titled by ``.attrs['title']``."""
        import pandas as pd

        out = []
        for section in self.result.sections:
            for t in section.explain(subject) if section.explain else []:
                df = pd.DataFrame(list(t.rows), columns=list(t.columns))
                df.attrs["title"] = t.title
                out.append(df)
        return out

    def _section(self, name: str) -> Section:
        section = self.result.section(name)
        if section is None:
            raise ProtocolError([d for d in self.result.all_findings if d.severity is Severity.ERROR])
        return section


def run(protocol: str | Path, data: str | Path | None = None,
        tables: Mapping[str, Any] | None = None) -> Study:
    """Run a protocol on a data folder (``data``) or on DataFrames by dataset name (``tables``)."""
    from trialspec.pipeline import check

    if (data is None) == (tables is None):
        raise TypeError("give exactly one of data= (a folder) or tables= (DataFrames by dataset name)")
    result = check(protocol, data, tables=tables)
    if result.section("eligibility") is None:
        raise ProtocolError([d for d in result.all_findings if d.severity is Severity.ERROR])
    return Study(result)
