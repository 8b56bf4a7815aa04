"""`kg push neo4j` and `kg cypher` against a real Neo4j server over Bolt.

The server comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, else tests/neo4j_fixture.py
starts one; when none can be had these tests fail (never skip). Tests may share the server
with other test files, so each test starts from an empty database.
"""

from __future__ import annotations

import csv
import io
import json
import math
import socket
import threading

import neo4j
import neo4j.time
import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the core commands)
import kg.cli.neo4j  # noqa: F401  (registers push neo4j, cypher, neo4j-import)
from kg.cli import cli
from kg.neo4j.frames import read_assessments
from kg.neo4j.schema import object_links, schema_names
from kg.ontology import model
from kg.rdf.read import read_financial_years, read_links, read_nodes, read_object_links
from kg.rdf.store import open_store
from kg.tables.derived import DERIVED_NODES

try:  # tests/ as a package or as a plain directory on sys.path
    from .neo4j_fixture import TIGHT_TRANSACTION_MEMORY, neo4j_connection, tight_neo4j_connection
except ImportError:
    from neo4j_fixture import TIGHT_TRANSACTION_MEMORY, neo4j_connection, tight_neo4j_connection

pytestmark = pytest.mark.neo4j

LITTLE_GIANTS_CYPHER = "MATCH (f)-[:CERTIFIED_AS]->(:Programme {code: $code}) RETURN count(DISTINCT f) AS n"
LITTLE_GIANTS_SPARQL = """PREFIX kg: <https://w3id.org/accelerator-kg/ont#>
SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?c kg:certifiedFirm ?f ; kg:programme ?p . ?p kg:code ?code }"""


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture(scope="session")
def neo4j_conn() -> tuple[str, str, str]:
    return neo4j_connection()


@pytest.fixture(scope="session")
def driver(neo4j_conn):
    uri, user, password = neo4j_conn
    with neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF") as d:
        yield d


def wipe_all(driver) -> None:
    """Delete every node and relationship (not only ours: the test needs an empty database)."""
    with driver.session() as s:
        s.run("MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 50000 ROWS").consume()
        s.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture
def clean(driver):
    """An empty database at the start of the test."""
    wipe_all(driver)
    return driver


@pytest.fixture
def kg(neo4j_conn):
    """Run the kg CLI in-process with the server's NEO4J_* settings: kg("push", "neo4j", ...)."""
    uri, user, password = neo4j_conn

    def invoke(*args, password_=None, env=None, input=None):
        e = {"NEO4J_URI": uri, "NEO4J_USER": user, "NEO4J_PASSWORD": password if password_ is None else password_,
             "NEO4J_DATABASE": None}
        e.update(env or {})
        return CliRunner(env=e).invoke(cli, [str(a) for a in args], input=input)

    return invoke


def pushed(kg, db, *extra):
    r = kg("push", "neo4j", "--db", db, "--quiet", *extra)
    assert r.exit_code == 0, r.output
    return r


def neo_value(v):
    if isinstance(v, (neo4j.time.Date, neo4j.time.DateTime)):
        return v.iso_format()
    return v


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0)
    return a == b


def expected_graph(store) -> dict:
    """What Neo4j should hold, straight from the embedded store via kg.rdf.read.

    nodes: iri -> (labels, {column: value}); links: type -> key -> (from, to, {column: value}).
    Dates are ISO text; REPORTED and ULTIMATE_CONTROLLER links (no link IRI) are keyed by their ends.
    """
    m = model()
    nodes: dict[str, tuple[frozenset, dict]] = {}
    frame = read_nodes(store)
    for rec in frame.to_dict("records"):
        labels = frozenset(("KgNode", *rec.pop("labels")))
        iri = rec.pop("iri")
        nodes[iri] = (labels, {k: v for k, v in rec.items() if v is not None})
    fys = read_financial_years(store)
    reported = {}
    for rec in fys.to_dict("records"):
        firm = rec.pop("firm")
        iri = rec.pop("iri")
        nodes[iri] = (frozenset(("KgNode", *m.node_type("FinancialYear").labels)),
                      {k: v for k, v in rec.items() if v is not None})
        reported[(firm, iri)] = (firm, iri, {})
    links: dict[str, dict] = {"REPORTED": reported}
    for nt, spec in DERIVED_NODES.items():  # the derived nodes of each period, linked from their entity
        frame = read_assessments(store, nt)
        for rec in frame.to_dict("records"):
            iri = rec.pop("iri")
            nodes[iri] = (frozenset(("KgNode", nt)), {k: v for k, v in rec.items() if v is not None})
        links[spec.rel] = {(r["from"], r["to"]): (r["from"], r["to"], {"derived": True})
                           for r in read_object_links(store, m.link(spec.rel).predicate).to_dict("records")}
    for rel, link in m.links.items():
        if not link.qualified_class:
            continue
        out = {}
        for rec in read_links(store, rel).to_dict("records"):
            props = {k: v for k, v in rec.items() if v is not None and k not in ("from", "to")}
            if link.derived:
                props["derived"] = True
            out[rec["iri"]] = (rec["from"], rec["to"], props)
        links[rel] = out
    for rel, ol in object_links().items():  # ULTIMATE_CONTROLLER: keyed by its two ends
        links[rel] = {(r["from"], r["to"]): (r["from"], r["to"], {"derived": True} if ol.derived else {})
                      for r in read_object_links(store, ol.predicate).to_dict("records")}
    return {"nodes": nodes, "links": links}


