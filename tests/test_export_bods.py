"""BODS 0.4 export (kg/export/bods.py): valid against the official schema (Draft 2020-12, the
schema files referencing each other by $id), and read back into the same entities and links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from kg.export import render
from kg.export.bods import statements
from kg.rdf.store import open_store
from kg.sources import bods_schema
from kg.subgraph import Selection, around

# ../shared beside the checkout (CI lays a copy there), else the workplace's
SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.exists())
SCHEMA_DIR = SHARED / Path("data/bods/schema")
EXAMPLES = SHARED / Path("data/bods/examples")


@pytest.fixture(scope="module")
def validator():
    schemas = bods_schema.schemas()  # the copy kg ships (loaders/bods-0.4), the same as the official files
    assert schemas == {d["$id"]: d for d in (json.loads(f.read_text(encoding="utf-8")) for f in SCHEMA_DIR.glob("*.json"))}
    registry = Registry()
    for sid, doc in schemas.items():
        registry = registry.with_resource(sid, Resource.from_contents(doc))
    assert {"urn:statement", "urn:entity", "urn:person", "urn:relationship", "urn:components"} <= set(schemas)
    return Draft202012Validator(schemas["urn:statement"], registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


def errors(validator, doc) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]


def test_the_validator_accepts_the_official_examples_and_rejects_a_bad_share(validator):
    for f in sorted(EXAMPLES.glob("*.json")):
        assert errors(validator, json.loads(f.read_text(encoding="utf-8"))) == [], f.name
    bad = json.loads((EXAMPLES / "bods-package-entity-owning-entity.json").read_text(encoding="utf-8"))
    bad[2]["recordDetails"]["interests"][0]["share"] = {"exact": 150}
    assert errors(validator, bad)


@pytest.mark.parametrize("ref,sel", [
    ("hunnan-servo", Selection(hops=2)),
    ("tianyu-motion", Selection(hops=3, direction="up", links=("OWNS",))),
    ("qingyun-reducer", Selection(hops=2, links=("OWNS", "CONTROLS", "ULTIMATELY_OWNS", "LISTED_ON"))),
    ("leaderdrive", Selection(hops=0)),
    ("mof", Selection(hops=2, direction="down", links=("OWNS", "FUNDED"))),
])
def test_export_is_valid_bods(validator, store, ref, sel):
    doc = json.loads(render(around(store, ref, sel), "bods"))
    assert doc and errors(validator, doc) == []


def test_round_trip_gives_the_same_parties_and_ownership(store):
    sub = around(store, "tianyu-motion", Selection(hops=3, direction="up", links=("OWNS", "ULTIMATELY_OWNS")))
    doc = json.loads(render(sub, "bods"))
    parties = {s["recordId"]: s for s in doc if s["recordType"] in ("entity", "person")}
    rels = {s["recordId"]: s["recordDetails"] for s in doc if s["recordType"] == "relationship"}
    assert set(parties) == set(sub.nodes["iri"])
    expected = {r["iri"]: (r["from"], r["to"], rel, r["share"]) for rel, r in sub.edges()}
    got = {}
    for rid, d in rels.items():
        i = d["interests"][0]
        rel = "OWNS" if i["directOrIndirect"] == "direct" else "ULTIMATELY_OWNS"
        got[rid] = (d["interestedParty"], d["subject"], rel, round(i["share"]["exact"] / 100, 10))
    assert got == {k: (a, b, rel, round(s, 10)) for k, (a, b, rel, s) in expected.items()}
    # people are person records, their firms entity records
    kinds = {parties[r["iri"]]["recordType"] for r in sub.node_rows() if "Person" in r["labels"]}
    assert kinds == {"person"}


def test_shapes_of_the_records(store):
    sub = around(store, "qingyun-reducer", Selection(hops=2, links=("OWNS", "LISTED_ON", "CONTROLS")))
    st = statements(sub)
    types = [s["recordType"] for s in st]
    assert types == sorted(types, key=lambda t: t == "relationship")  # parties first
    by_id = {s["recordId"]: s for s in st}
    sasac = by_id["https://w3id.org/accelerator-kg/id/entity/anhui-sasac"]["recordDetails"]
    assert sasac["entityType"]["type"] == "stateBody" and sasac["jurisdiction"] == {"name": "China", "code": "CN"}
    reducer = by_id[sub.focus[0]]["recordDetails"]
    assert reducer["entityType"]["type"] == "registeredEntity"
    assert {"id": "91340100922300157C", "scheme": "CN-SAIC", "schemeName": "Unified Social Credit Code (统一社会信用代码)"} in reducer["identifiers"]
    assert reducer["foundingDate"] == "2010-04-28" and reducer["alternateNames"] == ["合肥青云精密减速机有限公司"]
    owns = [s for s in st if s["recordType"] == "relationship" and s["recordDetails"]["interests"][0]["type"] == "shareholding"]
    assert all(0 <= s["recordDetails"]["interests"][0]["share"]["exact"] <= 100 for s in owns)
    assert all(s["source"]["description"].startswith("accelerator-kg sources: ") for s in owns)
    control = [s for s in st if s["recordDetails"].get("interests", [{}])[0].get("type") == "otherInfluenceOrControl"]
    assert control and all("derived" in s["source"]["description"] for s in control)
    assert {s["declarationSubject"] for s in st} == {sub.focus[0]}
    assert len({s["statementId"] for s in st}) == len(st)


def test_listed_firm_has_a_public_listing(store):
    sub = around(store, "leaderdrive", Selection(hops=0))
    d = statements(sub)[0]["recordDetails"]
    assert d["publicListing"] == {"hasPublicListing": True, "securitiesListings": [
        {"stockExchangeJurisdiction": "CN", "stockExchangeName": "Shanghai Stock Exchange",
         "security": {"ticker": "688017.SH"}, "marketIdentifierCode": "XSHG"}]}


def test_ended_stake_has_an_end_date(store):
    sub = around(store, "hongjing-vision", Selection(hops=1, direction="up", links=("OWNS",)))
    ends = [s["recordDetails"]["interests"][0].get("endDate") for s in statements(sub) if s["recordType"] == "relationship"]
    assert "2021-07-01" in ends  # held through 2021-06-30: BODS endDate is the first day it no longer holds


def test_statement_date_is_the_as_of_date(store):
    sub = around(store, "hunnan-servo", Selection(hops=1, as_of=__import__("datetime").date(2021, 12, 31)))
    assert {s["statementDate"] for s in statements(sub)} == {"2021-12-31"}
