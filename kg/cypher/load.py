"""Write a build's property graph into a new embedded LadybugDB database, in bulk.

Each node type and each (relationship type, FROM, TO) pair becomes Parquet files (typed per the
ontology, :mod:`kg.cypher.schema`; at most :data:`COPY_ROWS` rows each) that ``COPY`` loads; the
files are staging and are removed once loaded. The database is a folder of the build's generation
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
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kg.ahead import prefetched
from kg.cypher.copier import CopyProcess, open_for_writing
from kg.cypher.schema import (
    node_columns,
    node_tables,
    rel_columns,
    rel_pairs,
    row_keyed,
    schema_statements,
)
from kg.errors import KgError
from kg.memory import give_back
from kg.neo4j.frames import FROM, TO, GraphFrames
from kg.neo4j.schema import BOOL, DATE, FLOAT, INT, NODE_LABEL, STRING
from kg.tables.view import GraphTables

DB_FILE = "graph.lbdb"
"""The database file inside the ``cypher/`` folder of a generation."""

def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


BUFFER_POOL = max(512 << 20, min(2 << 30, int(_physical_memory() * 0.25)))
"""Buffer pool while the database is built: a bound, taken as the COPYs need it (LadybugDB's
default is ~80% of RAM), a quarter of RAM between 512 MiB and 2 GiB. Pages written since the
last checkpoint cannot be evicted, so :func:`_run_copies` checkpoints before they would fill it."""

CHECKPOINT_SHARE = 0.5
"""Checkpoint before the pages written since the last one would pass this share of the pool."""

COPY_ROWS = 1_000_000
"""At most this many rows per COPY (a larger table is appended in parts), so that one COPY's
pages fit in the pool."""

ROW_GROUP = 32_768
"""Rows per row group of a staging file: LadybugDB reads a Parquet file's row groups on threads of
their own, so a file of one row group is COPYed on one core (at 10^6 firms the COPYs alone took
75.8 s that way, 53.3 s with row groups of this size; docs/benchmarks.md, session 13)."""

READ_AHEAD = 2
"""How many staging files a thread of its own (:func:`kg.ahead.prefetched`) may have ready
while LadybugDB COPYs one (0: one thread does both, in turn). That thread makes each table of the
graph's view, finds its links' ends and writes its staging files, so the Python work of the stage
runs on one core while the COPYs run on another (in a process of their own, kg.cypher.copier:
LadybugDB keeps Python's lock through a COPY). One table is held
at a time either way (the files wait on disk); the row-keyed tables' IRIs go after their links
(:meth:`_Ends.forget`)."""

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


@dataclass
class _Copy:
    """One staging file to COPY into ``table`` (``options``: a relationship's FROM and TO), and
    about how many bytes of pages it writes."""

    table: str
    path: Path
    options: str
    size: int


class _Stager:
    """Writes staging files of at most :data:`COPY_ROWS` rows each, as :class:`_Copy` jobs."""

    def __init__(self, staging: Path):
        self.staging = staging
        self.files = 0

    def files_of(self, table: str, t: pa.Table, options: str = "") -> Iterator[_Copy]:
        for start in range(0, t.num_rows, COPY_ROWS):
            path = self.staging / f"{self.files}.parquet"
            self.files += 1
            pq.write_table(t.slice(start, COPY_ROWS), path, compression="none", row_group_size=ROW_GROUP)
            # a relationship is stored in both directions: about twice its file's bytes
            size = path.stat().st_size * (2 if options or table in rel_pairs() else 1)
            yield _Copy(table, path, options, size)


def _run_copies(conn, jobs: Iterable[_Copy], report: LoadReport, pool: int) -> None:
    """COPY each staging file and remove it, checkpointing when the pages written since the last
    checkpoint (estimated from the files' bytes) would take :data:`CHECKPOINT_SHARE` of the pool."""
    pending = 0
    for job in jobs:
        if pending and pending + job.size > pool * CHECKPOINT_SHARE:
            _run(conn, "CHECKPOINT", "checkpoint", job.table, report, pool)
            pending = 0
        _run(conn, f"COPY {job.table} FROM '{job.path}'{job.options}", "copy", job.table, report, pool)
        pending += job.size
        job.path.unlink()


def _run(conn, statement: str, what: str, table: str, report: LoadReport, pool: int) -> None:
    t = time.perf_counter()
    try:
        conn.execute(statement)
    except RuntimeError as e:
        first = next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)
        raise KgError(f"the embedded Cypher database could not load {table}: {first} (buffer pool "
                      f"{pool >> 20} MiB); the graph in the database folder was left as it was") from None
    report.seconds[what] = report.seconds.get(what, 0.0) + time.perf_counter() - t


def _typed(t: pa.Table, columns: dict[str, str], first: tuple[str, ...] = ()) -> pa.Table:
    """An Arrow table of exactly ``first`` + ``columns`` (absent ones all null), cast to their types."""
    arrays, names = [], []
    for c, typ in [*((c, pa.string()) for c in first), *((c, _ARROW[k]) for c, k in columns.items())]:
        if c in t.column_names:
            col = t.column(c)
            arrays.append(col if col.type == typ else col.cast(typ))
        else:
            arrays.append(pa.nulls(t.num_rows, type=typ))
        names.append(c)
    return pa.Table.from_arrays(arrays, names=names)


def _as_arrow(graph: GraphTables | GraphFrames) -> GraphTables:
    """Pandas frames (as :func:`kg.neo4j.frames.read_graph` reads them from a store) as Arrow
    tables of their columns; Arrow tables as they are."""
    if isinstance(graph, GraphTables):
        return graph
    kinds = graph.kinds

    def arrow(frame: pd.DataFrame) -> pa.Table:
        return pa.Table.from_arrays(
            [_array(frame[c], _ARROW.get(kinds.get(c, STRING), pa.string()) if c not in (FROM, TO, "iri")
                    else pa.string()) for c in frame.columns], names=list(frame.columns))

    return GraphTables(nodes={k: arrow(f) for k, f in graph.nodes.items()},
                       links={k: arrow(f) for k, f in graph.links.items()}, warnings=list(graph.warnings))


def _not_null(t: pa.Table, c: str) -> bool:
    return t.column(c).null_count < t.num_rows


class _Ends:
    """Which node table each link end is in, and its row in that table. A column that is a
    node table's IRI column itself (REPORTED's financial years, HAS_OWNERSHIP's assessments, as
    the view makes them) is that table's rows in order; otherwise one hash lookup per run of
    equal values (a column grouped by its value, like REPORTED's firms, is looked up once per
    run) over the IRIs of the node tables the ontology allows there (any node table for the few
    that miss). Node tables' IRIs are added in the order they are loaded."""

    def __init__(self, offsets: dict[str, int] | None = None):
        self.names: list[str] = []
        self.iris: dict[str, list[pa.Array]] = {}
        self._sets: dict[tuple[str, ...], tuple[pa.Array, np.ndarray]] = {}
        self.offsets = offsets or {}  # rows a row-keyed table had before (an appending load)

    def add(self, nt: str, iris: pa.ChunkedArray) -> None:
        if nt not in self.iris:
            self.names.append(nt)
        self.iris.setdefault(nt, []).extend(iris.chunks)
        self._sets = {k: v for k, v in self._sets.items() if nt not in k}

    def forget(self, nt: str) -> None:
        """Let the IRIs of a node table go: no link still to load may end there."""
        self.iris.pop(nt, None)
        self._sets = {k: v for k, v in self._sets.items() if nt not in k}

    def _value_set(self, among: tuple[str, ...]) -> tuple[pa.Array, np.ndarray]:
        if among not in self._sets:
            # few sets at a time: each is a copy of its tables' IRIs (the entity tables' one stays
            # while the links are loaded; the large row-keyed tables are matched whole, _whole)
            while len(self._sets) > 1:
                self._sets.pop(next(iter(self._sets)))
            chunks = [c for nt in among for c in self.iris[nt]]
            sizes = np.cumsum([0] + [sum(len(c) for c in self.iris[nt]) for nt in among])
            self._sets[among] = (pa.concat_arrays(chunks) if chunks else pa.array([], pa.string()), sizes)
        return self._sets[among]

    def _whole(self, col: pa.ChunkedArray, among: tuple[str, ...]) -> str | None:
        """The table among ``among`` whose IRI column ``col`` is, value for value (None if none)."""
        for nt in among:
            chunks = self.iris[nt]
            if sum(len(c) for c in chunks) == len(col) and len(col) and \
                    pa.chunked_array(chunks, pa.string()).equals(col.cast(pa.string())):
                return nt
        return None

    def types(self, col: pa.ChunkedArray, among: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The index in ``self.names`` of each value's node table among ``among`` (-1 where none)
        and the value's row in that table."""
        return self.both(col, among, None, among)[:2]

    def both(self, a: pa.ChunkedArray, among_a: list[str], b: pa.ChunkedArray | None,
             among_b: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`types` of the two ends of links, in one lookup where they are among the same
        tables (each lookup hashes the tables' IRIs anew)."""
        found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        heads: dict[tuple[str, ...], list[tuple[int, pa.Array, np.ndarray | None]]] = {}
        for side, (col, among) in enumerate(((a, among_a), (b, among_b))):
            if col is None:
                continue
            among = tuple(nt for nt in among if nt in self.iris)
            n = len(col)
            whole = self._whole(col, among) if among else None
            if not among:
                found[side] = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
            elif whole is not None:
                found[side] = (np.full(n, self.names.index(whole), dtype=np.int64),
                               np.arange(n, dtype=np.int64) + self.offsets.get(whole, 0))
            else:
                heads.setdefault(among, []).append((side, *_runs(col)))
        for among, cols in heads.items():
            out, rows = self._lookup(pa.concat_arrays([c for _, c, _ in cols]), among)
            at = 0
            for side, c, starts in cols:
                o, r = out[at:at + len(c)], rows[at:at + len(c)]
                at += len(c)
                if starts is not None:
                    reps = np.diff(np.append(starts, len(a if side == 0 else b)))
                    o, r = np.repeat(o, reps), np.repeat(r, reps)
                found[side] = o, r
        empty = np.empty(0, dtype=np.int64)
        return (*found[0], *found.get(1, (empty, empty)))

    def _lookup(self, col: pa.Array, among: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        out = np.full(len(col), -1, dtype=np.int64)
        rows = np.full(len(col), -1, dtype=np.int64)
        values, sizes = self._value_set(among)
        pos = pc.index_in(col, value_set=values).to_numpy(zero_copy_only=False)
        hit = ~np.isnan(pos) if pos.dtype.kind == "f" else pos >= 0
        at = pos[hit].astype(np.int64)
        which = np.searchsorted(sizes, at, side="right") - 1
        code = np.array([self.names.index(nt) for nt in among], dtype=np.int64)
        off = np.array([self.offsets.get(nt, 0) for nt in among], dtype=np.int64)
        out[hit] = code[which]
        rows[hit] = at - sizes[which] + off[which]
        return out, rows


def _runs(col: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray | None]:
    """The first value of each run of equal values of ``col`` and where the runs start (None,
    with ``col`` whole, where runs are short: most values differ from the one before).

    >>> v, at = _runs(pa.chunked_array([["a", "a", "a", "b", "b", None, None]]))
    >>> v.to_pylist(), at.tolist()
    (['a', 'b', None, None], [0, 3, 5, 6])
    """
    flat = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    n = len(flat)
    if pa.types.is_dictionary(flat.type):
        flat = flat.cast(flat.type.value_type)
    if flat.type != pa.string():
        flat = flat.cast(pa.string())
    if n > 1:
        change = pc.fill_null(pc.not_equal(flat.slice(1), flat.slice(0, n - 1)), True)
        change = change.to_numpy(zero_copy_only=False)
        if change.sum() < 0.7 * n:
            starts = np.concatenate([[0], np.flatnonzero(change) + 1])
            return flat.take(pa.array(starts)), starts
    return flat, None


Item = tuple[str, object, "pa.Table | None"]


def _items(graph: GraphTables | GraphFrames | Iterable[Item]) -> Iterator[Item]:
    """``("node", labels, table)``, ``("link", rel, table)`` and ``("warning", text, None)`` of a
    graph given whole (taking its tables out of it) or as :func:`kg.tables.view.iter_graph` makes it."""
    if isinstance(graph, GraphFrames):
        graph = _as_arrow(graph)
    if not isinstance(graph, GraphTables):
        yield from graph
        return
    for w in graph.warnings:
        yield "warning", w, None
    for kind, tables in (("node", graph.nodes), ("link", graph.links)):
        while tables:
            key = next(iter(tables))
            yield kind, key, tables.pop(key)


def build_embedded(graph: GraphTables | GraphFrames | Iterable[Item], folder: Path,
                   pool: int | None = None) -> LoadReport:
    """Create the database in ``folder`` (new) from ``graph``: schema, then COPYs, each table let
    go once loaded (a :class:`GraphTables` is emptied; :func:`kg.tables.view.iter_graph` makes
    them one at a time). ``pool``: the buffer pool in bytes (default :data:`BUFFER_POOL`).

    Links whose ends are not nodes of the graph, or whose pair of node types the ontology does
    not allow, are left out with a warning (none are expected: the tables are one graph).
    """
    t0 = time.perf_counter()
    folder.mkdir(parents=True)
    staging = folder / "staging"
    staging.mkdir()
    report = LoadReport(path=folder / DB_FILE)
    pool = pool or BUFFER_POOL
    # the database is written by a process of its own (kg.cypher.copier, open_for_writing), so that the COPYs, which keep Python's lock in this process,
    # run on one core while this one makes the staging files on the other
    conn = CopyProcess(report.path, pool)
    try:
        for stmt in schema_statements():
            conn.execute(stmt)
        report.seconds["schema"] = time.perf_counter() - t0
        jobs = _copies(_Stager(staging), _items(graph), _Ends(), report)
        _run_copies(conn, prefetched(jobs, depth=READ_AHEAD, name="kg-cypher-stage") if READ_AHEAD else jobs,
                    report, pool)
        t3 = time.perf_counter()
        try:
            conn.close()  # the last checkpoint
        except RuntimeError as e:
            raise KgError(f"the embedded Cypher database could not be closed: {str(e).splitlines()[0]}; the graph "
                          f"in the database folder was left as it was") from None
        report.seconds["close"] = time.perf_counter() - t3
    finally:
        conn.kill()  # where the load stopped early; nothing where it closed
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds["total"] = time.perf_counter() - t0
    return report


def _copies(stager: _Stager, items: Iterable[Item], ends: _Ends, report: LoadReport,
            old_nodes=None) -> Iterator[_Copy]:
    """The staging files of ``items``, in order; each table is let go once its files are written.
    ``old_nodes(iris)``: the node tables of IRIs the database had before (an appending load)."""
    tables, pairs, keyed = set(node_tables()), rel_pairs(), row_keyed()
    to_come = set(pairs)  # the link types not loaded yet
    for kind, key, t in items:
        if kind == "warning":
            report.warnings.append(str(key))
        elif kind == "node":
            yield from _timed(_node_files(stager, key, t, tables, ends, report), report, "nodes")
        else:
            yield from _timed(_link_files(stager, key, t, pairs, keyed, ends, report, old_nodes), report, "links")
            to_come.discard(key)
            # the IRIs of a row-keyed table (7 M financial years at 10^6 firms) go once no link
            # type still to come may end there: no source names those nodes
            for nt in [nt for nt in ends.iris if nt in keyed]:
                if not any(nt in pair for rel in to_come for pair in pairs[rel]):
                    ends.forget(nt)
        del t
        give_back()  # the table's pages (Arrow's pool and glibc keep them otherwise)


def _timed(jobs: Iterator[_Copy], report: LoadReport, what: str) -> Iterator[_Copy]:
    """``jobs``, the seconds spent making them (not those waiting for the COPYs) added to
    ``report.seconds[what]``."""
    t = time.perf_counter()
    for job in jobs:
        report.seconds[what] = report.seconds.get(what, 0.0) + time.perf_counter() - t
        yield job
        t = time.perf_counter()
    report.seconds[what] = report.seconds.get(what, 0.0) + time.perf_counter() - t


class CopiedDatabase:
    """The database file of the folder ``old`` being copied into the new folder ``folder`` by a
    thread: an incremental build starts it first, so that the copy (the whole database, 0.2-2 s
    at 10^5 firms) runs beside its load, resolve and derive instead of after them.

    >>> import tempfile
    >>> old, new = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "cypher"
    >>> _ = (old / DB_FILE).write_bytes(b"graph")
    >>> c = CopiedDatabase(old, new)
    >>> c.wait() >= 0, (new / DB_FILE).read_bytes()
    (True, b'graph')
    """

    def __init__(self, old: Path, folder: Path):
        folder.mkdir(parents=True)
        self.path = folder / DB_FILE
        self.seconds = 0.0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._copy, args=(old / DB_FILE,), name="kg-cypher-copy", daemon=True)
        self._thread.start()

    def _copy(self, source: Path) -> None:
        t = time.perf_counter()
        try:
            shutil.copyfile(source, self.path)  # a closed database is one file (checkpointed)
        except BaseException as e:  # raised to whoever waits
            self._error = e
        self.seconds = time.perf_counter() - t

    def wait(self) -> float:
        """Wait for the copy; its seconds (an error of the copy is raised here)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.seconds


def append_embedded(graph: GraphTables | Iterable[Item], old: Path, folder: Path, pool: int | None = None,
                    copied: CopiedDatabase | None = None) -> LoadReport:
    """A copy of the database in the folder ``old`` (a live generation's, never written) in the
    new folder ``folder``, with the nodes and links of ``graph`` added: what an incremental build
    adds (kg.incremental). A link end that is not a node of ``graph`` is looked up among the
    nodes the database had; row-keyed nodes are numbered on from the rows their table had.
    ``copied``: that copy, started before (:class:`CopiedDatabase`); else it is made here.
    ``report`` counts what was added.
    """
    t0 = time.perf_counter()
    copied = copied or CopiedDatabase(old, folder)
    report = LoadReport(path=copied.path)
    report.seconds["file copy"] = copied.wait()
    report.seconds["file copy waited"] = time.perf_counter() - t0
    staging = folder / "staging"
    staging.mkdir()
    pool = pool or BUFFER_POOL
    db, conn = open_for_writing(report.path, pool)  # here: old_nodes asks it between COPYs
    keyed = row_keyed()
    plain = [nt for nt in node_tables() if nt not in keyed]

    def old_nodes(iris: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for nt in plain:  # table names come from the ontology; the IRIs are a parameter (one key lookup each)
            rows = conn.execute(f"UNWIND $iris AS i MATCH (n:{nt} {{iri: i}}) RETURN n.iri", {"iris": iris}).get_all()
            if rows:
                found[nt] = [r[0] for r in rows]
        return found

    try:
        offsets = {nt: conn.execute(f"MATCH (n:{nt}) RETURN count(n)").get_all()[0][0] for nt in sorted(keyed)}
        # in turn, not read ahead: old_nodes asks the database, which must not be COPYing then
        _run_copies(conn, _copies(_Stager(staging), _items(graph), _Ends(offsets), report, old_nodes), report, pool)
    finally:
        t3 = time.perf_counter()
        conn.close()
        db.close()
        report.seconds["close"] = time.perf_counter() - t3
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds["total"] = time.perf_counter() - t0
    return report


def _node_files(stager: _Stager, labels: tuple[str, ...], t: pa.Table, tables: set[str], ends: _Ends,
                report: LoadReport) -> Iterator[_Copy]:
    nt = next(x for x in labels if x != NODE_LABEL)
    if nt not in tables:
        report.warnings.append(f"nodes labelled {':'.join(labels)} have no node table; not loaded")
        return
    cols = node_columns(nt)
    extra = sorted(c for c in t.column_names if c not in cols and _not_null(t, c))
    if extra:
        report.warnings.append(f"{nt}: columns {', '.join(extra)} are not in the ontology; not loaded")
    yield from stager.files_of(nt, _typed(t, cols))
    report.tables[nt] = report.tables.get(nt, 0) + t.num_rows
    ends.add(nt, t.column("iri"))


def _link_files(stager: _Stager, rel: str, t: pa.Table, pairs: dict, keyed: frozenset[str], ends: _Ends,
                report: LoadReport, old_nodes=None) -> Iterator[_Copy]:
    if rel not in pairs:
        report.warnings.append(f"links {rel} have no relationship table; not loaded")
        return
    if not t.num_rows:
        return
    cols = rel_columns(rel)
    from_among, to_among = sorted({x for x, _ in pairs[rel]}), sorted({y for _, y in pairs[rel]})
    a, a_row, b, b_row = ends.both(t.column(FROM), from_among, t.column(TO), to_among)
    miss = (a < 0) | (b < 0)
    if miss.any() and old_nodes is not None:  # ends among the nodes the database had before
        gone = pa.concat_arrays([t.column(FROM).filter(pa.array(a < 0)).combine_chunks(),
                                 t.column(TO).filter(pa.array(b < 0)).combine_chunks()])
        for nt, iris in old_nodes(pc.unique(gone).to_pylist()).items():
            ends.add(nt, pa.chunked_array([pa.array(iris, pa.string())]))
        a, a_row, b, b_row = ends.both(t.column(FROM), from_among, t.column(TO), to_among)
        miss = (a < 0) | (b < 0)
    if miss.any():  # an end of a type the ontology does not allow there, or not a node at all
        for side, row, col in ((a, a_row, FROM), (b, b_row, TO)):
            found, at = ends.types(t.column(col).filter(pa.array(miss)), ends.names)
            keep = side[miss] >= 0
            side[miss] = np.where(keep, side[miss], found)
            row[miss] = np.where(keep, row[miss], at)
        missing = int(((a < 0) | (b < 0)).sum())
        if missing:
            report.warnings.append(f"{missing} {rel} link(s) with an end that is not a node; not loaded")
    n = 0
    k_types = len(ends.names)
    code = np.where((a < 0) | (b < 0), -1, a * k_types + b)
    for c in np.unique(code[code >= 0]):
        x, y = ends.names[c // k_types], ends.names[c % k_types]
        rows = code == c
        k = int(rows.sum())
        if (x, y) not in pairs[rel]:
            report.warnings.append(f"{k} {rel} link(s) from {x} to {y}, which the ontology "
                                   f"does not allow; not loaded")
            continue
        part = _typed(t if k == t.num_rows else t.filter(pa.array(rows)), cols, first=(FROM, TO))
        for end, nt, at in ((0, x, a_row), (1, y, b_row)):  # a row-keyed end by its row number
            if nt in keyed:
                part = part.set_column(end, part.column_names[end], pa.array(at[rows]))
        opts = f" (from='{x}', to='{y}')" if len(pairs[rel]) > 1 else ""
        yield from stager.files_of(rel, part, opts)
        n += k
    report.links[rel] = report.links.get(rel, 0) + n


__all__ = ["DB_FILE", "BUFFER_POOL", "COPY_ROWS", "READ_BUFFER_POOL", "CopiedDatabase", "LoadReport", "append_embedded",
           "build_embedded"]
