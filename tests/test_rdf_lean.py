"""The lean RDF store (issue 12.3): quads per firm on a synthetic graph, and what the store
leaves out coming back when it is read.

The store is written from the graph tables (kg.rdf.sink.generation_quads); counting its N-Quads
needs no Oxigraph load. At 2,000 firms (``kg synth --seed 7``) the layout before session 7 (types
on every link node, financial year and assessment; a kg:sourceRow on each; derived lookups and
default values stated) wrote ~149 quads per firm; the lean store of session 7 ~108, of session 8
(a control stated on its integrated ownership's node) ~105.5 (docs/benchmarks.md, "Lean store").
At 10^5 firms: 106.2 -> 103.45."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

import kg.synth as synth
from kg.build import build
from kg.dbfolder import live_generation
from kg.ontology import KG
from kg.rdf.nquads import row_iri, shares_node_of, split_row_iri, store_rules, type_stated
from kg.rdf.read import read_links
from kg.rdf.sink import generation_quads
from kg.rdf.store import open_store
from kg.resolve import link_iri
from kg.tables.read import open_tables

FIRMS = 2_000
BOUND = 106
"""Quads per firm the store stays under at 2,000 firms (the layout before wrote ~149; the lean
one ~105.5; 10^5 firms: docs/benchmarks.md)."""


@pytest.fixture(scope="module")
def lean_db(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("synth") / "src"
    synth.generate(src, firms=FIRMS, seed=7)
    db = tmp_path_factory.mktemp("lean") / "db"
    build([src], db, store="later")
    return db


@pytest.fixture(scope="module")
def quads(lean_db) -> list[str]:
    return [line for chunk in generation_quads(live_generation(lean_db)) for line in chunk.splitlines() if line]


def test_quads_per_firm_stay_under_the_bound(quads):
    assert len(quads) / FIRMS < BOUND, f"{len(quads) / FIRMS:.1f} quads per firm"


def test_what_the_ontology_says_is_left_out_is_not_written(quads):
    preds = collections.Counter(q.split(" ", 2)[1] for q in quads)
    types = collections.Counter(q.split(" ", 3)[2] for q in quads if q.split(" ", 2)[1].endswith("#type>"))
    for cls in ("Ownership", "Funding", "Certification", "FinancialYear", "OwnershipAssessment", "SizeAssessment"):
        assert not type_stated(KG + cls) and types[f"<{KG}{cls}>"] == 0
    assert types[f"<{KG}IntegratedOwnership>"] > 0  # the README's first query asks for it
    for local in ("certYear", "countsFrom", "weakReason", "nextYear"):
        assert store_rules()[KG + local] == ("unstated", None) and preds[f"<{KG}{local}>"] == 0
    # kg:sourceRow only on entity rows: financial years and link nodes are named by their row
    reported = [q.split(" ", 3)[2] for q in quads if q.split(" ", 2)[1] == f"<{KG}reported>"]
    assert reported and all(split_row_iri(o.strip("<>"))[1] for o in reported)
    assert preds[f"<{KG}sourceRow>"] < len(reported) / 4


def test_row_names_round_trip():
    iri = "https://w3id.org/accelerator-kg/id/link/owns/0123456789abcdef0123"
    assert split_row_iri(row_iri(iri, 12)) == (iri, 12) and split_row_iri(iri) == (iri, None)


def test_a_control_is_stated_on_its_integrated_ownership_node(quads, lean_db):
    """kg:sharesNodeOf: a control with the ends, period, share and hops of an integrated ownership
    is two role statements on that node; read back, the controls equal the tables'."""
    by_subject = collections.defaultdict(set)
    for q in quads:
        s, p, _ = q.split(" ", 2)
        by_subject[s].add(p)
    controls = [s for s, ps in by_subject.items() if f"<{KG}controller>" in ps]
    shared = [s for s in controls if f"<{KG}integratedOwner>" in by_subject[s]]
    assert shared and len(shared) > 0.9 * len(controls)
    assert shares_node_of(KG + "Control") == KG + "IntegratedOwnership"
    tables = open_tables(live_generation(lean_db) / "tables").derived().control
    want = {link_iri("CONTROLS", r.controller, r.controlled, r.valid_from): (r.controller, r.controlled, r.share, r.hops)
            for r in tables.itertuples()}
    got = read_links(open_store(lean_db), "CONTROLS")
    assert {r.iri: (r["from"], r.to, r.share, r.hops) for _, r in got.iterrows()} == want
