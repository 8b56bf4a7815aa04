"""Text columns of the derived tables taken by code (kg.derive.text): what a frame made of the
same Python objects would hold, value for value and type for type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kg.derive.text import arrow_text, take_text, text_column


def inferred(values: np.ndarray) -> pd.Series:
    return pd.DataFrame({"c": values})["c"]


@pytest.mark.parametrize("values, codes", [
    (np.array(["b", "a", None], dtype=object), [0, 1, 2, 0, 2]),  # text with a missing value
    (np.array([None, None], dtype=object), [0, 1]),                # no text at all: objects
    (np.array(["x"], dtype=object), []),                           # empty
    (np.array(["x", 1], dtype=object), [0, 1]),                    # not all text
    (np.array(["é", "日本", "a"], dtype=object), [2, 1, 0]),          # beyond ASCII
])
def test_text_column_is_what_a_frame_infers(values, codes):
    got = inferred(text_column(values, np.array(codes, dtype=np.int64)))
    want = inferred(values[np.array(codes, dtype=np.int64)])
    assert got.dtype == want.dtype
    assert got.equals(want)


def test_negative_codes_are_missing_and_arrow_values_are_reused():
    values = np.array(["a", "b"], dtype=object)
    got = inferred(text_column(arrow_text(values), np.array([1, -1, 0])))
    assert got.dtype == inferred(np.array(["b", None, "a"], dtype=object)).dtype
    assert got.tolist()[0] == "b" and pd.isna(got.tolist()[1]) and got.tolist()[2] == "a"
    assert inferred(text_column(arrow_text(values), np.array([-1, -1]))).tolist() == [None, None]


@pytest.mark.parametrize("col", [pd.Series(["a", None, "c"], dtype="str"), pd.Series(["a", None, "c"], dtype=object)])
def test_take_text_matches_the_object_round_trip(col):
    rows = np.array([2, 1, 0])
    got = inferred(take_text(col, rows))
    want = inferred(col.to_numpy(dtype=object)[rows])
    assert got.dtype == want.dtype and got.equals(want)
