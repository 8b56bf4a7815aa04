"""Text columns of the derived tables made from integer codes: each distinct value is turned
into pandas text once, and the column is taken from those by code.

A frame made of an object array of ``str`` holds pandas text (Arrow-backed); converting a
column of millions of repeated IRIs from Python objects costs seconds, taking them by code
from the distinct values a fraction of that.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["text_column", "take_text", "arrow_text"]


def _infers_text() -> bool:
    with warnings.catch_warnings():  # pandas 3 warns that the option goes in pandas 4 (always on then)
        warnings.simplefilter("ignore")
        try:
            return bool(pd.get_option("future.infer_string"))
        except (KeyError, pd.errors.OptionError):  # pragma: no cover - pandas without the option
            return True


def text_column(values: np.ndarray, codes: np.ndarray):
    """``values[codes]`` as a frame column of it would be: pandas text when ``values`` (an
    object array of ``str`` and ``None``) give any text, else the object array itself.
    ``codes`` are positions in ``values``; a negative code gives a missing value (``None``). ``values`` may be given as Arrow text
    (:func:`arrow_text`) when several columns are taken from them.

    >>> col = text_column(np.array(["a", None, "b"], dtype=object), np.array([2, 0, 1, 2]))
    >>> pd.DataFrame({"c": col})["c"].equals(pd.DataFrame({"c": np.array(["b", "a", None, "b"], dtype=object)})["c"])
    True
    """
    codes = np.asarray(codes, dtype=np.int64)
    missing = codes < 0

    def objects():
        out = values[np.maximum(codes, 0)] if len(values) else np.full(len(codes), None, dtype=object)
        out[missing] = None
        return out

    if isinstance(values, pa.Array):
        arr = values
    else:
        values = np.asarray(values, dtype=object)
        if not len(codes) or not _infers_text():
            return objects()
        try:
            arr = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: as pandas infers it
            return objects()
    taken = arr.take(pa.array(codes, mask=missing if missing.any() else None))
    if not len(codes) or taken.null_count == len(taken) or not _infers_text():  # no text: pandas keeps objects
        return np.array(taken.to_pylist(), dtype=object) if len(codes) else np.zeros(0, dtype=object)
    return pd.array(taken, dtype="str")


def arrow_text(values: np.ndarray) -> pa.Array | np.ndarray:
    """``values`` (``str`` objects) as Arrow text for :func:`text_column`, converted once; as they
    are when they are not all text.

    >>> pd.Series(text_column(arrow_text(np.array(["a", "b"], dtype=object)), [1, 1])).tolist()
    ['b', 'b']
    """
    values = np.asarray(values, dtype=object)
    try:
        return pa.array(values, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return values


def take_text(col: pd.Series, rows: np.ndarray):
    """The ``rows`` of a column as a frame built from ``col.to_numpy(dtype=object)[rows]`` would
    hold them, without the round trip through Python objects when ``col`` is pandas text.

    >>> s = pd.Series(["x", "y", "z"], dtype="str")
    >>> pd.Series(take_text(s, np.array([2, 0]))).tolist()
    ['z', 'x']
    """
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) and isinstance(col.dtype, pd.StringDtype) and col.dtype.storage == "pyarrow" \
            and col.dtype.na_value is not pd.NA and _infers_text():
        taken = col.array.take(rows)
        if taken.isna().all():
            return col.to_numpy(dtype=object)[rows]
        return taken
    return col.to_numpy(dtype=object)[rows]
