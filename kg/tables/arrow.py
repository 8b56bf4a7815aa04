"""pandas frames of the build (kg.resolve.Resolved, kg.derive.facts.Derived) as typed Arrow
tables and back, exactly.

A column named like an ontology property gets the ontology's type (kg.tables.schema); any
other column is typed from its values: text -> string, whole numbers -> int64, numbers ->
float64, booleans -> bool, dates -> date32, tuples or lists of text or numbers -> lists. A
column of partial dates (kg.values.dates.PartialDate) becomes a date32 column (the first or
last day, as the ontology positions it) and a ``<column>_precision`` string column. What the
types cannot say is kept in the table's metadata: each column's pandas dtype, the Python type
of its values (int in a float column, tuple or list, PartialDate or date) and whether a missing
value was None or NaN, plus the frame's ``attrs``. :func:`to_frame` restores all of it.

>>> import datetime as dt
>>> from kg.values.dates import PartialDate
>>> df = pd.DataFrame({"iri": ["a", "b"], "start": [PartialDate(2021), None], "share": [0.5, None],
...                    "labels": [("Firm",), ("GuidanceFund", "Fund")], "row": [2, 3]})
>>> t = to_arrow(df, "example")
>>> [f"{f.name}: {f.type}" for f in t.schema]
['iri: string', 'start: date32[day]', 'start_precision: string', 'share: double', 'labels: list<item: string>', 'row: int64']
>>> back = to_frame(t)
>>> back.equals(df), back["start"][0], back["labels"][1]
(True, PartialDate(year=2021, month=None, day=None), ('GuidanceFund', 'Fund'))
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kg.derive.periods import distinct_objects
from kg.tables.schema import column_type, date_position, precision_column
from kg.values.dates import PartialDate

META_KEY = b"kg"
"""The schema metadata key holding how to restore the frame (JSON)."""

INDEX_COLUMN = "__index__"


class TableTypeError(TypeError):
    """A value that does not fit its column's type (a bug upstream: loaders type every value)."""


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _is_day(v) -> bool:
    return isinstance(v, (PartialDate, dt.date)) and not isinstance(v, dt.datetime)


# what a column of each Arrow type accepts, and how an error names it
_ACCEPTS = {
    pa.string(): (lambda v: isinstance(v, str), "text"),
    pa.int64(): (lambda v: _is_int(v) or (_is_number(v) and float(v).is_integer()), "whole numbers"),
    pa.float64(): (_is_number, "numbers"),
    pa.bool_(): (lambda v: isinstance(v, (bool, np.bool_)), "booleans"),
    pa.date32(): (_is_day, "dates"),
}
_KIND = {pa.string(): "str", pa.bool_(): "bool", pa.int64(): "int", pa.float64(): "float", pa.date32(): "date"}


def _refuse(table: str, name: str, values: np.ndarray, target: pa.DataType | None) -> TableTypeError:
    """The error naming the first value of a column that its type cannot hold."""
    present = [v for v in values if not (v is None or (isinstance(v, float) and math.isnan(v)))]
    if target is None:  # no ontology type: the first value's kind sets the column's
        target = next((t for t, (ok, _) in _ACCEPTS.items() if present and ok(present[0])), None)
    ok, what = _ACCEPTS.get(target, (lambda v: False, "text, numbers, booleans, dates or lists"))
    if pa.types.is_list(target or pa.null()):
        ok, what = (lambda v: isinstance(v, (tuple, list))), "lists"
    bad = next((v for v in present if not ok(v)), present[0] if present else None)
    return TableTypeError(f"table {table}, column {name}: cannot store {bad!r} ({type(bad).__name__}) in a column of {what}")


def _dates(values: np.ndarray, missing: np.ndarray, column: str,
           inferred: pa.Array | None = None) -> tuple[pa.Array, pa.Array | None, str]:
    """date32 values (and precisions) of a column of PartialDate or datetime.date values
    (``inferred``: what Arrow made of them, if anything)."""
    codes, uniq = distinct_objects(np.where(missing, None, values))
    kinds = {type(v) for v in uniq}
    if kinds <= {dt.date}:
        if inferred is not None and inferred.type == pa.date32():
            return inferred, None, "date"
        return pa.array(values, pa.date32(), from_pandas=True), None, "date"
    if not kinds <= {PartialDate}:
        raise TypeError("dates")
    end = date_position(column) == "end"
    at = pa.array(np.where(codes >= 0, codes, len(uniq)))  # missing: the null after the distinct values
    days = pa.array([v.last_day() if end else v.first_day() for v in uniq] + [None], pa.date32())
    precs = pa.array([None if v.precision == "day" else v.precision for v in uniq] + [None], pa.string())
    return days.take(at), precs.take(at), "PartialDate"


