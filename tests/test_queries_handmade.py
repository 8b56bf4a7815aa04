"""Canned queries on a small hand-made canonical folder, with every expected answer worked out
by hand from the rows below (as of 2023-12-31 unless a test says otherwise).

The folder (written by :func:`write_handmade`) is a made-up cohort built to hit each definition's
edges: a large group reaching a Little Giant through a holding (0.8 x 0.7 = 0.56, kept) and
another one below the 50% line (0.8 x 0.6 = 0.48, dropped); a listed parent without accounts; a
parent that is itself a certified SME (not a "larger firm"); an expired certification; a fund
of funds with LP commitments; a fund with a 30% state stake; loans below and above the
benchmark from state and private banks; revenue and loss patterns with gaps. The same folder
runs on Neo4j in tests/test_queries_neo4j.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kg.build import build
from kg.queries import run_query
from kg.rdf.store import open_store
from kg.resolve import entity_iri

AS_OF = "2023-12-31"

ENTITIES = """id,type,name,state_owned,sector,ticker
gov,GovernmentBody,Test Province Finance Department,true,,
sasac,GovernmentBody,Test SASAC,true,,
gf,GuidanceFund,Test National Guidance Fund,true,finance,
sub,Fund,Test Sub-fund,,finance,
mixfund,Fund,Test Mixed Fund,,finance,
vc,Fund,Private VC Fund,false,finance,
pvtlp,Firm,Private LP Co,false,finance,
sbank,Bank,State Bank,true,finance,
pbank,Bank,Private Bank,false,finance,
grp,Firm,Big Group,,industry,
hold,Firm,Group Holding,,industry,
listco,Firm,Listed Parent Co,,industry,600001.SH
lgparent,Firm,Certified Parent Co,,industry,600002.SH
a,Firm,Alpha Drives,,industry,
b,Firm,Beta Sensors,,industry,301999.SZ
c,Firm,Gamma Grippers,,industry,
d,Firm,Delta Motors,,industry,
e,Firm,Epsilon Vision,,industry,
f,Firm,Foxtrot Fixtures,,industry,
g,Firm,Golf Reducers,,industry,920999.BJ
h,Firm,Hotel Robotics,,industry,
i,Firm,India Lasers,,industry,
j,Firm,Juliet Joints,,industry,
k,Firm,Kilo Kinematics,,industry,
m,Firm,Mike Machines,,industry,
"""

OWNERSHIP = """owner,owned,share,start,end
sasac,grp,0.6,2000-01-01,
grp,hold,0.8,2005-01-01,
hold,a,0.7,2010-01-01,
hold,c,0.6,2010-01-01,
listco,b,1.0,2012-01-01,
lgparent,d,1.0,2012-01-01,
grp,e,1.0,2012-01-01,
grp,f,1.0,2012-01-01,
grp,a,0.05,2010-01-01,2015-12-31
gov,gf,1.0,2015-01-01,
gf,sub,0.30,2019-01-01,
gf,mixfund,0.30,2019-01-01,
"""

FUNDING = """funder,recipient,instrument,amount,date,interest_rate
gov,a,subsidy,10000000,2019-05-01,
vc,a,equity,50000000,2020-05-01,
gf,a,equity,20000000,2021-05-01,
sbank,a,loan,30000000,2018-05-01,0.05
pbank,a,loan,40000000,2019-05-01,0.04
pbank,b,loan,60000000,2019-05-01,0.05
mixfund,b,equity,25000000,2020-05-01,
gov,b,subsidy,5000000,2022-05-01,
sub,c,equity,12000000,2021-05-01,
gov,c,subsidy,3000000,,
sbank,c,loan,8000000,2017-05-01,
gf,sub,lp_commitment,300000000,2019-01-01,
pvtlp,sub,lp_commitment,100000000,2019-01-01,
"""

CERTIFICATIONS = """firm,programme,batch,year,valid_from,valid_to
a,little_giant,1,2019,,
a,little_giant,1,2022,,
b,little_giant,1,2019,2019-06-01,2024-05-31
c,specialized_sme,,2018,,
c,little_giant,2,2020,,
c,little_giant,2,2023,,
d,little_giant,2,2020,,
d,little_giant,2,2023,,
e,little_giant,1,2019,,
f,innovative_sme,,2020,,
f,specialized_sme,,2021,,
g,little_giant,2,2020,2020-07-01,2024-03-31
g,manufacturing_champion,,2023,,
h,little_giant,2,2020,,
h,little_giant,2,2023,,
i,little_giant,3,2021,,
j,little_giant,3,2021,,
k,little_giant,3,2021,,
m,manufacturing_champion,,2022,,
lgparent,little_giant,3,2022,2022-09-01,
"""

LISTINGS = """firm,exchange,ticker,listed
listco,SSE,600001.SH,2010-01-01
b,SZSE,301999.SZ,2021-03-01
g,BSE,920999.BJ,2022-05-10
lgparent,SSE,600002.SH,2022-08-01
"""

FINANCIALS = """firm,year,revenue,net_profit,employees
grp,2023,2000000000,100000000,5000
a,2015,100000000,1000000,200
a,2016,100000000,1000000,200
a,2017,100000000,1000000,200
a,2018,100000000,1000000,200
a,2019,100000000,1000000,200
a,2020,100000000,1000000,200
a,2021,100000000,1000000,200
a,2022,100000000,1000000,200
b,2019,150000000,1000000,300
b,2020,150000000,1000000,300
b,2021,150000000,1000000,300
c,2016,50000000,1000000,100
c,2017,50000000,1000000,100
c,2018,50000000,1000000,100
c,2019,50000000,1000000,100
c,2020,50000000,1000000,100
c,2021,50000000,1000000,100
g,2020,300000000,1000000,800
g,2022,500000000,1000000,1200
g,2023,400000000,1000000,1000
h,2022,500000000,1000000,1200
h,2023,900000000,1000000,999
i,2019,100000000,1000000,100
i,2020,110000000,1000000,100
i,2022,105000000,1000000,100
i,2023,95000000,1000000,100
j,2019,80000000,-5000000,100
j,2020,90000000,-1000000,100
j,2021,95000000,-1000000,100
j,2023,99000000,-1000000,100
k,2019,80000000,-5000000,100
k,2020,90000000,-1000000,100
k,2021,95000000,1000000,100
k,2022,96000000,1000000,100
k,2023,99000000,1000000,100
"""

FILES = {"entities.csv": ENTITIES, "ownership.csv": OWNERSHIP, "funding.csv": FUNDING,
         "certifications.csv": CERTIFICATIONS, "listings.csv": LISTINGS, "financials.csv": FINANCIALS}


def write_handmade(folder: Path) -> Path:
    """Write the hand-made canonical folder; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def iri(local_id: str) -> str:
    """IRI of an entity of the folder (none of them has a USCC or LEI)."""
    tickers = {"listco": "600001.SH", "lgparent": "600002.SH", "b": "301999.SZ", "g": "920999.BJ"}
    if local_id in tickers:
        return entity_iri(ticker=tickers[local_id])
    return entity_iri(local_id=local_id)


