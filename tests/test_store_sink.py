"""The RDF store as a sink loaded after the build (kg/rdf/sink.py): `kg build --store now |
background | later` give the same store; readers load a missing store once, wait for a loader,
recover from a killed one; a background loader of a replaced build stops."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.dbfolder import live_generation, new_generation, publish, writer_lock
from kg.rdf import sink
from kg.rdf.store import open_store, store_dir

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def _quads(db: Path) -> set[str]:
    store = open_store(db)
    return {str(q) for q in store}


@pytest.fixture(scope="module")
def now_quads(tmp_path_factory) -> set[str]:
    db = tmp_path_factory.mktemp("now") / "db"
    report = build([SAMPLE], db, store="now")
    assert report.triples and json.loads((db / "build.json").read_text())["store"] == "now"
    assert sink.ready(live_generation(db))
    return _quads(db)


def test_later_loads_on_first_need_the_same_store(tmp_path, now_quads, run):
    db = tmp_path / "db"
    r = run("build", "--sample", "--db", db, "--store", "later", "-q")
    assert r.exit_code == 0, r.output
    assert "the RDF store will be loaded by the first command that needs it" in r.stdout
    gen = live_generation(db)
    info = json.loads((db / "build.json").read_text())
    assert info["store"] == "later" and info["triples"] is None
    assert not sink.ready(gen) and (gen / "cypher").is_dir() and sink.status(gen)["state"] == "absent"
    r = run("cypher", "MATCH (f:Firm) RETURN count(f) AS n", "--db", db, "--format", "csv")
    assert r.exit_code == 0 and int(r.stdout.split()[-1]) > 10 and not sink.ready(gen)  # Cypher needs no store
    r = run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--db", db, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert "loading the RDF store of build" in r.stderr
    assert int(r.stdout.split()[-1]) == len(now_quads)
    st = sink.status(gen)
    assert st["state"] == "ready" and st["quads"] == len(now_quads)
    assert _quads(db) == now_quads
    r = run("sparql", "ASK { ?s ?p ?o }", "--db", db)
    assert "loading" not in r.stderr  # loaded once


def test_background_loads_after_the_build_is_live(tmp_path, now_quads):
    db = tmp_path / "db"
    report = build([SAMPLE], db, store="background")
    assert report.triples is None and report.store == "background"
    gen = live_generation(db)
    for _ in range(600):
        if sink.ready(gen):
            break
        time.sleep(0.1)
    assert sink.status(gen)["state"] == "ready", (gen / sink.LOG).read_text()
    assert "loaded" in (gen / sink.LOG).read_text()
    assert _quads(db) == now_quads


def test_concurrent_readers_load_once(tmp_path, now_quads):
    db = tmp_path / "db"
    build([SAMPLE], db, store="later")
    code = ("import sys, pathlib; from kg.rdf.store import open_store; "
            "s = open_store(pathlib.Path(sys.argv[1])); print(len(s))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert {int(o) for o, _ in outs} == {len(now_quads)}
    loading = [e for _, e in outs if "loading the RDF store" in e]
    assert len(loading) >= 1
    assert json.loads((live_generation(db) / sink.DONE).read_text())["quads"] == len(now_quads)


def test_a_killed_loader_leaves_nothing_half_loaded(tmp_path, now_quads):
    db = tmp_path / "db"
    build([SAMPLE], db, store="later")
    gen = live_generation(db)
    # what a loader killed mid-way leaves: a partial store and its loading record, no lock held
    partial = gen / sink.PARTIAL
    ox.Store(str(partial)).add(ox.Quad(ox.NamedNode("http://e/x"), ox.NamedNode("http://e/p"), ox.Literal("half")))
    (gen / (sink.DONE + ".loading")).write_text(json.dumps({"pid": 1, "started": time.time()}))
    assert sink.status(gen)["state"] == "absent" and not sink.ready(gen)
    assert _quads(db) == now_quads
    assert not partial.exists() and not (gen / (sink.DONE + ".loading")).exists()


def test_a_failed_load_is_recorded_and_retried(tmp_path):
    gen = tmp_path / "gen"
    gen.mkdir()

    def broken():
        yield '<http://e/a> <http://e/p> "1" .\n'
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        sink.load(gen, broken)
    st = sink.status(gen)
    assert st["state"] == "failed" and "disk full" in st["error"] and not (gen / sink.PARTIAL).exists()
    assert sink.load(gen, lambda: ['<http://e/a> <http://e/p> "1" .\n']) == 1
    assert sink.status(gen)["state"] == "ready" and not (gen / sink.FAILED).exists()


def test_a_background_loader_of_a_replaced_build_stops(tmp_path):
    db = tmp_path / "db"
    build([SAMPLE], db, store="later")
    old = live_generation(db)
    with writer_lock(db):
        new = new_generation(db)
        (new / "marker").write_text("")
        publish(db, new)
    chunks = sink._while_live(old, iter(["a"] * 100), every=1)
    with pytest.raises(sink.Superseded, match="no longer live"):
        list(chunks)
    with pytest.raises(sink.Superseded):
        sink.load(old, lambda: sink._while_live(old, iter(['<http://e/a> <http://e/p> "1" .\n'] * 20), every=1))
    assert not sink.ready(old) and sink.status(old)["state"] == "absent"  # not a failure: just not needed


def test_store_mode_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_STORE", "later")
    db = tmp_path / "db"
    report = build([SAMPLE], db)
    assert report.store == "later" and not store_dir(live_generation(db)).exists()
    monkeypatch.setenv("KG_STORE", "nonsense")
    assert sink.default_mode() == "background"
    with pytest.raises(ValueError, match="store must be one of now, background, later"):
        build([SAMPLE], tmp_path / "db2", store="soon")
