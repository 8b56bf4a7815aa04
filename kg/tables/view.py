"""The graph tables as a property graph: nodes grouped by label set, links by type.

What every property-graph sink reads (``kg push neo4j``, ``kg neo4j-import``, the embedded
Cypher database): the same graph the RDF store holds, typed from the ontology.

* Nodes: every entity (its rows' labels together, most specific first, behind the marker
  label ``KgNode``), every reference entity (exchanges, programmes) and every financial year.
  A node's property is the smallest value its rows give where sources disagree (every value
  stays in the tables and in the RDF store, in its source's graph). The derived facts of an
  entity that change over time are nodes of their own, one per period: OwnershipAssessment
  (state share, influence, state control, path; ULTIMATE_CONTROLLER from it to the ultimate
  controller) and SizeAssessment (size class, year, figures), each with ``valid_from``,
  ``valid_to`` and ``method``, linked from the entity by HAS_OWNERSHIP and HAS_SIZE.
* Links: each link of the sources with ``iri``, ``from``, ``to``, its properties and
  provenance (``source``, ``source_file``, ``source_row``); the derived links (CONTROLS,
  ULTIMATELY_OWNS, LOOK_THROUGH_FUNDED) with ``derived`` True, their ``method`` and the period
  they hold for (``valid_from``, ``valid_to``); REPORTED from each firm to its financial years;
  HAS_OWNERSHIP, HAS_SIZE and ULTIMATE_CONTROLLER (``from``, ``to``, ``derived``).

Values are plain Python values in object columns: floats, ints, bools, ``datetime.date`` (a
partial date at the first or last day of its period, its ``*_precision`` column saying
``year`` or ``month``) and text, None where empty; a column empty for a whole frame is left
out, and so is empty text. The frames are those :func:`kg.neo4j.frames.read_graph` reads back
from the RDF store.

>>> import datetime as dt, tempfile, pathlib
>>> from kg.loaders.sources import load_sources
>>> from kg.resolve import resolve
>>> from kg.derive.timeline import derive_periods
>>> from kg.resources import resource_path
>>> from kg.tables.read import open_tables
>>> from kg.tables.write import write_tables
>>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "tables"
>>> _ = write_tables(res, derive_periods(res), folder)
>>> g = open_tables(folder).graph_frames()
>>> sorted(g.nodes)[:2]
[('KgNode', 'Bank'), ('KgNode', 'Exchange')]
>>> sorted(g.links["CONTROLS"].columns)[:4], len(g.links["HAS_OWNERSHIP"]) >= 7
(['derived', 'from', 'hops', 'iri'], True)
>>> owns = g.links["OWNS"]
>>> sorted(owns["share"])[-1], type(owns["start"].dropna().iloc[0]).__name__
(1.0, 'date')
>>> gt = open_tables(folder).graph_tables()
>>> gt.nodes[("KgNode", "Exchange")].column_names[:2], gt.links["REPORTED"].column_names
(['iri', 'name'], ['from', 'to'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kg.ontology import ID, Property, model
from kg.tables.derived import (
    DERIVED_LINKS,
    DERIVED_NODES,
    LINK_CLASSES,
    PERFORMANCE_FRAME,
    assessment_iris,
    hashed_iris,
)
from kg.tables.names import NODE_LABEL, all_labels, column_kinds, ident, label_order, object_links
from kg.tables.schema import arrow_type

if TYPE_CHECKING:  # pragma: no cover
    from kg.tables.read import Tables

FROM, TO = "from", "to"
PROVENANCE = {"source": "source", "source_file": "file", "source_row": "row"}
"""Provenance columns of the property graph -> the tables' columns."""
_FY = "FinancialYear"


@dataclass
class GraphFrames:
    """Nodes by label set (marker label first) and links by relationship type.

    ``kinds`` maps each property column to its value kind (float, int, bool, date, string).
    ``warnings`` lists what could not be represented (e.g. a link kind without a reader).
    """

    nodes: dict[tuple[str, ...], pd.DataFrame] = field(default_factory=dict)
    links: dict[str, pd.DataFrame] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return sum(len(f) for f in self.nodes.values())

    @property
    def link_count(self) -> int:
        return sum(len(f) for f in self.links.values())


