"""The worked example of docs/mapping.md loads as the page says, and mapping errors are one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.loaders.mapping import MappingError, load_mapping
from kg.loaders.sources import load_sources
from kg.resolve import resolve

DOC = Path(__file__).resolve().parents[1] / "docs" / "mapping.md"


def _example(kind: str) -> str:
    text = DOC.read_text(encoding="utf-8").split("## Worked example", 1)[1]
    return re.search(rf"```{kind}\n(.*?)```", text, re.S).group(1)


def test_the_worked_example_loads_with_the_mapping_from_the_page(tmp_path, run):
    (tmp_path / "holdings.csv").write_text(_example("csv"), encoding="utf-8")
    mapping = tmp_path / "holdings.yaml"
    mapping.write_text(_example("yaml"), encoding="utf-8")
    r = run("mapping", "check", mapping)
    assert r.exit_code == 0 and "holdings.yaml: mapping 'eu-holdings' is valid (1 table(s))" in r.output
    res = resolve(load_sources([tmp_path / "holdings.csv"], load_mapping(mapping)))
    assert res.rejects == []
    owns = res.links["OWNS"].sort_values("share")
    assert owns["share"].tolist() == [0.245, 0.755]
    assert [d.iso() for d in owns["start"]] == ["2021-07-15", "2020-03-01"]
    assert set(owns["to_iri"]) == {"https://w3id.org/accelerator-kg/id/uscc/91210100MA0DRY033M"}
    types = dict(zip(res.entities["name"], res.entities["type"], strict=True))
    assert types == {"Acme Beteiligungen GmbH": "Firm", "Maria Rossi": "Person", "Example Drive Co.": "Firm"}
    db = tmp_path / "db"
    r = run("build", "--mapping", mapping, tmp_path / "holdings.csv", "--db", db, "-q", "--no-derive")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("yaml_text", "error"),
    [
        ("tables:\n  t:\n    record: entity\n    columns:\n      name: {type: string, headrs: [x]}\n",
         "m.yaml: tables.t.columns.name.headrs: unknown key; known: type, required, headers, property, value, param, "
         "percent, unit, split, exchange_column, vocabulary, currency_column, bound_column, description, decimal, date_order"),
        ("tables:\n  t:\n    record: link\n    link: EMPLOYS\n",
         "m.yaml: tables.t.link: link 'EMPLOYS' is not a loadable link of the ontology; loadable: CERTIFIED_AS, "
         "DECLARED_CONTROL, FUNDED, LISTED_ON, OWNS"),
        ("read: {delimiter: ';;'}\ntables: {}\n",
         "m.yaml: read.delimiter: expected one character such as ';', ',' or '\\t', not ';;'"),
        ("formats: {date_order: DDMM}\ntables: {}\n",
         "m.yaml: formats.date_order: expected one of YMD, DMY, MDY, not 'DDMM'"),
        ("tables:\n  t:\n    columns:\n      a: {type: string}\n      k: {type: entity_type, value: Firm}\n"
         "    records:\n      - link: OWNS\n        from: a\n        to: a\n        columns: {shares: a}\n",
         "m.yaml: tables.t.records[0].columns.shares: 'shares' is not a property of OWNS in the ontology"),
        ("tables:\n  t:\n    columns:\n      a: {type: string}\n    records:\n      - link: OWNS\n        from: holdr\n        to: a\n",
         "m.yaml: tables.t.records[0].from: names 'holdr', which is neither a column nor an entity record of this row "
         "(entity records come first)"),
        ("tables:\n  t:\n    columns:\n      a: {type: share, unit: 万元}\n    record: entity\n",
         "m.yaml: tables.t.columns.a.unit: applies to amount and money columns, not to type share"),
        ("tables:\n  t:\n    columns:\n      a: {type: string}\n    defaults:\n      b: {share_of_total: c, per: [a]}\n    record: entity\n",
         "m.yaml: tables.t.defaults.b.share_of_total: names column 'c', which is not defined"),
        ("tables: [\n", "m.yaml: line 2: not valid YAML (expected the node content, but found '<stream end>')"),
    ],
)
def test_mapping_errors_are_one_line_naming_file_and_key(tmp_path, run, yaml_text, error):
    m = tmp_path / "m.yaml"
    m.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(MappingError) as e:
        load_mapping(m)
    assert str(e.value) == error
    r = run("mapping", "check", m)
    assert r.exit_code == 2 and r.stderr.strip() == f"Error: {error}"


def test_read_options_encoding_delimiter_header_row_and_rows_to_skip(tmp_path):
    mapping = tmp_path / "report.yaml"
    mapping.write_text(
        """
name: report
read: {encoding: latin-1, delimiter: "|", header_row: 3, skip_rows: 1}
tables:
  firms:
    files: [report]
    record: entity
    columns:
      name: {type: string, required: true, headers: [Société]}
      founded: {type: date, date_order: DMY, headers: [Créée]}
      type: {type: entity_type, value: Firm}
""",
        encoding="utf-8",
    )
    data = "Rapport 2024\nConfidentiel\nSociété|Créée\n(texte)|(jj.mm.aaaa)\nÉlectro SA|05.06.2001\n"
    (tmp_path / "report.csv").write_bytes(data.encode("latin-1"))
    recs = load_sources([tmp_path / "report.csv"], load_mapping(mapping))
    assert recs.rejects == []
    e = recs.entities[0]
    assert e[["name", "type", "row"]].values.tolist() == [["Électro SA", "Firm", 5]]
    assert e["founded"][0].iso() == "2001-06-05"
