"""Reproducibility: lock a check's key results with hashes of what produced them, verify them later.

``canonical`` turns results into stable JSON (and knows the line of every value in it), ``lock``
builds and reads lock files, ``verify`` compares a lock with a fresh computation and says what
moved and why. The commands (``trialspec lock`` / ``verify``) join these with ``pipeline.check``.
"""