@dataclass
class GraphTables:
    """The same graph as :class:`GraphFrames` in typed Arrow tables (every column of the
    ontology's schema, null where empty): what the embedded Cypher database loads, without a
    Python object per value."""

    nodes: dict[tuple[str, ...], pa.Table] = field(default_factory=dict)
    links: dict[str, pa.Table] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return sum(t.num_rows for t in self.nodes.values())

    @property
    def link_count(self) -> int:
        return sum(t.num_rows for t in self.links.values())


def _node_props() -> list[Property]:
    """The properties a node table can have, in the order of its columns."""
    m = model()
    out: dict[str, Property] = {}
    for cls in ("Entity", "Exchange", "Programme"):
        for p in m.props_on(cls):
            out.setdefault(p.iri, p)
    return list(out.values())


def _object_frame(t: pa.Table, columns: list[str], keep: tuple[str, ...]) -> pd.DataFrame:
    """Columns of an Arrow table as object columns of Python values (None where empty),
    leaving out those empty in every row except ``keep``."""
    data = {}
    for c in columns:
        if c not in t.column_names:
            continue
        col = t.column(c)
        if c not in keep and col.null_count == len(col):
            continue
        data[c] = pd.Series(col.to_pylist(), dtype=object)
    if not data:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in keep})
    return pd.DataFrame(data)


def _select(t: pa.Table, columns: dict[str, pa.DataType], rename: dict[str, str] | None = None) -> pa.Table:
    """``t`` with exactly ``columns`` (name -> type), cast, missing ones as nulls; empty text
    is no value (as the RDF store reads it back)."""
    rename = rename or {}
    arrays = []
    for name, typ in columns.items():
        src = rename.get(name, name)
        if src in t.column_names:
            col = t.column(src)
            col = col if col.type == typ else col.cast(typ)
            if typ == pa.string() and col.null_count < len(col):
                empty = pc.equal(col, "")
                if pc.any(empty).as_py():  # else the column as it is (no copy of a large column)
                    col = pc.if_else(empty, pa.scalar(None, pa.string()), col)
                del empty
            arrays.append(col)
        else:
            arrays.append(pa.nulls(t.num_rows, typ))
    return pa.Table.from_arrays(arrays, names=list(columns)) if columns else t


# ---------------------------------------------------------------------------- nodes


def _distinct(t: pa.Table, key: str) -> bool:
    """Whether no two rows share a ``key`` value (counted in Arrow: the usual case, without a
    Python string per row; a large column of equal-length text, such as hashed IRIs, by a hash of
    each value first: Arrow's count keeps every distinct value in a table, 1.45 GB for the 7 M
    financial years of 10^6 firms).

    >>> _distinct(pa.table({"k": ["a", "b"]}), "k"), _distinct(pa.table({"k": ["a", "a"]}), "k")
    (True, False)
    """
    col = t.column(key)
    if col.null_count:
        return False
    if t.num_rows >= _HASHED_FROM and _differ_by_hash(col):
        return True
    return len(pc.unique(col)) == t.num_rows


_HASHED_FROM = 100_000
"""Columns of at least this many rows are first checked by :func:`_differ_by_hash`."""


def _differ_by_hash(col: pa.ChunkedArray) -> bool:
    """True where the values of a text column all have one length and all differ by a 64-bit
    hash of their bytes (then they all differ); False where that does not show it (the caller
    counts them exactly).

    >>> _differ_by_hash(pa.chunked_array([["ab", "cd"], ["ef"]])), _differ_by_hash(pa.chunked_array([["ab", "ab"]]))
    (True, False)
    >>> _differ_by_hash(pa.chunked_array([["ab", "c"]]))
    False
    """
    hashes, width = [], None
    for chunk in col.chunks:
        if chunk.type != pa.string() or chunk.null_count:
            return False
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
        lengths = np.diff(offsets)
        w = int(lengths[0])
        if (lengths != w).any() or (width is not None and w != width):
            return False
        width = w
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(len(chunk), w)
        h = np.full(len(chunk), 0xCBF29CE484222325, dtype=np.uint64)  # FNV-1a over each value's bytes
        for j in range(w):
            h ^= data[:, j]
            h *= np.uint64(0x100000001B3)
        hashes.append(h)
    if not hashes:
        return True
    h = np.sort(np.concatenate(hashes))
    return not (h[1:] == h[:-1]).any()


