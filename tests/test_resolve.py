"""Entity resolution: identifiers merge rows, references find entities, ambiguity is reported."""

from __future__ import annotations

from kg.loaders.sources import load_sources
from kg.resolve import resolve

A = "91210100MA0GRP015Y"
B = "91210100MA0HLD0290"


def _write(d, name, text):
    (d / name).write_text(text, encoding="utf-8")


def test_rows_sharing_an_identifier_become_one_entity(tmp_path):
    s1, s2 = tmp_path / "s1", tmp_path / "s2"
    s1.mkdir()
    s2.mkdir()
    _write(s1, "entities.csv", f"id,type,name,uscc,ticker,source\ng,Firm,Group Co,{A},300024.SZ,reg\n")
    _write(s2, "entities.csv", "id,type,name,ticker,source\nx,Firm,Group Company Ltd,sz300024,news\n"
                               "p,Person,Zhang San,,news\n")
    res = resolve(load_sources([s1, s2]))
    assert len(res.entities) == 2
    grp = res.entities[res.entities.uscc == A].iloc[0]
    assert grp.iri.endswith(f"/uscc/{A}") and grp.local_ids == ("g", "x") and grp.ticker == "300024.SZ"


def test_name_only_rows_join_the_entity_with_that_name(tmp_path):
    _write(tmp_path, "entities.csv",
           f"id,type,name,name_zh,uscc,province,source\n"
           f"g,Firm,Example Robot Group Co. Ltd.,示例机器人集团股份有限公司,{A},Liaoning,reg\n"
           f"g2,Firm,示例機器人集團,,,Liaoning,news\n")  # traditional characters, no legal form, no USCC
    res = resolve(load_sources([tmp_path]))
    assert len(res.entities) == 1


def test_references_by_uscc_ticker_and_name(tmp_path):
    _write(tmp_path, "entities.csv",
           f"id,type,name,uscc,ticker\ng,Firm,Group Co,{A},300024.SZ\nh,Firm,Holding Co,{B},\n")
    _write(tmp_path, "ownership.csv", f"owner,owned,share\n{A},h,1\nsz300024,{B},0.2\nGroup Co.,Holding Co Ltd,0.3\n")
    res = resolve(load_sources([tmp_path]))
    owns = res.links["OWNS"]
    assert len(owns) == 3 and not res.rejects
    assert set(owns.from_iri) == {f"https://w3id.org/accelerator-kg/id/uscc/{A}"}


def test_ambiguous_and_unknown_names_are_rejected_with_candidates(tmp_path):
    _write(tmp_path, "entities.csv", "id,type,name,province\na,Firm,Star Co,Jiangsu\nb,Firm,Star Co,Anhui\n")
    _write(tmp_path, "ownership.csv", "owner,owned,share\nStar Co,a,0.5\nMoon Co,a,0.5\n")
    res = resolve(load_sources([tmp_path]))
    assert len(res.entities) == 2  # same name, different provinces: not merged
    msgs = {r.row: r.reason for r in res.rejects}
    assert "not a unique name (it matches entity/a, entity/b)" in msgs[2]
    assert "not a known entity" in msgs[3]


def test_link_iris_are_link_iri_of_each_row():
    """The bulk IRIs (hashed per row, hex made in numpy) are link_iri's, with and without part,
    for text, numbers and missing values, across chunks."""
    import numpy as np
    import pandas as pd

    from kg.resolve import _CHUNK, link_iri, link_iris

    n = _CHUNK + 3
    a = pd.Series([f"https://x/é/{i}" if i % 7 else None for i in range(n)], dtype=object)
    b = pd.Series(np.arange(n, dtype=np.int64))
    c = pd.Series([i if i % 5 else "t" for i in range(n)], dtype=object)
    part = pd.Series([None if i % 3 else f"p{i}" for i in range(n)], dtype=object)
    got = link_iris("OWNS", a, b, c, part=part)
    assert str(got.dtype) == "str" and len(got) == n
    want = [link_iri("OWNS", x, y, z) if p is None else link_iri("OWNS", x, y, z, p)
            for x, y, z, p in zip(a, b, c, part, strict=True)]
    assert got.tolist() == want
    assert link_iris("fy", a, b, prefix="https://x/fy/")[1] == "https://x/fy/" + link_iri("x", a[1], b[1]).rsplit("/", 1)[1]
    assert link_iris("OWNS", a.iloc[:0], b.iloc[:0]) == []