def neo4j_graph(driver) -> dict:
    """The same shape read back over Bolt."""
    nodes = {}
    recs, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS p")
    for r in recs:
        p = {k: neo_value(v) for k, v in r["p"].items()}
        nodes[p.pop("iri")] = (frozenset(r["labels"]), p)
    links: dict[str, dict] = {}
    recs, _, _ = driver.execute_query(
        "MATCH (a)-[x]->(b) RETURN type(x) AS t, a.iri AS a, b.iri AS b, properties(x) AS p")
    for r in recs:
        p = {k: neo_value(v) for k, v in r["p"].items()}
        key = p["iri"] if "iri" in p else (r["a"], r["b"])
        assert key not in links.setdefault(r["t"], {}), f"duplicate {r['t']} {key}"
        links[r["t"]][key] = (r["a"], r["b"], p)
    return {"nodes": nodes, "links": links}


def assert_same_graph(driver, store) -> dict:
    """Neo4j holds exactly the stored graph: counts per label and type, and every value."""
    want, got = expected_graph(store), neo4j_graph(driver)
    # counts per label and per relationship type
    def label_counts(nodes):
        c: dict[str, int] = {}
        for labels, _ in nodes.values():
            for x in labels:
                c[x] = c.get(x, 0) + 1
        return c

    assert label_counts(got["nodes"]) == label_counts(want["nodes"])
    assert {t: len(v) for t, v in got["links"].items()} == {t: len(v) for t, v in want["links"].items() if v}
    # every node's labels and properties
    assert set(got["nodes"]) == set(want["nodes"])
    for iri, (labels, props) in want["nodes"].items():
        glabels, gprops = got["nodes"][iri]
        assert glabels == labels, iri
        assert set(gprops) == set(props), (iri, set(gprops) ^ set(props))
        for k, v in props.items():
            assert same(gprops[k], v), (iri, k, gprops[k], v)
    # every link's ends and properties
    for rel, items in want["links"].items():
        for key, (a, b, props) in items.items():
            ga, gb, gprops = got["links"][rel][key]
            assert (ga, gb) == (a, b), (rel, key)
            assert set(gprops) == set(props) | ({"iri"} if isinstance(key, str) else set()), (rel, key)
            for k, v in props.items():
                assert same(gprops[k], v), (rel, key, k, gprops[k], v)
    return want


def counts(driver) -> tuple[int, int, int]:
    recs, _, _ = driver.execute_query(
        "MATCH (n) WITH count(n) AS n MATCH ()-[r]->() WITH n, count(r) AS r "
        "MATCH (x) RETURN n, r, sum(size(keys(x))) AS props")
    return recs[0]["n"], recs[0]["r"], recs[0]["props"]


# ---------------------------------------------------------------- round trip

@pytest.mark.parametrize("which", ["mini_db", "sample_db"])
def test_round_trip_counts_and_values(which, request, clean, kg):
    db = request.getfixturevalue(which)
    r = pushed(kg, db, "--wipe")
    want = assert_same_graph(clean, open_store(db))
    n_nodes = len(want["nodes"])
    n_links = sum(len(v) for v in want["links"].values())
    assert f"pushed {n_nodes} nodes and {n_links} links" in r.stdout


