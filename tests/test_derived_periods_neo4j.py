"""Derived facts exact at any date, on Neo4j: the folder of tests/test_derived_periods.py pushed
to a real server gives the same controllers, state influence, ultimate controller and size-class
breaches at each date as the embedded backends (issue 13.1).

The server comes from NEO4J_URI / NEO4J_USER / NEO4J_PASSWORD, else tests/neo4j_fixture.py
starts one; when none can be had these tests fail (never skip).
"""

from __future__ import annotations

import datetime as dt

import pytest

from kg.build import build
from kg.neo4j.connect import Settings, open_driver
from kg.neo4j.push import push
from kg.queries import run_query
from kg.queries.run import Neo4jBackend

try:  # tests/ as a package or as a plain directory on sys.path
    from .neo4j_fixture import neo4j_connection
    from .test_derived_periods import DAYS, OWNERS, STATE, ULTIMATE, iri, write_periods
except ImportError:
    from neo4j_fixture import neo4j_connection
    from test_derived_periods import DAYS, OWNERS, STATE, ULTIMATE, iri, write_periods

pytestmark = pytest.mark.neo4j


@pytest.fixture(scope="module")
def neo(tmp_path_factory):
    root = tmp_path_factory.mktemp("periods-neo4j")
    db = root / "db"
    build([write_periods(root / "csv")], db)
    uri, user, password = neo4j_connection()
    settings = Settings(uri=uri, user=user, password=password)
    with open_driver(settings) as driver:
        # the server may hold another graph (of any size): wipe it in batches, then push
        push(db, settings, wipe_first=True)
        yield Neo4jBackend(driver, settings), driver, settings


def _rows(backend, name, day, **params):
    cols, rows = run_query(backend, name, {k: str(v) for k, v in params.items()}, day)
    return [dict(zip(cols, r, strict=True)) for r in rows]


@pytest.mark.parametrize("day", DAYS)
def test_controllers_differ_at_three_dates_on_neo4j(neo, day):
    backend, driver, settings = neo
    rows = _rows(backend, "ultimate-owners", day, ref=iri("target"))
    got = [(r["owner"], round(r["share"], 6), bool(r["controls"]), bool(r["state_controlled"])) for r in rows]
    assert sorted(got) == sorted((iri(o), s, c, st) for o, s, c, st in OWNERS[day])
    (row,) = _rows(backend, "state-influence", day, ref=iri("target"))
    assert (row["level"], round(row["state_share"], 6), bool(row["state_controlled"])) == STATE[day]
    q = ("MATCH (t:KgNode {iri: $t})-[:HAS_OWNERSHIP]->(a:OwnershipAssessment)-[:ULTIMATE_CONTROLLER]->(c) "
         "WHERE (a.valid_from IS NULL OR a.valid_from <= $day) AND (a.valid_to IS NULL OR a.valid_to >= $day) "
         "RETURN c.iri AS c")
    with driver.session(database=settings.database) as s:
        got = [r["c"] for r in s.run(q, t=iri("target"), day=dt.date.fromisoformat(day))]
    assert got == ([iri(ULTIMATE[day])] if ULTIMATE[day] else [])


@pytest.mark.parametrize("day,breach", [("2022-06-30", False), ("2024-06-30", True)])
def test_a_firm_that_grows_out_of_sme_size_in_2023_on_neo4j(neo, day, breach):
    rows = _rows(neo[0], "sme-threshold-breaches", day)
    assert [r["firm"] for r in rows] == ([iri("grower")] if breach else [])
