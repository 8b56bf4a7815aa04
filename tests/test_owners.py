"""``kg owners REF``: the ownership tree above an entity, on the bundled sample.

Shares are worked out by hand from data/sample/ownership.csv (and its README's "Integrated-
ownership values to check by hand").
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

import kg.cli.query  # noqa: F401  (registers query and owners)
from kg.queries.owners import flatten, owner_tree, render_tree, tree_json
from kg.rdf.store import open_store

ID = "https://w3id.org/accelerator-kg/id/"


def test_tree_text(run, sample_db):
    r = run("owners", "junli-logistics", "--as-of", "2023-12-31", "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == [
        "Shenyang Junli Intelligent Logistics Equipment Co., Ltd.  [junli-logistics]",
        "└── 70.0%  Shenyang Hunhe Robotics Holding Co., Ltd.  [integrated 70.0%; controls]",
        "    └── 100.0%  SIASUN Robot & Automation Co., Ltd.  [integrated 70.0%; controls]",
    ]


def test_state_owners_change_with_as_of(run, sample_db):
    """Anhui SASAC held 100% of the group until 2020-09-29, then 95% (and the national
    manufacturing fund 5% of the group and 6% of the reducer)."""
    r = run("owners", "Hefei Qingyun Precision Reducer", "--as-of", "2019-12-31", "--db", sample_db)
    assert r.exit_code == 0
    assert "100.0%  State-owned Assets Supervision and Administration Commission of Anhui Provincial Government  " \
           "[integrated 70.0%; controls; state]" in r.output
    assert "Manufacturing" not in r.output
    r = run("owners", "qingyun-reducer", "--as-of", "2023-12-31", "--db", sample_db)
    lines = r.output.splitlines()
    assert lines[0] == "Hefei Qingyun Precision Reducer Co., Ltd.  [qingyun-reducer]  [state]"
    assert any("95.0%  State-owned Assets" in ln and "[integrated 66.5%; controls; state]" in ln for ln in lines)
    assert any("15.3%  Ministry of Finance" in ln and "integrated 1.45%" in ln for ln in lines)  # 0.153 x 0.095: one precision
    # the fund owns the reducer directly (6%) and through the group: listed twice, its owners once
    fund = [ln for ln in lines if "National Manufacturing Transformation" in ln]
    assert len(fund) == 2 and sum("owners shown above" in ln for ln in fund) == 1


def test_json_is_nested(run, sample_db):
    r = run("owners", "tuoheng-gripper", "--as-of", "2023-12-31", "--db", sample_db, "--format", "json")
    tree = json.loads(r.stdout)
    assert tree["entity"] == ID + "uscc/914419007873153121" and tree["id"] == "tuoheng-gripper"
    holding = tree["owners"][0]
    assert (holding["id"], holding["direct_share"], holding["integrated_share"], holding["controls"]) == (
        "tianyu-holding", 0.51, 0.51, True)
    group = holding["owners"][0]
    people = {o["id"]: o for o in group["owners"]}
    assert people["chen-mingyuan"]["integrated_share"] == pytest.approx(0.3468)  # 0.68 x 1.0 x 0.51
    assert people["chen-mingyuan"]["controls"] is True and people["lin-haitao"]["controls"] is False
    lingnan = next(o for o in tree["owners"] if o["id"] == "lingnan-sme-fund")
    assert {o["id"]: o["state_controlled"] for o in lingnan["owners"]} == {
        "sme-dev-fund": True, "shenzhen-imgf": True, "taihu-capital": False}


def test_flat_rows(run, sample_db):
    r = run("owners", "junli-logistics", "--as-of", "2023-12-31", "--db", sample_db, "--format", "csv")
    lines = r.output.splitlines()
    assert lines[0] == "depth,owner,owner_name,owned,owned_name,direct_share,integrated_share,controls,state_controlled"
    assert lines[2].startswith(f"2,{ID}ticker/300024.SZ,\"SIASUN Robot & Automation Co., Ltd.\",{ID}uscc/91210100792257794L,")
    assert lines[2].endswith(",1,0.7,true,false")


def test_cross_holding_is_not_expanded(sample_db):
    store = open_store(sample_db)
    tree = owner_tree(store, ID + "uscc/913205065234575606", dt.date(2023, 12, 31))  # dingheng-bearing
    ruihe = next(o for o in tree.owners if o.local_id == "ruihe-linear")
    # cycle-corrected: 0.10 direct, nothing counted twice around ruihe <-> dingheng
    assert ruihe.integrated_share == pytest.approx(0.1)
    back = next(o for o in ruihe.owners if o.local_id == "dingheng-bearing")
    assert back.note == "cycle" and back.owners == []
    assert "the entity itself; cross-holding" in render_tree(tree)
    assert [r[0] for r in flatten(tree)].count(1) == len(tree.owners)
    assert tree_json(tree)["owners"][0]["id"] == "ruihe-linear"


def test_ended_stakes_and_depth(run, sample_db):
    r = run("owners", "hongjing-vision", "--as-of", "2020-12-31", "--db", sample_db)
    assert "20.0%  Shenzhen Tianyu Robotics Group Co., Ltd.  [integrated 20.0%]" in r.output
    r = run("owners", "hongjing-vision", "--as-of", "2022-06-30", "--db", sample_db)
    assert r.output.splitlines()[-1] == "(no owners on record at this date)"
    r = run("owners", "tuoheng-gripper", "--as-of", "2023-12-31", "--depth", "1", "--db", sample_db)
    lines = r.output.splitlines()
    assert len(lines) == 4 and all("more owners above (raise --depth)" in ln for ln in lines[1:])
    # the shares do not depend on how much is printed
    assert "integrated 4.75%" in lines[3]


def test_bad_references(run, sample_db):
    r = run("owners", "Qingyun", "--db", sample_db)
    assert r.exit_code == 2 and "is ambiguous: 4 entities" in r.output and "qingyun-welding" in r.output
    r = run("owners", "nobody at all", "--db", sample_db)
    assert r.exit_code == 2 and "no entity matches 'nobody at all'" in r.output
    r = run("owners", "siasun", "--as-of", "soon", "--db", sample_db)
    assert r.exit_code == 2 and r.output.startswith("Error: --as-of: 'soon' is not ")
