"""What an IRI is called when shown to people: an entity by its name and a short reference,
anything else of kg's by a short form (``kg:Firm``, ``source/merics-2024``).

Rows of queries carry IRIs (lossless, and what machine formats print). A table on a terminal
shows each entity as ``Name [ref]``: the name from the row's own ``X_name`` column where it has
one, else from the store's ``kg:displayName`` (all the IRIs of a table in one query per 500);
the reference is the entity's local id when it has one (what the sources call it, and a REF
every command accepts), else the key of its IRI: USCC, ticker or LEI.

>>> iri_ref("https://w3id.org/accelerator-kg/id/uscc/91340100145580966N")
'91340100145580966N'
>>> short_iri("https://w3id.org/accelerator-kg/ont#Firm"), short_iri("https://w3id.org/accelerator-kg/id/graph/source/merics-2024")
('kg:Firm', 'source/merics-2024')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from kg.ontology import ID, KG

__all__ = ["Label", "Labeller", "cypher_labeller", "iri_ref", "is_entity_iri", "short_iri", "store_labeller",
           "ENTITY_KINDS"]

#: The kinds of entity IRI (``id/<kind>/<key>``, docs/architecture.md "IRIs").
ENTITY_KINDS = ("uscc", "lei", "ticker", "entity", "name", "exchange", "programme")

_PREFIXES = {
    KG: "kg:",
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2002/07/owl#": "owl:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://www.w3.org/ns/shacl#": "sh:",
}


@dataclass(frozen=True)
class Label:
    """An entity as people read it: its name (None when the graph has none) and short reference."""

    name: str | None
    ref: str | None


#: Labels for a batch of entity IRIs (those it knows; one query for the whole batch).
Labeller = Callable[[list[str]], dict[str, Label]]


def is_entity_iri(s: object) -> bool:
    """Whether ``s`` is the IRI of an entity of the graph.

    >>> is_entity_iri("https://w3id.org/accelerator-kg/id/ticker/688017.SH"), is_entity_iri("https://w3id.org/accelerator-kg/id/fy/ab")
    (True, False)
    """
    if not isinstance(s, str) or not s.startswith(ID):
        return False
    kind, _, key = s[len(ID):].partition("/")
    return kind in ENTITY_KINDS and bool(key)


def iri_ref(iri: str) -> str | None:
    """The short reference an entity IRI carries: its USCC, LEI, ticker, local id, exchange or
    programme code; None for an entity known only by name and place.

    >>> iri_ref("https://w3id.org/accelerator-kg/id/entity/boc"), iri_ref("https://w3id.org/accelerator-kg/id/ticker/688017.SH")
    ('boc', '688017.SH')
    >>> iri_ref("https://w3id.org/accelerator-kg/id/name/acme@44/4403") is None
    True
    """
    kind, _, key = iri[len(ID):].partition("/")
    if not iri.startswith(ID) or kind == "name" or kind not in ENTITY_KINDS:
        return None
    return unquote(key)


def short_iri(iri: str) -> str:
    """A kg IRI in a short form people can read: ontology terms and common vocabularies with a
    prefix, named graphs by their path (``source/NAME``, ``reference``, ``derived``), other data
    IRIs as ``id:PATH``; any other IRI as it is.

    >>> short_iri("https://w3id.org/accelerator-kg/id/graph/derived"), short_iri("https://w3id.org/accelerator-kg/id/link/owns/5f1e")
    ('derived', 'id:link/owns/5f1e')
    >>> short_iri("https://example.org/x")
    'https://example.org/x'
    """
    if iri.startswith(ID):
        path = iri[len(ID):]
        return path.removeprefix("graph/") if path.startswith("graph/") else "id:" + unquote(path)
    for ns, prefix in _PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return prefix + iri[len(ns):]
    return iri


def store_labeller(store, batch: int = 500) -> Labeller:
    """Labels from an Oxigraph store: ``kg:displayName`` (else the smallest ``kg:name``) and the
    smallest ``kg:localId`` of each IRI, one query per ``batch`` IRIs.

    The IRIs come from the store's own answers and each is checked as an IRI by Oxigraph before
    it is written into the query's VALUES block (one that is not an IRI is left out).
    """
    import pyoxigraph as ox

    def labels(iris: list[str]) -> dict[str, Label]:
        out: dict[str, Label] = {}
        terms = []
        for i in dict.fromkeys(iris):
            try:
                terms.append(str(ox.NamedNode(i)))
            except ValueError:
                continue
        for k in range(0, len(terms), batch):
            q = (f"SELECT ?e (SAMPLE(?d) AS ?dn) (MIN(?n) AS ?name) (MIN(?i) AS ?id) WHERE {{ "
                 f"VALUES ?e {{ {' '.join(terms[k:k + batch])} }} "
                 f"OPTIONAL {{ ?e <{KG}displayName> ?d }} OPTIONAL {{ ?e <{KG}name> ?n }} "
                 f"OPTIONAL {{ ?e <{KG}localId> ?i }} }} GROUP BY ?e")
            for s in store.query(q, use_default_graph_as_union=True):
                e = s["e"].value
                name = s["dn"] or s["name"]
                local = s["id"]
                out[e] = Label(name.value if name is not None else None,
                               local.value if local is not None else iri_ref(e))
        return out

    return labels


def cypher_labeller(graph, batch: int = 500) -> Labeller:
    """Labels from the embedded Cypher graph (kg.cypher): a node's ``name`` (the display name)
    and its local ``id``, one query per ``batch`` IRIs, the IRIs bound as a parameter."""
    from kg.cypher.engine import run_cypher

    def labels(iris: list[str]) -> dict[str, Label]:
        out: dict[str, Label] = {}
        todo = [i for i in dict.fromkeys(iris) if isinstance(i, str)]
        for k in range(0, len(todo), batch):
            rows = run_cypher(graph, "MATCH (n:KgNode) WHERE n.iri IN $iris RETURN n.iri, n.name, n.id",
                              {"iris": todo[k:k + batch]}, {"iris": "STRING[]"})[1]
            for iri, name, local in rows:
                out[iri] = Label(name, local if local is not None else iri_ref(iri))
        return out

    return labels


def labels_for(iris: Iterable[str], names: dict[str, str], labeller: Labeller | None) -> dict[str, Label]:
    """A label for every entity IRI in ``iris``: the names the rows gave (``names``), the rest
    from ``labeller`` (in one call), the reference from the labeller or else the IRI.

    >>> labels_for(["https://w3id.org/accelerator-kg/id/uscc/X1"], {"https://w3id.org/accelerator-kg/id/uscc/X1": "Acme"}, None)
    {'https://w3id.org/accelerator-kg/id/uscc/X1': Label(name='Acme', ref='X1')}
    """
    iris = list(dict.fromkeys(iris))
    found = labeller(iris) if labeller is not None and iris else {}
    out = {}
    for i in iris:
        got = found.get(i)
        name = names.get(i) or (got.name if got else None)
        ref = got.ref if got and got.ref else iri_ref(i)
        out[i] = Label(name, ref)
    return out
