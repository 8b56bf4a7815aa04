"""GLEIF sources: Level 1/Level 2 RDF (the GLEIF sample in tests/fixtures/gleif-rdf, MIT) and the
Golden Copy CSV layout (LEI-CDF and RR-CDF column names)."""

from __future__ import annotations

import csv
import doctest
import importlib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from kg.loaders import gleif_csv
from kg.loaders.sources import load_sources
from kg.sources.tabular import SourceError

RDF = Path(__file__).parent / "fixtures" / "gleif-rdf"
L1, L2 = RDF / "L1Data.ttl", RDF / "L2Data.ttl"

CITIGROUP, CITICORP, CITIBANK = "6SHGI4ZSSLCXXQSBB395", "549300PSHWOM1D1JVL23", "E57ODZWZ7FF32TWEFA76"
EAGLE, BLACKROCK_US, BLACKROCK_GB = "549300Z97UQPIB27EY09", "549300RK1FB0VMTPD087", "549300J43MRRHUL8JX64"
GLEIF = "506700GE1G29325QX363"

# every direct and ultimate consolidation of the sample, parent -> child, with its period start
SAMPLE_LINKS = {
    (CITIGROUP, CITICORP, "direct_consolidation", "2017-10-02"),
    (CITIGROUP, CITICORP, "ultimate_consolidation", "2017-10-02"),
    (CITIBANK, EAGLE, "direct_consolidation", "2017-12-02"),
    (CITIGROUP, EAGLE, "ultimate_consolidation", "2017-12-02"),
    (CITICORP, CITIBANK, "direct_consolidation", "2017-10-02"),
    (CITIGROUP, CITIBANK, "ultimate_consolidation", "2017-10-02"),
    (BLACKROCK_US, BLACKROCK_GB, "international_branch", "2018-03-15"),
}


def _entities(recs) -> pd.DataFrame:
    return pd.concat(recs.entities, ignore_index=True)


def _links(recs) -> pd.DataFrame:
    return pd.concat(recs.links["DECLARED_CONTROL"], ignore_index=True)