def test_values_types_and_partial_dates(clean, kg, mini_db):
    pushed(kg, mini_db)
    recs, _, _ = clean.execute_query(
        "MATCH (:GovernmentBody {id: 'sasac'})-[o:OWNS]->(g:Firm {id: 'grp'}) RETURN o, g")
    o, g = recs[0]["o"], recs[0]["g"]
    assert isinstance(o["share"], float) and o["share"] == pytest.approx(0.51)
    # "2005": a start-like date at the first day of the year, with its precision
    assert o["start"] == neo4j.time.Date(2005, 1, 1) and o["start_precision"] == "year"
    assert g["founded"] == neo4j.time.Date(2000, 4, 1) and g["founded_precision"] == "month"
    assert g["state_owned"] is False
    # an end-like partial date at the last day of the period
    recs, _, _ = clean.execute_query(
        "MATCH ({id: 'grp'})-[o:OWNS]->({id: 'lg2'}) RETURN o.end AS end, o.end_precision AS p")
    assert (recs[0]["end"], recs[0]["p"]) == (neo4j.time.Date(2019, 12, 31), "year")
    # amounts as floats in currency units, with the currency
    recs, _, _ = clean.execute_query(
        "MATCH (:GuidanceFund:Fund {id: 'gf'})-[f:FUNDED]->() RETURN f.amount AS a, f.currency AS c, "
        "f.instrument AS i, f.date AS d, f.date_precision AS dp, f.source_row AS row")
    assert recs[0].values() == [150_000_000.0, "CNY", "equity", neo4j.time.Date(2021, 7, 1), "month", 3]
    assert isinstance(recs[0]["a"], float)
    # financial years and their link
    recs, _, _ = clean.execute_query(
        "MATCH ({id: 'sub'})-[:REPORTED]->(y:FinancialYear) RETURN y.year AS y, y.net_profit AS np ORDER BY y")
    assert [(r["y"], r["np"]) for r in recs] == [(2021, 8_000_000.0), (2022, -2_000_000.0)]


def test_derived_links_are_marked(clean, kg, sample_db):
    want = expected_graph(open_store(sample_db))
    derived = [rel for rel, link in model().links.items() if link.derived]
    assert sum(len(want["links"][rel]) for rel in derived) > 0, "the sample should have derived links"
    pushed(kg, sample_db)
    for rel in derived:
        recs, _, _ = clean.execute_query(
            # a link to a derived node of a period (HAS_OWNERSHIP ...) finds the method on that node
            f"MATCH ()-[r:{rel}]->(b) RETURN count(r) AS n, count(coalesce(r.method, b.method)) AS m, "
            "sum(CASE WHEN r.derived = true THEN 1 ELSE 0 END) AS d")
        n = len(want["links"][rel])
        assert (recs[0]["n"], recs[0]["m"], recs[0]["d"]) == (n, n, n), rel
    recs, _, _ = clean.execute_query("MATCH ()-[r:OWNS]->() WHERE r.derived IS NOT NULL RETURN count(r) AS n")
    assert recs[0]["n"] == 0


def test_ultimate_controller_arrives_as_derived_relationships(clean, kg, sample_db):
    store = open_store(sample_db)
    n = int(next(iter(store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a <https://w3id.org/accelerator-kg/ont#ultimateController> ?b }",
        use_default_graph_as_union=True)))["n"].value)
    assert n > 0, "the sample should have ultimate controllers"
    pushed(kg, sample_db)
    recs, _, _ = clean.execute_query(
        "MATCH (:KgNode)-[r:ULTIMATE_CONTROLLER]->(:KgNode) RETURN count(r) AS n, "
        "sum(CASE WHEN r.derived = true THEN 1 ELSE 0 END) AS d")
    assert (recs[0]["n"], recs[0]["d"]) == (n, n)
    # the same pair as in the store, e.g. the first one
    a, b = next((str(s["a"].value), str(s["b"].value)) for s in store.query(
        "SELECT ?a ?b WHERE { ?a <https://w3id.org/accelerator-kg/ont#ultimateController> ?b } ORDER BY ?a LIMIT 1",
        use_default_graph_as_union=True))
    recs, _, _ = clean.execute_query(
        "MATCH (x {iri: $a})-[:ULTIMATE_CONTROLLER]->(y) RETURN y.iri AS y", a=a)
    assert [r["y"] for r in recs] == [b]
    pushed(kg, sample_db)  # the MERGE path adds none
    recs, _, _ = clean.execute_query("MATCH ()-[r:ULTIMATE_CONTROLLER]->() RETURN count(r) AS n")
    assert recs[0]["n"] == n


