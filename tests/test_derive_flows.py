"""kg.derive.flows: look-through flows of state capital on hand-computed cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kg.derive.flows import FLOW_COLUMNS, look_through_flows, step_weights
from kg.values.dates import parse as parse_date

AS_OF = dt.date(2023, 12, 31)
LP = "lp_commitment"


def d(text):
    return None if text is None else parse_date(text)


def entities(spec: dict[str, str]) -> pd.DataFrame:
    """id -> primary type (Fund, GuidanceFund, Firm, GovernmentBody, ...); names are upper-cased ids."""
    labels = {"GuidanceFund": ("GuidanceFund", "Fund")}
    return pd.DataFrame({"iri": list(spec), "labels": [labels.get(t, (t,)) for t in spec.values()],
                         "name": [k.upper() for k in spec]})


def owns(*rows) -> pd.DataFrame:
    """(owner, owned, share[, start[, end]])"""
    rows = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
    return pd.DataFrame({"from_iri": [r[0] for r in rows], "to_iri": [r[1] for r in rows],
                         "share": [r[2] for r in rows], "start": [d(r[3]) for r in rows],
                         "end": [d(r[4]) for r in rows]}, columns=["from_iri", "to_iri", "share", "start", "end"])


def funded(*rows) -> pd.DataFrame:
    """(funder, recipient, instrument, amount[, date])"""
    rows = [tuple(r) + (None,) * (5 - len(r)) for r in rows]
    return pd.DataFrame({"from_iri": [r[0] for r in rows], "to_iri": [r[1] for r in rows],
                         "instrument": [r[2] for r in rows], "amount": [r[3] for r in rows],
                         "date": [d(r[4]) for r in rows], "iri": [f"fl{i}" for i in range(len(rows))]})


def flows(ents, o, f, sources, as_of=AS_OF, **kw) -> pd.DataFrame:
    mask = ents["iri"].isin(sources).to_numpy()
    return look_through_flows(ents, o, f, mask, as_of, **kw)


def got(fl: pd.DataFrame) -> set:
    return {(r.source, r.recipient, r.hops, round(r.share, 12), r.via) for r in fl.itertuples()}


def test_chain_of_funds():
    # gov -100%-> fof -50%-> sub -40%-> subsub -> firm (equity 10m); the fof also funds the firm directly
    ents = entities({"gov": "GovernmentBody", "fof": "GuidanceFund", "sub": "Fund", "subsub": "Fund", "x": "Firm"})
    o = owns(("gov", "fof", 1.0), ("fof", "sub", 0.5), ("sub", "subsub", 0.4))
    f = funded(("subsub", "x", "equity", 10e6, "2021-05-01"), ("fof", "x", "equity", 2e6, "2020"))
    fl = flows(ents, o, f, {"gov", "fof"})
    assert got(fl) == {
        # the fof is a source itself (state-controlled): direct, then one and two funds down
        ("fof", "x", 1, 1.0, ""),
        ("fof", "x", 3, 0.2, "SUB > SUBSUB"),
        # the department: one more link each; four links is the longest chain
        ("gov", "x", 2, 1.0, "FOF"),
        ("gov", "x", 4, 0.2, "FOF > SUB > SUBSUB"),
    }
    assert list(fl.columns) == FLOW_COLUMNS
    row = fl[(fl.source == "gov") & (fl.hops == 4)].iloc[0]
    assert row.amount == 10e6 and row.instrument == "equity" and row.chain == "fof sub subsub"
    assert str(row.date) == "2021-05-01"
    # a shorter limit stops the chains
    assert max(flows(ents, o, f, {"gov"}, max_hops=3).hops) == 2


def test_lp_commitments_win_over_ownership():
    # fund a: LP commitments gf 300m + private 100m -> gf 0.75 (its 90% ownership record is ignored);
    # fund b: no commitments -> ownership 30%
    ents = entities({"gf": "GuidanceFund", "pvt": "Firm", "a": "Fund", "b": "Fund", "x": "Firm", "y": "Firm"})
    o = owns(("gf", "a", 0.9), ("gf", "b", 0.3))
    f = funded(("gf", "a", LP, 300e6, "2019-01-01"), ("pvt", "a", LP, 100e6, "2019-01-01"),
               ("a", "x", "equity", 12e6, "2021"), ("b", "y", "loan", 25e6, "2020"))
    w = step_weights(o, f, pd.Series({"a": True, "b": True}), AS_OF)
    assert sorted(map(tuple, w.values.tolist())) == [("gf", "a", 0.75), ("gf", "b", 0.3), ("pvt", "a", 0.25)]
    fl = flows(ents, o, f, {"gf"})
    assert got(fl) == {("gf", "x", 2, 0.75, "A"), ("gf", "y", 2, 0.3, "B")}
    # commitments are not flows; the private LP is no source
    assert LP not in set(fl.instrument) and "pvt" not in set(fl.source)


def test_commitments_and_holdings_count_at_the_date():
    # before the commitments are made (and while a holding has not started) nothing flows through
    ents = entities({"gf": "GuidanceFund", "pvt": "Firm", "a": "Fund", "b": "Fund", "x": "Firm", "y": "Firm"})
    o = owns(("gf", "b", 0.3, "2022-01-01"), ("gf", "a", 0.5, None, "2018-12-31"))
    f = funded(("gf", "a", LP, 300e6, "2021-01-01"), ("pvt", "a", LP, 100e6, "2019-01-01"),
               ("a", "x", "equity", 12e6, "2021"), ("b", "y", "loan", 25e6, "2020"))
    # 2020: fund a has only the private commitment (gf 0 of 100m); b's holding has not started
    assert got(flows(ents, o, f, {"gf"}, as_of=dt.date(2020, 6, 30))) == set()
    assert got(flows(ents, o, f, {"gf"})) == {("gf", "x", 2, 0.75, "A"), ("gf", "y", 2, 0.3, "B")}


def test_cycle_between_funds():
    # f1 and f2 hold 50% of each other; chains never revisit a fund, so each funding is seen once
    # per distinct chain: gov > f1 (funds x) and gov > f1 > f2 (funds y), and f2 > f1 is cut
    ents = entities({"gov": "GovernmentBody", "f1": "Fund", "f2": "Fund", "x": "Firm", "y": "Firm"})
    o = owns(("gov", "f1", 0.5), ("f1", "f2", 0.5), ("f2", "f1", 0.5))
    f = funded(("f1", "x", "equity", 4e6), ("f2", "y", "equity", 8e6))
    assert got(flows(ents, o, f, {"gov"})) == {("gov", "x", 2, 0.5, "F1"), ("gov", "y", 3, 0.25, "F1 > F2")}


def test_no_flow_back_to_the_source_and_only_firms():
    # a fund funding its own state owner, or another fund, is not a flow to a firm
    ents = entities({"gov": "GovernmentBody", "f": "Fund", "g": "Fund", "x": "Firm"})
    o = owns(("gov", "f", 1.0))
    f = funded(("f", "gov", "subsidy", 1e6), ("f", "g", "equity", 2e6), ("f", "x", "equity", 3e6),
               ("gov", "x", "subsidy", 5e5), ("gov", "x", None, 7e5))
    fl = flows(ents, o, f, {"gov"})
    assert got(fl) == {("gov", "x", 1, 1.0, ""), ("gov", "x", 2, 1.0, "F")}
    assert sorted(fl.amount) == [5e5, 3e6]


def test_names_and_empty_inputs():
    ents = entities({"gov": "GovernmentBody", "f": "Fund", "x": "Firm"})
    o = owns(("gov", "f", 0.6))
    f = funded(("f", "x", "equity", 1e6))
    fl = flows(ents, o, f, {"gov"}, names=pd.Series({"gov": "Gov"}))  # a fund without a name shows its IRI
    assert list(fl.via) == ["f"]
    assert flows(ents, o, f.iloc[:0], {"gov"}).empty
    assert flows(ents, o.iloc[:0], f, {"gov"}).empty
    assert flows(ents, o, f, set()).empty
    assert np.isclose(flows(ents, o, f, {"gov"}).share.iloc[0], 0.6)


@pytest.mark.parametrize("as_of", ["2023-12-31", "2021-06-30"])
def test_derived_flows_match_the_fund_walk_on_the_handmade_folder(tmp_path, as_of):
    """The build's derived flows give the rows the old query computed by walking the funds."""
    from test_queries_handmade import write_handmade

    from kg.build import build
    from kg.queries import run_query

    db = tmp_path / "db"
    build([write_handmade(tmp_path / "csv")], db, as_of=dt.date.fromisoformat(as_of))
    cols, rows = run_query(db, "state-capital-flows", {}, as_of)
    got_rows = {(r[0], r[2], r[4], r[8], r[6], r[7]) for r in rows}
    gf, a, c, gov = (f"https://w3id.org/accelerator-kg/id/entity/{x}" for x in ("gf", "a", "c", "gov"))
    # the sub-fund: LP commitments 300m (gf) of 400m -> 0.75 of its 12m equity in c (2021-05-01)
    assert ((gf, c, "equity", 2, 12_000_000, 9_000_000) in got_rows) == (as_of >= "2021-05-01")
    assert (gov, a, "subsidy", 1, 10_000_000, 10_000_000) in got_rows
    # 11 flows; the 2022 subsidy to b is after 2021-06-30
    assert len(rows) == {"2023-12-31": 11, "2021-06-30": 10}[as_of]
