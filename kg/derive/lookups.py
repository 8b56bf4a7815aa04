"""Lookup facts for SPARQL: one stored value where a canned query would otherwise group or pick
among several, computed once per build. They hold for every as_of (no date is involved, or the
date is stored for the query to compare) and live only in the RDF store: the property graph
already has them (a node's ``name`` is its smallest name) or computes them in Cypher.

- ``display_name``: an entity's smallest name (code point order), the one Neo4j's ``name``
  property holds and ``MIN(?name)`` gives; read with one lookup instead of a GROUP BY.
- ``superseded_from`` on a certification: the first day a certification of the same firm and
  programme with a greater ``valid_to|valid_from|batch`` key has started (0001-01-01 when that
  one has no valid_from). The latest certification at D among those started by D (what
  ``expiring-certifications`` reports) is then the one started by D and not superseded by D,
  found with two anti-joins instead of a MAX per firm and programme.
- ``cert_year`` and ``counts_from`` on a certification: its year (the year column, else the year
  of valid_from) and the first day it counts at (the later of valid_from and 1 January of that
  year). A certification has been held by a date D exactly when ``counts_from <= D``, which is
  ``cert_year <= YEAR(D) && (no valid_from || valid_from <= D)``. The certification's own
  ``kg:year`` is shared with every financial year, so reading it costs a lookup per
  certification; these two properties are on certifications only.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kg.derive.periods import distinct_objects
from kg.derive.text import take_text

__all__ = ["display_names", "certification_years", "superseded_from"]


def display_names(rows: pd.DataFrame) -> pd.DataFrame:
    """``iri, display_name``: the smallest name among an entity's rows (entities without a name
    are left out).

    >>> rows = pd.DataFrame({"iri": ["a", "a", "b", "c"], "name": ["Zeta Co", "Alpha Co", "Beta", None]})
    >>> display_names(rows).values.tolist()
    [['a', 'Alpha Co'], ['b', 'Beta']]
    """
    named = rows.loc[rows["name"].notna(), ["iri", "name"]]
    # most entities have one name: only the others are sorted (a grouped min of text runs in Python)
    several = named["iri"].duplicated(keep=False)
    smallest = named[several].sort_values(["iri", "name"]).drop_duplicates("iri")
    out = pd.concat([named[~several], smallest]).sort_values("iri")
    rows = np.arange(len(out))
    return pd.DataFrame({"iri": take_text(out["iri"], rows), "display_name": take_text(out["name"], rows)})


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
    # each distinct date object looked at once (kg.derive.periods.distinct_objects)
    vf = certs["valid_from"].to_numpy(dtype=object)
    codes, uniq = distinct_objects(np.where(pd.isna(vf), None, vf))
    firsts = [d.first_day() for d in uniq]
    start = np.array([d.toordinal() for d in firsts] + [-1], dtype=np.int64)[codes]  # -1: no valid_from
    start_year = np.array([d.year for d in firsts] + [np.nan], dtype=float)[codes]
    year = pd.to_numeric(certs["year"], errors="coerce").to_numpy(dtype=float)
    year = np.where(np.isnan(year), start_year, year)
    keep = np.flatnonzero(~np.isnan(year))
    years = year[keep].astype(int)
    jan1 = _ordinals(years, lambda y: dt.date(y, 1, 1))
    counts = np.maximum(start[keep], jan1)
    days, at = np.unique(counts, return_inverse=True)
    dates = np.array([dt.date.fromordinal(int(d)) for d in days.tolist()] + [None], dtype=object)[:-1]
    return pd.DataFrame({"iri": take_text(certs["iri"], keep), "cert_year": years,
                         "counts_from": dates[at.reshape(-1)] if len(keep) else np.array([], dtype=object)})


def _ordinals(years: np.ndarray, day) -> np.ndarray:
    """``day(y).toordinal()`` of each year, each distinct year once."""
    uy, at = np.unique(years, return_inverse=True)
    return np.array([day(int(y)).toordinal() for y in uy.tolist()], dtype=np.int64)[at.reshape(-1)]


def _key_text(vt, vf, batch) -> str:
    """The ``valid_to|valid_from|batch`` key the canned query compares (ISO dates, batch digits)."""
    return f"{vt.last_day().isoformat()}|{vf.first_day().isoformat() if vf is not None else ''}|" \
           f"{int(batch) if batch is not None else ''}"


def superseded_from(certs: pd.DataFrame) -> pd.DataFrame:
    """``iri, superseded_from`` (a ``datetime.date``) for certifications with a valid_to that a
    certification of the same firm (``from_iri``) and programme (``to_iri``) with a greater
    ``valid_to|valid_from|batch`` key can supersede: the earliest valid_from of those (0001-01-01
    when one has none). Certifications without valid_to take no part (the key needs it).

    >>> from kg.values.dates import parse
    >>> certs = pd.DataFrame({"iri": ["a", "b", "c", "d"], "from_iri": ["f"] * 4, "to_iri": ["lg", "lg", "lg", "sme"],
    ...     "valid_from": [parse("2019"), parse("2022-07"), None, parse("2020")],
    ...     "valid_to": [parse("2021"), parse("2025"), parse("2024"), parse("2022")], "batch": [1, 3, None, None]})
    >>> [(r.iri, r.superseded_from.isoformat()) for r in superseded_from(certs).itertuples()]
    [('a', '0001-01-01'), ('c', '2022-07-01')]
    """
    def nothing():
        return pd.DataFrame({"iri": pd.Series(dtype=object), "superseded_from": pd.Series(dtype=object)})

    if not len(certs):
        return nothing()
    dated = pd.notna(certs["valid_to"].to_numpy(dtype=object))  # not None, NaN or NaT (no comparison of dates)
    c = certs.loc[dated, ["iri", "from_iri", "to_iri", "valid_from", "valid_to", "batch"]]
    c = c[c.duplicated(["from_iri", "to_iri"], keep=False)]  # only a firm's renewals can supersede
    if not len(c):
        return nothing()
    vf = c["valid_from"].to_numpy(dtype=object)
    vf = np.where(pd.isna(vf), None, vf).tolist()
    batch = c["batch"].to_numpy(dtype=object)
    batch = np.where(pd.isna(batch), None, batch).tolist()
    c = c.assign(key=[_key_text(a, b, n) for a, b, n in zip(c["valid_to"], vf, batch, strict=True)],
                 start=np.array([dt.date.min.toordinal() if d is None else d.first_day().toordinal() for d in vf],
                                dtype=np.int64))  # ordinals: a grouped min of dates runs in Python
    # per firm and programme, keys from the greatest down; a key's certifications are superseded
    # from the earliest start among the strictly greater keys
    blocks = (c.groupby(["from_iri", "to_iri", "key"], sort=False)["start"].min().reset_index()
              .sort_values(["from_iri", "to_iri", "key"], ascending=[True, True, False]))
    ordinal = blocks["start"]
    earliest = ordinal.groupby([blocks["from_iri"], blocks["to_iri"]]).cummin()
    blocks["before"] = earliest.groupby([blocks["from_iri"], blocks["to_iri"]]).shift(1)
    blocks = blocks[blocks["before"].notna()]
    out = c.merge(blocks[["from_iri", "to_iri", "key", "before"]], on=["from_iri", "to_iri", "key"])
    out = out.sort_values("iri")
    return pd.DataFrame({"iri": out["iri"].to_numpy(dtype=object),
                         "superseded_from": [dt.date.fromordinal(int(x)) for x in out["before"]]})