def test_links_find_their_ends_by_node_id(clean):
    """Link writes seek their end nodes by internal id (returned by the node batches), not by IRI."""
    from kg.neo4j.push import link_statement, node_statement

    for fresh in (True, False):
        plan = clean.session().run("EXPLAIN " + link_statement("OWNS", ["iri", "share"], fresh=fresh), rows=[]).consume().plan

        def ops(p):
            yield p["operatorType"].split("@")[0]
            for c in p.get("children", []):
                yield from ops(c)

        found = list(ops(plan))
        assert found.count("NodeByIdSeek") == 2, found
        assert not any("Index" in o for o in found), found
    with clean.session() as s:
        ids = s.run(node_statement(("KgNode", "Firm"), ["iri", "name"], fresh=True),
                    rows=[["http://e/a", "A"], ["http://e/b", "B"]]).single()["ids"]
        n = s.run(link_statement("OWNS", ["iri", "share"], fresh=True), rows=[[ids[0], ids[1], "http://e/l", 0.5]]).single()["n"]
    assert n == 1
    recs, _, _ = clean.execute_query("MATCH (a)-[o:OWNS]->(b) RETURN a.iri AS a, b.iri AS b, o.share AS s")
    assert recs[0].values() == ["http://e/a", "http://e/b", 0.5]


def test_arrow_tables_arrive_with_dates_constants_and_no_nan(clean, neo4j_conn):
    """What the Arrow path sends once per batch (a value every row has, a text some rows have)
    or as text (dates) arrives as the same typed values on each node and link; NaN and empty
    cells leave no property; a link to a node not pushed is skipped and counted."""
    import datetime as dt

    import pyarrow as pa

    from kg.neo4j.connect import Settings
    from kg.neo4j.push import push_frames
    from kg.tables.view import GraphTables

    uri, user, password = neo4j_conn
    e = "http://e/"
    g = GraphTables(
        nodes={("KgNode", "Firm"): pa.table({
            "iri": [e + "a", e + "b", e + "c"],
            "name": ["A", None, "A"],  # one text or none: sent as a flag
            "founded": [dt.date(2001, 2, 3)] * 3,  # a date every row has: sent once
            "country": ["CN"] * 3,
            "employees": pa.array([None, None, None], pa.int64()),  # empty in every row: not written
        })},
        links={"OWNS": pa.table({
            "iri": [e + "l1", e + "l2", e + "l3"], "from": [e + "a", e + "b", e + "c"], "to": [e + "b", e + "x", e + "a"],
            "share": [float("nan"), 0.5, 0.25], "start": [dt.date(2020, 1, 1), None, dt.date(2021, 7, 1)],
            "source_file": ["o.csv"] * 3,
        })})
    r = push_frames(clean, g, Settings(uri=uri, user=user, password=password), batch_size=1)
    assert (r.nodes, r.links, r.skipped_links) == (3, 2, 1)
    recs, _, _ = clean.execute_query("MATCH (n:KgNode:Firm) RETURN n.iri AS iri, properties(n) AS p ORDER BY iri")
    founded = neo4j.time.Date(2001, 2, 3)
    assert [rec["p"] for rec in recs] == [
        {"iri": e + "a", "name": "A", "founded": founded, "country": "CN"},
        {"iri": e + "b", "founded": founded, "country": "CN"},
        {"iri": e + "c", "name": "A", "founded": founded, "country": "CN"},
    ]
    recs, _, _ = clean.execute_query("MATCH (a)-[o:OWNS]->(b) RETURN a.iri AS a, b.iri AS b, properties(o) AS p "
                                     "ORDER BY a")
    assert [(rec["a"], rec["b"], rec["p"]) for rec in recs] == [
        (e + "a", e + "b", {"iri": e + "l1", "start": neo4j.time.Date(2020, 1, 1), "source_file": "o.csv"}),
        (e + "c", e + "a", {"iri": e + "l3", "share": 0.25, "start": neo4j.time.Date(2021, 7, 1),
                            "source_file": "o.csv"}),
    ]