def _smallest(t: pa.Table, key: str) -> pa.Table:
    """One row per ``key`` value: each column's smallest value where several rows share the key
    (only those rows are aggregated: most keys have one row)."""
    if _distinct(t, key):
        return t
    keys = t.column(key).to_pandas()
    shared = keys.duplicated(keep=False).to_numpy()
    if not shared.any():
        return t
    many = t.filter(pa.array(shared))
    agg = many.group_by(key).aggregate([(c, "min") for c in t.column_names if c != key])
    agg = agg.rename_columns([c.removesuffix("_min") if c != key else c for c in agg.column_names])
    return pa.concat_tables([t.filter(pa.array(~shared)), agg.select(t.column_names)])


def _first(t: pa.Table, key: str) -> pa.Table:
    """The first row of each ``key`` value, in table order."""
    if _distinct(t, key):
        return t
    keep = ~t.column(key).to_pandas().duplicated().to_numpy()
    return t if keep.all() else t.filter(pa.array(keep))


def _lookup(t: pa.Table, key: str, other: pa.Table, columns: list[str]) -> pa.Table:
    """``t`` with ``columns`` of ``other`` on the rows sharing its ``key`` (the first such row
    of ``other`` where several share it).

    >>> a, b = pa.table({"k": ["x", "y", "z"]}), pa.table({"k": ["z", "x", "z"], "v": [1, 2, 3]})
    >>> _lookup(a, "k", b, ["v"]).column("v").to_pylist()
    [2, None, 1]
    """
    idx = pc.index_in(t.column(key), value_set=other.column(key).combine_chunks())
    for c in columns:
        t = t.append_column(c, other.column(c).take(idx))
    return t


def _mask(labels, bit: dict[str, int]) -> int:
    """The bits of ``labels`` (those in ``bit``), each once.

    >>> _mask(["A", "B", "A", "C"], {"A": 1, "B": 2})
    3
    """
    return sum(bit[x] for x in set(labels) if x in bit)


def _entity_nodes(tables: Tables, g: GraphTables) -> None:
    m = model()
    props = _node_props()
    schema = {"iri": pa.string(), **{p.column: arrow_type(p.datatype) for p in props}}
    # the rows' own properties (the RDF writer's: every non-derived Entity property, localId as `id`),
    # and the reference entities'; where several rows give one node a property, the smallest
    entity_cols = {p.column for p in m.props_on("Entity") if not p.derived}
    rows = tables.read("entity_rows", ["iri", "type", *entity_cols])
    ref = tables.read("reference") if "reference" in tables else None
    derived_cols = [c for c in schema if c != "iri" and c not in entity_cols
                    and (ref is None or c not in ref.column_names)]
    own = {c: t for c, t in schema.items() if c not in derived_cols}
    parts = [_select(rows, own)] + ([_select(ref, own)] if ref is not None else [])
    nodes = _smallest(pa.concat_tables(parts), "iri")

    # label sets: each label one bit, or-ed over a node's rows (its types' labels) and reference labels
    bit = {label: 1 << k for k, label in enumerate(all_labels())}
    type_mask = {t: _mask(m.node_type(t).labels, bit) for t in m.node_types}
    row_types = rows.column("type").combine_chunks()
    if pa.types.is_dictionary(row_types.type):
        row_types = row_types.cast(pa.string())
    kinds = list(type_mask)
    code = pc.index_in(row_types, value_set=pa.array(kinds, pa.string())).to_numpy(zero_copy_only=False)
    code = np.where(np.isnan(code), -1, code).astype(np.int64) if code.dtype.kind == "f" else code.astype(np.int64)
    row_mask = np.append(np.array([type_mask[k] for k in kinds], dtype=np.int64), 0)[code]  # -1: not a node type
    mask_iris, mask_bits = [rows.column("iri")], [row_mask]
    if ref is not None:
        mask_iris.append(ref.column("iri"))
        mask_bits.append(np.array([_mask(lbs or (), bit) for lbs in ref.column("labels").to_pylist()], dtype=np.int64))
    mask_iris = pa.chunked_array([c for col in mask_iris for c in col.chunks], pa.string())
    at = pc.index_in(mask_iris, value_set=nodes.column("iri").combine_chunks()).to_numpy(zero_copy_only=False)
    bits = np.concatenate(mask_bits)
    known = ~np.isnan(at) if at.dtype.kind == "f" else at >= 0
    node_mask = np.zeros(nodes.num_rows, dtype=np.int64)
    np.bitwise_or.at(node_mask, at[known].astype(np.int64), bits[known])
    keep = node_mask != 0
    nodes = nodes.filter(pa.array(keep))
    order = pc.sort_indices(nodes, [("iri", "ascending")])
    nodes, node_mask = nodes.take(order), node_mask[keep][order.to_numpy()]
    sets = {int(mk): label_order(lb for lb, b in bit.items() if mk & b) for mk in np.unique(node_mask)}

    columns = [c for c in schema if c in nodes.column_names]
    for mask in sorted(sets, key=lambda k: sets[k]):
        labels = sets[mask]
        if any(x not in bit for x in labels):  # cannot happen: labels come from the ontology
            raise ValueError(f"labels {labels} are not in the ontology")
        g.nodes[(NODE_LABEL, *labels)] = nodes.filter(pa.array(node_mask == mask)).select(columns)


