"""TS5xx: treatment and dosing compliance."""

from trialspec.codes import Code

CODES: tuple[Code, ...] = ()
