"""The one exception the stats package raises for inputs it cannot analyse."""


class StatsInputError(ValueError):
    """Input that no statistic can be computed from (wrong shape, negative counts, ...).

    The message says what was wrong in words a protocol author understands; callers turn it
    into a diagnostic.
    """