def test_fresh_push_creates_the_indexes_after_the_data(clean, kg, mini_db, sample_db):
    """A push into a database without KgNode drops our indexes, writes, then creates them again
    (all online); a later push keeps them."""
    pushed(kg, sample_db)
    r = pushed(kg, mini_db, "--wipe")
    assert "wiped" in r.stdout
    want = {name for _, name in schema_names()}
    recs, _, _ = clean.execute_query("SHOW INDEXES YIELD name, state RETURN name, state")
    states = {r["name"]: r["state"] for r in recs}
    assert want <= set(states) and all(states[n] == "ONLINE" for n in want), states
    recs, _, _ = clean.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
    assert "kg_node_iri" in recs[0]["names"]
    assert_same_graph(clean, open_store(mini_db))


# ---------------------------------------------------------------- idempotency and --wipe

def test_concurrent_small_batches_give_the_same_graph(clean, kg, sample_db):
    pushed(kg, sample_db, "--workers", "3", "--batch-size", "7")
    assert_same_graph(clean, open_store(sample_db))
    first = counts(clean)
    pushed(kg, sample_db, "--workers", "3", "--batch-size", "7")  # the MERGE path
    assert counts(clean) == first


def test_push_twice_gives_identical_counts(clean, kg, sample_db):
    pushed(kg, sample_db)
    first = counts(clean)
    pushed(kg, sample_db)
    assert counts(clean) == first
    assert_same_graph(clean, open_store(sample_db))


def test_wipe_removes_what_disappeared_and_nothing_else(clean, kg, mini_db, sample_db):
    pushed(kg, sample_db)
    # someone else's data in the same database
    clean.execute_query("CREATE (:Analyst {name: 'mine'})-[:NOTE]->(:Analyst {name: 'also mine'})")
    # without --wipe, what is not in the mini graph stays
    pushed(kg, mini_db)
    recs, _, _ = clean.execute_query("MATCH (n:KgNode) RETURN count(n) AS n")
    assert recs[0]["n"] > len(expected_graph(open_store(mini_db))["nodes"])
    # with --wipe, only the mini graph is left, and the analyst's nodes are untouched
    r = pushed(kg, mini_db, "--wipe")
    assert "wiped" in r.stdout
    recs, _, _ = clean.execute_query("MATCH (n) WHERE NOT n:KgNode RETURN count(n) AS n")
    assert recs[0]["n"] == 2
    clean.execute_query("MATCH (n:Analyst) DETACH DELETE n")
    assert_same_graph(clean, open_store(mini_db))


def test_wipe_deletes_in_batches_and_counts_what_it_deleted(clean, kg, sample_db):
    """The wipe's batches (10,000 links per transaction at most since a 10^6-firm graph's wipe hit
    the server's transaction memory), here 7 at a time: every node and link of the graph goes,
    counted exactly, and someone else's node stays."""
    from kg.neo4j.push import wipe

    pushed(kg, sample_db)
    clean.execute_query("MATCH (f:Firm) WITH f LIMIT 1 CREATE (:Analyst {name: 'mine'})-[:NOTE]->(f)")
    count = "MATCH (n:KgNode) RETURN count(n) AS n"
    nodes = clean.execute_query(count)[0][0]["n"]
    links = clean.execute_query("MATCH (:KgNode)-[r]-() RETURN count(DISTINCT r) AS n")[0][0]["n"]
    with clean.session() as session:
        assert wipe(session, batch=7) == (nodes, links)
    assert clean.execute_query(count)[0][0]["n"] == 0
    assert clean.execute_query("MATCH (n:Analyst) RETURN count(n) AS n")[0][0]["n"] == 1
    clean.execute_query("MATCH (n:Analyst) DETACH DELETE n")


