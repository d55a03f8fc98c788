"""trialspec: protocol-as-code for clinical studies.

``trialspec.run(protocol, data=DIR)`` runs a protocol from Python; see :mod:`trialspec.api`.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Explanation", "ProtocolError", "Study", "__version__", "run"]
_API = ("run", "Study", "ProtocolError", "Explanation")


def __getattr__(name: str) -> Any:
    # the API is imported on first use, so `import trialspec` (and `lint`) stays light
    if name in _API:
        from trialspec import api

        return getattr(api, name)
    raise AttributeError(name)


def __dir__() -> list[str]:
    # the lazily imported API is listed, so `dir(trialspec)` and completion show `run`
    return sorted({*globals(), *__all__})
