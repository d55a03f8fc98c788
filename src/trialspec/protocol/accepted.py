"""The ``accepted:`` block: findings the study team accepts, each with a reason and an expiry.

The schema has checked the shape; here each entry becomes an :class:`Acceptance`, and an
entry naming a code trialspec does not have is reported where it is written (TS883, a
warning: it accepts nothing).
"""

from __future__ import annotations

from trialspec.diagnostics import Diagnostic, Severity
from trialspec.protocol.model import Acceptance
from trialspec.protocol.yamlload import MapNode, ScalarNode, SeqNode, lookup


def build_accepted(tree: MapNode, diagnostics: list[Diagnostic]) -> tuple[Acceptance, ...]:
    from trialspec.codes import CODES

    entry = lookup(tree, "accepted")
    if entry is None or not isinstance(entry[1], SeqNode):
        return ()
    out = []
    for item in entry[1].items:
        if not isinstance(item, MapNode):
            continue
        fields = {k.raw: v for k, v in item.items if isinstance(v, ScalarNode)}
        code = str(fields["code"].value) if "code" in fields else ""
        if code not in CODES:
            where = fields["code"].span if "code" in fields else item.span
            diagnostics.append(Diagnostic(
                "TS883", f"`accepted:` names {code or 'no code'}, which is not a trialspec diagnostic code",
                where, "use a code as printed in the finding to accept (docs/diagnostics.md lists them)",
                Severity.WARNING))
            continue
        target = fields.get("target")
        expires = fields.get("expires")
        reason = fields.get("reason")
        out.append(Acceptance(code, None if target is None or target.value is None else str(target.value),
                              str(reason.value) if reason is not None else "",
                              None if expires is None else str(expires.value), item.span))
    return tuple(out)
