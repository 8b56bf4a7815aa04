"""kg build end to end: loading, Chinese/GB18030 twins, rejects, --strict, stable IRIs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.rdf.stats import graph_stats
from kg.rdf.store import open_store

ZH_HEADERS = {
    "id": "编号", "type": "类型", "name": "企业名称", "name_zh": "中文名称", "uscc": "统一社会信用代码",
    "lei": "法人机构识别编码", "ticker": "股票代码", "country": "国家", "province": "省份", "city": "城市", "sector": "行业",
    "founded": "成立日期", "state_owned": "是否国有", "source": "来源", "owner": "股东",
    "owned": "被持股企业", "share": "持股比例", "start": "开始日期", "end": "结束日期", "funder": "出资方",
    "recipient": "接受方", "instrument": "方式", "amount": "金额", "currency": "币种", "date": "日期",
    "interest_rate": "利率", "firm": "企业", "programme": "项目", "batch": "批次", "year": "年份",
    "issuer": "认定机构", "valid_from": "有效期起", "valid_to": "有效期止", "exchange": "交易所",
    "board": "板块", "listed": "上市日期", "delisted": "退市日期", "revenue": "营业收入",
    "net_profit": "净利润", "employees": "员工人数", "rd_expense": "研发费用", "exports": "出口额",
}
ZH_VALUES = {
    "type": {"Firm": "企业", "Bank": "银行", "Fund": "基金", "GuidanceFund": "政府引导基金",
             "GovernmentBody": "政府机构", "Person": "自然人"},
    "state_owned": {"true": "是", "false": "否"},
    "instrument": {"equity": "股权投资", "loan": "贷款", "subsidy": "补贴", "lp_commitment": "出资承诺", "bond": "债券"},
    "programme": {"little_giant": '专精特新"小巨人"', "manufacturing_champion": "制造业单项冠军",
                  "specialized_sme": "专精特新中小企业", "innovative_sme": "创新型中小企业"},
    "exchange": {"SSE": "上交所", "SZSE": "深交所", "BSE": "北交所"},
    "board": {"star": "科创板", "chinext": "创业板", "main": "主板"},
}
FULLWIDTH = str.maketrans("0123456789%.", "０１２３４５６７８９％．")


def chinese_twin(src: Path, dst: Path) -> None:
    """Write src's tables with Chinese headers and values, full-width shares, GB18030, tabs."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.csv")):
        with f.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        cols = list(rows[0].keys())
        out = []
        for r in rows:
            row = {}
            for c in cols:
                v = r[c]
                v = ZH_VALUES.get(c, {}).get(v, v)
                if c == "share" and v:
                    v = v.translate(FULLWIDTH)
                row[ZH_HEADERS[c]] = v
            out.append(row)
        with (dst / f.name).open("w", encoding="gb18030", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=[ZH_HEADERS[c] for c in cols], delimiter="\t")
            w.writeheader()
            w.writerows(out)


def stats_by(db: Path, kind: str) -> dict:
    return {r[1]: r[2] for r in graph_stats(open_store(db)) if r[0] == kind}


def dump(db: Path) -> list[str]:
    data = open_store(db).dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")
    return sorted(data.splitlines())


def test_mini_builds_without_rejects(mini_db):
    types = stats_by(mini_db, "type")
    assert types["Firm"] == 4 and types["Bank"] == 1 and types["GovernmentBody"] == 1
    assert types["GuidanceFund"] == 1 and types["Fund"] == 1  # a GuidanceFund is also a Fund
    links = stats_by(mini_db, "link")
    assert (links["OWNS"], links["FUNDED"], links["CERTIFIED_AS"], links["LISTED_ON"], links["REPORTED"]) == (5, 3, 3, 2, 4)
    assert (mini_db / "rejects.csv").read_text(encoding="utf-8").strip() == "file,row,column,value,reason"


