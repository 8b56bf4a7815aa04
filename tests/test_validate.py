"""kg validate: SHACL conformance of the built graph; the fast engine gives pyshacl's rows."""

from __future__ import annotations

import gc
import re

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.ontology import ID, KG, RDF_TYPE, XSD
from kg.rdf.store import open_store
from kg.rdf.validate import validate_store
from kg.resources import resource_path

PREFIXES = """@prefix kg: <https://w3id.org/accelerator-kg/ont#> .
@prefix id: <https://w3id.org/accelerator-kg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""

# one or more of every kind of violation the shapes of ontology/shapes.ttl can report
BAD = PREFIXES + """
kg:SpecialFirm rdfs:subClassOf kg:Firm .
kg:SpecialProgramme rdfs:subClassOf kg:Programme .
id:ok a kg:Firm ; kg:name "OK Firm" ; kg:uscc "91320500MA0LGB046J" ; kg:stateOwned false .
id:noname a kg:Firm .
id:sub a kg:SpecialFirm .
id:intname a kg:Bank ; kg:name 42 .
id:empty a kg:Person ; kg:name "" .
id:lang a kg:Fund , kg:GuidanceFund ; kg:name "基金"@zh .
id:iriname a kg:Exchange ; kg:name id:ok .
id:ids a kg:Firm ; kg:name "Ids" ; kg:uscc "9132050OMA0LGB046J" , "X" ; kg:lei "ABC" ; kg:ticker "688017" , id:ok .
id:so a kg:GovernmentBody ; kg:name "SO" ; kg:stateOwned true , false .
id:so2 a kg:Firm ; kg:name "SO2" ; kg:stateOwned "yes" .
id:so3 a kg:Firm ; kg:name "SO3" ; kg:stateOwned 1 .
id:two a kg:Firm , kg:Bank ; kg:name "Two" .
id:three a kg:Firm , kg:Exchange , kg:Person ; kg:name "Three" .
id:prog a kg:Programme .
id:sprog a kg:SpecialProgramme .
id:exch a kg:Exchange ; kg:name "Exch" .

id:o1 a kg:Ownership ; kg:owner id:ok ; kg:owned id:so ; kg:share 0.5 ; kg:sourceRow 2 ;
    kg:start "2020-01-01"^^xsd:date ; kg:end "2021-01-01"^^xsd:date .
id:o2 a kg:Ownership ; kg:owner id:ok , id:so ; kg:owned "so" ; kg:share 1.5 , 0.2 .
id:o3 a kg:Ownership ; kg:owned id:so ; kg:share 0.5 ; kg:sourceRow 2 ;
    kg:start "2022-01-01"^^xsd:date ; kg:end "2021-01-01"^^xsd:date , "2023-01-01"^^xsd:date .
id:o4 a kg:Ownership ; kg:owner id:ok ; kg:owned id:so ; kg:share "0.5" ; kg:sourceRow 2 ;
    kg:start "2020" ; kg:end "2021-01-01"^^xsd:date .
id:o5 a kg:Ownership ; kg:owner id:ok ; kg:owned id:so ; kg:share -0.1 ; kg:sourceRow 2 ;
    kg:start 2020 ; kg:end "2021-01-01"^^xsd:date .

id:f1 a kg:Funding ; kg:funder id:ok ; kg:recipient id:so ; kg:instrument "grant" ; kg:amount -5.0 ;
    kg:interestRate 2.0 ; kg:sourceRow 2 .
id:f2 a kg:Funding ; kg:funder id:ok ; kg:recipient id:so ; kg:instrument "equity"@en , "loan" ;
    kg:amount "lots" ; kg:interestRate "0.1" ; kg:sourceRow 2 .
id:f3 a kg:Funding .

id:c1 a kg:Certification ; kg:certifiedFirm id:ok ; kg:programme id:prog ; kg:batch 0 ;
    kg:validFrom "2022-01-01"^^xsd:date ; kg:validTo "2020-01-01"^^xsd:date .
id:c2 a kg:Certification ; kg:certifiedFirm "ok" ; kg:programme id:ok , "little_giant" , id:sprog ; kg:batch "x" .
id:c3 a kg:Certification .

id:l1 a kg:Listing ; kg:exchange id:ok ; kg:ticker "688017.SH" ;
    kg:listed "2022-01-01"^^xsd:date ; kg:delisted "2020-01-01"^^xsd:date .
id:l2 a kg:Listing ; kg:exchange id:exch .

