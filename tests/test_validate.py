"""kg validate: SHACL conformance of the built graph."""

from __future__ import annotations

import pyoxigraph as ox

from kg.build import build
from kg.ontology import ID, KG, RDF_TYPE, XSD
from kg.rdf.store import open_store


def test_sample_conforms(sample_db, run):
    res = run("validate", "--db", sample_db)
    assert res.exit_code == 0, res.output
    assert "conforms" in res.stderr


def test_violations_are_listed_and_exit_1(tmp_path, mini_dir, run):
    # shares of one firm over 100% across two sources are built (listed by kg conflicts) and
    # flagged; two primary types and an end before the start are rejected by kg build now, so
    # they are written into the store by hand to see that the shapes still catch them
    src = tmp_path / "src"
    src.mkdir()
    (src / "ownership.csv").write_text("owner,owned,share,source\nsasac,sub,0.5,other\n", encoding="utf-8")
    db = tmp_path / "db"
    build([mini_dir, src], db)
    store = open_store(db, read_only=False)
    firm = ox.NamedNode(ID + "uscc/91210100MA0DRY033M")
    g = ox.NamedNode(ID + "graph/source/other")
    store.add(ox.Quad(firm, ox.NamedNode(RDF_TYPE), ox.NamedNode(KG + "Bank"), g))
    link = next(iter(store.query(f"PREFIX kg: <{KG}> SELECT ?o WHERE {{ ?o kg:owner ?a ; kg:start ?s }}",
                                 use_default_graph_as_union=True)))["o"]
    store.add(ox.Quad(link, ox.NamedNode(KG + "end"), ox.Literal("1990-01-01", datatype=ox.NamedNode(XSD + "date")), g))
    del store
    res = run("validate", "--db", db, "--format", "csv")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "severity,focus,path,value,message"
    text = "\n".join(lines)
    assert "one primary type" in text and "id:uscc/91210100MA0DRY033M" in text
    assert "cannot end before it starts" in text
    assert ("Violation,id:uscc/91210100MA0DRY033M,,1.2,the direct shares of this entity sum over 100% at some date "
            "(sources disagree; see kg conflicts)") in lines
    assert "violation(s)" in res.stderr
