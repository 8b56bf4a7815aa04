"""``kg export``: options, formats, files and stdout, folders, errors (one line, exit 2/1)."""

from __future__ import annotations

import csv
import json

import networkx as nx
import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the core commands)
import kg.cli.export  # noqa: F401  (registers export and viz)
from kg.cli import cli


@pytest.fixture
def kg_run():
    """Run the CLI like the console script: errors become one line and an exit code."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def test_graphml_to_a_file(kg_run, sample_db, tmp_path):
    out = tmp_path / "ld.graphml"
    r = kg_run("export", "--around", "hunnan-servo", "--format", "graphml", "-o", out, "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"wrote {out}: ") and "nodes" in r.stderr
    g = nx.read_graphml(out, force_multigraph=True)
    assert g.number_of_nodes() > 10


def test_stdout(kg_run, sample_db):
    r = kg_run("export", "--around", "300024", "--hops", "1", "--format", "nt", "-o", "-", "--db", sample_db)
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0].startswith("<https://w3id.org/accelerator-kg/id/")
    assert r.stderr == ""


def test_every_options_reaches_the_selection(kg_run, sample_db):
    r = kg_run("export", "--around", "qingyun-group", "--hops", "1", "--direction", "up", "--links", "owns",
               "--as-of", "2019", "--min-share", "50%", "--limit", "100", "--format", "json", "-o", "-", "--db", sample_db)
    assert r.exit_code == 0, r.output
    g = json.loads(r.stdout)
    assert g["meta"]["hops"] == 1 and g["meta"]["direction"] == "up"
    assert g["meta"]["links"] == ["OWNS"] and g["meta"]["as_of"] == "2019-12-31" and g["meta"]["min_share"] == 0.5
    assert [e["share"] for e in g["edges"]] == [1]


def test_csv_folder(kg_run, sample_db, tmp_path):
    r = kg_run("export", "--around", "siasun", "--format", "csv", "-o", tmp_path / "out", "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert "nodes.csv" in r.stderr and "edges.csv" in r.stderr
    rows = list(csv.DictReader(open(tmp_path / "out" / "nodes.csv", encoding="utf-8")))
    assert any(x["local_id"] == "siasun" for x in rows)


def test_from_query(kg_run, sample_db):
    r = kg_run("export", "--from-query", "ultimate-owners", "-p", "ref=junli-logistics", "--as-of", "2023-12-31",
               "--hops", "0", "--links", "OWNS", "--format", "json", "-o", "-", "--db", sample_db)
    assert r.exit_code == 0, r.output
    g = json.loads(r.stdout)
    names = {n["props"].get("id") for n in g["nodes"]}
    assert {"siasun", "hunhe-holding"} <= names
    assert isinstance(g["meta"]["focus"], list)


def test_neo4j_import_is_the_whole_graph(kg_run, sample_db, tmp_path):
    r = kg_run("export", "--format", "neo4j-import", "-o", tmp_path / "imp", "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "imp" / "import.sh").exists() and (tmp_path / "imp" / "relationships-OWNS.csv").exists()
    r = kg_run("export", "--around", "siasun", "--format", "neo4j-import", "-o", tmp_path / "imp2", "--db", sample_db)
    assert r.exit_code == 2 and "exports the whole graph" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--format", "ttl", "-o", "-"], "Error: give either --around REF or --from-query NAME (not both)\n"),
    (["--around", "siasun", "--from-query", "x", "--format", "ttl", "-o", "-"],
     "Error: give either --around REF or --from-query NAME (not both)\n"),
    (["--around", "siasun", "-p", "a=b", "--format", "ttl", "-o", "-"], "Error: -p/--param goes with --from-query NAME\n"),
    (["--around", "no such firm", "--format", "ttl", "-o", "-"],
     "Error: no entity matches 'no such firm' by id, USCC, LEI, ticker or name\n"),
    (["--around", "siasun", "--links", "OWNS,LOANS", "--format", "ttl", "-o", "-"],
     "Error: --links: 'LOANS' is not a link type; expected some of OWNS, FUNDED, CERTIFIED_AS, LISTED_ON, DECLARED_CONTROL, CONTROLS, ULTIMATELY_OWNS, LOOK_THROUGH_FUNDED\n"),
    (["--around", "siasun", "--as-of", "soon", "--format", "ttl", "-o", "-"],
     "Error: --as-of: value 'soon' is not a date; expected YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月\n"),
    (["--around", "siasun", "--min-share", "2.5x", "--format", "ttl", "-o", "-"], "Error: --min-share: "),
    (["--around", "siasun", "--format", "csv", "-o", "-"], "Error: --format csv writes a folder; give -o DIR, not -\n"),
    (["--from-query", "no-such-query", "--format", "ttl", "-o", "-"], "Error: "),
])
def test_bad_input_is_one_line_and_exit_2(kg_run, sample_db, args, message):
    r = kg_run("export", *args, "--db", sample_db)
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith(message) and r.stdout == ""
    assert "Traceback" not in r.output


def test_ambiguous_reference_lists_candidates(kg_run, sample_db):
    r = kg_run("export", "--around", "Qingyun", "--format", "ttl", "-o", "-", "--db", sample_db)
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: 'Qingyun' is ambiguous: 4 entities match")
    assert "id qingyun-welding" in r.stderr


def test_missing_graph_is_exit_1(kg_run, tmp_path):
    r = kg_run("export", "--around", "siasun", "--format", "ttl", "-o", "-", "--db", tmp_path / "none")
    assert r.exit_code == 1 and r.stderr.startswith("Error: no graph in ")


def test_truncation_is_reported(kg_run, sample_db, tmp_path):
    r = kg_run("export", "--around", "qingyun-group", "--hops", "3", "--limit", "5", "--format", "graphml",
               "-o", tmp_path / "q.graphml", "--db", sample_db)
    assert r.exit_code == 0 and "kept 5 of" in r.stderr and "raise --limit" in r.stderr


def test_every_file_format_writes(kg_run, sample_db, tmp_path):
    from kg.export import FORMATS

    for name, spec in FORMATS.items():
        if spec.folder:
            continue
        out = tmp_path / f"x.{name}"
        r = kg_run("export", "--around", "junli-logistics", "--format", name, "-o", out, "--db", sample_db)
        assert r.exit_code == 0, (name, r.output)
        assert out.stat().st_size > 100, name
    assert json.loads((tmp_path / "x.bods").read_text(encoding="utf-8"))[0]["publicationDetails"]["bodsVersion"] == "0.4"


def test_help_lists_the_formats(kg_run):
    r = kg_run("export", "--help")
    assert r.exit_code == 0
    for word in ("graphml", "gexf", "bods", "ftm", "neo4j-import", "--around", "--from-query", "--min-share"):
        assert word in r.stdout