def test_chinese_gb18030_twin_gives_the_same_graph(tmp_path, mini_dir, mini_db):
    twin = tmp_path / "zh"
    chinese_twin(mini_dir, twin)
    raw = (twin / "ownership.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GB18030
    db = tmp_path / "db"
    report = build([twin], db)
    assert report.rejects == []
    assert stats_by(db, "type") == stats_by(mini_db, "type")
    assert stats_by(db, "link") == stats_by(mini_db, "link")
    assert len(open_store(db)) == len(open_store(mini_db))


def test_two_builds_give_identical_iris_and_triples(tmp_path, mini_dir, mini_db):
    db = tmp_path / "again"
    build([mini_dir], db)
    assert dump(db) == dump(mini_db)


def _bad_folder(mini_dir: Path, dst: Path) -> Path:
    shutil.copytree(mini_dir, dst)
    ent = (dst / "entities.csv").read_text(encoding="utf-8")
    good = ent.splitlines()[3].split(",")[4]  # hold's USCC
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    (dst / "entities.csv").write_text(ent.replace(good, bad), encoding="utf-8")
    with (dst / "ownership.csv").open("a", encoding="utf-8") as f:
        f.write("grp,sub,130%,,,fixture\n")  # row 7
        f.write("nobody,sub,0.2,,,fixture\n")  # row 8
        f.write("grp,sub,0.2,2021-13-01,,fixture\n")  # row 9
    with (dst / "funding.csv").open("a", encoding="utf-8") as f:
        f.write("bank,sub,loan,abc,,2021-01-01,,fixture\n")  # row 5
    return dst


def test_bad_rows_are_rejected_with_reasons(tmp_path, mini_dir, run):
    src = _bad_folder(mini_dir, tmp_path / "bad")
    db = tmp_path / "db"
    res = run("build", src, "--db", db)
    assert res.exit_code == 0, res.output
    assert "ownership.csv" in res.stdout and "rejected" in res.stdout
    with (db / "rejects.csv").open(encoding="utf-8") as f:
        rejects = {(r["file"], r["row"], r["column"]): r for r in csv.DictReader(f)}
    assert rejects[("ownership.csv", "7", "share")]["value"] == "130%"
    assert "share between 0 and 100%" in rejects[("ownership.csv", "7", "share")]["reason"]
    assert rejects[("ownership.csv", "8", "owner")]["value"] == "nobody"
    assert "not a known entity" in rejects[("ownership.csv", "8", "owner")]["reason"]
    assert "month 13" in rejects[("ownership.csv", "9", "start")]["reason"]
    assert rejects[("funding.csv", "5", "amount")]["value"] == "abc"
    uscc_rej = rejects[("entities.csv", "4", "uscc")]
    assert "check character" in uscc_rej["reason"]
    # the hold row is gone, so its subsidiary link is rejected too (unknown owner), never silently kept
    assert ("ownership.csv", "4", "owner") in rejects  # hold -> sub
    assert ("ownership.csv", "3", "owned") in rejects  # grp -> hold
    # stdout table shows loaded/rejected per file
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("ownership.csv"))
    assert line.split()[-2:] == ["3", "5"]
    # every message is one line: file:row:column: value '...' is not ...; expected ...
    for ln in res.stderr.splitlines():
        if ln.startswith(("entities.csv", "ownership.csv", "funding.csv")):
            assert "value '" in ln and "; expected " in ln


def test_strict_exits_2_and_keeps_the_previous_graph(tmp_path, mini_dir, run):
    db = tmp_path / "db"
    assert run("build", mini_dir, "--db", db).exit_code == 0
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = run("sparql", q, "--db", db, "--format", "json").stdout
    src = _bad_folder(mini_dir, tmp_path / "bad")
    res = run("build", src, "--db", db, "--strict")
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "--strict" in res.stderr and "ownership.csv" in res.stderr
    assert run("sparql", q, "--db", db, "--format", "json").stdout == before
    assert json.loads(before)[0]["n"] > 0


def test_sparql_parameter_is_bound_not_pasted(mini_db, run):
    value = 'a" } ; DROP ALL # {'
    res = run("sparql", "SELECT ?x WHERE { BIND(?name AS ?x) }", "-p", f"name={value}", "--db", mini_db, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [{"x": value}]
    assert len(open_store(mini_db)) > 0  # nothing was dropped


def test_sparql_parameter_in_filter(mini_db, run):
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> "
         "SELECT ?uscc WHERE { ?f kg:name ?n ; kg:uscc ?uscc FILTER(?n = ?wanted) }")
    res = run("sparql", q, "-p", "wanted=Example Drive Co.", "--db", mini_db, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == ["uscc", "91210100MA0DRY033M"]


def test_output_formats(mini_db, run):
    q = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?code WHERE { ?e a kg:Exchange ; kg:code ?code } ORDER BY ?code"
    outs = {fmt: run("sparql", q, "--db", mini_db, "--format", fmt).stdout for fmt in ("table", "csv", "tsv", "json", "jsonl")}
    assert outs["csv"].splitlines() == ["code", "BSE", "HKEX", "NEEQ", "SSE", "SZSE"]
    assert outs["tsv"] == outs["csv"]
    assert [r["code"] for r in json.loads(outs["json"])] == ["BSE", "HKEX", "NEEQ", "SSE", "SZSE"]
    assert len(outs["jsonl"].splitlines()) == 5
    assert outs["table"].splitlines()[0].strip() == "code"


def test_missing_graph_is_one_line_error(tmp_path, run):
    res = run("stats", "--db", tmp_path / "nothing")
    assert res.exit_code == 1
    assert res.stderr.startswith("Error: no graph in") and len(res.stderr.strip().splitlines()) == 1


def test_missing_required_column_is_a_usage_error(tmp_path, run):
    d = tmp_path / "in"
    d.mkdir()
    (d / "ownership.csv").write_text("owner,owned\na,b\n", encoding="utf-8")
    res = run("build", d, "--db", tmp_path / "db")
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        "Error: ownership.csv:1: missing required column 'share' for table ownership; "
        "accepted headers: share, 持股比例, 股权比例, 比例"
    )


