"""The Python API, for notebooks: run a protocol on a folder or on DataFrames, get DataFrames.

    import trialspec
    study = trialspec.run("protocols/seed-rd-rrmm.yaml", data="examples/seed/data")
    study.eligibility      # subjects x criteria: pass / fail / unknown, and status
    study.attrition        # protocol order, remaining after each criterion, gain
    study.findings         # every finding: code, severity, section, subject, dataset, column, row,
                           # value, claim, file, line, col, message, hint, accepted
    study.analyses         # one row per analysis x statistic (x group), numeric value and CI
    study.claims           # one row per reported claim: printed, computed, verdict
    study.dosing           # one row per subject and drug: planned, delivered, relative intensity
    study.responses        # one row per subject: best response, dates, duration
    study.explain(1)       # one subject, every section's tables, by title

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
        from trialspec.api_frames import eligibility

        return eligibility(self._section("eligibility"))

    @property
    def attrition(self) -> Any:
        """Criteria in protocol order with pass/fail/unknown counts, remaining and gain."""
        import pandas as pd

        return pd.DataFrame(self._section("eligibility").summary["criteria"]).set_index("id")

    @property
    def findings(self) -> Any:
        """One row per finding, with the structured fields its checker knew (see docs/api.md)."""
        from trialspec.api_frames import findings

        return findings(self.result)

    @property
    def analyses(self) -> Any:
        """One row per analysis x statistic (x group): ``value`` and ``ci_lower``/``ci_upper``."""
        from trialspec.api_frames import analyses

        return analyses(self.result)

    @property
    def claims(self) -> Any:
        """One row per reported claim: what was printed, what was computed, the verdict."""
        from trialspec.api_frames import claims

        return claims(self.result)

    @property
    def dosing(self) -> Any:
        """One row per subject and drug: arm, cycles, planned and delivered dose, intensity."""
        from trialspec.api_frames import dosing

        return dosing(self.result)

    @property
    def responses(self) -> Any:
        """One row per subject: best response, confirmation, dates, duration of response."""
        from trialspec.api_frames import responses

        return responses(self.result)

    @property
    def failed(self) -> bool:
        """Whether the check failed: the definition every report and the exit status share."""
        from trialspec.triage import failed

        return failed(self.result)

    @property
    def summary(self) -> list[str]:
        """The console's summary lines: verdict, claims, top causes, one line per section."""
        from trialspec.report.summary import summary_lines

        return summary_lines(self.result)

    @property
    def sections(self) -> dict[str, Section]:
        return {s.name: s for s in self.result.sections}

    def explain(self, subject: Any) -> Explanation:
        """Every section's tables for one subject (its key as in the data: ``explain(1)`` or
        ``explain("P01")``), as DataFrames by title."""
        import pandas as pd

        key = str(subject)
        tables: dict[str, Any] = {}
        for section in self.result.sections:
            for t in section.explain(key) if section.explain else []:
                df = pd.DataFrame(list(t.rows), columns=list(t.columns))
                df.attrs["title"] = t.title
                tables[t.title if t.title not in tables else f"{section.name}: {t.title}"] = df
        return Explanation(subject, tables)

    def __repr__(self) -> str:
        from trialspec.report.summary import verdict_line

        m = self.result.manifest
        bits = [verdict_line(self.result)]
        elig = self.result.section("eligibility")
        if elig is not None:
            bits.append(f"{elig.summary['screened']} subjects")
        claims = self.result.section("claims")
        if claims is not None:
            bits.append(f"{claims.summary['claims']} claims")
        return f"<Study {m.protocol_path!r}: {'; '.join(bits)}>"

    def _repr_html_(self) -> str:
        from html import escape

        from trialspec.report.summary import groups

        lines = self.summary
        colour = "#b00020" if self.failed else "#1b7f3b"
        out = [f"<div><b>trialspec</b> <code>{escape(self.result.manifest.protocol_path)}</code>",
               f"<p style='color:{colour}'><b>{escape(lines[0])}</b></p><ul>"]
        out += [f"<li>{escape(line.strip())}</li>" for line in lines[1:]]
        out.append("</ul><table><thead><tr><th>code</th><th>name</th><th>level</th><th>findings</th>"
                   "<th>accepted</th><th>cause</th></tr></thead><tbody>")
        out += [f"<tr><td>{g.code}</td><td>{escape(g.name)}</td><td>{g.level}</td><td>{g.count}</td>"
                f"<td>{g.accepted}</td><td>{escape(g.cause)}</td></tr>" for g in groups(self.result)]
        out.append("</tbody></table><p>Frames: <code>findings</code>, <code>eligibility</code>, "
                   "<code>attrition</code>, <code>analyses</code>, <code>claims</code>, <code>dosing</code>, "
                   "<code>responses</code>; one subject: <code>explain(key)</code>.</p></div>")
        return "\n".join(out)

    def _section(self, name: str) -> Section:
        section = self.result.section(name)
        if section is None:
            raise ProtocolError([d for d in self.result.all_findings if d.severity is Severity.ERROR])
        return section


@dataclass
class Explanation:
    """One subject's explanation: every section's tables, as DataFrames by title."""

    subject: Any
    tables: dict[str, Any]

    def __getitem__(self, title: str) -> Any:
        return self.tables[title]

    def __iter__(self) -> Any:
        return iter(self.tables.values())

    def __len__(self) -> int:
        return len(self.tables)

    def __repr__(self) -> str:
        titles = [t if len(t) <= 32 else t[:31] + "…" for t in list(self.tables)[:3]]
        more = f", ... ({len(self.tables)} tables)" if len(self.tables) > 3 else ""
        return f"<Explanation of subject {self.subject!r}: {'; '.join(titles) or 'no tables'}{more}>"

    def _repr_html_(self) -> str:
        from html import escape

        parts = [f"<h4>Subject {escape(str(self.subject))}</h4>"]
        for title, df in self.tables.items():
            parts += [f"<h5>{escape(title)}</h5>", df.to_html(index=False)]
        return "\n".join(parts)


def run(protocol: str | Path, data: str | Path | None = None,
        tables: Mapping[str, Any] | None = None, engine: str = "pandas") -> Study:
    """Run a protocol on a data folder (``data``) or on DataFrames by dataset name (``tables``).

    ``engine``: ``pandas`` (default), ``duckdb``, ``spark``, or ``auto`` (duckdb when the data
    are large; docs/engine.md, "The SQL engines"). Every engine gives the same results; an
    unknown or uninstalled one raises ``trialspec.engine.choice.EngineUnavailable`` (a
    ValueError) before any work is done."""
    from trialspec.engine import choose_engine
    from trialspec.pipeline import check

    if (data is None) == (tables is None):
        raise TypeError("give exactly one of data= (a folder) or tables= (DataFrames by dataset name)")
    if tables is not None:
        import pandas as pd

        wrong = {name: type(df).__name__ for name, df in tables.items() if not isinstance(df, pd.DataFrame)}
        if wrong:
            given = ", ".join(f"{name!r} is a {kind}" for name, kind in wrong.items())
            raise TypeError(f"tables= takes a pandas DataFrame per dataset: {given} "
                            "(pd.DataFrame(...) makes one of a dict of lists or a record array)")
    backend_name = choose_engine(engine, data, tables)
    result = check(protocol, data, backend_name=backend_name, tables=tables)
    if result.section("eligibility") is None:
        raise ProtocolError([d for d in result.all_findings if d.severity is Severity.ERROR])
    return Study(result)
