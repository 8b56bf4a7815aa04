"""Write a build's property graph into a new embedded LadybugDB database, in bulk.

Each node type and each (relationship type, FROM, TO) pair becomes one Parquet file (typed
per the ontology, :mod:`kg.cypher.schema`) that one ``COPY`` loads; the files are staging and
are removed afterwards. The database is a folder of the build's generation
(``builds/<stamp>/cypher/``), so it is published, held and removed with it.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.neo4j.frames import read_graph
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> report = build_embedded(read_graph(open_store(db)), pathlib.Path(tempfile.mkdtemp()) / "cypher")
>>> report.nodes > 0, report.links["OWNS"] > 0
(True, True)
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kg.cypher.schema import node_columns, node_tables, rel_columns, rel_pairs, schema_statements
from kg.errors import KgError
from kg.neo4j.frames import FROM, TO, GraphFrames
from kg.neo4j.schema import BOOL, DATE, FLOAT, INT, NODE_LABEL, STRING

DB_FILE = "graph.lbdb"
"""The database file inside the ``cypher/`` folder of a generation."""

def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


BUFFER_POOL = max(1 << 30, min(8 << 30, int(_physical_memory() * 0.35)))
"""Buffer pool while the database is built: a bound, taken as the COPYs need it (LadybugDB's
default is ~80% of RAM; 1 GiB ran out at 10^6 firms), between 1 and 8 GiB, 35% of RAM."""

READ_BUFFER_POOL = 4 << 30
"""Buffer pool of a reader: an upper bound, used as queries need it (1 GiB is too little for
the variable-length paths of ultimate-owners at 10^5 firms)."""

_ARROW = {FLOAT: pa.float64(), INT: pa.int64(), BOOL: pa.bool_(), DATE: pa.date32(), STRING: pa.string()}


@dataclass
class LoadReport:
    """What :func:`build_embedded` loaded: nodes per table, links per relationship type."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def nodes(self) -> int:
        return sum(self.tables.values())


def _table(frame: pd.DataFrame, columns: dict[str, str], first: tuple[str, ...] = ()) -> pa.Table:
    """An Arrow table of exactly ``first`` + ``columns`` (absent ones all null), typed."""
    arrays, names = [], []
    for c in first:
        arrays.append(_array(frame[c], pa.string()))
        names.append(c)
    for c, k in columns.items():
        t = _ARROW[k]
        arrays.append(_array(frame[c], t) if c in frame.columns else pa.nulls(len(frame), type=t))
        names.append(c)
    return pa.Table.from_arrays(arrays, names=names)


def _array(values: pd.Series, t: pa.DataType) -> pa.Array:
    """A typed Arrow array of a column, None and NaN as null (vectorised; a column of mixed
    Python values that Arrow will not take that way goes value by value).

    >>> _array(pd.Series([1, None, float("nan")], dtype=object), pa.int64()).to_pylist()
    [1, None, None]
    """
    try:
        return pa.array(values, type=t, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return pa.array([None if v is None or v != v else v for v in values.tolist()], type=t)


def _copy(conn, statement: str, report: LoadReport) -> None:
    """Run one COPY, adding its time to ``report.seconds["copy"]`` (the engine's own share)."""
    t = time.perf_counter()
    try:
        conn.execute(statement)
    except RuntimeError as e:
        first = next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)
        table = statement.split()[1]
        raise KgError(f"the embedded Cypher database could not load {table}: {first} (buffer pool "
                      f"{BUFFER_POOL >> 20} MiB); the graph in the database folder was left as it was") from None
    report.seconds["copy"] = report.seconds.get("copy", 0.0) + time.perf_counter() - t


def build_embedded(frames: GraphFrames, folder: Path) -> LoadReport:
    """Create the database in ``folder`` (new) from ``frames``: schema, then one COPY per file.

    Links whose ends are not nodes of the frames, or whose pair of node types the ontology does
    not allow, are left out with a warning (none are expected: the frames come from one graph).
    """
    import ladybug

    t0 = time.perf_counter()
    folder.mkdir(parents=True)
    staging = folder / "staging"
    staging.mkdir()
    report = LoadReport(path=folder / DB_FILE)
    # one checkpoint when the database is closed, not one per COPY (each costs ~0.1 s on its own)
    db = ladybug.Database(str(report.path), buffer_pool_size=BUFFER_POOL, auto_checkpoint=False)
    conn = ladybug.Connection(db)
    try:
        for stmt in schema_statements():
            conn.execute(stmt)
        t1 = time.perf_counter()
        report.seconds["schema"] = t1 - t0

        tables = set(node_tables())
        types = []  # iri -> node table, for the links' ends
        for labels, frame in frames.nodes.items():
            nt = next(x for x in labels if x != NODE_LABEL)
            if nt not in tables:
                report.warnings.append(f"nodes labelled {':'.join(labels)} have no node table; not loaded")
                continue
            cols = node_columns(nt)
            extra = sorted(set(frame.columns) - set(cols))
            if extra:
                report.warnings.append(f"{nt}: columns {', '.join(extra)} are not in the ontology; not loaded")
            path = staging / f"{nt}.parquet"
            pq.write_table(_table(frame, cols), path)
            _copy(conn, f"COPY {nt} FROM '{path}'", report)
            report.tables[nt] = report.tables.get(nt, 0) + len(frame)
            types.append(pd.Series(nt, index=frame["iri"].tolist()))
        node_type = pd.concat(types) if types else pd.Series(dtype=object)
        node_type = node_type[~node_type.index.duplicated()]
        t2 = time.perf_counter()
        report.seconds["nodes"] = t2 - t1

        pairs = rel_pairs()
        for rel, frame in frames.links.items():
            if rel not in pairs:
                report.warnings.append(f"links {rel} have no relationship table; not loaded")
                continue
            if not len(frame):
                continue
            cols = rel_columns(rel)
            ends = pd.DataFrame({"a": frame[FROM].map(node_type), "b": frame[TO].map(node_type)})
            missing = int(ends.isna().any(axis=1).sum())
            if missing:
                report.warnings.append(f"{missing} {rel} link(s) with an end that is not a node; not loaded")
            n = 0
            for (a, b), idx in ends.dropna().groupby(["a", "b"]).groups.items():
                if (a, b) not in pairs[rel]:
                    report.warnings.append(f"{len(idx)} {rel} link(s) from {a} to {b}, which the ontology "
                                           f"does not allow; not loaded")
                    continue
                path = staging / f"{rel}-{a}-{b}.parquet"
                pq.write_table(_table(frame.loc[idx], cols, first=(FROM, TO)), path)
                opts = f" (from='{a}', to='{b}')" if len(pairs[rel]) > 1 else ""
                _copy(conn, f"COPY {rel} FROM '{path}'{opts}", report)
                n += len(idx)
            report.links[rel] = n
        report.seconds["links"] = time.perf_counter() - t2
    finally:
        t3 = time.perf_counter()
        conn.close()
        db.close()  # the checkpoint
        report.seconds["close"] = time.perf_counter() - t3
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds["total"] = time.perf_counter() - t0
    return report


__all__ = ["DB_FILE", "BUFFER_POOL", "READ_BUFFER_POOL", "LoadReport", "build_embedded"]