def test_provenance_keeps_file_and_row(mini_db, run):
    """Which dataset, file and row said that hold owns sub: the link's row reference (its name,
    <link IRI>/row/<n>: kg:rowInIri), in the graph of its source file, which describes itself once."""
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
         "SELECT ?source ?file ?row ?share WHERE { GRAPH ?g { "
         "?o kg:owner <https://w3id.org/accelerator-kg/id/uscc/91210100MA0HLD0290> ; "
         "kg:owned <https://w3id.org/accelerator-kg/id/uscc/91210100MA0DRY033M> ; kg:share ?share } "
         "BIND(xsd:integer(STRAFTER(STR(?o), \"/row/\")) AS ?row) ?g kg:source ?source ; kg:sourceFile ?file }")
    res = run("sparql", q, "--db", mini_db, "--format", "csv")
    assert res.stdout.splitlines() == ["source,file,row,share", "fixture,ownership.csv,4,0.7"]
    # and of an entity: each row that describes it
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?file ?row WHERE { "
         "GRAPH ?g { <https://w3id.org/accelerator-kg/id/entity/sasac> kg:sourceRow ?row } ?g kg:sourceFile ?file }")
    res = run("sparql", q, "--db", mini_db, "--format", "csv")
    assert res.stdout.splitlines() == ["file,row", "entities.csv,2"]


def test_conflicting_sources_stay_side_by_side(tmp_path, mini_dir):
    other = tmp_path / "other"
    other.mkdir()
    (other / "entities.csv").write_text(
        "id,type,name,uscc,source\nx,Firm,Example Drive Company,91210100MA0DRY033M,other-register\n", encoding="utf-8"
    )
    db = tmp_path / "db"
    build([mini_dir, other], db)
    s = open_store(db)
    names = {
        (r["s"].value, r["n"].value)
        for r in s.query("SELECT ?s ?n WHERE { GRAPH ?g { <https://w3id.org/accelerator-kg/id/uscc/91210100MA0DRY033M> "
                         "<https://w3id.org/accelerator-kg/ont#name> ?n } ?g <https://w3id.org/accelerator-kg/ont#source> ?s }",
                         use_default_graph_as_union=True)
    }
    assert names == {("fixture", "Example Drive Co."), ("other-register", "Example Drive Company")}


def _integrated(db: Path, day: str) -> dict[tuple[str, str], float]:
    """The integrated shares that hold on ``day`` (a fixed ISO date, not user input)."""
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
         "SELECT ?o ?f ?s WHERE { ?x a kg:IntegratedOwnership ; kg:integratedOwner ?o ; kg:integratedOwned ?f ; kg:share ?s . "
         f"FILTER NOT EXISTS {{ ?x kg:validFrom ?a FILTER(?a > xsd:date('{day}')) }} "
         f"FILTER NOT EXISTS {{ ?x kg:validTo ?b FILTER(?b < xsd:date('{day}')) }} }}")
    out = {}
    for r in open_store(db).query(q, use_default_graph_as_union=True):
        out[(r["o"].value.rsplit("/", 1)[-1], r["f"].value.rsplit("/", 1)[-1])] = float(r["s"].value)
    short = {"91210100MA0GRP015Y": "grp", "91320500MA0LGB046J": "lg2"}
    return {(short.get(o, o), short.get(f, f)): v for (o, f), v in out.items()}


