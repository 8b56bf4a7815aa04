"""The embedded property graph's tables, all derived from the ontology.

LadybugDB (like Kuzu) keeps each node in exactly one node table, so a node table is a node type
(Firm, GuidanceFund, ...; its primary key ``iri``), where Neo4j gives a node all its labels
(KgNode, GuidanceFund, Fund): :func:`label_tables` says which tables a Neo4j label stands for,
and :mod:`kg.cypher.dialect` rewrites labels into unions of them. A relationship table is a
relationship type with one FROM/TO pair per pair of node types that its ontology domain and
range allow (a rel table group).

>>> label_tables()["Fund"]
('Fund', 'GuidanceFund')
>>> node_columns("Programme")
{'iri': 'string', 'code': 'string', 'name': 'string', 'name_zh': 'string', 'tier': 'int'}
>>> ("Firm", "Programme") in rel_pairs()["CERTIFIED_AS"]
True
"""

from __future__ import annotations

from functools import cache

from kg.neo4j.schema import props_of_node_type
from kg.ontology import KG, graph, model
from kg.tables.names import (
    BOOL,
    DATE,
    FLOAT,
    INT,
    NODE_LABEL,
    STRING,
    column_kinds,
    ident,
    link_columns,
    object_links,
    superclasses,
)

#: LadybugDB column types for the value kinds of kg.neo4j.schema
DB_TYPES = {FLOAT: "DOUBLE", INT: "INT64", BOOL: "BOOLEAN", DATE: "DATE", STRING: "STRING"}


def quote(name: str) -> str:
    """A checked identifier in backticks (column names such as ``end`` are keywords).

    >>> quote("end")
    '`end`'
    """
    return f"`{ident(name)}`"


@cache
def node_tables() -> tuple[str, ...]:
    """Every node table: the ontology's node types, in ontology order.

    >>> node_tables()[:2]
    ('Firm', 'Bank')
    """
    return tuple(ident(nt) for nt in model().node_types)


ROW_KEY = "_row"
"""The primary key of a row-keyed node table: the node's row number in the table, from 0."""


@cache
def row_keyed() -> frozenset[str]:
    """The node tables keyed by row number (``_row SERIAL``) instead of by IRI: the nodes that
    hang off an entity and are only reached through its links (financial years, the derived
    assessments). A string key costs a hash index that COPY builds and the pool must hold (the
    largest one: seven financial years per firm); links find these ends by row number, and
    ``iri`` stays a property. ``plain`` leaves ``_row`` out of a returned node.

    >>> sorted(row_keyed())
    ['FinancialYear', 'OwnershipAssessment', 'SizeAssessment']
    """
    from kg.tables.derived import DERIVED_NODES

    return frozenset(nt for nt in node_tables() if nt == "FinancialYear" or nt in DERIVED_NODES)


@cache
def label_tables() -> dict[str, tuple[str, ...]]:
    """Neo4j label -> the node tables whose nodes carry it (``KgNode``: all of them).

    >>> label_tables()["KgNode"] == node_tables(), label_tables()["Firm"]
    (True, ('Firm',))
    """
    out: dict[str, list[str]] = {NODE_LABEL: list(node_tables())}
    for nt in model().node_types.values():
        for label in nt.labels:
            out.setdefault(label, []).append(nt.name)
    return {k: tuple(v) for k, v in out.items()}


@cache
def node_columns(node_type: str) -> dict[str, str]:
    """Column -> value kind of a node table: ``iri`` first, then the ontology's properties of
    the type (inherited and derived ones included)."""
    kinds = column_kinds()
    return {"iri": STRING, **{p.column: kinds[p.column] for p in props_of_node_type(node_type)}}


def _tables_of_class(cls: str) -> tuple[str, ...]:
    return tuple(nt for nt in node_tables() if cls in superclasses(nt))


@cache
def rel_pairs() -> dict[str, tuple[tuple[str, str], ...]]:
    """Relationship type -> its (FROM, TO) node-table pairs, from the ontology's domain and range.

    >>> rel_pairs()["REPORTED"][0]
    ('Firm', 'FinancialYear')
    """
    import rdflib
    from rdflib.namespace import RDFS

    g = graph()
    preds = {rel: link.predicate for rel, link in model().links.items()}
    preds.update({rel: ol.predicate for rel, ol in object_links().items()})
    out = {}
    for rel, pred in preds.items():
        dom = str(g.value(rdflib.URIRef(pred), RDFS.domain)).removeprefix(KG)
        rng = str(g.value(rdflib.URIRef(pred), RDFS.range)).removeprefix(KG)
        out[ident(rel)] = tuple((a, b) for a in _tables_of_class(dom) for b in _tables_of_class(rng))
    return out


@cache
def rel_columns(rel: str) -> dict[str, str]:
    """Column -> value kind of a relationship table: ``iri`` for links with a qualified node,
    the link's properties and provenance, ``derived`` for derived links.

    >>> list(rel_columns("CONTROLS"))[:3], rel_columns("REPORTED")
    (['iri', 'hops', 'method'], {})
    """
    m = model()
    if rel in object_links():
        return {"derived": BOOL} if object_links()[rel].derived else {}
    link = m.link(rel)
    cols = {"iri": STRING} if link.qualified_class else {}
    cols.update(link_columns(link))
    if link.derived:
        cols["derived"] = BOOL
    return cols


def schema_statements() -> list[str]:
    """The DDL creating every node and relationship table.

    >>> [s for s in schema_statements() if s.startswith("CREATE NODE TABLE Programme")]
    ['CREATE NODE TABLE Programme(`iri` STRING PRIMARY KEY, `code` STRING, `name` STRING, `name_zh` STRING, `tier` INT64)']
    """
    out = []
    for nt in node_tables():
        serial = nt in row_keyed()
        cols = [f"`{ROW_KEY}` SERIAL PRIMARY KEY"] if serial else []
        cols += [f"{quote(c)} {DB_TYPES[k]}" + (" PRIMARY KEY" if c == "iri" and not serial else "")
                 for c, k in node_columns(nt).items()]
        out.append(f"CREATE NODE TABLE {nt}({', '.join(cols)})")
    for rel, pairs in rel_pairs().items():
        ends = [f"FROM {a} TO {b}" for a, b in pairs]
        cols = [f"{quote(c)} {DB_TYPES[k]}" for c, k in rel_columns(rel).items()]
        out.append(f"CREATE REL TABLE {rel}({', '.join(ends + cols)})")
    return out
