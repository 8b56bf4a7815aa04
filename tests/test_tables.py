"""Graph tables (kg/tables): typed from the ontology, written once per build, read back exactly,
and the property-graph view equal to what the RDF store reads back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import doctest
import importlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kg.conflicts import find_conflicts
from kg.dbfolder import live_generation
from kg.derive.timeline import derive_periods
from kg.loaders.sources import load_sources
from kg.neo4j.frames import read_graph
from kg.rdf import nquads
from kg.rdf.store import open_store
from kg.resolve import resolve
from kg.tables.arrow import TableTypeError, to_arrow, to_frame
from kg.tables.read import TablesError, graph_frames, open_live_tables, open_tables, tables_dir
from kg.tables.schema import SCHEMA_VERSION
from kg.tables.write import write_tables
from kg.values.dates import PartialDate

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"mini": ROOT / "tests" / "fixtures" / "mini", "sample": ROOT / "data" / "sample",
           "gleif": ROOT / "tests" / "fixtures" / "gleif-rdf"}
MODULES = ["kg.tables.names", "kg.tables.schema", "kg.tables.arrow", "kg.tables.derived", "kg.tables.write",
           "kg.tables.read", "kg.tables.view"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no docstring examples"


def _built(source: Path):
    recs = load_sources([source])
    res = resolve(recs)
    find_conflicts(res, recs.header)  # as the build: it may reject links before derive
    return res, derive_periods(res)


def _frames(res, d) -> dict[str, pd.DataFrame]:
    out = {"entity_rows": res.entity_rows, "entities": res.entities, "financials": res.financials,
           "type_conflicts": res.type_conflicts}
    out |= {f"links.{k}": v for k, v in res.links.items()}
    out |= {f"derived.{f.name}": getattr(d, f.name) for f in dataclasses.fields(d)
            if isinstance(getattr(d, f.name), pd.DataFrame)}
    return out


def _assert_same_frame(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    pd.testing.assert_frame_equal(b, a, check_exact=True, obj=name)
    assert b.attrs == a.attrs, name
    for c in a.columns:  # the same Python values (an int stays an int, a PartialDate a PartialDate)
        assert [type(v) for v in a[c]] == [type(v) for v in b[c]], (name, c)


def _quads(res, d) -> str:
    text = "".join(nquads.resolved_nquads(res))
    return text + "".join(nquads.derived_quads(d, nquads.own_values(res)))


@pytest.mark.parametrize("source", ["mini", "sample", "gleif"])
def test_tables_round_trip_to_the_same_frames_and_the_same_nquads(source, tmp_path):
    res, d = _built(SOURCES[source])
    manifest = write_tables(res, d, tmp_path / "tables")
    t = open_tables(tmp_path / "tables")
    res2, d2 = t.resolved(), t.derived()
    for name, frame in _frames(res, d).items():
        _assert_same_frame(frame, _frames(res2, d2)[name], name)
        assert manifest["tables"][name]["rows"] == len(frame)
    assert res2.rejects == res.rejects and list(res2.links) == list(res.links)
    assert (d2.floor, d2.params, d2.has_financials) == (d.floor, d.params, d.has_financials)
    assert list(d2.entities) == list(d.entities)
    before = _quads(res, d)
    assert before.count("\n") > 100
    assert _quads(res2, d2) == before


def test_columns_are_typed_from_the_ontology(tmp_path):
    res, d = _built(SOURCES["sample"])
    write_tables(res, d, tmp_path)
    t = open_tables(tmp_path)
    owns = t.read("links.OWNS").schema
    assert owns.field("share").type == pa.float64() and owns.field("start").type == pa.date32()
    assert owns.field("start_precision").type == pa.string() and owns.field("row").type == pa.int64()
    fin = t.read("financials").schema
    assert fin.field("year").type == pa.int64() and fin.field("revenue").type == pa.float64()
    assert fin.field("employees").type == pa.int64()
    rows = t.read("entity_rows").schema
    assert rows.field("state_owned").type == pa.bool_() and rows.field("founded").type == pa.date32()
    assert t.read("entities").schema.field("labels").type == pa.list_(pa.string())
    certs = t.read("links.CERTIFIED_AS")
    # an end-like partial date holds its last day, a start-like one its first (as the RDF store)
    i = certs.column("valid_to_precision").to_pylist().index("year") if "year" in certs.column(
        "valid_to_precision").to_pylist() else None
    if i is not None:
        assert certs.column("valid_to")[i].as_py().strftime("%m-%d") == "12-31"
    starts = t.read("links.OWNS")
    for day, prec in zip(starts.column("start").to_pylist(), starts.column("start_precision").to_pylist(), strict=True):
        if prec == "year":
            assert (day.month, day.day) == (1, 1)
    ent = t.read("derived.entity").schema
    assert ent.field("state_share").type == pa.float64() and ent.field("valid_from").type == pa.date32()
    assert t.read("derived.size").schema.field("size_year").type == pa.int64()
    assert t.read("derived.integrated").schema.field("valid_to").type == pa.date32()
    assert t.read("derived.performance").schema.field("weak_at").type == pa.list_(pa.int64())


def test_derived_frames_pass_through_with_extra_columns(tmp_path):
    """Columns a later derive step adds are written and read back as they are."""
    res, d = _built(SOURCES["mini"])
    n = len(d.integrated)
    d.integrated["valid_from"] = [PartialDate(2020, 3)] + [None] * (n - 1)
    d.integrated["valid_to"] = [dt.date(2023, 12, 31)] * n
    d.integrated["note"] = ["x"] * n
    write_tables(res, d, tmp_path)
    back = open_tables(tmp_path).derived().integrated
    _assert_same_frame(d.integrated, back, "integrated")
    schema = open_tables(tmp_path).read("derived.integrated").schema
    assert schema.field("valid_from").type == pa.date32() and schema.field("note").type == pa.string()


def test_a_value_that_fits_no_column_type_is_named():
    frame = pd.DataFrame({"iri": ["a", "b"], "share": [0.5, "half"]})
    with pytest.raises(TableTypeError) as e:
        to_arrow(frame, "links.OWNS")
    assert str(e.value) == "table links.OWNS, column share: cannot store 'half' (str) in a column of numbers"
    with pytest.raises(TableTypeError) as e:
        to_arrow(pd.DataFrame({"note": ["a", 2]}), "derived.flows")
    assert str(e.value) == "table derived.flows, column note: cannot store 2 (int) in a column of text"
    with pytest.raises(TableTypeError, match=r"column x: cannot store <object object at .*> \(object\) in a column of"):
        to_arrow(pd.DataFrame({"x": [object()]}), "t")


def test_missing_values_keep_their_kind():
    frame = pd.DataFrame({"a": pd.Series([1, float("nan")], dtype=object), "b": pd.Series(["x", None], dtype=object),
                          "c": pd.Series([None, None], dtype=object)})
    back = to_frame(to_arrow(frame, "t"))
    assert back["a"].tolist()[0] == 1 and type(back["a"][0]) is int and back["a"].isna().tolist() == [False, True]
    assert back["a"][1] != back["a"][1]  # NaN, as it was
    assert back["b"].tolist() == ["x", None] and back["c"].tolist() == [None, None]


def test_missing_values_are_found_in_every_kind_of_column():
    """Arrow's nulls of a column's conversion are its missing values (None, NaN, pandas' NA):
    the same ones pandas finds, with NaN told from None, the first value found after them."""
    from kg.values.dates import PartialDate

    nan = float("nan")
    frame = pd.DataFrame({
        "s": pd.Series([None, nan, "x"], dtype=object), "n": pd.Series([nan, "y", nan], dtype=object),
        "f": pd.Series([nan, 1.5, None], dtype=object), "i": pd.Series([None, None, 7], dtype=object),
        "b": pd.Series([nan, True, False], dtype=object), "t": pd.Series([None, ("a",), nan], dtype=object),
        "valid_from": pd.Series([nan, dt.date(2020, 1, 2), None], dtype=object),
        "start": pd.Series([None, nan, PartialDate(2021)], dtype=object), "z": pd.Series([nan, nan, nan], dtype=object),
        "na": pd.Series([pd.NA, "q", None], dtype=object),
    })
    t = to_arrow(frame, "t")
    meta = {c["name"]: c for c in json.loads(t.schema.metadata[b"kg"])["columns"]}
    assert {k: meta[k]["na"] for k in frame.columns} == {
        "s": "none", "n": "nan", "f": "none", "i": "none", "b": "nan", "t": "none", "valid_from": "none",
        "start": "none", "z": "nan", "na": "none"}
    assert {k: meta[k]["python"] for k in frame.columns} == {
        "s": "str", "n": "str", "f": "float", "i": "int", "b": "bool", "t": "tuple", "valid_from": "date",
        "start": "PartialDate", "z": "none", "na": "str"}
    for c in frame.columns:
        assert t.column(c).is_null().to_pylist() == frame[c].isna().tolist(), c
    back = to_frame(t)
    assert back["n"].tolist()[1] == "y" and back["n"][0] != back["n"][0] and back["t"][1] == ("a",)


def _canon(f: pd.DataFrame) -> pd.DataFrame:
    key = [c for c in ("iri", "from", "to") if c in f.columns]
    return f.sort_values(key).reset_index(drop=True)


@pytest.mark.parametrize("fixture", ["sample_db", "mini_db"])
def test_graph_view_equals_the_store_read_back(fixture, request):
    db = request.getfixturevalue(fixture)
    want = read_graph(open_store(db))
    got = graph_frames(db)
    assert list(got.nodes) == list(want.nodes) and list(got.links) == list(want.links)
    assert got.kinds == want.kinds and got.warnings == want.warnings
    assert (got.node_count, got.link_count) == (want.node_count, want.link_count)
    for kind, a, b in (("nodes", want.nodes, got.nodes), ("links", want.links, got.links)):
        for key in a:
            fa, fb = _canon(a[key]), _canon(b[key])
            assert list(fb.columns) == list(fa.columns), (kind, key)
            for c in fa.columns:
                va, vb = fa[c].tolist(), fb[c].tolist()
                assert vb == va, (kind, key, c)
                assert [type(v) for v in vb] == [type(v) for v in va], (kind, key, c)


def test_build_writes_the_tables_into_its_generation(sample_db):
    gen = live_generation(sample_db)
    manifest = json.loads((tables_dir(gen) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION and manifest["compression"] == "zstd"
    info = json.loads((sample_db / "build.json").read_text(encoding="utf-8"))
    assert info["tables"]["folder"] == "tables" and info["tables"]["rows"]["links.OWNS"] == info["links"]["OWNS"]
    assert info["tables"]["rows"]["financials"] == info["links"]["REPORTED"]
    assert "tables" in info["seconds"]
    for name, entry in manifest["tables"].items():
        assert pq.read_metadata(tables_dir(gen) / entry["file"]).num_rows == entry["rows"], name
    t = open_live_tables(sample_db)
    assert info["derived"]["periods"] and info["derived"]["rows"]["control"] == len(t.derived().control)


def test_a_build_without_derived_facts_has_no_derived_tables(tmp_path, mini_dir):
    from kg.build import build

    build([mini_dir], tmp_path / "db", derive=False)
    t = open_live_tables(tmp_path / "db")
    assert t.derived() is None and not [n for n in t.names() if n.startswith("derived.")]
    g = graph_frames(tmp_path / "db")
    assert "derived" not in g.links["OWNS"].columns and len(g.links["CONTROLS"]) == 0
    want = read_graph(open_store(tmp_path / "db"))
    assert {k: len(v) for k, v in g.links.items()} == {k: len(v) for k, v in want.links.items()}


def test_graph_frames_says_what_is_missing(tmp_path, mini_db):
    with pytest.raises(TablesError) as e:
        graph_frames(tmp_path / "nothing")
    assert str(e.value) == (f"no graph in {tmp_path / 'nothing'}; build one first with 'kg build' "
                            "(or point --db / KG_DB at one)")
    db = tmp_path / "old"
    shutil.copytree(mini_db, db, symlinks=True)
    shutil.rmtree(tables_dir(live_generation(db)))
    with pytest.raises(TablesError) as e:
        graph_frames(db)
    assert str(e.value) == (f"the graph in {db} has no graph tables (it was built by an earlier kg); "
                            "build it again with 'kg build'")


def test_tables_of_a_newer_schema_are_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1, "tables": {}}))
    with pytest.raises(TablesError, match=f"graph tables of schema version {SCHEMA_VERSION + 1}; this kg reads up to"):
        open_tables(tmp_path)


def test_the_reader_holds_its_generation_until_it_lets_go(tmp_path, mini_dir):
    from kg.build import build

    db = tmp_path / "db"
    build([mini_dir], db)
    old = live_generation(db)
    t = open_live_tables(db)
    build([mini_dir], db)
    assert live_generation(db) != old and old.is_dir()  # held: not removed
    assert len(t.frame("links.OWNS")) == 5
    del t
    build([mini_dir], db)
    assert not old.exists()
    graph_frames(db)  # reads and lets go at once
    gen = live_generation(db)
    build([mini_dir], db)
    assert not gen.exists()


def test_neo4j_sinks_read_the_tables_not_the_store(tmp_path, mini_db, monkeypatch):
    """kg neo4j-import writes its CSVs with the RDF store gone; kg push neo4j reads the tables
    before it connects, so a graph without them stops there with one line (exit 1)."""
    from click.testing import CliRunner

    import kg.cli.neo4j  # noqa: F401  (registers push neo4j, neo4j-import)
    from kg.cli import cli
    from kg.rdf.store import STORE

    db = tmp_path / "db"
    shutil.copytree(mini_db, db, symlinks=True)
    want = graph_frames(db)
    shutil.rmtree(live_generation(db) / STORE)
    r = CliRunner().invoke(cli, ["neo4j-import", "-o", str(tmp_path / "out"), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert f"wrote {want.node_count} nodes and {want.link_count} relationships" in r.stdout
    shutil.rmtree(tables_dir(live_generation(db)))
    monkeypatch.setenv("NEO4J_PASSWORD", "unused")
    r = CliRunner().invoke(cli, ["push", "neo4j", "--uri", "bolt://127.0.0.1:1", "--db", str(db), "--quiet"])
    assert r.exit_code == 1
    assert r.output == (f"Error: the graph in {db} has no graph tables (it was built by an earlier kg); "
                        "build it again with 'kg build'\n")
