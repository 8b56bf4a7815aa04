"""Open the live graph's embedded Cypher database and run queries on it, parameters bound.

:func:`open_graph` holds the live generation like :func:`kg.rdf.store.open_store` (a build
removes no generation a reader holds) and opens its ``cypher/`` database read-only.
:func:`run_cypher` translates the Neo4j-dialect text (:mod:`kg.cypher.dialect`), binds the
parameters and returns ``(columns, rows)`` of plain values shaped like ``kg cypher``'s Neo4j
answers: nodes as their properties plus ``labels`` (all of them, as Neo4j would carry them),
relationships as their properties plus ``type``, dates as ISO text.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> g = open_graph(db)
>>> run_cypher(g, "MATCH (p:Programme {tier: $t}) RETURN p.code AS code", {"t": 4})
(['code'], [['manufacturing_champion']])
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import sys
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from kg.cypher.dialect import PARAM_PREFIX, ontology_names, split_order, translate
from kg.dbfolder import hold_graph
from kg.errors import InputError, KgError
from kg.rdf.store import StoreError

CYPHER = "cypher"
"""The embedded Cypher database's folder in a generation."""

# the loader's names (kg.cypher.load, tested equal), not imported from it: it imports pandas and
# pyarrow, half a second of a query's process start
DB_FILE = "graph.lbdb"
"""The database file inside the ``cypher/`` folder of a generation."""

READ_BUFFER_POOL = 4 << 30
"""Buffer pool of a reader: an upper bound, used as queries need it (1 GiB is too little for
the variable-length paths of ultimate-owners at 10^5 firms)."""


def cypher_dir(gen: Path) -> Path:
    """Where a generation keeps its embedded Cypher database."""
    return gen / CYPHER


class EmbeddedGraph:
    """An open read-only database of a held generation; :meth:`close` releases both."""

    def __init__(self, path: Path, fd: int | None = None):
        import ladybug

        self.path, self._fd = path, fd
        self.db = ladybug.Database(str(path), read_only=True, buffer_pool_size=READ_BUFFER_POOL)
        self.conn = ladybug.Connection(self.db)
        self.one_thread = False  # the connection's setting (see run_cypher)

    def close(self) -> None:
        self.conn.close()
        self.db.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None