def test_wipe_goes_on_in_smaller_batches_where_the_server_refuses_a_batch():
    """On a server whose transactions may hold only a few MiB, a batch of 10,000 link
    deletions is refused (MemoryPoolOutOfMemoryError): the wipe goes on in smaller batches and
    still deletes every node and link, counted exactly, and leaves someone else's node."""
    from kg.neo4j.push import WIPE_BATCH, wipe

    uri, user, password = tight_neo4j_connection()
    with neo4j.GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF") as d:
        with d.session() as session:  # CALL ... IN TRANSACTIONS runs in auto-commit transactions only
            for q in ("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 500 ROWS",
                      "UNWIND range(1, 5000) AS i CALL { WITH i CREATE (:KgNode:Firm {i: i}) } IN TRANSACTIONS OF 500 ROWS",
                      "MATCH (a:KgNode) CALL { WITH a MATCH (b:KgNode) WHERE b.i <= 4 CREATE (a)-[:OWNS]->(b) } "
                      "IN TRANSACTIONS OF 200 ROWS",
                      "MATCH (f:KgNode {i: 9}) CREATE (:Analyst {name: 'mine'})-[:NOTE]->(f)"):
                session.run(q).consume()
            with pytest.raises(neo4j.exceptions.TransientError, match="MemoryPoolOutOfMemoryError"):
                session.run(f"MATCH (:KgNode)-[r]->() CALL {{ WITH r DELETE r }} IN TRANSACTIONS OF {WIPE_BATCH} ROWS"
                            ).consume()  # the server refuses the wipe's first batch, as said
            assert wipe(session) == (5000, 20001)
        recs, _, _ = d.execute_query("MATCH (n) RETURN labels(n) AS l, count(*) AS c")
        assert [(r["l"], r["c"]) for r in recs] == [(["Analyst"], 1)], TIGHT_TRANSACTION_MEMORY


def test_the_reader_stays_two_tables_ahead_and_stops_when_the_push_does():
    """The push's reader thread reads at most ``ahead`` items before they are taken (a graph read
    whole while the wipe runs would be held whole), and stops reading once the push lets the items
    go part-way (a failed push), rather than waiting forever with its tables."""
    import threading
    import time

    from kg.neo4j.push import read_ahead

    read: list[int] = []

    def items():
        for i in range(100):
            read.append(i)
            yield "warning", str(i), None

    taken = read_ahead(items(), ahead=2)
    first = next(taken)
    time.sleep(0.3)
    assert first[1] == "0" and len(read) <= 4  # the one taken, two queued, one waiting to be
    taken.close()  # the push stops part-way
    deadline = time.time() + 5
    while any(t.name == "kg-push-read" for t in threading.enumerate()) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(t.name == "kg-push-read" for t in threading.enumerate())
    assert len(read) < 100


@pytest.mark.parametrize("values", [1, 3, 10**9])
def test_link_ends_found_a_few_tables_at_a_time_as_in_one_lookup(values):
    """The push finds links' ends among the nodes read before them a few link tables at a time
    (bounded memory at 10^6 firms); any grouping gives the positions of one lookup of all ends,
    -1 where an end is no node, and the link tables keep their other columns."""
    import pyarrow as pa

    from kg.neo4j.push import EndLookup
    from kg.tables.view import FROM, TO

    e = EndLookup(values=values)
    e.add_nodes(pa.chunked_array([["f1", "f2"], ["f3"]]))
    e.add_links("OWNS", pa.table({"iri": ["o1", "o2"], FROM: ["f1", "f3"], TO: ["f2", "nobody"], "share": [0.5, 0.1]}))
    e.add_nodes(pa.chunked_array([pa.array(["y1", "y2"]).dictionary_encode()]))
    e.add_links("REPORTED", pa.table({FROM: ["f2", "f3", "f1"], TO: ["y2", "y1", "y1"]}))
    e.add_links("EMPTY", pa.table({FROM: pa.array([], pa.string()), TO: pa.array([], pa.string())}))
    found = {rel: (t.column_names, t.num_rows, a.tolist(), b.tolist()) for rel, (t, a, b) in e.finished().items()}
    assert found == {"OWNS": (["iri", "share"], 2, [0, 2], [1, -1]),
                     "REPORTED": ([], 3, [1, 2, 0], [4, 3, 3]),
                     "EMPTY": ([], 0, [], [])}
    assert e.iris == []  # let go


def test_schema_constraints_and_fulltext(clean, kg, mini_db):
    pushed(kg, mini_db)
    recs, _, _ = clean.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
    assert "kg_node_iri" in recs[0]["names"]
    recs, _, _ = clean.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS names")
    assert {"kg_firm_uscc", "kg_node_ticker", "kg_names"} <= set(recs[0]["names"])
    recs, _, _ = clean.execute_query(
        "CALL db.index.fulltext.queryNodes('kg_names', $q) YIELD node RETURN node.id AS id LIMIT 1", q="齿轮")
    assert recs[0]["id"] == "lg2"
    # a second node with the same iri is refused
    with pytest.raises(neo4j.exceptions.ConstraintError):
        clean.execute_query("MATCH (n:KgNode {id: 'lg2'}) CREATE (:KgNode {iri: n.iri})")
    r = kg("push", "neo4j", "--schema-only")
    assert r.exit_code == 0 and "created the constraints and indexes" in r.stdout


