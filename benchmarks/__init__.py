"""Benchmarks: each ``*_bench.py`` module has a ``main()`` that prints one table.

Run them all with ``python -m benchmarks``, or one with ``python -m benchmarks engine``.
They are not tests: they time trialspec beside hand-written pandas/numpy on the same data.
"""
