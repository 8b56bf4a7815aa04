"""References: find the entity an analyst means by an id, USCC, LEI, ticker, name or IRI.

Lookups are parameterised queries (SPARQL pre-binding on the embedded store, Bolt parameters
on Neo4j); the analyst's text never becomes query text. The order of tries:

1. an IRI (``https://...``) that the graph knows;
2. an exact identifier: the local ``id`` a source gave, a USCC or LEI (case-insensitive), a
   ticker (``300024``, ``300024.SZ``, ``sz300024`` all mean the same security);
3. a name (``name`` or ``name_zh``): the entities whose name equals the text (ignoring case,
   width, legal-form suffixes such as 有限公司 / Co., Ltd.), else those whose name contains it.

One match is the answer; several are an :class:`AmbiguousRef` (exit 2) listing the candidates;
none is an InputError.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
>>> b = EmbeddedLookup(open_store(db))
>>> resolve_ref(b, "Liaoning SASAC")
'https://w3id.org/accelerator-kg/id/entity/sasac'
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import ID, KG, model

__all__ = ["Candidate", "AmbiguousRef", "resolve_ref", "EmbeddedLookup", "Neo4jLookup", "MAX_LISTED"]

MAX_LISTED = 20
_ID_PROPS = ("localId", "uscc", "lei", "ticker")  # kg: properties; Neo4j columns id, uscc, lei, ticker
_NEO4J_COLS = {"localId": "id", "uscc": "uscc", "lei": "lei", "ticker": "ticker"}


@dataclass(frozen=True)
class Candidate:
    """An entity a reference may mean."""

    iri: str
    name: str | None = None
    types: tuple[str, ...] = ()
    local_id: str | None = None

    def line(self) -> str:
        """``name (Firm, id siasun) <iri>``"""
        bits = [", ".join(self.types)] if self.types else []
        if self.local_id:
            bits.append(f"id {self.local_id}")
        extra = f" ({'; '.join(bits)})" if bits else ""
        return f"{self.name or '(no name)'}{extra} <{self.iri}>"


class AmbiguousRef(InputError):
    """A reference that matches several entities; ``candidates`` lists them."""

    def __init__(self, text: str, candidates: list[Candidate], how: str):
        self.candidates = candidates
        shown = candidates[:MAX_LISTED]
        more = f"\n  ... and {len(candidates) - MAX_LISTED} more" if len(candidates) > MAX_LISTED else ""
        lines = "\n".join(f"  {c.line()}" for c in shown)
        super().__init__(f"{text!r} is ambiguous: {len(candidates)} entities match by {how}; "
                         f"give an id, USCC, LEI or ticker, or the full name:\n{lines}{more}")


def _not_a_link(prop: str) -> str:
    """A filter leaving out the qualified link nodes that also carry kg:``prop`` (a Listing's
    ticker), known by the role pointing at their start (the ontology's kg:sourceRole).

    >>> _not_a_link("ticker")
    'FILTER NOT EXISTS { ?e kg:listedFirm ?_from }'
    >>> _not_a_link("localId")
    ''
    """
    m = model()
    roles = sorted(link.source_role for link in m.links.values()
                   if link.qualified_class and link.qualified_class in m.prop(prop).on)
    return " ".join(f"FILTER NOT EXISTS {{ ?e kg:{r} ?_from }}" for r in roles)


def _identifier_forms(text: str) -> dict[str, str]:
    """What each identifier property should equal for this text."""
    forms = {"localId": text, "uscc": text.upper(), "lei": text.upper()}
    try:
        from kg.values.ticker import parse as parse_ticker

        forms["ticker"] = parse_ticker(text).canonical
    except Exception:  # noqa: BLE001 - not a ticker
        pass
    return forms


def _same_name(a: str | None, b: str) -> bool:
    from kg.values.text import normalise_name

    if a is None:
        return False
    return a.casefold() == b.casefold() or (normalise_name(a) != "" and normalise_name(a) == normalise_name(b))


def resolve_ref(lookup, text: str) -> str:
    """The IRI of the one entity ``text`` names, via a lookup (:class:`EmbeddedLookup` /
    :class:`Neo4jLookup`). Raises InputError (none) or AmbiguousRef (several)."""
    text = str(text).strip()
    if text.startswith(("http://", "https://")):
        if lookup.exists(text):
            return text
        raise InputError(f"no entity with IRI {text} in the graph")
    found: dict[str, Candidate] = {}
    for prop, value in _identifier_forms(text).items():
        for iri in lookup.by_identifier(prop, value):
            found.setdefault(iri, Candidate(iri))
    if len(found) == 1:
        return next(iter(found))
    if len(found) > 1:
        raise AmbiguousRef(text, lookup.describe(list(found)), "identifier")
    named = lookup.by_name(text.casefold())
    if not named:
        named = lookup.by_normalised_name(text)
        if not named:
            raise InputError(f"no entity matches {text!r} by id, USCC, LEI, ticker or name")
    exact = sorted({c.iri: c for c in named if _same_name(c.name, text)}.values(), key=_order)
    if len(exact) == 1:
        return exact[0].iri
    if len(exact) > 1:
        raise AmbiguousRef(text, lookup.describe([c.iri for c in exact]), "name")
    cands = sorted({c.iri: c for c in named}.values(), key=_order)
    if len(cands) == 1:
        return cands[0].iri
    raise AmbiguousRef(text, lookup.describe([c.iri for c in cands]), "part of the name")


def _order(c: Candidate):
    return (c.name or "", c.iri)


class EmbeddedLookup:
    """Reference lookups on the embedded store (SPARQL with pre-bound parameters)."""

    def __init__(self, store: ox.Store):
        self.store = store

    def _select(self, query: str, bindings: dict) -> list[list]:
        from kg.rdf.query import run_sparql

        return run_sparql(self.store, f"PREFIX kg: <{KG}>\n" + query, bindings)[1]

    def exists(self, iri: str) -> bool:
        """Whether the graph has statements about ``iri``."""
        if not iri.startswith(ID):
            return False
        rows = self._select("SELECT ?p WHERE { ?e ?p ?o } LIMIT 1", {"e": ox.NamedNode(iri)})
        return bool(rows)

    def by_identifier(self, prop: str, value: str) -> list[str]:
        """Entities whose kg:``prop`` equals ``value`` (not links, which also carry tickers)."""
        if prop not in _ID_PROPS:
            raise ValueError(prop)
        q = f"SELECT DISTINCT ?e WHERE {{ ?e kg:{prop} ?v . {_not_a_link(prop)} }}"
        return [r[0] for r in self._select(q, {"v": ox.Literal(value)})]

    def by_name(self, needle: str) -> list[Candidate]:
        """Entities whose name or Chinese name contains ``needle`` (lower case)."""
        q = (f"SELECT ?e ?n WHERE {{ {{ ?e kg:name ?n {_not_a_link('name')} }} UNION "
             f"{{ ?e kg:nameZh ?n {_not_a_link('nameZh')} }} FILTER(CONTAINS(LCASE(STR(?n)), ?needle)) }}")
        return [Candidate(e, n) for e, n in self._select(q, {"needle": ox.Literal(needle)})]

    def by_normalised_name(self, text: str) -> list[Candidate]:
        """Entities whose normalised name equals the text's (a full scan; the last resort)."""
        from kg.values.text import normalise_name

        key = normalise_name(text)
        if not key:
            return []
        q = f"SELECT ?e ?n WHERE {{ {{ ?e kg:name ?n {_not_a_link('name')} }} UNION {{ ?e kg:nameZh ?n {_not_a_link('nameZh')} }} }}"
        return [Candidate(e, n) for e, n in self._select(q, {}) if normalise_name(n) == key]

    def describe(self, iris: list[str]) -> list[Candidate]:
        """Name, types and local id of each IRI, for listing candidates."""
        out = []
        for iri in iris:
            rows = self._select("SELECT (MIN(?n) AS ?name) (GROUP_CONCAT(DISTINCT STRAFTER(STR(?t), STR(kg:)); separator=',') AS ?types) "
                                "(MIN(?i) AS ?id) WHERE { OPTIONAL { ?e kg:name ?n } OPTIONAL { ?e a ?t } "
                                "OPTIONAL { ?e kg:localId ?i } }", {"e": ox.NamedNode(iri)})
            name, types, lid = rows[0] if rows else (None, "", None)
            out.append(Candidate(iri, name, tuple(sorted(t for t in (types or "").split(",") if t)), lid))
        return sorted(out, key=_order)


class Neo4jLookup:
    """Reference lookups on Neo4j (Bolt parameters; labels and properties from the ontology)."""

    def __init__(self, driver, settings):
        self.driver, self.settings = driver, settings

    def _run(self, query: str, params: dict) -> list[list]:
        from kg.neo4j.cypher import run_cypher

        return run_cypher(self.driver, self.settings, query, params)[1]

    def exists(self, iri: str) -> bool:
        """Whether a node has this IRI."""
        return bool(self._run("MATCH (e:KgNode {iri: $iri}) RETURN e.iri LIMIT 1", {"iri": iri}))

    def by_identifier(self, prop: str, value: str) -> list[str]:
        """Nodes whose identifier property equals ``value``."""
        col = _NEO4J_COLS[prop]
        return [r[0] for r in self._run(f"MATCH (e:KgNode) WHERE e.{col} = $v RETURN DISTINCT e.iri", {"v": value})]

    def by_name(self, needle: str) -> list[Candidate]:
        """Nodes whose name or Chinese name contains ``needle`` (lower case)."""
        rows = self._run("MATCH (e:KgNode) WHERE toLower(e.name) CONTAINS $needle OR toLower(e.name_zh) CONTAINS $needle "
                         "RETURN e.iri, e.name, e.name_zh", {"needle": needle})
        out = []
        for iri, name, zh in rows:
            out.append(Candidate(iri, name))
            if zh:
                out.append(Candidate(iri, zh))
        return out

    def by_normalised_name(self, text: str) -> list[Candidate]:
        """Nodes whose normalised name equals the text's (a full scan; the last resort)."""
        from kg.values.text import normalise_name

        key = normalise_name(text)
        if not key:
            return []
        rows = self._run("MATCH (e:KgNode) WHERE e.name IS NOT NULL RETURN e.iri, e.name, e.name_zh", {})
        out = []
        for iri, name, zh in rows:
            for n in (name, zh):
                if n and normalise_name(n) == key:
                    out.append(Candidate(iri, n))
        return out

    def describe(self, iris: list[str]) -> list[Candidate]:
        """Name, labels and local id of each IRI."""
        rows = self._run("UNWIND $iris AS i MATCH (e:KgNode {iri: i}) RETURN e.iri, e.name, labels(e), e.id", {"iris": iris})
        return sorted((Candidate(i, n, tuple(sorted(x for x in labels if x != "KgNode")), lid)
                       for i, n, labels, lid in rows), key=_order)
