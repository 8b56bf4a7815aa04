"""Derived facts exact at any date (issue 13.1): the build stores each derived fact with the
period it holds for, so a query at any as_of reads the ownership, control, ultimate controller,
state share and size class of that day, on SPARQL and on embedded Cypher (the Neo4j side is
tests/test_derived_periods_neo4j.py).

The folder: Holdco owns 60% of Target until 2022-06-30 (a holding that ends in 2022); the
Province Finance Department takes 100% of Holdco from 2020-03-01 (a holding that starts in
2020). So Target's controllers are Holdco (2019), Holdco and the state (2021), nobody (2023).
Grower reports 800 employees and 300m yuan for 2021 and 2022, then 1,500 and 900m for 2023:
it grows out of SME size in 2023, which counts once 2023 has ended.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.build import build
from kg.cypher.backend import CypherBackend
from kg.cypher.engine import open_graph, run_cypher
from kg.queries import run_query
from kg.rdf.query import run_sparql
from kg.rdf.store import open_store
from kg.resolve import entity_iri

FILES = {
    "entities.csv": """id,type,name,state_owned,sector
prov,GovernmentBody,Province Finance Department,true,
holdco,Firm,Holdco,,industry
target,Firm,Target Robotics,,industry
grower,Firm,Grower Drives,,industry
""",
    "ownership.csv": """owner,owned,share,start,end
holdco,target,0.6,2015-01-01,2022-06-30
prov,holdco,1.0,2020-03-01,
""",
    "certifications.csv": """firm,programme,batch,year,valid_from,valid_to
target,little_giant,1,2019,2019-07-01,2025-06-30
grower,little_giant,1,2019,2019-07-01,2025-06-30
""",
    "financials.csv": """firm,year,revenue,net_profit,employees
