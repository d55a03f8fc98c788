"""Which cells are missing, by the dataset's standard, before conformance sees them.

SDTM (every XPT, SAS7BDAT or Dataset-JSON file, and any dataset marked ``standard: sdtm``):
SAS stores a missing character value as blanks, so a cell that is empty or only blanks is
missing: a blank DTHFL is "no death flag recorded", a blank RFICDTC is no date (never an
invalid one). Numeric special missing values (`.`, `.A`-`.Z`, `._`) arrive as NaN from the
reader. ``engine/files.py`` ``is_sdtm`` says when the rule applies. A dataset's ``missing:``
list adds the tokens its export uses (``NA``, ``.``), for CSV files from R or SAS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialspec.engine.pandas.factorize import factorize


def mark_missing(df: pd.DataFrame, blank: bool, tokens: Sequence[str] = ()) -> pd.DataFrame:
    """``df`` with blank text cells (when ``blank``) and cells equal to a token set to None.

    Works per text column on its distinct values (factorized), so the cost is one hash pass
    per column, not a Python call per cell. Columns that change are replaced, never edited
    in place.
    """
    wanted = {t.strip() for t in tokens}
    if not blank and not wanted:
        return df
    changed: dict[str, np.ndarray] = {}
    for name in df.columns:
        column = df[name]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype):
            continue
        codes, uniques = factorize(column.to_numpy(dtype=object))
        gone = np.array([isinstance(u, str) and ((blank and not u.strip()) or u.strip() in wanted)
                         for u in uniques] + [False], dtype=bool)
        mask = gone[codes]
        if mask.any():
            values = column.to_numpy(dtype=object).copy()
            values[mask] = None
            changed[str(name)] = values
    if not changed:
        return df
    out = df.copy(deep=False)
    for name, values in changed.items():
        out[name] = values
    return out
