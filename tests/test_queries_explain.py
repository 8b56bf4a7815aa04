"""Empty or surprising results explained: one line on stderr, from facts of the graph
(kg/queries/explain.py), on the bundled sample."""

from __future__ import annotations

import datetime as dt

import pytest

import kg.cli.query  # noqa: F401  (registers query)
import kg.queries.explain
from kg.queries.catalog import get_query
from kg.queries.run import as_backend, prepare, run_prepared


def why(db, name, as_of, **params):
    b, q = as_backend(db), get_query(name)
    values = prepare(q, {k: str(v) for k, v in params.items()}, as_of, b)
    cols, rows = run_prepared(b, q, values)
    return kg.queries.explain.explain(b, q, values, cols, rows), rows


def test_little_giant_subsidiaries_with_no_options(run, sample_db):
    """`kg build --sample && kg query run little-giant-subsidiaries`: rows, or one line saying why
    there are none and what to try. The sample's last Little Giant certifications end on
    2026-10-31 (yuechuan-inspection and qingyun-welding, re-reviewed in 2023)."""
    r = run("query", "run", "little-giant-subsidiaries", "--db", sample_db)
    assert r.exit_code == 0
    if dt.date.today() > dt.date(2026, 10, 31):
        assert r.stdout.splitlines()[-1] == "(no rows)"
        assert r.stderr == (f"note: no little_giant certification is valid at {dt.date.today().isoformat()} (the latest "
                            f"ends 2026-10-31); try --as-of 2026-10-31 or -p certified=ever\n")
    else:
        assert "(no rows)" not in r.stdout and r.stderr == ""
    # what it suggests gives rows
    r = run("query", "run", "little-giant-subsidiaries", "-p", "certified=ever", "--db", sample_db, "--format", "csv")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 1 + 8  # the README's eight
    assert "note: no " not in r.stderr


@pytest.mark.parametrize("as_of, params, line", [
    # the certifications lapsed
    ("2027-01-01", {}, "no little_giant certification is valid at 2027-01-01 (the latest ends 2026-10-31); "
                       "try --as-of 2026-10-31 or -p certified=ever"),
    # none had started yet
    ("2018-06-30", {}, "no little_giant certification starts on or before 2018-06-30 (the first starts 2019-01-01); "
                       "try --as-of 2019-01-01"),
    ("2018-06-30", {"batches": "1,2"}, "no little_giant certification of batch 1 or 2 starts on or before 2018-06-30 "
                                       "(the first starts 2019-01-01); try --as-of 2019-01-01"),
    # a batch the graph does not have
    ("2023-12-31", {"batches": "9"}, "no little_giant certification is of batch 9 (the graph's are of batches 1-5)"),
    # the cohort's firms are elsewhere (a province in any spelling)
    ("2023-12-31", {"province": "海南省"}, "none of the 28 firms that held a little_giant certification is in 海南省"),
    ("2023-12-31", {"sector": "robotics", "batches": "1-2"},
     "none of the 17 firms that held a little_giant certification of batch 1 or 2 is of sector 'robotics'"),
    # the cohort is there, but no firm meets the query's own conditions
    ("2023-12-31", {"province": "Jiangsu"},
     "none of the 4 cohort firms is owned >= 0.5 by a large or listed firm (one without an SME-tier certification)"),
])
def test_why_little_giant_subsidiaries_is_empty(sample_db, as_of, params, line):
    got, rows = why(sample_db, "little-giant-subsidiaries", as_of, **params)
    assert rows == [] and got == line


def test_why_other_cohort_queries_are_empty(sample_db):
    got, _ = why(sample_db, "weak-performers", "2023-12-31", programme="manufacturing_champion")
    assert got == ("none of the 3 cohort firms has falling revenue or repeated losses in its accounts up to "
                   "2023-12-31")
    got, _ = why(sample_db, "sme-threshold-breaches", "2023-12-31", programme="innovative_sme", certified="ever")
    assert got == "none of the 14 cohort firms is over the SME thresholds of its sector in its latest reported year"
    got, _ = why(sample_db, "state-capital-flows", "2023-12-31", programme="little_giant", from_year=2000, to_year=2000)
    assert got == "no funding from a state source reached the 26 cohort firms by 2023-12-31 (with the filters given)"
    got, _ = why(sample_db, "certification-ladder", "2015-12-31", programme="little_giant")
    assert got == ("no little_giant certification starts on or before 2015-12-31 (the first starts 2019-01-01); "
                   "try --as-of 2019-01-01")


def test_rows_that_leave_out_cohort_firms(sample_db, run):
    got, rows = why(sample_db, "financing-intensity", "2023-12-31", batches="1,2")
    assert len(rows) == 17 and got == "1 of 17 cohort firms report no revenue in 2016-2021"  # leaderdrive
    got, rows = why(sample_db, "financing-intensity", "2023-12-31", batches="1,2", total="true")
    assert rows[0][0] == 16 and got == "1 of 17 cohort firms report no revenue in 2016-2021"
    r = run("query", "run", "financing-intensity", "-p", "batches=1,2", "-p", "total=true", "--as-of", "2023-12-31",
            "--db", sample_db, "--format", "csv")
    assert "note: 1 of 17 cohort firms report no revenue in 2016-2021\n" in r.stderr


def test_nothing_to_say(sample_db):
    assert why(sample_db, "little-giant-subsidiaries", "2023-12-31")[0] is None  # rows
    assert why(sample_db, "state-influence", "2023-12-31", ref="hengxin-chip")[0] is None  # no cohort
    assert why(sample_db, "certified-listings-share", "2000-12-31")[0] is None  # selects no cohort
    assert why(sample_db, "state-capital-flows", "2000-12-31")[0] is None  # no cohort asked for


def test_docstring_examples():
    import doctest

    assert doctest.testmod(kg.queries.explain).failed == 0