id:y1 a kg:FinancialYear ; kg:year 2020 , 2021 ; kg:employees -1 ; kg:revenue -1.0 .
id:y2 a kg:FinancialYear ; kg:year 2020.0 ; kg:employees 1.5 ; kg:revenue 1000 .
id:y3 a kg:FinancialYear .
"""

# the components and targets shapes.ttl does not use yet, severities, and sh:sparql with ?value,
# ?path, messages with {?var} and {$this}, and sh:prefixes
EXTRA_SHAPES = """@prefix kg: <https://w3id.org/accelerator-kg/ont#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
kg:ExtraShape a sh:NodeShape ;
    sh:targetClass kg:Firm ;
    sh:nodeKind sh:IRI ;
    sh:property [ sh:path kg:name ; sh:maxLength 3 ; sh:severity sh:Warning ] ;
    sh:property [ sh:path kg:name ; sh:minCount 2 ; sh:severity sh:Info ] ;
    sh:property [ sh:path kg:uscc ; sh:maxCount 0 ; sh:nodeKind sh:BlankNodeOrIRI ] ;
    sh:property [ sh:path kg:stateOwned ; sh:maxCount 2 ; sh:minCount 0 ] ;
    sh:property [ sh:path kg:founded ; sh:minExclusive "2000-01-01"^^xsd:date ;
                  sh:maxExclusive "2020-01-01"^^xsd:date ; sh:lessThan kg:dissolved ] ;
    sh:property [ sh:path kg:name ; sh:minInclusive "B" ; sh:in ( "Ids" "SO2" ) ] ;
    sh:sparql [ sh:message "{$this} says {?value} via {?path} ({?n})" ;
        sh:select \"\"\"
            PREFIX kg: <https://w3id.org/accelerator-kg/ont#>
            SELECT $this ?path ?value ?n WHERE { $this ?path ?value . FILTER (?path = kg:stateOwned)
              { SELECT $this (COUNT(*) AS ?n) WHERE { $this kg:stateOwned ?x } GROUP BY $this } }
        \"\"\" ] .
kg:SharesShape a sh:NodeShape ;
    sh:targetClass kg:Entity ;
    sh:message "shares of one owned entity sum over 100%" ;
    sh:sparql [ sh:prefixes kg:Prefixes ; sh:select \"\"\"
            SELECT $this ?start (SUM(?s) AS ?total) WHERE {
              ?o a kg:Ownership ; kg:owned $this ; kg:share ?s ; kg:start ?start .
            } GROUP BY $this ?start HAVING (SUM(?s) > 1)
        \"\"\" ] .
kg:TargetsShape a sh:NodeShape ;
    sh:targetObjectsOf kg:owns ; sh:targetSubjectsOf kg:controls ;
    sh:targetNode <https://w3id.org/accelerator-kg/id/zzz> , <https://w3id.org/accelerator-kg/id/c> ;
    sh:property [ sh:path kg:name ; sh:minCount 1 ] .
kg:Prefixes sh:declare [ sh:prefix "kg" ; sh:namespace "https://w3id.org/accelerator-kg/ont#"^^xsd:anyURI ] .
kg:Off a sh:NodeShape ; sh:targetClass kg:Firm ; sh:deactivated true ; sh:node kg:ExtraShape .
"""

EXTRA_DATA = PREFIXES + """
kg:Firm rdfs:subClassOf kg:Entity .
id:a a kg:Firm ; kg:name "Ids" ; kg:founded "1999-01-01"^^xsd:date ; kg:dissolved "1998-01-01"^^xsd:date ;
    kg:stateOwned true , false , "x" ; kg:uscc "9132" .
id:b a kg:Firm ; kg:name "Anna", "Bo" ; kg:founded "2010-01-01"^^xsd:date , "2021-01-01"^^xsd:date ;
    kg:dissolved "2010-01-01"^^xsd:date , "2030-01-01"^^xsd:date .
id:c a kg:Firm ; kg:name "SO2" ; kg:founded "2005" ; kg:dissolved "2006" .
id:o1 a kg:Ownership ; kg:owned id:a ; kg:share 0.7 ; kg:start "2020-01-01"^^xsd:date .
id:a kg:owns id:nameless , id:b , "text" . id:nameless2 kg:controls id:a , id:c .
id:o2 a kg:Ownership ; kg:owned id:a ; kg:share 0.6 ; kg:start "2020-01-01"^^xsd:date .
id:o3 a kg:Ownership ; kg:owned id:a ; kg:share 0.6 ; kg:start "2021-01-01"^^xsd:date .
id:o4 a kg:Ownership ; kg:owned id:b ; kg:share 0.4 ; kg:start "2021-01-01"^^xsd:date .
"""


def store_of(turtle: str, copies: int = 1) -> ox.Store:
    """A store holding the graph in `copies` named graphs (the same triples stated twice)."""
    store = ox.Store()
    for i in range(copies):
        g = ox.NamedNode(f"https://w3id.org/accelerator-kg/id/graph/test{i}")
        store.load(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE, to_graph=g)
    return store


def _in_list_sorted(rows):
    # pyshacl lists an sh:in in the order of a Python set, different from run to run
    def fix(m):
        return m.group(1) + ", ".join(sorted(m.group(2).split(", "))) + "]"
    return [r[:4] + [re.sub(r"^(Value .* not in list \[)(.*)\]$", fix, r[4])] for r in rows]


def both(store: ox.Store, shapes=None):
    """The fast engine's answer, asserted equal to pyshacl's."""
    fast = validate_store(store, shapes, engine="fast")
    ref = validate_store(store, shapes, engine="pyshacl")
    assert fast[0] == ref[0]
    assert sorted(_in_list_sorted(fast[1])) == sorted(_in_list_sorted(ref[1]))
    return fast


def test_sample_conforms(sample_db, run):
    res = run("validate", "--db", sample_db)
    assert res.exit_code == 0, res.output
    assert res.stderr == "conforms\n"
    assert both(open_store(sample_db)) == (True, [])


def test_mini_fixture_same_rows(mini_db):
    assert both(open_store(mini_db)) == (True, [])


def test_every_kind_of_violation_same_rows_as_pyshacl():
    conforms, rows = both(store_of(BAD))
    assert not conforms
    by_focus = {}
    for r in rows:
        by_focus.setdefault(r[1], []).append(r)
    # every planted focus node is reported, the good ones are not
    assert set(by_focus) == {
        "id:noname", "id:sub", "id:intname", "id:empty", "id:lang", "id:iriname", "id:ids", "id:so",
        "id:so2", "id:so3", "id:two", "id:three", "id:o2", "id:o3", "id:o4", "id:o5", "id:f1", "id:f2",
        "id:f3", "id:c1", "id:c2", "id:c3", "id:l1", "id:l2", "id:y1", "id:y2", "id:y3", "so"}
    assert ["Violation", "id:o3", "kg:start", "2022-01-01", "an ownership cannot end before it starts"] in rows
    assert ["Violation", "id:two", "", "https://w3id.org/accelerator-kg/id/two",
            "an entity has one primary type (Firm, Bank, Fund, GovernmentBody, Exchange or Person); "
            "sources disagree here"] in rows
    assert ["Violation", "id:f1", "kg:instrument", "grant",
            "Value Literal(\"grant\") not in list ['Literal(\"equity\")', 'Literal(\"loan\")', "
            "'Literal(\"subsidy\")', 'Literal(\"lp_commitment\")', 'Literal(\"bond\")']"] in rows
    assert ["Violation", "id:c2", "kg:programme", "little_giant", "Value does not have class kg:Programme"] in rows
    # the owned "so" (a literal) of id:o2 has shares 1.5 and 0.2 from two owners: a sum over 100%,
    # read as the same number from both engines (Oxigraph's decimal 3, rdflib's 3.0)
    assert ["Violation", "so", "", "3", "the direct shares of this entity sum over 100% at some date "
            "(sources disagree; see kg conflicts)"] in rows
    assert len(rows) == 65


def test_ill_typed_literals_are_datatype_violations():
    # rdflib rewrites or drops such literals when it reads them, so pyshacl sees another graph;
    # the store keeps the text, and the fast engine reports it
    store = store_of(PREFIXES + '''id:x a kg:Firm ; kg:name "X" ; kg:stateOwned "maybe"^^xsd:boolean .
        id:o a kg:Ownership ; kg:owner id:x ; kg:owned id:x ; kg:sourceRow 2 ; kg:share "abc"^^xsd:decimal .''')
    conforms, rows = validate_store(store)
    assert not conforms
    assert [r[1:4] for r in rows if r[4].startswith("Value is not Literal") or "true/false" in r[4]] == [
        ["id:x", "kg:stateOwned", "maybe"]]
    assert [r[1:] for r in rows if r[1] == "id:o"] == [
        ["id:o", "kg:share", "abc", "a share is a fraction between 0 and 1"]] * 3


def test_triples_stated_by_two_sources_are_reported_once():
    one, two = both(store_of(BAD)), both(store_of(BAD, copies=2))
    assert one == two


def test_other_components_severities_and_sparql_messages(tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(EXTRA_SHAPES, encoding="utf-8")
    conforms, rows = both(store_of(EXTRA_DATA), shapes)
    assert not conforms
    assert ["Violation", "id:a", "", "https://w3id.org/accelerator-kg/id/a",
            "shares of one owned entity sum over 100%"] in rows
    assert ["Violation", "id:a", "kg:stateOwned", "x",
            "https://w3id.org/accelerator-kg/id/a says x via https://w3id.org/accelerator-kg/ont#stateOwned (3)"] in rows
    assert {r[0] for r in rows} == {"Violation", "Warning", "Info"}
    # sh:targetObjectsOf, sh:targetSubjectsOf, sh:targetNode (also a node not in the graph)
    assert sorted(r[1] for r in rows if r[4].startswith("Less than 1 values")) == [
        "id:nameless", "id:nameless2", "id:zzz", "text"]
    assert len(rows) == 24
    # warnings and infos alone conform
    shapes.write_text(EXTRA_SHAPES.split("    sh:property [ sh:path kg:uscc")[0] + ".\n", encoding="utf-8")
    conforms, rows = both(store_of(EXTRA_DATA), shapes)
    assert conforms and {r[0] for r in rows} == {"Warning", "Info"}


def test_synthetic_graph_with_bad_rows_same_rows(tmp_path, run):
    src, db = tmp_path / "src", tmp_path / "db"
    assert run("synth", "--firms", "300", "--seed", "1", "--bad-rows", "0.05", "--out", src).exit_code == 0
    build([src], db)
    both(open_store(db))


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
    del store, link
    gc.collect()  # close the writable store before the validator opens it read-only
    for engine in ("fast", "pyshacl"):
        res = run("validate", "--db", db, "--format", "csv", "--engine", engine)
        assert res.exit_code == 1, (engine, res.stderr)
        lines = res.stdout.splitlines()
        assert lines[0] == "severity,focus,path,value,message"
        text = "\n".join(lines)
        assert "one primary type" in text and "id:uscc/91210100MA0DRY033M" in text
        assert "cannot end before it starts" in text
        assert ("Violation,id:uscc/91210100MA0DRY033M,,1.2,the direct shares of this entity sum over 100% at some "
                "date (sources disagree; see kg conflicts)") in lines
        assert res.stderr == f"{len(lines) - 1} violation(s)\n"


@pytest.mark.parametrize("shape, error", [
    ("kg:S a sh:NodeShape ; sh:targetClass kg:Firm ; sh:property [ sh:path kg:name ; sh:node kg:T ] .",
     "shape kg:S (property kg:name): the constraint sh:node is not supported by the fast engine; use --engine pyshacl"),
    ("kg:S a sh:NodeShape ; sh:target [ a kg:T ] .",
     "shape kg:S: sh:target (SPARQL-based targets) is not supported by the fast engine; use --engine pyshacl"),
    ("kg:S a sh:NodeShape ; sh:targetClass kg:Firm ; sh:property [ sh:path ( kg:a kg:b ) ; sh:minCount 1 ] .",
     "shape kg:S: a property path other than one IRI is not supported by the fast engine; use --engine pyshacl"),
    ("kg:S a sh:NodeShape ; sh:targetClass kg:Firm ; sh:sparql [ sh:select "
     "\"SELECT ?x WHERE { ?x a <https://w3id.org/accelerator-kg/ont#Firm> }\" ] .",
     "shape kg:S: an sh:select row without $this (the fast engine runs it once for all focus nodes); "
     "use --engine pyshacl"),
])
def test_unsupported_shapes_are_one_line_errors(tmp_path, sample_db, run, shape, error):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix kg: <https://w3id.org/accelerator-kg/ont#> .\n"
                      "@prefix sh: <http://www.w3.org/ns/shacl#> .\n" + shape + "\n", encoding="utf-8")
    res = run("validate", "--db", sample_db, "--shapes", shapes)
    assert res.exit_code == 2
    assert res.stderr == f"Error: {error}\n"


def test_the_shipped_shapes_are_all_supported():
    from kg.rdf.shacl_sparql import read_shapes
    from kg.rdf.validate import read_shapes_graph

    shapes = read_shapes(read_shapes_graph(resource_path("ontology", "shapes.ttl")))
    assert {s.node.n3() for s in shapes if s.path is None} >= {
        "<https://w3id.org/accelerator-kg/ont#EntityShape>", "<https://w3id.org/accelerator-kg/ont#OwnershipShape>"}
