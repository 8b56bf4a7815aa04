"""FollowTheMoney export (kg/export/ftm.py): every entity valid for the followthemoney model
(known schema and properties, values that survive FtM's cleaning unchanged), links back to
the same nodes."""

from __future__ import annotations

import json

import pytest
from followthemoney import model as ftm_model

from kg.export import render
from kg.export.ftm import ftm_id
from kg.rdf.store import open_store
from kg.subgraph import Selection, around


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


def lines(sub) -> list[dict]:
    return [json.loads(x) for x in render(sub, "ftm").decode("utf-8").splitlines()]


@pytest.mark.parametrize("ref,sel", [
    ("hunnan-servo", Selection(hops=2)),
    ("qingyun-reducer", Selection(hops=2, links=("OWNS", "FUNDED", "LISTED_ON", "CONTROLS", "ULTIMATELY_OWNS"))),
    ("taihu-sme-fund", Selection(hops=2)),
    ("tianyu-group", Selection(hops=2, direction="up")),
])
def test_entities_are_valid_followthemoney(store, ref, sel):
    ents = lines(around(store, ref, sel))
    assert ents
    for e in ents:
        schema = ftm_model.get(e["schema"])
        assert schema is not None, e["schema"]
        assert not schema.abstract
        unknown = [p for p in e["properties"] if p not in schema.properties]
        assert unknown == [], (e["schema"], unknown)
        schema.validate(e)  # raises InvalidData
        missing = [p for p in schema.required if not e["properties"].get(p)]
        assert missing == [], (e["schema"], missing)
        cleaned = ftm_model.get_proxy(e).to_dict()  # cleans every value
        assert cleaned["id"] == e["id"] and cleaned["properties"] == e["properties"], e


def test_links_point_at_the_exported_nodes(store):
    sub = around(store, "hunnan-servo", Selection(hops=2))
    ents = lines(sub)
    ids = {e["id"] for e in ents}
    nodes = {ftm_id(r["iri"]) for r in sub.node_rows() if "Programme" not in r["labels"]}
    assert nodes <= ids
    refs = {"Ownership": ("owner", "asset"), "Payment": ("payer", "beneficiary"), "Debt": ("creditor", "debtor"),
            "Security": ("issuer",), "UnknownLink": ("subject", "object")}
    got = {}
    for e in ents:
        for p in refs.get(e["schema"], ()):
            assert e["properties"][p][0] in nodes
        if e["schema"] in ("Ownership", "Payment", "Debt"):
            a, b = refs[e["schema"]]
            got[e["id"]] = (e["properties"][a][0], e["properties"][b][0])
    want = {ftm_id(r["iri"]): (ftm_id(r["from"]), ftm_id(r["to"])) for rel, r in sub.edges() if rel in ("OWNS", "FUNDED")}
    assert got == want


def test_mapping_details(store):
    sub = around(store, "hunnan-servo", Selection(hops=1))
    by_id = {e["id"]: e for e in lines(sub)}
    firm = by_id[ftm_id(sub.focus[0])]
    assert firm["schema"] == "Company"
    assert firm["properties"]["uscCode"] == [sub.node(sub.focus[0])["uscc"]]
    assert "Little Giant (2019)" in firm["properties"]["program"]
    loans = [e for e in by_id.values() if e["schema"] == "Debt"]
    assert loans and all(e["properties"]["currency"] == ["CNY"] and e["properties"]["amount"] for e in loans)
    subsidies = [e for e in by_id.values() if e["schema"] == "Payment"]
    assert subsidies and {e["properties"]["purpose"][0] for e in subsidies} <= {"subsidy", "equity", "lp_commitment"}
    own = next(e for e in by_id.values() if e["schema"] == "Ownership")
    assert own["properties"]["percentage"] == ["100"] and own["properties"]["recordId"][0].startswith("ownership.csv:")
    gov = [e for e in by_id.values() if e["schema"] == "PublicBody"]
    assert gov and all(e["properties"]["topics"] == ["gov"] for e in gov)


def test_ids_are_valid_and_stable():
    from followthemoney.types import registry

    for iri in ("https://w3id.org/accelerator-kg/id/uscc/91350200776049653A",
                "https://w3id.org/accelerator-kg/id/entity/big%20fund%2FII",
                "https://w3id.org/accelerator-kg/id/link/certified_as/0123abcd",
                "https://w3id.org/accelerator-kg/id/ticker/688017.SH"):
        assert registry.entity.validate(ftm_id(iri)) and ftm_id(iri) == ftm_id(iri)
    assert ftm_id("https://w3id.org/accelerator-kg/id/entity/a") != ftm_id("https://w3id.org/accelerator-kg/id/entity/b")
