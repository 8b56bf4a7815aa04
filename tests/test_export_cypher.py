"""Cypher export (kg/export/cypher.py): literals escaped, labels from the ontology, and the
script run statement by statement on a real Neo4j server (tests/neo4j_fixture.py: the server
named by NEO4J_URI, else one started by scripts/neo4j). No server: the test fails, it does not
skip."""

from __future__ import annotations

import datetime as dt

import neo4j
import pytest

from kg.export import render
from kg.export.cypher import cypher_literal, cypher_string, statements
from kg.ontology import model
from kg.rdf.store import open_store
from kg.subgraph import Selection, around

try:
    from .neo4j_fixture import neo4j_connection
except ImportError:
    from neo4j_fixture import neo4j_connection


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


@pytest.fixture(scope="module")
def sub(store):
    return around(store, "qingyun-reducer", Selection(hops=2, links=("OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON", "CONTROLS")))


def split_script(text: str) -> list[str]:
    """Statements of a script as cypher-shell reads it: ``//`` comments, ``;`` at line end."""
    out, cur = [], []
    for line in text.splitlines():
        if not cur and (not line.strip() or line.startswith("//")):
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(cur).rstrip()[:-1])
            cur = []
    assert not cur, "a statement without its ';'"
    return out


@pytest.mark.parametrize("value,literal", [
    ("plain", "'plain'"),
    ("O'Brien", "'O\\'Brien'"),
    ("back\\slash", "'back\\\\slash'"),
    ("line\nbreak\r\ttab", "'line\\u000Abreak\\u000D\\u0009tab'"),
    ("北京 «quote» \"double\"", "'北京 «quote» \"double\"'"),
    ("'}) DETACH DELETE n //", "'\\'}) DETACH DELETE n //'"),
])
def test_strings_are_escaped(value, literal):
    assert cypher_string(value) == literal


def test_other_literals():
    assert cypher_literal(0.51) == "0.51" and cypher_literal(7) == "7" and cypher_literal(False) == "false"
    assert cypher_literal(dt.date(2021, 7, 1)) == "date('2021-07-01')"
    assert cypher_literal(float("nan")) == "null" and cypher_literal(None) == "null"
    assert cypher_literal({"a": [1, "x"]}) == "{a: [1, 'x']}"
    with pytest.raises(ValueError):
        cypher_literal({"bad key": 1})


def test_script_shape(sub):
    text = render(sub, "cypher").decode("utf-8")
    stmts = split_script(text)
    assert stmts[0] == "CREATE CONSTRAINT kg_node_iri IF NOT EXISTS FOR (n:KgNode) REQUIRE n.iri IS UNIQUE"
    assert len(stmts) == len(statements(sub))
    merges = [s for s in stmts if "MERGE (n:KgNode" in s]
    assert any("SET n:GuidanceFund:Fund" in s for s in merges) or any("SET n:Firm" in s for s in merges)
    rels = [s for s in stmts if "MERGE (a)-[r:" in s]
    assert {s.split("[r:")[1].split(" ")[0] for s in rels} == {rel for rel, _ in sub.edges()}
    assert "\r" not in text


def test_a_hostile_name_stays_a_value(store):
    """Names are values, whatever they contain."""
    sub = around(store, "leaderdrive", Selection(hops=0))
    sub.nodes.loc[0, "name"] = "x'}) MATCH (m) DETACH DELETE m //\nnext"
    text = render(sub, "cypher").decode("utf-8")
    assert "'x\\'}) MATCH (m) DETACH DELETE m //\\u000Anext'" in text
    assert len(split_script(text)) == len(statements(sub))


def _graph_of(session, iris: list[str]) -> tuple[dict, set]:
    nodes = {r["iri"]: (frozenset(r["labels"]), dict(r["props"])) for r in session.run(
        "MATCH (n:KgNode) WHERE n.iri IN $iris RETURN n.iri AS iri, labels(n) AS labels, properties(n) AS props",
        iris=iris)}
    rels = {(r["type"], r["a"], r["b"], r["iri"]) for r in session.run(
        "MATCH (a:KgNode)-[r]->(b:KgNode) WHERE a.iri IN $iris AND b.iri IN $iris "
        "RETURN type(r) AS type, a.iri AS a, b.iri AS b, r.iri AS iri", iris=iris)}
    return nodes, rels


@pytest.mark.neo4j
def test_script_runs_on_neo4j(sub):
    uri, user, password = neo4j_connection()  # raises (test fails) when no server can be had
    text = render(sub, "cypher").decode("utf-8")
    iris = list(sub.nodes["iri"]) + list(sub.financials["iri"])
    with neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF") as driver:
        driver.verify_connectivity()
        with driver.session() as s:
            s.run("MATCH (n:KgNode) WHERE n.iri IN $iris DETACH DELETE n", iris=iris).consume()
            try:
                for stmt in split_script(text):  # as cypher-shell -f runs them: one by one
                    s.run(stmt).consume()
                for stmt in split_script(text):  # and again: MERGE makes it idempotent
                    s.run(stmt).consume()
                nodes, rels = _graph_of(s, iris)
            finally:
                s.run("MATCH (n:KgNode) WHERE n.iri IN $iris DETACH DELETE n", iris=iris).consume()
    m = model()
    assert set(nodes) == set(iris)
    for r in sub.node_rows():
        labels, props = nodes[r["iri"]]
        assert labels == {"KgNode", *m.node_type(r["labels"][0]).labels, *r["labels"]}
        for k, v in r.items():
            if k in ("iri", "labels", "hop", "focus"):
                continue
            got = props[k]
            if isinstance(got, neo4j.time.Date):
                got = got.iso_format()
            assert got == v or (isinstance(v, (int, float)) and float(got) == float(v)), (r["iri"], k, got, v)
    want = {(rel, r["from"], r["to"], r["iri"]) for rel, r in sub.edges()}
    want |= {("REPORTED", f, y, None) for f, y in zip(sub.financials["firm"], sub.financials["iri"], strict=True)}
    assert rels == want
    # typed values: share a float, a date a date, provenance kept
    focus_props = nodes[sub.focus[0]][1]
    assert isinstance(focus_props["founded"], neo4j.time.Date) and focus_props["name_zh"] == "合肥青云精密减速机有限公司"