def test_derived_facts_hold_for_their_periods_and_floor_applies(tmp_path, mini_dir, run):
    """grp held 10% of lg2 in 2015-2019: its integrated stake (and SASAC's 51% x 10% = 5.1%
    through it) is stored for 2015-2019 only; --floor 0.06 drops the 5.1% indirect stake.
    kg build --as-of no longer restricts the derived facts (deprecated, a warning says so)."""
    db = tmp_path / "db"
    res = run("build", mini_dir, "--db", db, "--as-of", "2018", "--floor", "0.05", "-q")
    assert res.exit_code == 0, res.output
    assert "deprecated and ignored" in res.stderr
    io = _integrated(db, "2018-12-31")
    assert io[("grp", "lg2")] == pytest.approx(0.1)
    assert io[("sasac", "lg2")] == pytest.approx(0.051)
    assert ("gf", "lg2") not in io  # gf's stake starts 2021-07
    assert ("grp", "lg2") not in _integrated(db, "2024-01-01")
    assert json.loads((db / "build.json").read_text())["derived"]["periods"] is True

    assert run("build", mini_dir, "--db", db, "--floor", "0.06", "-q").exit_code == 0
    io = _integrated(db, "2018-12-31")
    assert ("grp", "lg2") in io and ("sasac", "lg2") not in io


def test_a_bad_as_of_names_the_option(run, tmp_path, sample_dir):
    r = run("build", sample_dir, "--db", tmp_path / "db", "--as-of", "2019-13-01")
    assert r.exit_code == 2
    assert r.output.strip() == ("Error: --as-of: '2019-13-01' is not a valid date (month 13 is out of range); "
                                "expected a date YYYY-MM-DD (or 2023年12月31日)")
    assert not (tmp_path / "db").exists()


def test_the_lean_model_states_each_fact_once_on_the_mini_fixture(mini_db):
    """The RDF model of issue 12.3, counted on the mini fixture: an entity row carries one row
    reference (kg:sourceRow) in the graph of its file, which describes itself once; a link and a
    financial year are named by their row (kg:rowInIri) and state no type (kg:typeStated false);
    no source-record nodes, no kg:Link supertype, no direct triple beside a qualified node; each
    derived kind's method once, on its class; derived values equal to their default left out."""
    import pyoxigraph as ox

    s = open_store(mini_db)
    g = "https://w3id.org/accelerator-kg/id/graph/source/fixture/"

    def said(iri):
        return sorted((q.predicate.value.rsplit("#", 1)[-1], q.graph_name.value.removeprefix(g).rsplit("/", 1)[-1])
                      for q in s.quads_for_pattern(ox.NamedNode(iri), None, None, None))

    def one(query):
        (row,) = list(s.query("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> " + query, use_default_graph_as_union=True))
        return row[0].value

    assert said("https://w3id.org/accelerator-kg/id/entity/sasac") == [  # one name: no kg:displayName
        ("city", "entities.csv"), ("country", "entities.csv"),
        ("hasOwnershipAssessment", "derived"), ("localId", "entities.csv"),
        ("name", "entities.csv"), ("nameZh", "entities.csv"), ("province", "entities.csv"), ("sector", "entities.csv"),
        ("sourceRow", "entities.csv"), ("stateOwned", "entities.csv"), ("type", "entities.csv")]
    # its state facts sit on its ownership assessment (one period: it is a state entity throughout)
    oa = one("SELECT ?a WHERE { <https://w3id.org/accelerator-kg/id/entity/sasac> kg:hasOwnershipAssessment ?a }")
    assert said(oa) == [("stateControlled", "derived"), ("stateInfluence", "derived"), ("stateShare", "derived")]
    own = one("SELECT ?o WHERE { ?o kg:owner <https://w3id.org/accelerator-kg/id/uscc/91210100MA0HLD0290> }")
    assert own.endswith("/row/4")
    assert said(own) == [("owned", "ownership.csv"), ("owner", "ownership.csv"), ("share", "ownership.csv"),
                         ("start", "ownership.csv"), ("startPrecision", "ownership.csv")]
    fy = one("SELECT ?y WHERE { ?f kg:reported ?y . ?y kg:year 2021 }")
    assert "/row/" in fy
    assert said(fy) == [("employees", "financials.csv"), ("netProfit", "financials.csv"), ("rdExpense", "financials.csv"),
                        ("revenue", "financials.csv"), ("year", "financials.csv")]
    assert said(g + "entities.csv") == [("source", "entities.csv"), ("sourceFile", "entities.csv"), ("type", "entities.csv")]
    counts = {p: int(one(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {p} ?o }}")) for p in (
        "kg:sourceRow", "kg:source", "kg:method", "kg:owns", "kg:controls", "kg:describedBy")}
    counts["Link"] = int(one("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Link }"))
    # 7 entity rows (5 OWNS, 3 FUNDED, 3 CERTIFIED_AS, 2 LISTED_ON and 4 financial years are
    # named by their row); one kg:source per file (6); the method of each of the 5 derived kinds present
    assert counts == {"kg:sourceRow": 7, "kg:source": 6, "kg:method": 5, "kg:owns": 0, "kg:controls": 0,
                      "kg:describedBy": 0, "Link": 0}
