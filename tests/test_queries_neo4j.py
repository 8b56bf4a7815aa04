"""Same answer on every backend: every canned query on the embedded store (SPARQL), on the
embedded property graph (Cypher, LadybugDB) and on a real Neo4j server (the same Cypher, after
``kg push neo4j``) gives the same columns and rows.

Graphs: the bundled sample, the hand-made folder of tests/test_queries_handmade.py and a
synthetic graph (``kg synth --firms 3000 --seed 7``). Rows go through the runner's shared
normalisation (floats to 9 significant digits, dates as ISO text); queries that order their rows
are compared in order, others as multisets.

The server comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, else tests/neo4j_fixture.py
starts one; when none can be had these tests fail (never skip). The server may be shared with
other test files, so the database is emptied before each graph is pushed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the core commands)
import kg.cli.neo4j  # noqa: F401  (registers push neo4j)
import kg.cli.query  # noqa: F401  (registers query and owners)
from kg.build import build
from kg.cli import cli
from kg.cypher.backend import CypherBackend
from kg.neo4j.connect import Settings, open_driver
from kg.neo4j.push import push
from kg.queries import load_catalog, run_query, same_rows
from kg.queries.run import Neo4jBackend
from kg.rdf.query import run_sparql
from kg.rdf.store import open_store

try:  # tests/ as a package or as a plain directory on sys.path
    from .neo4j_fixture import neo4j_connection
    from .test_queries_handmade import write_handmade
except ImportError:
    from neo4j_fixture import neo4j_connection
    from test_queries_handmade import write_handmade

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parents[1]

#: (query, parameters) run on every graph; every canned query appears at least once.
CASES: list[tuple[str, dict]] = [
    ("little-giant-subsidiaries", {}),
    ("little-giant-subsidiaries", {"min_share": "0.3", "programme": "specialized_sme"}),
    ("little-giant-subsidiaries", {"batches": "1-2", "province": "安徽"}),
    ("state-capital-flows", {}),
    ("state-capital-flows", {"programme": "little_giant", "from_year": "2016", "to_year": "2021", "max_hops": "3"}),
    ("state-capital-flows", {"programme": "little_giant", "batches": "1,2", "sector": "industry"}),
    ("financing-intensity", {}),
    ("financing-intensity", {"batches": "1,2"}),
    ("financing-intensity", {"batches": "1,2", "total": "true"}),
    ("financing-intensity", {"batches": "1,2", "certified": "valid"}),
    ("financing-intensity", {"sector": "industry", "benchmark_rate": "0.04", "min_state_share": "0.1", "total": "true"}),
    ("sme-threshold-breaches", {}),
    ("sme-threshold-breaches", {"programme": "little_giant"}),
    ("sme-threshold-breaches", {"certified": "ever"}),
    ("weak-performers", {}),
    ("weak-performers", {"programme": "specialized_sme"}),
    ("weak-performers", {"programme": "little_giant", "batches": "1,2"}),
    ("state-influence", {}),
    ("state-influence", {"programme": "little_giant", "batches": "1,2"}),
    ("state-influence", {"level": "medium"}),
    ("certification-ladder", {}),
    ("certification-ladder", {"summary": "true", "since": "2018"}),
    ("certification-ladder", {"programme": "little_giant", "batches": "1,2"}),
    ("certification-ladder", {"programme": "little_giant", "batches": "1,2", "summary": "true"}),
    ("certified-listings-share", {}),
    ("certified-listings-share", {"programme": "manufacturing_champion", "from_year": "2020"}),
    ("expiring-certifications", {}),
    ("expiring-certifications", {"window_days": "365", "only": "expiring", "programme": "little_giant"}),
    ("expiring-certifications", {"programme": "little_giant", "batches": "1,2", "certified": "valid"}),
    ("declared-vs-computed", {}),
    ("cohort-firms", {}),
    ("cohort-firms", {"programme": "little_giant", "batches": "1,2", "sector": "industry"}),
    ("listing-share", {}),
    ("listing-share", {"programme": "little_giant", "batches": "1,2", "from_year": "2019"}),
    ("listing-share", {"programme": "manufacturing_champion", "province": "安徽", "certified": "valid"}),
]

#: queries whose parameters are picked from each graph (a firm, a state source)
PER_GRAPH = ("ultimate-owners", "state-capital-flows")


def test_cases_cover_the_catalog():
    names = {n for n, _ in CASES} | set(PER_GRAPH)
    assert names == {n for n, q in load_catalog(use_config=False).items() if q.origin == "shipped"}


# --------------------------------------------------------------------------- graphs and server


@pytest.fixture(scope="module")
def graphs(tmp_path_factory, sample_db) -> dict[str, Path]:
    """Database folders: the sample, the hand-made folder and a 3,000-firm synthetic graph."""
    from kg.synth import generate

    root = tmp_path_factory.mktemp("qgraphs")
    hm = root / "handmade-db"
    build([write_handmade(root / "handmade")], hm)
    generate(root / "synth", firms=3000, seed=7)
    syn = root / "synth-db"
    report = build([root / "synth"], syn)
    assert report.entities > 3000
    return {"sample": sample_db, "handmade": hm, "synth": syn}


class Server:
    """The Neo4j server with one of the graphs loaded (pushed again when another is asked for)."""

    def __init__(self, settings: Settings, driver):
        self.settings, self.driver = settings, driver
        self.backend = Neo4jBackend(driver, settings)
        self.loaded: str | None = None

    def load(self, key: str, db: Path) -> Neo4jBackend:
        if self.loaded != key:
            with self.driver.session(database=self.settings.database) as s:  # ours and anything else
                s.run("MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 50000 ROWS").consume()
                s.run("MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
            push(db, self.settings)
            self.loaded = key
        return self.backend


@pytest.fixture(scope="module")
def server():
    uri, user, password = neo4j_connection()
    settings = Settings(uri=uri, user=user, password=password)
    with open_driver(settings) as driver:
        yield Server(settings, driver)


def _per_graph_cases(db: Path) -> list[tuple[str, dict]]:
    """ultimate-owners for the firms with the most owners, state-capital-flows for the sources
    with the most flows (picked from the embedded graph itself)."""
    store = open_store(db)
    kg = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#>\n"
    _, owned = run_sparql(store, kg + "SELECT ?f (COUNT(?o) AS ?n) WHERE { ?io kg:integratedOwned ?f ; kg:integratedOwner ?o } "
                                      "GROUP BY ?f ORDER BY DESC(?n) ?f LIMIT 4")
    _, sources = run_sparql(store, kg + "SELECT ?s (COUNT(?x) AS ?n) WHERE { ?s kg:hasOwnershipAssessment ?a . "
                                        "?a kg:stateControlled true . ?x kg:funder ?s } "
                                        "GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 2")
    cases = [("ultimate-owners", {"ref": f}) for f, _ in owned]
    cases += [("state-capital-flows", {"source": s}) for s, _ in sources]
    cases += [("state-capital-flows", {"source": s, "max_hops": "2", "from_year": "2020"}) for s, _ in sources[:1]]
    return cases


def _check(store_or_db, backend, name, params, as_of):
    cols_e, rows_e = run_query(store_or_db, name, params, as_of)
    cols_n, rows_n = run_query(backend, name, params, as_of)
    assert cols_e == cols_n
    ordered = "ORDER BY" in (load_catalog(use_config=False)[name].sparql or "")
    assert len(rows_e) == len(rows_n)
    if not same_rows(rows_e, rows_n, ordered=ordered):
        diff = [(a, b) for a, b in zip(rows_e, rows_n, strict=True) if a != b][:3]
        pytest.fail(f"{name} {params} as of {as_of}: rows differ (embedded, neo4j): {diff}")
    return rows_e


# --------------------------------------------------------------------------- same rows


@pytest.mark.parametrize("as_of", ["2023-12-31", "2021-06-30", None])
def test_sample_same_rows(graphs, server, as_of):
    backend = server.load("sample", graphs["sample"])
    store = open_store(graphs["sample"])
    nonempty = 0
    for name, params in CASES + _per_graph_cases(graphs["sample"]):
        rows = _check(store, backend, name, params, as_of)
        nonempty += bool(rows)
    assert nonempty >= len(CASES) // 2


def test_sample_hand_checked_rows_on_neo4j(graphs, server):
    """The README's cases come out of Neo4j too (the embedded side is checked in
    tests/test_queries_sample.py)."""
    backend = server.load("sample", graphs["sample"])
    cols, rows = run_query(backend, "financing-intensity", {"batches": "1,2", "total": "true"}, "2023-12-31")
    assert round(rows[0][cols.index("intensity")] * 100, 1) == 13.7
    cols, rows = run_query(backend, "little-giant-subsidiaries", {}, "2023-12-31")
    assert len(rows) == 8


def test_sample_cohort_and_explanations_on_neo4j(graphs, server):
    """The brief's cohort with one set of parameters, and why a result is empty, from Neo4j too."""
    from kg.queries.catalog import get_query
    from kg.queries.explain import explain
    from kg.queries.run import prepare, run_prepared

    backend = server.load("sample", graphs["sample"])
    cohort = {"programme": "little_giant", "batches": "1,2"}
    assert len(run_query(backend, "financing-intensity", cohort, "2023-12-31")[1]) == 17
    assert len(run_query(backend, "state-influence", cohort, "2023-12-31")[1]) == 17
    assert len(run_query(backend, "little-giant-subsidiaries", cohort, "2030-01-01")[1]) == 8
    q = get_query("little-giant-subsidiaries")
    for params, line in [({}, "no little_giant certification is valid at 2027-01-01 (the latest ends 2026-10-31); "
                              "try --as-of 2026-10-31 or -p certified=ever"),
                         ({"batches": "9"}, "no little_giant certification is of batch 9 (the graph's are of batches 1-5)"),
                         ({"province": "Jiangsu", "as_of": "2023-12-31"},
                          "none of the 4 cohort firms is owned >= 0.5 by a large or listed firm (one without an "
                          "SME-tier certification)")]:
        values = prepare(q, params, None if "as_of" in params else "2027-01-01", backend)
        cols, rows = run_prepared(backend, q, values)
        assert explain(backend, q, values, cols, rows) == line