@pytest.fixture(scope="module")
def hm_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("handmade")
    db = root / "db"
    report = build([write_handmade(root / "csv")], db)
    assert report.rejected == 0, [r.line() for r in report.rejects]
    return db


@pytest.fixture(scope="module")
def store(hm_db):
    return open_store(hm_db)


def q(store, name, as_of=AS_OF, **params):
    cols, rows = run_query(store, name, {k: str(v) for k, v in params.items()}, as_of)
    return [dict(zip(cols, r, strict=True)) for r in rows]


# --------------------------------------------------------------------------- subsidiaries


# Size classes come from the latest financial year that has ended: the fixture's 2023 accounts
# (Big Group's, g's and h's) count from 2024-01-01, so the size tests ask at that day.
SIZE_AS_OF = "2024-01-01"


def test_little_giant_subsidiaries(store):
    rows = q(store, "little-giant-subsidiaries", as_of=SIZE_AS_OF)
    got = {(r["firm"], r["parent"]): (r["share"], r["hops"], r["parent_basis"]) for r in rows}
    # a: Big Group (large: 5,000 employees, 2bn yuan) through Group Holding, 0.8 x 0.7 = 0.56, 2 links;
    # b: Listed Parent Co (no accounts, listed on SSE) 100%.
    # Not: c (0.8 x 0.6 = 0.48 < 0.5; the holding itself is neither large nor listed); d (its
    # parent is a listed Little Giant itself); e (its Little Giant status ran out 2021-12-31);
    # f (not a Little Giant).
    assert got == {(iri("a"), iri("grp")): (0.56, 2, "large"), (iri("b"), iri("listco")): (1.0, 1, "listed")}
    assert [r["parent_name"] for r in rows] == ["Big Group", "Listed Parent Co"]


