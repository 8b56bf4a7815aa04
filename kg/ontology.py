"""The model read from ontology/kg.ttl: node types, links and properties.

Everything else (RDF writing, Neo4j labels and relationship types, exports, views) asks this
module for names, so a type or link exists in code only if the ontology defines it.

>>> m = model()
>>> m.link("OWNS").predicate == KG + "owns"
True
>>> m.node_type("GuidanceFund").labels
('GuidanceFund', 'Fund')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from kg.resources import resource_path

KG = "https://w3id.org/accelerator-kg/ont#"
ID = "https://w3id.org/accelerator-kg/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = str(RDF.type)

_K = rdflib.Namespace(KG)


@dataclass(frozen=True)
class Property:
    """A datatype property: ``iri``, its ``column`` name and XSD ``datatype``."""

    iri: str
    column: str
    datatype: str
    on: tuple[str, ...]  # local names of the classes that carry it
    derived: bool = False
    date_position: str | None = None  # 'start' | 'end' for date properties
    any_as_of: bool = False  # derived, but exact for every as_of date (kg:anyAsOf)

    @property
    def local(self) -> str:
        return self.iri.removeprefix(KG)


@dataclass(frozen=True)
class NodeType:
    """A node type; ``labels`` is the class and its node-type superclasses, most specific first."""

    iri: str
    name: str
    labels: tuple[str, ...]
    derived: bool = False  # nodes kg computes (kg:derived on the class), not entities of the sources


@dataclass(frozen=True)
class Link:
    """A link: ``rel_type`` (OWNS), ``predicate`` (kg:owns) and its qualified node layout."""

    rel_type: str
    predicate: str
    qualified_class: str | None
    source_role: str | None
    target_role: str | None
    derived: bool
    properties: tuple[Property, ...] = field(default=())

    @property
    def local(self) -> str:
        return self.predicate.removeprefix(KG)


@dataclass(frozen=True)
class Model:
    node_types: dict[str, NodeType]
    links: dict[str, Link]
    properties: dict[str, Property]  # by column name is ambiguous; keyed by local name
    classes: frozenset[str]  # every kg: class local name

    def node_type(self, name: str) -> NodeType:
        try:
            return self.node_types[name]
        except KeyError:
            raise KeyError(f"unknown node type {name!r}; the ontology has {sorted(self.node_types)}") from None

    def link(self, rel_type: str) -> Link:
        try:
            return self.links[rel_type]
        except KeyError:
            raise KeyError(f"unknown link {rel_type!r}; the ontology has {sorted(self.links)}") from None

    def prop(self, local: str) -> Property:
        try:
            return self.properties[local]
        except KeyError:
            raise KeyError(f"unknown property kg:{local}") from None

    def props_on(self, class_local: str) -> list[Property]:
        """Datatype properties carried by nodes of a class (or its qualified link class)."""
        return [p for p in self.properties.values() if class_local in p.on]

    def iri(self, local: str) -> str:
        """IRI of a kg: term, checked against the ontology."""
        if local in self.classes or local in self.properties or local in self._object_props:
            return KG + local
        raise KeyError(f"kg:{local} is not defined in ontology/kg.ttl")

    @property
    def _object_props(self) -> frozenset[str]:
        return _object_properties()


def _local(term) -> str:
    return str(term).removeprefix(KG)


@cache
def graph() -> rdflib.Graph:
    """The ontology as an rdflib Graph (parsed once)."""
    g = rdflib.Graph()
    g.parse(resource_path("ontology", "kg.ttl"), format="turtle")
    return g


@cache
def _object_properties() -> frozenset[str]:
    g = graph()
    return frozenset(_local(s) for s in g.subjects(RDF.type, OWL.ObjectProperty) if str(s).startswith(KG))


@cache
def model() -> Model:
    """Parse ontology/kg.ttl into a Model (cached)."""
    g = graph()
    classes = frozenset(_local(s) for s in g.subjects(RDF.type, OWL.Class) if str(s).startswith(KG))

    props: dict[str, Property] = {}
    for p in g.subjects(RDF.type, OWL.DatatypeProperty):
        if not str(p).startswith(KG):
            continue
        column = g.value(p, _K.column)
        if column is None:
            continue
        rng = g.value(p, RDFS.range)
        on = tuple(sorted(_local(c) for c in g.objects(p, _K.onClass)))
        props[_local(p)] = Property(
            iri=str(p),
            column=str(column),
            datatype=str(rng) if rng is not None else XSD + "string",
            on=on,
            derived=bool(g.value(p, _K.derived)),
            date_position=str(g.value(p, _K.datePosition)) if g.value(p, _K.datePosition) else None,
            any_as_of=bool(g.value(p, _K.anyAsOf)),
        )

    node_types: dict[str, NodeType] = {}
    for c in g.subjects(_K.nodeType, rdflib.Literal(True)):
        name = _local(c)
        chain = [name]
        for sup in g.transitive_objects(c, RDFS.subClassOf):
            sl = _local(sup)
            if sup != c and str(sup).startswith(KG) and (sup, _K.nodeType, rdflib.Literal(True)) in g:
                chain.append(sl)
        node_types[name] = NodeType(iri=str(c), name=name, labels=tuple(chain), derived=bool(g.value(c, _K.derived)))

    links: dict[str, Link] = {}
    for p in g.subjects(_K.relType, None):
        qc = g.value(p, _K.qualifiedClass)
        qlocal = _local(qc) if qc is not None else None
        links[str(g.value(p, _K.relType))] = Link(
            rel_type=str(g.value(p, _K.relType)),
            predicate=str(p),
            qualified_class=qlocal,
            source_role=_local(g.value(p, _K.sourceRole)) if g.value(p, _K.sourceRole) else None,
            target_role=_local(g.value(p, _K.targetRole)) if g.value(p, _K.targetRole) else None,
            derived=bool(g.value(p, _K.derived)),
            properties=tuple(
                sorted((pr for pr in props.values() if qlocal and qlocal in pr.on), key=lambda x: x.column)
            ),
        )
    return Model(node_types=node_types, links=links, properties=props, classes=classes)
