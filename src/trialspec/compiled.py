"""The compile stage: a protocol model in, one immutable :class:`CompiledProtocol` out.

    protocol model --check_protocol--> checked criteria and definitions
                   --each section's compiler--> dosing plan, response plan, analyses plan

``lint`` is this stage and nothing else; ``check`` runs it once and hands the result to every
section runner, so no section compiles its plan again. The sections' compilers live in
``domain/``; ``check/`` (names, types, units of expressions) knows nothing of them: this
module is where the two meet. Nothing here imports pandas, scipy or an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialspec.check.protocol import CheckedProtocol, check_protocol
from trialspec.diagnostics import Diagnostic, has_errors


@dataclass(frozen=True, slots=True)
class CompiledProtocol:
    """Everything the protocol says, compiled: what a check runs on the data.

    ``checked`` is None when the protocol has an error (then nothing runs). ``response`` is
    the response compiler's (plan, diagnostics); ``analyses`` the compiled endpoints,
    populations and analyses (None when the protocol declares none, nor reported claims);
    ``dosing`` the treatment plan and its findings (None: no
    treatment, or the protocol has errors).
    """

    model: Any
    checked: CheckedProtocol | None
    response: tuple[Any, tuple[Diagnostic, ...]]
    analyses: Any
    dosing: tuple[Any, tuple[Diagnostic, ...]] | None

    @property
    def ok(self) -> bool:
        return self.checked is not None


def compile_model(model: Any) -> tuple[CompiledProtocol, list[Diagnostic]]:
    """Type-check every expression and compile every section's plan, once."""
    checked, diags = check_protocol(model)
    response_plan: Any = None
    response_diags: list[Diagnostic] = []
    if model.response is not None:  # (the response and treatment modules only when used)
        from trialspec.domain.response_compile import compile_response

        response_plan, response_diags = compile_response(model)
    analyses: Any = None
    analyses_diags: list[Diagnostic] = []
    if model.endpoints or model.analyses or model.reported or model.populations:
        # (the analyses' module only when used: a screening protocol has none of these)
        from trialspec.domain.analyses_plan import compile_analyses, lint_analyses

        analyses = compile_analyses(model)
        analyses_diags = lint_analyses(model, analyses)
    treatment_diags: list[Diagnostic] = []
    if model.treatment is not None:
        from trialspec.domain.treatment import lint_treatment

        treatment_diags = lint_treatment(model)
    diags = [*diags, *treatment_diags, *response_diags, *analyses_diags]
    if has_errors(diags):
        checked = None
    dosing = None
    if checked is not None and model.treatment is not None:
        from trialspec.domain.treatment import build_plan

        plan, found = build_plan(model)
        dosing = (plan, tuple(found))
    return CompiledProtocol(model, checked, (response_plan, tuple(response_diags)), analyses, dosing), diags


def check_model(model: Any) -> tuple[CheckedProtocol | None, list[Diagnostic]]:
    """The compile stage's checked criteria and every diagnostic (what ``lint`` reports)."""
    compiled, diags = compile_model(model)
    return compiled.checked, diags
