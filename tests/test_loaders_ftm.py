"""FollowTheMoney loader (kg/loaders/ftm.py): what `kg export --format ftm` writes, `kg build`
reads back to the same graph; FtM data from elsewhere maps by schema; bad entities get
one-line errors naming file, line, entity and property."""

from __future__ import annotations

import csv
import doctest
import json
from collections import Counter
from pathlib import Path

import pytest

from kg.build import build
from kg.export import render
from kg.loaders import ftm as ftm_mod
from kg.loaders.sources import load_sources
from kg.rdf.read import read_links, read_nodes
from kg.rdf.store import open_store
from kg.subgraph import Selection, around

# ../shared beside the checkout (CI lays a copy there), else the workplace's
SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.exists())
EXAMPLES = SHARED / Path("data/bods/examples")
PARTIES = ("Firm", "Bank", "Fund", "GuidanceFund", "GovernmentBody", "Person")
PROVENANCE = ("iri", "source", "source_file", "source_row")


def write_lines(path: Path, entities: list[dict]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities), encoding="utf-8")
    return path


# FtM has no schema for a year's financial facts (kg's REPORTED) or a certification: what
# derives from them (size classes) is not carried
NOT_IN_FTM = ("size_class", "size_year", "size_employees", "size_revenue")


def same_graph(original, rebuilt, links: tuple[str, ...]) -> None:
    """Every party of the rebuilt graph is in the original with the same values (derived ones
    too), and the links of each kind are the same (ends and values; provenance aside)."""
    nb = read_nodes(rebuilt, types=PARTIES).set_index("iri").sort_index()
    na = read_nodes(original, iris=list(nb.index), types=PARTIES).set_index("iri").sort_index()
    na = na.drop(columns=[c for c in NOT_IN_FTM if c in na])
    assert list(na.index) == list(nb.index)
    assert list(na.columns) == list(nb.columns)
    for col in na.columns:
        assert na[col].tolist() == nb[col].tolist(), col
    for rel in links:
        la, lb = read_links(original, rel), read_links(rebuilt, rel)
        la = la[la["from"].isin(nb.index)]
        cols = [c for c in la.columns if c not in PROVENANCE]
        assert len(lb) and sorted(map(str, la[cols].to_dict("records"))) == sorted(map(str, lb[cols].to_dict("records"))), rel


def test_doctests():
    assert doctest.testmod(ftm_mod).failed == 0


def test_export_of_the_sample_builds_back_into_the_same_graph(sample_db, tmp_path):
    store = open_store(sample_db)
    sub = around(store, "mof", Selection(hops=6, direction="both", limit=5000,
                                         links=("OWNS", "FUNDED", "LISTED_ON", "CONTROLS", "ULTIMATELY_OWNS")))
    path = tmp_path / "sample.ftm.jsonl"
    path.write_bytes(render(sub, "ftm"))
    db = tmp_path / "db"
    report = build([path], db)
    assert report.rejects == []
    derived = Counter(rel for rel, _ in sub.edges() if rel in ("CONTROLS", "ULTIMATELY_OWNS"))
    exchanges = sum("Exchange" in r["labels"] for r in sub.node_rows())
    assert report.warnings == [
        f"sample.ftm.jsonl: skipped {exchanges} entities kg does not read: Organization (kg reference Exchange) ({exchanges})",
        f"sample.ftm.jsonl: skipped {derived.total()} links derived by accelerator-kg (kg derives them again): "
        f"Ownership ({derived['ULTIMATELY_OWNS']}), UnknownLink ({derived['CONTROLS']})"]
    assert report.entities == len(read_nodes(store, iris=list(sub.nodes["iri"]), types=PARTIES)) > 50
    same_graph(store, open_store(db), ("OWNS", "FUNDED", "LISTED_ON", "ULTIMATELY_OWNS", "CONTROLS"))


