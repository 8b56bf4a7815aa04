"""RDF exports (kg/export/rdf.py): Turtle, N-Triples, N-Quads and JSON-LD, re-imported into
rdflib and pyoxigraph and compared with the subgraph and with the store."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib

from kg.export import render
from kg.export.rdf import context
from kg.ontology import ID, KG, RDF_TYPE, model
from kg.rdf.nquads import row_in_iri, row_iri, split_row_iri
from kg.rdf.store import open_store
from kg.subgraph import Selection, around


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


@pytest.fixture(scope="module")
def sub(store):
    return around(store, "qingyun-reducer", Selection(hops=2, links=("OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON", "CONTROLS")))


NODE_TYPES = {KG + t for t in model().node_types if t != "FinancialYear" and not model().node_type(t).derived}


def entities(triples) -> set[str]:
    return {str(s) for s, p, o in triples if str(p) == RDF_TYPE and str(o) in NODE_TYPES}


def direct_links(triples) -> set[tuple[str, str, str]]:
    """(rel, from, to) of the qualified link nodes (the store states a link by its node only)."""
    roles = {KG + link.source_role: rel for rel, link in model().links.items() if link.qualified_class}
    targets = {KG + link.target_role for link in model().links.values() if link.qualified_class}
    ends = {}
    for s, p, o in triples:
        if str(p) in roles:
            ends.setdefault(str(s), {})["from"] = (roles[str(p)], str(o))
        elif str(p) in targets:
            ends.setdefault(str(s), {})["to"] = str(o)
    return {(e["from"][0], e["from"][1], e["to"]) for e in ends.values()}


def qualified(triples) -> set[str]:
    """The qualified link nodes: the subjects of a link's source role (the store leaves their
    rdf:type out, kg:typeStated false)."""
    roles = {KG + link.source_role for link in model().links.values() if link.qualified_class}
    return {str(s) for s, p, o in triples if str(p) in roles}


def stored_name(rel, r, sub) -> str:
    """A link node's IRI in the store (and so in RDF exports): a source's link node is named by
    its row (kg:rowInIri), a derived one keeps the table's IRI, except a control stated on its
    integrated ownership's node (kg:sharesNodeOf), which the reader maps back."""
    named = row_in_iri(KG + model().link(rel).qualified_class)
    if named and not model().link(rel).derived:
        return row_iri(r["iri"], r["source_row"])
    return sub.links[rel].attrs.get("store_iris", {}).get(r["iri"], r["iri"])


def expected(sub):
    return (set(sub.nodes["iri"]), {(rel, r["from"], r["to"]) for rel, r in sub.edges()},
            {stored_name(rel, r, sub) for rel, r in sub.edges()})


def as_tuples(triples):
    return [(t.subject.value, t.predicate.value, t.object.value) for t in triples]


def test_turtle_round_trips_into_rdflib(sub):
    g = rdflib.Graph()
    g.parse(data=render(sub, "ttl").decode("utf-8"), format="turtle")
    nodes, links, quals = expected(sub)
    assert entities(g) == nodes
    assert direct_links(g) == links
    assert qualified(g) == quals


def test_the_entities_derived_facts_of_the_date_come_with_them(store):
    """Each entity's ownership assessment that holds at the selection's date, and only that one."""
    import datetime as dt

    for day in (dt.date(2020, 6, 30), dt.date(2024, 6, 30)):
        sub = around(store, "qingyun-reducer", Selection(hops=1, links=("OWNS",), as_of=day))
        g = set(ox.parse(render(sub, "nt"), format=ox.RdfFormat.N_TRIPLES))
        has = {(t.subject.value, t.object.value) for t in g if t.predicate.value == KG + "hasOwnershipAssessment"}
        assert {a for a, _ in has} == set(sub.nodes["iri"])  # one each
        for _, a in has:
            vf = [t.object.value for t in g if t.subject.value == a and t.predicate.value == KG + "validFrom"]
            vt = [t.object.value for t in g if t.subject.value == a and t.predicate.value == KG + "validTo"]
            assert all(v <= day.isoformat() for v in vf) and all(v >= day.isoformat() for v in vt)


def test_turtle_and_ntriples_and_jsonld_hold_the_same_triples(sub):
    ttl = set(ox.parse(render(sub, "ttl"), format=ox.RdfFormat.TURTLE))
    nt = set(ox.parse(render(sub, "nt"), format=ox.RdfFormat.N_TRIPLES))
    jl = set(ox.parse(render(sub, "jsonld"), format=ox.RdfFormat.JSON_LD))
    assert ttl == nt == jl
    g = rdflib.Graph()
    g.parse(data=render(sub, "jsonld").decode("utf-8"), format="json-ld")
    assert len(g) == len(nt)
    assert entities(g) == expected(sub)[0]


