"""Shipped layouts (MIIT lists, registry exports) and a foreign layout by a mapping file."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.loaders.sources import load_sources
from kg.rdf.store import open_store
from kg.resolve import resolve

ENTITIES = """id,type,name,uscc,province
gear,Firm,苏州齿轮有限公司,91320500MA0LGB046J,Jiangsu
drive,Firm,示例驱动有限公司,91210100MA0DRY033M,Liaoning
pump,Firm,杭州泵业有限公司,,浙江省
"""
MIIT = """第三批专精特新“小巨人”企业名单
序号,企业名称,省份,所属领域
1,苏州齿轮有限公司,江苏省,精密齿轮
2,杭州泵业股份有限公司,浙江,工业泵
3,宁波新材料有限公司,浙江,新材料
"""
HOLDERS = """企业名称,统一社会信用代码,股东(发起人),股东类型,认缴出资额(万元),认缴出资日期
苏州齿轮有限公司,91320500MA0LGB046J,张三,自然人股东,300,2011-05-01
苏州齿轮有限公司,91320500MA0LGB046J,苏州国有资本投资有限公司,国有法人,700,2011-05-01
"""


@pytest.fixture
def three_sources(tmp_path):
    canon = tmp_path / "canonical"
    canon.mkdir()
    (canon / "entities.csv").write_text(ENTITIES, encoding="utf-8")
    miit = tmp_path / "小巨人名单.csv"
    miit.write_bytes(MIIT.encode("gb18030"))
    holders = tmp_path / "股东信息.csv"
    holders.write_text(HOLDERS, encoding="utf-8")
    return canon, miit, holders


def test_miit_list_registry_export_and_canonical_folder_are_one_entity_per_firm(three_sources):
    recs = load_sources(list(three_sources))
    assert recs.rejects == [] and recs.warnings == []
    res = resolve(recs)
    assert res.rejects == []
    names = res.entities.set_index("iri")["name"].to_dict()
    by_name = {v: k.rsplit("/", 2)[-2] + "/" + k.rsplit("/", 1)[-1] for k, v in names.items()}
    # the MIIT row without USCC joined the canonical firm with the USCC (name + province,
    # 江苏省 = Jiangsu; 浙江 = 浙江省)
    gear = "https://w3id.org/accelerator-kg/id/uscc/91320500MA0LGB046J"
    cert = res.links["CERTIFIED_AS"]
    assert (gear, "little_giant", 3) in set(zip(cert["from_iri"], cert["to_iri"].str.rsplit("/", n=1).str[1], cert["batch"],
                                               strict=True))
    assert len(cert) == 3
    # 股份有限公司 vs 有限公司: the same normalised name, so the pump firm is one entity too
    assert sum(1 for n in names.values() if n and n.startswith("杭州泵业")) == 1
    assert "宁波新材料有限公司" in by_name  # a firm only the list knows is a new entity
    owns = res.links["OWNS"].sort_values("share")
    assert owns["to_iri"].tolist() == [gear, gear]
    assert owns["share"].tolist() == [0.3, 0.7]
    assert owns["share_basis"].tolist() == ["computed_from_capital"] * 2
    assert owns["subscribed_capital"].tolist() == [3e6, 7e6]
    rows = res.entity_rows.set_index("name")
    assert rows.loc["苏州国有资本投资有限公司", "state_owned"] is True
    assert rows.loc["苏州国有资本投资有限公司", "state_owned_reason"] == "shareholder type 国有法人"
    assert rows.loc["张三", "type"] == "Person"
    assert len(res.entities) == 6  # gear, drive, pump, ningbo, 张三, the state holder


def test_programme_and_batch_from_loader_params_win_over_the_title(three_sources):
    _, miit, _ = three_sources
    recs = load_sources([miit], params={"programme": "specialized_sme", "batch": "5"})
    cert = recs.links["CERTIFIED_AS"][0]
    assert set(cert["to_ref"]) == {"specialized_sme"} and set(cert["batch"]) == {5}


def test_a_list_without_programme_says_how_to_give_it(tmp_path):
    f = tmp_path / "list.csv"
    f.write_text("序号,企业名称,省份\n1,甲公司,江苏\n", encoding="utf-8")
    from kg.sources.tabular import SourceError

    with pytest.raises(SourceError) as e:
        load_sources([f])
    assert str(e.value) == (
        "list.csv: no programme for table miit_list: give it with --loader-param programme=VALUE, a column "
        "(programme, 项目, 称号, 认定类型) or a title row such as 第三批专精特新“小巨人”企业名单")


def test_ambiguous_name_and_province_is_a_reject_with_the_candidates(tmp_path):
    canon = tmp_path / "c"
    canon.mkdir()
    (canon / "entities.csv").write_text(
        "id,type,name,uscc,province\na,Firm,甲公司,91350200776049653A,\nb,Firm,甲有限公司,9135021359498494XQ,\n", encoding="utf-8")
    miit = tmp_path / "名单.csv"
    miit.write_text("第一批专精特新“小巨人”企业名单\n序号,企业名称,省份\n1,甲公司,福建\n", encoding="utf-8")
    recs = load_sources([canon, miit])
    res = resolve(recs)
    assert [r.line() for r in res.rejects] == [
        "名单.csv:3:name: value '甲公司' is not a unique entity by name and place (it matches uscc/91350200776049653A, "
        "uscc/9135021359498494XQ); expected a USCC, or a province or city that tells them apart"]
    assert "CERTIFIED_AS" not in res.links or len(res.links["CERTIFIED_AS"]) == 0


BASIC = """企业名称,统一社会信用代码,法定代表人,注册资本,成立日期,登记状态,企业类型,所属省份,核准日期
苏州齿轮有限公司,91320500MA0LGB046J,李四,5000万元人民币,2011-05-01,存续,有限责任公司(国有独资),江苏,2020-01-01
示例驱动有限公司,91210100MA0DRY033M,王五,100万美元,2012-03-01,注销,有限责任公司(外商投资),辽宁,2023-06-30
"""


def test_registry_basic_export(tmp_path):
    f = tmp_path / "工商信息.csv"
    f.write_text(BASIC, encoding="utf-8")
    recs = load_sources([f])
    assert recs.rejects == []
    e = recs.entities[0].set_index("uscc")
    gear, drive = e.loc["91320500MA0LGB046J"], e.loc["91210100MA0DRY033M"]
    assert (gear["registered_capital"], gear["registered_capital_currency"]) == (5e7, "CNY")
    assert (drive["registered_capital"], drive["registered_capital_currency"]) == (1e6, "USD")
    assert gear["state_owned"] is True and gear["state_owned_reason"] == "legal form 有限责任公司(国有独资)"
    assert drive["state_owned"] is None and drive["state_owned_reason"] is None
    assert (gear["registration_status"], gear["dissolved"]) == ("active", None)
    assert drive["registration_status"] == "deregistered" and drive["dissolved"].iso() == "2023-06-30"
    assert gear["legal_representative"] == "李四"
    db = tmp_path / "db"
    build([f], db, derive=False)
    store = open_store(db)
    q = ("SELECT ?c ?cur ?d WHERE { ?f <https://w3id.org/accelerator-kg/ont#registeredCapital> ?c ; "
         "<https://w3id.org/accelerator-kg/ont#registeredCapitalCurrency> ?cur . "
         "OPTIONAL { ?f <https://w3id.org/accelerator-kg/ont#dissolved> ?d } } ORDER BY ?c")
    rows = [(r["c"].value, r["cur"].value, r["d"].value if r["d"] else None) for r in store.query(q, use_default_graph_as_union=True)]
    assert rows == [("1000000", "USD", "2023-06-30"), ("50000000", "CNY", None)]
    assert isinstance(store, ox.Store)


INVEST = """投资方,被投企业,轮次,金额,投资日期
红杉中国、深创投，国投创业,苏州齿轮有限公司,B轮,数千万人民币,2021-03-01
高瓴资本,苏州齿轮有限公司,C轮,近亿元,2022-01
国投创业,苏州齿轮有限公司,D轮,超过1亿元,2023
深创投,苏州齿轮有限公司,战略投资,未披露,2024-05-06
"""


def test_investment_events_split_investors_and_keep_vague_amounts_as_ranges(tmp_path):
    f = tmp_path / "投资事件.csv"
    f.write_text(INVEST, encoding="utf-8")
    res = resolve(load_sources([f]))
    assert res.rejects == []
    fund = res.links["FUNDED"]
    got = sorted(zip(fund["row"], fund["round"], fund["amount"], fund["amount_min"], fund["amount_max"], strict=True),
                 key=lambda r: (r[0], str(r)))
    assert got == [
        (2, "B轮", None, 1e7, 1e8), (2, "B轮", None, 1e7, 1e8), (2, "B轮", None, 1e7, 1e8),
        (3, "C轮", None, 5e7, 1e8),
        (4, "D轮", 1e8, 1e8, None),
        (5, "战略投资", None, None, None),
    ]
    investors = res.entities[res.entities["type"] == "Fund"]["name"].tolist()
    assert sorted(investors) == ["国投创业", "深创投", "红杉中国", "高瓴资本"]
    assert set(fund["instrument"]) == {"equity"} and set(fund["currency"]) == {"CNY"}


def test_miit_workbook_with_a_merged_title_cell_and_programme_in_the_sheet_name(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "第二批专精特新小巨人企业名单"
    other = book.create_sheet("说明")
    other.append(["本名单按地区排列"])
    ws.append(["2020年公示名单"])
    ws.merge_cells("A1:D1")
    ws.append(["序号", "企业名称", "所在地区", "主导产品"])
    ws.append([1, "苏州齿轮有限公司", "江苏省", "齿轮"])
    ws.append([2, "宁波新材料有限公司", "宁波市", "新材料"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    recs = load_sources([path])
    assert recs.rejects == []
    assert recs.warnings == ["list.xlsx[说明]: not a table of the canonical mapping (entities, ownership, funding, certifications, "
                             "listings, financials); nor has it the headers of a shipped layout (kg loaders); skipped"]
    cert = recs.links["CERTIFIED_AS"][0]
    assert cert[["to_ref", "batch", "year", "row"]].values.tolist() == [["little_giant", 2, 2020, 3], ["little_giant", 2, 2020, 4]]
    assert [d.iso() for d in cert["valid_to"]] == ["2022-12-31", "2022-12-31"]
    ent = recs.entities[0]
    assert ent[["name", "province", "sector", "row"]].values.tolist() == [
        ["苏州齿轮有限公司", "江苏省", "齿轮", 3], ["宁波新材料有限公司", "宁波市", "新材料", 4]]


def test_mixed_sources_build_prints_counts_per_file(three_sources, tmp_path, run):
    canon, miit, holders = three_sources
    db = tmp_path / "db"
    r = run("build", canon, miit, holders, "--db", db, "--no-derive")
    assert r.exit_code == 0, r.output
    assert "built" in r.output and "6 entities" in r.output
    lines = [ln.split() for ln in r.output.splitlines()]
    assert ["小巨人名单.csv", "miit_list", "3", "0"] in lines
    assert ["股东信息.csv", "registry_shareholders", "2", "0"] in lines


def test_shipped_mappings_check(run):
    from kg.resources import resource_path

    for path in sorted(resource_path("loaders").glob("*.yaml")):
        r = run("mapping", "check", path)
        assert r.exit_code == 0 and f"{path.name}: mapping" in r.output, r.output


def test_registry_and_investment_graph_conforms_to_the_shapes(tmp_path, run):
    (tmp_path / "工商信息.csv").write_text(BASIC, encoding="utf-8")
    (tmp_path / "投资事件.csv").write_text(INVEST, encoding="utf-8")
    db = tmp_path / "db"
    assert run("build", tmp_path / "工商信息.csv", tmp_path / "投资事件.csv", "--db", db, "-q").exit_code == 0
    r = run("validate", "--db", db)
    assert r.exit_code == 0 and r.stderr.strip() == "conforms", r.output


def test_a_batch_without_a_year_gets_the_batch_year(three_sources):
    _, miit, _ = three_sources  # "第三批专精特新“小巨人”企业名单": no year in the title
    cert = load_sources([miit], params={"issuer": "工业和信息化部"}).links["CERTIFIED_AS"][0]
    assert set(cert["year"]) == {2021} and set(cert["issuer_name"]) == {"工业和信息化部"}
    assert {d.iso() for d in cert["valid_from"]} == {"2021"} and {d.iso() for d in cert["valid_to"]} == {"2023-12-31"}