def test_little_giant_subsidiaries_min_share_and_past(store):
    rows = q(store, "little-giant-subsidiaries", min_share="45%", as_of=SIZE_AS_OF)
    assert {(r["firm"], r["parent"]) for r in rows} == {
        (iri("a"), iri("grp")), (iri("b"), iri("listco")), (iri("c"), iri("grp"))}
    # in 2020 e's first status was still valid, but Big Group had reported no accounts (its first
    # are of 2023), so it was no large parent then; with the listed-parent test it is not either
    rows = q(store, "little-giant-subsidiaries", as_of="2020-06-30")
    assert (iri("e"), iri("grp")) not in {(r["firm"], r["parent"]) for r in rows}


# --------------------------------------------------------------------------- financing intensity


def test_financing_intensity_per_firm(store):
    rows = {r["firm"]: r for r in q(store, "financing-intensity", batches="1,2")}
    # a: gov subsidy 10m + gf equity 20m + state-bank loan at 5% 30m + private loan at 4% 40m
    #    (below 4.35%) = 100m; the private VC's 50m does not count. Revenue 2016-2021 6 x 100m.
    assert rows[iri("a")]["financing"] == 100_000_000
    assert rows[iri("a")]["revenue"] == 600_000_000
    assert rows[iri("a")]["subsidies"] == 10_000_000 and rows[iri("a")]["equity"] == 20_000_000
    assert rows[iri("a")]["debt"] == 70_000_000
    # b: equity from the fund the guidance fund holds 30% of (state share 0.3 >= 0.25) = 25m;
    #    the private loan at 5% and the 2022 subsidy do not count. Revenue 3 x 150m.
    assert (rows[iri("b")]["financing"], rows[iri("b")]["revenue"]) == (25_000_000, 450_000_000)
    # c: sub-fund equity 12m (state share 0.3) + state-bank loan 8m; the undated subsidy does not count.
    assert (rows[iri("c")]["financing"], rows[iri("c")]["revenue"]) == (20_000_000, 300_000_000)
    assert rows[iri("c")]["intensity"] == pytest.approx(20 / 300)
    # d, e, g, h: in the cohort (batches 1-2) without revenue in the window (g reported 2020: 300m)
    assert rows[iri("d")]["revenue"] is None and rows[iri("d")]["intensity"] is None
    assert rows[iri("g")]["revenue"] == 300_000_000 and rows[iri("g")]["financing"] == 0
    assert set(rows) == {iri(x) for x in "abcdegh"}


def test_financing_intensity_total(store):
    (row,) = q(store, "financing-intensity", batches="1-2", total="true")
    # firms with revenue in 2016-2021: a, b, c, g; financing 100 + 25 + 20 + 0 = 145m;
    # revenue 600 + 450 + 300 + 300 = 1,650m; 145 / 1650 = 8.79%
    assert row == {"firms": 4, "financing": 145_000_000, "revenue": 1_650_000_000,
                   "intensity": pytest.approx(145 / 1650, abs=1e-9), "subsidies": 10_000_000,
                   "equity": 57_000_000, "debt": 78_000_000}
    (row,) = q(store, "financing-intensity", batches="1", total="yes")
    assert row["intensity"] == pytest.approx(125 / 1050, abs=0.001)  # to 0.1 percentage point
    # a benchmark of 3% drops the private 4% loan; min_state_share 0.5 drops both funds' equity
    (row,) = q(store, "financing-intensity", batches="1,2", total="true", benchmark_rate="3%", min_state_share=0.5)
    assert row["financing"] == 145_000_000 - 40_000_000 - 25_000_000 - 12_000_000


# --------------------------------------------------------------------------- state capital


def test_state_capital_flows_look_through(store):
    rows = q(store, "state-capital-flows")
    got = {(r["source"], r["recipient"], r["instrument"], r["hops"]): (r["amount"], r["look_through_amount"])
           for r in rows}
    # direct
    assert got[(iri("gf"), iri("a"), "equity", 1)] == (20_000_000, 20_000_000)
    assert got[(iri("sbank"), iri("c"), "loan", 1)] == (8_000_000, 8_000_000)
    # the sub-fund: LP commitments 300m (gf) of 400m -> 0.75 of its 12m equity in c
    assert got[(iri("gf"), iri("c"), "equity", 2)] == (12_000_000, 9_000_000)
    # the mixed fund has no LP commitments: ownership 30% of its 25m in b
    assert got[(iri("gf"), iri("b"), "equity", 2)] == (25_000_000, 7_500_000)
    # the department owns the guidance fund 100%: one more link
    assert got[(iri("gov"), iri("c"), "equity", 3)] == (12_000_000, 9_000_000)
    assert got[(iri("gov"), iri("a"), "equity", 2)] == (20_000_000, 20_000_000)
    # private funders are no source; neither is the sub-fund (30% state, not controlled)
    assert not {r["source"] for r in rows} & {iri("vc"), iri("pbank"), iri("sub"), iri("mixfund")}
    # lp commitments are not flows to firms
    assert "lp_commitment" not in {r["instrument"] for r in rows}
    via = {r["via"] for r in rows if r["source"] == iri("gov") and r["hops"] == 3}
    assert via == {"Test National Guidance Fund > Test Sub-fund", "Test National Guidance Fund > Test Mixed Fund"}


