"""Every canned query on the bundled sample, against the cases data/sample/README.md lists for
checking by hand (as of 2023-12-31 unless a test says otherwise). The same rows come out of
Neo4j: tests/test_queries_neo4j.py."""

from __future__ import annotations

import pytest

from kg.queries import run_query
from kg.rdf.store import open_store

AS_OF = "2023-12-31"
ID = "https://w3id.org/accelerator-kg/id/"

# the sample's entities by their ids in entities.csv
IRI = {
    "siasun": ID + "ticker/300024.SZ", "step-electric": ID + "ticker/002527.SZ", "leaderdrive": ID + "ticker/688017.SH",
    "hunhe-holding": ID + "uscc/91210100792257794L", "hunnan-servo": ID + "uscc/912101129396616290",
    "junli-logistics": ID + "uscc/91210100658574932N", "pujiang-motion": ID + "uscc/913101125411108867",
    "haoduo-welding": ID + "uscc/91310117706731825R", "qingyun-group": ID + "uscc/91340100145580966N",
    "qingyun-holding": ID + "uscc/91340100255452236X", "qingyun-reducer": ID + "uscc/91340100922300157C",
    "qingyun-welding": ID + "uscc/913402004547795739", "zhenyan-sensor": ID + "uscc/91340100536089218M",
    "tianyu-group": ID + "uscc/914403000469383018", "tianyu-motion": ID + "uscc/914403005651441245",
    "tuoheng-gripper": ID + "uscc/914419007873153121", "ruihe-linear": ID + "uscc/91320583183176411E",
    "dingheng-bearing": ID + "uscc/913205065234575606", "hengxin-chip": ID + "uscc/913202001996864163",
    "qingyu-automation": ID + "uscc/914403007382096791", "lixing-laser": ID + "uscc/914201004583780137",
    "yuechuan-inspection": ID + "uscc/91510100521634092L", "xudong-vision": ID + "uscc/91330100612203669T",
    "yihang-reducer": ID + "uscc/91430100462654332K", "chengxin-software": ID + "uscc/91320500090768223D",
    "mof": ID + "entity/mof", "anhui-sasac": ID + "entity/anhui-sasac", "sme-dev-fund": ID + "entity/sme-dev-fund",
    "mfg-upgrade-fund": ID + "entity/mfg-upgrade-fund", "jiangsu-dof": ID + "entity/jiangsu-dof",
    "big-fund-ii": ID + "entity/big-fund-ii", "chen-mingyuan": ID + "entity/chen-mingyuan",
    "jiangsu-amgf": ID + "uscc/91320100123936829C",
}
NAME = {v: k for k, v in IRI.items()}


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


def q(store, name, as_of=AS_OF, **params):
    cols, rows = run_query(store, name, {k: str(v) for k, v in params.items()}, as_of)
    return [dict(zip(cols, r, strict=True)) for r in rows]


def short(iri):
    return NAME.get(iri, iri)


def test_little_giants_inside_large_groups(store):
    rows = q(store, "little-giant-subsidiaries")
    got = {(short(r["firm"]), short(r["parent"])): (r["share"], r["hops"], r["parent_basis"]) for r in rows}
    # README "Little Giants inside large groups": the listed groups Siasun and STEP Electric have no
    # accounts (listed), Qingyun Group and Tianyu Group are large by size class; zhenyan-sensor
    # (0.35) is under the 50% line; intermediate holdings are not parents.
    assert got == {
        ("hunnan-servo", "siasun"): (1.0, 1, "listed"),
        ("junli-logistics", "siasun"): (0.7, 2, "listed"),
        ("pujiang-motion", "step-electric"): (1.0, 1, "listed"),
        ("haoduo-welding", "step-electric"): (0.6, 1, "listed"),
        ("qingyun-reducer", "qingyun-group"): (0.7, 2, "large"),
        ("qingyun-welding", "qingyun-group"): (1.0, 1, "large"),
        ("tianyu-motion", "tianyu-group"): (1.0, 1, "large"),
        ("tuoheng-gripper", "tianyu-group"): (0.51, 2, "large"),
    }
    rows = q(store, "little-giant-subsidiaries", min_share="30%")
    assert ("zhenyan-sensor", "qingyun-group") in {(short(r["firm"]), short(r["parent"])) for r in rows}


