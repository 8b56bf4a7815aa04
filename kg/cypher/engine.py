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
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from kg.cypher.dialect import PARAM_PREFIX, ontology_names, translate
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


def run_cypher(graph: EmbeddedGraph, query: str, params: Mapping[str, Any] | None = None,
               types: Mapping[str, str] | None = None, *, value=plain) -> tuple[list[str], list[list]]:
    """Run one Neo4j-dialect query with bound ``params``; ``types`` gives the LadybugDB type of
    parameters that may be null (kg.cypher.dialect.PARAM_TYPES); ``value`` turns each value
    LadybugDB returns into the one in the rows (:func:`plain`). A bad query raises InputError
    naming the problem in one line; other failures KgError."""
    params = dict(params or {})
    nulls = {k: (types or {}).get(k, "STRING") for k, v in params.items() if v is None}
    text = translate(query, nulls, [k for k, v in params.items() if v is not None])
    # LadybugDB 0.22 on several threads returns the rows of a UNION in no stable order, whatever
    # its ORDER BY says (the parts are merged after sorting); one thread keeps the order
    one = _UNION.search(text) is not None
    if one != graph.one_thread:
        graph.conn.set_max_threads_for_exec(1 if one else 0)
        graph.one_thread = one
    try:
        result = graph.conn.execute(text, {PARAM_PREFIX + k: v for k, v in params.items()})
    except RuntimeError as e:
        msg = _first_line(e)
        if any(w in msg for w in ("Parser exception", "Binder exception", "Catalog exception", "Conversion exception",
                                  "Parameter", "parameter")):
            raise InputError(f"bad Cypher for the embedded graph: {msg}") from None
        raise KgError(f"the embedded Cypher query failed: {msg}") from None
    try:
        cols = result.get_column_names()
        rows = [[v if type(v) in _AS_IS else value(v) for v in row] for row in result.get_all()]
    except RuntimeError as e:
        raise KgError(f"the embedded Cypher query failed: {_first_line(e)}") from None
    finally:
        result.close()
    return cols, rows
