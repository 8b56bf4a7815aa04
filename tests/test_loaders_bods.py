"""BODS 0.4 loader (kg/loaders/bods.py): the official examples import, recordStatus history,
share ranges, declared indirect interests, state bodies, one-line errors, and the state share
computed through imported chains."""

from __future__ import annotations

import csv
import datetime as dt
import doctest
import hashlib
import json
from pathlib import Path

import pytest

from kg.build import build
from kg.export import render
from kg.loaders import bods as bods_mod
from kg.loaders.sources import load_sources
from kg.rdf.read import read_links, read_nodes
from kg.rdf.store import open_store
from kg.sources import bods_schema, jsonstream
from kg.subgraph import Selection, around

# ../shared beside the checkout (CI lays a copy there), else the workplace's
SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.exists())
EXAMPLES = SHARED / Path("data/bods/examples")
PUB = {"publicationDate": "2024-01-31", "bodsVersion": "0.4", "publisher": {"name": "test registry"}}
F_USCC, SUB_USCC = "91350200776049653A", "9135021359498494XQ"


def statement(rid: str, rtype: str, details: dict, *, date="2024-01-31", status="new", n=0) -> dict:
    sid = hashlib.sha1(f"{rid}{date}{status}{n}".encode()).hexdigest()
    return {"statementId": sid, "declarationSubject": "firm", "statementDate": date, "recordId": rid,
            "recordType": rtype, "recordStatus": status, "publicationDetails": PUB, "recordDetails": details}


def entity(rid: str, name: str, kind="registeredEntity", uscc=None, **kw) -> dict:
    d = {"isComponent": False, "entityType": {"type": kind}, "name": name, **kw}
    if uscc:
        d["identifiers"] = [{"id": uscc, "scheme": "CN-SAIC", "schemeName": "Unified Social Credit Code"}]
    return statement(rid, "entity", d)


def rel(rid: str, party: str, subject: str, *interests: dict, **kw) -> dict:
    return statement(rid, "relationship", {"isComponent": False, "subject": subject, "interestedParty": party,
                                           "interests": list(interests)}, **kw)


def holding(pct=None, direct="direct", **kw) -> dict:
    i = {"type": "shareholding", "directOrIndirect": direct, **kw}
    if pct is not None:
        i["share"] = {"exact": pct}
    return i


def write_jsonl(path: Path, statements: list[dict]) -> Path:
    path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in statements), encoding="utf-8")
    return path


