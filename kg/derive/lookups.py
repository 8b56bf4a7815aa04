"""Lookup facts for SPARQL: one stored value where a canned query would otherwise group or pick
among several, computed once per build. They hold for every as_of (no date is involved, or the
date is stored for the query to compare) and live only in the RDF store: the property graph
already has them (a node's ``name`` is its smallest name) or computes them in Cypher.

- ``display_name``: an entity's smallest name (code point order), the one Neo4j's ``name``
  property holds and ``MIN(?name)`` gives; read with one lookup instead of a GROUP BY.
- ``cert_year`` and ``counts_from`` on a certification: its year (the year column, else the year
  of valid_from) and the first day it counts at (the later of valid_from and 1 January of that
  year). A certification has been held by a date D exactly when ``counts_from <= D``, which is
  ``cert_year <= YEAR(D) && (no valid_from || valid_from <= D)``. The certification's own
  ``kg:year`` is shared with every financial year, so reading it costs a lookup per
  certification; these two properties are on certifications only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

__all__ = ["display_names", "certification_years"]


def display_names(rows: pd.DataFrame) -> pd.DataFrame:
    """``iri, display_name``: the smallest name among an entity's rows (entities without a name
    are left out).

    >>> rows = pd.DataFrame({"iri": ["a", "a", "b", "c"], "name": ["Zeta Co", "Alpha Co", "Beta", None]})
    >>> display_names(rows).values.tolist()
    [['a', 'Alpha Co'], ['b', 'Beta']]
    """
    named = rows.loc[rows["name"].notna(), ["iri", "name"]]
    out = named.groupby("iri", sort=True)["name"].min() if len(named) else pd.Series(dtype=object)
    return pd.DataFrame({"iri": out.index.astype(object), "display_name": out.to_numpy(dtype=object)})


def certification_years(certs: pd.DataFrame) -> pd.DataFrame:
    """``iri, cert_year, counts_from`` (a ``datetime.date``) for certifications with a year or a
    valid_from; ``certs`` has the CERTIFIED_AS columns ``iri``, ``year`` and ``valid_from``
    (partial dates, counted from their first day).

    >>> from kg.values.dates import parse
    >>> certs = pd.DataFrame({"iri": ["c1", "c2", "c3", "c4"], "year": [2019, None, 2020, None],
    ...                       "valid_from": [parse("2019-07"), parse("2021"), parse("2019-03-01"), None]})
    >>> [(r.iri, r.cert_year, r.counts_from.isoformat()) for r in certification_years(certs).itertuples()]
    [('c1', 2019, '2019-07-01'), ('c2', 2021, '2021-01-01'), ('c3', 2020, '2020-01-01')]
    """
    if not len(certs):
        return pd.DataFrame({"iri": [], "cert_year": [], "counts_from": []})
    start = certs["valid_from"].map(lambda d: None if d is None or d != d else d.first_day())
    year = pd.to_numeric(certs["year"], errors="coerce")
    year = year.where(year.notna(), start.map(lambda d: None if d is None else d.year).astype(float))
    keep = year.notna().to_numpy()
    years = year[keep].astype(int)
    counts = [max(s, dt.date(y, 1, 1)) if s is not None else dt.date(y, 1, 1)
              for s, y in zip(start[keep], years, strict=True)]
    return pd.DataFrame({"iri": certs.loc[keep, "iri"].to_numpy(dtype=object), "cert_year": years.to_numpy(),
                         "counts_from": counts})