# ---------------------------------------------------------------- kg cypher

def test_little_giants_cypher_equals_sparql(clean, kg, sample_db):
    pushed(kg, sample_db)
    c = kg("cypher", "--backend", "neo4j", LITTLE_GIANTS_CYPHER, "-p", "code=little_giant", "--format", "json")
    assert c.exit_code == 0, c.output
    s = kg("sparql", LITTLE_GIANTS_SPARQL, "-p", "code=little_giant", "--db", sample_db, "--format", "json")
    assert s.exit_code == 0, s.output
    n = json.loads(c.stdout)[0]["n"]
    assert n == json.loads(s.stdout)[0]["n"] and n > 0


def test_cypher_values_formats_and_params(clean, kg, mini_db):
    pushed(kg, mini_db)
    q = ("MATCH (f:Firm {id: $id})-[o:OWNS]->(x) RETURN f, o, o.start AS start, [x.id, 1] AS l, "
         "$id AS echoed ORDER BY x.id LIMIT 1")
    r = kg("cypher", "--backend", "neo4j", q, "-p", "id=grp", "--format", "json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)[0]
    assert row["f"]["labels"] == ["Firm", "KgNode"] and row["f"]["uscc"] == "91210100MA0GRP015Y"
    assert row["o"]["type"] == "OWNS" and row["o"]["share"] == 1.0
    assert row["start"] == "2010-01-01" and row["o"]["start"] == "2010-01-01"
    assert row["l"] == ["hold", 1] and row["echoed"] == "grp"
    # the parameter is a Bolt parameter: text that would break a pasted query is just a value
    r = kg("cypher", "--backend", "neo4j", "RETURN $x AS x", "-p", "x=') DETACH DELETE (n", "--format", "jsonl")
    assert json.loads(r.stdout) == {"x": "') DETACH DELETE (n"}
    r = kg("cypher", "--backend", "neo4j", "MATCH (n:Firm) RETURN n.id AS id ORDER BY id", "--format", "csv")
    assert r.stdout.splitlines() == ["id", "grp", "hold", "lg2", "sub"]
    r = kg("cypher", "--backend", "neo4j", "RETURN {a: 1} AS m, [1, 2] AS l", "--format", "tsv")
    assert list(csv.reader(io.StringIO(r.stdout), delimiter="\t")) == [["m", "l"], ['{"a": 1}', "[1, 2]"]]


def test_cypher_from_file_and_errors(clean, kg, tmp_path):
    f = tmp_path / "q.cypher"
    f.write_text("RETURN 1 AS one", encoding="utf-8")
    r = kg("cypher", "--backend", "neo4j", "-f", f, "--format", "csv")
    assert r.exit_code == 0 and r.stdout.splitlines() == ["one", "1"]
    r = kg("cypher", "--backend", "neo4j", "RETRN 1")
    assert r.exit_code == 2
    assert len(r.output.strip().splitlines()) == 1 and "SyntaxError" in r.output
    r = kg("cypher", "--backend", "neo4j", "RETURN $missing AS x")
    assert r.exit_code == 2 and "Traceback" not in r.output


# ---------------------------------------------------------------- passwords and failures

def test_wrong_password_exits_1_with_one_line(kg, neo4j_conn, mini_db):
    # one failed login only: Neo4j locks a user out for a few seconds after repeated failures
    wrong = "Wr0ng-" + neo4j_conn[2][::-1]
    r = kg("push", "neo4j", "--db", mini_db, "--quiet", password_=wrong)
    assert r.exit_code == 1, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1, r.output
    assert f"refused user '{neo4j_conn[1]}': wrong user name or password" in lines[0]
    assert "Traceback" not in r.output
    assert wrong not in r.output and neo4j_conn[2] not in r.output


def test_no_password_and_no_terminal_exits_2(kg, mini_db):
    r = kg("push", "neo4j", "--db", mini_db, env={"NEO4J_PASSWORD": None})
    assert r.exit_code == 2
    assert "NEO4J_PASSWORD" in r.output and len(r.output.strip().splitlines()) == 1


def test_unreachable_server_exits_1(kg, mini_db):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = kg("push", "neo4j", "--db", mini_db, "--uri", f"bolt://127.0.0.1:{port}", "--quiet")
    assert r.exit_code == 1
    assert r.output.startswith("Error: cannot reach Neo4j at bolt://127.0.0.1:") and "Traceback" not in r.output


class CutProxy:
    """A TCP forwarder to the real server that drops every connection once the client has
    sent ``cut_after`` bytes, and refuses new ones from then on (a network failure)."""

    def __init__(self, target: tuple[str, int], cut_after: float = math.inf):
        self.target, self.cut_after, self.sent, self.cut = target, cut_after, 0, False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.server.accept()
            except OSError:
                return
            if self.cut:
                c.close()
                continue
            u = socket.create_connection(self.target)
            with self.lock:
                self.socks += [c, u]
            threading.Thread(target=self._pipe, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(u, c, False), daemon=True).start()

    def _pipe(self, src, dst, upstream):
        try:
            while data := src.recv(65536):
                if upstream:
                    with self.lock:
                        self.sent += len(data)
                        if self.sent > self.cut_after:
                            self._cut()
                            return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _cut(self):
        self.cut = True
        for s in self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.cut = True
        self.server.close()
        with self.lock:
            self._cut()


def test_broken_connection_reports_progress_and_rerun_completes(clean, kg, neo4j_conn, sample_db):
    uri = neo4j_conn[0]
    host, port = uri.split("//", 1)[1].rsplit(":", 1)
    args = ("push", "neo4j", "--db", sample_db, "--quiet", "--batch-size", "40")
    # measure how much a whole push sends, then cut the connection half-way through the links
    full = CutProxy((host, int(port)))
    try:
        r = kg(*args, env={"NEO4J_URI": f"bolt://127.0.0.1:{full.port}"})
        assert r.exit_code == 0, r.output
        total = full.sent
    finally:
        full.close()
    wipe_all(clean)
    cut = CutProxy((host, int(port)), cut_after=total * 0.7)
    try:
        r = kg(*args, env={"NEO4J_URI": f"bolt://127.0.0.1:{cut.port}"})
    finally:
        cut.close()
    assert r.exit_code == 1, r.output
    line = r.output.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line and neo4j_conn[2] not in line
    assert "before the connection failed" in line and "run the push again" in line
    want = expected_graph(open_store(sample_db))
    n_links = sum(len(v) for v in want["links"].values())
    assert f"of {len(want['nodes'])} nodes and " in line and f" of {n_links} links" in line
    done = int(line.split(" nodes and ")[1].split(" of ")[0])
    assert 0 < done < n_links
    # a rerun completes it, and has the constraint and indexes (a fresh push makes them last)
    pushed(kg, sample_db, "--batch-size", "40")
    assert_same_graph(clean, open_store(sample_db))
    recs, _, _ = clean.execute_query("SHOW INDEXES YIELD name RETURN collect(name) AS names")
    assert {name for _, name in schema_names()} <= set(recs[0]["names"])


def test_progress_bar_hidden_when_not_a_terminal(clean, kg, mini_db):
    r = kg("push", "neo4j", "--db", mini_db)
    assert r.exit_code == 0
    assert "pushing" not in r.stderr
    assert "kind" in r.stdout.splitlines()[0] and r.stdout.strip().splitlines()[-1].startswith("pushed ")


def test_no_graph_is_a_one_line_error(kg, tmp_path):
    r = kg("push", "neo4j", "--db", tmp_path / "nothing")
    assert r.exit_code == 1 and r.output.startswith("Error: no graph in")


def test_help_documents_wipe_and_partial_dates(kg):
    r = kg("push", "neo4j", "--help")
    text = " ".join(r.stdout.split())
    assert "stay in Neo4j" in text and "--wipe" in text and "_precision" in text
    assert "NEO4J_PASSWORD" in text


def test_statements_only_use_the_ontology_allow_list():
    from kg.neo4j.push import link_statement, node_statement

    with pytest.raises(ValueError):
        node_statement(("KgNode", "Firm`) DETACH DELETE (n"), ["iri"])
    with pytest.raises(ValueError):
        node_statement(("KgNode", "Firm"), ["iri", "x}) DETACH DELETE (n"])
    with pytest.raises(ValueError):
        link_statement("OWNS]->() DELETE x //", ["iri"])
    assert "MERGE (a)-[x:CONTROLS {iri: r[2]}]->(b)" in link_statement("CONTROLS", ["iri", "method"])
