"""Domain logic: what eligibility, treatment, response and analyses mean, on plain arrays.

Nothing here imports an engine; the pipeline hands in the engine's results.
"""
