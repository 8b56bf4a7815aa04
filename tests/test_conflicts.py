"""Contradictions are data errors, reported, not stored as truth (issue 10, item 4; issue 11, item 8).

Shares of one firm over 100%, ownership cycles that diverge, self-holdings, one entity with two
primary types or two values, an end before its start: each is rejected with one line naming file,
row, column and value, or kept side by side and listed by `kg conflicts`; the build never aborts
and every derived share stays within [0, 1].
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.build import build
from kg.conflicts import find_conflicts
from kg.derive.facts import derive
from kg.loaders.sources import load_sources
from kg.ontology import ID
from kg.rdf.query import run_sparql
from kg.rdf.store import open_store
from kg.resolve import resolve

KG = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#> "
ENTITIES = ("id,type,name,state_owned,source\n"
            "mof,GovernmentBody,Ministry of Finance,true,gov\n"
            "miit,GovernmentBody,MIIT,true,gov\n"
            "vc,Fund,Private VC,,vc\n"
            "leaderdrive,Firm,Leaderdrive,,prospectus\n"
            "a,Firm,A Co,,reg\n"
            "b,Firm,B Co,,reg\n"
            "c,Firm,C Co,,reg\n")


def folder(tmp_path: Path, name: str = "src", **tables: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    for table, text in tables.items():
        (d / f"{table}.csv").write_text(text, encoding="utf-8")
    return d


def conflicts_csv(db: Path) -> list[list[str]]:
    with (db / "conflicts.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def derived_shares(db: Path) -> list[float]:
    """Every derived share in the store: integrated ownership, control, state share."""
    store = open_store(db)
    _, rows = run_sparql(store, KG + "SELECT ?s WHERE { { ?x a kg:IntegratedOwnership ; kg:share ?s } UNION "
                                     "{ ?x kg:controller [] ; kg:share ?s } UNION { ?x kg:stateShare ?s } }")
    return [float(r[0]) for r in rows]


def state_share(db: Path, local_id: str) -> float:
    # the state share of today's ownership assessment (the one whose period is open)
    # (a share of 0 is the ontology's kg:default, which the store leaves out)
    _, rows = run_sparql(open_store(db), KG + "SELECT (COALESCE(?s0, 0.0) AS ?s) WHERE { ?e kg:hasOwnershipAssessment ?a . "
                                              "OPTIONAL { ?a kg:stateShare ?s0 } FILTER NOT EXISTS { ?a kg:validTo ?t } }",
                         {"e": __import__("pyoxigraph").NamedNode(f"{ID}entity/{local_id}")})
    return float(rows[0][0])


# ------------------------------------------------------------------------------- shares over 100%


def test_shares_over_100_across_sources_are_kept_listed_scaled_and_flagged(tmp_path, run):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,source\nmof,leaderdrive,70%,registry-a\nvc,leaderdrive,60%,registry-b\n")
    db = tmp_path / "db"
    report = build([src], db)
    assert report.rejected == 0
    note = ("the shares of entity/leaderdrive sum to 130% at any date across sources (ownership.csv:2, ownership.csv:3); "
            "kept side by side, scaled to 100% in the derived facts")
    assert f"{note} (kg conflicts)" in report.warnings
    assert conflicts_csv(db) == [
        ["conflict", "kind", "entity", "name", "field", "value", "action", "file", "row", "source", "note"],
        ["1", "shares-over-100", "entity/leaderdrive", "Leaderdrive", "share", "70%", "scaled", "ownership.csv", "2",
         "registry-a", note],
        ["1", "shares-over-100", "entity/leaderdrive", "Leaderdrive", "share", "60%", "scaled", "ownership.csv", "3",
         "registry-b", note],
    ]
    # the algebra saw 70/130 and 60/130: one majority owner, a state share below 1
    assert state_share(db, "leaderdrive") == pytest.approx(0.7 / 1.3, abs=1e-9)
    assert all(0 <= s <= 1 for s in derived_shares(db))
    _, ctl = run_sparql(open_store(db), KG + "SELECT ?c WHERE { ?x kg:controller ?c ; kg:controlled ?f }",
                        {"f": __import__("pyoxigraph").NamedNode(f"{ID}entity/leaderdrive")})
    assert [r[0] for r in ctl] == [f"{ID}entity/mof"]
    res = run("validate", "--db", db, "--format", "csv")
    assert res.exit_code == 1
    assert ("Violation,id:entity/leaderdrive,,1.3,the direct shares of this entity sum over 100% at some date "
            "(sources disagree; see kg conflicts)") in res.stdout.splitlines()


def test_shares_over_100_within_one_source_are_kept_flagged_and_scaled(tmp_path, run):
    # a source's own history may overlap (one holding ends as the next starts); no row is more
    # wrong than another, so all stay, named by a warning, kg conflicts and kg validate
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,start,end,source\n"
                           "mof,leaderdrive,70%,2019,,registry\n"
                           "vc,leaderdrive,60%,2021-03,,registry\n"
                           "mof,a,30%,,,registry\n")
    db = tmp_path / "db"
    report = build([src], db, strict=True)
    assert report.rejects == [] and report.links["OWNS"] == 3
    note = ("the shares of entity/leaderdrive sum to over 100% from 2021-03-01 (up to 130%) in source registry "
            "(ownership.csv:2, ownership.csv:3); kept side by side, scaled to 100% in the derived facts")
    assert report.warnings == [f"{note} (kg conflicts)"]
    assert [r[6] for r in conflicts_csv(db)[1:]] == ["scaled", "scaled"]
    assert state_share(db, "leaderdrive") == pytest.approx(0.7 / 1.3, abs=1e-9)  # as of today: both hold
    assert state_share(db, "a") == pytest.approx(0.3)
    assert run("validate", "--db", db).exit_code == 1


def test_a_share_repeated_by_two_sources_counts_once_and_rounding_is_tolerated(tmp_path):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,source\nmof,leaderdrive,70%,a\nmof,leaderdrive,70%,b\n"
                           "vc,leaderdrive,30.05%,a\n")
    db = tmp_path / "db"
    report = build([src], db)
    assert report.rejected == 0 and report.warnings == []
    assert conflicts_csv(db)[1:] == []


def test_two_shares_for_one_holding_are_listed_and_the_largest_counts(tmp_path, run):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,start,end,source\nmof,a,40%,2018,,registry\nmof,a,45%,2019,,news\n"
                           "mof,b,40%,2010,2015,registry\nmof,b,45%,2016,,news\n")
    db = tmp_path / "db"
    build([src], db)
    note = "entity/mof holds 40% or 45% of entity/a at the same time (ownership.csv:2, ownership.csv:3); " \
           "kept side by side, the derived facts take the largest"
    res = run("conflicts", "--db", db, "--format", "csv")
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "conflict,kind,entity,name,field,value,action,file,row,source,note",
        f'1,two-shares,entity/a,A Co,share,40%,kept,ownership.csv,2,registry,"{note}"',
        f'1,two-shares,entity/a,A Co,share,45%,kept,ownership.csv,3,news,"{note}"',
    ]
    assert state_share(db, "a") == pytest.approx(0.45)


# ------------------------------------------------------------------------------- cycles


def test_a_self_holding_is_rejected_and_the_rest_builds(tmp_path):
    src = folder(tmp_path, entities=ENTITIES, ownership="owner,owned,share,source\na,a,100%,reg\nmof,b,60%,reg\n")
    db = tmp_path / "db"
    report = build([src], db)
    assert [r.line() for r in report.rejects] == [
        "ownership.csv:2:owned: value 'a' is not an entity other than 'a' (both are entity/a); expected two different "
        "entities: a holding of an entity in itself (treasury shares) is not ownership by another entity, and a 100% "
        "self-holding makes integrated ownership diverge"]
    assert report.links["OWNS"] == 1 and state_share(db, "b") == pytest.approx(0.6)


def test_a_100_100_pair_is_rejected_link_by_link_and_the_rest_builds(tmp_path, run):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,source\na,b,100%,reg\nb,a,100%,reg\nmof,c,60%,reg\nc,leaderdrive,80%,reg\n")
    db = tmp_path / "db"
    report = build([src], db)
    why = ("a cycle of holdings whose shares do not shrink (entity/a owns 100% of entity/b, entity/b owns 100% of "
           "entity/a) at any date: the closed form of integrated ownership diverges")
    assert [r.line() for r in report.rejects] == [
        f"ownership.csv:2:owned: value 'b' is not a holding integrated ownership can use: {why}; expected a cycle in "
        "which some share is held from outside it, so these links are rejected",
        f"ownership.csv:3:owned: value 'a' is not a holding integrated ownership can use: {why}; expected a cycle in "
        "which some share is held from outside it, so these links are rejected",
    ]
    assert f"{why}; rejected (ownership.csv:2, ownership.csv:3) (kg conflicts)" in report.warnings
    assert report.links["OWNS"] == 2
    assert state_share(db, "leaderdrive") == pytest.approx(0.8)  # c is state-controlled (60%)
    res = run("conflicts", "--db", db, "--kind", "cycle", "--format", "tsv")
    assert [line.split("\t")[:9] for line in res.stdout.splitlines()[1:]] == [
        ["1", "cycle", "entity/b", "B Co", "owned", "b", "rejected", "ownership.csv", "2"],
        ["1", "cycle", "entity/a", "A Co", "owned", "a", "rejected", "ownership.csv", "3"],
    ]


def test_a_cycle_held_partly_from_outside_is_kept(tmp_path):
    # a and b own all of each other's shares but the state holds 10% of a (another source): the
    # shares are scaled (110% of a) and shrink around the cycle, so nothing diverges
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,source\na,b,100%,reg\nb,a,100%,reg\nmof,a,10%,gov\n")
    db = tmp_path / "db"
    report = build([src], db)
    assert report.rejected == 0
    assert [r[1] for r in conflicts_csv(db)[1:]] == ["shares-over-100"] * 2
    assert state_share(db, "b") == pytest.approx(1.0) and all(0 <= s <= 1 for s in derived_shares(db))


def test_a_cycle_closed_only_after_an_outside_holding_ends_is_rejected(tmp_path):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,start,end,source\na,b,100%,,,reg\nb,a,90%,,,reg\nmof,a,10%,,2015,gov\n"
                           "b,a,100%,2016,,reg2\n")
    report = build([src], tmp_path / "db", as_of=dt.date(2014, 1, 1))
    assert [(r.file, r.row) for r in report.rejects] == [("ownership.csv", 2), ("ownership.csv", 3), ("ownership.csv", 5)]
    assert "entity/b owns 100% of entity/a) on 2016-01-01: the closed form" in report.rejects[0].reason


RNG_SEEDS = range(20)


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_random_dense_ownership_graphs_build(tmp_path, seed):
    """20 random dense graphs (cycles, self-holdings, sums far over 100%, many sources): the build
    never aborts, every derived share is in [0, 1], loaded + rejected = rows."""
    rng = np.random.default_rng(seed)
    n = 12
    ents = "id,type,name,state_owned\n" + "".join(
        f"e{k},{'GovernmentBody' if k < 2 else 'Firm'},E{k},{'true' if k < 2 else ''}\n" for k in range(n))
    rows = []
    for k in range(60):
        i, j = rng.integers(0, n, 2)
        # odd seeds: two sources; even seeds: one source per row (every holding's share from
        # its own source: columns far over 100% are scaled, which closes dense cycles: rejected)
        source = rng.choice(["s1", "s2"]) if seed % 2 else f"s{k}"
        rows.append(f"e{i},e{j},{rng.choice([1.0, 1.0, 0.5, rng.uniform(0, 1)]):.4f},{source}")
    src = folder(tmp_path, entities=ents, ownership="owner,owned,share,source\n" + "\n".join(rows) + "\n")
    db = tmp_path / "db"
    report = build([src], db)
    assert all(0 <= s <= 1 for s in derived_shares(db))
    owns = next(f for f in report.files if f[1] == "ownership")
    assert owns[2] + owns[3] == 60 and owns[2] == report.links["OWNS"]


# ------------------------------------------------------------------------------- property test


@st.composite
def ownership_graphs(draw):
    n = draw(st.integers(2, 7))
    share = st.one_of(st.just(1.0), st.just(0.5), st.floats(0.0001, 1.0))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), share,
                                    st.sampled_from(["s1", "s2"]), st.sampled_from(["", "2015", "2020-06"]),
                                    st.sampled_from(["", "2018", "2030"])), max_size=25))
    state = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return n, edges, state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=ownership_graphs())
def test_property_random_ownership_never_aborts_a_build(tmp_path_factory, graph):
    n, edges, state = graph
    tmp = tmp_path_factory.mktemp("prop")
    ents = "id,type,name,state_owned\n" + "".join(f"e{k},Firm,E{k},{'true' if state[k] else ''}\n" for k in range(n))
    own = "owner,owned,share,start,end,source\n" + "".join(
        f"e{i},e{j},{s:.6f},{a},{b},{src}\n" for i, j, s, src, a, b in edges)
    src = folder(tmp, entities=ents, ownership=own)
    db = tmp / "db"
    report = build([src], db, as_of=dt.date(2019, 1, 1))
    assert all(0 <= s <= 1 for s in derived_shares(db))
    for _file, table, loaded, rejected in report.files:
        assert loaded + rejected == (len(edges) if table == "ownership" else n)
    assert report.links.get("OWNS", 0) == next((f[2] for f in report.files if f[1] == "ownership"), 0)


# ------------------------------------------------------------------------------- types and attributes


def test_one_entity_as_firm_and_as_bank_keeps_the_first_type_and_its_state_share(tmp_path, run):
    base = folder(tmp_path, "base", entities=ENTITIES, ownership="owner,owned,share,source\nvc,leaderdrive,20%,reg\n")
    other = folder(tmp_path, "other", entities="id,type,name,country,state_owned,source\n"
                                                "leaderdrive,Bank,Leaderdrive Bank,US,true,bank-list\n")
    db = tmp_path / "db"
    report = build([base, other], db)
    assert [r.line() for r in report.rejects] == [
        "entities.csv:2:type: value 'Bank' is not the type entities.csv:5 gives the same entity (Firm; same id "
        "leaderdrive); expected one primary type per entity (a subtype refines its supertype, as GuidanceFund refines "
        "Fund), so this row is rejected"]
    assert state_share(db, "leaderdrive") == 0.0
    _, types = run_sparql(open_store(db), KG + "SELECT ?t WHERE { ?e a ?t }",
                          {"e": __import__("pyoxigraph").NamedNode(f"{ID}entity/leaderdrive")})
    assert [r[0] for r in types] == ["https://w3id.org/accelerator-kg/ont#Firm"]
    note = ("entities.csv:2 says Bank, entities.csv:5 says Firm (same id leaderdrive); the entity is a Firm, "
            "the Bank row is rejected")
    res = run("conflicts", "--db", db, "--format", "csv")
    assert res.stdout.splitlines()[1:] == [
        f'1,two-types,entity/leaderdrive,Leaderdrive,type,Firm,kept,entities.csv,5,prospectus,"{note}"',
        f'1,two-types,entity/leaderdrive,Leaderdrive,type,Bank,rejected,entities.csv,2,bank-list,"{note}"',
    ]


def test_two_countries_and_two_names_stay_side_by_side_and_are_listed(tmp_path, run):
    a = folder(tmp_path, "a", entities="id,type,name,country,source\nleaderdrive,Firm,Leaderdrive,CN,prospectus\n")
    b = folder(tmp_path, "b", entities="id,type,name,country,state_owned,source\n"
                                        "leaderdrive,Firm,Leader Drive Co,US,false,news\n")
    db = tmp_path / "db"
    report = build([a, b], db)
    assert report.rejected == 0
    assert report.warnings == ["2 conflict(s) where sources give two shares for one holding or two values of one "
                               "attribute, kept side by side (kg conflicts)"]
    res = run("conflicts", "--db", db, "--format", "csv", "--kind", "two-values")
    assert res.stdout.splitlines() == [
        "conflict,kind,entity,name,field,value,action,file,row,source,note",
        "1,two-values,entity/leaderdrive,Leader Drive Co,name,Leaderdrive,kept,entities.csv,2,prospectus,"
        "name of entity/leaderdrive differs between rows: Leaderdrive | Leader Drive Co; kept side by side",
        "1,two-values,entity/leaderdrive,Leader Drive Co,name,Leader Drive Co,kept,entities.csv,2,news,"
        "name of entity/leaderdrive differs between rows: Leaderdrive | Leader Drive Co; kept side by side",
        "2,two-values,entity/leaderdrive,Leader Drive Co,country,CN,kept,entities.csv,2,prospectus,"
        "country of entity/leaderdrive differs between rows: CN | US; kept side by side",
        "2,two-values,entity/leaderdrive,Leader Drive Co,country,US,kept,entities.csv,2,news,"
        "country of entity/leaderdrive differs between rows: CN | US; kept side by side",
    ]
    _, names = run_sparql(open_store(db), KG + "SELECT ?n WHERE { ?e kg:name ?n } ORDER BY ?n",
                          {"e": __import__("pyoxigraph").NamedNode(f"{ID}entity/leaderdrive")})
    assert [r[0] for r in names] == ["Leader Drive Co", "Leaderdrive"]


def test_a_guidance_fund_refines_a_fund(tmp_path):
    src = folder(tmp_path, entities="id,type,name,uscc\nf,Fund,SME Fund,91110000MA0BNK058F\n"
                                    "g,GuidanceFund,SME Guidance Fund,91110000MA0BNK058F\nh,Fund,Fund H,91110000MA0BNK058F\n")
    res = resolve(load_sources([src]))
    assert res.rejects == [] and len(res.entities) == 1
    assert set(res.entities["labels"].iloc[0]) == {"Fund", "GuidanceFund"}


def test_a_name_does_not_merge_a_bank_into_a_firm(tmp_path):
    src = folder(tmp_path, entities="id,type,name,uscc\nf,Firm,Star Co,91110000MA0BNK058F\nb,Bank,Star Co,\n")
    res = resolve(load_sources([src]))
    assert res.rejects == [] and len(res.entities) == 2


def test_a_clean_build_has_no_conflicts(mini_db, run):
    res = run("conflicts", "--db", mini_db)
    assert res.exit_code == 0 and res.stdout.splitlines()[-1] == "(no rows)"


# ------------------------------------------------------------------------------- end before start


def test_an_end_before_its_start_is_rejected_at_load(tmp_path):
    src = folder(tmp_path, entities=ENTITIES,
                 ownership="owner,owned,share,start,end\nmof,a,0.3,2022-01-01,2020-01-01\nmof,b,0.3,2020-05,2020\n",
                 certifications="firm,programme,valid_from,valid_to\na,little_giant,2021-07-01,2019-06-30\n",
                 listings="firm,exchange,ticker,listed,delisted\nleaderdrive,SSE,688017.SH,2020-08,2020-07-31\n")
    report = build([src], tmp_path / "db")
    assert [r.line() for r in report.rejects] == [
        "certifications.csv:2:valid_to: value '2019-06-30' is not on or after the start '2021-07-01' (column "
        "valid_from); expected an end date on or after the start date, or no end date",
        "listings.csv:2:delisted: value '2020-07-31' is not on or after the start '2020-08' (column listed); expected "
        "an end date on or after the start date, or no end date",
        "ownership.csv:2:end: value '2020-01-01' is not on or after the start '2022-01-01' (column start); expected an "
        "end date on or after the start date, or no end date",
    ]
    assert report.links["OWNS"] == 1 and report.links["CERTIFIED_AS"] == 0 and report.links["LISTED_ON"] == 0


# ------------------------------------------------------------------------------- derive: ranges, indirect, declared


def _resolved(tmp_path, ownership: str):
    res = resolve(load_sources([folder(tmp_path, entities=ENTITIES, ownership=ownership)]))
    return res


def test_declared_indirect_holdings_and_ranges_in_the_algebra(tmp_path):
    res = _resolved(tmp_path, "owner,owned,share\nmof,a,0.6\nmof,b,0.9\nvc,c,0.5\nmiit,leaderdrive,0.3\n")
    owns = res.links["OWNS"]
    # mof -> b is declared indirect (not a link of the chain); vc -> c has no exact share, a range
    # 0.55..0.75 (the lower bound counts); miit -> leaderdrive has neither (left out)
    owns["direct_or_indirect"] = ["direct", "indirect", None, None]
    owns["share_min"] = [None, None, 0.55, None]
    owns["share_max"] = [None, None, 0.75, None]
    owns["share"] = [0.6, 0.9, None, None]
    assert find_conflicts(res).table.empty
    d = derive(res, as_of=dt.date(2024, 1, 1))
    share = d.entity.set_index("iri")["state_share"]
    integrated = {(o.removeprefix(ID), t.removeprefix(ID)): s for o, t, s in d.integrated[["owner", "owned", "share"]].values}
    assert share[f"{ID}entity/a"] == pytest.approx(0.6) and share[f"{ID}entity/b"] == 0.0
    assert share[f"{ID}entity/leaderdrive"] == 0.0
    assert integrated[("entity/vc", "entity/c")] == pytest.approx(0.55)
    assert ("entity/mof", "entity/b") not in integrated
    controls = set(zip(d.control["controller"].str.removeprefix(ID), d.control["controlled"].str.removeprefix(ID), strict=True))
    assert controls == {("entity/mof", "entity/a"), ("entity/vc", "entity/c")}


def test_declared_consolidation_counts_as_control(tmp_path):
    res = _resolved(tmp_path, "owner,owned,share\na,c,0.3\nb,c,0.3\n")
    e = ID + "entity/"
    res.links["DECLARED_CONTROL"] = pd.DataFrame({
        "from_iri": [e + "mof", e + "vc", e + "miit"], "to_iri": [e + "a", e + "b", e + "leaderdrive"],
        "basis": ["direct_consolidation", "voting_rights", "direct_consolidation"],
        "status": ["ACTIVE", None, "INACTIVE"], "start": [None] * 3, "end": [None] * 3,
        "source": ["gleif"] * 3, "file": ["rr.csv"] * 3, "row": [2, 3, 4]})
    d = derive(res, as_of=dt.date(2024, 1, 1))
    controls = set(zip(d.control["controller"].str.removeprefix(e), d.control["controlled"].str.removeprefix(e), strict=True))
    # mof consolidates a (control, no share); a's 30% alone is not control of c; voting rights
    # and an INACTIVE consolidation are declarations only
    assert controls == {("mof", "a")}
    ent = d.entity.set_index("iri")
    assert bool(ent.loc[e + "a", "state_controlled"]) and ent.loc[e + "a", "state_share"] == 0.0
    assert ent.loc[e + "a", "ultimate_controller"] == e + "mof"
    assert not bool(ent.loc[e + "leaderdrive", "state_controlled"])
    # a consolidated firm's holdings pass on: with b also consolidated by mof, mof controls c (60%)
    res.links["DECLARED_CONTROL"].loc[1, "basis"] = "direct_consolidation"
    res.links["DECLARED_CONTROL"].loc[1, "from_iri"] = e + "mof"
    d = derive(res, as_of=dt.date(2024, 1, 1))
    controls = set(zip(d.control["controller"].str.removeprefix(e), d.control["controlled"].str.removeprefix(e), strict=True))
    assert controls == {("mof", "a"), ("mof", "b"), ("mof", "c")}
