"""``kg serve`` as a command (``python3 -m kg serve`` in a subprocess) driven by real SPARQL
clients: SPARQLWrapper and rdflib's SPARQLStore get the same rows as ``kg sparql`` on the same
database; updates are refused; a runaway query is stopped at the timeout while other requests
are served; the row cap; the service description."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

import httpx
import psutil
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, POST, POSTDIRECTLY, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.rdf.query import term_value

ROOT = Path(__file__).resolve().parents[1]
KG = "https://w3id.org/accelerator-kg/ont#"
DERIVED = "https://w3id.org/accelerator-kg/id/graph/derived"
TIMEOUT = 3
MAX_ROWS = 5000
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted (use kg build to change the graph)"


@pytest.fixture(scope="module")
def server(sample_db, tmp_path_factory):
    """The URL of a `kg serve` started on a free port over the sample graph."""
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--db", str(sample_db), "--port", "0", "--timeout", str(TIMEOUT),
             "--max-rows", str(MAX_ROWS), "--workers", "2", "--allowed-host", "127.0.0.1",
             "--allowed-host", "kg.example.org"], stdout=subprocess.DEVNULL, stderr=err, env=env)
    try:
        url = _wait_until_serving(proc, log)
        yield url, proc
    finally:
        workers = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
        proc.terminate()
        assert proc.wait(30) == 0, log.read_text()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"worker processes left behind: {alive}"


def _wait_until_serving(proc, log: Path) -> str:
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kg serve exited with {proc.returncode}: {log.read_text()}")
        if url is None:
            m = re.search(r"SPARQL endpoint at (http://\S+/sparql)", log.read_text())
            url = m.group(1) if m else None
        if url is not None:
            try:
                if httpx.get(url, params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"kg serve did not answer within 60 s: {log.read_text()}")


def kg_sparql(run, db, query: str, *args) -> tuple[list[str], list[list]]:
    """Columns and rows that `kg sparql --format json` prints."""
    r = run("sparql", query, "--db", db, "--format", "json", *args)
    assert r.exit_code == 0, r.output
    objs = json.loads(r.stdout)
    cols = list(objs[0]) if objs else []
    return cols, [list(o.values()) for o in objs]


def _plain_json(b: dict | None):
    """A SPARQL JSON binding as the plain value `kg sparql` prints."""
    if b is None:
        return None
    if b["type"] == "uri":
        return b["value"]
    if b["type"] == "bnode":
        return f"_:{b['value']}"
    dt = b.get("datatype")
    return term_value(ox.Literal(b["value"], datatype=ox.NamedNode(dt)) if dt else ox.Literal(b["value"]))


def _plain_rdflib(t):
    if t is None:
        return None
    if isinstance(t, rdflib.Literal):
        dt = t.datatype
        return term_value(ox.Literal(str(t), datatype=ox.NamedNode(str(dt))) if dt else ox.Literal(str(t)))
    return str(t)


def wrapper_rows(url: str, query: str, method: str = "GET", request: str = URLENCODED,
                 default_graphs=()) -> tuple[list[str], list[list]]:
    sw = SPARQLWrapper(url)
    sw.setQuery(query)
    sw.setReturnFormat(JSON)
    if method == "POST":
        sw.setMethod(POST)
        sw.setRequestMethod(request)
    for g in default_graphs:
        sw.addDefaultGraph(g)
    res = sw.queryAndConvert()
    cols = res["head"]["vars"]
    return cols, [[_plain_json(b.get(c)) for c in cols] for b in res["results"]["bindings"]]


def sparqlstore_rows(url: str, query: str) -> tuple[list[str], list[list]]:
    store = SPARQLStore(url, returnFormat="xml")
    res = store.query(query)
    cols = [str(v) for v in res.vars]
    return cols, [[_plain_rdflib(row[c]) for c in cols] for row in res]


def canned(name: str, as_of: str = "2023-12-31") -> str:
    """A canned query's SPARQL with its default parameters pre-bound, as `kg query run` binds them."""
    from kg.queries.catalog import get_query
    from kg.queries.params import sparql_bindings
    from kg.queries.run import prepare
    from kg.rdf.prebind import prebind, query_variables

    q = get_query(name)
    values = prepare(q, {}, as_of)
    return prebind(q.sparql, sparql_bindings(q.params, values, query_variables(q.sparql)))


