"""Lookups for SPARQL (kg.derive.lookups): display names, certification years, superseded_from."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kg.derive.lookups import certification_years, display_names, superseded_from
from kg.values.dates import parse

D = dt.date


def test_display_name_is_the_smallest_by_code_point():
    rows = pd.DataFrame({"iri": ["a", "a", "a", "b"], "name": ["alpha", "Zeta", "宁波", None]})
    assert display_names(rows).values.tolist() == [["a", "Zeta"]]  # 'Z' < 'a' < CJK; b has no name


def test_certification_year_and_first_counted_day():
    certs = pd.DataFrame({
        "iri": ["year only", "later start", "earlier start", "start only", "neither"],
        "year": [2019, 2019, 2020, None, None],
        "valid_from": [None, parse("2020-03-15"), parse("2019-06"), parse("2021-07"), None],
    })
    got = {r.iri: (r.cert_year, r.counts_from) for r in certification_years(certs).itertuples()}
    assert got == {
        "year only": (2019, D(2019, 1, 1)),
        "later start": (2019, D(2020, 3, 15)),  # listed for 2019, valid from 2020: counts from then
        "earlier start": (2020, D(2020, 1, 1)),
        "start only": (2021, D(2021, 7, 1)),
    }


def _certs(rows):
    return pd.DataFrame(rows, columns=["iri", "from_iri", "to_iri", "valid_from", "valid_to", "batch"])


def test_superseded_by_greater_keys_only_and_ties_supersede_nothing():
    certs = _certs([
        ("old", "f", "lg", parse("2018"), parse("2020"), 1),
        ("twin1", "f", "lg", parse("2021"), parse("2023"), 2),
        ("twin2", "f", "lg", parse("2021"), parse("2023"), 2),  # same key: neither supersedes the other
        ("other firm", "g", "lg", parse("2022"), parse("2030"), 3),
        ("no end", "f", "lg", parse("2024"), None, 4),  # takes no part
    ])
    got = dict(superseded_from(certs).itertuples(index=False))
    assert got == {"old": D(2021, 1, 1)}


def test_batch_compares_as_text_like_the_query_key():
    # same valid_to and valid_from: the key's batch part decides, as text ("9" > "10")
    certs = _certs([("b10", "f", "lg", parse("2021"), parse("2023"), 10),
                    ("b9", "f", "lg", parse("2022"), parse("2023"), 9)])
    got = dict(superseded_from(certs).itertuples(index=False))
    # keys "2023-12-31|2021-01-01|10" < "2023-12-31|2022-01-01|9": b10 is superseded from b9's start
    assert got == {"b10": D(2022, 1, 1)}
    certs = _certs([("b10", "f", "lg", parse("2021"), parse("2023"), 10),
                    ("b9", "f", "lg", parse("2021"), parse("2023"), 9)])
    assert dict(superseded_from(certs).itertuples(index=False)) == {"b10": D(2021, 1, 1)}


def test_an_undated_later_certification_supersedes_from_the_start():
    certs = _certs([("a", "f", "lg", parse("2019"), parse("2021"), None),
                    ("b", "f", "lg", None, parse("2024"), None)])
    assert dict(superseded_from(certs).itertuples(index=False)) == {"a": D.min}


@pytest.mark.parametrize("day", [D(2019, 12, 31), D(2021, 6, 30), D(2023, 12, 31), D(2025, 3, 1)])
def test_started_and_not_superseded_is_the_greatest_key_started(day, tmp_path):
    """On a synthetic graph: the certifications started by ``day`` and not superseded by it are
    exactly those with the greatest key per firm and programme among the ones started by it."""
    from kg.loaders.sources import load_sources
    from kg.resolve import resolve
    from kg.synth import generate

    generate(tmp_path, firms=3000, seed=5)
    certs = resolve(load_sources([tmp_path])).links["CERTIFIED_AS"]
    certs = certs[certs["valid_to"].notna()].copy()
    started = certs["valid_from"].map(lambda d: d is None or d != d or d.first_day() <= day)
    sup = superseded_from(certs).set_index("iri")["superseded_from"]
    latest = certs[started & ~certs["iri"].map(lambda i: i in sup.index and sup[i] <= day)]

    def key(r):
        vf = r.valid_from if r.valid_from is not None and r.valid_from == r.valid_from else None
        b = r.batch if r.batch is not None and r.batch == r.batch else None
        return (f"{r.valid_to.last_day().isoformat()}|{vf.first_day().isoformat() if vf else ''}|"
                f"{int(b) if b is not None else ''}")

    cand = certs[started].assign(key=[key(r) for r in certs[started].itertuples()])
    top = cand.groupby(["from_iri", "to_iri"])["key"].transform("max")
    expected = set(cand.loc[cand["key"] == top, "iri"])
    assert len(expected) > 100
    assert set(latest["iri"]) == expected
