"""SME size classes: the 2011 thresholds table and the vectorised classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kg.derive.size import (
    DEFAULT_SECTOR,
    SIZES,
    THRESHOLDS_PATH,
    is_sme,
    normalise_sector,
    size_class,
    thresholds,
)

WAN = 10_000
YI = 100_000_000


def test_table_shape_and_citation():
    t = thresholds()
    assert THRESHOLDS_PATH.name == "sme_size_thresholds.csv"
    assert {"sector", "size", "min_employees", "min_revenue_yuan", "combine", "source"} <= set(t)
    assert t["source"].str.contains("2011").all()
    assert t["source"].str.contains("300号").all()
    covered = t[t["size"] != "none"]
    # every covered sector has the four classes, each once
    for _, g in covered.groupby("sector"):
        assert sorted(g["size"]) == sorted(SIZES)
    # lower bounds shrink from large to small
    for _, g in covered.groupby("sector"):
        g = g.set_index("size")
        for col in ("min_employees", "min_revenue_yuan", "min_assets_yuan"):
            vals = g.loc[["large", "medium", "small"], col]
            assert vals.isna().all() or (vals.notna().all() and vals.is_monotonic_decreasing)
    assert DEFAULT_SECTOR in set(t["sector"])


def test_industry_thresholds_from_domain():
    t = thresholds().set_index(["sector", "size"])
    assert t.loc[("industry", "large"), ["min_employees", "min_revenue_yuan"]].tolist() == [
        1000,
        4 * YI,
    ]
    assert t.loc[("industry", "medium"), ["min_employees", "min_revenue_yuan"]].tolist() == [
        300,
        2000 * WAN,
    ]
    assert t.loc[("industry", "small"), ["min_employees", "min_revenue_yuan"]].tolist() == [
        20,
        300 * WAN,
    ]


@pytest.mark.parametrize(
    ("emp", "rev", "expected"),
    [
        (1000, 4 * YI, "large"),
        (999, 40 * YI, "medium"),  # fewer than 1,000 employees: an SME
        (5000, 4 * YI - 1, "medium"),  # revenue below 400 million: an SME
        (300, 2000 * WAN, "medium"),
        (299, 2000 * WAN, "small"),
        (300, 2000 * WAN - 1, "small"),
        (20, 300 * WAN, "small"),
        (19, 40 * YI, "micro"),
        (5000, 299 * WAN, "micro"),
        (0, 0, "micro"),
    ],
)
def test_industry_boundaries(emp, rev, expected):
    assert size_class(emp, rev, "industry") == expected
    assert size_class(emp, rev) == expected  # default sector
    assert is_sme(emp, rev) is (expected != "large")


def test_other_sectors():
    # software & IT services: large >= 300 and >= 1亿; medium >= 100 and >= 1000万
    assert size_class(300, 1 * YI, "software") == "large"
    assert size_class(299, 1 * YI, "软件和信息技术服务业") == "medium"
    assert size_class(10, 50 * WAN, "software") == "small"
    # agriculture: revenue only
    assert size_class(None, 2 * YI, "agriculture") == "large"
    assert size_class(100000, 49 * WAN, "农、林、牧、渔业") == "micro"
    # construction: revenue and total assets; employees ignored
    assert size_class(5, 8 * YI, "construction", assets=8 * YI) == "large"
    assert size_class(5, 8 * YI, "construction", assets=None) is None
    assert size_class(5, 8 * YI, "construction", assets=299 * WAN) == "micro"
    # leasing and business services: employees and assets, no revenue
    assert size_class(300, None, "leasing_business", assets=12 * YI) == "large"
    # outside the rule
    assert size_class(5000, 100 * YI, "finance") is None
    assert is_sme(5000, 100 * YI, "bank") is None


def test_unknown_sector_defaults_to_industry():
    assert normalise_sector("Robotics") == "industry"
    assert normalise_sector(None) == "industry"
    assert normalise_sector(float("nan")) == "industry"
    assert normalise_sector(" Software ") == "software"
    assert size_class(150, 2000 * WAN, "Robotics") == "small"
    assert size_class(150, 2000 * WAN, "Robotics", default_sector="software") == "medium"
    with pytest.raises(ValueError):
        normalise_sector("x", default_sector="nope")


def test_missing_figures():
    assert size_class(None, None) is None
    assert size_class(float("nan"), None) is None
    assert size_class(10, None) == "micro"  # below 20 employees: micro whatever the revenue
    assert size_class(None, 100 * WAN) == "micro"
    assert size_class(500, None) is None  # medium or smaller: undecided
    assert size_class(5000, None) is None
    assert is_sme(500, None) is True
    assert is_sme(None, 3 * YI) is True
    assert is_sme(5000, None) is None


def test_vectorised_series_keeps_index():
    emp = pd.Series([4000, 300, 10, None, 5000, "1,200"], index=list("abcdef"))
    rev = pd.Series([4.5e9, 1.2e8, 1e9, 5e8, 3e8, 5e8], index=list("abcdef"))
    sec = pd.Series(["industry", "software", None, "industry", "制造业", "industry"])
    out = size_class(emp, rev, sec)
    assert isinstance(out, pd.Series) and list(out.index) == list("abcdef")
    # "1,200" is not a number: treated as missing
    assert out.tolist() == ["large", "large", "micro", None, "medium", None]
    arr = size_class(np.array([4000, 10]), np.array([4.5e9, 1e9]))
    assert isinstance(arr, np.ndarray) and arr.tolist() == ["large", "micro"]
    assert is_sme(emp, rev, sec).tolist() == [False, False, True, None, True, None]


def test_length_mismatch():
    with pytest.raises(ValueError):
        size_class([1, 2], [1, 2, 3])
    with pytest.raises(ValueError):
        size_class([1, 2], [1, 2], ["industry"] * 3)


def test_scale_is_vectorised():
    rng = np.random.default_rng(0)
    n = 200_000
    emp = rng.integers(0, 3000, n).astype(float)
    rev = rng.uniform(0, 10 * YI, n)
    emp[::7] = np.nan
    sec = rng.choice(["industry", "software", "retail", "Robotics", None], n)
    out = size_class(emp, rev, sec)
    assert out.shape == (n,)
    ok = ~np.isnan(emp)
    ind = ok & np.isin(sec, ["industry", "Robotics", None])
    large = (emp >= 1000) & (rev >= 4 * YI)
    assert ((out[ind] == "large") == large[ind]).all()