grower,2021,300000000,1000000,800
grower,2022,300000000,1000000,800
grower,2023,900000000,1000000,1500
""",
}

DAYS = ["2019-06-30", "2021-06-30", "2023-06-30"]

#: Target's owners at each day: (owner, share, controls, owner state-controlled)
OWNERS = {
    "2019-06-30": [("holdco", 0.6, True, False)],
    "2021-06-30": [("holdco", 0.6, True, True), ("prov", 0.6, True, True)],
    "2023-06-30": [],
}
#: Target's ultimate controller, state influence and state share at each day
ULTIMATE = {"2019-06-30": "holdco", "2021-06-30": "prov", "2023-06-30": None}
STATE = {"2019-06-30": ("none", 0.0, False), "2021-06-30": ("high", 0.6, True), "2023-06-30": ("none", 0.0, False)}


def iri(local_id: str) -> str:
    return entity_iri(local_id=local_id)


def write_periods(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    root = tmp_path_factory.mktemp("periods")
    db = root / "db"
    report = build([write_periods(root / "csv")], db)
    assert report.rejected == 0, [r.line() for r in report.rejects]
    return db


@pytest.fixture(scope="module", params=["sparql", "cypher"])
def backend(request, db):
    return open_store(db) if request.param == "sparql" else CypherBackend.open(db)


def _rows(backend, name, day, **params):
    cols, rows = run_query(backend, name, {k: str(v) for k, v in params.items()}, day)
    return [dict(zip(cols, r, strict=True)) for r in rows]


@pytest.mark.parametrize("day", DAYS)
def test_controllers_differ_at_three_dates(backend, day):
    rows = _rows(backend, "ultimate-owners", day, ref=iri("target"))
    got = [(r["owner"], round(r["share"], 6), bool(r["controls"]), bool(r["state_controlled"])) for r in rows]
    assert sorted(got) == sorted((iri(o), s, c, st) for o, s, c, st in OWNERS[day])


@pytest.mark.parametrize("day", DAYS)
def test_state_influence_of_the_day(backend, day):
    (row,) = _rows(backend, "state-influence", day, ref=iri("target"))
    assert (row["level"], round(row["state_share"], 6), bool(row["state_controlled"])) == STATE[day]
    assert (row["path"] is not None) == (day == "2021-06-30")


def _ultimate_sparql(db, day):
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?c WHERE { ?t kg:hasOwnershipAssessment ?a . "
         "?a kg:ultimateController ?c . FILTER NOT EXISTS { ?a kg:validFrom ?f FILTER(?f > ?day) } "
         "FILTER NOT EXISTS { ?a kg:validTo ?u FILTER(?u < ?day) } }")
    import datetime as dt

    import pyoxigraph as ox

    rows = run_sparql(open_store(db), q, {"t": ox.NamedNode(iri("target")),
                                          "day": ox.Literal(dt.date.fromisoformat(day).isoformat(),
                                                            datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))})[1]
    return [r[0] for r in rows]


def _ultimate_cypher(db, day):
    import datetime as dt

    q = ("MATCH (t:Firm {iri: $t})-[:HAS_OWNERSHIP]->(a:OwnershipAssessment)-[:ULTIMATE_CONTROLLER]->(c) "
         "WHERE (a.valid_from IS NULL OR a.valid_from <= $day) AND (a.valid_to IS NULL OR a.valid_to >= $day) "
         "RETURN c.iri AS c")
    return [r[0] for r in run_cypher(open_graph(db), q, {"t": iri("target"), "day": dt.date.fromisoformat(day)})[1]]


@pytest.mark.parametrize("day", DAYS)
def test_the_ultimate_controller_of_the_day(db, day):
    want = [iri(ULTIMATE[day])] if ULTIMATE[day] else []
    assert _ultimate_sparql(db, day) == want
    assert _ultimate_cypher(db, day) == want


@pytest.mark.parametrize("day,breach", [("2022-06-30", False), ("2023-12-31", False), ("2024-06-30", True)])
def test_a_firm_that_grows_out_of_sme_size_in_2023(backend, day, breach):
    rows = _rows(backend, "sme-threshold-breaches", day)
    if breach:
        assert [(r["firm"], r["year"], r["employees"]) for r in rows] == [(iri("grower"), 2023, 1500)]
    else:
        assert rows == []


@pytest.mark.parametrize("day,breach", [("2022-06-30", False), ("2024-06-30", True)])
def test_the_samples_firm_that_grows_out_of_sme_size(sample_db, day, breach):
    """Shenzhen Qingyu Automation: 2022 accounts within the SME thresholds, 2023 over them."""
    for backend in (open_store(sample_db), CypherBackend.open(sample_db)):
        firms = {r["firm_name"] for r in _rows(backend, "sme-threshold-breaches", day, programme="little_giant")}
        assert ("Shenzhen Qingyu Automation Equipment Co., Ltd." in firms) is breach


def test_derived_links_carry_their_period(db):
    """ULTIMATELY_OWNS and CONTROLS state valid_from / valid_to (inclusive) on both backends."""
    q = ("PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?from ?to WHERE { ?io a kg:IntegratedOwnership ; "
         "kg:integratedOwner ?o ; kg:integratedOwned ?t . OPTIONAL { ?io kg:validFrom ?from } OPTIONAL { ?io kg:validTo ?to } "
         "FILTER(?o = ?prov) }")
    import pyoxigraph as ox

    rows = run_sparql(open_store(db), q, {"prov": ox.NamedNode(iri("prov"))})[1]
    periods = sorted(((str(a) if a else ""), (str(b) if b else "")) for a, b in rows)
    # the state's integrated shares: of Holdco from 2020-03-01 on, of Target for 2020-03-01..2022-06-30
    assert periods == [("2020-03-01", ""), ("2020-03-01", "2022-06-30")]
    cy = run_cypher(open_graph(db), "MATCH (p:KgNode {iri: $p})-[r:ULTIMATELY_OWNS]->(t) RETURN r.valid_from, r.valid_to",
                    {"p": iri("prov")})[1]
    assert sorted(((str(a) if a else ""), (str(b) if b else "")) for a, b in cy) == periods