def test_handmade_same_rows(graphs, server):
    backend = server.load("handmade", graphs["handmade"])
    store = open_store(graphs["handmade"])
    for as_of in ("2023-12-31", "2022-12-31"):
        for name, params in CASES + _per_graph_cases(graphs["handmade"]):
            _check(store, backend, name, params, as_of)


@pytest.mark.slow
@pytest.mark.parametrize("as_of", ["2023-12-31", "2020-06-30"])
def test_synthetic_same_rows(graphs, server, as_of):
    backend = server.load("synth", graphs["synth"])
    store = open_store(graphs["synth"])
    sizes = {}
    for name, params in CASES + _per_graph_cases(graphs["synth"]):
        sizes[(name, json.dumps(params))] = len(_check(store, backend, name, params, as_of))
    # a synthetic graph exercises every query with real data
    assert all(sizes[(n, "{}")] > 0 for n in ("little-giant-subsidiaries", "state-capital-flows",
                                              "financing-intensity", "state-influence", "certification-ladder"))


# --------------------------------------------------------------------------- three backends


@pytest.mark.parametrize("graph", ["sample", "handmade"])
def test_embedded_cypher_same_rows_as_neo4j(graphs, server, graph):
    """The third backend: the same .cypher files on the embedded graph (LadybugDB) give Neo4j's
    rows (SPARQL = Neo4j is checked above, SPARQL = embedded Cypher in tests/test_cypher_embedded.py)."""
    backend = server.load(graph, graphs[graph])
    cypher = CypherBackend.open(graphs[graph])
    for as_of in ("2023-12-31", "2021-06-30"):
        for name, params in CASES + _per_graph_cases(graphs[graph]):
            _check(cypher, backend, name, params, as_of)


