"""Work once per distinct value of a column instead of once per row.

Columns repeat values a lot (a source name on every row, a few thousand dates over a hundred
thousand rows), and the parsed values of a column are shared objects: every row with the same
text holds the same PartialDate. So a function of a value runs once per distinct text
(:func:`factorize`, :func:`spread`) or once per distinct object (:func:`map_objects`), and the
results are spread back over the rows by index arrays.

>>> import pandas as pd
>>> codes, values = factorize(pd.Series(["b", "a", None, "b"], dtype=object))
>>> codes.tolist(), values.tolist()
([0, 1, -1, 0], ['b', 'a'])
>>> spread(["B", "A"], codes).tolist()
['B', 'A', None, 'B']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa


def factorize(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, the distinct values as an object array); a missing value has code -1."""
    codes, uniques, _ = factorize_text(s)
    return codes, uniques


def factorize_text(s: pd.Series) -> tuple[np.ndarray, np.ndarray, pa.Array | None]:
    """:func:`factorize`, and the distinct values as Arrow text when ``s`` is text held in Arrow
    (what the source readers give; else None). Arrow encodes it itself, as pandas would,
    without pandas' copies on the way.

    >>> codes, values, text = factorize_text(pd.Series(["b", "a", None, "b"], dtype="string[pyarrow]"))
    >>> codes.tolist(), values.tolist(), text.to_pylist()
    ([0, 1, -1, 0], ['b', 'a'], ['b', 'a'])
    """
    arr = getattr(s.array, "_pa_array", None)
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        return codes, np.asarray(uniques, dtype=object), None
    encoded = arr.dictionary_encode().combine_chunks()  # one dictionary per chunk, then unified
    indices = encoded.indices
    if indices.null_count:
        indices = indices.fill_null(-1)
    codes = indices.to_numpy(zero_copy_only=False).astype(np.intp, copy=False)
    return codes, encoded.dictionary.to_numpy(zero_copy_only=False), encoded.dictionary


def spread(per_value: Any, codes: np.ndarray, missing: Any = None, dtype: Any = object) -> np.ndarray:
    """The value of each row: ``per_value[code]``, ``missing`` where the code is -1."""
    out = np.empty(len(per_value) + 1, dtype=dtype)
    out[:-1] = per_value
    out[-1] = missing
    return out[codes]


def by_object(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(code of each element, one element per distinct object), distinct by identity: C speed
    however slow the objects' own hashing is. Equal but separate objects get separate codes,
    so a function of them runs a few more times, never with a wrong result.

    >>> a, b = object(), object()
    >>> codes, firsts = by_object(np.array([a, b, a, None], dtype=object))
    >>> codes.tolist(), firsts[0] is a, firsts[2] is None
    ([0, 1, 0, 2], True, True)
    """
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    codes, uniques = pd.factorize(ids)
    first = np.empty(len(uniques), dtype=np.intp)
    first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)  # the last write per code is its first row
    return codes, values[first]


def map_objects(s: pd.Series, f: Callable[[Any], Any]) -> pd.Series:
    """``s.map(f)`` (same values, same dtype) with ``f`` called once per distinct object of ``s``.

    >>> map_objects(pd.Series([2021, None, 2021], dtype=object), lambda y: None if y is None else y + 1).tolist()
    [2022.0, nan, 2022.0]
    """
    if len(s) == 0 or s.dtype != object:
        return s.map(f)
    codes, firsts = by_object(s.to_numpy(dtype=object))
    mapped = pd.Series(firsts, dtype=object).map(f)  # pandas infers the dtype from the same set of values
    out = mapped.take(codes)
    out.index = s.index
    out.name = s.name
    return out
