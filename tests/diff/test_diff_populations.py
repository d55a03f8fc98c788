"""`trialspec diff` reports changes to the analysis populations."""

from __future__ import annotations

from trialspec.diff.compare import diff_protocols
from trialspec.protocol import load_protocol_text

HEAD = """\
trialspec: 1
study: {id: X}
datasets:
  subjects:
    key: id
    columns:
      id: {type: string}
      arm: {type: category, levels: [a, b]}
populations:
"""


def test_population_changes_are_listed() -> None:
    old, _ = load_protocol_text(HEAD + "  itt: {when: arm is present, default: true}\n", "old.yaml")
    new, _ = load_protocol_text(HEAD + "  itt: {when: arm == a, default: true}\n"
                                "  safety: {when: arm is present}\n", "new.yaml")
    assert old is not None and new is not None
    changes = {(c.section, c.item, c.kind): c.details for c in diff_protocols(old, new).changes}
    assert changes[("populations", "itt", "changed")] == ("when arm is present -> arm == a",)
    assert changes[("populations", "safety", "added")] == ("population added (arm is present)",)
