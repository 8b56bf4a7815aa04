"""Arrow tables of the graph view to the rows a Bolt push sends, one batch at a time.

The push reads the typed Arrow view of the graph tables (:func:`kg.tables.view.graph_tables`)
and turns only the batch it is about to send into Python values: no pandas frame, no Python
object per value of the whole graph. Values are those of ``to_pylist`` (floats, ints, bools,
text, None where empty), but dates travel as ISO text that the statement turns back into a
Neo4j date with ``date()`` (packing a ``datetime.date`` costs the driver a Python call per
value; text is packed natively). A float column's NaN is no value, as an empty cell. A value
that every row of a table has (a derived fact's method text, a source file) is sent once per
batch, not once per row (:func:`split_constants`).

>>> import datetime as dt, pyarrow as pa
>>> t = pa.table({"iri": ["a", "b"], "start": [dt.date(2021, 7, 1), None], "x": pa.nulls(2, pa.float64())})
>>> t = kept_columns(t, ("iri",))
>>> t.column_names, date_columns(t)
(['iri', 'start'], {'start'})
>>> batch_rows(t, 0, 2)
[('a', '2021-07-01'), ('b', None)]
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def kept_columns(t: pa.Table, keep: tuple[str, ...]) -> pa.Table:
    """``t`` without the columns empty in every row (a property no node or link of the table
    has), except ``keep``; ``keep`` first, in that order.

    >>> kept_columns(pa.table({"x": [1, None], "iri": ["a", "b"], "y": pa.nulls(2)}), ("iri",)).column_names
    ['iri', 'x']
    """
    rest = [c for c in t.column_names if c not in keep and t.column(c).null_count < t.num_rows]
    return t.select([*[c for c in keep if c in t.column_names], *rest])


def date_columns(t: pa.Table) -> set[str]:
    """The columns of ``t`` that hold dates (sent as text, turned into dates by ``date()``).

    >>> import datetime as dt
    >>> date_columns(pa.table({"d": [dt.date(2020, 1, 1)], "n": [1]}))
    {'d'}
    """
    return {f.name for f in t.schema if pa.types.is_date(f.type) or pa.types.is_timestamp(f.type)}


def _values(col: pa.ChunkedArray) -> list:
    if pa.types.is_date(col.type):
        col = pc.strftime(col, format="%Y-%m-%d") if not pa.types.is_date32(col.type) else col.cast(pa.string())
    elif pa.types.is_floating(col.type) and col.null_count < len(col):
        nan = pc.is_nan(col)
        if pc.any(nan).as_py():
            col = pc.if_else(nan, pa.scalar(None, col.type), col)
    return col.to_pylist()


def batch_rows(t: pa.Table, start: int, stop: int, prefix: list[np.ndarray] | None = None) -> list[tuple]:
    """Rows ``start`` to ``stop`` of ``t`` as tuples of Python values in column order, after
    the values of ``prefix`` (integer arrays as long as ``t``: a link's end node ids).

    >>> batch_rows(pa.table({"share": [0.5, float("nan"), 1.0]}), 1, 3, [np.array([7, 8, 9])])
    [(8, None), (9, 1.0)]
    """
    part = t.slice(start, stop - start)
    cols = [a[start:stop].tolist() for a in prefix or ()]
    cols += [_values(part.column(i)) for i in range(part.num_columns)]
    return list(zip(*cols, strict=True))


def end_positions(ends: list[pa.ChunkedArray], iris: pa.Array) -> list[np.ndarray]:
    """For each array of node IRIs in ``ends``, the position of each value in ``iris`` (-1
    where it is not there); one hash table of ``iris`` for all of them.

    >>> [p.tolist() for p in end_positions([pa.chunked_array([["b", "x"]]), pa.chunked_array([["a"]])],
    ...                                   pa.array(["a", "b"]))]
    [[1, -1], [0]]
    """
    if not ends:
        return []
    sizes = [len(e) for e in ends]
    chunks = [c for e in ends for c in e.chunks if len(c)]
    if not chunks:
        return [np.empty(0, dtype=np.int64) for _ in ends]
    allends = pa.concat_arrays([c.cast(pa.string()) for c in chunks])
    pos = pc.index_in(allends, value_set=iris).fill_null(-1).to_numpy().astype(np.int64)
    return np.split(pos, np.cumsum(sizes)[:-1])


def _one_value(col: pa.ChunkedArray):
    """The only value of a column's non-empty cells (None if they hold several, or none)."""
    valid = col.drop_null()
    if not len(valid):
        return None
    first = valid[0]
    if pa.types.is_floating(col.type) and first.as_py() != first.as_py():  # NaN
        return None
    return first if pc.all(pc.equal(valid, first)).as_py() else None


def split_constants(t: pa.Table, keep: tuple[str, ...]) -> tuple[pa.Table, dict, set[str]]:
    """``t`` without the columns whose value is the same in every row, those values (as sent:
    dates as ISO text), and the text columns that hold one value or none, whose cells become
    true where they hold it (see :func:`kg.neo4j.push._map_literal`). ``keep`` stay as they are.

    >>> t = pa.table({"iri": ["a", "b"], "m": ["x", "x"], "n": ["long text", None], "s": [1, 2]})
    >>> body, consts, flags = split_constants(t, ("iri",))
    >>> body.column_names, consts, flags, body.column("n").to_pylist()
    (['iri', 'n', 's'], {'m': 'x', 'n': 'long text'}, {'n'}, [True, False])
    """
    consts, flags, cols = {}, set(), {}
    for name in t.column_names:
        col = t.column(name)
        one = None if name in keep or not t.num_rows else _one_value(col)
        if one is not None and not col.null_count:
            v = one.as_py()
            consts[name] = v.isoformat() if pa.types.is_date(col.type) else v
            continue
        if one is not None and (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            flags.add(name)
            consts[name] = one.as_py()
            col = pc.is_valid(col)
        cols[name] = col
    return pa.table(cols) if cols else t.select([]), consts, flags
