"""Reference entities shipped with kg (ontology/reference.ttl): exchanges and programmes.

>>> exchange_iri("上交所") == exchange_iri("XSHG") == exchange_iri("sse")
True
>>> programme_code('专精特新"小巨人"')
'little_giant'
"""

from __future__ import annotations

from functools import cache

import rdflib
from rdflib.namespace import RDF, SKOS

from kg.ontology import KG
from kg.resources import resource_path

_K = rdflib.Namespace(KG)


def _key(v: str) -> str:
    from kg.loaders.mapping import vocab_key

    return vocab_key(v)


@cache
def graph() -> rdflib.Graph:
    """The reference entities as an rdflib Graph."""
    g = rdflib.Graph()
    g.parse(resource_path("ontology", "reference.ttl"), format="turtle")
    return g


@cache
def _index(cls: str) -> dict[str, str]:
    g = graph()
    idx: dict[str, str] = {}
    for s in g.subjects(RDF.type, _K[cls]):
        for p in (_K.code, _K.mic, _K.name, _K.nameZh, SKOS.altLabel):
            for o in g.objects(s, p):
                idx.setdefault(_key(str(o)), str(s))
    return idx


def exchange_iri(value: str) -> str | None:
    """IRI of the exchange named by a code, MIC or name; None if unknown."""
    return _index("Exchange").get(_key(value))


def programme_iri(value: str) -> str | None:
    """IRI of the programme named by a code or name; None if unknown."""
    return _index("Programme").get(_key(value))


def programme_code(value: str) -> str | None:
    iri = programme_iri(value)
    return iri.rsplit("/", 1)[1] if iri else None


def exchange_code(value: str) -> str | None:
    iri = exchange_iri(value)
    return iri.rsplit("/", 1)[1] if iri else None


def names() -> list[tuple[str, str]]:
    """(IRI, name) of every reference entity with a name (exchanges, programmes).

    >>> ("https://w3id.org/accelerator-kg/id/exchange/SSE", "Shanghai Stock Exchange") in names()
    True
    """
    g = graph()
    return sorted((str(s), str(o)) for s, o in g.subject_objects(_K.name))


def codes(cls: str) -> list[str]:
    """Codes of the reference entities of a class, e.g. codes('Exchange')."""
    g = graph()
    return sorted(str(g.value(s, _K.code)) for s in g.subjects(RDF.type, _K[cls]))
