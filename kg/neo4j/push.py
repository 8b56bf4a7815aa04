"""Push the graph to Neo4j over Bolt: idempotent UNWIND batches with parameters.

The graph comes from the live generation's graph tables as typed Arrow tables
(:func:`kg.tables.view.iter_graph`, read by a thread of its own while the first node tables
are sent), not from the RDF store, and each batch becomes Python values only when it is sent
(:mod:`kg.neo4j.rows`).

What a push writes (all names from the ontology, see :mod:`kg.neo4j.schema`):

* every node with the marker label ``KgNode`` and its ontology labels, its properties typed
  from the ontology (shares and amounts as floats, dates as Neo4j dates, partial dates at the
  first/last day of their period with ``*_precision`` = ``year``/``month``);
* FinancialYear nodes and the REPORTED links to them;
* every link as a relationship of its ontology type with its properties and provenance
  (``source``, ``source_file``, ``source_row``) and its link IRI as ``iri``; derived ones
  (CONTROLS, ULTIMATELY_OWNS) with ``derived: true`` and their ``method``.

Nodes are MERGEd on ``iri`` and relationships on their ``iri`` (REPORTED on its two ends), and
``SET x = {...}`` replaces the properties, so pushing twice leaves the same graph; into a
database without any ``KgNode`` (a first push, or after a wipe) they are CREATEd, which is
faster, and the constraint and indexes are created after the data. Node batches return the
internal ids of their nodes, and links find their ends by id (a NodeByIdSeek, cheaper than
two seeks on IRI strings). Nodes and links that disappeared from the embedded graph stay in
Neo4j unless ``wipe_first=True``. Rows travel as plain lists (cheaper to encode than maps),
dates as ISO text (``date()`` in the statement), and a value every row of a table has (a
derived kind's method text, a source file) once per batch in the map ``$c``.

>>> node_statement(("KgNode", "GuidanceFund", "Fund"), ["iri", "name"]).splitlines()[:3]
['UNWIND $rows AS r', 'MERGE (n:KgNode {iri: r[0]})', 'SET n = {iri: r[0], name: r[1]}, n:GuidanceFund:Fund']
>>> link_statement("OWNS", ["iri", "share"]).splitlines()[3]
'MERGE (a)-[x:OWNS {iri: r[2]}]->(b)'
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from kg.errors import KgError
from kg.neo4j.connect import Settings, describe
from kg.neo4j.rows import batch_rows, date_columns, end_positions, kept_columns, split_constants
from kg.neo4j.schema import (
    NODE_LABEL,
    all_labels,
    ident,
    object_links,
    rel_types,
    schema_names,
    schema_statements,
)
from kg.ontology import model
from kg.tables.view import FROM, TO, GraphFrames, GraphTables

DEFAULT_BATCH = 2_000
DEFAULT_WORKERS = 2
WIPE_BATCH = 10_000


class PushInterrupted(KgError):
    """The connection failed part-way; the message says how far the push got (exit 1)."""


@dataclass
class PushReport:
    """What a push wrote, and how long each stage took (seconds)."""

    nodes: int = 0
    links: int = 0
    nodes_by_labels: dict[str, int] = field(default_factory=dict)
    links_by_type: dict[str, int] = field(default_factory=dict)
    skipped_links: int = 0
    wiped_nodes: int = 0
    wiped_links: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def links_per_second(self) -> float:
        s = self.seconds.get("links", 0.0)
        return self.links / s if s else 0.0

    @property
    def nodes_per_second(self) -> float:
        s = self.seconds.get("nodes", 0.0)
        return self.nodes / s if s else 0.0


def _map_literal(columns: list[str], offset: int, dates: Collection[str] = (), consts: Collection[str] = (),
                 flags: Collection[str] = ()) -> str:
    """``{col: r[i], ...}`` over row positions (columns checked to be plain identifiers).

    The columns in ``dates`` arrive as ISO text and become dates (``date(null)`` is null).
    Those in ``consts`` take one value for every row from the map parameter ``$c`` and have
    no place in the rows; those in ``flags`` take it where the row says true (else none): a
    long text that every row has, or has not, is sent once rather than once per row.

    >>> _map_literal(["iri", "start"], 2, {"start"})
    '{iri: r[2], start: date(r[3])}'
    >>> _map_literal(["iri", "method", "note", "hops"], 0, consts={"method"}, flags={"note"})
    '{iri: r[0], method: $c.method, note: CASE WHEN r[1] THEN $c.note END, hops: r[2]}'
    """
    out, i = [], offset
    for c in columns:
        name = ident(c)
        if c in consts:
            v = f"$c.{name}"
        else:
            v = f"CASE WHEN r[{i}] THEN $c.{name} END" if c in flags else f"r[{i}]"
            i += 1
        out.append(f"{name}: {f'date({v})' if c in dates else v}")
    return "{" + ", ".join(out) + "}"


def node_statement(labels: tuple[str, ...], columns: list[str], fresh: bool = False,
                   dates: Collection[str] = (), consts: Collection[str] = (), flags: Collection[str] = ()) -> str:
    """The UNWIND statement that writes nodes of one label set; rows are lists in ``columns``
    order, ``iri`` first. It returns ``ids``, the internal id of each row's node in row order,
    which the link statements then find their ends by (a NodeByIdSeek instead of two seeks in
    the IRI index per link).

    Labels come from the ontology's allow-list only. ``SET n = {...}`` replaces the
    properties (empty values leave no property). A MERGE also removes the ontology labels the
    node does not have, so a node whose type changed ends up with exactly its current labels.
    ``fresh`` (nothing of ours in the database yet) CREATEs instead. The columns in ``dates``
    arrive as ISO text (see :mod:`kg.neo4j.rows`), those in ``consts`` and ``flags`` take
    their value from ``$c`` (see :func:`_map_literal`).

    >>> print(node_statement(("KgNode", "Firm"), ["iri", "name"]))  # doctest: +ELLIPSIS
    UNWIND $rows AS r
    MERGE (n:KgNode {iri: r[0]})
    SET n = {iri: r[0], name: r[1]}, n:Firm
    REMOVE n:Bank:Fund:GuidanceFund:...
    RETURN collect(id(n)) AS ids
    >>> print(node_statement(("KgNode", "GuidanceFund", "Fund"), ["iri", "founded"], fresh=True, dates={"founded"}))
    UNWIND $rows AS r
    CREATE (n:KgNode:GuidanceFund:Fund {iri: r[0], founded: date(r[1])})
    RETURN collect(id(n)) AS ids
    """
    allowed = all_labels()
    if labels[0] != NODE_LABEL or any(x not in allowed for x in labels[1:]):
        raise ValueError(f"labels {labels} are not the marker label plus ontology labels")
    if columns[0] != "iri" or "iri" in consts or "iri" in flags:
        raise ValueError("the first column must be iri, one value per row")
    own = [ident(x) for x in labels[1:]]
    props = _map_literal(columns, 0, dates, consts, flags)
    # id() is deprecated in Neo4j 5 in favour of elementId(), but the number is a quarter the
    # size on the wire and `WHERE id(a) = $x` is the same NodeByIdSeek
    ret = "RETURN collect(id(n)) AS ids"
    if fresh:  # properties inline: no separate SET (and no Eager), about 20% less server work
        return "\n".join(["UNWIND $rows AS r", f"CREATE (n:{':'.join((NODE_LABEL, *own))} {props})", ret])
    other = [x for x in allowed if x not in own]
    lines = ["UNWIND $rows AS r", f"MERGE (n:{NODE_LABEL} {{iri: r[0]}})",
             f"SET n = {props}" + (", n:" + ":".join(own) if own else "")]
    if other:
        lines.append("REMOVE n:" + ":".join(other))
    lines.append(ret)
    return "\n".join(lines)


def link_statement(rel: str, columns: list[str], fresh: bool = False, by_id: bool = True,
                   dates: Collection[str] = (), consts: Collection[str] = (), flags: Collection[str] = ()) -> str:
    """The UNWIND statement that writes links of one type; rows are lists ``[from, to, *columns]``.

    ``from`` and ``to`` are the internal ids of the end nodes (from :func:`node_statement`), or
    with ``by_id=False`` their IRIs (two seeks in the ``kg_node_iri`` index). With an ``iri``
    column a MERGE matches the link by it (else by its two ends: REPORTED); ``fresh`` (no link
    of this type in the database yet) CREATEs instead. The columns in ``dates`` arrive as ISO
    text, those in ``consts`` and ``flags`` take their value from ``$c`` (see :func:`_map_literal`).

    >>> print(link_statement("OWNS", ["iri", "share"]))
    UNWIND $rows AS r
    MATCH (a) WHERE id(a) = r[0]
    MATCH (b) WHERE id(b) = r[1]
    MERGE (a)-[x:OWNS {iri: r[2]}]->(b)
    SET x = {iri: r[2], share: r[3]}
    RETURN count(*) AS n
    >>> print(link_statement("REPORTED", [], fresh=True).splitlines()[3])
    CREATE (a)-[x:REPORTED]->(b)
    >>> print(link_statement("OWNS", ["iri", "share"], fresh=True).splitlines()[3])
    CREATE (a)-[x:OWNS {iri: r[2], share: r[3]}]->(b)
    >>> print(link_statement("OWNS", ["iri"], by_id=False).splitlines()[1])
    MATCH (a:KgNode {iri: r[0]})
    >>> print(link_statement("OWNS", ["iri", "start"], fresh=True, dates={"start"}).splitlines()[3])
    CREATE (a)-[x:OWNS {iri: r[2], start: date(r[3])}]->(b)
    >>> print(link_statement("CONTROLS", ["method", "iri"], consts={"method"}).splitlines()[3])
    MERGE (a)-[x:CONTROLS {iri: r[2]}]->(b)
    """
    if rel not in rel_types():
        raise ValueError(f"{rel!r} is not a relationship type of the ontology")
    rel = ident(rel)
    if "iri" in consts or "iri" in flags:
        raise ValueError("iri must have one value per row")
    if by_id:
        ends = ["MATCH (a) WHERE id(a) = r[0]", "MATCH (b) WHERE id(b) = r[1]"]
    else:
        ends = [f"MATCH (a:{NODE_LABEL} {{iri: r[0]}})", f"MATCH (b:{NODE_LABEL} {{iri: r[1]}})"]
    if fresh:
        inline = f" {_map_literal(columns, 2, dates, consts, flags)}" if columns else ""
        return "\n".join(["UNWIND $rows AS r", *ends, f"CREATE (a)-[x:{rel}{inline}]->(b)", "RETURN count(*) AS n"])
    if "iri" in columns:
        at = 2 + [c for c in columns if c not in consts].index("iri")
        merge = f"MERGE (a)-[x:{rel} {{iri: r[{at}]}}]->(b)"
    else:
        merge = f"MERGE (a)-[x:{rel}]->(b)"
    lines = ["UNWIND $rows AS r", *ends, merge]
    if columns:
        lines.append(f"SET x = {_map_literal(columns, 2, dates, consts, flags)}")
    lines.append("RETURN count(*) AS n")
    return "\n".join(lines)


def batches(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    """Lists of at most ``size`` rows.

    >>> [len(b) for b in batches(range(5), 2)]
    [2, 2, 1]
    """
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _write(session, query: str | tuple[str, dict], rows: list):
    """Run one batch in its own transaction and return the first value of its one record (a
    count, or the list of node ids); retry transient errors (deadlocks) a few times. ``query``
    is its text, or its text and the map of constants ``$c``."""
    import neo4j.exceptions as nx

    text, consts = query if isinstance(query, tuple) else (query, None)
    params = {"rows": rows} if consts is None else {"rows": rows, "c": consts}
    query = text

    for attempt in range(6):
        try:
            with session.begin_transaction() as tx:
                n = tx.run(query, params).single(strict=True)[0]
                tx.commit()
            return n
        except nx.TransientError:
            if attempt == 5:
                raise
            time.sleep(0.2 * 2 ** attempt)
    raise AssertionError("unreachable")


def ensure_schema(session) -> None:
    """Create the constraints and indexes (IF NOT EXISTS) and wait until they are online.

    >>> with driver.session() as session:  # doctest: +SKIP
    ...     ensure_schema(session)
    """
    for stmt in schema_statements():
        session.run(stmt).consume()
    session.run("CALL db.awaitIndexes(600)").consume()


def drop_schema(session) -> None:
    """Drop the constraints and indexes :func:`ensure_schema` creates (those that exist).

    A push into a database without any ``KgNode`` does this first and creates them again after
    the data: populating an index once costs less than updating it node by node.

    >>> with driver.session() as session:  # doctest: +SKIP
    ...     drop_schema(session)
    """
    have = {("CONSTRAINT", r["name"]) for r in session.run("SHOW CONSTRAINTS YIELD name")}
    have |= {("INDEX", r["name"]) for r in session.run("SHOW INDEXES YIELD name, owningConstraint "
                                                        "WHERE owningConstraint IS NULL RETURN name")}
    for kind, name in schema_names():  # the constraint first: it owns an index
        if (kind, name) in have:
            session.run(f"DROP {kind} {ident(name)} IF EXISTS").consume()


def wipe(session, batch: int = WIPE_BATCH) -> tuple[int, int]:
    """Delete every ``KgNode`` and its relationships in batches; (nodes, relationships) deleted.

    Nodes without the marker label are left alone. A batch whose transaction needs more memory
    than the server allows (``db.memory.transaction.max``; deleting links of nodes with a million
    of them takes a lock per node group) is tried again in batches a quarter the size: what the
    batches before it deleted stays deleted and is counted.

    >>> with driver.session() as session:  # doctest: +SKIP
    ...     wipe(session)
    (468, 709)
    """
    rels = _in_batches(session, lambda rows: f"MATCH (:{NODE_LABEL})-[r]->() CALL {{ WITH r DELETE r }} "
                                             f"IN TRANSACTIONS OF {int(rows)} ROWS",
                       f"MATCH (:{NODE_LABEL})-[r]->() RETURN count(r) AS n", batch)
    links = session.run(f"MATCH (n:{NODE_LABEL})-[r]-() RETURN count(r) AS n").single()["n"]  # from other nodes
    nodes = _in_batches(session, lambda rows: f"MATCH (n:{NODE_LABEL}) CALL {{ WITH n DETACH DELETE n }} "
                                              f"IN TRANSACTIONS OF {int(rows)} ROWS",
                        f"MATCH (n:{NODE_LABEL}) RETURN count(n) AS n", batch)
    return nodes, rels + links


def _in_batches(session, statement: Callable[[int], str], count: str, batch: int) -> int:
    """Run a ``CALL {...} IN TRANSACTIONS OF n ROWS`` delete (``statement(n)``) until it succeeds,
    a quarter of the batch each time the server refuses a batch's memory; how many ``count``
    went down by."""
    from neo4j.exceptions import TransientError

    before = session.run(count).single()["n"]
    while True:
        try:
            session.run(statement(batch)).consume()
            return before
        except TransientError as e:
            if "MemoryPoolOutOfMemoryError" not in (e.code or "") or batch <= 100:
                raise
            batch = max(100, batch // 4)


def run_batches(driver, settings: Settings, jobs: Iterable[tuple[str, list, object]],
                done: Callable[[object, list, int], None], workers: int = 1) -> None:
    """Run ``(query, rows, key)`` jobs, each in its own transaction, on ``workers`` sessions
    (``query``: its text, or its text and the map ``$c``, see :func:`_write`).

    ``done(key, rows, written)`` is called in this thread for every finished batch, also for
    those that finish after another one failed; then the first error is raised.

    >>> jobs = [("UNWIND $rows AS r RETURN count(*) AS n", [[1], [2]], "x")]
    >>> run_batches(driver, settings, jobs, lambda key, rows, n: print(key, n))  # doctest: +SKIP
    x 2
    """
    if workers <= 1:
        with driver.session(database=settings.database) as session:
            for q, rows, key in jobs:
                done(key, rows, _write(session, q, rows))
        return
    local = threading.local()
    sessions = []
    lock = threading.Lock()

    def run(q, rows):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = driver.session(database=settings.database)
            with lock:
                sessions.append(session)
        return _write(session, q, rows)

    error: BaseException | None = None
    pending: dict = {}

    def collect(futures) -> None:
        nonlocal error
        for f in futures:
            key, rows = pending.pop(f)
            try:
                done(key, rows, f.result())
            except BaseException as e:  # noqa: BLE001 - re-raised below, the first one wins
                error = error or e

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for q, rows, key in jobs:
                pending[pool.submit(run, q, rows)] = (key, rows)
                if len(pending) >= 2 * workers:
                    finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                    collect(finished)
                    if error is not None:
                        break
            collect(list(pending))
    finally:
        for session in sessions:
            session.close()
    if error is not None:
        raise error


def _label_key(labels: tuple[str, ...]) -> str:
    return ":".join(labels[1:])


def as_tables(g: GraphFrames | GraphTables) -> GraphTables:
    """The graph as typed Arrow tables: :class:`GraphTables` as it is, :class:`GraphFrames`
    (object columns of Python values) converted.

    >>> import pandas as pd
    >>> g = as_tables(GraphFrames(nodes={("KgNode", "Firm"): pd.DataFrame({"iri": ["a"], "share": [0.5]})}))
    >>> g.nodes[("KgNode", "Firm")].schema.field("share").type
    DataType(double)
    """
    if isinstance(g, GraphTables):
        return g

    def table(frame: pd.DataFrame) -> pa.Table:
        return pa.Table.from_pandas(frame, preserve_index=False)

    return GraphTables(nodes={k: table(f) for k, f in g.nodes.items()},
                       links={k: table(f) for k, f in g.links.items()}, warnings=list(g.warnings))


def _spans(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(start + size, n)


Item = tuple[str, object, "pa.Table | None"]
"""One piece of the graph as :func:`kg.tables.view.iter_graph` yields it: ``("node", labels,
table)``, ``("link", rel, table)`` or ``("warning", text, None)``."""


def graph_items(g: GraphTables | GraphFrames | Iterable[Item]) -> Iterator[Item]:
    """The graph as :data:`Item` s: the node tables, then the links, then the warnings of
    :class:`GraphTables` or :class:`GraphFrames` (see :func:`as_tables`); an iterable of items
    (e.g. ``iter_graph``) as it is.

    >>> [(k, key) for k, key, _ in graph_items(GraphTables(warnings=["w"]))]
    [('warning', 'w')]
    """
    if isinstance(g, (GraphTables, GraphFrames)):
        g = as_tables(g)
        yield from (("node", k, t) for k, t in g.nodes.items())
        yield from (("link", k, t) for k, t in g.links.items())
        yield from (("warning", w, None) for w in g.warnings)
    else:
        yield from g


def read_ahead(items: Iterable[Item], ahead: int = 2) -> Iterator[Item]:
    """``items`` made by a thread of their own, starting at once and staying at most ``ahead``
    items ahead of the caller, while the caller does other things and uses the first ones (the
    push wipes, then sends the first node tables while the next are read; a graph read whole
    before its nodes are sent would be held whole); an error of the reader is raised here, after
    the items made before it.

    >>> [key for _, key, _ in read_ahead(iter([("warning", "a", None), ("warning", "b", None)]))]
    ['a', 'b']
    """
    made: queue.Queue = queue.Queue(maxsize=max(1, ahead))
    end = object()
    stopped = threading.Event()  # the caller let the items go (done, or failed part-way)

    def give(item) -> bool:
        while not stopped.is_set():
            try:
                made.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not give(item):
                    return  # nobody will take the rest: stop reading, let the tables go
        except BaseException as e:  # noqa: BLE001 - handed over to the reading side
            give(e)
        give(end)

    def take() -> Iterator[Item]:
        try:
            while (item := made.get()) is not end:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stopped.set()

    threading.Thread(target=run, name="kg-push-read", daemon=True).start()  # now, not at the first item
    return take()


LOOKUP_VALUES = 8_000_000
"""Link ends looked up among the node IRIs at a time: each lookup hashes every node IRI read so
far (some 4 s for the 11.8 M nodes of 10^6 firms) and holds the ends' text while it runs, so a
few lookups of this many rather than one of all ends (4.5 GB at 10^6) or one per link table."""


class EndLookup:
    """Link tables with their ends (IRIs) replaced by positions among the nodes read so far, in
    reading order; found a few link tables at a time (:data:`LOOKUP_VALUES`), each link table
    after the node tables of its ends (as :func:`kg.tables.view.iter_graph` reads them).

    >>> e = EndLookup()
    >>> e.add_nodes(pa.chunked_array([["a", "b"]]))
    >>> e.add_links("OWNS", pa.table({FROM: ["b", "x"], TO: ["a", "a"], "share": [0.5, 1.0]}))
    >>> t, a, b = e.finished()["OWNS"]
    >>> t.column_names, a.tolist(), b.tolist()
    (['share'], [1, -1], [0, 0])
    """

    def __init__(self, values: int = LOOKUP_VALUES):
        self.values = values
        self.iris: list[pa.Array] = []
        self.pending: list[tuple[str, pa.Table]] = []
        self.found: dict[str, tuple[pa.Table, np.ndarray, np.ndarray]] = {}

    def add_nodes(self, iris: pa.ChunkedArray) -> None:
        self.iris.extend(c.cast(pa.string()) for c in iris.chunks)

    def add_links(self, rel: str, t: pa.Table) -> None:
        self.pending.append((rel, t))
        if sum(2 * t.num_rows for _, t in self.pending) >= self.values:
            self._look_up()

    def finished(self) -> dict[str, tuple[pa.Table, np.ndarray, np.ndarray]]:
        """Every link table: (its other columns, from positions, to positions; -1 where an end
        is not a node read before it). The node IRIs are let go."""
        self._look_up()
        self.iris = []
        return self.found

    def _look_up(self) -> None:
        if not self.pending:
            return
        iris = pa.concat_arrays(self.iris or [pa.array([], pa.string())])
        ends = end_positions([t.column(c) for _, t in self.pending for c in (FROM, TO)], iris)
        for j, (rel, t) in enumerate(self.pending):
            self.found[rel] = (t.drop_columns([FROM, TO]), ends[2 * j].astype(np.int32), ends[2 * j + 1].astype(np.int32))
        self.pending = []
        del iris, ends
        pa.default_memory_pool().release_unused()  # mimalloc keeps the freed text's pages otherwise


def _progress_after_read(progress, on_read, seen: GraphTables):
    """``progress`` holding back its counts until the graph is read (``on_read(seen)`` sizes a
    progress bar then), and the function to call when it is."""
    progress = progress or (lambda n: None)
    held = [0, False]  # counts so far, read or not

    def count(n: int) -> None:
        if held[1]:
            progress(n)
        else:
            held[0] += n

    def read_done() -> None:
        if on_read is not None:
            on_read(seen)
        held[1] = True
        if held[0]:
            progress(held[0])

    return count, read_done


def push_frames(
    driver,
    g: GraphTables | GraphFrames | Iterable[Item],
    settings: Settings,
    *,
    wipe_first: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    report: PushReport | None = None,
    workers: int = DEFAULT_WORKERS,
    on_stage: Callable[[str], None] | None = None,
    on_read: Callable[[GraphTables], None] | None = None,
) -> PushReport:
    """Write the graph (typed Arrow tables from :func:`kg.tables.view.graph_tables`, the items
    of :func:`kg.tables.view.iter_graph` as they are read, or frames from
    :func:`kg.tables.graph_frames`) through an open driver.

    Node tables are sent as they come; ``on_read`` is called with the whole graph once it is
    read (before the first link is sent), and ``progress`` counts from then on.

    ``workers`` sessions write batches concurrently (all nodes before any link). Each batch
    becomes Python values only when it is about to be sent (:mod:`kg.neo4j.rows`); a property
    empty in a whole table is not written. ``on_stage`` is called with each stage's name as it
    starts (wipe, schema, nodes, links, indexes) and with ``done`` at the end (a benchmark reads
    the server's CPU time there). A broken connection raises :class:`PushInterrupted` saying how
    many nodes and links were written; running the push again completes it.

    >>> with open_driver(settings) as driver:  # doctest: +SKIP
    ...     report = push_frames(driver, open_live_tables(db).graph_tables(), settings, batch_size=10_000)
    >>> report.links, report.skipped_links  # doctest: +SKIP
    (709, 0)
    """
    import neo4j.exceptions as nx

    report = report or PushReport()
    items = graph_items(g)
    seen = GraphTables()  # what has been read of the graph so far
    progress, read_done = _progress_after_read(progress, on_read, seen)
    on_stage = on_stage or (lambda name: None)
    stage = "wipe"
    try:
        with driver.session(database=settings.database) as session:
            if wipe_first:
                on_stage(stage)
                t = time.perf_counter()
                report.wiped_nodes, report.wiped_links = wipe(session)
                report.seconds["wipe"] = time.perf_counter() - t
            # nothing of ours in the database (a first push, or after --wipe): CREATE, and the
            # indexes after the data; else MERGE, which needs the iri constraint first
            fresh = session.run(f"MATCH (n:{NODE_LABEL}) RETURN count(n) AS c").single()["c"] == 0
            stage = "schema"
            on_stage(stage)
            t = time.perf_counter()
            if fresh:
                drop_schema(session)
            else:
                ensure_schema(session)
            report.seconds["schema"] = time.perf_counter() - t

        labels_of: list[tuple[str, ...]] = []  # per node table, in reading order
        node_ids: list[np.ndarray] = []  # internal ids, in row order
        lookup = EndLookup()
        links: list[tuple[str, pa.Table, np.ndarray, np.ndarray]] = []  # other columns, from and to positions

        def node_jobs():
            # node tables are sent as they are read and then let go but for their IRIs; link tables
            # are kept with their ends as positions among the nodes
            for kind, key, table in items:
                if kind == "warning":
                    seen.warnings.append(key)
                    report.warnings.append(key)
                    continue
                if kind == "link":
                    seen.links[key] = table.select([])  # counted
                    lookup.add_links(key, kept_columns(table, ("iri", FROM, TO)))
                    continue
                labels, t, k = key, kept_columns(table, ("iri",)), len(labels_of)
                del table
                seen.nodes[labels] = t.select([])
                labels_of.append(labels)
                lookup.add_nodes(t.column("iri"))
                node_ids.append(np.zeros(t.num_rows, dtype=np.int64))
                body, consts, flags = split_constants(t, ("iri",))
                q = node_statement(labels, t.column_names, fresh=fresh, dates=date_columns(t),
                                   consts=consts.keys() - flags, flags=flags)
                for start, stop in _spans(t.num_rows, batch_size):
                    yield (q, consts), batch_rows(body, start, stop), (k, start)
                del t, body
                pa.default_memory_pool().release_unused()
            read_done()
            # the last batches are still being written: find the last links' ends meanwhile
            found = lookup.finished()
            order = {rel: i for i, rel in enumerate([*model().links, *object_links()])}
            links.extend((rel, *found.pop(rel)) for rel in sorted(found, key=lambda r: order.get(r, len(order))))

        def node_done(key, rows, written):
            k, start = key
            if len(written) != len(rows):  # cannot happen: one node per row
                raise KgError(f"a batch of {len(rows)} {_label_key(labels_of[k])} nodes returned {len(written)} ids")
            node_ids[k][start:start + len(rows)] = written
            label = _label_key(labels_of[k])
            report.nodes += len(rows)
            report.nodes_by_labels[label] = report.nodes_by_labels.get(label, 0) + len(rows)
            progress(len(rows))

        def link_jobs():
            ids = np.concatenate(node_ids) if node_ids else np.empty(0, dtype=np.int64)
            while links:
                rel, props, pa_, pb_ = links.pop(0)  # let go once sent
                report.links_by_type.setdefault(rel, 0)
                if not props.num_rows:
                    continue
                ok = (pa_ >= 0) & (pb_ >= 0)
                missing = int(props.num_rows - ok.sum())
                if missing:  # an end is not a pushed node
                    report.skipped_links += missing
                    progress(missing)
                a, b = ids[pa_[ok]], ids[pb_[ok]]
                # each node's relationships together: batches of two sessions seldom lock one node
                order = np.lexsort((b, a))
                a, b = a[order], b[order]
                body, consts, flags = split_constants(props, ("iri",))
                body = (body.filter(pa.array(ok)) if missing else body).take(pa.array(order))
                q = link_statement(rel, props.column_names, fresh=fresh, dates=date_columns(props),
                                   consts=consts.keys() - flags, flags=flags)
                for start, stop in _spans(len(a), batch_size):  # a body without columns has no rows
                    yield (q, consts), batch_rows(body, start, stop, [a, b]), rel

        def link_done(rel, rows, n):
            report.skipped_links += len(rows) - n
            report.links += n
            report.links_by_type[rel] += n
            progress(len(rows))

        stage = "nodes"
        on_stage(stage)
        t = time.perf_counter()
        run_batches(driver, settings, node_jobs(), node_done, workers)
        report.seconds["nodes"] = time.perf_counter() - t
        stage = "links"
        on_stage(stage)
        t = time.perf_counter()
        run_batches(driver, settings, link_jobs(), link_done, workers)
        report.seconds["links"] = time.perf_counter() - t
        if fresh:
            stage = "indexes"
            on_stage(stage)
            t = time.perf_counter()
            with driver.session(database=settings.database) as session:
                ensure_schema(session)
            report.seconds["indexes"] = time.perf_counter() - t
        on_stage("done")
    except (nx.ServiceUnavailable, nx.SessionExpired, nx.IncompleteCommit, OSError) as e:
        where = {"schema": "while creating the indexes", "indexes": "while creating the indexes",
                 "wipe": "while wiping"}.get(stage, "")
        raise PushInterrupted(
            f"pushed {report.nodes} of {seen.node_count} nodes and {report.links} of {seen.link_count} links "
            f"{where + ' ' if where else ''}before the connection failed: {describe(e, settings)}; "
            "run the push again to complete it (MERGE makes reruns safe)"
        ) from None
    except (nx.Neo4jError, nx.DriverError) as e:
        raise KgError(
            f"push stopped after {report.nodes} of {seen.node_count} nodes and {report.links} of {seen.link_count} "
            f"links: {describe(e, settings)}"
        ) from None
    if report.skipped_links:
        report.warnings.append(f"{report.skipped_links} link(s) skipped: an end node was not in Neo4j")
    return report


def push(
    db: Path,
    settings: Settings,
    *,
    wipe_first: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
    on_read: Callable[[GraphTables], None] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> PushReport:
    """Push the live graph of the database folder ``db`` to the Neo4j named by ``settings``,
    reading it from the graph tables as typed Arrow tables (kg.tables.view.iter_graph), by a
    thread of its own while the first node tables are sent.

    ``on_read`` is called with the tables once they are all read (e.g. to size a progress bar).

    >>> r = push(db, Settings(os.environ["NEO4J_URI"], password=os.environ["NEO4J_PASSWORD"]))  # doctest: +SKIP
    >>> r.links_by_type["OWNS"]  # doctest: +SKIP
    5
    """
    from kg.neo4j.connect import open_driver
    from kg.tables.read import open_live_tables
    from kg.tables.view import iter_graph

    report = PushReport()
    tables = open_live_tables(db)  # held (whole) until the push ends
    t = time.perf_counter()

    def read(g: GraphTables) -> None:
        report.seconds["read"] = time.perf_counter() - t
        if on_read is not None:
            on_read(g)

    with open_driver(settings) as driver:
        return push_frames(driver, read_ahead(iter_graph(tables)), settings, wipe_first=wipe_first,
                           batch_size=batch_size, progress=progress, report=report, workers=workers, on_read=read)
