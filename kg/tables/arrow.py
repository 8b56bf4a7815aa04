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

from kg.tables.schema import column_type, date_position, precision_column
from kg.values.dates import PartialDate

META_KEY = b"kg"
"""The schema metadata key holding how to restore the frame (JSON)."""

INDEX_COLUMN = "__index__"


class TableTypeError(TypeError):
    """A value that does not fit its column's type (a bug upstream: loaders type every value)."""


_EXPECTED = {"string": "text", "int64": "whole numbers", "double": "numbers", "bool": "booleans",
             "date32[day]": "dates"}


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


def _dates(values: list, column: str) -> tuple[pa.Array, pa.Array | None, str]:
    """date32 values (and precisions) of a column of PartialDate or datetime.date values."""
    kinds = {type(v) for v in values if not _missing(v)}
    if kinds <= {dt.date}:
        return pa.array([None if _missing(v) else v for v in values], pa.date32()), None, "date"
    if kinds <= {PartialDate}:
        end = date_position(column) == "end"
        days, precs = {}, {}
        for v in set(values) - {None}:
            if not _missing(v):
                days[v] = v.last_day() if end else v.first_day()
                precs[v] = None if v.precision == "day" else v.precision
        return (pa.array([days.get(v) for v in values], pa.date32()),
                pa.array([precs.get(v) for v in values], pa.string()), "PartialDate")
    raise TypeError(f"dates of types {sorted(k.__name__ for k in kinds)}")


def _typed_values(values: list, target: pa.DataType, column: str):
    """(array, precision array or None, python kind) for the values of an object column."""
    present = [v for v in values if not _missing(v)]
    kinds = {type(v) for v in present}
    if target == pa.date32():
        return _dates(values, column)
    if target == pa.string():
        if not all(isinstance(v, str) for v in present):
            raise TypeError("text")
        return pa.array([None if _missing(v) else v for v in values], pa.string()), None, "str"
    if target == pa.bool_():
        if not all(isinstance(v, (bool, np.bool_)) for v in present):
            raise TypeError("booleans")
        return pa.array([None if _missing(v) else bool(v) for v in values], pa.bool_()), None, "bool"
    if target == pa.int64():
        if not all(_is_int(v) or (_is_number(v) and float(v).is_integer()) for v in present):
            raise TypeError("whole numbers")
        py = "int" if all(_is_int(v) for v in present) else "float"
        return pa.array([None if _missing(v) else int(v) for v in values], pa.int64()), None, py
    if target == pa.float64():
        if not all(_is_number(v) for v in present):
            raise TypeError("numbers")
        py = "int" if present and all(_is_int(v) for v in present) else "float"
        return pa.array([None if _missing(v) else float(v) for v in values], pa.float64()), None, py
    if pa.types.is_list(target):
        outer = "tuple" if kinds <= {tuple} else "list"
        arr = pa.array([None if _missing(v) else list(v) for v in values], target)
        return arr, None, outer
    raise TypeError(str(target))


def _infer(present: list) -> pa.DataType:
    """The Arrow type of a list of (non-missing) Python values."""
    if not present:
        return pa.null()
    if all(isinstance(v, str) for v in present):
        return pa.string()
    if all(isinstance(v, (bool, np.bool_)) for v in present):
        return pa.bool_()
    if all(_is_int(v) for v in present):
        return pa.int64()
    if all(_is_number(v) for v in present):
        return pa.float64()
    if all(isinstance(v, (PartialDate, dt.date)) and not isinstance(v, dt.datetime) for v in present):
        return pa.date32()
    if all(isinstance(v, (tuple, list)) for v in present):
        items = [x for v in present for x in v]
        return pa.list_(_infer(items) if items else pa.string())
    kinds = sorted({type(v).__name__ for v in present})
    raise TypeError(f"values of types {', '.join(kinds)}")


def _column(s: pd.Series, table: str) -> tuple[list[tuple[str, pa.Array]], dict]:
    """The Arrow column(s) of one frame column and how to restore it."""
    name = str(s.name)
    meta = {"name": name, "dtype": str(s.dtype)}
    target = column_type(name)
    try:
        if s.dtype != object and (s.dtype.kind in "biuf" or isinstance(s.dtype, pd.StringDtype)):
            arr = pa.array(s.to_numpy() if s.dtype.kind in "biuf" else s, from_pandas=True)
            if isinstance(s.dtype, pd.StringDtype):
                arr = arr.cast(pa.string())
            if target is not None and arr.type != target:
                if arr.null_count == len(arr):
                    arr = pa.nulls(len(arr), target)
                elif pa.types.is_floating(arr.type) and target == pa.int64():
                    arr = arr.cast(target)  # safe cast: fails on a fractional value
                elif not ((pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)) and target == pa.float64()):
                    raise TypeError(str(target))
                else:
                    arr = arr.cast(target)
            return [(name, arr)], meta
        values = s.tolist()
        missing = [v for v in values if _missing(v)]
        meta["na"] = "nan" if missing and all(isinstance(v, float) for v in missing) else "none"
        present = [v for v in values if not _missing(v)]
        if target is None:
            target = _infer(present)
            if target == pa.null():
                meta["python"] = "none"
                return [(name, pa.nulls(len(values)))], meta
        elif present and all(isinstance(v, (tuple, list)) for v in present):
            target = pa.list_(target)  # several values of one property (weak_at: years)
        elif not present:
            meta["python"] = "none"
            out = [(name, pa.nulls(len(values), target))]
            if target == pa.date32():
                meta["precision"] = precision_column(name)
                out.append((precision_column(name), pa.nulls(len(values), pa.string())))
            return out, meta
        arr, prec, meta["python"] = _typed_values(values, target, name)
    except (TypeError, pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as e:
        bad = next((v for v in s.tolist() if not _missing(v)), None)
        raise TableTypeError(f"table {table}, column {name}: cannot store {bad!r} ({type(bad).__name__}) in a "
                             f"column of {_EXPECTED.get(str(target), str(e) or str(target))}") from None
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
    values = col.to_pylist()
    py = meta.get("python")
    if py == "PartialDate":
        cache: dict = {}
        precs = prec.to_pylist() if prec is not None else [None] * len(values)
        values = [cache.setdefault((d, p), _partial(d, p)) if d is not None else None for d, p in zip(values, precs, strict=True)]
    elif py == "int":
        values = [None if v is None else int(v) for v in values]
    elif py == "float":
        values = [None if v is None else float(v) for v in values]
    elif py == "tuple":
        values = [None if v is None else tuple(v) for v in values]
    if meta.get("na") == "nan":
        values = [math.nan if v is None else v for v in values]
    return pd.Series(values, dtype=object)


def to_frame(t: pa.Table) -> pd.DataFrame:
    """The frame a table was written from (:func:`to_arrow`), with its dtypes, Python values,
    missing values, index and ``attrs``."""
    meta = frame_meta(t)
    n = meta["rows"]
    data = {}
    for c in meta["columns"]:
        prec = t.column(c["precision"]) if c.get("precision") else None
        data[c["name"]] = _restore(t.column(c["name"]), prec, c, n)
    df = pd.DataFrame(data, index=pd.RangeIndex(n)) if data else pd.DataFrame(index=pd.RangeIndex(n))
    if meta["index"] == "column":
        df.index = pd.Index(t.column(INDEX_COLUMN).to_numpy())
    df.attrs = meta["attrs"]
    return df
