"""``kg serve``'s application in-process (starlette's TestClient over httpx): the protocol's
fine cases, errors and headers. Real store, real worker processes; see test_serve_clients.py
for the server run as a command and driven by SPARQL clients."""

from __future__ import annotations

import json
import time

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient

from kg.serve.app import LOOPBACK_HOSTS, Settings, create_app

DERIVED = "https://w3id.org/accelerator-kg/id/graph/derived"
REFERENCE = "https://w3id.org/accelerator-kg/id/graph/reference"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def client(sample_db):
    app = create_app(Settings(db=sample_db, timeout=20, max_rows=50, workers=1,
                              allowed_hosts=[*LOOPBACK_HOSTS, "testserver"]))
    with TestClient(app, base_url="http://127.0.0.1:8080") as c:
        yield c


def _count(client, **kw) -> int:
    r = client.get("/sparql", params={"query": COUNT, **kw}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_select_json_by_default(client):
    r = client.get("/sparql", params={"query": "SELECT ?n WHERE { VALUES ?n { 1 } }"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    assert r.json() == {"head": {"vars": ["n"]}, "results": {"bindings": [
        {"n": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "1"}}]}}


@pytest.mark.parametrize("accept, ctype, body", [
    ("application/sparql-results+xml", "application/sparql-results+xml",
     '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="n"/></head>'
     '<results><result><binding name="n"><literal>a,b</literal></binding></result></results></sparql>'),
    ("text/csv", "text/csv; charset=utf-8", 'n\r\n"a,b"\r\n'),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", '?n\n"a,b"\n'),
    ("text/csv;q=0.4, text/tab-separated-values;q=0.9", "text/tab-separated-values; charset=utf-8", '?n\n"a,b"\n'),
    ("application/json", "application/sparql-results+json",
     '{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"literal","value":"a,b"}}]}}'),
])
def test_select_content_types(client, accept, ctype, body):
    r = client.get("/sparql", params={"query": 'SELECT ?n WHERE { VALUES ?n { "a,b" } }'}, headers={"Accept": accept})
    assert (r.status_code, r.headers["content-type"], r.text) == (200, ctype, body)
    assert r.headers["vary"] == "Accept"


CONSTRUCT = ('CONSTRUCT { <https://w3id.org/accelerator-kg/id/x> <https://w3id.org/accelerator-kg/ont#name> ?n } '
             'WHERE { VALUES ?n { "Siasun" } }')


@pytest.mark.parametrize("accept, ctype, fmt", [
    (None, "text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    ("text/turtle", "text/turtle; charset=utf-8", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
])
def test_construct_content_types(client, accept, ctype, fmt):
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": accept} if accept else {})
    assert (r.status_code, r.headers["content-type"]) == (200, ctype)
    triples = list(ox.parse(r.content, format=fmt))
    assert [(t.subject.value, t.predicate.value, t.object.value) for t in triples] == [
        ("https://w3id.org/accelerator-kg/id/x", "https://w3id.org/accelerator-kg/ont#name", "Siasun")]


def test_ask_and_format_parameter(client):
    r = client.get("/sparql", params={"query": "ASK { ?s a <https://w3id.org/accelerator-kg/ont#Firm> }"})
    assert r.json() == {"head": {}, "boolean": True}
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "nt"})
    assert r.headers["content-type"] == "application/n-triples"
    # format= names a type this query form cannot give: Accept decides
    r = client.get("/sparql", params={"query": CONSTRUCT, "format": "csv"}, headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"] == "application/ld+json"


def test_not_acceptable(client):
    r = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": "text/csv"})
    assert r.status_code == 406
    assert r.text == ("none of the accepted types (text/csv) fits this result; this query can answer text/turtle, "
                      "application/n-triples, application/ld+json, application/rdf+xml\n")


def test_post_forms(client):
    form = client.post("/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    direct = client.post("/sparql", content=COUNT.encode(), headers={"Content-Type": "application/sparql-query",
                                                                     "Accept": "text/csv"})
    get = client.get("/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert form.status_code == direct.status_code == get.status_code == 200
    assert form.text == direct.text == get.text
    assert int(get.text.split()[1]) > 5_000


def test_dataset_parameters(client):
    union = _count(client)
    derived = _count(client, **{"default-graph-uri": DERIVED})
    both = _count(client, **{"default-graph-uri": [DERIVED, REFERENCE]})
    reference = _count(client, **{"default-graph-uri": REFERENCE})
    assert 0 < derived < union and 0 < reference < union
    assert both == derived + reference
    # named graphs only: an empty default graph, GRAPH sees just those named
    assert _count(client, **{"named-graph-uri": DERIVED}) == 0
    q = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    r = client.post("/sparql", params={"named-graph-uri": DERIVED}, content=q.encode(),
                    headers={"Content-Type": "application/sparql-query"})
    rows = r.json()["results"]["bindings"]
    assert [(b["g"]["value"], int(b["n"]["value"])) for b in rows] == [(DERIVED, derived)]


def test_bad_graph_iri(client):
    r = client.get("/sparql", params={"query": COUNT, "default-graph-uri": "not an iri"})
    assert r.status_code == 400
    assert r.text == ("default-graph-uri 'not an iri' is not an absolute IRI (Invalid IRI code point ' '); give a graph "
                      "name such as https://w3id.org/accelerator-kg/id/graph/derived\n")


@pytest.mark.parametrize("how", ["form", "update-body", "get"])
def test_update_refused(client, how, sample_db):
    update = "INSERT DATA { <http://e/a> <http://e/p> <http://e/o> }"
    if how == "form":
        r = client.post("/sparql", data={"update": update})
    elif how == "update-body":
        r = client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"})
    else:
        r = client.get("/sparql", params={"update": update})
    assert r.status_code == 403
    assert r.text == "this endpoint is read-only: SPARQL Update is not accepted (use kg build to change the graph)\n"
    assert _count(client, **{"default-graph-uri": "http://e/a"}) == 0


def test_update_sent_as_query_refused(client):
    r = client.post("/sparql", data={"query": "PREFIX ex: <http://e/>\n# wipe\nDELETE WHERE { ?s ?p ?o }"})
    assert r.status_code == 403
    assert r.text == "this endpoint is read-only: SPARQL Update is not accepted (use kg build to change the graph)\n"
    assert _count(client) > 5_000


def test_service_refused(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"})
    assert r.status_code == 403
    assert r.text == "SERVICE (federated query) is not allowed on this endpoint: it queries only the local graph\n"


def test_malformed_query_one_line(client):
    r = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?p }"})
    assert r.status_code == 400
    assert r.text == "SPARQL syntax error: error at 1:26: expected one of LATERAL, SERVICE, [_]\n"
    r = client.get("/sparql", params={"query": "SELEC *"}, headers={"Accept": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": "SPARQL syntax error: error at 1:8: expected one of VERSION, [_]", "status": 400}


def test_row_cap(client):
    r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 51"})
    assert r.status_code == 422
    assert r.text == ("the result has more than 50 rows, this server's limit (kg serve --max-rows); add LIMIT "
                      "(with OFFSET to page through it) or narrow the query\n")
    r = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 51"})
    assert r.status_code == 422
    r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 50"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.text.count("\r\n") == 51


def test_bad_requests(client):
    r = client.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.text) == (415, "unsupported Content-Type 'text/plain' for POST; send "
                                             "application/x-www-form-urlencoded (query=...) or application/sparql-query\n")
    r = client.post("/sparql", data={"format": "csv"})
    assert (r.status_code, r.text) == (400, "no query: send query=... (form) or an application/sparql-query body\n")
    r = client.get("/sparql", params={"query": "  "})
    assert (r.status_code, r.text) == (400, "the query is empty\n")
    r = client.post("/sparql", content=b"\xff", headers={"Content-Type": "application/sparql-query"})
    assert (r.status_code, r.text) == (400, "the request body is not UTF-8 (byte 0xff at offset 0)\n")
    r = client.post("/sparql", content=b"#" * (1 << 20) + b"\nASK {}", headers={"Content-Type": "application/sparql-query"})
    assert (r.status_code, r.text) == (413, "the request body is over 1048576 bytes\n")
    r = client.put("/sparql", content=b"ASK {}")
    assert r.status_code == 405


def test_security_headers_and_no_files(client):
    for r in (client.get("/sparql", params={"query": "ASK {}"}), client.get("/sparql"),
              client.get("/sparql", params={"query": "nonsense"}), client.get("/../../etc/passwd")):
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/etc/passwd").status_code == 404
    assert client.get("/sparql/../pyproject.toml").status_code == 404
    home = client.get("/", follow_redirects=False)  # the search page (kg.serve.pages)
    assert (home.status_code, home.headers["content-type"]) == (200, "text/html; charset=utf-8")


def test_foreign_host_refused(client):
    # a page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Host": "evil.example"})
    assert r.status_code == 400


def test_service_description(client):
    r = client.get("/sparql")
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = ox.Dataset(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    sd = "http://www.w3.org/ns/sparql-service-description#"

    def objects(p):
        return {q.object.value for q in g if q.predicate.value == sd + p}

    assert objects("endpoint") == {"http://127.0.0.1:8080/sparql"}
    assert objects("supportedLanguage") == {sd + "SPARQL11Query"}
    assert objects("feature") == {sd + "UnionDefaultGraph"}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in objects("resultFormat")
    assert {DERIVED, REFERENCE} <= objects("name")
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"] == "application/ld+json"
    assert json.loads(r.text)


@pytest.mark.parametrize("name", ["kg.serve.negotiate", "kg.serve.errors", "kg.serve.sparql", "kg.serve.app",
                                  "kg.serve.pool", "kg.cli.serve"])
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_follows_new_builds(tmp_path, mini_dir, sample_dir):
    """A running server answers from each new build and lets go of the old generation."""
    from kg.build import build
    from kg.dbfolder import live_generation

    db = tmp_path / "db"
    build([mini_dir], db)
    first = live_generation(db)
    app = create_app(Settings(db=db, workers=1, allowed_hosts=["testserver"], refresh=0.5))
    with TestClient(app) as client:
        mini = _count(client)
        build([sample_dir], db)
        second = live_generation(db)
        sample = _count(client)
        assert sample > mini
        build([mini_dir], db)  # removes the generations nobody holds: the first one
        assert not first.exists() and second.exists()
        assert _count(client) == mini
        # an idle worker moves to a new build on its own and lets the old one go
        third = live_generation(db)
        build([mini_dir], db)
        time.sleep(1.5)  # three refreshes
        build([mini_dir], db)  # removes the generations no reader holds
        assert not third.exists()


def test_cli_errors(run, sample_db, tmp_path):
    import socket

    r = run("serve", "--db", tmp_path / "none")
    assert (r.exit_code, r.stderr) == (1, f"Error: no graph in {tmp_path / 'none'}; build one first with 'kg build' "
                                          "(or point --db / KG_DB at one)\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run("serve", "--db", sample_db, "--port", port)
    assert (r.exit_code, r.stderr) == (1, f"Error: cannot listen on 127.0.0.1:{port}: it is in use (another server? "
                                          "give --port)\n")
    r = run("serve", "--db", sample_db, "--timeout", "0")
    assert r.exit_code == 2 and "Invalid value for '--timeout'" in r.stderr
