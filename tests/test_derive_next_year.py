"""The next reported year on weak financial years (kg:nextYear, column ``next_year``): the
firm's next year in the financials table, on the weak firm-years only, the same in the tables'
property-graph view, the embedded Cypher graph and the RDF store read back."""

from __future__ import annotations

import pandas as pd

from kg.cypher.engine import open_graph, run_cypher
from kg.neo4j.frames import read_graph
from kg.rdf.store import open_store
from kg.subgraph import select
from kg.tables.read import graph_frames, open_live_tables


def _next_years(db) -> dict[str, int | None]:
    """Financial-year IRI -> the firm's smallest reported year after it (None for its last),
    computed from the financials table alone."""
    fin = open_live_tables(db).read("financials").select(["iri", "from_iri", "year"]).to_pandas()
    years = fin.groupby("from_iri")["year"].agg(lambda s: sorted(set(int(y) for y in s)))
    out = {}
    for r in fin.itertuples():
        later = [y for y in years[r.from_iri] if y > int(r.year)]
        out[r.iri] = later[0] if later else None
    return out


def _firms(db) -> pd.DataFrame:
    fin = open_live_tables(db).read("financials").select(["iri", "from_iri"]).to_pandas()
    return fin.rename(columns={"from_iri": "firm"}).drop_duplicates("iri")


def _cypher_values(db) -> pd.DataFrame:
    cols, rows = run_cypher(open_graph(db), "MATCH (:Firm)-[:REPORTED]->(w:FinancialYear) "
                                            "RETURN w.iri AS iri, w.year AS year, w.weak_reason AS weak_reason, "
                                            "w.next_year AS next_year")
    return pd.DataFrame(rows, columns=cols)


def _fy_values(frames) -> pd.DataFrame:
    key = next(k for k in frames.nodes if "FinancialYear" in k)
    return frames.nodes[key][["iri", "year", "weak_reason", "next_year"]]


def _check(rows: pd.DataFrame, want: dict[str, int | None]) -> tuple[int, int]:
    weak = rows["weak_reason"].notna()
    assert rows.loc[~weak, "next_year"].isna().all(), "next_year on a year that is not weak"
    got = {r.iri: (None if pd.isna(r.next_year) else int(r.next_year)) for r in rows[weak].itertuples()}
    wrong = [(k, v, want[k]) for k, v in got.items() if v != want[k]]
    assert not wrong, wrong[:5]
    return sum(v is not None for v in got.values()), sum(v is None for v in got.values())


def test_next_year_is_the_firms_next_reported_year_on_weak_years_only(sample_db):
    want = _next_years(sample_db)
    view = _fy_values(graph_frames(sample_db))
    assert len(view) == len(want)
    with_next, last = _check(view, want)
    assert with_next >= 2 and last >= 2  # both kinds of weak year are in the sample
    # the RDF store states the same (kg.rdf.read reads it back)
    stored = _fy_values(read_graph(open_store(sample_db)))
    assert _check(stored, want) == (with_next, last)
    # and the embedded Cypher graph
    assert _check(_cypher_values(sample_db), want) == (with_next, last)
    # and a subgraph's financial years (read from the store's quads of those years)
    weak = view.merge(_firms(sample_db), on="iri")
    firms = sorted(set(weak.loc[weak["weak_reason"].notna(), "firm"]))
    store = open_store(sample_db)
    sub = pd.concat([select(store, f).financials for f in firms])
    assert _check(sub, want) == (with_next, last)


def test_next_year_on_a_synthetic_graph(tmp_path):
    from kg.build import build
    from kg.synth import generate

    generate(tmp_path / "synth", firms=2_000, seed=7)
    db = tmp_path / "db"
    build([tmp_path / "synth"], db, store="later")
    want = _next_years(db)
    view = _fy_values(graph_frames(db))
    with_next, last = _check(view, want)
    assert with_next > 100 and last > 20, (with_next, last)
    assert _check(_cypher_values(db), want) == (with_next, last)


def test_next_year_after_a_gap_in_the_reports(tmp_path):
    """A weak year before a missing year: the store states its kg:weakAt year-ends (not the next
    year), and the readers give next_year back from them."""
    from kg.build import build

    try:  # tests/ as a package or as a plain directory on sys.path
        from .test_queries_handmade import write_handmade
    except ImportError:
        from test_queries_handmade import write_handmade

    db = tmp_path / "db"
    build([write_handmade(tmp_path / "handmade")], db)
    want = _next_years(db)
    view = _fy_values(graph_frames(db))
    counts = _check(view, want)
    gap = view[view["next_year"].notna() & (view["next_year"] > view["year"] + 1)]
    assert len(gap) >= 1
    assert _check(_cypher_values(db), want) == counts
    store = open_store(db)
    assert _check(_fy_values(read_graph(store)), want) == counts
    firms = sorted(set(_firms(db).merge(gap, on="iri")["firm"]))
    sub = pd.concat([select(store, f).financials for f in firms])
    assert set(gap["iri"]) <= set(sub.loc[sub["next_year"].notna(), "iri"]) and _check(sub, want)
