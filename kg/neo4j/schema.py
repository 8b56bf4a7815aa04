"""Neo4j names and schema, all taken from the ontology (never from user input).

* Every node pushed gets the marker label ``KgNode`` (one uniqueness constraint on ``iri``,
  which makes a node MERGE one index seek; a push finds link ends by internal id) plus its
  ontology labels, most specific first (a GuidanceFund is also a Fund).
* Relationship types are the ontology's ``kg:relType`` values; links that have a qualified
  node in RDF carry its IRI as ``iri``, derived ones ``derived: true``. No relationship index:
  a MERGE finds a link from its two ends (found by id), and a relationship index
  would slow every write by about a third.
* Identifier indexes (id, uscc, lei, ticker, code, mic) per label that carries them, and a
  full-text index ``kg_names`` on ``name`` and ``name_zh`` (CJK analyser).

>>> NODE_LABEL
'KgNode'
>>> node_labels("GuidanceFund")
('KgNode', 'GuidanceFund', 'Fund')
>>> [s for s in schema_statements() if "kg_node_iri" in s][0]
'CREATE CONSTRAINT kg_node_iri IF NOT EXISTS FOR (n:KgNode) REQUIRE n.iri IS UNIQUE'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from kg.ontology import KG, XSD, Link, Property, graph, model

NODE_LABEL = "KgNode"
"""The marker label of every node a push or bulk import writes; ``--wipe`` deletes these."""

FULLTEXT_INDEX = "kg_names"
"""Name of the full-text index on ``name`` and ``name_zh``."""

IDENTIFIER_COLUMNS = ("id", "uscc", "lei", "ticker", "code", "mic")
"""Node properties that get a range index on every label whose class carries them."""

NAME_COLUMNS = ("name", "name_zh")

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Neo4j value kinds for XSD datatypes
FLOAT, INT, BOOL, DATE, STRING = "float", "int", "bool", "date", "string"
_KINDS = {
    XSD + "decimal": FLOAT, XSD + "double": FLOAT, XSD + "float": FLOAT,
    XSD + "integer": INT, XSD + "int": INT, XSD + "long": INT,
    XSD + "boolean": BOOL, XSD + "date": DATE,
}


def ident(name: str) -> str:
    """A label, type or property name checked to be a plain identifier (safe to put in Cypher).

    >>> ident("OWNS")
    'OWNS'
    >>> ident("x) DETACH DELETE (n")
    Traceback (most recent call last):
    ...
    ValueError: 'x) DETACH DELETE (n' is not a plain identifier
    """
    if not _IDENT.match(name):
        raise ValueError(f"{name!r} is not a plain identifier")
    return name


def kind(datatype: str) -> str:
    """The Neo4j value kind (float, int, bool, date, string) of an XSD datatype.

    >>> kind(XSD + "decimal"), kind(XSD + "date"), kind("http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
    ('float', 'date', 'string')
    """
    return _KINDS.get(datatype, STRING)


@cache
def _superclasses(cls: str) -> frozenset[str]:
    """kg: local names of a class and all its superclasses."""
    import rdflib
    from rdflib.namespace import RDFS

    g = graph()
    out = set()
    for sup in g.transitive_objects(rdflib.URIRef(KG + cls), RDFS.subClassOf):
        if str(sup).startswith(KG):
            out.add(str(sup).removeprefix(KG))
    return frozenset(out)


def props_of_node_type(node_type: str) -> list[Property]:
    """Datatype properties that nodes of a node type carry (inherited ones included).

    >>> "uscc" in [p.column for p in props_of_node_type("GuidanceFund")]
    True
    >>> [p.column for p in props_of_node_type("Programme")]
    ['code', 'name', 'name_zh', 'tier']
    """
    classes = _superclasses(node_type)
    return sorted((p for p in model().properties.values() if classes & set(p.on)), key=lambda p: p.column)


def node_labels(node_type: str) -> tuple[str, ...]:
    """All labels a node of ``node_type`` gets: the marker and the ontology labels.

    >>> node_labels("Firm")
    ('KgNode', 'Firm')
    """
    return (NODE_LABEL, *(ident(x) for x in model().node_type(node_type).labels))


def all_labels() -> tuple[str, ...]:
    """Every ontology label (the allow-list), in ontology order.

    >>> "GuidanceFund" in all_labels() and "KgNode" not in all_labels()
    True
    """
    seen: dict[str, None] = {}
    for nt in model().node_types.values():
        for x in nt.labels:
            seen[ident(x)] = None
    return tuple(seen)


@dataclass(frozen=True)
class ObjectLink:
    """A node-to-node object property that is not a link of the ontology (it has no
    ``kg:relType`` nor a qualified node), such as ``kg:ultimateController``: pushed as a
    relationship named after its ``kg:column`` in capitals (ULTIMATE_CONTROLLER), with
    ``derived: true`` when the property is ``kg:derived``."""

    rel_type: str
    predicate: str
    derived: bool


@cache
def object_links() -> dict[str, ObjectLink]:
    """Relationship type -> :class:`ObjectLink`, for the ontology's object properties with a
    ``kg:column`` whose domain and range are node classes (or their superclasses, such as
    Entity). ``kg:issuer`` (domain Certification, a link's qualified node) is not one: a
    relationship cannot start at a relationship.

    >>> object_links()["ULTIMATE_CONTROLLER"].derived
    True
    >>> "ISSUER" in object_links()
    False
    """
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    g = graph()
    m = model()
    node_classes = set()
    for nt in m.node_types:
        node_classes |= _superclasses(nt)
    link_predicates = {link.predicate for link in m.links.values()}
    out: dict[str, ObjectLink] = {}
    for p in sorted(g.subjects(RDF.type, OWL.ObjectProperty), key=str):
        column = g.value(p, rdflib.URIRef(KG + "column"))
        if not str(p).startswith(KG) or column is None or str(p) in link_predicates:
            continue
        dom, rng = g.value(p, RDFS.domain), g.value(p, RDFS.range)
        if dom is None or rng is None or not {str(dom).removeprefix(KG), str(rng).removeprefix(KG)} <= node_classes:
            continue
        rel = ident(str(column).upper())
        out[rel] = ObjectLink(rel_type=rel, predicate=str(p), derived=bool(g.value(p, rdflib.URIRef(KG + "derived"))))
    return out


def rel_types() -> tuple[str, ...]:
    """Every relationship type of the ontology (the allow-list): its links, then its
    node-to-node object properties (:func:`object_links`).

    >>> rel_types()[:2], rel_types()[-1]
    (('OWNS', 'FUNDED'), 'ULTIMATE_CONTROLLER')
    """
    return tuple(ident(r) for r in model().links) + tuple(object_links())


def link_columns(link: Link) -> dict[str, str]:
    """Column -> value kind of a link's relationship properties (provenance included).

    >>> link_columns(model().link("OWNS"))["share"], link_columns(model().link("OWNS"))["start"]
    ('float', 'date')
    """
    cols = {p.column: kind(p.datatype) for p in link.properties}
    if link.qualified_class:
        for p in model().props_on("Link"):
            cols[p.column] = kind(p.datatype)
    return cols


@cache
def column_kinds() -> dict[str, str]:
    """Column -> value kind over all ontology datatype properties (columns agree on their type).

    >>> column_kinds()["founded"], column_kinds()["tier"], column_kinds()["state_owned"]
    ('date', 'int', 'bool')
    """
    out: dict[str, str] = {}
    for p in model().properties.values():
        out.setdefault(p.column, kind(p.datatype))
    out["iri"] = STRING
    out["derived"] = BOOL
    return out


def schema_statements() -> list[str]:
    """Cypher statements creating the constraints and indexes a push needs (idempotent).

    >>> any(s.startswith("CREATE INDEX kg_firm_uscc") for s in schema_statements())
    True
    """
    out = [f"CREATE CONSTRAINT kg_node_iri IF NOT EXISTS FOR (n:{NODE_LABEL}) REQUIRE n.iri IS UNIQUE"]
    for col in IDENTIFIER_COLUMNS[:4]:
        out.append(f"CREATE INDEX kg_node_{col} IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.{col})")
    done = set()
    for nt in model().node_types:
        cols = {p.column for p in props_of_node_type(nt)}
        for label in model().node_type(nt).labels:
            for col in IDENTIFIER_COLUMNS:
                if col in cols and (label, col) not in done:
                    done.add((label, col))
                    out.append(f"CREATE INDEX kg_{label.lower()}_{col} IF NOT EXISTS "
                               f"FOR (n:{ident(label)}) ON (n.{ident(col)})")
    out.append(f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (n:{NODE_LABEL}) "
               f"ON EACH [{', '.join('n.' + c for c in NAME_COLUMNS)}] "
               "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}")
    return out


_SCHEMA_NAME = re.compile(r"^CREATE (CONSTRAINT|INDEX|FULLTEXT INDEX) ([A-Za-z0-9_]+) IF NOT EXISTS")


def schema_names() -> list[tuple[str, str]]:
    """``(kind, name)`` of every constraint and index :func:`schema_statements` creates, kind
    ``CONSTRAINT`` or ``INDEX`` (what a ``DROP`` needs).

    >>> schema_names()[0], ("INDEX", "kg_names") in schema_names()
    (('CONSTRAINT', 'kg_node_iri'), True)
    """
    out = []
    for stmt in schema_statements():
        m = _SCHEMA_NAME.match(stmt)
        out.append(("CONSTRAINT" if m.group(1) == "CONSTRAINT" else "INDEX", m.group(2)))
    return out

