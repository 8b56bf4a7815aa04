"""Bulk-import CSVs for neo4j-admin (kg neo4j-import), and the kg.neo4j docstring examples.

The server test imports the CSVs with the written import.sh (neo4j-admin through
``scripts/neo4j admin``) into a fresh data directory, starts a server on it and checks that it
holds exactly the stored graph, the same as a Bolt push. It fails, never skips, when no
server can be had.
"""

from __future__ import annotations

import csv
import doctest
import importlib
import os
import subprocess
import uuid

import neo4j
import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the core commands)
import kg.cli.neo4j  # noqa: F401  (registers push neo4j, cypher, neo4j-import)
from kg.cli import cli
from kg.neo4j.bulk_csv import write_import_dir
from kg.neo4j.frames import read_graph
from kg.rdf.store import open_store

try:  # tests/ as a package or as a plain directory on sys.path
    from .neo4j_fixture import SCRIPT, parse_env_lines
    from .test_neo4j_push import assert_same_graph, counts, expected_graph
except ImportError:
    from neo4j_fixture import SCRIPT, parse_env_lines
    from test_neo4j_push import assert_same_graph, counts, expected_graph

MODULES = ["kg.neo4j", "kg.neo4j.schema", "kg.neo4j.frames", "kg.neo4j.connect", "kg.neo4j.cypher",
           "kg.neo4j.push", "kg.neo4j.rows", "kg.neo4j.bulk_csv", "kg.cli.neo4j"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring examples"


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_import_dir_files_headers_and_counts(mini_db, tmp_path):
    out = tmp_path / "imp"
    result = write_import_dir(mini_db, out)
    want = expected_graph(open_store(mini_db))
    assert result["nodes"] == len(want["nodes"])
    assert result["relationships"] == sum(len(v) for v in want["links"].values())
    assert sum(n for f, n in result["files"].items() if f.startswith("nodes-")) == result["nodes"]
    # one file per label set, with typed headers and the labels
    rows = read_csv(out / "nodes-GuidanceFund-Fund.csv")
    head = rows[0]
    assert head[0] == "iri:ID" and head[-1] == ":LABEL"
    assert "founded:date" in head and "state_owned:boolean" in head and "name_zh" in head
    assert {r[-1] for r in rows[1:]} == {"KgNode;GuidanceFund;Fund"}
    fy = read_csv(out / "nodes-FinancialYear.csv")[0]
    assert "year:long" in fy and "revenue:double" in fy and "source_row:long" in fy
    # one file per relationship type
    owns = read_csv(out / "relationships-OWNS.csv")
    assert owns[0][:4] == [":START_ID", ":END_ID", ":TYPE", "iri"]
    assert {"share:double", "start:date", "end:date", "start_precision"} <= set(owns[0])
    assert len(owns) - 1 == len(want["links"]["OWNS"]) and {r[2] for r in owns[1:]} == {"OWNS"}
    by_iri = {r[3]: dict(zip(owns[0], r, strict=True)) for r in owns[1:]}
    for iri, (a, b, props) in want["links"]["OWNS"].items():
        r = by_iri[iri]
        assert (r[":START_ID"], r[":END_ID"]) == (a, b)
        assert float(r["share:double"]) == props["share"]
        assert r["start:date"] == (props.get("start") or "")
    # quotes inside values survive (专精特新"小巨人"企业)
    progs = read_csv(out / "nodes-Programme.csv")
    assert any('"小巨人"' in v for r in progs for v in r)
    assert (out / "schema.cypher").read_text(encoding="utf-8").count("CREATE ") > 5


def test_import_script(mini_db, tmp_path):
    out = tmp_path / "imp"
    result = write_import_dir(mini_db, out)
    script = out / "import.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    assert 'database import full "$DATABASE"' in text
    for flag in ("--overwrite-destination=true", "'--array-delimiter=;'", "--multiline-fields=true", "--id-type=string"):
        assert flag in text
    for f in result["files"]:
        assert f"--{'nodes' if f.startswith('nodes-') else 'relationships'}={f}" in text
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    # the command it runs, with a stand-in for neo4j-admin that prints its arguments
    fake = tmp_path / "fake-admin"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n', encoding="utf-8")
    fake.chmod(0o755)
    p = subprocess.run([str(script), "kgdb"], env={**os.environ, "NEO4J_ADMIN": str(fake)},
                       capture_output=True, text=True, cwd=tmp_path)
    args = p.stdout.splitlines()
    assert args[:4] == ["database", "import", "full", "kgdb"] and "--array-delimiter=;" in args


def test_neo4j_import_command(mini_db, tmp_path):
    r = CliRunner().invoke(cli, ["neo4j-import", "-o", str(tmp_path / "out"), "--db", str(mini_db)])
    assert r.exit_code == 0, r.output
    assert "relationships-OWNS.csv" in r.stdout and "import.sh" in r.stdout.splitlines()[-1]
    g = read_graph(open_store(mini_db))
    assert f"wrote {g.node_count} nodes and {g.link_count} relationships" in r.stdout


def _script(*args: str, env=None, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL, env=env)
    assert result.returncode == 0, f"scripts/neo4j {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    return result


@pytest.mark.neo4j
def test_bulk_import_gives_the_same_graph_as_a_push(sample_db, tmp_path):
    out = tmp_path / "imp"
    write_import_dir(sample_db, out)
    data = tmp_path / "data"
    env = {**os.environ, "NEO4J_ADMIN": f"bash {SCRIPT} admin --data {data}"}
    p = subprocess.run([str(out / "import.sh")], env=env, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0 and "IMPORT DONE" in p.stdout, p.stdout[-3000:] + p.stderr[-3000:]

    name = f"pytest-kgimport-{uuid.uuid4().hex[:8]}"
    started = False
    try:
        conn = parse_env_lines(_script("start", "--name", name, "--data", str(data)).stdout)
        started = True
        with neo4j.GraphDatabase.driver(conn["NEO4J_URI"], auth=(conn["NEO4J_USER"], conn["NEO4J_PASSWORD"]),
                                        notifications_min_severity="OFF") as d:
            assert_same_graph(d, open_store(sample_db))
            imported = counts(d)
            # the indexes a push creates, then a push on top: MERGE finds every imported node and link
            cli_env = {"NEO4J_URI": conn["NEO4J_URI"], "NEO4J_USER": conn["NEO4J_USER"],
                       "NEO4J_PASSWORD": conn["NEO4J_PASSWORD"], "NEO4J_DATABASE": None}
            runner = CliRunner(env=cli_env)
            r = runner.invoke(cli, ["push", "neo4j", "--schema-only"])
            assert r.exit_code == 0, r.output
            recs, _, _ = d.execute_query("SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")
            assert "kg_node_iri" in recs[0]["names"]
            r = runner.invoke(cli, ["push", "neo4j", "--db", str(sample_db), "--quiet"])
            assert r.exit_code == 0, r.output
            assert counts(d) == imported
            assert_same_graph(d, open_store(sample_db))
    finally:
        if started:
            _script("stop", "--name", name, timeout=180)