def test_state_capital_through_fund_of_funds(store):
    rows = q(store, "state-capital-flows", from_year=2021, to_year=2021)
    got = {(short(r["source"]), short(r["recipient"]), r["hops"]): r for r in rows if r["instrument"] == "equity"}
    # taihu-sme-fund: LP commitments 6亿 (sme-dev-fund), 4亿 (jiangsu-amgf), 2000万 (taihu-capital)
    r = got[("sme-dev-fund", "ruihe-linear", 2)]
    assert (r["amount"], r["look_through_amount"], r["via"]) == (
        120_000_000, pytest.approx(1.2e8 * 6 / 10.2), "Taihu SME Growth Sub-fund (LP)")
    # the Ministry owns 42.66% of the national fund (no LP commitments there): one more link
    assert got[("mof", "ruihe-linear", 3)]["look_through_amount"] == pytest.approx(1.2e8 * 0.4266 * 6 / 10.2)
    # the Jiangsu route: department -> provincial guidance fund (its only LP) -> sub-fund -> firm
    assert got[("jiangsu-dof", "hengxin-chip", 3)]["look_through_amount"] == pytest.approx(5e7 * 4 / 10.2)
    assert got[("big-fund-ii", "hengxin-chip", 1)]["look_through_amount"] == 120_000_000
    # the private VC and the private bank are no state source
    assert not {short(r["source"]) for r in rows} & {"qiaolin-vc", "xinyuan-bank", "taihu-capital"}
    rows = q(store, "state-capital-flows", source="Ministry of Finance", max_hops=2)
    assert {(short(r["recipient"]), r["look_through_amount"]) for r in rows} == {
        ("qingyun-group", 800_000_000 * 0.153), ("qingyun-reducer", 220_000_000 * 0.153)}


def test_cohort_financing_intensity_is_13_7_percent(store):
    (row,) = q(store, "financing-intensity", batches="1,2", total="true")
    assert row["firms"] == 16  # batch-1/2 Little Giants with financials (leaderdrive has none)
    assert (row["financing"], row["revenue"]) == (2_724_900_000, 19_937_864_000)
    assert round(row["intensity"] * 100, 1) == 13.7
    (row,) = q(store, "financing-intensity", batches="1-2", total="yes", benchmark_rate=1, min_state_share=0)
    assert round(row["intensity"] * 100, 1) == 15.1  # "all financing together"
    rows = {short(r["firm"]): r for r in q(store, "financing-intensity", batches="1,2")}
    assert rows["tianyu-motion"]["financing"] == 0 and rows["leaderdrive"]["revenue"] is None
    # xudong-vision: the private bank's loan and the private VC's equity do not count
    assert rows["xudong-vision"]["financing"] == 4_400_000 + 37_000_000


def test_sme_threshold_breaches(store):
    # the 2023 accounts count once 2023 has ended: asked at 2024-06-30
    rows = {short(r["firm"]): r for r in q(store, "sme-threshold-breaches", as_of="2024-06-30")}
    assert (rows["qingyun-reducer"]["employees"], rows["qingyun-reducer"]["revenue"]) == (1460, 1_125_549_000)
    assert (rows["qingyu-automation"]["employees"], rows["qingyu-automation"]["revenue"]) == (1120, 681_171_000)
    assert rows["qingyun-group"]["programme"] == "manufacturing_champion"  # not an SME tier
    # a software firm is large from 300 employees and 100m yuan (kg/domain/sme_size_thresholds.csv)
    assert (rows["chengxin-software"]["employees"], rows["chengxin-software"]["year"]) == (386, 2023)
    assert set(rows) == {"qingyun-reducer", "qingyu-automation", "qingyun-group", "chengxin-software"}


def test_weak_performers(store):
    rows = {short(r["firm"]): r for r in q(store, "weak-performers")}
    assert set(rows) == {"lixing-laser", "yuechuan-inspection"}
    assert (rows["lixing-laser"]["reason"], rows["lixing-laser"]["revenue"],
            rows["lixing-laser"]["revenue_3y_before"]) == ("revenue decline", 215_482_000, 328_507_000)
    assert (rows["yuechuan-inspection"]["reason"], rows["yuechuan-inspection"]["loss_years"]) == (
        "revenue decline, losses", 3)


