"""A firm named differently by two sources is still one firm: per-firm sums in the canned
queries must not count its rows once per name (financing-intensity's revenue did)."""

from __future__ import annotations

import pytest

from kg.build import build
from kg.queries import run_query

AS_OF = "2023-12-31"


@pytest.fixture(scope="module")
def two_name_dbs(tmp_path_factory, sample_dir, sample_db):
    cols, rows = run_query(sample_db, "financing-intensity", {}, AS_OF)
    firm = next(r[cols.index("firm")] for r in rows if r[cols.index("revenue")] and "/uscc/" in r[cols.index("firm")])
    uscc = firm.rsplit("/", 1)[1]
    extra = tmp_path_factory.mktemp("extra")
    (extra / "entities.csv").write_text(
        f"id,type,name,uscc,source\nalias,Firm,Another Name For The Same Firm Co.,{uscc},other-register\n", encoding="utf-8")
    db = tmp_path_factory.mktemp("two-names") / "db"
    report = build([sample_dir, extra], db)
    assert not report.rejects
    return sample_db, db, firm


def test_revenue_and_financing_do_not_double_with_a_second_name(two_name_dbs):
    one, two, firm = two_name_dbs
    for params in ({}, {"total": "true"}):
        c1, r1 = run_query(one, "financing-intensity", params, AS_OF)
        c2, r2 = run_query(two, "financing-intensity", params, AS_OF)
        by1 = {r[c1.index("firm")]: r for r in r1} if not params else {"": r1[0]}
        by2 = {r[c2.index("firm")]: r for r in r2} if not params else {"": r2[0]}
        key = firm if not params else ""
        for col in ("revenue", "financing", "intensity"):
            assert by2[key][c2.index(col)] == pytest.approx(by1[key][c1.index(col)]), (params, col)