@pytest.mark.parametrize("module", ["kg.loaders.gleif", "kg.loaders.gleif_rdf", "kg.loaders.gleif_csv",
                                    "kg.loaders.registry", "kg.values.lei"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# ------------------------------------------------------------------------------------------- RDF

def test_rdf_sample_gives_every_entity_with_lei_name_country_and_statuses():
    recs = load_sources([L1, L2])
    assert recs.rejects == [] and recs.warnings == []
    ents = _entities(recs).set_index("lei")
    assert len(ents) == 9
    assert ents.loc[CITIGROUP, "name"] == "Citigroup Inc."
    assert ents.loc[GLEIF, ["name", "country", "jurisdiction", "entity_status", "lei_status", "type"]].tolist() == [
        "Global Legal Entity Identifier Foundation", "CH", "CH", "ACTIVE", "ISSUED", "Firm"]
    assert ents.loc[EAGLE, "type"] == "Fund"  # a gleif-L1:Fund
    assert ents.loc[BLACKROCK_GB, "country"] == "GB"
    assert ents.loc[CITICORP, "source_record"] == "https://rdf.gleif.org/sample/L1/L-549300PSHWOM1D1JVL23"
    assert [(f.file, f.rows) for f in recs.files] == [("L1Data.ttl", 9), ("L2Data.ttl", 7)]


def test_rdf_consolidations_are_declared_control_parent_to_child_with_periods_and_no_share():
    links = _links(load_sources([L1, L2]))
    got = {(r.from_ref, r.to_ref, r.basis, str(r.start)) for r in links.itertuples()}
    assert got == SAMPLE_LINKS
    assert set(links["status"]) == {"ACTIVE"}
    assert links["end"].isna().all()
    assert "share" not in links and "share_min" not in links  # a consolidation says control, not a share
    direct = links[links["basis"] == "direct_consolidation"]
    assert set(direct["direct_or_indirect"]) == {"direct"}
    assert links[links["basis"] != "direct_consolidation"]["direct_or_indirect"].isna().all()


def test_kg_build_l1_l2_and_export_around_shows_direct_and_ultimate_parents(tmp_path, run):
    db = tmp_path / "db"
    res = run("build", L1, L2, "--db", db)
    assert res.exit_code == 0, res.output
    assert [ln.split() for ln in res.stdout.splitlines()[2:4]] == [
        ["L1Data.ttl", "gleif-rdf", "9", "0"], ["L2Data.ttl", "gleif-rdf", "7", "0"]]
    assert res.stdout.splitlines()[-1].startswith(f"built {db}: 9 entities, 7 links")
    out = tmp_path / "eagle"
    res = run("export", "--db", db, "--around", EAGLE, "--hops", "1", "--direction", "up", "--format", "csv", "-o", out)
    assert res.exit_code == 0, res.output
    with (out / "edges.csv").open(encoding="utf-8") as f:
        edges = {(r["source"].rsplit("/", 1)[-1], r["target"].rsplit("/", 1)[-1], r["rel_type"], r["basis"], r["start"],
                  r["status"]) for r in csv.DictReader(f)}
    assert edges == {(CITIBANK, EAGLE, "DECLARED_CONTROL", "direct_consolidation", "2017-12-02", "ACTIVE"),
                     (CITIGROUP, EAGLE, "DECLARED_CONTROL", "ultimate_consolidation", "2017-12-02", "ACTIVE"),
                     # every link between the selected entities comes along
                     (CITIGROUP, CITIBANK, "DECLARED_CONTROL", "ultimate_consolidation", "2017-10-02", "ACTIVE")}
    with (out / "nodes.csv").open(encoding="utf-8") as f:
        names = {r["lei"]: (r["name"], r["lei_status"], r["entity_status"]) for r in csv.DictReader(f)}
    assert names == {EAGLE: ("The Eagle Tax-Exempt Trust Series 20170009", "ISSUED", "ACTIVE"),
                     CITIBANK: ("Citibank, National Association", "ISSUED", "ACTIVE"),
                     CITIGROUP: ("Citigroup Inc.", "ISSUED", "ACTIVE")}


def test_every_sample_entity_is_linked_to_its_parents_in_the_store(tmp_path, run):
    db = tmp_path / "db"
    assert run("build", L1, L2, "--db", db).exit_code == 0
    q = """PREFIX kg: <https://w3id.org/accelerator-kg/ont#>
SELECT ?parent ?child ?basis ?start ?record WHERE {
  ?d kg:declaredController/kg:lei ?parent ; kg:declaredControlled/kg:lei ?child ;
     kg:basis ?basis ; kg:start ?start ; kg:sourceRecord ?record ; kg:status "ACTIVE" .
} ORDER BY ?record"""
    res = run("sparql", q, "--db", db, "--format", "csv")
    rows = list(csv.DictReader(res.stdout.splitlines()))
    assert {(r["parent"], r["child"], r["basis"], r["start"]) for r in rows} == SAMPLE_LINKS
    assert rows[0]["record"] == "https://rdf.gleif.org/sample/L2/R-549300J43MRRHUL8JX64-549300RK1FB0VMTPD087-I"


def _ttl(tmp_path, name, body) -> Path:
    p = tmp_path / name
    p.write_text("@prefix l1: <https://www.gleif.org/ontology/L1/> .\n"
                 "@prefix l2: <https://www.gleif.org/ontology/L2/> .\n"
                 "@prefix base: <https://www.gleif.org/ontology/Base/> .\n"
                 "@prefix d: <https://rdf.gleif.org/L1/> .\n" + body, encoding="utf-8")
    return p


def test_rdf_bad_values_are_rejected_naming_file_record_and_field(tmp_path):
    p = _ttl(tmp_path, "bad.ttl", """
d:L-506700GE1G29325QX364 a l1:LegalEntity ; l1:hasLegalName "Wrong Check Digits AG" .
d:L-506700GE1G29325QX363 a l1:LegalEntity .
<https://rdf.gleif.org/L2/R-1> a l2:DirectConsolidation ; l2:hasChild d:L-506700GE1G29325QX363 ;
    l2:hasParent <https://example.org/acme> ;
    l2:hasRelationshipPeriod [ base:hasStart "2018-13-01T00:00:00Z" ] .
""")
    recs = load_sources([p])
    assert [r.line() for r in recs.rejects] == [
        "bad.ttl:1:gleif-L1:LEI: value '506700GE1G29325QX364' is not a valid LEI (check digits should be '63', not '64'); "
        "expected 20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24",
        "bad.ttl:2:gleif-L1:hasLegalName: value '' is empty; expected the legal name (required)",
        "bad.ttl:3:gleif-L2:hasParent: value 'https://example.org/acme' is not a valid LEI (it has 24 characters, not 20); "
        "expected 20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24",
        "bad.ttl:3:gleif-base:hasStart: value '2018-13-01T00:00:00Z' is not a valid date (month 13 is out of range); "
        "expected YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月",
    ]
    assert recs.entities[0].empty and recs.links["DECLARED_CONTROL"][0].empty
    assert recs.counts() == [("bad.ttl", "gleif-rdf", 0, 3)]


def test_rdf_fund_relationships_are_counted_in_a_warning_not_loaded(tmp_path):
    p = _ttl(tmp_path, "funds.ttl", """
<https://rdf.gleif.org/L2/R-1> a l2:FundManagementRelationship ;
    l2:hasChild d:L-549300Z97UQPIB27EY09 ; l2:hasParent d:L-E57ODZWZ7FF32TWEFA76 .
""")
    recs = load_sources([p])
    assert recs.warnings == [
        "funds.ttl: 1 relationship record(s) not loaded (IS_FUND-MANAGED_BY 1): kg loads IS_DIRECTLY_CONSOLIDATED_BY, "
        "IS_ULTIMATELY_CONSOLIDATED_BY, IS_INTERNATIONAL_BRANCH_OF, and no ANNULLED or DUPLICATE records"]
    assert recs.links["DECLARED_CONTROL"][0].empty and recs.rejects == []
    assert recs.counts() == [("funds.ttl", "gleif-rdf", 0, 0)]


def test_gleif_rdf_without_data_is_a_warning(tmp_path):
    p = _ttl(tmp_path, "L1.ttl", "l1:Branch a <http://www.w3.org/2002/07/owl#Class> .\n")
    recs = load_sources([p])
    assert recs.warnings == ["L1.ttl: GLEIF RDF without legal entities or relationships "
                             "(an ontology or reporting exceptions?); nothing loaded"]
    assert recs.counts() == [("L1.ttl", "gleif-rdf", 0, 0)]


def test_rdf_that_is_not_gleif_is_a_one_line_error(tmp_path, run):
    p = tmp_path / "people.ttl"
    p.write_text('<https://example.org/a> <http://xmlns.com/foaf/0.1/name> "A" .\n', encoding="utf-8")
    res = run("build", p, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == (
        "Error: people.ttl: no GLEIF data in this RDF file; kg reads RDF in the GLEIF Level 1/Level 2 vocabularies "
        "(https://www.gleif.org/ontology/L1/, https://www.gleif.org/ontology/L2/) and tables in the canonical layout "
        "or a --mapping layout (see kg loaders)\n")


def test_rdf_syntax_error_is_a_one_line_error(tmp_path, run):
    p = tmp_path / "broken.nt"
    p.write_text("<https://www.gleif.org/ontology/L1/x> <p> .\n", encoding="utf-8")
    res = run("build", p, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == ("Error: broken.nt: not valid N-Triples (Parser error at line 1 column 43: The object of a "
                          "triple must be an IRI, a blank node or a literal (broken.nt, line 1))\n")


def test_rdf_in_other_syntaxes_reads_the_same(tmp_path):
    import pyoxigraph as ox

    quads = list(ox.parse(path=str(L2), format=ox.RdfFormat.TURTLE))
    nt = tmp_path / "L2Data.nt"
    nt.write_bytes(ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES))
    a = _links(load_sources([L1, L2]))
    b = _links(load_sources([L1, nt]))
    cols = ["from_ref", "to_ref", "basis", "start", "status"]
    assert sorted(map(tuple, a[cols].astype(str).values)) == sorted(map(tuple, b[cols].astype(str).values))


# ------------------------------------------------------------------------------ Golden Copy CSV

LEI_HEADER = ["LEI", "Entity.LegalName", "Entity.LegalName.xmllang", "Entity.OtherEntityNames.OtherEntityName.1",
              "Entity.LegalAddress.FirstAddressLine", "Entity.LegalAddress.City", "Entity.LegalAddress.Country",
              "Entity.LegalJurisdiction", "Entity.EntityCategory", "Entity.EntityStatus",
              "Registration.InitialRegistrationDate", "Registration.RegistrationStatus", "ConformityFlag"]
RR_HEADER = ["Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType", "Relationship.EndNode.NodeID",
             "Relationship.EndNode.NodeIDType", "Relationship.RelationshipType", "Relationship.RelationshipStatus",
             "Relationship.Period.1.startDate", "Relationship.Period.1.endDate", "Relationship.Period.1.periodType",
             "Relationship.Period.2.startDate", "Relationship.Period.2.endDate", "Relationship.Period.2.periodType",
             "Registration.RegistrationStatus", "Registration.ValidationSources"]
SHENZHEN = "300300ZHWQE8TLVMUD23"  # a made-up Chinese firm with a valid check pair


def _write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(header)
        for r in rows:
            w.writerow([r.get(h, "") for h in header])
    return path


def _golden_copy(tmp_path: Path) -> tuple[Path, Path]:
    lei = _write_csv(tmp_path / "20240101-0000-gleif-goldencopy-lei2-golden-copy.csv", LEI_HEADER, [
        {"LEI": CITIGROUP, "Entity.LegalName": "Citigroup Inc.", "Entity.LegalAddress.Country": "US",
         "Entity.LegalJurisdiction": "US-DE", "Entity.EntityCategory": "GENERAL", "Entity.EntityStatus": "ACTIVE",
         "Registration.RegistrationStatus": "ISSUED", "Entity.LegalName.xmllang": "en"},
        {"LEI": CITICORP, "Entity.LegalName": "Citicorp LLC", "Entity.LegalJurisdiction": "US-DE",
         "Entity.EntityStatus": "ACTIVE", "Registration.RegistrationStatus": "LAPSED"},
        {"LEI": SHENZHEN, "Entity.LegalName": "深圳市示例科技有限公司", "Entity.LegalName.xmllang": "zh",
         "Entity.LegalAddress.Country": "CN", "Entity.LegalJurisdiction": "CN",
         "Entity.EntityCategory": "RESIDENT_GOVERNMENT_ENTITY", "Entity.EntityStatus": "INACTIVE",
         "Registration.RegistrationStatus": "RETIRED"},
        {"LEI": EAGLE, "Entity.LegalName": "The Eagle Tax-Exempt Trust Series 20170009", "Entity.EntityCategory": "FUND",
         "Entity.LegalAddress.Country": "US", "Registration.RegistrationStatus": "ISSUED"},
    ])
    rr = _write_csv(tmp_path / "20240101-0000-gleif-goldencopy-rr-golden-copy.csv", RR_HEADER, [
        {"Relationship.StartNode.NodeID": CITICORP, "Relationship.StartNode.NodeIDType": "LEI",
         "Relationship.EndNode.NodeID": CITIGROUP, "Relationship.EndNode.NodeIDType": "LEI",
         "Relationship.RelationshipType": "IS_DIRECTLY_CONSOLIDATED_BY", "Relationship.RelationshipStatus": "ACTIVE",
         "Relationship.Period.1.startDate": "2017-01-01T00:00:00.000Z", "Relationship.Period.1.endDate": "2017-12-31T00:00:00.000Z",
         "Relationship.Period.1.periodType": "ACCOUNTING_PERIOD",
         "Relationship.Period.2.startDate": "2017-10-02T19:50:30.804Z", "Relationship.Period.2.periodType": "RELATIONSHIP_PERIOD",
         "Registration.RegistrationStatus": "PUBLISHED"},
        {"Relationship.StartNode.NodeID": EAGLE, "Relationship.EndNode.NodeID": CITIGROUP,
         "Relationship.RelationshipType": "IS_ULTIMATELY_CONSOLIDATED_BY", "Relationship.RelationshipStatus": "INACTIVE",
         "Relationship.Period.1.startDate": "2017-12-02T00:00:00+01:00", "Relationship.Period.1.endDate": "2020-06-30T00:00:00Z",
         "Relationship.Period.1.periodType": "RELATIONSHIP_PERIOD", "Registration.RegistrationStatus": "RETIRED"},
        {"Relationship.StartNode.NodeID": SHENZHEN, "Relationship.EndNode.NodeID": CITIGROUP,
         "Relationship.RelationshipType": "IS_DIRECTLY_CONSOLIDATED_BY", "Registration.RegistrationStatus": "ANNULLED"},
        {"Relationship.StartNode.NodeID": EAGLE, "Relationship.EndNode.NodeID": CITICORP,
         "Relationship.RelationshipType": "IS_FUND-MANAGED_BY", "Registration.RegistrationStatus": "PUBLISHED"},
    ])
    return lei, rr


def test_golden_copy_csv_entities_and_relationships(tmp_path):
    lei, rr = _golden_copy(tmp_path)
    recs = load_sources([lei, rr])
    assert recs.rejects == []
    ents = _entities(recs).set_index("lei")
    assert ents.loc[CITIGROUP, ["name", "country", "jurisdiction", "entity_status", "lei_status", "type", "row"]].tolist() == [
        "Citigroup Inc.", "US", "US-DE", "ACTIVE", "ISSUED", "Firm", 2]
    assert ents.loc[CITICORP, "country"] == "US"  # no legal address country: the jurisdiction's
    assert ents.loc[SHENZHEN, ["name_zh", "type", "entity_status", "lei_status"]].tolist() == [
        "深圳市示例科技有限公司", "GovernmentBody", "INACTIVE", "RETIRED"]
    assert ents.loc[CITIGROUP, "name_zh"] is None
    assert ents.loc[EAGLE, "type"] == "Fund"
    links = _links(recs)
    assert [(r.from_ref, r.to_ref, r.basis, str(r.start), str(r.end), r.status, r.row) for r in links.itertuples()] == [
        (CITIGROUP, CITICORP, "direct_consolidation", "2017-10-02", "None", "ACTIVE", 2),  # the relationship period
        (CITIGROUP, EAGLE, "ultimate_consolidation", "2017-12-02", "2020-06-30", "INACTIVE", 3),
    ]
    assert "share" not in links
    assert recs.warnings == [
        f"{rr.name}: 2 relationship record(s) not loaded (ANNULLED records 1, IS_FUND-MANAGED_BY 1): kg loads "
        "IS_DIRECTLY_CONSOLIDATED_BY, IS_ULTIMATELY_CONSOLIDATED_BY, IS_INTERNATIONAL_BRANCH_OF, and no ANNULLED "
        "or DUPLICATE records"]
    assert recs.counts() == [(lei.name, "lei-cdf", 4, 0), (rr.name, "rr-cdf", 2, 0)]  # 2 named in the warning


def test_golden_copy_csv_bad_rows_are_rejected_naming_file_row_and_column(tmp_path):
    lei = _write_csv(tmp_path / "lei.csv", LEI_HEADER, [
        {"LEI": CITIGROUP, "Entity.LegalName": "Citigroup Inc."},
        {"LEI": "6SHGI4ZSSLCXXQSBB39", "Entity.LegalName": "Short LEI"},
        {"LEI": CITICORP, "Entity.LegalName": ""},
        {"LEI": EAGLE, "Entity.LegalName": "Eagle", "Entity.EntityCategory": "TRUST"},
    ])
    rr = _write_csv(tmp_path / "rr.csv", RR_HEADER, [
        {"Relationship.StartNode.NodeID": CITICORP, "Relationship.EndNode.NodeID": "6SHGI4ZSSLCXXQSBB396",
         "Relationship.RelationshipType": "IS_DIRECTLY_CONSOLIDATED_BY"},
        {"Relationship.StartNode.NodeID": "CH-123", "Relationship.StartNode.NodeIDType": "NATURAL_PERSON",
         "Relationship.EndNode.NodeID": CITIGROUP, "Relationship.RelationshipType": "IS_DIRECTLY_CONSOLIDATED_BY"},
        {"Relationship.StartNode.NodeID": EAGLE, "Relationship.EndNode.NodeID": CITIGROUP,
         "Relationship.RelationshipType": "IS_ULTIMATELY_CONSOLIDATED_BY",
         "Relationship.Period.1.startDate": "someday", "Relationship.Period.1.periodType": "RELATIONSHIP_PERIOD"},
    ])
    recs = load_sources([lei, rr])
    lei_error = "expected 20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24"
    assert [r.line() for r in recs.rejects] == [
        f"lei.csv:3:LEI: value '6SHGI4ZSSLCXXQSBB39' is not a valid LEI (it has 19 characters, not 20); {lei_error}",
        "lei.csv:4:Entity.LegalName: value '' is empty; expected the legal name (required)",
        "lei.csv:5:Entity.EntityCategory: value 'TRUST' is not a GLEIF entity category; expected GENERAL, BRANCH, FUND, "
        "SOLE_PROPRIETOR, RESIDENT_GOVERNMENT_ENTITY, INTERNATIONAL_ORGANIZATION (or empty)",
        "rr.csv:3:Relationship.StartNode.NodeIDType: value 'NATURAL_PERSON' is not a node id type kg reads; "
        "expected LEI (the child must have an LEI)",
        "rr.csv:2:Relationship.EndNode.NodeID: value '6SHGI4ZSSLCXXQSBB396' is not a valid LEI (check digits should be "
        f"'95', not '96'); {lei_error}",
        "rr.csv:4:Relationship.Period.N.startDate (RELATIONSHIP_PERIOD): value 'someday' is not a date; "
        "expected YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月",
    ]
    assert recs.counts() == [("lei.csv", "lei-cdf", 1, 3), ("rr.csv", "rr-cdf", 0, 3)]


def test_golden_copy_reads_in_chunks_with_the_same_result(tmp_path, monkeypatch):
    lei, rr = _golden_copy(tmp_path)
    whole = load_sources([lei, rr])
    monkeypatch.setattr(gleif_csv, "CHUNK_ROWS", 1)
    chunked = load_sources([lei, rr])
    assert len(chunked.entities) == 4  # one frame per chunk
    pd.testing.assert_frame_equal(_entities(whole), _entities(chunked))
    pd.testing.assert_frame_equal(_links(whole), _links(chunked))
    assert whole.warnings == chunked.warnings


def test_zipped_golden_copy_reads_like_the_csv(tmp_path):
    lei, rr = _golden_copy(tmp_path)
    z = tmp_path / "lei2-golden-copy.csv.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as f:
        f.write(lei, lei.name)
    recs = load_sources([z, rr])
    assert len(_entities(recs)) == 4 and len(_links(recs)) == 2 and recs.rejects == []
    assert recs.counts()[0] == (z.name, "lei-cdf", 4, 0)


def test_forcing_gleif_csv_on_another_table_is_a_one_line_error(tmp_path, mini_dir):
    with pytest.raises(SourceError, match=r"^entities.csv:1: not a GLEIF Golden Copy CSV; expected the columns LEI "
                                          r"and Entity.LegalName \(LEI-CDF\) or Relationship.StartNode.NodeID, "
                                          r"Relationship.EndNode.NodeID, Relationship.RelationshipType \(RR-CDF\)$"):
        load_sources([mini_dir / "entities.csv"], loader="gleif-csv")


def test_gleif_and_a_canonical_folder_resolve_to_one_entity_per_lei(tmp_path, run):
    folder = tmp_path / "canonical"
    folder.mkdir()
    (folder / "entities.csv").write_text(
        "id,type,name,lei,country\n"
        f"citi,Firm,Citigroup,{CITIGROUP},US\n"
        "fund,GuidanceFund,Example Guidance Fund,,CN\n", encoding="utf-8")
    (folder / "ownership.csv").write_text("owner,owned,share\nfund,citi,0.01\n", encoding="utf-8")
    db = tmp_path / "db"
    res = run("build", folder, L1, L2, "--db", db)
    assert res.exit_code == 0, res.output
    assert f"built {db}: 10 entities" in res.stdout  # 9 GLEIF + the fund; Citigroup is one entity
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?name WHERE { "
         "?e kg:lei ?lei ; kg:name ?name ; ^kg:owned/kg:owner ?f ; ^kg:declaredController/kg:declaredControlled ?c . "
         "?c kg:lei ?child } ORDER BY ?name")
    res = run("sparql", q, "--db", db, "--format", "csv", "-p", "lei=" + CITIGROUP)
    assert sorted(set(res.stdout.splitlines()[1:])) == ["Citigroup", "Citigroup Inc."]


def test_strict_build_with_gleif_rejects_exits_2(tmp_path, run):
    p = _ttl(tmp_path, "bad.ttl", 'd:L-506700GE1G29325QX364 a l1:LegalEntity ; l1:hasLegalName "X" .\n')
    res = run("build", p, "--db", tmp_path / "db", "--strict")
    assert res.exit_code == 2
    assert "bad.ttl:1:gleif-L1:LEI: value '506700GE1G29325QX364' is not a valid LEI" in res.stderr