def _financial_years(tables: Tables, g: GraphTables, methods: dict[str, str]) -> pa.Table | None:
    """FinancialYear nodes, in the order of the financials table; returns their (firm, iri)
    pairs for REPORTED."""
    m = model()
    if _FY not in m.node_types or "REPORTED" not in m.links or "financials" not in tables:
        return None
    props = [p for p in m.props_on(_FY) if p.column not in PROVENANCE]
    schema = {"iri": pa.string(), "firm": pa.string(), **{p.column: arrow_type(p.datatype) for p in props},
              "source": pa.string(), "source_file": pa.string(), "source_row": pa.int64()}
    derived_cols = [p.column for p in props if p.derived]
    fin = tables.read("financials", ["iri", "from_iri", *[p.column for p in props], *PROVENANCE.values()])
    # one node per IRI (a year a source states twice in one row is one node)
    base = _first(_select(fin, {c: t for c, t in schema.items() if c not in derived_cols},
                          rename={"firm": "from_iri", **PROVENANCE}), "iri")
    del fin
    name = f"derived.{PERFORMANCE_FRAME}"
    if name in tables and tables.rows(name):
        perf = tables.read(name, ["iri", *derived_cols])
        if "method" in derived_cols and _FY in methods:
            perf = perf.append_column("method", pa.repeat(pa.scalar(methods[_FY], pa.string()), perf.num_rows))
        perf = _select(perf, {c: schema[c] for c in ["iri", *derived_cols] if c in perf.column_names})
        base = _lookup(base, "iri", perf, [c for c in perf.column_names if c != "iri"])
    base = _select(base, schema)
    g.nodes[(NODE_LABEL, ident(_FY))] = base.select([c for c in schema if c != "firm"])
    return base.select(["firm", "iri"])


def _assessment_nodes(tables: Tables, g: GraphTables, methods: dict[str, str]) -> dict[str, pa.Table]:
    """The derived nodes of each period (OwnershipAssessment, SizeAssessment); returns, by node
    type, what their links need: ``_node`` (the node's IRI), ``_entity`` and the columns of object
    links (kg.tables.names.object_links)."""
    m = model()
    out = {}
    for nt, spec in DERIVED_NODES.items():
        name = f"derived.{spec.frame}"
        if nt not in m.node_types or name not in tables or not tables.rows(name):
            continue
        t = tables.read(name)
        iris = assessment_iris(nt, t.column(spec.entity), t.column("valid_from"))
        props = [p for p in m.props_on(nt)]
        schema = {"iri": pa.string(), **{p.column: arrow_type(p.datatype) for p in props}}
        cols = {"iri": iris}
        for p in props:
            if p.column == "method":
                if nt in methods:
                    cols["method"] = pa.repeat(pa.scalar(methods[nt], pa.string()), t.num_rows)
            elif p.column in t.column_names:
                cols[p.column] = t.column(p.column)
        nodes = _select(pa.table(cols), schema)
        g.nodes[(NODE_LABEL, ident(nt))] = nodes
        # what the links of these nodes need (their ends; an object link's column), not the rest
        # of the frame, which would stay through every derived link (1 GB at 10^6 firms)
        keep = [c for c in {ol.column for ol in object_links().values()} if c and c in t.column_names]
        out[nt] = pa.table({"_node": iris, "_entity": t.column(spec.entity), **{c: t.column(c) for c in keep}})
        del t
    return out