@pytest.mark.slow
@pytest.mark.parametrize("as_of", ["2023-12-31", "2020-06-30"])
def test_synthetic_three_backends_same_rows(graphs, server, as_of):
    backend = server.load("synth", graphs["synth"])
    store, cypher = open_store(graphs["synth"]), CypherBackend.open(graphs["synth"])
    for name, params in CASES + _per_graph_cases(graphs["synth"]):
        _check(store, backend, name, params, as_of)
        _check(cypher, backend, name, params, as_of)


def test_cli_backend_neo4j(graphs, server):
    server.load("sample", graphs["sample"])
    s = server.settings
    env = {"NEO4J_URI": s.uri, "NEO4J_USER": s.user, "NEO4J_PASSWORD": s.password, "NEO4J_DATABASE": None}
    runner = CliRunner(env=env)
    args = ["query", "run", "weak-performers", "--as-of", "2023-12-31", "--format", "json"]
    r_neo = runner.invoke(cli, [*args, "--backend", "neo4j"])
    r_emb = runner.invoke(cli, [*args, "--db", str(graphs["sample"])])
    assert r_neo.exit_code == 0, r_neo.output
    assert json.loads(r_neo.stdout) == json.loads(r_emb.stdout)
    assert {r["firm_name"] for r in json.loads(r_neo.stdout)} == {
        "Wuhan Lixing Laser Robot Co., Ltd.", "Chengdu Yuechuan Inspection Robot Co., Ltd."}
    # a reference resolved on Neo4j (by ticker), and an ambiguous one listing candidates
    r = runner.invoke(cli, ["query", "run", "ultimate-owners", "-p", "ref=sz300024", "--backend", "neo4j",
                            "--format", "csv"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["query", "run", "ultimate-owners", "-p", "ref=Qingyun", "--backend", "neo4j"])
    assert r.exit_code == 2 and "ambiguous" in r.output and "qingyun-reducer" in r.output
    assert s.password not in r.output
