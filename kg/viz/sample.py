"""A small hand-made ownership graph in the renderer's input format, for tests and demos.

All names, identifiers and figures are made up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["example_graph", "ID", "LINK"]

ID = "https://w3id.org/accelerator-kg/id/"
LINK = "https://w3id.org/accelerator-kg/link/"


def _node(key: str, label: str, name_zh: str, types: list[str], **kw: Any) -> dict[str, Any]:
    row = kw.pop("row", 1)
    node = {
        "id": ID + key, "label": label, "name_zh": name_zh, "types": types,
        "state_controlled": False, "state_share": None, "certifications": [],
        "revenue": None, "capital": None, "uscc": None, "ticker": None, "focus": False,
        "props": {}, "sources": [{"source": "synthetic", "file": "entities.csv", "row": row}],
    }
    node.update(kw)
    return node


def _edge(key: str, source: str, target: str, etype: str, **kw: Any) -> dict[str, Any]:
    row = kw.pop("row", 1)
    edge = {
        "id": LINK + key, "source": ID + source, "target": ID + target, "type": etype,
        "share": None, "amount": None, "currency": None, "instrument": None,
        "start": None, "end": None, "derived": False, "props": {},
        "sources": [{"source": "synthetic", "file": "links.csv", "row": row}],
    }
    edge.update(kw)
    return edge


def example_graph() -> dict[str, Any]:
    """12 nodes and 14 links around a made-up listed robotics firm, valid on 2021-06-30.

    One funding link (a bank loan) ends 2021-12-31; one certification comes from a
    CERTIFIED_AS link to a programme node; several owners are state-controlled.

    >>> g = example_graph()
    >>> len(g["nodes"]), len(g["edges"])
    (12, 14)
    """
    focus = "uscc/91320500MA1XAMPLE1"
    nodes = [
        _node("gov/suzhou-sasac", "Suzhou SASAC", "苏州市国资委", ["GovernmentBody"],
              state_controlled=True, state_share=1.0, row=1,
              props={"province": "Jiangsu", "level": "municipal"}),
        _node("fund/suzhou-guidance", "Suzhou Innovation Guidance Fund", "苏州创新引导基金",
              ["Fund", "GuidanceFund"], state_controlled=True, state_share=1.0,
              capital=5e9, row=2, props={"province": "Jiangsu"}),
        _node("fund/jiangsu-hitech", "Jiangsu Hi-Tech Ventures", "江苏高科创投", ["Fund"],
              state_share=0.35, capital=1.2e9, row=3,
              props={"province": "Jiangsu",
                     "note": "</script><script>alert(1)</script> & \u2028 line sep"}),
        _node("person/zhang-wei", "Zhang Wei", "张伟", ["Person"], row=4),
        _node("uscc/91320500HOLDCO0001", "Leaderdrive Holdings", "绿驱控股", ["Firm"],
              capital=2e8, uscc="91320500HOLDCO0001", row=5, props={"province": "Jiangsu"}),
        _node(focus, "Leaderdrive", "绿驱谐波", ["Firm", "ListedCompany"],
              revenue=4.46e8, capital=1.69e8, uscc="91320500MA1XAMPLE1", ticker="688017.SH",
              focus=True, state_share=0.08, row=6,
              certifications=[{"programme": "little_giant", "batch": 1, "year": 2019,
                               "valid_from": "2019-07-01", "valid_to": "2022-06-30"}],
              props={"province": "Jiangsu", "city": "Suzhou", "industry": "harmonic reducers"}),
        _node("uscc/91320500ROBOT00002", "Leaderdrive Robotics", "绿驱机器人", ["Firm"],
              revenue=5e7, uscc="91320500ROBOT00002", row=7),
        _node("uscc/91320500PRECIS0003", "Leaderdrive Precision", "绿驱精密", ["Firm"],
              revenue=1.2e8, uscc="91320500PRECIS0003", row=8),
        _node("uscc/91320500BANKSZ0004", "Bank of Suzhou", "苏州银行", ["Firm", "Bank"],
              state_controlled=True, state_share=0.55, revenue=1.2e10,
              uscc="91320500BANKSZ0004", ticker="002966.SZ", row=9),
        _node("exchange/sse-star", "SSE STAR Market", "上交所科创板", ["Exchange"], row=10),
        _node("programme/manufacturing-champion", "Manufacturing Single Champion",
              "制造业单项冠军", ["Programme"], row=11,
              props={"programme": "manufacturing_champion", "ministry": "MIIT"}),
        _node("fund/national-ic-ii", "National Robotics Fund", "国家机器人产业基金",
              ["Fund", "GuidanceFund"], state_controlled=True, capital=2e10, row=12),
    ]
    edges = [
        _edge("1", "gov/suzhou-sasac", "fund/suzhou-guidance", "OWNS", share=1.0,
              start="2015-03-01", row=1),
        _edge("2", "gov/suzhou-sasac", "uscc/91320500BANKSZ0004", "OWNS", share=0.3,
              start="2010-01-01", row=2),
        _edge("3", "fund/suzhou-guidance", "fund/jiangsu-hitech", "OWNS", share=0.35,
              start="2016-05-01", row=3),
        _edge("4", "person/zhang-wei", "uscc/91320500HOLDCO0001", "OWNS", share=0.9,
              start="2011-01-01", row=4),
        _edge("5", "person/zhang-wei", focus, "CONTROLS", derived=True, row=5),
        _edge("6", "uscc/91320500HOLDCO0001", focus, "OWNS", share=0.3,
              start="2011-06-01", row=6),
        _edge("7", "fund/suzhou-guidance", focus, "FUNDED", amount=5e7, currency="CNY",
              instrument="equity", start="2018-03-01", row=7),
        _edge("8", "fund/jiangsu-hitech", focus, "OWNS", share=0.05, start="2017-09-01", row=8),
        _edge("9", "fund/national-ic-ii", "uscc/91320500ROBOT00002", "FUNDED", amount=1.5e8,
              currency="CNY", instrument="equity", start="2020-04-01", row=9),
        _edge("10", focus, "uscc/91320500ROBOT00002", "OWNS", share=0.6, start="2018-01-01",
              row=10),
        _edge("11", focus, "uscc/91320500PRECIS0003", "OWNS", share=1.0, start="2012-01-01",
              row=11),
        _edge("12", "uscc/91320500BANKSZ0004", focus, "FUNDED", amount=2e8, currency="CNY",
              instrument="loan", start="2019-01-01", end="2021-12-31", row=12),
        _edge("13", focus, "exchange/sse-star", "LISTED_ON", start="2020-08-28",
              props={"ticker": "688017.SH"}, row=13),
        _edge("14", "uscc/91320500PRECIS0003", "programme/manufacturing-champion",
              "CERTIFIED_AS", start="2021-01-01", end="2023-12-31",
              props={"batch": 6, "year": 2021}, row=14),
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "meta": {"focus": ID + focus, "hops": 2, "as_of": "2021-06-30",
                 "generated": "2024-05-01T00:00:00Z", "truncated": None},
    }
