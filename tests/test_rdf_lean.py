"""The lean RDF store (issue 12.3): quads per firm on a synthetic graph, and what the store
leaves out coming back when it is read.

The store is written from the graph tables (kg.rdf.sink.generation_quads); counting its N-Quads
needs no Oxigraph load. At 2,000 firms (``kg synth --seed 7``) the layout before session 7 (types
on every link node, financial year and assessment; a kg:sourceRow on each; derived lookups and
default values stated) wrote ~149 quads per firm; the lean store writes ~108
(docs/benchmarks.md, "Lean store, session 7")."""

from __future__ import annotations

import collections

import pytest

import kg.synth as synth
from kg.build import build
from kg.dbfolder import live_generation
from kg.ontology import KG
from kg.rdf.nquads import row_iri, split_row_iri, store_rules, type_stated
from kg.rdf.sink import generation_quads

FIRMS = 2_000
BOUND = 110
"""Quads per firm the store stays under at 2,000 firms (the layout before wrote ~149; the lean
one ~108; 10^5 firms: docs/benchmarks.md)."""


@pytest.fixture(scope="module")
def quads(tmp_path_factory) -> list[str]:
    src = tmp_path_factory.mktemp("synth") / "src"
    synth.generate(src, firms=FIRMS, seed=7)
    db = tmp_path_factory.mktemp("lean") / "db"
    build([src], db, store="later")
    return [line for chunk in generation_quads(live_generation(db)) for line in chunk.splitlines() if line]


def test_quads_per_firm_stay_under_the_bound(quads):
    assert len(quads) / FIRMS < BOUND, f"{len(quads) / FIRMS:.1f} quads per firm"


def test_what_the_ontology_says_is_left_out_is_not_written(quads):
    preds = collections.Counter(q.split(" ", 2)[1] for q in quads)
    types = collections.Counter(q.split(" ", 3)[2] for q in quads if q.split(" ", 2)[1].endswith("#type>"))
    for cls in ("Ownership", "Funding", "Certification", "FinancialYear", "OwnershipAssessment", "SizeAssessment"):
        assert not type_stated(KG + cls) and types[f"<{KG}{cls}>"] == 0
    assert types[f"<{KG}IntegratedOwnership>"] > 0  # the README's first query asks for it
    for local in ("certYear", "countsFrom", "weakReason"):
        assert store_rules()[KG + local] == ("unstated", None) and preds[f"<{KG}{local}>"] == 0
    # kg:sourceRow only on entity rows: financial years and link nodes are named by their row
    reported = [q.split(" ", 3)[2] for q in quads if q.split(" ", 2)[1] == f"<{KG}reported>"]
    assert reported and all(split_row_iri(o.strip("<>"))[1] for o in reported)
    assert preds[f"<{KG}sourceRow>"] < len(reported) / 4


def test_row_names_round_trip():
    iri = "https://w3id.org/accelerator-kg/id/link/owns/0123456789abcdef0123"
    assert split_row_iri(row_iri(iri, 12)) == (iri, 12) and split_row_iri(iri) == (iri, None)
