"""Incremental builds (kg/incremental.py): adding sources to a live build reads, resolves and
derives only the new files, appends to the graph tables and the embedded Cypher database, and
gives the same graph as a whole build of the same sources -- or builds the whole graph where
the new rows would change an old fact."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kg.build import StrictRejects, build
from kg.cypher.backend import CypherBackend
from kg.cypher.engine import run_cypher
from kg.queries import run_query, same_rows
from kg.rdf.store import open_store
from kg.synth import generate
from kg.tables.read import open_live_tables

try:  # tests/ as a package or as a plain directory on sys.path
    from .test_queries_neo4j import CASES
except ImportError:
    from test_queries_neo4j import CASES

AS_OF = "2023-12-31"


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "src"
    generate(out, firms=400, seed=11)
    return out


def _csv(folder: Path, name: str, header: str, *rows: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _firm_rows(path: Path, prefix: str, n: int = 3) -> list[str]:
    ids = [line.split(",", 1)[0] for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [i for i in ids if i.startswith(prefix)][:n]


def _rich(folder: Path, synth: Path) -> Path:
    """New firms owned by old groups and state bodies, by each other and by a new fund; a funding
    from an old fund; their certifications, listing, financial years; one row that is rejected."""
    groups = _firm_rows(synth / "entities.csv", "g")
    funds = _firm_rows(synth / "entities.csv", "fund")
    _csv(folder, "entities.csv", "id,type,name,province,sector,founded,source",
         "nx001,Firm,Nexus Robotics One,Jiangsu,robotics,2015-03,more",
         "nx002,Firm,Nexus Robotics Two,Jiangsu,robotics,2016,more",
         "nx003,Firm,Nexus Sensor Works,Anhui,semiconductors,2018-07-01,more",
         "nxf01,GuidanceFund,Nexus Guidance Fund,Anhui,finance,2017,more")
    _csv(folder, "ownership.csv", "owner,owned,share,start,end,source",
         f"{groups[0]},nx001,0.62,2016-01-01,,more",
         "nx001,nx002,0.8,2017-05,,more",
         f"{groups[1]},nx003,0.3,2019,,more",
         "nxf01,nx003,0.25,2020-02-01,,more",
         f"{groups[2]},nxf01,0.55,2017,,more",
         "nx001,nobody-at-all,0.5,2020,,more")
    _csv(folder, "funding.csv", "funder,recipient,instrument,amount,currency,date,interest_rate,source",
         f"{funds[0]},nx003,equity,150000000,,2021-04-01,,more",
         f"{funds[1]},nxf01,lp_commitment,500000000,,2017-06,,more",
         "nxf01,nx002,equity,80000000,,2022-01,,more")
    _csv(folder, "certifications.csv", "firm,programme,batch,year,issuer,valid_from,valid_to,source",
         "nx001,specialized_sme,,2020,Jiangsu Provincial Department,2020-09,,more",
         "nx001,little_giant,4,2022,MIIT,2022-08-01,2025-07-31,more",
         "nx003,innovative_sme,,2021,Anhui Provincial Department,2021-05,,more")
    _csv(folder, "listings.csv", "firm,exchange,ticker,board,listed,delisted,source",
         "nx002,SSE,688998.SH,star,2023-02-01,,more")
    _csv(folder, "financials.csv", "firm,year,revenue,net_profit,employees,rd_expense,exports,source",
         "nx001,2020,120000000,8000000,260,9000000,,more",
         "nx001,2021,150000000,-2000000,280,11000000,,more",
         "nx001,2022,95000000,-1000000,290,10000000,,more",
         "nx003,2022,40000000,1000000,90,5000000,,more")
    return folder


def _info(db: Path) -> dict:
    return json.loads((db / "build.json").read_text(encoding="utf-8"))["incremental"]


def _canon(f: pd.DataFrame) -> pd.DataFrame:
    f = f.astype(object).where(f.notna(), None).astype(str)
    return f.sort_values(list(f.columns)).reset_index(drop=True)


def assert_same_graph(a: Path, b: Path) -> None:
    """Every table holds the same rows; the embedded Cypher graphs have the same nodes and links
    and answer every canned query alike; so do the RDF stores."""
    ta, tb = open_live_tables(a), open_live_tables(b)
    assert sorted(ta.names()) == sorted(tb.names())
    for name in ta.names():
        fa, fb = ta.frame(name), tb.frame(name)
        assert list(fa.columns) == list(fb.columns), name
        assert _canon(fa).equals(_canon(fb)), f"table {name}: {len(fa)} rows against {len(fb)}"
    ca, cb = CypherBackend.open(a), CypherBackend.open(b)
    for q in ("MATCH (n) RETURN label(n) AS t, count(*) AS k ORDER BY t",  # LadybugDB's own dialect
              "MATCH ()-[r]->() RETURN label(r) AS t, count(*) AS k ORDER BY t"):
        assert ca.graph.conn.execute(q).get_all() == cb.graph.conn.execute(q).get_all(), q
    for q in ("MATCH (f:FinancialYear)<-[:REPORTED]-(e) "
              "RETURN e.iri AS e, f.iri AS f, f.revenue AS r, f.weak_reason AS w ORDER BY f, e",
              "MATCH (e)-[:HAS_OWNERSHIP]->(o)-[:ULTIMATE_CONTROLLER]->(c) "
              "RETURN e.iri AS e, o.valid_from AS v, o.state_share AS s, c.iri AS c ORDER BY e, v"):
        assert run_cypher(ca.graph, q)[1] == run_cypher(cb.graph, q)[1], q
    for name, params in CASES:
        for x, y in ((ca, cb), (a, b)):
            cols_a, rows_a = run_query(x, name, params, AS_OF)
            cols_b, rows_b = run_query(y, name, params, AS_OF)
            assert cols_a == cols_b and same_rows(rows_a, rows_b, ordered=False), (name, params, len(rows_a), len(rows_b))
    sa, sb = open_store(a), open_store(b)
    assert len(sa) == len(sb)
    assert sorted(map(str, sa)) == sorted(map(str, sb))


def test_added_sources_are_appended_and_equal_a_whole_build(synth, tmp_path):
    more = _rich(tmp_path / "more", synth)
    (more / "README.md").write_text("where these rows come from\n", encoding="utf-8")
    db, whole = tmp_path / "db", tmp_path / "whole"
    build([synth], db)
    report = build([synth, more], db)
    info = _info(db)
    assert info["used"] is True, info
    assert sorted(Path(f).name for f in info["files"]) == sorted(p.name for p in more.glob("*.csv"))
    assert any("README.md" in w for w in report.warnings), report.warnings
    assert [(r.file, r.column, r.value) for r in report.rejects] == [("ownership.csv", "owned", "nobody-at-all")]
    assert "nobody-at-all" in (db / "rejects.csv").read_text(encoding="utf-8")
    tables = open_live_tables(db)
    assert len(tables.parts("links.OWNS")) == 2 and len(tables.parts("financials")) == 2
    store = json.loads((db / "current" / "store.json").read_text(encoding="utf-8"))
    assert store["appended"] is True and store["read"] < store["quads"] / 10, store
    build([synth, more], whole, cache=False)
    assert _info(whole)["used"] is False
    assert_same_graph(db, whole)
    # the new facts are there: the new firm's state share comes through its old owner
    backend = CypherBackend.open(db)
    rows = run_cypher(backend.graph, "MATCH (f {iri: $iri})-[:HAS_OWNERSHIP]->(o) RETURN o.state_share",
                      {"iri": "https://w3id.org/accelerator-kg/id/entity/nx002"})[1]
    assert rows


def test_two_increments_in_a_row_equal_a_whole_build(synth, tmp_path):
    more = _rich(tmp_path / "more", synth)
    again = tmp_path / "again"
    _csv(again, "entities.csv", "id,type,name,province,sector,source",
         "ny001,Firm,Yonder Materials,Zhejiang,materials,again")
    _csv(again, "ownership.csv", "owner,owned,share,start,end,source", "nx002,ny001,0.9,2023-01-01,,again")
    db, whole = tmp_path / "db", tmp_path / "whole"
    build([synth], db)
    build([synth, more], db)
    build([synth, more, again], db)
    assert _info(db)["used"] is True
    assert len(open_live_tables(db).parts("links.OWNS")) == 3
    build([synth, more, again], whole, cache=False)
    assert_same_graph(db, whole)


@pytest.mark.parametrize("case", ["old id", "into an old firm", "old reject now resolves", "changed old file",
                                  "same name"])
def test_a_source_that_changes_old_facts_builds_the_whole_graph(synth, tmp_path, case):
    src = tmp_path / "src"
    shutil.copytree(synth, src)
    first = [src]
    new = tmp_path / "new"
    firm = _firm_rows(src / "entities.csv", "f", 1)[0]
    if case == "old id":
        _csv(new, "entities.csv", "id,type,name,province,sector,source", f"{firm},Firm,Another Name,Hubei,robotics,new")
    elif case == "into an old firm":
        _csv(new, "entities.csv", "id,type,name,province,sector,source", "nz1,Firm,Zed Holdings,Hubei,robotics,new")
        _csv(new, "ownership.csv", "owner,owned,share,start,end,source", f"nz1,{firm},0.2,2020,,new")
    elif case == "old reject now resolves":
        dangling = tmp_path / "dangling"
        _csv(dangling, "ownership.csv", "owner,owned,share,start,end,source", f"{firm},ghost1,0.5,2020,,dangling")
        first.append(dangling)
        _csv(new, "entities.csv", "id,type,name,province,sector,source", "ghost1,Firm,Ghost Firm,Hubei,robotics,new")
    elif case == "changed old file":
        _csv(new, "entities.csv", "id,type,name,province,sector,source", "nz1,Firm,Zed Holdings,Hubei,robotics,new")
    elif case == "same name":
        with (src / "entities.csv").open(encoding="utf-8") as f:
            name = next(r["name"] for r in csv.DictReader(f) if r["id"] == firm)
        _csv(new, "entities.csv", "id,type,name,province,sector,source", f'nz1,Firm,"{name}",Hubei,robotics,new')
    db, whole = tmp_path / "db", tmp_path / "whole"
    build(first, db)
    if case == "changed old file":
        with (src / "listings.csv").open("a", encoding="utf-8") as f:
            f.write(f"{firm},SZSE,300999.SZ,chinext,2024-01-02,,kg-synth\n")
    build([*first, new], db)
    info = _info(db)
    assert info["used"] is False and info["why"], info
    build([*first, new], whole, cache=False)
    assert_same_graph(db, whole)


def test_strict_counts_the_live_builds_rejects_too(synth, tmp_path):
    dangling = tmp_path / "dangling"
    _csv(dangling, "ownership.csv", "owner,owned,share,start,end,source", "g00001,ghost2,0.5,2020,,dangling")
    new = tmp_path / "new"
    _csv(new, "entities.csv", "id,type,name,province,sector,source", "nq1,Firm,Quill Devices,Hubei,robotics,new")
    db = tmp_path / "db"
    build([synth, dangling], db)
    before = (db / "build.json").read_text(encoding="utf-8")
    with pytest.raises(StrictRejects, match="ghost2"):
        build([synth, dangling, new], db, strict=True)
    assert (db / "build.json").read_text(encoding="utf-8") == before


def test_no_cache_builds_the_whole_graph(synth, tmp_path):
    new = tmp_path / "new"
    _csv(new, "entities.csv", "id,type,name,province,sector,source", "nq1,Firm,Quill Devices,Hubei,robotics,new")
    db = tmp_path / "db"
    build([synth], db)
    build([synth, new], db, cache=False)
    assert _info(db)["used"] is False


def test_kg_build_says_it_added_to_the_live_graph(run, synth, tmp_path):
    new = tmp_path / "new"
    _csv(new, "entities.csv", "id,type,name,province,sector,source", "nq1,Firm,Quill Devices,Hubei,robotics,new")
    db = tmp_path / "db"
    run("build", synth, "--db", db, "--quiet")
    out = run("build", synth, new, "--db", db, "--quiet").output
    assert "(added 1 new file(s) to the live graph)" in out, out
    assert "new file(s)" not in run("build", synth, new, "--db", db, "--quiet", "--no-cache").output
