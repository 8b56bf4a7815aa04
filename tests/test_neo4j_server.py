"""The local Neo4j server of scripts/neo4j: Bolt with auth, writes, and the bulk-import route.

Uses NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD when set, else starts the server itself
(tests/neo4j_fixture.py). A test that cannot reach a server fails; none is skipped.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import neo4j
import pytest

try:  # tests/ as a package or as a plain directory on sys.path
    from .neo4j_fixture import SCRIPT, neo4j_connection, parse_env_lines
except ImportError:
    from neo4j_fixture import SCRIPT, neo4j_connection, parse_env_lines

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="session")
def neo4j_conn() -> tuple[str, str, str]:
    return neo4j_connection()


@pytest.fixture(scope="session")
def driver(neo4j_conn):
    uri, user, password = neo4j_conn
    with neo4j.GraphDatabase.driver(uri, auth=(user, password)) as d:
        d.verify_connectivity()  # fail at once, not after the driver's 30 s of retries
        yield d


def test_return_1(driver):
    records, _, _ = driver.execute_query("RETURN 1 AS one")
    assert records[0]["one"] == 1


def test_wrong_password_is_refused(neo4j_conn):
    uri, user, password = neo4j_conn
    with neo4j.GraphDatabase.driver(uri, auth=(user, password + "-wrong")) as d:
        with pytest.raises(neo4j.exceptions.AuthError):
            d.verify_connectivity()


def test_write_and_read_a_node(driver):
    label = "KgTest_" + uuid.uuid4().hex[:12]
    try:
        driver.execute_query(
            f"CREATE (:{label} {{name: $name, share: $share}})", name="测试 Holdings", share=0.51
        )
        records, _, _ = driver.execute_query(
            f"MATCH (n:{label}) RETURN n.name AS name, n.share AS share"
        )
        assert [(r["name"], r["share"]) for r in records] == [("测试 Holdings", 0.51)]
    finally:
        driver.execute_query(f"MATCH (n:{label}) DETACH DELETE n")


def _script(*args: str, timeout: float = 900, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=None if env is None else {**os.environ, **env},
    )
    assert result.returncode == 0, (
        f"scripts/neo4j {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    )
    return result


def test_bulk_import_then_serve(tmp_path):
    """neo4j-admin database import full into a fresh data directory, then a server on it."""
    (tmp_path / "nodes.csv").write_text(
        "id:ID,name,:LABEL\n"
        "a,Alpha Holdings,Entity;Company\n"
        "b,Beta Tech,Entity;Company\n"
        "c,State Fund,Entity;Fund\n",
        encoding="utf-8",
    )
    (tmp_path / "relationships.csv").write_text(
        ":START_ID,:END_ID,:TYPE,share:float\nc,a,OWNS,0.51\na,b,OWNS,0.3\nc,b,OWNS,0.1\n",
        encoding="utf-8",
    )
    data = tmp_path / "data"
    imported = _script(
        "import",
        "--data",
        str(data),
        f"--nodes={tmp_path / 'nodes.csv'}",
        f"--relationships={tmp_path / 'relationships.csv'}",
    )
    assert "IMPORT DONE" in imported.stdout
    assert (data / "databases" / "neo4j").is_dir()

    name = f"pytest-import-{uuid.uuid4().hex[:8]}"
    started = False
    try:
        env = parse_env_lines(_script("start", "--name", name, "--data", str(data)).stdout)
        started = True
        assert set(env) == {"NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"}
        assert env["NEO4J_URI"].startswith("bolt://127.0.0.1:")
        # a second start and `env` print the same lines; `status` never shows the password
        assert parse_env_lines(_script("start", "--name", name).stdout) == env
        assert parse_env_lines(_script("env", "--name", name).stdout) == env
        status = _script("status", "--name", name).stdout
        assert env["NEO4J_URI"] in status and env["NEO4J_PASSWORD"] not in status
        with neo4j.GraphDatabase.driver(
            env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])
        ) as d:
            nodes, _, _ = d.execute_query("MATCH (n:Entity) RETURN count(n) AS n")
            companies, _, _ = d.execute_query("MATCH (n:Company) RETURN count(n) AS n")
            rels, _, _ = d.execute_query(
                "MATCH (:Fund)-[r:OWNS]->() RETURN count(r) AS n, sum(r.share) AS s"
            )
            alpha, _, _ = d.execute_query(
                "MATCH (:Entity {name: 'State Fund'})-[r:OWNS]->(n {name: 'Alpha Holdings'}) "
                "RETURN r.share AS share"
            )
        assert nodes[0]["n"] == 3
        assert companies[0]["n"] == 2
        assert rels[0]["n"] == 2 and rels[0]["s"] == pytest.approx(0.61)
        assert alpha[0]["share"] == pytest.approx(0.51)
    finally:
        if started:
            _script("stop", "--name", name, timeout=180)
    gone = subprocess.run(
        ["bash", str(SCRIPT), "status", "--name", name], capture_output=True, text=True
    )
    assert gone.returncode == 3, gone.stdout


def test_memory_and_jvm_settings_reach_the_server():
    """KG_NEO4J_HEAP sets the initial and maximum heap, KG_NEO4J_PAGECACHE the page cache, and
    a collector in KG_NEO4J_JAVA_OPTS replaces G1."""
    name = f"pytest-jvm-{uuid.uuid4().hex[:8]}"
    env = {"KG_NEO4J_HEAP": "640m", "KG_NEO4J_PAGECACHE": "300m", "KG_NEO4J_JAVA_OPTS": "-XX:+UseSerialGC"}
    _script("start", "--name", name, env=env)
    try:
        inst = Path(_script("logs", "--name", name).stdout.strip()).parent
        pid = next(line.split("=", 1)[1] for line in (inst / "state").read_text().splitlines()
                   if line.startswith("PID="))
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"-Xms640m" in cmd and b"-Xmx640m" in cmd
        assert b"-XX:+UseSerialGC" in cmd and b"-XX:+UseG1GC" not in cmd
        assert "server.memory.pagecache.size=300m" in (inst / "conf" / "neo4j.conf").read_text()
    finally:
        _script("stop", "--name", name, timeout=180)

