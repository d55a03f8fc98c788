"""TS6xx: response derivation."""

from trialspec.codes import Code

CODES: tuple[Code, ...] = ()