# ---------------------------------------------------------------------------- links


def _source_links(tables: Tables, rel: str, props: list[Property]) -> pa.Table | None:
    name = f"links.{rel}"
    if name not in tables:
        return None
    schema = {"iri": pa.string(), FROM: pa.string(), TO: pa.string(), **{p.column: arrow_type(p.datatype) for p in props},
              "source": pa.string(), "source_file": pa.string(), "source_row": pa.int64()}
    t = tables.read(name, ["iri", "from_iri", "to_iri", *[p.column for p in props], *PROVENANCE.values()])
    return _select(t, schema, rename={FROM: "from_iri", TO: "to_iri", **PROVENANCE})


def _derived_links(tables: Tables, rel: str, props: list[Property], methods: dict[str, str]) -> pa.Table | None:
    spec = DERIVED_LINKS.get(rel)
    if spec is None or f"derived.{spec.frame}" not in tables:
        return None
    t = tables.read(f"derived.{spec.frame}")
    if not t.num_rows:
        return None
    iris = hashed_iris(f"{ID}link/{rel.lower()}/", [t.column(c) for c in spec.key])
    cols = {"iri": iris, FROM: t.column(spec.source), TO: t.column(spec.target)}
    for p in props:
        if p.column == "method":
            if LINK_CLASSES.get(rel) in methods:
                cols["method"] = pa.array([methods[LINK_CLASSES[rel]]] * t.num_rows, pa.string())
        elif p.column in t.column_names:
            cols[p.column] = t.column(p.column)
    out = pa.table(cols)
    return _select(out, {"iri": pa.string(), FROM: pa.string(), TO: pa.string(),
                         **{p.column: arrow_type(p.datatype) for p in props}})


def _pairs(src: pa.Array | pa.ChunkedArray, dst: pa.Array | pa.ChunkedArray, derived: bool) -> pa.Table:
    cols = {FROM: src, TO: dst}
    if derived:
        cols["derived"] = pa.repeat(True, len(src))
    return pa.table(cols)


def _drain(part: GraphTables) -> Iterator[tuple[str, tuple[str, ...], pa.Table]]:
    while part.nodes:
        labels = next(iter(part.nodes))
        yield "node", labels, part.nodes.pop(labels)


STEPS = ("resolved", "early", "all")
"""What a reader of a build still writing its tables waits for, in turn (:func:`iter_graph`'s
``ready``): the resolved tables, then :data:`EARLY_TABLES` as well, then every table."""

EARLY_TABLES = (f"derived.{PERFORMANCE_FRAME}",)
"""The derived tables the financial years read (kg.derive.timeline hands them on early)."""


