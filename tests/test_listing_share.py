"""listing-share against an independent count: the listings and certifications read from the
build's graph tables (kg/tables, what every sink is written from) and counted in plain Python
by the query's documented rules, compared with the rows of both embedded backends (SPARQL on
the RDF store, Cypher on LadybugDB) for the sample and a synthetic graph, several cohorts and
dates. The queries are rewritten for speed now and then (issue 12: the Cypher text went from a
list test of every listing to a per-year join); this is what keeps their answer honest."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from kg.build import build
from kg.cypher.backend import CypherBackend
from kg.queries import run_query
from kg.queries.catalog import get_query
from kg.queries.run import prepare
from kg.tables import open_live_tables

EXCHANGES = {"SSE", "SZSE", "BSE"}


def _codes(tables) -> dict[str, str]:
    """Reference IRIs (exchanges, programmes) -> their codes."""
    ref = tables.read("reference", ["iri", "code"]).to_pylist()
    return {r["iri"]: r["code"] for r in ref}


def _day(v) -> dt.date | None:
    return v if v is None or isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])


def expected(db: Path, params: dict, as_of: str) -> list[list]:
    """[year, listings, by_cohort, share] per year, counted from the graph tables."""
    values = prepare(get_query("listing-share"), params, as_of)  # parameters parsed, certified resolved
    day = values["as_of"]
    tables = open_live_tables(db)
    codes = _codes(tables)
    firms = {}
    for r in tables.read("entities", ["iri", "type", "sector", "province"]).to_pylist():
        if r["type"] == "Firm":
            firms.setdefault(r["iri"], r)
    certs: dict[str, list[dict]] = {}
    for c in tables.read("links.CERTIFIED_AS", ["from_iri", "to_iri", "batch", "valid_from", "valid_to"]).to_pylist():
        firm = firms.get(c["from_iri"])
        start, end = _day(c["valid_from"]), _day(c["valid_to"])
        if (firm is None or values["certified"] is None
                or values["programme"] is not None and codes.get(c["to_iri"]) != values["programme"]
                or values["batches"] is not None and (c["batch"] is None or int(c["batch"]) not in values["batches"])
                or start is not None and start > day
                or values["certified"] == "valid" and end is not None and end < day
                or values["sector"] is not None and firm["sector"] != values["sector"]
                or values["province"] is not None and firm["province"] not in values["province"]):
            continue
        certs.setdefault(c["from_iri"], []).append({"start": start, "end": end})
    listings, by_cohort = Counter(), Counter()
    for x in tables.read("links.LISTED_ON", ["from_iri", "to_iri", "listed"]).to_pylist():
        listed = _day(x["listed"])
        if codes.get(x["to_iri"]) not in EXCHANGES or listed is None or listed > day:
            continue
        year = listed.year
        if (values["from_year"] is not None and year < values["from_year"]
                or values["to_year"] is not None and year > values["to_year"]):
            continue
        listings[year] += 1
        by_cohort[year] += any((c["start"] is None or c["start"] <= listed) and (c["end"] is None or c["end"] >= listed)
                               for c in certs.get(x["from_iri"], ()))
    return [[y, listings[y], by_cohort[y], by_cohort[y] / listings[y]] for y in sorted(listings)]


def _close(got: list[list], want: list[list]) -> bool:
    return len(got) == len(want) and all(
        g[:3] == w[:3] and abs(g[3] - w[3]) < 1e-8 for g, w in zip(got, want, strict=True))


CASES = [
    ({}, "2023-12-31"),
    ({"programme": "little_giant"}, "2023-12-31"),
    ({"programme": "little_giant", "batches": "1,2"}, "2023-12-31"),
    ({"programme": "little_giant", "batches": "1-3", "certified": "valid"}, "2022-06-30"),
    ({"certified": "valid"}, "2024-06-30"),
    ({"programme": "specialized_sme", "from_year": "2020", "to_year": "2022"}, "2023-12-31"),
    ({"programme": "innovative_sme", "sector": "industry"}, "2021-12-31"),
    ({"batches": "99"}, "2023-12-31"),  # an empty cohort: every year still listed, by_cohort 0
    ({}, "1990-01-01"),  # no listing yet: no rows
]


@pytest.fixture(scope="module")
def synth_db(tmp_path_factory) -> Path:
    from kg.synth import generate

    root = tmp_path_factory.mktemp("listing-share")
    generate(root / "synth", firms=3000, seed=7)
    build([root / "synth"], root / "db")
    return root / "db"


def _province(db: Path) -> str:
    """The province of the most certified firms of the graph (as the tables write it)."""
    tables = open_live_tables(db)
    prov = {r["iri"]: r["province"] for r in tables.read("entities", ["iri", "province"]).to_pylist()}
    n = Counter(prov.get(c["from_iri"]) for c in tables.read("links.CERTIFIED_AS", ["from_iri"]).to_pylist())
    return max((k for k in n if k), key=lambda k: (n[k], k))


@pytest.mark.parametrize("graph", ["sample", "synth"])
def test_listing_share_equals_an_independent_count(graph, sample_db, synth_db):
    db = sample_db if graph == "sample" else synth_db
    cypher = CypherBackend.open(db)
    cases = CASES + [({"programme": "little_giant", "province": _province(db)}, "2023-12-31")]
    nonzero = 0
    for params, as_of in cases:
        want = expected(db, params, as_of)
        for backend in (db, cypher):
            cols, got = run_query(backend, "listing-share", params, as_of)
            assert cols == ["year", "listings", "by_cohort", "share"]
            assert _close(got, want), (graph, getattr(backend, "name", "sparql"), params, as_of, got, want)
        nonzero += sum(r[2] for r in want) > 0
    assert nonzero >= 4  # the cases do count cohort listings, not only zeros
    assert expected(db, {}, "1990-01-01") == []
    assert all(r[2] == 0 for r in expected(db, {"batches": "99"}, "2023-12-31"))
