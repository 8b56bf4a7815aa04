"""GraphML, GEXF, CSV and JSON exports (kg/export/graphml.py, gexf.py, csvfiles.py, graph.py):
each read back and compared with the subgraph it came from."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from kg.export import FORMATS, export_subgraph, render
from kg.export.csvfiles import edge_columns, node_columns
from kg.export.gexf import NS
from kg.rdf.store import open_store
from kg.subgraph import Selection, around


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


@pytest.fixture(scope="module")
def sub(store):
    """Two hops around a Little Giant: ownership, loans, subsidies, certifications, listings."""
    return around(store, "hunnan-servo", Selection(hops=2))


@pytest.fixture(scope="module")
def derived(store):
    return around(store, "junli-logistics", Selection(hops=2, direction="up", links=("OWNS", "CONTROLS", "ULTIMATELY_OWNS")))


def links_of(sub) -> set[tuple[str, str, str, str]]:
    return {(rel, r["from"], r["to"], r["iri"]) for rel, r in sub.edges()}


def test_the_subgraph_has_every_kind_of_link(sub):
    assert {rel for rel, _ in sub.edges()} == {"OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON"}


# ---------------------------------------------------------------- GraphML


def test_graphml_round_trips_through_networkx(sub):
    g = nx.read_graphml(io.BytesIO(render(sub, "graphml")), force_multigraph=True)
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == set(sub.nodes["iri"])
    assert {(d["type"], a, b, k) for a, b, k, d in g.edges(keys=True, data=True)} == links_of(sub)


def test_graphml_attributes_are_typed(sub):
    g = nx.read_graphml(io.BytesIO(render(sub, "graphml")), force_multigraph=True)
    focus = g.nodes[sub.focus[0]]
    assert focus["label"] == "Shenyang Hunnan Servo Drive Co., Ltd." and focus["type"] == "Firm"
    assert focus["focus"] is True and focus["hop"] == 0 and isinstance(focus["revenue"], float)
    assert focus["revenue_year"] == 2023 and "little_giant" in focus["certifications"]
    owns = [d for _, _, d in g.edges(data=True) if d["type"] == "OWNS"]
    assert all(isinstance(d["share"], float) and d["weight"] == d["share"] for d in owns)
    certs = [d for _, _, d in g.edges(data=True) if d["type"] == "CERTIFIED_AS"]
    assert all(isinstance(d["year"], int) and d["valid_from"][:2] == "20" for d in certs)
    assert all(d["source_file"] and isinstance(d["source_row"], int) and d["dataset"] for _, _, d in g.edges(data=True))
    text = render(sub, "graphml").decode()
    assert 'attr.name="share" attr.type="double"' in text and 'attr.name="state_owned" attr.type="boolean"' in text


def test_graphml_keys_are_unique_per_domain(sub):
    root = ET.fromstring(render(sub, "graphml"))
    keys = [k.get("id") for k in root.iter("{http://graphml.graphdrawing.org/xmlns}key")]
    assert len(keys) == len(set(keys))


# ---------------------------------------------------------------- GEXF 1.3


def test_gexf_is_version_1_3_dynamic(sub):
    root = ET.fromstring(render(sub, "gexf"))
    assert root.tag == f"{{{NS}}}gexf" and root.get("version") == "1.3"
    assert NS == "http://gexf.net/1.3"
    graph = root.find(f"{{{NS}}}graph")
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    assert graph.get("defaultedgetype") == "directed"
    assert root.find(f"{{{NS}}}meta/{{{NS}}}creator").text == "accelerator-kg"


def test_gexf_edges_carry_their_validity(sub):
    root = ET.fromstring(render(sub, "gexf"))
    edges = {e.get("id"): e for e in root.iter(f"{{{NS}}}edge")}
    assert set(edges) == {r["iri"] for _, r in sub.edges()}
    for rel, r in sub.edges():
        e = edges[r["iri"]]
        assert e.get("kind") == rel == e.get("label")
        if rel == "OWNS":
            assert e.get("start") == r["start"] and e.get("end") == r.get("end")
            assert float(e.get("weight")) == r["share"]
        if rel == "FUNDED":
            assert e.get("start") == r["date"] and e.get("end") is None
        if rel == "CERTIFIED_AS":
            assert (e.get("start"), e.get("end")) == (r["valid_from"], r["valid_to"])


def test_gexf_ended_stake_has_an_end(store):
    sub = around(store, "tianyu-group", Selection(hops=1, direction="down", links=("OWNS",)))
    root = ET.fromstring(render(sub, "gexf"))
    ends = sorted(e.get("end") for e in root.iter(f"{{{NS}}}edge") if e.get("end"))
    assert ends == ["2021-06-30"]


def test_gexf_reads_back_with_networkx(sub):
    g = nx.read_gexf(io.BytesIO(render(sub, "gexf")), version="1.3")
    assert set(g.nodes) == set(sub.nodes["iri"])
    assert {(d["label"], a, b, d["id"]) for a, b, d in g.edges(data=True)} == links_of(sub)
    assert g.graph["mode"] == "dynamic"
    focus = g.nodes[sub.focus[0]]
    assert focus["label"] == "Shenyang Hunnan Servo Drive Co., Ltd." and focus["focus"] is True
    assert {d["type"] for _, d in g.nodes(data=True)} >= {"Firm", "Bank", "Programme", "Exchange"}


def test_gexf_declared_attribute_types(sub):
    root = ET.fromstring(render(sub, "gexf"))
    types = {a.get("title"): a.get("type") for a in root.iter(f"{{{NS}}}attribute")}
    assert types["share"] == "double" and types["hop"] == "long" and types["focus"] == "boolean"
    assert types["name"] == "string"


# ---------------------------------------------------------------- CSV


def test_csv_writes_nodes_and_edges(sub, tmp_path):
    counts = export_subgraph(sub, "csv", tmp_path / "out")
    assert counts == {"nodes.csv": len(sub.nodes), "edges.csv": sub.link_count()}
    nodes = list(csv.DictReader(open(tmp_path / "out" / "nodes.csv", encoding="utf-8")))
    edges = list(csv.DictReader(open(tmp_path / "out" / "edges.csv", encoding="utf-8")))
    assert list(nodes[0]) == node_columns() and list(edges[0]) == edge_columns(sub.selection.links)
    assert {n["id"] for n in nodes} == set(sub.nodes["iri"])
    assert {(e["rel_type"], e["source"], e["target"], e["id"]) for e in edges} == links_of(sub)
    focus = next(n for n in nodes if n["focus"] == "true")
    assert focus["local_id"] == "hunnan-servo" and focus["name_zh"] == "沈阳浑南伺服驱动有限公司"
    assert "entities.csv" in focus["sources"]
    owns = [e for e in edges if e["rel_type"] == "OWNS"]
    assert all(float(e["share"]) == float(e["weight"]) and e["dataset"] for e in owns)


def test_csv_columns_are_the_same_for_any_subgraph(store, tmp_path):
    a = around(store, "leaderdrive", Selection(hops=0))
    export_subgraph(a, "csv", tmp_path / "a")
    header = (tmp_path / "a" / "nodes.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == node_columns()


# ---------------------------------------------------------------- JSON (the viz graph dict)


def test_json_is_the_viz_graph_dict(sub):
    g = json.loads(render(sub, "json"))
    assert set(g) == {"nodes", "edges", "meta"}
    assert {n["id"] for n in g["nodes"]} == set(sub.nodes["iri"])
    assert {(e["type"], e["source"], e["target"], e["id"]) for e in g["edges"]} == links_of(sub)
    focus = next(n for n in g["nodes"] if n["focus"])
    assert focus["types"] == ["Firm"] and focus["revenue"] > 0
    assert [c["programme"] for c in focus["certifications"]] == ["specialized_sme", "little_giant", "little_giant"]
    expected = {"batch": 1, "year": 2019, "valid_from": "2019-06-01", "valid_to": "2022-05-31", "issuer": "MIIT"}
    assert {k: focus["certifications"][1].get(k) for k in expected} == expected
    assert focus["sources"] == [{"source": "synthetic", "file": "entities.csv", "row": focus["sources"][0]["row"]}]
    owns = [e for e in g["edges"] if e["type"] == "OWNS"]
    assert all(e["share"] is not None and e["start"] and e["sources"][0]["file"] == "ownership.csv" for e in owns)
    assert g["meta"]["focus"] == sub.focus[0] and g["meta"]["hops"] == 2 and g["meta"]["truncated"] is None


def test_json_state_and_derived_links(derived):
    g = json.loads(render(derived, "json"))
    kinds = {e["type"]: e["derived"] for e in g["edges"]}
    assert kinds == {"OWNS": False, "CONTROLS": True, "ULTIMATELY_OWNS": True}
    assert all("state_controlled" in n and "state_share" in n for n in g["nodes"])


def test_formats_listed():
    assert set(FORMATS) == {"graphml", "gexf", "ttl", "nt", "nq", "jsonld", "json", "csv", "cypher", "bods", "ftm",
                            "neo4j-import"}


def test_control_characters_do_not_break_the_xml(store):
    sub = around(store, "leaderdrive", Selection(hops=0))
    sub.nodes.loc[0, "name"] = "bad\x01name\x0b  with\ttab"
    for fmt in ("graphml", "gexf"):
        ET.fromstring(render(sub, fmt))  # parses
    g = nx.read_graphml(io.BytesIO(render(sub, "graphml")), force_multigraph=True)
    assert g.nodes[sub.focus[0]]["name"] == "badname  with\ttab"
