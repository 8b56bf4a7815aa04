"""The embedded Cypher database loaded beside derive (kg.build ``_CypherBeside``): the tables'
property-graph view waits for each step of the build's tables (kg.tables.view.iter_graph
``ready``), the graph is the one a load after the build makes, and a failure on either side
stops both and leaves the live graph as it was."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest

import kg.build as build_mod
from kg.build import build
from kg.cypher.engine import cypher_dir
from kg.cypher.load import DB_FILE, build_embedded
from kg.dbfolder import live_generation
from kg.errors import KgError
from kg.resources import resource_path
from kg.tables.derived import DERIVED_LINKS
from kg.tables.read import open_tables, tables_dir
from kg.tables.view import STEPS, iter_graph

SAMPLE = resource_path("data", "sample")
MINI = Path(__file__).parent / "fixtures" / "mini"


def _digests(db_file: Path) -> dict[str, tuple[int, str]]:
    """Rows and a hash of every node and link table (row numbers of row-keyed nodes left out)."""
    import ladybug

    db = ladybug.Database(str(db_file), read_only=True)
    conn = ladybug.Connection(db)
    out = {}
    tables = conn.execute("CALL show_tables() RETURN name, type").get_as_df()
    for name, kind in zip(tables["name"], tables["type"], strict=True):
        props = [p for p in conn.execute(f"CALL table_info('{name}') RETURN name").get_as_df()["name"] if p != "_row"]
        if kind == "NODE":
            q = f"MATCH (n:{name}) RETURN " + ", ".join(f"n.`{p}`" for p in props)
        else:
            q = f"MATCH (a)-[r:{name}]->(b) RETURN label(a), label(b), a.iri, b.iri" + "".join(f", r.`{p}`" for p in props)
        rows = sorted(map(repr, conn.execute(q).get_all()))
        out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    conn.close()
    db.close()
    return out


def _cypher_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(("kg-cypher", "kg-prefetch"))]


@pytest.mark.parametrize("start", ["resolved", "early"])
def test_the_graph_loaded_beside_derive_is_the_one_loaded_after_it(tmp_path, monkeypatch, start):
    monkeypatch.setattr(build_mod, "CYPHER_FROM", start)
    db = tmp_path / "db"
    build([SAMPLE], db)
    gen = live_generation(db)
    info = json.loads((db / "build.json").read_text(encoding="utf-8"))
    assert info["cypher"]["beside"] is True
    after = build_embedded(iter_graph(open_tables(tables_dir(gen))), tmp_path / "after")
    beside = _digests(cypher_dir(gen) / DB_FILE)
    assert beside == _digests(after.path)
    assert beside["FinancialYear"][0] > 0 and beside["OwnershipAssessment"][0] > 0 and beside["CONTROLS"][0] > 0
    assert info["cypher"]["nodes"] == after.nodes and info["cypher"]["links"] == sum(after.links.values())
    assert not _cypher_threads()


def test_the_view_waits_for_each_step_in_turn(sample_db):
    """Before the financial years' step only entity nodes and the sources' own links are read;
    every link comes after the node tables of its ends."""
    tables = open_tables(tables_dir(live_generation(sample_db)))
    seen: list[tuple[str, object]] = []
    steps: list[tuple[str, int]] = []

    def ready(step: str):
        steps.append((step, len(seen)))
        return tables

    for kind, key, _ in iter_graph(None, ready=ready):
        seen.append((kind, key))
    assert [s for s, _ in steps] == list(STEPS)
    before_early = seen[:steps[1][1]]
    assert any(k == "node" for k, _ in before_early) and any(k == "link" for k, _ in before_early)
    assert all(k == "node" and "FinancialYear" not in key for k, key in before_early if k == "node")
    assert all(key not in DERIVED_LINKS and key != "REPORTED" for k, key in before_early if k == "link")
    assert ("link", "REPORTED") in seen[steps[1][1]:steps[2][1]]
    # the same items as a reader of the finished tables gets
    assert sorted(map(repr, seen)) == sorted(repr((k, key)) for k, key, _ in iter_graph(tables))


def test_a_build_that_fails_in_derive_stops_the_cypher_load(tmp_path, monkeypatch):
    db = tmp_path / "db"
    build([MINI], db)
    live = live_generation(db)

    def failing(res, **kwargs):
        raise RuntimeError("derive failed")

    import kg.derive.timeline as timeline

    monkeypatch.setattr(timeline, "derive_periods", failing)
    with pytest.raises(RuntimeError, match="derive failed"):
        build([MINI], db, cache=False)
    assert live_generation(db) == live
    assert not _cypher_threads()
    assert [p for p in (db / "builds").iterdir() if p != live] == []  # the failed generation is gone


def test_a_cypher_load_that_fails_fails_the_build(tmp_path, monkeypatch):
    db = tmp_path / "db"
    build([MINI], db)
    live = live_generation(db)
    import kg.cypher.load as load

    def failing(self, table, t, options=""):
        raise KgError(f"the embedded Cypher database could not load {table}: disk full")
        yield  # a generator, as the one it stands for

    monkeypatch.setattr(load._Stager, "files_of", failing)
    with pytest.raises(KgError, match="disk full"):
        build([MINI], db, cache=False)
    assert live_generation(db) == live
    assert not _cypher_threads()


def test_a_copy_process_that_ends_is_an_error_not_a_hang(tmp_path):
    from kg.cypher.copier import CopyProcess

    p = CopyProcess(tmp_path / "g.lbdb", 512 << 20)
    p.execute("CREATE NODE TABLE T(id INT64, PRIMARY KEY(id))")
    p.proc.kill()  # as the system would at the end of its memory
    p.proc.wait()
    with pytest.raises(RuntimeError, match="ended"):
        p.execute("CREATE NODE TABLE U(id INT64, PRIMARY KEY(id))")
    p.kill()
