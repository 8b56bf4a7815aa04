"""How the embedded Cypher load finds the node tables of link ends (kg.cypher.load._Ends): ends
looked up among the node IRIs (runs of one value once), a column that is a row-keyed table's IRIs
taken row for row, links with an end that is not a node or a pair the ontology does not allow
left out with a warning, and an error of the view raised by the load."""

from __future__ import annotations

import pyarrow as pa
import pytest

from kg.cypher.engine import EmbeddedGraph, run_cypher
from kg.cypher.load import build_embedded
from kg.tables.names import NODE_LABEL
from kg.tables.view import GraphTables


def _graph() -> GraphTables:
    nodes = {
        (NODE_LABEL, "Firm"): pa.table({"iri": ["f1", "f2", "f3"], "name": ["F1", "F2", "F3"]}),
        (NODE_LABEL, "Person"): pa.table({"iri": ["p1"]}),
        (NODE_LABEL, "Programme"): pa.table({"iri": ["prog"]}),
        (NODE_LABEL, "FinancialYear"): pa.table({"iri": ["y1", "y2", "y3"], "year": [2020, 2021, 2020]}),
    }
    links = {
        # grouped by firm (looked up once per run), one to a node that is not there
        "OWNS": pa.table({"iri": ["o1", "o2", "o3", "o4", "o5"], "from": ["p1", "p1", "f1", "f3", "f2"],
                          "to": ["f1", "f2", "f2", "nowhere", "p1"], "share": [0.5, 0.6, 0.7, 0.8, 0.9]}),
        # the financial years' own IRI column: row for row
        "REPORTED": pa.table({"from": ["f1", "f1", "f2"], "to": ["y1", "y2", "y3"]}),
        # Firm -> Firm is not a certification
        "CERTIFIED_AS": pa.table({"iri": ["c1", "c2"], "from": ["f1", "f2"], "to": ["prog", "f1"]}),
    }
    return GraphTables(nodes=nodes, links=links)


def test_link_ends_are_found_in_their_node_tables(tmp_path):
    report = build_embedded(_graph(), tmp_path / "g")
    assert report.links == {"OWNS": 4, "REPORTED": 3, "CERTIFIED_AS": 1}
    assert "1 OWNS link(s) with an end that is not a node; not loaded" in report.warnings
    assert any(w.startswith("1 CERTIFIED_AS link(s) from Firm to Firm") for w in report.warnings)
    g = EmbeddedGraph(report.path)
    try:
        owns = run_cypher(g, "MATCH (a)-[r:OWNS]->(b) RETURN label(a) AS la, a.iri AS a, label(b) AS lb, "
                             "b.iri AS b, r.share AS s ORDER BY s")[1]
        assert owns == [["Person", "p1", "Firm", "f1", 0.5], ["Person", "p1", "Firm", "f2", 0.6],
                        ["Firm", "f1", "Firm", "f2", 0.7], ["Firm", "f2", "Person", "p1", 0.9]]
        years = run_cypher(g, "MATCH (f:Firm)-[:REPORTED]->(y:FinancialYear) RETURN f.iri AS f, y.iri AS y, "
                              "y.year AS year ORDER BY f, y")[1]
        assert years == [["f1", "y1", 2020], ["f1", "y2", 2021], ["f2", "y3", 2020]]
    finally:
        g.close()


def test_an_error_of_the_view_is_raised_by_the_load(tmp_path):
    def items():
        yield "node", (NODE_LABEL, "Person"), pa.table({"iri": ["p1"]})
        raise ValueError("the view failed")

    with pytest.raises(ValueError, match="the view failed"):
        build_embedded(items(), tmp_path / "g")


def test_staging_files_come_in_row_groups_that_copy_reads_on_several_threads(tmp_path, monkeypatch):
    """A staging file holds at most COPY_ROWS rows in row groups of ROW_GROUP rows (LadybugDB
    reads a file's row groups on threads of their own; one group is one core)."""
    import pyarrow.parquet as pq

    from kg.cypher import load as load_mod

    monkeypatch.setattr(load_mod, "COPY_ROWS", 25)
    monkeypatch.setattr(load_mod, "ROW_GROUP", 10)
    t = pa.table({"iri": [f"x{i}" for i in range(60)]})
    jobs = list(load_mod._Stager(tmp_path).files_of("Firm", t))
    files = [pq.ParquetFile(j.path) for j in jobs]
    assert [f.metadata.num_rows for f in files] == [25, 25, 10]
    assert [[f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)] for f in files] == [[10, 10, 5], [10, 10, 5], [10]]
    assert pa.concat_tables(f.read() for f in files).column("iri").to_pylist() == t.column("iri").to_pylist()
