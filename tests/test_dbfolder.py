"""The database folder (issue 10, items 1, 2, 3, 8): a folder is kg's or refused, one writer at
a time, readers see a whole graph, no silent shrinking, rejects.csv describes the live graph.
Real Oxigraph stores, real subprocesses for the concurrent and kill -9 cases."""

from __future__ import annotations

import csv
import doctest
import importlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.dbfolder import (
    GENERATION_MARKER,
    MARKER,
    _process_started,
    live_generation,
    new_generation,
    writer_lock,
)
from kg.errors import InputError
from kg.rdf.store import build_info, open_store

ROOT = Path(__file__).resolve().parents[1]
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.mark.parametrize("name", ["kg.dbfolder", "kg.build_checks", "kg.rdf.store", "kg.build"])
def test_doctests(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0


def quads(db: Path) -> int:
    store = open_store(db)
    try:
        return len(store)
    finally:
        del store


def generations(db: Path) -> list[str]:
    return sorted(p.name for p in (db / "builds").iterdir())


def kg(*args, timeout=300, **kw) -> subprocess.CompletedProcess:
    """``python3 -m kg ...`` in a subprocess with this checkout's code."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "kg", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)


@pytest.fixture
def live_db(tmp_path, mini_dir) -> Path:
    db = tmp_path / "db"
    build([mini_dir], db)
    return db


# --------------------------------------------------------------------------- 2. ours or refused


def test_a_folder_kg_did_not_make_is_refused_and_kept(tmp_path, run):
    u = tmp_path / "U"
    (u / "store-locations").mkdir(parents=True)
    (u / "store-locations" / "shops.csv").write_text("shop,city\nA,Wuxi\n", encoding="utf-8")
    res = run("build", "--sample", "--db", u)
    assert res.exit_code == 2
    assert res.stderr == (f"Error: refusing to build into {u}: it is not empty and kg did not make it (no .kg-db "
                          "marker; it holds store-locations); give --db a new or empty folder, or one kg built\n")
    assert (u / "store-locations" / "shops.csv").read_text(encoding="utf-8") == "shop,city\nA,Wuxi\n"
    assert sorted(os.listdir(u)) == ["store-locations"]  # not even a lock file


def test_new_and_empty_folders_become_kg_databases(tmp_path, mini_dir, run):
    empty = tmp_path / "empty"
    empty.mkdir()
    for db in (empty, tmp_path / "new" / "nested"):
        assert run("build", mini_dir, "--db", db, "-q").exit_code == 0
        marker = json.loads((db / MARKER).read_text(encoding="utf-8"))
        assert marker["format"] == 2 and marker["kg_version"] and marker["created"]
        assert quads(db) > 1000


def test_a_database_of_a_newer_format_is_refused(tmp_path, mini_dir, run):
    db = tmp_path / "db"
    db.mkdir()
    (db / MARKER).write_text('{"format": 9}', encoding="utf-8")
    res = run("build", mini_dir, "--db", db)
    assert res.exit_code == 2
    assert res.stderr == (f"Error: {db} was made by a newer kg (database format 9, this kg reads up to 2); "
                          "upgrade kg or give --db another folder\n")


def test_the_earlier_layout_is_taken_over(tmp_path, mini_dir, run):
    """A folder of the earlier layout (current -> store-<stamp>, no marker) keeps answering,
    is accepted by a build, and loses its old store only once a new generation is live."""
    db = tmp_path / "old"
    old = db / "store-20250101T120000-4242-123456"
    old.mkdir(parents=True)
    s = ox.Store(str(old))
    s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1"), ox.NamedNode("http://e/g")))
    s.flush()
    del s
    os.symlink(old.name, db / "current")
    (db / "build.json").write_text('{"triples": 1}', encoding="utf-8")
    (db / "rejects.csv").write_text("file,row,column,value,reason\n", encoding="utf-8")
    assert quads(db) == 1 and build_info(db) == {"triples": 1}

    res = run("build", mini_dir, "--db", db, "-q")
    assert res.exit_code == 0, res.output
    assert json.loads((db / MARKER).read_text())["legacy_stores"] == [old.name]
    assert not old.exists()
    assert quads(db) > 1000 and build_info(db)["triples"] == quads(db)
    assert os.readlink(db / "build.json") == "current/build.json"
    assert sorted(os.listdir(db)) == [".kg-db", ".lock", "build.json", "builds", "conflicts.csv", "current", "rejects.csv"]


def test_a_live_pointer_to_nothing_is_no_graph(tmp_path, run):
    db = tmp_path / "db"
    db.mkdir()
    os.symlink("builds/gone", db / "current")
    res = run("stats", "--db", db)
    assert res.exit_code == 1
    assert res.stderr == f"Error: no graph in {db}; build one first with 'kg build' (or point --db / KG_DB at one)\n"


def test_a_build_removes_only_generations_kg_made(live_db, mini_dir):
    mine = live_db / "builds" / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("analyst's notes", encoding="utf-8")
    build([mini_dir], live_db)
    assert (mine / "keep.txt").read_text(encoding="utf-8") == "analyst's notes"
    assert len(generations(live_db)) == 2  # the live one and "mine"


# --------------------------------------------------------------------------- 1. one writer at a time


def test_a_second_build_exits_2_naming_the_holder(live_db, mini_dir, run):
    before = quads(live_db)
    with writer_lock(live_db):
        res = run("build", mini_dir, "--db", live_db)
        assert res.exit_code == 2
        assert res.stderr == (f"Error: another kg build (pid {os.getpid()}, started {_process_started(os.getpid())}) "
                              f"holds {live_db}; wait for it with --wait\n")
        # readers never block on a build
        stats = run("stats", "--db", live_db, "--format", "csv")
        assert stats.exit_code == 0 and f"total,quads,{before}" in stats.stdout
    assert quads(live_db) == before


def test_wait_waits_for_the_holder(live_db, mini_dir, run):
    locked, release = threading.Event(), threading.Event()

    def hold():
        with writer_lock(live_db):
            locked.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    locked.wait(30)
    threading.Timer(1.0, release.set).start()
    started = time.monotonic()
    res = run("build", mini_dir, "--db", live_db, "--wait", "-q")
    t.join()
    assert res.exit_code == 0, res.output
    assert time.monotonic() - started >= 0.9
    assert res.stderr.startswith(f"waiting for another kg build (pid {os.getpid()}, started ")
    assert res.stderr.splitlines()[0].endswith(f") to finish with {live_db}")


def test_a_lock_left_by_an_ended_build_is_taken_over(live_db, mini_dir):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    (live_db / ".lock").write_text(json.dumps({"pid": pid, "started": "2026-01-01T00:00:00Z"}), encoding="utf-8")
    report = build([mini_dir], live_db)
    assert report.warnings == [f"took over the lock of {live_db} from an ended kg build (pid {pid}, started "
                               "2026-01-01T00:00:00Z), which had ended without releasing it"]
    assert (live_db / ".lock").read_text() == ""  # released cleanly


def test_a_reader_keeps_its_generation_until_it_lets_go(live_db, mini_dir):
    store = open_store(live_db)
    old = live_generation(live_db)
    build([mini_dir], live_db)
    assert live_generation(live_db) != old
    assert old.is_dir() and len(store) > 1000  # held: not removed, still answers
    del store
    build([mini_dir], live_db)
    assert not old.exists()
    assert generations(live_db) == [live_generation(live_db).name]


def test_the_next_build_removes_a_partial_generation(live_db, mini_dir):
    with writer_lock(live_db):
        orphan = new_generation(live_db)
        (orphan / "store").mkdir()
        (orphan / "store" / "000001.sst").write_bytes(b"half")
    build([mini_dir], live_db)
    assert not orphan.exists()
    assert generations(live_db) == [live_generation(live_db).name]


# --------------------------------------------------------------------------- 3. no silent shrinking


@pytest.mark.parametrize("strict", [False, True])
def test_an_empty_folder_builds_nothing(tmp_path, live_db, run, strict):
    empty = tmp_path / "EMPTY_DIR"
    empty.mkdir()
    before = quads(live_db)
    res = run("build", empty, "--db", live_db, *(["--strict"] if strict else []))
    assert res.exit_code == 2
    assert res.stderr == (f"Error: nothing to build: read no table from {empty} (found no file); expected entities, "
                          "ownership, funding, certifications, listings, financials (.csv, .tsv, .txt or .xlsx) of "
                          "the canonical mapping, another layout with --mapping, or a format 'kg loaders' lists; "
                          f"the graph in {live_db} was left as it was\n")
    assert quads(live_db) == before
    assert generations(live_db) == [live_generation(live_db).name]


def test_a_folder_with_only_an_unknown_table_builds_nothing(tmp_path, live_db, run):
    src = tmp_path / "src"
    src.mkdir()
    (src / "companies.csv").write_text("id,name\nx,X Co.\n", encoding="utf-8")
    before = quads(live_db)
    res = run("build", src, "--db", live_db)
    assert res.exit_code == 2
    assert res.stderr == (f"Error: nothing to build: read no table from {src} (found companies.csv); expected "
                          "entities, ownership, funding, certifications, listings, financials (.csv, .tsv, .txt or "
                          ".xlsx) of the canonical mapping, another layout with --mapping, or a format 'kg loaders' "
                          f"lists; the graph in {live_db} was left as it was\n")
    assert quads(live_db) == before


def _without(mini_dir: Path, dst: Path, *names: str) -> Path:
    shutil.copytree(mini_dir, dst)
    for n in names:
        (dst / n).unlink()
    return dst


def test_a_build_that_drops_a_source_by_half_needs_replace(tmp_path, live_db, mini_dir, run):
    src = _without(mini_dir, tmp_path / "src", "funding.csv")
    before = quads(live_db)
    res = run("build", src, "--db", live_db)
    assert res.exit_code == 2
    assert res.stderr == (f"Error: this build keeps less than half of the live graph in {live_db} from the same "
                          "sources (source 'fixture': FUNDED links 3 -> 0); the graph was left as it was; "
                          "pass --replace to replace it\n")
    assert quads(live_db) == before
    res = run("build", src, "--db", live_db, "--replace", "-q")
    assert res.exit_code == 0, res.output
    assert build_info(live_db)["by_source"]["fixture"]["links"].get("FUNDED") is None


def test_a_build_shrunk_by_rejects_keeps_its_rejects_next_to_it(tmp_path, live_db, mini_dir, run):
    src = tmp_path / "src"
    shutil.copytree(mini_dir, src)
    lines = (src / "ownership.csv").read_text(encoding="utf-8").splitlines()
    (src / "ownership.csv").write_text("\n".join([lines[0]] + [ln.replace(",", ",x", 2) for ln in lines[1:]]) + "\n",
                                       encoding="utf-8")  # every owner and owned unknown
    res = run("build", src, "--db", live_db)
    assert res.exit_code == 2
    err = res.stderr.splitlines()[-1]
    m = re.fullmatch(rf"Error: this build keeps less than half of the live graph in {re.escape(str(live_db))} from "
                     r"the same sources \(source 'fixture': OWNS links 5 -> 0\); the graph was left as it was; "
                     r"pass --replace to replace it; 5 row\(s\) rejected, see (\S+)", err)
    assert m, err
    assert Path(m.group(1)).parent != live_generation(live_db)
    assert len(Path(m.group(1)).read_text(encoding="utf-8").splitlines()) == 6
    assert next(ln for ln in res.stdout.splitlines() if ln.startswith("ownership.csv")).split()[-2:] == ["0", "5"]


def test_by_source_counts_are_recorded(live_db):
    assert build_info(live_db)["by_source"] == {"fixture": {"entities": 7, "links": {
        "CERTIFIED_AS": 3, "FUNDED": 3, "LISTED_ON": 2, "OWNS": 5, "REPORTED": 4}}}


def test_confirm_decides_on_a_terminal(tmp_path, live_db, mini_dir):
    src = _without(mini_dir, tmp_path / "src", "funding.csv", "ownership.csv")
    asked = []
    with pytest.raises(InputError, match="pass --replace"):
        build([src], live_db, confirm=lambda q: asked.append(q) or False)
    assert asked == [f"This build keeps less than half of the live graph in {live_db} from the same sources "
                     "(source 'fixture': FUNDED links 3 -> 0; source 'fixture': OWNS links 5 -> 0). "
                     "Replace the live graph?"]
    build([src], live_db, confirm=lambda q: True)
    assert "OWNS" not in build_info(live_db)["links"]


def test_the_question_is_asked_on_a_tty(tmp_path, live_db, mini_dir):
    """On a terminal, kg build asks y/N (a real pseudo-terminal, a real kg process)."""
    import pty

    src = _without(mini_dir, tmp_path / "src", "funding.csv")
    pid, fd = pty.fork()
    if pid == 0:  # the child: kg build on the terminal
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execv(sys.executable, [sys.executable, "-m", "kg", "build", str(src), "--db", str(live_db), "-q"])
    out = b""
    deadline = time.monotonic() + 120
    while b"[y/N]" not in out and time.monotonic() < deadline:
        try:
            out += os.read(fd, 1024)
        except OSError:
            break
    os.write(fd, b"y\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    text = out.decode("utf-8", "replace")
    assert "FUNDED links 3 -> 0). Replace the live graph? [y/N]" in text.replace("\r\n", " ").replace("\n", " ")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "FUNDED" not in build_info(live_db)["links"]


# --------------------------------------------------------------------------- 8. rejects.csv describes the live graph


def test_a_failed_build_writes_its_rejects_next_to_its_own_output(tmp_path, live_db, mini_dir, run):
    live_rejects = (live_db / "rejects.csv").read_text(encoding="utf-8")
    live_info = (live_db / "build.json").read_text(encoding="utf-8")
    assert live_rejects.strip() == "file,row,column,value,reason"
    src = tmp_path / "bad"
    shutil.copytree(mini_dir, src)
    with (src / "ownership.csv").open("a", encoding="utf-8") as f:
        f.write("grp,sub,130%,,,fixture\n")
    res = run("build", src, "--db", live_db, "--strict")
    assert res.exit_code == 2
    m = re.search(r"\(all in (\S+/rejects\.csv)\)$", res.stderr.strip())
    assert m, res.stderr
    failed = Path(m.group(1))
    assert failed.parent.parent == live_db / "builds" and failed.parent != live_generation(live_db)
    with failed.open(encoding="utf-8") as f:
        assert [(r["file"], r["row"], r["column"]) for r in csv.DictReader(f)] == [("ownership.csv", "7", "share")]
    assert sorted(os.listdir(failed.parent)) == [GENERATION_MARKER, "rejects.csv"]  # no half store
    # the top-level report still describes the graph that answers queries
    assert (live_db / "rejects.csv").read_text(encoding="utf-8") == live_rejects
    assert (live_db / "build.json").read_text(encoding="utf-8") == live_info
    # the next build clears the failed one away
    build([mini_dir], live_db)
    assert not failed.parent.exists()


def test_top_level_reports_follow_the_live_generation(tmp_path, live_db, mini_dir):
    src = tmp_path / "bad"
    shutil.copytree(mini_dir, src)
    with (src / "funding.csv").open("a", encoding="utf-8") as f:
        f.write("bank,sub,loan,abc,,2021-01-01,,fixture\n")
    build([src], live_db)
    gen = live_generation(live_db)
    assert (live_db / "rejects.csv").resolve() == (gen / "rejects.csv").resolve()
    assert "funding.csv,5,amount,abc" in (live_db / "rejects.csv").read_text(encoding="utf-8")
    assert build_info(live_db)["triples"] == quads(live_db)


# --------------------------------------------------------------------------- done when: stress and kill -9

READER = """
import sys, time
from pathlib import Path
from kg.rdf.store import open_store, build_info
db, stop = Path(sys.argv[1]), Path(sys.argv[2])
while not stop.exists():
    store = open_store(db)
    n = len(store)
    m = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    del store
    print(n, m, flush=True)
    time.sleep(0.2)
"""


@pytest.mark.slow
def test_concurrent_builds_and_readers_lose_nothing(tmp_path, mini_dir, sample_dir):
    """20 rounds of two concurrent `kg build` into one --db plus readers: after each round the
    graph is one of the two whole builds, and no reader ever errs."""
    whole = {}
    for name, src in (("mini", mini_dir), ("sample", sample_dir)):
        whole[name] = build([src], tmp_path / f"ref-{name}").triples
    db = tmp_path / "db"
    build([mini_dir], db)
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env)
    held = re.compile(rf"Error: another kg build \(pid \d+, started [0-9T:Z-]+\) holds {re.escape(str(db))}; "
                      "wait for it with --wait\n")
    rng = random.Random(10)
    try:
        for rnd in range(20):
            wait = ["--wait"] if rnd % 2 else []
            order = [mini_dir, sample_dir] if rng.random() < 0.5 else [sample_dir, mini_dir]
            procs = [subprocess.Popen([sys.executable, "-m", "kg", "build", str(src), "--db", str(db), "-q", *wait],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                     for src in order]
            if rnd % 2 == 0:  # the command line's reader too, while the builds run
                stats = kg("stats", "--db", db, "--format", "csv")
                assert stats.returncode == 0, stats.stderr
                assert any(f"total,quads,{n}" in stats.stdout for n in whole.values()), stats.stdout
            outs = [(p.wait(timeout=300), *p.communicate()) for p in procs]
            for code, _out, err in outs:
                assert code == 0 or (code == 2 and not wait and held.fullmatch(err)), (rnd, code, err)
            assert any(code == 0 for code, _, _ in outs)
            n = quads(db)
            assert n in whole.values(), (rnd, n, whole)
            assert build_info(db)["triples"] == n
            if [c for c, _, _ in outs] in ([0, 2], [2, 0]):  # the one that ran is the graph
                winner = order[[c for c, _, _ in outs].index(0)]
                assert n == whole["mini" if winner == mini_dir else "sample"]
            assert all((db / "builds" / g / GENERATION_MARKER).is_file() for g in generations(db))
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = [tuple(map(int, line.split())) for line in out.splitlines()]
    assert len(seen) > 20 and err == ""
    assert all(n in whole.values() and n == m for n, m in seen), set(seen)


@pytest.mark.slow
def test_kill_9_leaves_the_previous_graph_and_the_next_build_cleans_up(tmp_path, mini_dir):
    """kill -9 a 20,000-firm build at random points (and once while its store is being written):
    the previous graph keeps answering; the next build removes the orphaned generation."""
    src = tmp_path / "synth"
    assert kg("synth", "--firms", 20000, "--seed", 3, "--out", src).returncode == 0
    db = tmp_path / "db"
    before = build([mini_dir], db).triples
    seed = int(os.environ.get("KG_KILL_SEED", time.time()))
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for point in ("early", "storing", "late"):
        live = live_generation(db)
        proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(src), "--db", str(db), "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        t0 = time.monotonic()
        while (json.loads((db / ".lock").read_text() or "{}").get("pid") != proc.pid and proc.poll() is None
               and time.monotonic() - t0 < 120):
            time.sleep(0.02)  # the build has started: it holds the lock
        if point == "storing":  # wait until the new generation's store is being bulk-loaded
            while (not any((db / "builds" / g / "store.partial").exists() for g in generations(db) if g != live.name)
                   and proc.poll() is None):
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 2))
        else:
            time.sleep(rng.uniform(0, 3) if point == "early" else rng.uniform(3, 10))
        assert proc.poll() is None, f"seed {seed}: the build ended before the kill at {point}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_at = time.monotonic() - t0
        what = f"seed {seed}, killed {point} after {killed_at:.1f} s"
        # the previous graph keeps answering, whole
        assert live_generation(db) == live, what
        assert quads(db) == before, what
        stats = kg("stats", "--db", db, "--format", "csv")
        assert stats.returncode == 0 and f"total,quads,{before}" in stats.stdout, what
        orphans = [g for g in generations(db) if db / "builds" / g != live]
        if point == "storing":
            assert len(orphans) == 1 and (db / "builds" / orphans[0] / "store.partial").is_dir(), what
        lock = json.loads((db / ".lock").read_text() or "{}")
        assert lock.get("pid") == proc.pid, what  # the killed build's record is left behind
        # the next build takes the lock over and removes the orphan
        report = build([mini_dir], db)
        assert report.warnings == [f"took over the lock of {db} from an ended kg build (pid {proc.pid}, started "
                                   f"{lock['started']}), which had ended without releasing it"], what
        assert generations(db) == [live_generation(db).name], what
        assert quads(db) == before, what
