"""kg.derive.timeline: derived facts with their periods, exact at any date.

The single-date derive (kg.derive.facts.derive) is the reference: slicing the period tables at
a day gives exactly its tables, on hand-made graphs, the fixtures, the sample and a synthetic
graph.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kg.conflicts import find_conflicts
from kg.derive.facts import derive
from kg.derive.timeline import at, derive_periods, holds_at, merge_periods
from kg.loaders.sources import load_sources
from kg.resolve import resolve
from kg.synth import generate

ID = "https://w3id.org/accelerator-kg/id/entity/"
TABLES = ("integrated", "control", "entity", "flows")


def resolved(folder: Path):
    records = load_sources([folder])
    res = resolve(records)
    find_conflicts(res, records.header)  # as the build does: drops what the algebra cannot take
    return res


def write(folder: Path, **tables: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def assert_slices_equal(res, periods, days):
    for day in days:
        one, cut = derive(res, as_of=day), at(periods, day)
        for table in TABLES:
            pd.testing.assert_frame_equal(getattr(cut, table), getattr(one, table), check_dtype=False,
                                          obj=f"{table} at {day}")


def row(table: pd.DataFrame, **where) -> pd.DataFrame:
    mask = pd.Series(True, index=table.index)
    for k, v in where.items():
        mask &= table[k] == v
    return table[mask]


@pytest.fixture(scope="module")
def handover(tmp_path_factory):
    """B holds 60% of X until mid-2022; the ministry A takes 60% from 2020: B controls X, then
    (shares scaled to 100% while both hold: 50/50) nobody, then A."""
    folder = write(
        tmp_path_factory.mktemp("handover"),
        entities="id,type,name\na,GovernmentBody,Ministry A\nb,Firm,Beta Group\nx,Firm,Xeno Robotics\n",
        ownership="owner,owned,share,start,end\nb,x,60%,2010-01-01,2022-06-30\na,x,60%,2020-01-01,\n",
    )
    res = resolved(folder)
    return res, derive_periods(res)


DAYS = (dt.date(2019, 6, 30), dt.date(2021, 6, 30), dt.date(2023, 6, 30))


def test_a_holding_that_starts_and_one_that_ends_give_three_controllers(handover):
    res, periods = handover
    got = []
    for day in DAYS:
        x = row(at(periods, day).entity, iri=ID + "x").iloc[0]
        got.append((x.ultimate_controller, round(x.state_share, 4), x.state_influence, x.path))
    assert got == [
        (ID + "b", 0.0, "none", None),
        (None, 0.5, "medium", "Ministry A -> 50% Xeno Robotics"),
        (ID + "a", 0.6, "high", "Ministry A -> 60% Xeno Robotics"),
    ]
    assert_slices_equal(res, periods, DAYS)


def test_periods_are_merged_and_bounded_by_the_change_dates(handover):
    _, periods = handover
    x = row(periods.entity, iri=ID + "x")
    assert x[["valid_from", "valid_to"]].values.tolist() == [
        [None, dt.date(2009, 12, 31)], [dt.date(2010, 1, 1), dt.date(2019, 12, 31)],
        [dt.date(2020, 1, 1), dt.date(2022, 6, 30)], [dt.date(2022, 7, 1), None]]
    # the ministry's control of X starts the day after B's holding ends and stays open
    ctl = periods.control
    assert ctl[["controller", "controlled", "valid_from", "valid_to"]].values.tolist() == [
        [ID + "a", ID + "x", dt.date(2022, 7, 1), None], [ID + "b", ID + "x", dt.date(2010, 1, 1), dt.date(2019, 12, 31)]]
    # nothing about B or A changes: one open period each
    assert row(periods.entity, iri=ID + "b")[["valid_from", "valid_to"]].values.tolist() == [[None, None]]
    # integrated ownership of B in X: 60% alone, 50% while scaled with A's
    io = row(periods.integrated, owner=ID + "b")
    assert io[["share", "valid_from", "valid_to"]].values.tolist() == [
        [0.6, dt.date(2010, 1, 1), dt.date(2019, 12, 31)], [0.5, dt.date(2020, 1, 1), dt.date(2022, 6, 30)]]


def test_a_firm_that_grows_out_of_sme_size_in_2023_is_a_breach_from_2024(tmp_path):
    folder = write(
        tmp_path / "growth",
        entities="id,type,name,sector\nf,Firm,Fast Growth Co,manufacturing\n",
        financials="firm,year,revenue,employees\nf,2021,150000000,400\nf,2022,300000000,800\nf,2023,900000000,1500\n",
    )
    res = resolved(folder)
    periods = derive_periods(res)
    for day, size, year in ((dt.date(2022, 6, 30), "medium", 2021), (dt.date(2023, 12, 31), "medium", 2022),
                            (dt.date(2024, 6, 30), "large", 2023)):
        for d in (derive(res, as_of=day), at(periods, day)):
            f = row(d.entity, iri=ID + "f").iloc[0]
            assert (f.size_class, f.size_year) == (size, year), day
    large = row(at(periods, dt.date(2024, 6, 30)).entity, iri=ID + "f").iloc[0]
    assert (large.size_employees, large.size_revenue) == (1500, 9e8)
    # before its first year has ended the firm has no size class
    assert pd.isna(row(at(periods, dt.date(2021, 12, 31)).entity, iri=ID + "f").iloc[0].size_class)
    assert row(periods.size, iri=ID + "f")[["size_class", "valid_from", "valid_to"]].values.tolist() == [
        ["medium", dt.date(2022, 1, 1), dt.date(2023, 12, 31)], ["large", dt.date(2024, 1, 1), None]]
    assert_slices_equal(res, periods, (dt.date(2022, 6, 30), dt.date(2024, 6, 30)))


SLICE_DAYS = (dt.date(2005, 1, 1), dt.date(2018, 12, 31), dt.date(2020, 6, 30), dt.date(2022, 1, 1),
              dt.date(2024, 1, 1), dt.date(2030, 1, 1))


@pytest.mark.parametrize("name", ["mini", "gleif-rdf", "sample"])
def test_slices_equal_the_single_date_derive(name, mini_dir, sample_dir):
    """The fixtures (gleif-rdf: declared control with periods, no shares) and the sample."""
    res = resolved({"mini": mini_dir, "sample": sample_dir}.get(name, mini_dir.parent / name))
    periods = derive_periods(res)
    if name == "gleif-rdf":
        assert len(periods.control) and periods.control["valid_from"].notna().any()
    assert_slices_equal(res, periods, SLICE_DAYS)


def test_slices_equal_the_single_date_derive_on_a_synthetic_graph(tmp_path):
    generate(tmp_path / "synth", firms=1500, seed=7)
    res = resolved(tmp_path / "synth")
    periods = derive_periods(res)
    assert len(periods.entity) > len(res.entities)  # facts that change over time
    assert_slices_equal(res, periods, (dt.date(2012, 3, 1), dt.date(2019, 6, 30), dt.date(2021, 12, 31),
                                       dt.date(2024, 6, 30)))


def test_holds_at_and_merge_periods():
    t = pd.DataFrame({"valid_from": [None, dt.date(2020, 1, 1)], "valid_to": [dt.date(2019, 12, 31), None]})
    assert holds_at(t, dt.date(2019, 12, 31)).tolist() == [True, False]
    assert holds_at(t, dt.date(2020, 1, 1)).tolist() == [False, True]
    df = pd.DataFrame({"k": ["a", "a", "a"], "v": [None, None, 1.0], "_from": [0, 5, 10], "_to": [4, 9, 20]})
    assert merge_periods(df, ["k"])[["_from", "_to"]].values.tolist() == [[0, 9], [10, 20]]


def test_helpers_agree_with_the_general_forms():
    """The vectorised helpers of the stage give what the general forms they replace give."""
    from kg.derive import facts as facts_mod
    from kg.derive import timeline as tl

    rng = np.random.default_rng(3)
    for _ in range(20):
        a = np.unique(rng.integers(0, 50, rng.integers(0, 20)))
        b = np.unique(rng.integers(0, 50, rng.integers(0, 20)))
        assert tl._union_sorted(a, b).tolist() == np.union1d(a, b).tolist()
    # merge_periods: integer keys (one lexsort, rows in order or not) as the sort of the frame gives
    df = pd.DataFrame({"k": rng.integers(0, 4, 60), "v": rng.integers(0, 2, 60).astype(float),
                       "_from": rng.integers(0, 30, 60), "_to": 0})
    df["_to"] = df["_from"]
    df.loc[df.index[:5], "v"] = np.nan
    by_text = tl.merge_periods(df.assign(k=df["k"].map(lambda x: f"k{x}").astype(object)), ["k"])
    by_code = tl.merge_periods(df, ["k"])
    assert by_code.assign(k=by_code["k"].map(lambda x: f"k{x}")).equals(by_text.assign(k=by_text["k"].astype(str)))
    ordered = df.sort_values(["k", "_from"], kind="stable")
    assert tl.merge_periods(ordered, ["k"]).equals(by_code)
    # explaining paths: the batched texts are the one-by-one texts
    pairs = pd.DataFrame({"i": [0, 1, 1, 2], "j": [1, 2, 3, 3], "share": [0.5, 0.004, 1.0, 0.25]})
    names = np.array(["A", "B", "C", "D"], dtype=object)
    paths = np.array([[0, 1, 2, 3], [0, 1, 3, -1], [1, -1, -1, -1]])
    shares = {(int(i), int(j)): float(s) for i, j, s in pairs.itertuples(index=False)}
    want = [facts_mod._path_text([int(k) for k in row if k >= 0], names, shares) for row in paths]
    assert facts_mod._path_texts(paths, pairs, names) == want
