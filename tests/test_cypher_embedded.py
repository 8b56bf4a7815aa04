"""The embedded Cypher graph (LadybugDB): built by ``kg build``, queried by ``kg cypher`` and
``kg query run --backend cypher``, and giving the same rows as the embedded SPARQL store for
every canned query (the sample at several dates, a synthetic graph). The Neo4j side of the
three-backend parity is in tests/test_queries_neo4j.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.build import build
from kg.cypher.backend import CypherBackend
from kg.cypher.dialect import DialectError, translate
from kg.cypher.engine import open_graph, run_cypher
from kg.dbfolder import live_generation
from kg.neo4j.frames import read_graph
from kg.queries import load_catalog, run_query, same_rows
from kg.rdf.store import open_store

try:  # tests/ as a package or as a plain directory on sys.path
    from .test_queries_neo4j import CASES
except ImportError:
    from test_queries_neo4j import CASES


# --------------------------------------------------------------------------- the build


def test_build_writes_the_graph_in_the_generation(mini_db):
    gen = live_generation(mini_db)
    assert (gen / "cypher" / "graph.lbdb").is_file()
    assert not (gen / "cypher" / "staging").exists()  # the Parquet files were staging only
    info = json.loads((mini_db / "build.json").read_text(encoding="utf-8"))
    frames = read_graph(open_store(mini_db))
    assert info["cypher"]["nodes"] == frames.node_count and info["cypher"]["links"] == frames.link_count


def test_every_node_and_link_is_in_the_embedded_graph(sample_db):
    frames = read_graph(open_store(sample_db))
    g = open_graph(sample_db)
    assert run_cypher(g, "MATCH (n:KgNode) RETURN count(*) AS n")[1] == [[frames.node_count]]
    for rel, frame in frames.links.items():
        assert run_cypher(g, f"MATCH ()-[r:{rel}]->() RETURN count(*) AS n")[1] == [[len(frame)]], rel
    # a label stands for its type and every subtype, as in Neo4j: guidance funds are funds
    funds = sum(len(f) for labels, f in frames.nodes.items() if "Fund" in labels)
    guidance = sum(len(f) for labels, f in frames.nodes.items() if "GuidanceFund" in labels)
    assert guidance > 0
    assert run_cypher(g, "MATCH (f:Fund) RETURN count(*) AS n")[1] == [[funds]]


def test_a_graph_loaded_in_parts_with_checkpoints_is_the_same_graph(sample_db, tmp_path, monkeypatch):
    """Large tables are COPYed in parts and the database checkpointed between COPYs (so the
    buffer pool can let written pages go); row-keyed tables (financial years, assessments) are
    found by row number. The result answers every canned query as the one-COPY build does."""
    import kg.cypher.load as load
    from kg.cypher.schema import row_keyed
    from kg.tables.read import open_live_tables

    monkeypatch.setattr(load, "COPY_ROWS", 7)
    monkeypatch.setattr(load, "CHECKPOINT_SHARE", 1e-9)  # before every COPY after the first
    report = load.build_embedded(open_live_tables(sample_db).graph_tables(), tmp_path / "parts")
    assert report.seconds.get("checkpoint", 0) > 0 and not report.warnings
    assert report.links["REPORTED"] > 7 and "FinancialYear" in row_keyed()
    from kg.cypher.engine import EmbeddedGraph

    whole, parts = open_graph(sample_db), EmbeddedGraph(report.path)
    for q in ("MATCH (f:Firm)-[:REPORTED]->(y:FinancialYear) RETURN f.iri AS f, y.iri AS y, y.year AS year, "
              "y.revenue AS revenue ORDER BY f, y",
              "MATCH (e)-[:HAS_OWNERSHIP]->(a:OwnershipAssessment)-[:ULTIMATE_CONTROLLER]->(c) "
              "RETURN e.iri AS e, a.iri AS a, a.valid_from AS valid_from, c.iri AS c ORDER BY e, a",
              "MATCH (e)-[:HAS_SIZE]->(a:SizeAssessment) RETURN e.iri AS e, a.size_class AS size, "
              "a.valid_from AS valid_from ORDER BY e, valid_from"):
        got, want = run_cypher(parts, q)[1], run_cypher(whole, q)[1]
        assert got == want and len(want) > 0, q


# --------------------------------------------------------------------------- kg cypher


def test_cypher_runs_on_the_embedded_graph_with_bound_parameters(run, mini_db):
    q = "MATCH (f:Firm {id: $id})-[o:OWNS]->(x) RETURN f, o, o.start AS start, x.id AS x ORDER BY x LIMIT 1"
    r = run("cypher", q, "-p", "id=grp", "--db", mini_db, "--format", "json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)[0]
    assert row["f"]["labels"] == ["Firm", "KgNode"] and row["f"]["uscc"] == "91210100MA0GRP015Y"
    assert row["o"]["type"] == "OWNS" and row["o"]["share"] == 1.0
    assert row["start"] == "2010-01-01" and row["x"] == "hold"
    # a bound parameter: text that would break a pasted query is only a value
    r = run("cypher", "RETURN $x AS x", "-p", "x=') DETACH DELETE (n", "--db", mini_db, "--format", "jsonl")
    assert json.loads(r.stdout) == {"x": "') DETACH DELETE (n"}
    r = run("cypher", "MATCH (n:Firm) RETURN n.id AS id ORDER BY id", "--db", mini_db, "--format", "csv")
    assert r.stdout.splitlines() == ["id", "grp", "hold", "lg2", "sub"]


def test_bad_cypher_is_one_line_naming_the_problem(run, mini_db):
    r = run("cypher", "MATCH (n:Firm) RETURN n.nope", "--db", mini_db)
    assert r.exit_code == 2
    assert r.output == "Error: bad Cypher for the embedded graph: Binder exception: Cannot find property nope for n.\n"
    r = run("cypher", "MATCH (n:Firm RETURN n", "--db", mini_db)
    assert r.exit_code == 2 and len(r.output.splitlines()) == 1
    assert r.output.startswith("Error: bad Cypher for the embedded graph: Parser exception: ")
    r = run("cypher", "MATCH (n:Firm) CALL { WITH n RETURN 1 AS x } RETURN x", "--db", mini_db)
    assert r.exit_code == 2 and r.output.startswith("Error: bad Cypher for the embedded graph: Parser exception: ")


def test_a_graph_without_an_embedded_database_says_to_rebuild(run, tmp_path, mini_dir):
    db = tmp_path / "db"
    build([mini_dir], db, derive=False)
    gen = live_generation(db)
    (gen / "cypher" / "graph.lbdb").unlink()
    r = run("cypher", "RETURN 1 AS x", "--db", db)
    assert r.exit_code == 1  # like any unusable store
    assert r.output == (f"Error: the graph in {db} has no embedded Cypher database (built by an earlier kg); "
                        "run 'kg build' again, or use --backend neo4j\n")


# --------------------------------------------------------------------------- the dialect


def test_dialect_translations():
    assert translate("MATCH (n:GuidanceFund) RETURN n") == "MATCH (n:GuidanceFund) RETURN n"
    assert translate("RETURN duration.inDays($as_of, c.valid_to).days") == "RETURN ((c.valid_to) - ($p_as_of))"
    assert translate("RETURN $d + duration({days: $n})") == "RETURN $p_d + to_days($p_n)"
    assert translate("WHERE x = 'toFloat(1) (n:Fund)'") == "WHERE x = 'toFloat(1) (n:Fund)'"  # quotes untouched
    assert translate("RETURN toInteger(null) AS x") == "RETURN CAST(NULL AS INT64) AS x"
    assert translate("MATCH (a) WHERE EXISTS { (a)-[:OWNS]->() } RETURN a") == \
        "MATCH (a) WHERE EXISTS { MATCH (a)-[:OWNS]->() } RETURN a"
    assert translate("MATCH (f:Firm) RETURN f.iri AS f ORDER BY f") == "MATCH (f:Firm) WITH f.iri AS f\nRETURN f\nORDER BY f"
    with pytest.raises(DialectError, match="has several labels"):
        translate("MATCH (n:Firm:Fund) RETURN n")
    with pytest.raises(DialectError, match="has no LadybugDB translation"):
        translate("RETURN reduce(m = 0, x IN [1] | CASE WHEN x < m THEN x ELSE m END)")


# --------------------------------------------------------------------------- same rows as SPARQL


def _compare(db: Path, backend: CypherBackend, cases, as_of) -> dict:
    catalog = load_catalog(use_config=False)
    sizes = {}
    for name, params in cases:
        cols_s, rows_s = run_query(db, name, params, as_of)
        cols_c, rows_c = run_query(backend, name, params, as_of)
        assert cols_s == cols_c, name
        ordered = "ORDER BY" in (catalog[name].sparql or "")
        if not same_rows(rows_s, rows_c, ordered=ordered):
            diff = [(a, b) for a, b in zip(rows_s, rows_c, strict=False) if a != b][:2]
            pytest.fail(f"{name} {params} as of {as_of}: {len(rows_s)} SPARQL rows, {len(rows_c)} Cypher rows; "
                        f"first differences (sparql, cypher): {diff}")
        sizes[(name, json.dumps(params))] = len(rows_s)
    return sizes


def _per_graph(backend: CypherBackend) -> list[tuple[str, dict]]:
    """ultimate-owners for the firms with the most owners, state-capital-flows for the busiest sources."""
    owned = run_cypher(backend.graph, "MATCH (o)-[:ULTIMATELY_OWNS]->(f) RETURN f.iri AS f, count(*) AS n "
                                      "ORDER BY n DESC, f LIMIT 3")[1]
    sources = run_cypher(backend.graph, "MATCH (s)-[:LOOK_THROUGH_FUNDED]->() RETURN s.iri AS s, count(*) AS n "
                                        "ORDER BY n DESC, s LIMIT 2")[1]
    return [("ultimate-owners", {"ref": f}) for f, _ in owned] + \
           [("state-capital-flows", {"source": s, "max_hops": "2"}) for s, _ in sources]


def test_cases_cover_the_catalog():
    names = {n for n, _ in CASES} | {"ultimate-owners"}
    assert names == {n for n, q in load_catalog(use_config=False).items() if q.origin == "shipped"}


@pytest.mark.parametrize("as_of", ["2023-12-31", "2021-06-30", "2019-12-31"])
def test_sample_cypher_equals_sparql_for_every_canned_query(sample_db, as_of):
    backend = CypherBackend.open(sample_db)
    sizes = _compare(sample_db, backend, CASES + _per_graph(backend), as_of)
    assert sum(n > 0 for n in sizes.values()) >= len(sizes) // 2


def test_synthetic_cypher_equals_sparql_for_every_canned_query(tmp_path):
    from kg.synth import generate

    generate(tmp_path / "synth", firms=1500, seed=7)
    db = tmp_path / "db"
    build([tmp_path / "synth"], db)
    backend = CypherBackend.open(db)
    sizes = _compare(db, backend, CASES + _per_graph(backend), "2023-12-31")
    assert all(sizes[(n, "{}")] > 0 for n in ("little-giant-subsidiaries", "state-capital-flows",
                                              "financing-intensity", "state-influence", "certification-ladder"))


def test_handmade_cypher_equals_sparql_for_every_canned_query(tmp_path):
    """The hand-made graph has firms without a province: a cohort condition on a firm inside
    EXISTS {} lost them on LadybugDB (kg/queries/cohort.py keeps those conditions outside)."""
    try:
        from .test_queries_handmade import write_handmade
    except ImportError:
        from test_queries_handmade import write_handmade

    db = tmp_path / "db"
    build([write_handmade(tmp_path / "handmade")], db)
    backend = CypherBackend.open(db)
    for as_of in ("2023-12-31", "2021-06-30"):
        sizes = _compare(db, backend, CASES + _per_graph(backend), as_of)
    key = ("state-capital-flows", json.dumps({"programme": "little_giant", "from_year": "2016", "to_year": "2021",
                                             "max_hops": "3"}))
    assert sizes[key] > 0


def test_query_run_backend_cypher_prints_the_same_as_sparql(run, sample_db):
    for name, params in (("ultimate-owners", ("-p", "ref=junli-logistics")), ("certification-ladder", ("-p", "summary=true"))):
        out = {}
        for backend in ("sparql", "cypher"):
            r = run("query", "run", name, *params, "--backend", backend, "--as-of", "2023-12-31", "--db", sample_db,
                    "--format", "json")
            assert r.exit_code == 0, r.output
            out[backend] = json.loads(r.stdout)
        assert out["sparql"] == out["cypher"] and out["cypher"]


# --------------------------------------------------------------------------- speed without other rows


def test_the_reader_uses_the_names_the_loader_wrote():
    """The dialect and the reader read the ontology's names themselves (importing the loader's
    modules costs half a second of process start): they must be the loader's."""
    from kg.cypher import engine, load
    from kg.cypher.dialect import ontology_names
    from kg.cypher.schema import label_tables, node_tables
    from kg.neo4j.schema import DATE, column_kinds, node_labels

    by_label, labels, dates = ontology_names()
    assert by_label == label_tables()
    assert labels == {t: node_labels(t) for t in node_tables()} and tuple(labels) == node_tables()
    assert dates == {c for c, k in column_kinds().items() if k == DATE}
    assert (engine.DB_FILE, engine.READ_BUFFER_POOL) == (load.DB_FILE, load.READ_BUFFER_POOL)


