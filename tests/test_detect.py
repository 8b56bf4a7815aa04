"""Format detection for `kg build FILE|DIR ...`, `--loader NAME`, `--loader-param`, `kg loaders`,
and files that cannot be read (never silently left out)."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from kg.loaders import registry
from kg.loaders.registry import LOADERS, Loader, by_name, pick
from kg.loaders.sources import load_sources
from kg.records import FileCount

RDF = Path(__file__).parent / "fixtures" / "gleif-rdf"
LEI_HEAD = b'"LEI","Entity.LegalName","Entity.LegalName.xmllang","Entity.LegalAddress.Country"\r\n'
RR_HEAD = b'"Relationship.StartNode.NodeID","Relationship.StartNode.NodeIDType","Relationship.EndNode.NodeID",' \
          b'"Relationship.EndNode.NodeIDType","Relationship.RelationshipType"\n'


def _zip(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, data)
    return path


@pytest.mark.parametrize(("name", "head", "loader"), [
    ("entities.csv", b"id,type,name\n", "tabular"),
    ("企业名单.xlsx", b"PK\x03\x04", "tabular"),
    ("lei2-golden-copy.csv", LEI_HEAD, "gleif-csv"),
    ("rr-golden-copy.csv", b"\xef\xbb\xbf" + RR_HEAD, "gleif-csv"),
    ("L1Data.ttl", b"@prefix gleif-L1: <https://www.gleif.org/ontology/L1/> .", "gleif-rdf"),
    ("dump.nq", b"<a> <b> <c> <d> .", "gleif-rdf"),
    ("notes.docx", b"PK\x03\x04", None),
])
def test_pick_by_suffix_and_content(tmp_path, name, head, loader):
    p = tmp_path / name
    p.write_bytes(head)
    chosen = pick(p, head)
    assert (chosen.name if chosen else None) == loader


def test_zipped_golden_copy_is_recognised_inside_the_zip(tmp_path):
    gc = _zip(tmp_path / "lei2.csv.zip", "20240101-gleif-goldencopy-lei2-golden-copy.csv", LEI_HEAD)
    other = _zip(tmp_path / "photos.zip", "a.csv", b"x,y\n")
    assert pick(gc, gc.read_bytes()[:100]).name == "gleif-csv"
    assert pick(other, other.read_bytes()[:100]) is None


def test_the_generic_table_reader_comes_last_whatever_the_registry_order(tmp_path, monkeypatch):
    p = tmp_path / "lei.csv"
    p.write_bytes(LEI_HEAD)
    monkeypatch.setattr(registry, "LOADERS", list(reversed(LOADERS)))
    assert pick(p, LEI_HEAD).name == "gleif-csv"
    monkeypatch.setattr(registry, "LOADERS", sorted(LOADERS, key=lambda x: not x.fallback))
    assert pick(p, LEI_HEAD).name == "gleif-csv"
    assert pick(tmp_path / "ownership.csv", b"owner,owned,share\n").name == "tabular"


def test_kg_loaders_lists_name_reads_and_suffixes(run):
    res = run("loaders", "--format", "json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [r["name"] for r in rows] == [x.name for x in LOADERS if not x.fallback] + [x.name for x in LOADERS if x.fallback]
    gleif = next(r for r in rows if r["name"] == "gleif-rdf")
    assert gleif == {"name": "gleif-rdf", "reads": "GLEIF Level 1 and Level 2 data in RDF (gleif-L1/gleif-L2 vocabularies)",
                     "suffixes": ".ttl .nt .nq .trig .jsonld .rdf"}
    assert rows[-1]["name"] == "tabular" and rows[-1]["reads"].endswith("(when no other loader recognises the file)")
    table = run("loaders").stdout.splitlines()
    assert table[0].split() == ["name", "reads", "suffixes"] and len(table) == len(rows) + 2
    csv_rows = run("loaders", "--format", "csv").stdout.splitlines()
    assert csv_rows[0] == "name,reads,suffixes" and csv_rows[1].startswith("gleif-csv,")


def test_mixed_inputs_in_one_build(tmp_path, mini_dir, run):
    lei = tmp_path / "lei.csv"
    lei.write_bytes(LEI_HEAD + b'"506700GE1G29325QX363","Global Legal Entity Identifier Foundation","en","CH"\n')
    db = tmp_path / "db"
    res = run("build", mini_dir, RDF / "L1Data.ttl", RDF / "L2Data.ttl", lei, "--db", db)
    assert res.exit_code == 0, res.output
    tables = {ln.split()[0]: ln.split()[1] for ln in res.stdout.splitlines()[2:-1]}
    assert tables["entities.csv"] == "entities" and tables["L2Data.ttl"] == "gleif-rdf" and tables["lei.csv"] == "lei-cdf"
    meta = json.loads((db / "build.json").read_text(encoding="utf-8"))
    assert meta["entities"] == 7 + 9  # the GLEIF foundation in lei.csv and L1Data.ttl is one entity
    assert meta["loader"] is None and meta["loader_params"] == {}


def test_loader_forces_one_format(tmp_path, run):
    txt = tmp_path / "leis.txt"  # a Golden Copy extract saved under another name
    txt.write_bytes(LEI_HEAD + b'"506700GE1G29325QX363","Global Legal Entity Identifier Foundation","en","CH"\n')
    recs = load_sources([txt])
    assert recs.entities == [] and recs.warnings[0].startswith("leis.txt: not a table of the canonical mapping")
    recs = load_sources([txt], loader="gleif-csv")
    assert recs.entities[0]["lei"].tolist() == ["506700GE1G29325QX363"]
    db = tmp_path / "db"
    res = run("build", txt, "--loader", "gleif-csv", "--db", db)
    assert res.exit_code == 0, res.output
    assert json.loads((db / "build.json").read_text(encoding="utf-8"))["loader"] == "gleif-csv"


def test_a_forced_loader_reads_a_folder_by_its_own_suffixes(tmp_path):
    d = tmp_path / "gc"
    d.mkdir()
    (d / "lei.csv").write_bytes(LEI_HEAD + b'"506700GE1G29325QX363","GLEIF","en","CH"\n')
    (d / "L1Data.ttl").write_bytes((RDF / "L1Data.ttl").read_bytes())
    recs = load_sources([d], loader="gleif-csv")
    assert [f.file for f in recs.files] == ["lei.csv"]
    assert recs.warnings == [f"{d}: skipped 1 file(s) no loader reads: L1Data.ttl (see kg loaders)"]


def test_unknown_loader_is_a_usage_error(tmp_path, run):
    res = run("build", tmp_path, "--loader", "bods-xml", "--db", tmp_path / "db")
    assert res.exit_code == 2
    names = ", ".join(x.name for x in LOADERS)
    assert res.stderr == f"Error: unknown loader 'bods-xml'; expected one of {names} (see kg loaders)\n"


def test_loader_params_reach_the_loader(tmp_path, monkeypatch, run):
    seen = {}

    def spy_load(path, records, options):
        seen[path.name] = dict(options.params)
        records.files.append(FileCount(path.name, "spy", 0))

    monkeypatch.setattr(registry, "LOADERS", [*LOADERS, Loader("spy", "test", (".csv",), lambda p, h: False, spy_load)])
    src = tmp_path / "第三批小巨人.csv"
    src.write_text("企业名称\n示例公司\n", encoding="utf-8")
    run("build", src, "--loader", "spy", "-p", "programme=little_giant", "--loader-param", "batch=3",
        "--db", tmp_path / "db")
    assert seen == {"第三批小巨人.csv": {"programme": "little_giant", "batch": "3"}}


def test_bad_loader_param_is_a_usage_error(tmp_path, run):
    res = run("build", tmp_path, "-p", "programme", "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == "Error: parameter 'programme' is not name=value; expected e.g. -p programme=little_giant\n"


def test_a_named_file_no_loader_reads_is_an_error(tmp_path, run):
    doc = tmp_path / "notes.docx"
    doc.write_bytes(b"PK\x03\x04")
    res = run("build", doc, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == ("Error: notes.docx: unsupported file type '.docx'; see 'kg loaders' for the formats kg reads, "
                          "or force one with --loader\n")
    z = _zip(tmp_path / "photos.zip", "a.jpg", b"\xff\xd8")
    res = run("build", z, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == ("Error: photos.zip: not a .zip file kg recognises (tried gleif-csv); see 'kg loaders', "
                          "or force one with --loader\n")


def test_files_of_a_folder_no_loader_reads_are_named_in_a_warning(tmp_path, mini_dir, run):
    d = tmp_path / "in"
    shutil.copytree(mini_dir, d)
    (d / "funding.xls").write_bytes(b"\xd0\xcf\x11\xe0")  # an old Excel file: its facts would vanish unnoticed
    _zip(d / "backup.zip", "a.txt", b"x")
    (d / ".DS_Store").write_bytes(b"\0")
    recs = load_sources([d])
    assert recs.warnings == [f"{d}: skipped 2 file(s) no loader reads: funding.xls, backup.zip (see kg loaders)"]
    res = run("build", d, "--db", tmp_path / "db")
    assert res.exit_code == 0
    assert f"warning: {d}: skipped 2 file(s) no loader reads: funding.xls, backup.zip (see kg loaders)" in res.stderr


def test_symlink_loop_in_a_folder_is_reported_and_the_graph_kept(tmp_path, mini_dir, run):
    db = tmp_path / "db"
    assert run("build", mini_dir, "--db", db).exit_code == 0
    before = run("stats", "--db", db, "--format", "csv").stdout
    d = tmp_path / "in"
    shutil.copytree(mini_dir, d)
    (d / "funding.csv").unlink()
    os.symlink("funding.csv", d / "funding.csv")  # ln -sf funding.csv funding.csv
    res = run("build", d, "--db", db)
    assert res.exit_code == 2
    assert res.stderr == f"Error: {d / 'funding.csv'}: cannot read (Too many levels of symbolic links)\n"
    assert run("stats", "--db", db, "--format", "csv").stdout == before


@pytest.mark.parametrize(("make", "why"), [
    (lambda p: os.symlink(p.parent / "gone.csv", p), "a symlink to a missing file"),
    (lambda p: None, "no such file or folder"),
])
def test_a_named_file_that_cannot_be_read_says_why(tmp_path, run, make, why):
    p = tmp_path / "ownership.csv"
    make(p)
    res = run("build", p, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr == f"Error: {p}: cannot read ({why})\n"


def test_by_name():
    assert by_name("gleif-rdf").suffixes == (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")
