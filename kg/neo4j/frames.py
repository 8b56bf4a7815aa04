"""The RDF store read back as property-graph frames: nodes grouped by label set, links by type.

The sinks (Bolt push, bulk-import CSVs) read the same frames from the graph tables
(:func:`kg.tables.graph_frames`, :class:`GraphFrames` lives in :mod:`kg.tables.view` and is
re-exported here); :func:`read_graph` reads them back out of the store instead, through
:mod:`kg.rdf.read`, typing every column from the ontology: decimals become floats, integers
ints, booleans bools, dates ``datetime.date`` (partial dates are stored at the first or last
day of their period; their ``*_precision`` column says ``year`` or ``month``). It is the
reference the tables' view is tested against (tests/test_tables.py); at 10^5 firms it takes
~18 times as long (258 s against 14 s, benchmarks/bench_tables.py).

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> g = read_graph(open_store(db))
>>> sorted(g.nodes)[:2]
[('KgNode', 'Bank'), ('KgNode', 'Exchange')]
>>> owns = g.links["OWNS"]
>>> sorted(owns["share"])[-1], type(owns["start"].dropna().iloc[0]).__name__
(1.0, 'date')
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyoxigraph as ox

from kg.neo4j.schema import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    NODE_LABEL,
    STRING,
    all_labels,
    column_kinds,
    ident,
    link_columns,
    node_labels,
    object_links,
)
from kg.ontology import model
from kg.rdf.read import (
    fill_unstated,
    instances,
    methods,
    read_financial_years,
    read_links,
    read_nodes,
    read_object_links,
    select_frame,
    typed,
)
from kg.tables.derived import DERIVED_NODES
from kg.tables.view import FROM, TO, GraphFrames  # noqa: F401  (re-exported)


def _float(v):
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _int(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return int(v)


def _bool(v):
    if v is None:
        return None
    if isinstance(v, str):
        return v in ("true", "1")
    return bool(v)


def _date(v):
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def _str(v):
    return None if v is None else str(v)


_CONVERT = {FLOAT: _float, INT: _int, BOOL: _bool, DATE: _date, STRING: _str}


def typed_column(col: pd.Series, kind: str) -> pd.Series:
    """A column converted to plain Python values of a kind (None where empty).

    >>> typed_column(pd.Series(["2021-07-01", None]), "date").tolist()
    [datetime.date(2021, 7, 1), None]
    >>> typed_column(pd.Series([51, None], dtype=object), "float").tolist()
    [51.0, None]
    """
    conv = _CONVERT[kind]
    values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else conv(v) for v in col.tolist()]
    return pd.Series(values, index=col.index, dtype=object, name=col.name)


def _typed(df: pd.DataFrame, kinds: dict[str, str], skip: tuple[str, ...]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for c in df.columns:
        out[c] = df[c] if c in skip else typed_column(df[c], kinds.get(c, STRING))
    return out


def _drop_empty_columns(df: pd.DataFrame, keep: tuple[str, ...]) -> pd.DataFrame:
    cols = [c for c in df.columns if c in keep or df[c].notna().any()]
    return df[cols]


def read_assessments(store: ox.Store, node_type: str) -> pd.DataFrame:
    """The derived nodes of one type (OwnershipAssessment, SizeAssessment): ``iri`` and the
    type's properties, the method stated on the class on every row; one row each.

    >>> read_assessments(ox.Store(), "SizeAssessment").columns.tolist()[:3]
    ['iri', 'size_class', 'size_year']
    """
    m = model()
    props = m.props_on(node_type)
    cols = ["iri", *[p.column for p in props]]
    base = select_frame(store, f"SELECT DISTINCT ?iri WHERE {{ {instances('iri', node_type)} }}")
    if not len(base):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    base = base.sort_values("iri").reset_index(drop=True)
    for p in props:
        if p.local == "method":
            base[p.column] = methods(store).get(node_type)
            continue
        f = select_frame(store, f"SELECT ?iri (MIN(?v) AS ?x) WHERE {{ {instances('iri', node_type)} "
                                f"?iri <{p.iri}> ?v }} GROUP BY ?iri")
        col = base["iri"].map(f.set_index("iri")["x"]) if len(f) else pd.Series(None, index=base.index, dtype=object)
        base[p.column] = typed(col.astype(object).where(col.notna(), None), p.datatype)
    return fill_unstated(base[cols], node_type)  # what the store leaves out (kg:default ...)


def read_graph(store: ox.Store) -> GraphFrames:
    """Read every node, financial year and link of the store, typed for Neo4j.

    Node frames have ``iri`` and the property columns present in that label set; link frames
    ``from``, ``to``, ``iri`` (when the link has a qualified node), the properties, provenance
    and ``derived`` (True on derived links). Node-to-node object properties that are not links
    (``kg:ultimateController``) become links too (ULTIMATE_CONTROLLER, see
    :func:`kg.neo4j.schema.object_links`), with only ``from``, ``to`` and ``derived``.

    >>> g = read_graph(store)  # doctest: +SKIP
    >>> g.node_count, sorted(g.links)[:2]  # doctest: +SKIP
    (468, ['CERTIFIED_AS', 'CONTROLS'])
    """
    m = model()
    kinds = dict(column_kinds())
    g = GraphFrames(kinds=kinds)
    allowed = set(all_labels())

    nodes = read_nodes(store)
    if len(nodes):
        for labels, grp in nodes.groupby("labels", sort=True):
            bad = [x for x in labels if x not in allowed]
            if bad:  # cannot happen with read_nodes, which only asks for ontology types
                raise ValueError(f"labels {bad} are not in the ontology")
            frame = grp.drop(columns="labels").drop_duplicates(subset="iri").reset_index(drop=True)
            frame = _drop_empty_columns(_typed(frame, kinds, ("iri",)), ("iri",))
            g.nodes[(NODE_LABEL, *labels)] = frame

    fy_type = next((t for t in m.node_types if t == "FinancialYear"), None)
    reported = m.links.get("REPORTED")
    fys = None
    if fy_type and reported:
        fys = read_financial_years(store)
        fys = fys.drop_duplicates(subset="iri")
        frame = fys.drop(columns=["firm"]).reset_index(drop=True)
        g.nodes[node_labels(fy_type)] = _drop_empty_columns(_typed(frame, kinds, ("iri",)), ("iri",))

    by_rel = {}
    for nt, spec in DERIVED_NODES.items():  # derived nodes of each period
        if nt not in m.node_types:
            continue
        frame = read_assessments(store, nt)
        if len(frame):
            g.nodes[node_labels(nt)] = _drop_empty_columns(_typed(frame, kinds, ("iri",)), ("iri",))
        by_rel[spec.rel] = nt

    for rel, link in m.links.items():
        ident(rel)
        if link.qualified_class:
            f = read_links(store, rel).drop_duplicates(subset="iri")
            f = _typed(f, {**kinds, **link_columns(link)}, ("iri", FROM, TO))
            if link.derived:
                f["derived"] = True
            g.links[rel] = _drop_empty_columns(f.reset_index(drop=True), ("iri", FROM, TO))
        elif rel == "REPORTED" and fys is not None:
            g.links[rel] = pd.DataFrame({FROM: fys["firm"].tolist(), TO: fys["iri"].tolist()})
        elif rel in by_rel:
            f = read_object_links(store, link.predicate)
            if link.derived:
                f["derived"] = True
            g.links[rel] = f.reset_index(drop=True)
        else:
            g.warnings.append(f"links {rel} have no qualified node and no reader; not written")
    for rel, ol in object_links().items():  # node-to-node object properties: ultimate controller
        f = read_object_links(store, ol.predicate)
        if ol.derived:
            f["derived"] = True
        g.links[rel] = f.reset_index(drop=True)
    return g