def test_ultimate_owners_and_paths(store):
    rows = {short(r["owner"]): r for r in q(store, "ultimate-owners", ref="junli-logistics")}
    assert (rows["siasun"]["share"], rows["siasun"]["hops"], rows["siasun"]["controls"]) == (0.7, 2, True)
    assert rows["siasun"]["path"] == ("SIASUN Robot & Automation Co., Ltd. > Shenyang Hunhe Robotics Holding Co., Ltd. > "
                                      "Shenyang Junli Intelligent Logistics Equipment Co., Ltd.")
    rows = {short(r["owner"]): r for r in q(store, "ultimate-owners", ref="qingyun-reducer")}
    assert rows["anhui-sasac"]["share"] == pytest.approx(0.665)  # 0.95 x 1.0 x 0.70
    assert (rows["mfg-upgrade-fund"]["share"], rows["mfg-upgrade-fund"]["direct_share"]) == (pytest.approx(0.095), 0.06)
    assert rows["mof"]["share"] == pytest.approx(0.014535)
    rows = {short(r["owner"]): r for r in q(store, "ultimate-owners", ref="tuoheng-gripper")}
    assert rows["chen-mingyuan"]["share"] == pytest.approx(0.3468) and rows["chen-mingyuan"]["controls"] is True
    rows = {short(r["owner"]): r for r in q(store, "ultimate-owners", ref="taihu-sme-fund")}
    assert rows["mof"]["share"] == pytest.approx(0.12798)  # 0.4266 x 0.30
    # mof -> hengxin-chip = 0.4266 x 0.30 x 0.06 = 0.00768 is below the 1% floor of stored shares
    assert "mof" not in {short(r["owner"]) for r in q(store, "ultimate-owners", ref="hengxin-chip")}


def test_state_influence(store):
    (row,) = q(store, "state-influence", ref="hengxin-chip")
    # Big Fund II 12% + the sub-fund's 6% x (30% + 20% held by state funds) = 15%
    assert (row["level"], row["state_share"], row["state_controlled"]) == ("low", 0.15, False)
    assert row["path"].startswith("China Integrated Circuit Industry Investment Fund Phase II")
    rows = {short(r["firm"]): r for r in q(store, "state-influence", programme="little_giant", batches="1,2")}
    assert rows["qingyun-reducer"]["level"] == "high" and rows["tianyu-motion"]["level"] == "none"


def test_certification_ladder(store):
    rows = {(short(r["firm"]), r["to_programme"]): (r["from_programme"], r["from_year"], r["to_year"])
            for r in q(store, "certification-ladder")}
    assert rows[("leaderdrive", "manufacturing_champion")] == ("little_giant", 2019, 2020)
    assert rows[("qingyun-reducer", "little_giant")] == ("specialized_sme", 2018, 2019)
    assert rows[("qingyun-reducer", "manufacturing_champion")] == ("little_giant", 2019, 2022)
    assert rows[("dingheng-bearing", "manufacturing_champion")] == ("little_giant", 2020, 2023)
    assert ("qingyun-group", "manufacturing_champion") not in rows  # a champion never a Little Giant
    summary = {(r["from_programme"], r["to_programme"]): (r["firms"], r["to_firms"], r["share"])
               for r in q(store, "certification-ladder", summary="true")}
    assert summary[("little_giant", "manufacturing_champion")] == (3, 4, 0.75)


def test_certified_listings_share(store):
    rows = [tuple(r.values()) for r in q(store, "certified-listings-share")]
    assert rows == [(2009, 1, 0, 0.0), (2019, 1, 1, 1.0), (2020, 2, 2, 1.0), (2021, 2, 2, 1.0),
                    (2022, 4, 4, 1.0), (2023, 2, 2, 1.0)]
    # the yuechuan listing (2021) counts although it was delisted in 2023; STEP Electric has no date
    rows = q(store, "certified-listings-share", programme="manufacturing_champion")
    assert [(r["year"], r["certified"]) for r in rows][:3] == [(2009, 0), (2019, 0), (2020, 1)]


def test_expiring_certifications(store):
    rows = {(short(r["firm"]), r["programme"]): r for r in q(store, "expiring-certifications")}
    # README: as of 2023-12-31 the Little Giants with lapsed status are leaderdrive and xudong-vision
    lapsed = {k for k, r in rows.items() if r["status"] == "expired" and k[1] == "little_giant"}
    assert lapsed == {("leaderdrive", "little_giant"), ("xudong-vision", "little_giant")}
    assert rows[("xudong-vision", "little_giant")]["valid_to"] == "2022-05-31"
    assert rows[("xudong-vision", "little_giant")]["days_left"] == -579
    # batch 3 with only a year ran 2021-2023: ending on the as_of day
    assert rows[("yihang-reducer", "little_giant")]["status"] == "expiring"
    assert rows[("hengxin-chip", "little_giant")]["days_left"] == 0
    # hunnan-servo was re-reviewed (to 2025-07-31): not listed
    assert not any(k[0] == "hunnan-servo" for k in rows)
    # mid-2025: the 2022 year-only re-reviews have run out
    later = {short(r["firm"]) for r in q(store, "expiring-certifications", as_of="2025-06-30", only="expired",
                                          programme="little_giant")}
    assert {"pujiang-motion", "ruihe-linear", "zhenyan-sensor", "leaderdrive"} <= later