def test_null_parameters_are_folded_out_of_the_query():
    """LadybugDB runs an EXISTS subquery even where `$p IS NULL OR` makes it moot; the dialect
    drops such conditions for the values bound (the rows are the parity tests' business)."""
    q = "MATCH (f:Firm) WHERE ($certified IS NULL OR EXISTS { MATCH (f)-[:CERTIFIED_AS]->() }) AND f.x = $x RETURN f"
    assert "EXISTS" not in translate(q, {"certified": "STRING"}, ["x"])
    assert "EXISTS" in translate(q, {}, ["certified", "x"]) and "IS NULL" not in translate(q, {}, ["certified", "x"])
    assert "WHERE false" in translate("MATCH (f) WITH f WHERE $ref IS NULL RETURN f", {}, ["ref"])
    # a constant inside a CASE or a call is left alone
    assert "CASE WHEN true AND" in translate("RETURN CASE WHEN $a IS NULL AND x THEN 1 END", {"a": "STRING"})


def test_union_queries_keep_their_order(sample_db):
    """LadybugDB 0.22 loses the ORDER BY of a UNION on several threads: such queries run on one."""
    backend = CypherBackend.open(sample_db)
    runs = [run_query(backend, "state-influence", {}, "2023-12-31")[1] for _ in range(3)]
    assert runs[0] and all(r == runs[0] for r in runs)
    keys = [(-(r[3] or 0), r[1] or "", r[0]) for r in runs[0]]
    assert keys == sorted(keys) and backend.graph.one_thread
    run_query(backend, "cohort-firms", {}, "2023-12-31")
    assert not backend.graph.one_thread


