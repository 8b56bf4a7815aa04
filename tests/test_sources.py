"""Reading source files: encodings, delimiters, workbooks, mappings."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

from kg.build import build
from kg.loaders.mapping import MappingError, load_mapping
from kg.loaders.sources import load_sources
from kg.sources.tabular import SourceError, decode, read_tables, sniff_delimiter


def test_decode_detects_utf8_bom_and_gb18030():
    assert decode("名称".encode()) == ("名称", "utf-8")
    assert decode("\ufeff名称".encode("utf-8")) == ("名称", "utf-8-sig")
    assert decode("名称".encode("gb18030")) == ("名称", "gb18030")
    with pytest.raises(SourceError, match="cannot decode with encoding 'ascii'"):
        decode("名称".encode(), "ascii", label="x.csv")


def test_delimiters():
    assert sniff_delimiter("a,b\n1,2") == ","
    assert sniff_delimiter("a\tb\n1\t2") == "\t"
    assert sniff_delimiter('"x;y",b;c;d\n') == ";"


def test_semicolon_and_bom_folder_builds_like_the_original(tmp_path, mini_dir):
    dst = tmp_path / "semi"
    dst.mkdir()
    for f in mini_dir.glob("*.csv"):
        rows = list(csv.reader(f.open(encoding="utf-8")))
        with (dst / f.name).open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out, delimiter=";").writerows(rows)
    a = load_sources([mini_dir])
    b = load_sources([dst])
    assert not b.rejects
    assert sum(len(x) for x in a.entities) == sum(len(x) for x in b.entities)
    assert {k: sum(len(x) for x in v) for k, v in a.links.items()} == {k: sum(len(x) for x in v) for k, v in b.links.items()}


def test_workbook_with_one_sheet_per_table(tmp_path, mini_dir):
    book = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(book) as xw:
        for f in sorted(mini_dir.glob("*.csv")):
            df = pd.read_csv(f, dtype=str, keep_default_na=False)
            if f.stem == "ownership":  # numbers and dates as Excel cells, not text
                df["share"] = [0.51, 1, 0.7, 0.2, 0.1]
                df["start"] = pd.to_datetime(["2005-01-01", "2010-01-01", "2012-03-01", "2021-07-01", "2015-01-01"])
            df.to_excel(xw, sheet_name=f.stem, index=False)
    tables = read_tables(book)
    assert {t.name for t in tables} == {"entities", "ownership", "funding", "certifications", "listings", "financials"}
    db = tmp_path / "db"
    report = build([book], db)
    assert report.rejects == []
    assert report.links["OWNS"] == 5 and report.entities == 7


def test_encoding_override(tmp_path):
    d = tmp_path / "latin"
    d.mkdir()
    (d / "entities.csv").write_bytes("id,type,name\nsg,Bank,Société Générale\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"entities.csv: byte 27 \(line 2\) is neither UTF-8 nor GB18030.*--encoding"):
        load_sources([d])
    recs = load_sources([d], encoding="latin-1")
    assert recs.entities[0]["name"][0] == "Société Générale"


def test_unknown_table_is_a_warning_not_silence(tmp_path, mini_dir):
    dst = tmp_path / "x"
    shutil.copytree(mini_dir, dst)
    (dst / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    recs = load_sources([dst])
    assert any("notes.csv: not a table of the canonical mapping" in w for w in recs.warnings)


def test_ignored_columns_are_reported(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "entities.csv").write_text("id,type,name,colour\na,Firm,A Co,red\n", encoding="utf-8")
    recs = load_sources([d])
    assert recs.warnings == ["entities.csv: ignored columns not in the entities mapping: colour"]


def test_a_different_layout_is_a_new_mapping_not_new_python(tmp_path):
    mapping = tmp_path / "register.yaml"
    mapping.write_text(
        """
name: shareholder-register
tables:
  holders:
    files: [股东名册]
    record: link
    link: OWNS
    from: holder
    to: company
    columns:
      holder: {type: ref, required: true, headers: [股东名称]}
      company: {type: ref, required: true, headers: [公司]}
      pct: {type: share, required: true, property: share, headers: [持股比例（%）]}
  firms:
    files: [企业名单]
    record: entity
    columns:
      id: {type: string, required: true, headers: [代码]}
      type: {type: entity_type, required: true, headers: [性质]}
      name: {type: string, required: true, headers: [名称]}
vocabularies:
  entity_type:
    Firm: [公司]
    Person: [个人]
""",
        encoding="utf-8",
    )
    d = tmp_path / "in"
    d.mkdir()
    (d / "企业名单.csv").write_text("代码,性质,名称\nc1,公司,甲公司\np1,个人,张三\n", encoding="gb18030")
    (d / "股东名册.csv").write_text("股东名称,公司,持股比例（%）\n张三,c1,６０\n", encoding="gb18030")
    db = tmp_path / "db"
    report = build([d], db, mapping=load_mapping(mapping))
    assert report.rejects == [] and report.links["OWNS"] == 1 and report.entities == 2


def test_mapping_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tables:\n  t:\n    record: link\n    link: EMPLOYS\n", encoding="utf-8")
    with pytest.raises(MappingError, match="link 'EMPLOYS' is not a loadable link of the ontology"):
        load_mapping(bad)


@pytest.mark.parametrize("title", [False, True])
def test_a_large_utf8_file_reads_as_when_decoded_whole(tmp_path, title):
    """Past HEAD_BYTES a UTF-8 file is read from its bytes (only its start decoded); the table,
    and a title row above the header, come out as from the same text in an encoding that is
    decoded whole (GB18030, UTF-8 with BOM) and as pandas reads it."""
    from kg.sources.tabular import HEAD_BYTES, read_text_table

    rows = [f'n{i},"绿的谐波, {i}",{i * 7 % 1000}' for i in range(HEAD_BYTES // 20)]
    text = ("2023年第五批专精特新“小巨人”企业名单\n" if title else "") + "id,name,share\n" + "\n".join(rows) + "\n"
    tables = {}
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        p = tmp_path / encoding / "list.csv"
        p.parent.mkdir()
        p.write_bytes(text.encode(encoding))
        assert p.stat().st_size > HEAD_BYTES
        tables[encoding] = t = read_text_table(p)
        assert t.encoding == encoding and t.delimiter == ","
    for encoding in ("utf-8-sig", "gb18030"):
        assert tables["utf-8"].frame.astype(object).equals(tables[encoding].frame.astype(object))
    frame = tables["utf-8"].frame
    if title:  # a title row: every line is data, the loader finds the header below it
        assert list(frame.iloc[0]) == ["id", "name", "share"] and len(frame) == len(rows) + 1
    else:
        expected = pd.read_csv(tmp_path / "utf-8" / "list.csv", dtype=str, keep_default_na=False)
        assert frame.astype(object).equals(expected.astype(object))


def test_only_a_table_with_a_long_cell_is_checked_cell_by_cell(tmp_path):
    """The character count of every cell runs only where a cell has more bytes than the limit."""
    from kg.sources.tabular import MAX_CELL_CHARS, _may_be_long, read_text_table

    p = tmp_path / "entities.csv"
    p.write_text("id,type,name\n" + "a,Firm,绿的谐波\n" * (MAX_CELL_CHARS // 10), encoding="utf-8")
    assert not _may_be_long(read_text_table(p).frame)
    p.write_text("id,type,name\nb,Firm," + "绿" * (MAX_CELL_CHARS // 2) + "\n", encoding="utf-8")
    assert _may_be_long(read_text_table(p).frame)  # more bytes than the limit, fewer characters: read