def iter_graph(tables: Tables | None, ready: Callable[[str], Tables] | None = None
               ) -> Iterator[tuple[str, object, pa.Table | None]]:
    """The graph of :func:`graph_tables` one table at a time: ``("node", labels, table)``,
    ``("link", rel, table)`` and ``("warning", text, None)``, every link after the node tables of
    its ends. A table is made when asked for, so a reader that lets each go (the embedded Cypher
    load) holds one at a time rather than the whole graph.

    The entity nodes and the links of the sources alone come first, then the financial years,
    then the derived nodes and links, so that a build can load the graph while it still derives
    (kg.build): ``ready(step)`` waits until the tables of each of :data:`STEPS` are written and
    returns them as they are then (``tables`` is not read then)."""
    if ready is None:
        def ready(step: str) -> Tables:
            return tables
    m = model()
    part = GraphTables()
    by_rel = {spec.rel: nt for nt, spec in DERIVED_NODES.items()}
    empty = pa.array([], pa.string())
    plain = set()  # the links without a qualified node that have a reader here

    tables = ready("resolved")
    _entity_nodes(tables, part)
    yield from _drain(part)
    for rel, link in m.links.items():
        if link.qualified_class and rel not in DERIVED_LINKS:
            yield "link", rel, _qualified_links(tables, rel, link, {})

    tables = ready("early")
    methods = tables.methods()
    fys = _financial_years(tables, part, methods)
    yield from _drain(part)
    if "REPORTED" in m.links and not m.links["REPORTED"].qualified_class:
        plain.add("REPORTED")  # without financial years (tables of none), no links
        if fys is not None:
            yield "link", "REPORTED", _pairs(fys.column("firm"), fys.column("iri"), False)
    del fys

    tables = ready("all")
    methods = tables.methods()
    assessed = _assessment_nodes(tables, part, methods)
    yield from _drain(part)
    for rel, link in m.links.items():
        if rel in by_rel and not link.qualified_class:
            plain.add(rel)
            t = assessed.get(by_rel[rel])
            yield "link", rel, _pairs(t.column("_entity") if t is not None else empty,
                                      t.column("_node") if t is not None else empty, link.derived)
    for rel, ol in object_links().items():  # node-to-node object properties: ultimate controller
        pairs = _pairs(empty, empty, ol.derived)
        for t in assessed.values():  # from the derived node of the period that states it
            if ol.column and ol.column in t.column_names:
                t = t.filter(pc.is_valid(t.column(ol.column)))
                t = pa.table({FROM: t.column("_node").cast(pa.string()), TO: t.column(ol.column).cast(pa.string())})
                if not _distinct(t, FROM):  # one pair per node and controller, the first of each
                    t = t.filter(pa.array(~t.to_pandas().duplicated().to_numpy()))
                pairs = _pairs(t.column(FROM), t.column(TO), ol.derived)
        yield "link", rel, pairs
    del assessed
    for rel, link in m.links.items():
        ident(rel)
        if link.qualified_class:
            if rel in DERIVED_LINKS:
                yield "link", rel, _qualified_links(tables, rel, link, methods)
        elif rel not in plain:
            yield "warning", f"links {rel} have no qualified node and no reader; not written", None


def _qualified_links(tables: Tables, rel: str, link, methods: dict[str, str]) -> pa.Table:
    """The links of a type with a qualified node: the sources' and the derived ones."""
    props = list(link.properties)
    parts = [p for p in (_source_links(tables, rel, props), _derived_links(tables, rel, props, methods))
             if p is not None]
    cols = ["iri", FROM, TO, *[p.column for p in props], *PROVENANCE]
    if parts:
        t = _first(pa.concat_tables(parts, promote_options="permissive"), "iri")
        t = t.select([c for c in cols if c in t.column_names])
    else:
        empty = pa.array([], pa.string())
        t = pa.table({c: empty for c in ("iri", FROM, TO)})
    del parts
    if link.derived and t.num_rows:
        t = t.append_column("derived", pa.repeat(True, t.num_rows))
    return t


def graph_tables(tables: Tables) -> GraphTables:
    """Every node and link of the tables as typed Arrow tables (see the module doc), links in
    the ontology's order."""
    g = GraphTables()
    links = {}
    for kind, key, t in iter_graph(tables):
        if kind == "node":
            g.nodes[key] = t
        elif kind == "link":
            links[key] = t
        else:
            g.warnings.append(key)
    order = [*model().links, *object_links()]
    g.links = {rel: links[rel] for rel in order if rel in links}
    return g


def graph_view(tables: Tables) -> GraphFrames:
    """Every node and link of the tables as property-graph frames of Python values (see the
    module doc): :func:`graph_tables` with the columns empty in every row left out."""
    a = graph_tables(tables)
    g = GraphFrames(kinds=dict(column_kinds()), warnings=list(a.warnings))
    for labels, t in a.nodes.items():
        g.nodes[labels] = _object_frame(t, t.column_names, ("iri",))
    for rel, t in a.links.items():
        keep = ("iri", FROM, TO) if "iri" in t.column_names else (FROM, TO)
        f = _object_frame(t, [c for c in t.column_names if c != "derived"], keep)
        if "derived" in t.column_names:
            f["derived"] = True
        g.links[rel] = f
    return g