def test_state_capital_flows_filters(store):
    rows = q(store, "state-capital-flows", source="Test National Guidance Fund", from_year=2021, to_year=2021)
    assert {(r["recipient"], r["hops"]) for r in rows} == {(iri("a"), 1), (iri("c"), 2)}
    rows = q(store, "state-capital-flows", source="gov", max_hops=1)
    # the undated subsidy to c is kept without a year filter; b's 2022 subsidy too
    assert sorted((r["recipient"], r["year"]) for r in rows) == sorted(
        [(iri("a"), 2019), (iri("b"), 2022), (iri("c"), None)])
    rows = q(store, "state-capital-flows", source="gov", max_hops=1, as_of="2021-12-31")
    assert {r["year"] for r in rows} == {2019, None}


# --------------------------------------------------------------------------- size and performance


def test_sme_threshold_breaches(store):
    rows = q(store, "sme-threshold-breaches", as_of=SIZE_AS_OF)
    # g: 1,000 employees and 400m yuan in 2023 (its latest year) is large (>=);
    # h was large in 2022 but has 999 employees in 2023; grp is large but not certified.
    assert [(r["firm"], r["year"], r["employees"], r["revenue"], r["programme"]) for r in rows] == [
        (iri("g"), 2023, 1000, 400_000_000, "manufacturing_champion")]
    assert q(store, "sme-threshold-breaches", programme="little_giant", as_of=SIZE_AS_OF)[0]["programme"] == "little_giant"
    # a day earlier the 2023 accounts do not count yet: g and h are large by their 2022 accounts
    assert [(r["firm"], r["year"], r["employees"]) for r in q(store, "sme-threshold-breaches", as_of="2023-12-31")] == [
        (iri("g"), 2022, 1200), (iri("h"), 2022, 1200)]
    # and Big Group, large only from its 2023 accounts, is no large parent yet (b's listed parent is)
    assert {r["parent"] for r in q(store, "little-giant-subsidiaries", as_of="2023-12-31")} == {iri("listco")}


def test_weak_performers(store):
    rows = {r["firm"]: r for r in q(store, "weak-performers")}
    # i: 95m in 2023 below 110m in 2020 (2021 missing does not matter)
    # j: losses in 2021 and 2023, two of the three years 2021-2023 (2022 is missing)
    # k: its losses (2019, 2020) are before 2021-2023; a, c flat; b has no year 3 back
    assert set(rows) == {iri("i"), iri("j")}
    assert (rows[iri("i")]["reason"], rows[iri("i")]["revenue"], rows[iri("i")]["revenue_3y_before"]) == (
        "revenue decline", 95_000_000, 110_000_000)
    assert (rows[iri("j")]["reason"], rows[iri("j")]["loss_years"]) == ("losses", 2)
    assert rows[iri("j")]["revenue"] == 99_000_000 and rows[iri("j")]["revenue_3y_before"] == 90_000_000
    # as of 2022: j's latest year is 2021, losses in 2019, 2020 and 2021; k's latest is 2022,
    # one loss in 2020-2022; i's latest year is 2022 and 105m is not below 2019's 100m
    rows = {r["firm"]: r for r in q(store, "weak-performers", as_of="2022-12-31")}
    assert set(rows) == {iri("j")} and rows[iri("j")]["loss_years"] == 3


# --------------------------------------------------------------------------- owners and state


def test_ultimate_owners(store):
    rows = q(store, "ultimate-owners", ref="Alpha Drives")
    got = {r["owner"]: r for r in rows}
    assert set(got) == {iri("hold"), iri("grp"), iri("sasac")}
    assert [r["owner"] for r in rows] == [iri("hold"), iri("grp"), iri("sasac")]  # by share
    assert (got[iri("hold")]["share"], got[iri("hold")]["direct_share"], got[iri("hold")]["controls"]) == (0.7, 0.7, True)
    assert (got[iri("grp")]["share"], got[iri("grp")]["direct_share"]) == (0.56, None)  # the 5% stake ended 2015
    assert got[iri("sasac")]["share"] == pytest.approx(0.336)
    assert got[iri("sasac")]["controls"] is True and got[iri("sasac")]["state_controlled"] is True
    assert got[iri("sasac")]["path"] == "Test SASAC > Big Group > Group Holding > Alpha Drives"


