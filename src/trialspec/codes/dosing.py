"""Diagnostic codes of this range; see codes/__init__.py for the ranges."""

from trialspec.codes import Code

CODES: tuple[Code, ...] = ()