def open_graph(db: Path) -> EmbeddedGraph:
    """The live generation's embedded Cypher database, held and opened read-only."""
    gen, fd = hold_graph(db, StoreError)
    path = cypher_dir(gen) / DB_FILE
    if not path.exists():
        os.close(fd)
        raise StoreError(f"the graph in {db} has no embedded Cypher database (built by an earlier kg); "
                         "run 'kg build' again, or use --backend neo4j")
    try:
        return EmbeddedGraph(path, fd)
    except RuntimeError as e:
        os.close(fd)
        raise StoreError(f"cannot open the embedded Cypher database of {db}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    lines = [x.strip() for x in str(e).splitlines() if x.strip()]
    return lines[0] if lines else type(e).__name__


_UNION = re.compile(r"\bUNION\b", re.IGNORECASE)

_AS_IS = frozenset({str, int, bool, type(None)})
"""Types whose values every ``value`` converter of :func:`run_cypher` keeps as they are."""


def plain(v: Any) -> Any:
    """A LadybugDB value as a plain Python value, shaped like :func:`kg.neo4j.cypher.plain`.

    >>> plain({"_ID": {"offset": 0, "table": 0}, "_LABEL": "Programme", "iri": "x", "code": "lg", "tier": None})
    {'code': 'lg', 'iri': 'x', 'labels': ['KgNode', 'Programme']}
    >>> plain([dt.date(2021, 7, 1), Decimal("0.5")])
    ['2021-07-01', 0.5]
    """
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        if "_LABEL" in v and "_ID" in v:
            out = {k: plain(x) for k, x in sorted(v.items()) if not k.startswith("_") and x is not None}
            if "_SRC" in v:
                out["type"] = v["_LABEL"]
            else:
                out["labels"] = sorted(ontology_names()[1].get(v["_LABEL"], (v["_LABEL"],)))
            return out
        if "_nodes" in v and "_rels" in v:
            return {"nodes": [plain(n) for n in v["_nodes"]], "relationships": [plain(r) for r in v["_rels"]]}
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.time, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    return str(v)


COLUMNAR = frozenset({"STRING", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8", "SERIAL",
                      "BOOL", "DOUBLE", "FLOAT", "DATE"})
"""LadybugDB result types read as Arrow columns (:func:`_columns`); a result with any other
(nodes, relationships, lists, intervals ...) is read row by row."""


def run_cypher(graph: EmbeddedGraph, query: str, params: Mapping[str, Any] | None = None,
               types: Mapping[str, str] | None = None, *, value=plain, columnar: bool | None = None
               ) -> tuple[list[str], list[list]]:
    """Run one Neo4j-dialect query with bound ``params``; ``types`` gives the LadybugDB type of
    parameters that may be null (kg.cypher.dialect.PARAM_TYPES); ``value`` turns each value
    LadybugDB returns into the one in the rows (:func:`plain`). A bad query raises InputError
    naming the problem in one line; other failures KgError.

    Results of plain values (:data:`COLUMNAR`) are read as Arrow columns, each distinct value
    of a column through ``value`` once, and a final ORDER BY of returned columns is done on
    them (:func:`kg.cypher.dialect.split_order`): at 10^5 firms LadybugDB spends more time
    sorting 60,000 rows by text and Python more turning them into rows one value at a time
    than the query takes. Where pyarrow is not loaded yet (a command's first query) LadybugDB
    sorts and only a result of :data:`ARROW_ROWS` or more is read by Arrow. Either way the rows
    are the same (``columnar`` True or False forces one way for plain values, the ORDER BY done
    outside LadybugDB: by Arrow or in Python)."""
    params = dict(params or {})
    nulls = tuple(sorted((k, (types or {}).get(k, "STRING")) for k, v in params.items() if v is None))
    texts = tuple(sorted((k, v if isinstance(v, str) else None) for k, v in params.items() if v is not None))
    text, unsorted, keys = _texts(query, nulls, texts)
    bound = {PARAM_PREFIX + k: v for k, v in params.items()}
    # sorted outside LadybugDB where pyarrow is loaded already (a server, a report, a second
    # query), by two keys or more: LadybugDB sorts by one key fast, and plans some queries worse
    # without their ORDER BY, so a command's first query keeps it unless the result is large
    if columnar is None and (len(keys) < 2 or "pyarrow" not in sys.modules):
        unsorted, keys = text, []
    result = _execute(graph, unsorted, bound)
    try:
        cols = result.get_column_names()
        plain_values = all(t in COLUMNAR for t in result.get_column_data_types())
        if columnar is None:
            columnar = "pyarrow" in sys.modules or result.get_num_tuples() >= ARROW_ROWS
        if plain_values and columnar:
            table = result.get_as_arrow()
            try:
                return cols, _columns(table, keys, value)
            except _Unsortable:
                result.close()
                result = _execute(graph, text, bound)
                keys = []
        elif keys and not plain_values:  # LadybugDB sorts, and the rows are read one by one
            result.close()
            result = _execute(graph, text, bound)
            keys = []
        collecting = gc.isenabled()
        gc.disable()  # (as in _columns)
        try:
            rows = result.get_all()
            if keys:
                rows = _sorted_rows(rows, [(cols.index(k), desc, fill) for k, desc, fill in keys])
            rows = [[v if type(v) in _AS_IS else value(v) for v in row] for row in rows]
        finally:
            if collecting:
                gc.enable()
    except RuntimeError as e:
        raise KgError(f"the embedded Cypher query failed: {_first_line(e)}") from None
    finally:
        result.close()
    return cols, rows


ARROW_ROWS = 50_000
"""From this many rows a result is read as Arrow columns even when pyarrow is not loaded yet.
Its import, with numpy's, costs 0.15-0.3 s once: a command's only query of 60,000 rows (10^5
firms) gains back about half of it, a process that runs more (kg serve, kg report, a notebook)
all of it from the second on, and a query of 600,000 rows (10^6 firms) far more."""


def _sorted_rows(rows: list[list], keys: list[tuple[int, bool, Any]]) -> list[list]:
    """Rows of plain values sorted as Cypher's ORDER BY: by column ``(index, descending, value
    for null)`` (nulls last ascending, first descending); stable, one pass per run of keys of
    one direction, the last run first.

    >>> _sorted_rows([["b", 2], [None, 1], ["a", None]], [(0, True, None)])
    [[None, 1], ['b', 2], ['a', None]]
    >>> _sorted_rows([["b", 2], [None, 1], ["a", None]], [(1, False, -1), (0, False, None)])
    [['a', None], [None, 1], ['b', 2]]
    """
    runs: list[tuple[list[tuple[int, Any]], bool]] = []
    for i, desc, fill in keys:
        if runs and runs[-1][1] == desc:
            runs[-1][0].append((i, fill))
        else:
            runs.append(([(i, fill)], desc))
    for run, desc in reversed(runs):
        # (is null, value): nulls after values ascending, before them descending; fill stands for null
        def key(r, run=run):
            return tuple((False, fill if r[i] is None else r[i]) if fill is not None else (r[i] is None, r[i])
                         for i, fill in run)
        rows = sorted(rows, key=key, reverse=desc)
    return rows


class _Unsortable(Exception):
    """Arrow cannot sort by a key as asked (a literal of another type than its column)."""


@lru_cache(maxsize=256)
def _texts(query: str, nulls: tuple, texts: tuple) -> tuple[str, str, list]:
    """The translated query, and without its final ORDER BY with that ORDER BY's keys, for the
    parameters bound to null (name, type) and to values (name, the value if text): the same for
    every run of a query with such parameters."""
    text = translate(query, dict(nulls), {k: v if v is not None else 0 for k, v in texts})
    unsorted, keys = split_order(text)
    return text, unsorted, keys


def _execute(graph: EmbeddedGraph, text: str, bound: Mapping[str, Any]):
    # LadybugDB 0.22 on several threads returns the rows of a UNION in no stable order, whatever
    # its ORDER BY says (the parts are merged after sorting); one thread keeps the order
    one = _UNION.search(text) is not None
    if one != graph.one_thread:
        graph.conn.set_max_threads_for_exec(1 if one else 0)
        graph.one_thread = one
    try:
        return graph.conn.execute(text, dict(bound))
    except RuntimeError as e:
        msg = _first_line(e)
        if any(w in msg for w in ("Parser exception", "Binder exception", "Catalog exception", "Conversion exception",
                                  "Parameter", "parameter")):
            raise InputError(f"bad Cypher for the embedded graph: {msg}") from None
        raise KgError(f"the embedded Cypher query failed: {msg}") from None


def _columns(table, keys: list[tuple[str, bool, Any]], value) -> list[list]:
    """Rows of an Arrow result, sorted by ``keys`` (``(column, descending, value for null)``,
    Cypher's order: nulls last ascending, first descending; text by code point, as LadybugDB).

    >>> import pyarrow as pa
    >>> t = pa.table({"a": ["b", None, "a"], "d": [dt.date(2021, 1, 2), None, dt.date(2020, 5, 1)]})
    >>> _columns(t, [("a", False, None)], plain), _columns(t, [("d", True, dt.date(1, 1, 1))], plain)
    ([['a', '2020-05-01'], ['b', '2021-01-02'], [None, None]], [['b', '2021-01-02'], ['a', '2020-05-01'], [None, None]])
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if keys and table.num_rows > 1:
        sort, by = {}, []
        try:
            for i, (name, desc, fill) in enumerate(keys):
                col = table.column(name)
                direction = "descending" if desc else "ascending"
                if fill is not None:
                    col = pc.fill_null(col, pa.scalar(fill).cast(col.type))
                elif col.null_count:  # where the nulls go: a key of its own
                    sort[f"n{i}"] = pc.is_null(col)
                    by.append((f"n{i}", direction))
                sort[f"k{i}"] = col
                by.append((f"k{i}", direction))
            order = pc.sort_indices(pa.table(sort), sort_keys=by)
        except (pa.ArrowException, TypeError, ValueError) as e:
            raise _Unsortable(str(e)) from None
        table = table.take(order)
    many = getattr(value, "many", None)  # the converter of a list of values, if it has one
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of new objects, none cyclic: no collection passes over the heap
    try:
        columns = []
        for col in table.columns:
            t = col.type
            if pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_null(t) or pa.types.is_string(t) \
                    or pa.types.is_large_string(t) or not len(col):
                columns.append(col.to_pylist())
                continue
            # dates, numbers: each distinct value made a Python value (and converted) once
            enc = pc.dictionary_encode(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
            distinct = enc.dictionary.to_pylist()
            distinct = many(distinct) if many is not None else [value(v) for v in distinct]
            idx = enc.indices.fill_null(len(distinct)).to_numpy(zero_copy_only=False)
            columns.append(np.array([*distinct, None], dtype=object)[idx].tolist())
        return list(map(list, zip(*columns, strict=True))) if columns else []
    finally:
        if collecting:
            gc.enable()
