"""Subject ids read from a database: kept as the Arrow text it gave, made numpy text only when
something asks for them so.

A DuckDB check reads the population's keys once, in file order; when they are present and
increasing they are the subjects' ids. What a large check does with them needs no numpy
array: the per-subject Parquet writes the Arrow text as it is, the report's tables show a
few ids, and ``explain`` looks one up. Turning 5M short ids into numpy text costs 0.5 s of a
single core and 80 MB (0.8 GiB at 50M, beside the Arrow text), so :class:`TextIds` holds the
Arrow text and converts it on the first call that needs an array (``numpy.asarray``, a mask
or a slice taken of it), once.

``compact`` is that conversion: numpy ``StringDType`` text (16 bytes an id up to 15
characters, no Python object per id), built for short ASCII ids from the Arrow buffers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class TextIds:
    """The subjects' ids as Arrow text (``arrow``, a chunked string array without NULL),
    read like the numpy text array :func:`compact` makes of them: ``len``, ``ids[i]`` (a
    ``str``), ``ids == text`` (a bool array), ``tolist()``, ``dtype``; any other indexing, and
    ``numpy.asarray``, work on that array, built on first use."""

    dtype = np.dtypes.StringDType()
    ndim = 1
    __hash__ = None  # type: ignore[assignment]  # (``==`` is elementwise, as numpy's)

    def __init__(self, arrow: Any) -> None:
        import pyarrow as pa

        if not isinstance(arrow, pa.ChunkedArray):
            arrow = pa.chunked_array([arrow])
        if pa.types.is_string_view(arrow.type):  # (what DuckDB gives with produce_arrow_string_view)
            arrow = arrow.cast(pa.string())
        if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)) or arrow.null_count:
            raise TypeError("TextIds holds text without NULL")
        self.arrow = arrow
        self._numpy: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.arrow)

    def __repr__(self) -> str:
        shown = self.arrow.slice(0, 3).to_pylist()
        return f"TextIds({shown}{', ...' if len(self) > 3 else ''}; {len(self)} ids)"

    @property
    def shape(self) -> tuple[int]:
        return (len(self.arrow),)

    def numpy(self) -> np.ndarray:
        """The ids as compact numpy text (built once)."""
        if self._numpy is None:
            parts = [compact(chunk) for chunk in self.arrow.chunks if len(chunk)]
            self._numpy = np.concatenate(parts) if parts else np.empty(0, dtype=self.dtype)
        return self._numpy

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.numpy()
        return out if dtype is None else out.astype(dtype)

    def __arrow_array__(self, type: Any = None) -> Any:  # noqa: A002 (pyarrow's protocol names it so)
        arrow = self.arrow.combine_chunks()
        return arrow if type is None else arrow.cast(type)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, (int, np.integer)):
            return self.arrow[int(key)].as_py()
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(len(self))
            return TextIds(self.arrow.slice(start, max(stop - start, 0)))
        return self.numpy()[key]

    def __iter__(self) -> Any:
        return iter(self.tolist())

    def __eq__(self, other: object) -> Any:
        if not isinstance(other, str):
            return NotImplemented
        import pyarrow.compute as pc

        from trialspec.arrow_numpy import values_of

        hits = pc.equal(self.arrow, _scalar(other, self.arrow.type))
        parts = [values_of(c, bool) for c in hits.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, bool)

    def tolist(self) -> list[str]:
        return self.arrow.to_pylist()

    def position(self, subject: Any) -> int | None:
        """The first position of the id ``subject`` (None when no id is it)."""
        if not isinstance(subject, str):
            return None
        import pyarrow.compute as pc

        at = pc.index(self.arrow, _scalar(subject, self.arrow.type)).as_py()
        return None if at < 0 else int(at)


def _scalar(text: str, type_: Any) -> Any:
    """``text`` as an Arrow scalar of ``type_`` (``pyarrow.scalar`` would import pandas)."""
    from trialspec.arrow_numpy import arrow_texts

    return arrow_texts([text]).cast(type_)[0]


def compact(ids: Any) -> np.ndarray:
    """Arrow text ids as a numpy ``StringDType`` array (an object array if one is NULL)."""
    import pyarrow as pa

    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if ids.null_count:
        return np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
    short = _short_ascii(ids)
    if short is not None:
        return short.astype(np.dtypes.StringDType())
    return np.asarray(ids.cast(pa.large_string()) if not pa.types.is_string(ids.type) else ids,
                      dtype=np.dtypes.StringDType())


def _short_ascii(ids: Any) -> np.ndarray | None:
    """Arrow text of short ASCII ids (the usual subject ids) as fixed-width numpy bytes, built
    from the Arrow buffers without a Python string each; None when they are not all short
    (16 bytes at most) printable-range ASCII without NUL (which fixed-width bytes would drop)."""
    import pyarrow as pa

    if not len(ids) or not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32 if pa.types.is_string(ids.type) else np.int64)
    offsets = offsets[ids.offset:ids.offset + len(ids) + 1]
    lengths = np.diff(offsets)
    width = int(lengths.max())
    if width == 0 or width > 16:
        return None
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if len(data) and (int(data.max()) >= 128 or int(data.min()) == 0):
        return None
    out = np.zeros((len(ids), width), dtype=np.uint8)
    if (lengths == width).all():
        out[:] = data.reshape(len(ids), width)
    else:
        out[np.arange(width) < lengths[:, None]] = data
    return out.view(f"S{width}").ravel()