def test_state_influence(store):
    (a,) = q(store, "state-influence", ref="a")
    assert (a["level"], a["state_controlled"]) == ("high", True)
    rows = {r["firm"]: r for r in q(store, "state-influence", programme="little_giant", batches="1")}
    assert set(rows) == {iri("a"), iri("b"), iri("e")}
    assert (rows[iri("b")]["level"], rows[iri("b")]["state_share"]) == ("none", 0.0)
    # the cohort language: programme alone means a certification valid at as_of (e's 2019-2021 has
    # lapsed); certified=ever, or batches, takes in the lapsed ones
    assert {r["firm"] for r in q(store, "state-influence", level="high", programme="little_giant")} == {
        iri("a"), iri("c")}
    assert {r["firm"] for r in q(store, "state-influence", level="high", programme="little_giant",
                                 certified="ever")} == {iri("a"), iri("c"), iri("e")}


# --------------------------------------------------------------------------- certifications


def test_expiring_certifications(store):
    rows = q(store, "expiring-certifications")
    got = {(r["firm"], r["programme"]): (r["status"], r["days_left"], r["valid_to"]) for r in rows}
    assert got == {
        # e: ran out 2021-12-31, no renewal
        (iri("e"), "little_giant"): ("expired", -730, "2021-12-31"),
        # f: specialized_sme 2021 runs to 2023-12-31 (its lower tier lapsed is not listed)
        (iri("f"), "specialized_sme"): ("expiring", 0, "2023-12-31"),
        # i, j, k: batch 3 (2021, year only) runs three years to 2023-12-31, the as_of day
        (iri("i"), "little_giant"): ("expiring", 0, "2023-12-31"),
        (iri("j"), "little_giant"): ("expiring", 0, "2023-12-31"),
        (iri("k"), "little_giant"): ("expiring", 0, "2023-12-31"),
        # b: explicit 2024-05-31 is 152 days away; g's LG ends 2024-03-31 but g is a champion
        (iri("b"), "little_giant"): ("expiring", 152, "2024-05-31"),
        # m: champion 2022 runs to 2024-12-31: outside 180 days; lgparent has no end (3 years)
    }
    wide = {(r["firm"], r["programme"]) for r in q(store, "expiring-certifications", window_days=400)}
    assert {(iri("a"), "little_giant"), (iri("m"), "manufacturing_champion")} <= wide
    only = q(store, "expiring-certifications", only="expired")
    assert [(r["firm"], r["batch"], r["valid_from"]) for r in only] == [(iri("e"), 1, "2019-01-01")]


def test_certification_ladder(store):
    rows = [(r["firm"], r["from_programme"], r["from_year"], r["to_programme"], r["to_year"])
            for r in q(store, "certification-ladder")]
    assert rows == [
        (iri("f"), "innovative_sme", 2020, "specialized_sme", 2021),
        (iri("c"), "specialized_sme", 2018, "little_giant", 2020),
        (iri("g"), "little_giant", 2020, "manufacturing_champion", 2023),
    ]
    summary = {(r["from_programme"], r["to_programme"]): (r["firms"], r["to_firms"], r["share"])
               for r in q(store, "certification-ladder", summary="true")}
    # champions: g (from a Little Giant) and m (never one): half came from the Little Giants
    assert summary[("little_giant", "manufacturing_champion")] == (1, 2, 0.5)
    assert summary[("specialized_sme", "little_giant")] == (1, 11, pytest.approx(1 / 11))  # 11 Little Giants


def test_certified_listings_share(store):
    rows = [tuple(r.values()) for r in q(store, "certified-listings-share")]
    # 2010 listco (never certified); 2021 b (Little Giant since 2019-06-01);
    # 2022 g (Little Giant since 2020-07-01) and lgparent (certified only from 2022-09-01)
    assert rows == [(2010, 1, 0, 0.0), (2021, 1, 1, 1.0), (2022, 2, 1, 0.5)]
    assert [r["year"] for r in q(store, "certified-listings-share", from_year=2021)] == [2021, 2022]


def test_as_of_default_is_today(store):
    cols, rows = run_query(store, "certified-listings-share", {})
    assert len(rows) == 3 and dt.date.today().year >= 2023