def test_ranges_histories_and_declared_control_survive_the_round_trip(tmp_path):
    foreign = write_lines(tmp_path / "directors.ftm.jsonl", [
        {"id": "d1", "schema": "Directorship", "properties": {"director": ["018AF6B3EB"], "organization": ["01B68D7633"],
                                                              "role": ["chair of the board"], "startDate": ["2019-06"]}},
    ])
    db = tmp_path / "db"
    build([EXAMPLES / "tecido.json", EXAMPLES / "bods-package-entity-owning-entity.json", foreign], db)
    store = open_store(db)
    path = tmp_path / "out.ftm.jsonl"
    for ref in ("01B68D7633", "12b7dd0770ce"):
        sub = around(store, ref, Selection(hops=2, links=("OWNS", "DECLARED_CONTROL")))
        with path.open("ab") as f:
            f.write(render(sub, "ftm"))
    db2 = tmp_path / "db2"
    assert build([path], db2).rejects == []
    same_graph(store, open_store(db2), ("OWNS", "DECLARED_CONTROL"))
    ctrl = read_links(open_store(db2), "DECLARED_CONTROL")
    director = ctrl[ctrl["basis"] == "directorship"].iloc[0]
    assert (director["role"], director["start"], director["start_precision"]) == ("chair of the board", "2019-06-01", "month")


def test_foreign_ftm_maps_by_schema(tmp_path, run):
    path = write_lines(tmp_path / "os.ftm.jsonl", [
        {"id": "gov-1", "schema": "PublicBody", "properties": {"name": ["Xiamen SASAC", "厦门市国资委"], "country": ["cn"]}},
        {"id": "co-1", "schema": "Company", "properties": {"name": ["Xiamen Servo Co."], "uscCode": ["91350200776049653A"],
                                                          "incorporationDate": ["2008"], "topics": ["gov.soe"],
                                                          "leiCode": ["5493001KJTIIGC8Y1R12"]}},
        {"id": "org-1", "schema": "Organization", "properties": {"name": ["Some Association"]}},
        {"id": "le-1", "schema": "LegalEntity", "properties": {"name": ["Some Holder"], "jurisdiction": ["hk"]}},
        {"id": "p-1", "schema": "Person", "properties": {"name": ["Zhang San"]}},
        {"id": "own-1", "schema": "Ownership", "properties": {"owner": ["gov-1"], "asset": ["co-1"], "percentage": ["76.5%"],
                                                             "startDate": ["2019-01-01"], "ownershipType": ["direct"]}},
        {"id": "own-2", "schema": "Ownership", "properties": {"owner": ["le-1"], "asset": ["co-1"], "percentage": ["0.5"]}},
        {"id": "own-3", "schema": "Ownership", "properties": {"owner": ["p-1"], "asset": ["co-1"], "percentage": ["10-25"]}},
        {"id": "dir-1", "schema": "Directorship", "properties": {"director": ["p-1"], "organization": ["co-1"], "role": ["director"],
                                                                "endDate": ["2022"]}},
        {"id": "pay-1", "schema": "Payment", "properties": {"payer": ["gov-1"], "beneficiary": ["co-1"], "amount": ["5000000"],
                                                           "currency": ["cny"], "date": ["2021-05-01"], "purpose": ["Subsidy"]}},
        {"id": "pay-2", "schema": "Payment", "properties": {"payer": ["org-1"], "beneficiary": ["co-1"], "purpose": ["membership fee"]}},
        {"id": "debt-1", "schema": "Debt", "properties": {"creditor": ["org-1"], "debtor": ["co-1"], "amount": ["1e6"]}},
        {"id": "addr-1", "schema": "Address", "properties": {"full": ["Xiamen"]}},
    ])
    recs = load_sources([path])
    assert recs.rejects == []
    assert recs.warnings == ["os.ftm.jsonl: skipped 1 entities kg does not read: Address (1)"]
    ents = recs.entities[0].set_index("id")
    assert ents["type"].to_dict() == {"gov-1": "GovernmentBody", "co-1": "Firm", "org-1": "Firm", "le-1": "Firm", "p-1": "Person"}
    assert ents.loc["gov-1", "name_zh"] == "厦门市国资委" and ents.loc["le-1", "country"] == "HK"
    co = ents.loc["co-1"]
    assert (co["uscc"], co["lei"], str(co["founded"]), co["state_owned"]) == \
        ("91350200776049653A", "5493001KJTIIGC8Y1R12", "2008", True)
    owns = recs.links["OWNS"][0].set_index("source_record")
    assert owns.loc["own-1", ["share", "direct_or_indirect"]].tolist() == [0.765, "direct"]
    assert owns.loc["own-2", "share"] == 0.005  # FtM percentages are percent: 0.5 is half a percent
    assert owns.loc["own-3", ["share", "share_min", "share_max"]].tolist() == [None, 0.1, 0.25]
    ctrl = recs.links["DECLARED_CONTROL"][0].iloc[0]
    assert (ctrl["from_ref"], ctrl["to_ref"], ctrl["basis"], ctrl["role"], str(ctrl["end"])) == ("p-1", "co-1", "directorship", "director", "2022")
    funded = recs.links["FUNDED"][0].set_index("source_record")
    assert funded.loc["pay-1", ["instrument", "amount", "currency"]].tolist() == ["subsidy", 5000000.0, "CNY"]
    assert funded.loc["pay-2", "instrument"] is None and funded.loc["debt-1", ["instrument", "amount"]].tolist() == ["loan", 1e6]
    db = tmp_path / "db"
    assert build([path], db).rejects == []
    firm = read_nodes(open_store(db)).set_index("iri").loc["https://w3id.org/accelerator-kg/id/uscc/91350200776049653A"]
    assert firm["state_owned"] is True and firm["labels"] == ("Firm",)
    assert run("validate", "--db", db).exit_code == 0  # a range, a payment of no known instrument: both conform


