"""The ontology is the single source of truth: nothing uses a kg: name it does not define."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import rdflib

from kg.ontology import KG, graph, model
from kg.rdf.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def defined_names() -> set[str]:
    g = graph()
    return {str(s).removeprefix(KG) for s in g.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(KG)}


def test_model_has_the_design_types_and_links():
    m = model()
    assert set(m.node_types) == {"Firm", "Bank", "Fund", "GuidanceFund", "GovernmentBody", "Exchange", "Person",
                                 "Programme", "FinancialYear", "OwnershipAssessment", "SizeAssessment"}
    assert {t for t, nt in m.node_types.items() if nt.derived} == {"OwnershipAssessment", "SizeAssessment"}
    assert m.node_type("GuidanceFund").labels == ("GuidanceFund", "Fund")
    assert {r for r, lk in m.links.items() if not lk.derived} == {"OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON", "REPORTED",
                                                                      "DECLARED_CONTROL"}
    assert {r for r, lk in m.links.items() if lk.derived} == {"CONTROLS", "ULTIMATELY_OWNS", "LOOK_THROUGH_FUNDED",
                                                                  "HAS_OWNERSHIP", "HAS_SIZE"}
    # every derived link and assessment states the period it holds for
    for cls in ("IntegratedOwnership", "Control", "LookThroughFunding", "OwnershipAssessment", "SizeAssessment"):
        assert {"valid_from", "valid_to"} <= {p.column for p in m.props_on(cls)}, cls
    assert [p.column for p in m.links["OWNS"].properties if not p.local.endswith("Precision")] == [
        "direct_or_indirect", "end", "share", "share_basis", "share_max", "share_min", "start",
        "subscribed_capital", "subscribed_on"]


def test_every_kg_term_in_a_built_graph_is_defined(mini_db):
    names = defined_names()
    store = open_store(mini_db)
    used = set()
    for q in store.quads_for_pattern(None, None, None):
        for t in (q.predicate, q.object):
            if isinstance(t, ox.NamedNode) and t.value.startswith(KG):
                used.add(t.value.removeprefix(KG))
    assert used, "the graph uses kg: terms"
    assert used - names == set()


def test_code_uses_only_defined_names():
    names = defined_names()
    pattern = re.compile(r'(?:KG\s*\+\s*"|\{KG\}|kg:)([A-Za-z][A-Za-z0-9]*)')
    files = [*ROOT.joinpath("kg").rglob("*.py"), *ROOT.joinpath("queries").glob("*.rq"),
             *ROOT.joinpath("queries").glob("*.cypher")]
    unknown = {}
    for f in files:
        for name in pattern.findall(f.read_text(encoding="utf-8")):
            if name not in names:
                unknown.setdefault(name, f.relative_to(ROOT).as_posix())
    assert unknown == {}


def test_shapes_and_reference_parse():
    g = rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl")
    assert len(g) > 50
    ref = rdflib.Graph().parse(ROOT / "ontology" / "reference.ttl")
    codes = {str(o) for o in ref.objects(None, rdflib.URIRef(KG + "code"))}
    assert {"SSE", "SZSE", "BSE", "HKEX", "NEEQ", "little_giant", "manufacturing_champion"} <= codes