QUERIES = {
    "firms": f"PREFIX kg: <{KG}> SELECT ?firm ?name WHERE {{ ?firm a kg:Firm ; kg:name ?name }} ORDER BY ?name ?firm",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "shares": f"PREFIX kg: <{KG}> SELECT ?io ?share ?hops WHERE {{ ?io kg:share ?share ; kg:hops ?hops }} ORDER BY ?io",
    "optional": f"PREFIX kg: <{KG}> SELECT ?e ?uscc WHERE {{ ?e a kg:Firm OPTIONAL {{ ?e kg:uscc ?uscc }} }} ORDER BY ?e",
}


@pytest.fixture(scope="module")
def little_giants():
    return canned("little-giant-subsidiaries")


@pytest.mark.parametrize("name", [*QUERIES, "little-giant-subsidiaries", "ultimate-owners-default"])
def test_clients_get_the_rows_of_kg_sparql(server, run, sample_db, name, little_giants):
    url, _ = server
    query = little_giants if name == "little-giant-subsidiaries" else \
        canned("state-influence") if name == "ultimate-owners-default" else QUERIES[name]
    want = kg_sparql(run, sample_db, query)
    assert want[1], "the query should return rows on the sample"
    assert wrapper_rows(url, query) == want
    assert wrapper_rows(url, query, "POST", URLENCODED) == want
    assert wrapper_rows(url, query, "POST", POSTDIRECTLY) == want
    assert sparqlstore_rows(url, query) == want


def test_canned_query_rows(server, run, sample_db, little_giants):
    # the canned query also agrees with `kg query run` (its rows, normalised the same way)
    url, _ = server
    r = run("query", "run", "little-giant-subsidiaries", "--db", sample_db, "--as-of", "2023-12-31", "--format", "json")
    rows = json.loads(r.stdout)
    got = wrapper_rows(url, little_giants)
    assert sorted((o["firm"], o["parent"]) for o in rows) == sorted((r[0], r[2]) for r in got[1])
    assert ("SIASUN Robot & Automation Co., Ltd.", "Shenyang Junli Intelligent Logistics Equipment Co., Ltd.") in \
        {(r[3], r[1]) for r in got[1]}


def test_default_graph_uri(server, run, sample_db):
    url, _ = server
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    want = kg_sparql(run, sample_db, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DERIVED}> {{ ?s ?p ?o }} }}")
    assert wrapper_rows(url, q, default_graphs=[DERIVED]) == want
    assert wrapper_rows(url, q, "POST", URLENCODED, default_graphs=[DERIVED]) == want
    assert wrapper_rows(url, q) == kg_sparql(run, sample_db, q)
    named = httpx.get(url, params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": DERIVED},
                      headers={"Accept": "text/csv"})
    assert named.text == f"g\r\n{DERIVED}\r\n"