def test_query_run_starts_without_the_heavy_modules(sample_db):
    """`kg query run` on embedded Cypher imports neither pandas, pyarrow, scipy nor the Neo4j
    driver (about a second of process start at 10^5 firms before)."""
    import subprocess
    import sys

    code = ("import sys\nfrom kg.cli import main\n"
            f"sys.argv = ['kg', 'query', 'run', 'cohort-firms', '--db', {str(sample_db)!r}, '--as-of', '2023-12-31']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted(m for m in ('pandas', 'pyarrow', 'scipy', 'neo4j', 'kg.tables') if m in sys.modules), file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("firm,") or "firm" in r.stdout.splitlines()[0]
    assert r.stderr.strip().splitlines()[-1] == "[]"


def test_values_read_through_links_equal_the_tables(tmp_path):
    """Every financial year read from its firm (single-node fetches through REPORTED) has the
    values of the graph tables. With LadybugDB 0.22's compression on, 16 of the ~350,000 values
    of this 10,000-firm graph came back as 0.0 that way (kg.cypher.load builds uncompressed)."""
    from kg.synth import generate
    from kg.tables.read import open_live_tables

    generate(tmp_path / "synth", firms=10_000, seed=7)
    db = tmp_path / "db"
    build([tmp_path / "synth"], db, store="later")
    fin = open_live_tables(db).read("financials")
    cols = ["revenue", "net_profit", "employees", "rd_expense", "exports", "year"]
    want = {r["iri"]: [r[c] for c in cols] for r in fin.select(["iri", *cols]).to_pylist()}
    firms = sorted(set(fin.column("from_iri").to_pylist()))
    g = open_graph(db)
    got = {}
    q = ("MATCH (f:Firm)-[:REPORTED]->(w:FinancialYear) WHERE f.iri IN $firms RETURN w.iri AS iri, "
         + ", ".join(f"w.{c} AS {c}" for c in cols))
    for i in range(0, len(firms), 500):
        for row in run_cypher(g, q, {"firms": firms[i:i + 500]})[1]:
            got[row[0]] = row[1:]
    assert len(got) == len(want) > 60_000
    wrong = [(k, got[k], v) for k, v in want.items() if got[k] != v]
    assert not wrong, wrong[:5]
