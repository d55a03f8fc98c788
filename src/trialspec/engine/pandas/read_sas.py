"""SAS files (Transport v5/v8 XPT, SAS7BDAT) read through pyreadstat, the field's reader.

pyreadstat decodes IBM floating point exactly (an XPT zero is 0.0, where pandas' own reader
gives 16**-65 = 5.4e-79), reads SAS special missing values (`.`, `.A`-`.Z`, `._`) as NaN, and
returns text columns as str with SAS's trailing blanks removed (a blank value is ``""``; the
SDTM missing rule in :mod:`trialspec.engine.pandas.missing` turns it into a missing cell).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

READERS = {"xpt": "read_xport", "sas7bdat": "read_sas7bdat"}


def read_sas(path: Path, fmt: str) -> pd.DataFrame:
    """Read a SAS file; raises ``ValueError`` with the reader's reason if it cannot."""
    import pyreadstat

    reader = getattr(pyreadstat, READERS[fmt])
    try:
        df, _meta = reader(str(path), encoding="utf-8" if fmt == "sas7bdat" else None)
    except pyreadstat.ReadstatError as err:
        raise ValueError(f"not a readable {fmt.upper()} file: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"text is not UTF-8 (byte {err.start})") from err
    return df