def test_doctests():
    for mod in (bods_mod, bods_schema, jsonstream):
        assert doctest.testmod(mod).failed == 0, mod.__name__


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_every_official_example_imports_without_rejects(name):
    recs = load_sources([EXAMPLES / name])
    assert recs.rejects == []
    assert recs.files[0].rows == len(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    assert recs.entities  # every example has a party


def test_all_examples_build_and_conform(tmp_path, run):
    db = tmp_path / "db"
    res = run("build", EXAMPLES, "--db", db)
    assert res.exit_code == 0, res.output
    assert "fermcat.json" in res.stdout and "statements" in res.stdout
    assert "listed-company-exempt-from-disclosure.json:2: statement 5b7273f7-6ca1-40f3-9146-646ce0f8b03e: " \
           "the interested party is not disclosed (subjectExemptFromDisclosure); no link made" in res.stderr
    # the examples are separate stories about the same "Company A": built together, its shares
    # from several files sum over 100%; Tecido's trust reaches 80% two days before Maria's 30%
    # ends. Both are kept, listed by kg conflicts and flagged by kg validate
    res = run("validate", "--db", db, "--format", "csv")
    assert res.exit_code == 1 and res.stderr == "2 violation(s)\n"
    assert sorted(line.split(",")[1] for line in res.stdout.splitlines()[1:]) == [
        "id:entity/01B68D7633", "id:entity/1e049760d6c7"]


def test_record_status_history_in_statement_date_order():
    recs = load_sources([EXAMPLES / "tecido.json"])
    owns = recs.links["OWNS"][0]
    maria = owns[owns["from_ref"] == "018AF6B3EB"]
    got = [(r.share, str(r.start), str(r.end), r.row) for r in maria.itertuples()]
    # new 100% (from 2002), updated to 40% from 2021-09-24, to 30% from 2022-09-21, closed 2023-03-03
    assert got == [(1.0, "2002-03-09", "2021-09-23", 3), (0.4, "2021-09-24", "2022-09-20", 6),
                   (0.3, "2022-09-21", "2023-03-02", 8)]
    sids = [s["statementId"] for s in json.loads((EXAMPLES / "tecido.json").read_text(encoding="utf-8"))]
    assert maria["source_record"].tolist() == [sids[2], sids[5], sids[7]]
    trust = owns[owns["from_ref"] == "033E84672B"]
    assert [(r.share, str(r.start), r.end and str(r.end)) for r in trust.itertuples()] == [
        (0.6, "2021-09-24", "2022-09-20"), (0.7, "2022-09-21", "2023-02-28"), (0.8, "2023-03-01", None)]
    ctrl = recs.links["DECLARED_CONTROL"][0]
    assert set(ctrl["basis"]) == {"voting_rights", "board_chair"}
    # the closed person keeps the attributes of her last statement
    ents = recs.entities[0].set_index("id")
    assert ents.loc["018AF6B3EB", "type"] == "Person" and ents.loc["018AF6B3EB", "name"] == "Maria Esteves"


def test_closed_with_end_date_and_transfer_on_the_same_day():
    owns = load_sources([EXAMPLES / "fermcat.json"]).links["OWNS"][0]
    riyadh = owns[owns["from_ref"] == "per-5faa4103dee78621"]
    declan = owns[owns["from_ref"] == "per-e334cc6258e56467"]
    assert str(riyadh["end"].iloc[-1]) == "2021-04-02"  # endDate 2021-04-03: the first day no longer held
    assert str(declan["start"].iloc[0]) == "2021-04-03" and str(declan["end"].iloc[-1]) == "2022-01-20"


def test_ranges_stay_ranges_and_indirect_interests_stay_declarations(tmp_path):
    recs = load_sources([EXAMPLES / "bods-package-entity-owning-entity.json", EXAMPLES / "indirect-ownership.json"])
    owns = {r.source_record: r for f in recs.links["OWNS"] for r in f.itertuples()}
    jenex = next(r for r in owns.values() if r.to_ref == "12b7dd0770ce")
    assert (jenex.share, jenex.share_min, jenex.share_max, jenex.direct_or_indirect) == (None, 0.75, 1.0, "direct")
    person = next(r for r in owns.values() if r.from_ref == "c25d4d612c2c")
    assert (person.share, person.direct_or_indirect) == (0.3, "indirect")
    db = tmp_path / "db"
    build([EXAMPLES / "bods-package-entity-owning-entity.json", EXAMPLES / "indirect-ownership.json"], db)
    stored = read_links(open_store(db), "OWNS")
    rng = stored[stored["share_min"].notna()].iloc[0]
    assert (rng["share"], rng["share_min"], rng["share_max"]) == (None, 0.75, 1.0)
    assert set(stored["direct_or_indirect"]) == {"direct", "indirect"}


def test_state_body_owning_a_firm_directly_and_through_a_subsidiary_holds_all_of_it(tmp_path, run):
    """The issue's check: 76.5% directly and the rest through a wholly owned subsidiary is 100%."""
    src = tmp_path / "bods"
    src.mkdir()
    write_jsonl(src / "chain.jsonl", [
        entity("sasac", "Fujian SASAC", kind="stateBody", jurisdiction={"name": "China", "code": "CN"}),
        entity("firm", "Xiamen Servo Co.", uscc=F_USCC, alternateNames=["厦门伺服有限公司"]),
        entity("sub", "Fujian Holding Co.", uscc=SUB_USCC),
        rel("r1", "sasac", "firm", holding(76.5, startDate="2019-01-01")),
        rel("r2", "sasac", "sub", holding(100)),
        rel("r3", "sub", "firm", holding(23.5)),
        rel("r4", "sasac", "firm", holding(23.5, direct="indirect")),  # declared: not computed again
    ])
    # the same firm from a canonical table, by its USCC: one entity
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "entities.csv").write_text(f"id,type,name,uscc,province\nxm-servo,Firm,厦门伺服有限公司,{F_USCC},Fujian\n", encoding="utf-8")
    db = tmp_path / "db"
    report = build([src, tables], db)
    assert report.rejects == [] and report.entities == 3
    store = open_store(db)
    nodes = read_nodes(store).set_index("iri")
    firm = nodes.loc[f"https://w3id.org/accelerator-kg/id/uscc/{F_USCC}"]
    from kg.subgraph import derived_at

    state = derived_at(store, f"https://w3id.org/accelerator-kg/id/uscc/{F_USCC}", dt.date.today())[0]
    assert state["state_share"] == pytest.approx(1.0) and state["state_controlled"]
    assert firm["name_zh"] == "厦门伺服有限公司" and firm["province"] == "Fujian"
    assert nodes.loc["https://w3id.org/accelerator-kg/id/entity/sasac", "labels"] == ("GovernmentBody",)
    integ = read_links(store, "ULTIMATELY_OWNS")
    row = integ[(integ["from"].str.endswith("/sasac")) & (integ["to"].str.endswith(F_USCC))]
    # through the subsidiary alone (23.5%) until the direct 76.5% starts on 2019-01-01, then all of it
    periods = sorted((str(r["valid_from"] or ""), r["share"]) for r in row.to_dict("records"))
    assert periods == [("", pytest.approx(0.235)), ("2019-01-01", pytest.approx(1.0))]
    # the canned query shows the declared indirect holding beside the computed share
    res = run("query", "run", "declared-vs-computed", "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output
    assert [(r["firm_name"], r["owner_name"], r["declared_share"], r["computed_share"]) for r in json.loads(res.stdout)] == [
        ("Xiamen Servo Co.", "Fujian SASAC", 0.235, 1.0)]


def test_source_record_and_statement_numbers_are_stored(tmp_path):
    db = tmp_path / "db"
    build([EXAMPLES / "bods-package.json"], db)
    from kg.rdf.nquads import split_row_iri

    # an ownership link node (no rdf:type in the store: its role properties say it) is named by
    # its row (kg:rowInIri) and carries the BODS statement id as kg:sourceRecord
    q = ("SELECT ?l ?r WHERE { ?l <https://w3id.org/accelerator-kg/ont#owner> ?o ; "
         "<https://w3id.org/accelerator-kg/ont#sourceRecord> ?r }")
    got = [(s["r"].value, split_row_iri(s["l"].value)[1]) for s in open_store(db).query(q, use_default_graph_as_union=True)]
    sid = json.loads((EXAMPLES / "bods-package.json").read_text(encoding="utf-8"))[2]["statementId"]
    assert got == [(sid, 3)]


def test_a_json_array_and_json_lines_give_the_same_records(tmp_path):
    stmts = json.loads((EXAMPLES / "tecido.json").read_text(encoding="utf-8"))
    a = load_sources([EXAMPLES / "tecido.json"])
    b = load_sources([write_jsonl(tmp_path / "tecido.jsonl", stmts)])
    for x, y in zip(a.links["OWNS"][0].itertuples(index=False), b.links["OWNS"][0].itertuples(index=False), strict=True):
        assert x[:8] == y[:8]


def test_bad_statements_get_one_line_errors_naming_file_statement_and_field(tmp_path, run):
    good = [entity("firm", "Firm A", uscc=F_USCC), entity("owner", "Owner B")]
    bad_share = rel("r1", "owner", "firm", holding(150))
    bad_uscc = entity("fake", "Fake Co.", uscc="91350200776049653B")
    no_party = rel("r2", "ghost", "firm", holding(10))
    path = tmp_path / "bad.jsonl"
    write_jsonl(path, [*good, bad_share, bad_uscc, no_party])
    with path.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    res = run("build", path, "--db", tmp_path / "db")
    assert res.exit_code == 0
    with (tmp_path / "db" / "rejects.csv").open(encoding="utf-8") as f:
        rejects = [tuple(r.values()) for r in csv.DictReader(f)]
    sid = bad_share["statementId"]
    assert rejects == [
        ("bad.jsonl", "3", "recordDetails.interests[0].share.exact", "150",
         f"statement {sid}: 150 is greater than the maximum of 100 (BODS 0.4 schema)"),
        ("bad.jsonl", "4", "recordDetails.identifiers[0].id", "91350200776049653B",
         f"statement {bad_uscc['statementId']}: value '91350200776049653B' is not a valid USCC (check character should "
         "be 'A', not 'B'); expected 18 characters from 0-9 and A-Z except I, O, S, V, Z, e.g. 91350200776049653A"),
        ("bad.jsonl", "5", "recordDetails.interestedParty", "ghost",
         "value 'ghost' is not a known entity; expected an id, USCC, LEI or ticker from the entities table, or an entity's exact name"),
        ("bad.jsonl", "6", "json", "",
         "line is not JSON (Expecting property name enclosed in double quotes); expected one BODS statement per line"),
    ]
    strict = run("build", path, "--db", tmp_path / "db2", "--strict")
    assert strict.exit_code == 2
    assert (f"First: bad.jsonl:3:recordDetails.interests[0].share.exact: statement {sid}: "
            "150 is greater than the maximum of 100 (BODS 0.4 schema)") in strict.stderr


def test_missing_fields_and_bad_dates_name_the_field(tmp_path):
    st = entity("firm", "Firm A")
    del st["recordDetails"]["isComponent"]
    st2 = entity("firm2", "Firm B")
    st2["statementDate"] = "31.01.2024"
    recs = load_sources([write_jsonl(tmp_path / "x.jsonl", [st, st2])])
    assert [r.line() for r in recs.rejects] == [
        f"x.jsonl:1:recordDetails.isComponent: statement {st['statementId']}: is required (BODS 0.4 schema)",
        f"x.jsonl:2:statementDate: statement {st2['statementId']}: \"31.01.2024\" is not a date; expected YYYY-MM-DD "
        "or a date-time such as 2024-01-31T12:00:00Z (BODS 0.4 schema)",
    ]


def test_a_folder_reads_its_bods_files_and_says_which_json_it_skips(tmp_path):
    (tmp_path / "pkg.json").write_text((EXAMPLES / "bods-package.json").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "manifest.json").write_text('{"files": ["pkg.json"]}', encoding="utf-8")
    recs = load_sources([tmp_path])
    assert [f.file for f in recs.files] == ["pkg.json"] and recs.rejects == []
    assert recs.warnings == [f"{tmp_path}: skipped 1 file(s) no loader reads: manifest.json (see kg loaders)"]


def test_older_bods_and_broken_arrays_stop_with_one_line(tmp_path, run):
    old = tmp_path / "old.json"
    old.write_text(json.dumps([{"statementID": "x" * 32, "statementType": "entityStatement"}]), encoding="utf-8")
    res = run("build", old, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr.strip().endswith("old.json:1: statement uses statementType (BODS 0.2/0.3); kg reads BODS 0.4 "
                                       "(recordType and recordDetails)")
    broken = tmp_path / "broken.json"
    text = (EXAMPLES / "bods-package.json").read_text(encoding="utf-8")
    broken.write_text(text[: text.rindex("}")], encoding="utf-8")
    res = run("build", broken, "--db", tmp_path / "db")
    assert res.exit_code == 2 and "broken.json:3: record 3 is not valid JSON" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_export_then_import_gives_the_same_ownership(sample_db, tmp_path):
    sub = around(open_store(sample_db), "tianyu-motion", Selection(hops=3, direction="up", links=("OWNS",)))
    path = tmp_path / "export.json"
    path.write_bytes(render(sub, "bods"))
    db = tmp_path / "db"
    report = build([path], db, derive=False)
    assert report.rejects == []
    back = read_links(open_store(db), "OWNS")
    want = {(r["from"], r["to"], round(r["share"], 8), r.get("start"), r.get("end")) for _, r in sub.edges_of("OWNS")}
    got = {(r["from"], r["to"], round(r["share"], 8), r["start"], r["end"]) for r in back.to_dict("records")}
    assert got == want
    parties = read_nodes(open_store(db), types=("Firm", "Bank", "Fund", "GuidanceFund", "GovernmentBody", "Person"))
    assert set(parties["iri"]) == set(sub.nodes["iri"])


def test_record_status_applies_across_files(tmp_path):
    """A register publishes its updates in later files: an `updated` or `closed` statement in
    the second file replaces or ends the record of the first, as if both were one file."""
    stmts = json.loads((EXAMPLES / "tecido.json").read_text(encoding="utf-8"))
    first = [s for s in stmts if s["statementDate"] < "2022-01-01"]
    later = [s for s in stmts if s["statementDate"] >= "2022-01-01"]
    assert first and later
    (tmp_path / "a-2021.json").write_text(json.dumps(first), encoding="utf-8")
    (tmp_path / "b-2023.json").write_text(json.dumps(later), encoding="utf-8")
    whole = load_sources([EXAMPLES / "tecido.json"])
    split = load_sources([tmp_path])

    def owns(recs):
        return sorted((r.from_ref, r.to_ref, r.share, str(r.start), str(r.end), r.source_record)
                      for f in recs.links["OWNS"] for r in f.itertuples())

    assert owns(split) == owns(whole)
    maria = sorted((o for o in owns(split) if o[0] == "018AF6B3EB"), key=lambda o: o[3])
    assert [(o[2], o[3], o[4]) for o in maria] == [(1.0, "2002-03-09", "2021-09-23"), (0.4, "2021-09-24", "2022-09-20"),
                                                   (0.3, "2022-09-21", "2023-03-02")]
    # each fact names the file its statement came from
    by_sid = {r.source_record: r.file for f in split.links["OWNS"] for r in f.itertuples()}
    assert {by_sid[s["statementId"]] for s in later if s["statementId"] in by_sid} == {"b-2023.json"}
    assert {by_sid[s["statementId"]] for s in first if s["statementId"] in by_sid} == {"a-2021.json"}


def test_an_interest_ending_before_it_starts_is_rejected_naming_file_record_and_field(tmp_path):
    f = write_jsonl(tmp_path / "bad-dates.jsonl", [
        entity("firm", "Firm A", uscc=F_USCC),
        entity("owner", "Owner B"),
        rel("r1", "owner", "firm", holding(60, startDate="2021-01-01", endDate="2020-07-01")),
        rel("r2", "owner", "firm", holding(30, startDate="2019-01-01", endDate="2020-01-01")),
    ])
    recs = load_sources([f])
    assert [r.line() for r in recs.rejects] == [
        "bad-dates.jsonl:3:end: value '2020-06-30' is not on or after the start '2021-01-01' (field start); "
        "expected an end date on or after the start date, or no end date"]
    kept = recs.links["OWNS"][0]
    assert kept["share"].tolist() == [0.3] and recs.counts() == [("bad-dates.jsonl", "statements", 3, 1)]