def _cast(arr: pa.Array, target: pa.DataType) -> pa.Array:
    """``arr`` as the ontology's type: whole numbers widen to floats, whole floats narrow to
    ints (a fraction is refused), lists cast item by item; nothing else converts."""
    if arr.type == target:
        return arr
    if arr.null_count == len(arr):
        return pa.nulls(len(arr), target)
    numeric = pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
    if (numeric and target in (pa.int64(), pa.float64())) or (pa.types.is_list(arr.type) and pa.types.is_list(target)):
        return arr.cast(target)  # a safe cast: raises on a fraction or an overflow
    raise TypeError(str(target))


def _inferred(values: np.ndarray) -> pa.Array | None:
    """``values`` as Arrow infers them (None and NaN as nulls), or None where it cannot (partial
    dates, mixed kinds): the caller then finds the missing values itself."""
    try:
        return pa.array(values, from_pandas=True)
    except (TypeError, ValueError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None


def _column(s: pd.Series, table: str) -> tuple[list[tuple[str, pa.Array]], dict]:
    """The Arrow column(s) of one frame column and how to restore it. Object columns are
    converted by Arrow itself (None and NaN become nulls); only dates go value by value (once
    per distinct value)."""
    name = str(s.name)
    meta = {"name": name, "dtype": str(s.dtype)}
    target = column_type(name)
    values = s.to_numpy(dtype=object) if s.dtype == object else None
    try:
        if values is None:  # numpy numbers and booleans, pandas text
            arr = pa.array(s.to_numpy() if s.dtype.kind in "biuf" else s, from_pandas=True)
            if pa.types.is_large_string(arr.type):
                arr = arr.cast(pa.string())
            return [(name, arr if target is None else _cast(arr, target))], meta
        inferred = _inferred(values)  # what Arrow makes of the values, when it can: its nulls are the missing ones
        missing = pd.isna(values) if inferred is None else inferred.is_null().to_numpy(zero_copy_only=False)
        meta["na"] = "nan" if missing.any() and not any(v is None for v in values[missing]) else "none"
        at = int(np.argmin(missing)) if len(missing) else 0
        first = values[at] if len(missing) and not missing[at] else None
        if first is None:
            meta["python"] = "none"
            if target is None:
                return [(name, pa.nulls(len(s)))], meta
            out = [(name, pa.nulls(len(s), target))]
            if target == pa.date32():
                meta["precision"] = precision_column(name)
                out.append((meta["precision"], pa.nulls(len(s), pa.string())))
            return out, meta
        prec = None
        if _is_day(first):
            arr, prec, meta["python"] = _dates(values, missing, name, inferred)
        else:
            arr = inferred if inferred is not None else pa.array(values, from_pandas=True)
            if isinstance(first, (tuple, list)):
                meta["python"] = type(first).__name__
                target = pa.list_(target) if target is not None else None  # several values (weak_at: years)
            else:
                meta["python"] = _KIND.get(arr.type)
                if meta["python"] is None:
                    raise TypeError(str(arr.type))
        if target is not None:
            arr = _cast(arr, target)
    except (TypeError, ValueError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        raise _refuse(table, name, values if values is not None else s.to_numpy(dtype=object), target) from None
    out = [(name, arr)]
    if prec is not None:
        meta["precision"] = precision_column(name)
        out.append((meta["precision"], prec))
    return out, meta


def to_arrow(df: pd.DataFrame, table: str) -> pa.Table:
    """A frame as a typed Arrow table that :func:`to_frame` turns back into the same frame.

    ``table`` names the table in errors: a value that fits neither its ontology type nor any
    Arrow type raises :class:`TableTypeError` naming the table, the column and the value.

    >>> to_arrow(pd.DataFrame({"year": ["2021"]}), "financials")
    Traceback (most recent call last):
    ...
    kg.tables.arrow.TableTypeError: table financials, column year: cannot store '2021' (str) in a column of whole numbers
    """
    arrays: list[pa.Array] = []
    names: list[str] = []
    columns = []
    for c in df.columns:
        if not isinstance(c, str) or c == INDEX_COLUMN:
            raise TableTypeError(f"table {table}: column name {c!r} cannot be stored")
        out, meta = _column(df[c], table)
        for n, a in out:
            if n in names or (n != c and n in df.columns):
                raise TableTypeError(f"table {table}: column {n!r} would be written twice")
            names.append(n)
            arrays.append(a)
        columns.append(meta)
    index = "range"
    if not (isinstance(df.index, pd.RangeIndex) and df.index.start == 0 and df.index.step == 1):
        names.append(INDEX_COLUMN)
        arrays.append(pa.array(np.asarray(df.index, dtype=np.int64)))
        index = "column"
    meta = {"columns": columns, "attrs": df.attrs, "index": index, "rows": len(df)}
    t = pa.Table.from_arrays(arrays, names=names) if arrays else pa.table({})
    return t.replace_schema_metadata({META_KEY: json.dumps(meta, ensure_ascii=False, default=str)})


def frame_meta(t: pa.Table) -> dict:
    """How a table restores into a frame (what :func:`to_arrow` recorded)."""
    raw = (t.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise ValueError("not a kg table: its schema has no kg metadata")
    return json.loads(raw)


def _partial(day: dt.date | None, precision: str | None) -> PartialDate | None:
    if day is None:
        return None
    if precision == "year":
        return PartialDate(day.year)
    if precision == "month":
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


_EPOCH = dt.date(1970, 1, 1)

SHARE_SAMPLE = 10_000
"""Rows of a text column looked at to tell whether its values repeat (see :func:`_python_values`)."""


def _python_values(col: pa.ChunkedArray) -> list:
    """The Python values of a column, one object per distinct value shared by its rows as the
    loaders make them: every number (a financial year's amounts repeat across 7 M rows at 10^6
    firms: one float per row took ~1 GB more), and the text of a column whose values repeat (a
    str per row took 2.5 GB more for the 11 M rows of that graph); 0.0 and -0.0, NaN and None stay
    apart.

    >>> vals = _python_values(pa.chunked_array([["board", None, "board"]]))
    >>> vals, vals[0] is vals[2]
    (['board', None, 'board'], True)
    >>> vals = _python_values(pa.chunked_array([[2.5, -0.0, None, 0.0, float("nan"), 2.5]]))
    >>> vals[:4], vals[0] is vals[5], str(vals[4])
    ([2.5, -0.0, None, 0.0], True, 'nan')
    """
    if len(col) < 2:
        return col.to_pylist()
    numeric = pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
    if not numeric:
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            return col.to_pylist()
        head = col.slice(0, SHARE_SAMPLE)
        if pc.count_distinct(head).as_py() > len(head) // 2:  # mostly distinct (IRIs, names): nothing to share
            return col.to_pylist()
    enc = col.combine_chunks().dictionary_encode()  # one dictionary, not one per chunk
    texts = np.array([*enc.dictionary.to_pylist(), None], dtype=object)
    return texts[enc.indices.fill_null(len(enc.dictionary)).to_numpy(zero_copy_only=False)].tolist()


def _partial_dates(col: pa.ChunkedArray, prec: pa.ChunkedArray | None) -> list:
    """The PartialDate (or None) of each day of a date32 column and its precision, one
    PartialDate made per distinct (day, precision) pair and shared by its rows.

    >>> days = pa.chunked_array([pa.array([dt.date(2021, 1, 1), None, dt.date(1969, 12, 31)] * 2, pa.date32())])
    >>> _partial_dates(days, pa.chunked_array([["year", None, None, "month", None, None]]))
    [PartialDate(year=2021, month=None, day=None), None, PartialDate(year=1969, month=12, day=31), PartialDate(year=2021, month=1, day=None), None, PartialDate(year=1969, month=12, day=31)]
    """
    if not len(col):
        return []
    missing = col.is_null().to_numpy()
    days = col.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64)
    names: list[str | None] = [None]
    codes = np.zeros(len(days), dtype=np.int64)
    if prec is not None and prec.null_count < len(prec):
        enc = prec.combine_chunks().dictionary_encode()
        names += enc.dictionary.to_pylist()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64) + 1
    key, uniq = pd.factorize(days * len(names) + codes)  # floor division and modulo undo it, negative days too
    made = np.empty(len(uniq) + 1, dtype=object)  # the last: None, for the missing days
    for i, k in enumerate(uniq.tolist()):
        made[i] = _partial(_EPOCH + dt.timedelta(days=k // len(names)), names[k % len(names)])
    key[missing] = len(uniq)
    return made[key].tolist()


def _restore(col: pa.ChunkedArray, prec: pa.ChunkedArray | None, meta: dict, n: int) -> pd.Series:
    dtype = meta["dtype"]
    if dtype != "object":
        pd_dtype = pd.api.types.pandas_dtype(dtype)
        if isinstance(pd_dtype, pd.StringDtype):
            return col.to_pandas().astype(pd_dtype)
        if pd_dtype.kind in "biuf":
            if col.null_count == len(col):
                return pd.Series(np.full(n, np.nan) if pd_dtype.kind == "f" else [None] * n).astype(pd_dtype)
            return pd.Series(col.to_numpy(), dtype=pd_dtype)
        return pd.Series(col.to_pylist(), dtype=pd_dtype)
    py = meta.get("python")
    values = _python_values(col) if py != "PartialDate" else None
    if py == "PartialDate":
        values = _partial_dates(col, prec)
    elif py == "int" and not pa.types.is_integer(col.type):
        values = [None if v is None else int(v) for v in values]
    elif py == "float" and not pa.types.is_floating(col.type):
        values = [None if v is None else float(v) for v in values]
    elif py == "tuple":
        values = [None if v is None else tuple(v) for v in values]
    if meta.get("na") == "nan":
        values = [math.nan if v is None else v for v in values]
    return pd.Series(values, dtype=object)


def to_frame_of_rows(t: pa.Table) -> pd.DataFrame:
    """:func:`to_frame` of a table some of whose rows or columns were left out after it was
    written (its metadata still counts them): the rows and columns it has, rows numbered from 0.

    >>> t = to_arrow(pd.DataFrame({"a": ["x", "y", "z"]}), "example")
    >>> to_frame_of_rows(t.filter(pa.array([False, True, True])))["a"].tolist()
    ['y', 'z']
    """
    meta = frame_meta(t)
    meta.update(rows=t.num_rows, index="range", columns=[c for c in meta["columns"] if c["name"] in t.column_names])
    if INDEX_COLUMN in t.column_names:
        t = t.drop_columns([INDEX_COLUMN])
    return to_frame(t.replace_schema_metadata({META_KEY: json.dumps(meta, ensure_ascii=False, default=str)}))


def to_frame(t: pa.Table) -> pd.DataFrame:
    """The frame a table was written from (:func:`to_arrow`), with its dtypes, Python values,
    missing values, index and ``attrs``."""
    meta = frame_meta(t)
    n = meta["rows"]
    data = {c["name"]: restore_column(t, c) for c in meta["columns"]}
    df = pd.DataFrame(data, index=pd.RangeIndex(n)) if data else pd.DataFrame(index=pd.RangeIndex(n))
    df.index = frame_index(t)
    df.attrs = meta["attrs"]
    return df


def frame_index(t: pa.Table) -> pd.Index:
    """The index of the frame a table was written from."""
    meta = frame_meta(t)
    if meta["index"] == "column":
        return pd.Index(t.column(INDEX_COLUMN).to_numpy())
    return pd.RangeIndex(meta["rows"])


def restore_column(t: pa.Table, column: dict) -> pd.Series:
    """One column of the frame a table was written from (``column``: its entry in
    ``frame_meta(t)["columns"]``), on a range index: :func:`to_frame` a column at a time.

    >>> t = to_arrow(pd.DataFrame({"a": [1, None]}, dtype=object), "example")
    >>> restore_column(t, frame_meta(t)["columns"][0]).tolist()
    [1, None]
    """
    prec = t.column(column["precision"]) if column.get("precision") else None
    return _restore(t.column(column["name"]), prec, column, t.num_rows)
