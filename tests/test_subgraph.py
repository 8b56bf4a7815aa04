"""The subgraph selection behind kg export / kg viz (kg/subgraph.py), on the bundled sample.

The walk is checked against a naive reference implementation over whole-graph tables
(read_links + a breadth-first search in Python) for many references and parameters, and
against the sample's documented cases (data/sample/README.md).
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kg.errors import InputError
from kg.ontology import ID
from kg.rdf.read import read_links, read_nodes
from kg.rdf.store import open_store
from kg.subgraph import (
    Selection,
    around,
    link_interval,
    parse_as_of,
    parse_links,
    parse_min_share,
    resolve_ref,
    select,
    terminal_links,
)


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


def ids(sub) -> list[str]:
    """The sources' ids of the subgraph's entities (programmes and exchanges have none)."""
    return sorted(x for x in sub.nodes["id"] if x is not None) if "id" in sub.nodes else []


def iri_of(store, local_id: str) -> str:
    return resolve_ref(store, local_id)


# ---------------------------------------------------------------- a naive reference


def naive(store, focus: list[str], sel: Selection) -> tuple[set[str], set[str]]:
    """Nodes and link IRIs of the selection, computed from whole-graph tables."""
    as_of = sel.as_of.isoformat() if sel.as_of else None

    def valid(rel, row) -> bool:
        if as_of:  # derived links too: each holds for its period
            starts, ends = link_interval(rel)
            if any(row[c] is not None and row[c] > as_of for c in starts):
                return False
            if any(row[c] is not None and row[c] < as_of for c in ends):
                return False
        if sel.min_share is not None and rel in ("OWNS", "ULTIMATELY_OWNS"):
            if row.get("share") is not None and row["share"] < sel.min_share:
                return False
        return True

    links = {rel: [r for r in read_links(store, rel).to_dict("records") if valid(rel, r)] for rel in sel.links}
    walk = [r for r in sel.links if r not in terminal_links()]
    seen = {f: 0 for f in focus}
    frontier = list(focus)
    for hop in range(1, sel.hops + 1):
        nxt = []
        for rel in walk:
            for r in links[rel]:
                for me, other, way in ((r["from"], r["to"], "down"), (r["to"], r["from"], "up")):
                    if sel.direction in (way, "both") and me in frontier and other not in seen:
                        seen[other] = hop
                        nxt.append(other)
        frontier = nxt
    entities = set(seen)
    nodes, out = set(entities), set()
    for rel in sel.links:
        for r in links[rel]:
            if rel in terminal_links():
                if r["from"] in entities:
                    nodes.add(r["to"])
                    out.add(r["iri"])
            elif r["from"] in entities and r["to"] in entities:
                out.add(r["iri"])
    return nodes, out


CASES = list(itertools.product(
    ["leaderdrive", "siasun", "hunnan-servo", "junli-logistics", "qingyun-group", "taihu-sme-fund", "mof",
     "ruihe-linear", "tianyu-group", "chen-mingyuan"],
    [(1, "both"), (2, "both"), (3, "up"), (2, "down")],
    [None, "2020-06-30"],
))


@pytest.mark.parametrize("ref,walk,as_of", CASES)
def test_walk_matches_a_naive_bfs(store, ref, walk, as_of):
    hops, direction = walk
    sel = Selection(hops=hops, direction=direction, as_of=parse_as_of(as_of), limit=10_000,
                    links=("OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON", "CONTROLS"))
    focus = resolve_ref(store, ref)
    sub = select(store, focus, sel)
    nodes, links = naive(store, [focus], sel)
    assert set(sub.nodes["iri"]) == nodes
    assert {r["iri"] for _, r in sub.edges()} == links
    assert sub.truncated is None


@pytest.mark.parametrize("min_share", [0.1, 0.35, 0.5])
def test_min_share_matches_a_naive_bfs(store, min_share):
    sel = Selection(hops=3, direction="both", links=("OWNS", "ULTIMATELY_OWNS"), min_share=min_share, limit=10_000)
    focus = resolve_ref(store, "qingyun-group")
    sub = select(store, focus, sel)
    nodes, links = naive(store, [focus], sel)
    assert set(sub.nodes["iri"]) == nodes and {r["iri"] for _, r in sub.edges()} == links
    assert all(r["share"] >= min_share for rel, r in sub.edges() if rel == "OWNS")


# ---------------------------------------------------------------- the sample's documented cases


def test_direction_up_follows_owners_only(store):
    sub = around(store, "junli-logistics", Selection(hops=3, direction="up", links=("OWNS",)))
    assert ids(sub) == ["hunhe-holding", "junli-logistics", "siasun"]
    assert sub.nodes.set_index("id").loc["siasun", "hop"] == 2


def test_direction_down_follows_what_is_owned(store):
    sub = around(store, "siasun", Selection(hops=3, direction="down", links=("OWNS",)))
    assert ids(sub) == ["hunhe-holding", "hunnan-servo", "junli-logistics", "siasun"]
    assert all(r["from"] != resolve_ref(store, "junli-logistics") for _, r in sub.edges())


def test_as_of_leaves_out_ended_stakes(store):
    sel = dict(hops=1, direction="down", links=("OWNS",))
    then = around(store, "tianyu-group", Selection(**sel, as_of=dt.date(2020, 6, 30)))
    now = around(store, "tianyu-group", Selection(**sel, as_of=dt.date(2022, 6, 30)))
    assert "hongjing-vision" in ids(then) and "hongjing-vision" not in ids(now)


def test_as_of_switches_the_sasac_stake(store):
    sel = dict(hops=1, direction="up", links=("OWNS",))
    before = around(store, "qingyun-group", Selection(**sel, as_of=parse_as_of("2019")))
    after = around(store, "qingyun-group", Selection(**sel, as_of=parse_as_of("2021")))
    assert sorted(before.links["OWNS"]["share"]) == [1.0]
    assert sorted(after.links["OWNS"]["share"]) == [0.05, 0.95]
    assert ids(before) == ["anhui-sasac", "qingyun-group"]


def test_as_of_leaves_out_later_funding_and_lapsed_certifications(store):
    sub = around(store, "xudong-vision", Selection(hops=1, as_of=dt.date(2019, 6, 30)))
    funded = sorted(r["date"] for rel, r in sub.edges() if rel == "FUNDED")
    assert funded == ["2017-09-01", "2018-03-01"]  # the 2019-11 subsidy and the 2020 loan come later
    assert set(sub.certifications["to"]) == {ID + "programme/specialized_sme", ID + "programme/little_giant"}
    later = around(store, "xudong-vision", Selection(hops=0, as_of=dt.date(2023, 12, 31)))
    assert list(later.certifications["to"]) == [ID + "programme/specialized_sme"]
    assert later.certifications["valid_from"].tolist() == ["2023-03-01"]


def test_min_share_drops_small_stakes(store):
    sub = around(store, "zhenyan-sensor", Selection(hops=1, direction="up", links=("OWNS",), min_share=0.38))
    assert ids(sub) == ["xu-weiming", "zhenyan-sensor"]


def test_cross_holding_is_kept_both_ways(store):
    sub = around(store, "ruihe-linear", Selection(hops=1, links=("OWNS",)))
    a, b = resolve_ref(store, "ruihe-linear"), resolve_ref(store, "dingheng-bearing")
    pairs = {(r["from"], r["to"]) for _, r in sub.edges()}
    assert (a, b) in pairs and (b, a) in pairs


def test_links_between_neighbours_are_kept(store):
    # taihu-sme-fund and hengxin-chip are both hop-1 neighbours of sme-dev-fund's sub-fund chain;
    # the link between two selected nodes is in the subgraph even if the walk did not take it
    sub = around(store, "taihu-sme-fund", Selection(hops=1, links=("OWNS", "FUNDED")))
    present = set(sub.nodes["iri"])
    every = [r for rel in ("OWNS", "FUNDED") for r in read_links(store, rel).to_dict("records")
             if r["from"] in present and r["to"] in present]
    assert {r["iri"] for _, r in sub.edges()} == {r["iri"] for r in every}


def test_hops_zero_is_the_entity_with_its_certifications_and_listing(store):
    sub = around(store, "leaderdrive", Selection(hops=0))
    labels = sorted(lbl for ls in sub.nodes["labels"] for lbl in ls)
    assert labels == ["Exchange", "Firm", "Programme", "Programme"]
    assert {rel for rel, _ in sub.edges()} == {"CERTIFIED_AS", "LISTED_ON"}
    assert sub.nodes.set_index("iri").loc[ID + "exchange/SSE", "hop"] == 1


def test_programmes_and_exchanges_are_never_walked_through(store):
    sub = around(store, "leaderdrive", Selection(hops=3))
    # leaderdrive has no owners or funders: its programmes would reach every Little Giant
    assert ids(sub) == ["leaderdrive"]


def test_derived_links_can_be_selected(store):
    sub = around(store, "junli-logistics", Selection(hops=1, direction="up", links=("CONTROLS", "ULTIMATELY_OWNS")))
    assert "siasun" in ids(sub)
    ult = sub.links["ULTIMATELY_OWNS"]
    siasun = resolve_ref(store, "siasun")
    assert round(float(ult.loc[ult["from"] == siasun, "share"].iloc[0]), 6) == 0.7


def test_node_frame_has_derived_props_and_focus(store):
    sub = around(store, "qingyun-reducer", Selection(hops=1, direction="up", links=("OWNS",)))
    n = sub.nodes.set_index("id")
    assert bool(n.loc["qingyun-reducer", "focus"]) and not bool(n.loc["qingyun-holding", "focus"])
    assert "state_share" in sub.nodes and "state_controlled" in sub.nodes
    assert n.loc["qingyun-reducer", "hop"] == 0


def test_records_and_financials_come_with_the_nodes(store):
    sub = around(store, "hunnan-servo", Selection(hops=0))
    assert list(sub.records["source_file"].unique()) == ["entities.csv"]
    assert sub.financials["year"].max() == 2023 and set(sub.financials["firm"]) == set(sub.focus)
    older = around(store, "hunnan-servo", Selection(hops=0, as_of=dt.date(2020, 6, 30)))
    assert older.financials["year"].max() == 2020


# ---------------------------------------------------------------- the limit


def test_limit_cuts_and_says_what(store):
    full = around(store, "qingyun-group", Selection(hops=3, limit=10_000))
    cut = around(store, "qingyun-group", Selection(hops=3, limit=10))
    entities = [ls for ls in cut.nodes["labels"] if not set(ls) & {"Programme", "Exchange"}]
    assert len(entities) == 10
    assert cut.truncated.startswith("kept 10 of ")
    assert "raise --limit" in cut.truncated
    assert full.truncated is None
    assert set(cut.nodes["iri"]) <= set(full.nodes["iri"])
    # every link of the cut subgraph is between its nodes
    present = set(cut.nodes["iri"])
    assert all(r["from"] in present and r["to"] in present for _, r in cut.edges())


def test_limit_keeps_the_nearest_nodes_first(store):
    cut = around(store, "siasun", Selection(hops=2, limit=4))
    hops = sorted(cut.nodes.loc[[not set(ls) & {"Programme", "Exchange"} for ls in cut.nodes["labels"]], "hop"])
    assert hops[0] == 0 and hops == sorted(hops)
    assert "within" in cut.truncated


def test_limit_names_the_hub(store):
    cut = around(store, "boc", Selection(hops=1, limit=3, links=("FUNDED",)))
    assert "Bank of China" in cut.truncated and "FUNDED links" in cut.truncated
    assert cut.found > 3


# ---------------------------------------------------------------- references and parameters


@pytest.mark.parametrize("ref", ["siasun", "300024", "300024.SZ", "SIASUN Robot & Automation Co., Ltd.",
                                 "沈阳新松机器人自动化股份有限公司", "Siasun Robot and Automation", "Siasun",
                                 ID + "ticker/300024.SZ"])
def test_references_resolve(store, ref):
    assert resolve_ref(store, ref) == ID + "ticker/300024.SZ"


def test_uscc_reference(store):
    iri = resolve_ref(store, "hunnan-servo")
    uscc = iri.rsplit("/", 1)[-1]
    assert resolve_ref(store, uscc) == iri and resolve_ref(store, uscc.lower()) == iri


def test_ambiguous_name_lists_the_candidates(store):
    with pytest.raises(InputError) as e:
        resolve_ref(store, "Qingyun")
    msg = str(e.value)
    assert msg.startswith("'Qingyun' is ambiguous: 4 entities")
    assert "qingyun-group" in msg and "qingyun-welding" in msg
    assert e.value.exit_code == 2


def test_unknown_reference(store):
    with pytest.raises(InputError, match="no entity matches 'no such firm'"):
        resolve_ref(store, "no such firm")
    with pytest.raises(InputError, match="no entity has the IRI"):
        resolve_ref(store, ID + "entity/nope")


def test_reference_entities_are_no_focus(store):
    with pytest.raises(InputError, match="a reference entity"):
        resolve_ref(store, "Shanghai Stock Exchange")


def test_parameters_are_checked():
    assert parse_links("owns,CONTROLS") == ("OWNS", "CONTROLS")
    with pytest.raises(InputError, match="'REPORTED' is not a link type"):
        parse_links("REPORTED")
    with pytest.raises(InputError, match="--links is empty"):
        parse_links(" , ")
    assert parse_as_of("2021-07") == dt.date(2021, 7, 31)
    with pytest.raises(InputError, match="--as-of"):
        parse_as_of("yesterday")
    assert parse_min_share("25%") == 0.25 and parse_min_share("25") == 0.25
    with pytest.raises(InputError, match="--min-share"):
        parse_min_share("150%")
    with pytest.raises(InputError, match="--direction 'sideways'"):
        Selection(direction="sideways")
    with pytest.raises(InputError, match="--limit 0"):
        Selection(limit=0)


def test_no_query_text_contains_user_input(store, monkeypatch):
    """Every SPARQL text the selection runs is built from store IRIs and ontology terms; an
    identifier or exact name is looked up with quads_for_pattern (no query text); the date and
    the share are pre-bound terms (kg.rdf.prebind)."""
    seen: list[str] = []
    real = type(store).query

    class Spy:
        def __init__(self, s):
            self._s = s

        def query(self, q, **kw):
            seen.append(q)
            return real(self._s, q, **kw)

        def __getattr__(self, name):
            return getattr(self._s, name)

    spy = Spy(store)
    sub = around(spy, "SIASUN Robot & Automation Co., Ltd.", Selection(hops=2, as_of=dt.date(2021, 3, 4), min_share=0.123))
    assert len(sub.nodes) > 3 and seen
    assert any('"2021-03-04"^^' in q for q in seen) and any('"0.123"^^' in q for q in seen)
    for q in seen:
        assert "SIASUN" not in q
        assert "?asof" not in q and "?minshare" not in q


def test_every_node_is_read_once_and_nodes_of_the_whole_graph_agree(store):
    sub = around(store, "hunnan-servo", Selection(hops=2))
    whole = read_nodes(store).set_index("iri")
    for row in sub.node_rows():
        ref = whole.loc[row["iri"]]
        for k, v in row.items():
            if k in ref.index and k not in ("hop", "focus"):
                assert (ref[k] == v) or (isinstance(v, tuple) and tuple(ref[k]) == v), (row["iri"], k)


def test_more_start_entities_than_the_limit(store):
    firms = [resolve_ref(store, x) for x in ("siasun", "leaderdrive", "hunnan-servo", "qingyun-group")]
    sub = select(store, firms, Selection(hops=2, limit=3, links=("OWNS",)))
    assert list(sub.nodes["iri"]) == firms[:3]
    assert sub.truncated == "kept 3 of 4 start entities (no hop walked); raise --limit to see more"


def test_identifier_shaped_reference_fails_fast(store):
    with pytest.raises(InputError, match="no entity has the USCC '91350200776049653A'"):
        resolve_ref(store, "91350200776049653A")
    with pytest.raises(InputError, match="no entity has the ticker '600000'"):
        resolve_ref(store, "600000")