def test_construct_through_clients(server, run, sample_db):
    url, _ = server
    q = f"PREFIX kg: <{KG}> CONSTRUCT {{ ?f kg:name ?n }} WHERE {{ ?f a kg:Firm ; kg:name ?n }}"
    sw = SPARQLWrapper(url)
    sw.setQuery(q)
    sw.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=sw.queryAndConvert(), format="turtle")
    got = sorted((str(s), str(o)) for s, _, o in g)
    want = sorted((r[0], r[2]) for r in kg_sparql(run, sample_db, q)[1])
    assert got == want and want
    res = SPARQLStore(url).query(q)
    assert sorted((str(s), str(o)) for s, _, o in res.graph) == want


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                                    "text/tab-separated-values"])
def test_select_content_types(server, accept):
    url, _ = server
    r = httpx.get(url, params={"query": QUERIES["firms"]}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
    fmt = {"application/sparql-results+json": ox.QueryResultsFormat.JSON, "application/sparql-results+xml":
           ox.QueryResultsFormat.XML, "text/csv": ox.QueryResultsFormat.CSV,
           "text/tab-separated-values": ox.QueryResultsFormat.TSV}[accept]
    if accept == "text/csv":  # lossy: read as plain CSV
        import csv
        import io

        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["firm", "name"] and len(rows) > 10
    else:
        assert len(list(ox.parse_query_results(r.content, format=fmt))) > 10


@pytest.mark.parametrize("accept, fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                         ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_graph_content_types(server, accept, fmt):
    url, _ = server
    q = f"PREFIX kg: <{KG}> CONSTRUCT {{ ?f kg:name ?n }} WHERE {{ ?f a kg:Firm ; kg:name ?n }}"
    r = httpx.post(url, data={"query": q}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == accept
    assert len(rdflib.Graph().parse(data=r.content, format=fmt)) > 10


def test_update_refused(server):
    url, _ = server
    sw = SPARQLWrapper(url)
    sw.setMethod(POST)
    sw.setQuery("INSERT DATA { <http://e/a> <http://e/p> <http://e/o> }")  # sent as update=...
    with pytest.raises(urllib.error.HTTPError) as e:
        sw.query()
    assert e.value.code == 403 and e.value.read().decode() == READ_ONLY + "\n"
    r = httpx.post(url, content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert (r.status_code, r.text) == (403, READ_ONLY + "\n")
    r = httpx.post(url, data={"update": "DROP ALL"}, headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.json() == {"error": READ_ONLY, "status": 403}
    assert httpx.get(url, params={"query": "ASK { <http://e/a> ?p ?o }"}).json()["boolean"] is False


def test_ask_through_clients(server, run, sample_db):
    url, _ = server
    for q in (f"PREFIX kg: <{KG}> ASK {{ ?f a kg:Firm ; kg:name \"SIASUN Robot & Automation Co., Ltd.\" }}",
              "ASK { <http://e/none> ?p ?o }"):
        (want,) = kg_sparql(run, sample_db, q)[1]
        sw = SPARQLWrapper(url)
        sw.setQuery(q)
        sw.setReturnFormat(JSON)
        assert [sw.queryAndConvert()["boolean"]] == want
        assert [SPARQLStore(url).query(q).askAnswer] == want
    assert want == [False]


def test_update_refused_through_rdflib(server):
    """rdflib's update store (SPARQLUpdateStore, an application/sparql-update POST) is refused,
    and nothing changes."""
    from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

    url, _ = server
    store = SPARQLUpdateStore(query_endpoint=url, update_endpoint=url)
    with pytest.raises(urllib.error.HTTPError) as e:
        store.update("INSERT DATA { <http://e/a> <http://e/p> <http://e/o> }")
    assert e.value.code == 403 and e.value.read().decode() == READ_ONLY + "\n"
    with pytest.raises(urllib.error.HTTPError) as e:
        rdflib.Graph(store, identifier=rdflib.URIRef("http://e/g")).add((rdflib.URIRef("http://e/a"), rdflib.URIRef("http://e/p"), rdflib.Literal("o")))
    assert e.value.code == 403
    assert SPARQLStore(url).query("ASK { <http://e/a> ?p ?o }").askAnswer is False


def test_runaway_through_clients(server, run, sample_db):
    """A runaway query sent by SPARQLWrapper ends in an error at the timeout, while rdflib's
    SPARQLStore is served meanwhile."""
    url, _ = server
    outcome = {}

    def runaway():
        sw = SPARQLWrapper(url)
        sw.setQuery(RUNAWAY)
        sw.setReturnFormat(JSON)
        try:
            sw.query()
        except urllib.error.HTTPError as e:
            outcome["error"] = (e.code, e.read().decode())

    t = threading.Thread(target=runaway)
    t.start()
    time.sleep(0.5)
    assert sparqlstore_rows(url, QUERIES["graphs"]) == kg_sparql(run, sample_db, QUERIES["graphs"])
    assert t.is_alive(), "the SPARQLStore query was answered while the runaway ran"
    t.join(60)
    code, body = outcome["error"]  # SPARQLWrapper accepts JSON: the error is JSON
    assert (code, json.loads(body)) == (503, {"status": 503, "error": "query timed out: it ran longer than the "
                                              f"server's limit of {TIMEOUT} s (kg serve --timeout) and was stopped"})


def test_malformed_query(server):
    url, _ = server
    sw = SPARQLWrapper(url)
    sw.setQuery("SELECT ?x WHERE { ?x ?p }")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed) as e:
        sw.query()
    assert "SPARQL syntax error: error at 1:26: expected one of LATERAL, SERVICE, [_]" in str(e.value)
    r = httpx.get(url, params={"query": "SELECT ?x WHERE { ?x ?p }"})
    assert (r.status_code, r.text) == (400, "SPARQL syntax error: error at 1:26: expected one of LATERAL, SERVICE, [_]\n")


def test_row_cap(server):
    url, _ = server
    r = httpx.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 422
    assert r.text == (f"the result has more than {MAX_ROWS} rows, this server's limit (kg serve --max-rows); add LIMIT "
                      "(with OFFSET to page through it) or narrow the query\n")
    r = httpx.get(url, params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.text.count("\r\n") == MAX_ROWS + 1


def test_service_description(server):
    url, _ = server
    r = httpx.get(url)
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    (svc,) = g.subjects(rdflib.RDF.type, sd.Service)
    assert g.value(svc, sd.endpoint) == rdflib.URIRef(url)
    assert g.value(svc, sd.supportedLanguage) == sd.SPARQL11Query
    assert rdflib.URIRef(DERIVED) in set(g.objects(None, sd.name))


def test_behind_a_reverse_proxy(server):
    """nginx passes Host and X-Forwarded-Proto: the description names the public endpoint;
    a host name not allowed is refused."""
    url, _ = server
    r = httpx.get(url, headers={"Host": "kg.example.org", "X-Forwarded-Proto": "https"})
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert set(g.objects(None, sd.endpoint)) == {rdflib.URIRef("https://kg.example.org/sparql")}
    r = httpx.get(url, params={"query": "ASK {}"}, headers={"Host": "localhost"})
    assert (r.status_code, r.text) == (400, "Invalid host header")


def test_runaway_query_times_out_while_others_are_served(server):
    url, proc = server
    outcome = {}

    def runaway():
        start = time.monotonic()
        outcome["response"] = httpx.post(url, data={"query": RUNAWAY}, timeout=60)
        outcome["seconds"] = time.monotonic() - start

    t = threading.Thread(target=runaway)
    t.start()
    time.sleep(0.5)
    quick = httpx.get(url, params={"query": QUERIES["graphs"]}, headers={"Accept": "text/csv"}, timeout=10)
    assert quick.status_code == 200 and t.is_alive(), "the quick query was answered while the runaway ran"
    t.join(60)
    r = outcome["response"]
    assert r.status_code == 503
    assert r.text == (f"query timed out: it ran longer than the server's limit of {TIMEOUT} s (kg serve --timeout) "
                      "and was stopped\n")
    assert TIMEOUT - 0.1 <= outcome["seconds"] < TIMEOUT + 10
    # the stopped worker is replaced: two workers again, and both answer
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_workers(proc)) != 2:
        time.sleep(0.2)
    assert len(_workers(proc)) == 2
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        httpx.get(url, params={"query": "ASK {}"}, timeout=30).status_code)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert answers == [200] * 4


def _workers(proc) -> list[psutil.Process]:
    return [p for p in psutil.Process(proc.pid).children() if any("spawn_main" in a for a in p.cmdline())]