@pytest.mark.parametrize("entity,line", [
    ({"id": "o", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"], "percentage": ["about half"]}},
     "bad.jsonl:1:properties.percentage: entity o: value 'about half' is not a percentage; expected percent text such as "
     "51, 51%, 0.5 (half a percent) or a range 25-50"),
    ({"id": "o", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"], "percentage": ["130"]}},
     "bad.jsonl:1:properties.percentage: entity o: value '130' is not a percentage between 0 and 100 (a range low-high); "
     "expected percent text such as 51, 51%, 0.5 (half a percent) or a range 25-50"),
    ({"id": "o", "schema": "Ownership", "properties": {"owner": ["a"]}},
     "bad.jsonl:1:properties.asset: entity o: is empty; expected the asset (FollowTheMoney Ownership requires it)"),
    ({"id": "c", "schema": "Company", "properties": {"uscCode": ["91350200776049653A"]}},
     "bad.jsonl:1:properties.name: entity c: is empty; expected the name (FollowTheMoney Company requires it)"),
    ({"id": "c", "schema": "Company", "properties": {"name": ["A"], "uscCode": ["91350200776049653B"]}},
     "bad.jsonl:1:properties.uscCode: entity c: value '91350200776049653B' is not a valid USCC (check character should be 'A', "
     "not 'B'); expected 18 characters from 0-9 and A-Z except I, O, S, V, Z, e.g. 91350200776049653A"),
    ({"id": "c", "schema": "Company", "properties": {"name": ["A"], "incorporationDate": ["yesterday"]}},
     "bad.jsonl:1:properties.incorporationDate: entity c: value 'yesterday' is not a valid date (FollowTheMoney "
     "Company.incorporationDate); expected a date such as 2019, 2019-06 or 2019-06-22"),
    ({"id": "c", "schema": "Firma", "properties": {"name": ["A"]}},
     "bad.jsonl:1:schema: entity c: value 'Firma' is not a FollowTheMoney schema; expected Company, Organization, "
     "LegalEntity, PublicBody, Person, Ownership, Directorship, Payment, Debt, ..."),
])
def test_bad_entities_get_one_line_errors(tmp_path, entity, line):
    recs = load_sources([write_lines(tmp_path / "bad.jsonl", [entity])])
    assert [r.line() for r in recs.rejects] == [line]


def test_bad_lines_and_unknown_references_are_rejected_not_dropped(tmp_path, run):
    path = write_lines(tmp_path / "bad.jsonl", [
        {"id": "c", "schema": "Company", "properties": {"name": ["A"], "nickname": ["x"]}},
        {"id": "o", "schema": "Ownership", "properties": {"owner": ["ghost"], "asset": ["c"], "percentage": ["50"]}},
    ])
    with path.open("a", encoding="utf-8") as f:
        f.write("[1, 2\n")
    res = run("build", path, "--db", tmp_path / "db")
    assert res.exit_code == 0
    assert "warning: bad.jsonl: ignored properties not in their FollowTheMoney schema: Company.nickname (1)" in res.stderr
    with (tmp_path / "db" / "rejects.csv").open(encoding="utf-8") as f:
        rows = [(r["row"], r["column"], r["reason"]) for r in csv.DictReader(f)]
    assert rows == [
        ("2", "properties.owner|director|payer|creditor|issuer",
         "value 'ghost' is not a known entity; expected an id, USCC, LEI or ticker from the entities table, or an entity's exact name"),
        ("3", "json", "line is not JSON (Expecting ',' delimiter); expected one FollowTheMoney entity per line"),
    ]
