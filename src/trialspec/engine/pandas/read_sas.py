"""SAS files (Transport v5/v8 XPT, SAS7BDAT) read through pyreadstat, the field's reader.

pyreadstat decodes IBM floating point exactly (an XPT zero is 0.0, where pandas' own reader
gives 16**-65 = 5.4e-79), reads SAS special missing values (`.`, `.A`-`.Z`, `._`) as NaN, and
returns text columns as str with SAS's trailing blanks removed (a blank value is ``""``; the
SDTM missing rule in :mod:`trialspec.engine.pandas.missing` turns it into a missing cell).

Text is read as UTF-8. A Transport file records no encoding, and many were written on
Windows: when a file's text is not UTF-8 it is read as Windows-1252 (the CDISC pilot's TS
has "Alzheimer’s" with byte 0x92), and ``DataFrame.attrs[ENCODING]`` says so, for a warning.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

READERS = {"xpt": "read_xport", "sas7bdat": "read_sas7bdat"}
ENCODING = "trialspec_encoding"  # DataFrame.attrs key: the text encoding, when not UTF-8
FALLBACK = "windows-1252"


def read_sas(path: Path, fmt: str) -> pd.DataFrame:
    """Read a SAS file; raises ``ValueError`` with the reader's reason if it cannot."""
    import pyreadstat

    reader = getattr(pyreadstat, READERS[fmt])
    try:
        try:
            df, _meta = reader(str(path), encoding="utf-8")
        except (pyreadstat.ReadstatError, UnicodeDecodeError) as err:
            if isinstance(err, pyreadstat.ReadstatError) and "encoding" not in str(err):
                raise
            df, _meta = reader(str(path), encoding=FALLBACK)
            df.attrs[ENCODING] = FALLBACK
    except pyreadstat.ReadstatError as err:
        raise ValueError(f"not a readable {fmt.upper()} file: {err}") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"text is neither UTF-8 nor {FALLBACK} (byte {err.start})") from err
    return df
