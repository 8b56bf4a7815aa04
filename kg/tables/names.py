"""Property-graph names and value kinds, all taken from the ontology (never from user input).

The graph tables' property-graph view (:class:`kg.tables.view.GraphFrames`) and every
property-graph sink (Neo4j push and bulk import, the embedded Cypher database) use these:

* every node carries the marker label ``KgNode`` plus its ontology labels, most specific
  first (a GuidanceFund is also a Fund);
* relationship types are the ontology's ``kg:relType`` values, then its node-to-node object
  properties (``kg:ultimateController`` becomes ULTIMATE_CONTROLLER);
* each property column has one value kind (float, int, bool, date, string) from its XSD
  datatype.

>>> node_labels("GuidanceFund")
('KgNode', 'GuidanceFund', 'Fund')
>>> column_kinds()["share"], kind(XSD + "date")
('float', 'date')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from kg.ontology import KG, XSD, Link, graph, model

NODE_LABEL = "KgNode"
"""The marker label of every node a property-graph sink writes (Neo4j's ``--wipe`` deletes these)."""

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# value kinds of property columns, from XSD datatypes
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
    """The value kind (float, int, bool, date, string) of an XSD datatype.

    >>> kind(XSD + "decimal"), kind(XSD + "date"), kind("http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
    ('float', 'date', 'string')
    """
    return _KINDS.get(datatype, STRING)


@cache
def superclasses(cls: str) -> frozenset[str]:
    """kg: local names of a class and all its superclasses.

    >>> sorted(superclasses("GuidanceFund"))[:3]
    ['Entity', 'Fund', 'GuidanceFund']
    """
    import rdflib
    from rdflib.namespace import RDFS

    g = graph()
    out = set()
    for sup in g.transitive_objects(rdflib.URIRef(KG + cls), RDFS.subClassOf):
        if str(sup).startswith(KG):
            out.add(str(sup).removeprefix(KG))
    return frozenset(out)


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


def label_order(labels) -> tuple[str, ...]:
    """A node's labels, most specific first: node types with longer label chains first, then
    in ontology order (the order the property-graph view groups nodes by).

    >>> label_order({"Fund", "GuidanceFund"})
    ('GuidanceFund', 'Fund')
    """
    m = model()
    order = {t: i for i, t in enumerate(m.node_types)}
    return tuple(sorted(set(labels), key=lambda t: (-len(m.node_type(t).labels), order[t])))


@dataclass(frozen=True)
class ObjectLink:
    """A node-to-node object property that is not a link of the ontology (it has no
    ``kg:relType`` nor a qualified node), such as ``kg:ultimateController``: a relationship
    named after its ``kg:column`` in capitals (ULTIMATE_CONTROLLER), with ``derived: true``
    when the property is ``kg:derived``; ``column`` names it in the derived tables."""

    rel_type: str
    predicate: str
    derived: bool
    column: str = ""


@cache
def object_links() -> dict[str, ObjectLink]:
    """Relationship type -> :class:`ObjectLink`, for the ontology's object properties with a
    ``kg:column`` whose domain and range are node classes (or their superclasses, such as
    Entity). ``kg:issuer`` (domain Certification, a link's qualified node) is not one: a
    relationship cannot start at a relationship.

    >>> object_links()["ULTIMATE_CONTROLLER"].derived, object_links()["ULTIMATE_CONTROLLER"].column
    (True, 'ultimate_controller')
    >>> "ISSUER" in object_links()
    False
    """
    import rdflib
    from rdflib.namespace import OWL, RDF, RDFS

    g = graph()
    m = model()
    node_classes = set()
    for nt in m.node_types:
        node_classes |= superclasses(nt)
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
        out[rel] = ObjectLink(rel_type=rel, predicate=str(p), derived=bool(g.value(p, rdflib.URIRef(KG + "derived"))),
                              column=str(column))
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