def test_nquads_keep_the_source_graphs(sub, store):
    quads = list(ox.parse(render(sub, "nq"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    assert ID + "graph/source/synthetic/ownership.csv" in graphs and ID + "graph/reference" in graphs
    assert ID + "graph/derived" in graphs  # state share and CONTROLS links
    for q in quads:  # every quad is in the store, in the same graph
        assert q in store
    # a certification's qualified node sits in its source's graph; the build's lookups on it
    # (derived properties) in the derived graph
    cert = next(r for rel, r in sub.edges() if rel == "CERTIFIED_AS")
    derived = {p.iri for p in model().properties.values() if p.derived}
    on_cert = [q for q in quads if q.subject.value == stored_name("CERTIFIED_AS", cert, sub)]
    assert {q.graph_name.value for q in on_cert if q.predicate.value not in derived} == {cert["graph"]}
    assert {q.graph_name.value for q in on_cert if q.predicate.value in derived} <= {ID + "graph/derived"}
    # the lookups a query computes from the certification's own values are left out (kg:stored false)
    assert not {KG + "countsFrom", KG + "certYear"} & {q.predicate.value for q in on_cert}


def test_nothing_points_outside_the_selection(sub):
    triples = as_tuples(ox.parse(render(sub, "nt"), format=ox.RdfFormat.N_TRIPLES))
    nodes = set(sub.nodes["iri"])
    preds = {link.predicate for link in model().links.values() if link.qualified_class}
    for s, p, o in triples:
        if p in preds:
            assert s in nodes and o in nodes


def test_provenance_travels_with_the_data(sub):
    g = rdflib.Graph()
    g.parse(data=render(sub, "ttl").decode("utf-8"), format="turtle")
    kg = rdflib.Namespace(KG)
    focus = rdflib.URIRef(sub.focus[0])
    assert list(g.objects(focus, kg.sourceRow)) == [rdflib.Literal(sub.records[sub.records["iri"] == sub.focus[0]]["source_row"].iloc[0])]
    ds = rdflib.Dataset()
    ds.parse(data=render(sub, "nq").decode("utf-8"), format="nquads")
    for rel, r in sub.edges():
        link = rdflib.URIRef(stored_name(rel, r, sub))
        if model().link(rel).derived:  # how it was computed instead of a source row: stated on the class
            assert "majority control" in str(g.value(rdflib.URIRef(KG + model().link(rel).qualified_class), kg.method))
        else:  # the row in the link's name (kg:rowInIri), the dataset and file on its graph
            assert split_row_iri(str(link)) == (r["iri"], r["source_row"])
            assert not list(ds.quads((link, kg.sourceRow, None, None)))  # no statement of its own
            graph = {gr for _, _, _, gr in ds.quads((link, rdflib.URIRef(KG + model().link(rel).source_role), None, None))}
            assert {str(x) for x in graph} == {r["graph"]}
            (graph,) = graph
            assert (str(g.value(graph, kg.source)), str(g.value(graph, kg.sourceFile))) == (r["source"], r["source_file"])
    fy = set(g.objects(None, kg.reported))  # the store leaves out their type: the range of kg:reported says it
    assert len(fy) == len(sub.financials)


def test_as_of_export_leaves_out_invalid_links(store):
    then = around(store, "qingyun-group", Selection(hops=1, direction="up", links=("OWNS",), as_of=__import__("datetime").date(2019, 12, 31)))
    triples = as_tuples(ox.parse(render(then, "nt"), format=ox.RdfFormat.N_TRIPLES))
    shares = sorted(o for s, p, o in triples if p == KG + "share")
    assert shares == ["1"]  # the 100% SASAC stake, not the later 95%/5%


def test_turtle_has_prefixes_and_a_header(sub):
    text = render(sub, "ttl").decode("utf-8")
    assert text.startswith("# accelerator-kg subgraph around Hefei Qingyun Precision Reducer")
    assert "@prefix kg: <https://w3id.org/accelerator-kg/ont#> ." in text


def test_jsonld_uses_the_ontology_context(sub):
    doc = json.loads(render(sub, "jsonld"))
    assert doc["@context"] == context()
    focus = next(n for n in doc["@graph"] if n["@id"] == sub.focus[0])
    assert focus["@type"] == "Firm" and focus["nameZh"] == "合肥青云精密减速机有限公司"
    own = next(n for n in doc["@graph"] if "owner" in n)  # an Ownership node (its type is left out: kg:owner says it)
    assert isinstance(own["share"], str) and own["owner"].startswith(ID)
