"""Why a canned query returned nothing, or left out much of its cohort: one line, from facts the
graph holds, found by small parameterised queries that run only then.

:func:`explain` looks at a cohort query's result (see :mod:`kg.queries.cohort`):

- **no rows, empty cohort.** The cohort is counted again with one condition relaxed at a time,
  the nearest first: ``certified=ever`` (the certifications lapsed: "no little_giant
  certification is valid at 2026-12-04 (the latest ends 2026-10-31); try --as-of 2026-10-31 or
  -p certified=ever"), no as_of (none had started yet), no sector / province (the cohort's firms
  are elsewhere), no batches, and last the programme alone (the graph has none of it).
- **no rows, cohort not empty.** The query's own ``if_empty`` header line, filled in with the
  cohort's size and the parameters ("none of the 17 cohort firms is owned >= 50% by a large or
  listed firm").
- **rows that leave out part of the cohort**, where the query's ``left_out`` header says how to
  see it (``financing-intensity``: "12 of 44 cohort firms report no revenue in 2016-2021").

The texts are the query's: its header's ``explain:`` key holds ``if_empty`` (a line with
``{firms}``, the cohort's size, and ``{name}`` for any parameter) and ``left_out`` (``empty``: a
column that is empty for a firm left out, ``counted``: in a total row, the column counting the
firms kept, ``text``: the line, with ``{missing}`` and ``{firms}``).

Each diagnostic is the cohort pattern itself (``@cohort(?firm, ?c)`` / ``@cohort(firm, c)``)
with aggregates, run through the same backend and the same parameter binding as the query, so
the explanation cannot disagree with the query about who is in the cohort.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.queries.run import as_backend, prepare, run_prepared
>>> from kg.queries.catalog import get_query
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> b, q = as_backend(db), get_query("little-giant-subsidiaries")
>>> values = prepare(q, {}, "2027-01-01", b)
>>> cols, rows = run_prepared(b, q, values)
>>> explain(b, q, values, cols, rows)
'no little_giant certification is valid at 2027-01-01 (the latest ends 2026-10-31); try --as-of 2026-10-31 or -p certified=ever'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from kg.queries import cohort as cohort_lang
from kg.queries.catalog import Query
from kg.queries.params import AS_OF

__all__ = ["explain", "cohort_stats", "CohortStats"]

_STATS_SPARQL = """PREFIX kg: <https://w3id.org/accelerator-kg/ont#>
SELECT (COUNT(DISTINCT ?firm) AS ?firms) (MIN(?vf) AS ?first_start) (MAX(?vt) AS ?last_end)
(MIN(?b) AS ?first_batch) (MAX(?b) AS ?last_batch) WHERE {
  @cohort(?firm, ?c)
  OPTIONAL { ?c kg:validFrom ?vf }
  OPTIONAL { ?c kg:validTo ?vt }
  OPTIONAL { ?c kg:batch ?b }
}
"""

_STATS_CYPHER = """@cohort(firm, c)
RETURN count(DISTINCT firm) AS firms, min(c.valid_from) AS first_start, max(c.valid_to) AS last_end,
       min(c.batch) AS first_batch, max(c.batch) AS last_batch
"""

#: far enough ahead that every certification has started by then
_END_OF_TIME = dt.date(9999, 12, 31)


class CohortStats(tuple):
    """``(firms, first_start, last_end, first_batch, last_batch)``: how many firms, the earliest
    start and the latest end of the certifications that put them in the cohort (dates as ISO
    text) and their lowest and highest batch (None when unknown)."""

    @property
    def firms(self) -> int:
        return int(self[0] or 0)

    @property
    def first_start(self) -> str | None:
        return self[1]

    @property
    def last_end(self) -> str | None:
        return self[2]

    @property
    def batches(self) -> str | None:
        """``1-5`` (or ``3``), the batch numbers' range; None without batches."""
        lo, hi = self[3], self[4]
        if lo is None or hi is None:
            return None
        return str(lo) if lo == hi else f"{lo}-{hi}"


def _stats_query(query: Query) -> Query:
    specs = {n: s for n, s in query.params.items() if n in cohort_lang.COHORT_PARAMS or n == AS_OF}
    return Query(name=f"{query.name} (cohort)", params=specs, cohort=query.cohort,
                 sparql=cohort_lang.expand_sparql(_STATS_SPARQL), cypher=cohort_lang.expand_cypher(_STATS_CYPHER))


def cohort_stats(backend, query: Query, values: Mapping[str, Any]) -> CohortStats:
    """The cohort of ``query`` at ``values`` (prepared parameters): its size and its
    certifications' first start and last end, run on ``backend``."""
    from kg.queries.run import normalise_rows

    cols, rows = backend.execute(_stats_query(query), values)
    if not getattr(backend, "normalised", False):
        rows = normalise_rows(rows)
    row = rows[0] if rows else []
    return CohortStats(row[cols.index(c)] if c in cols and row else None
                       for c in ("firms", "first_start", "last_end", "first_batch", "last_batch"))


def _text(v: Any) -> str:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)


def _what(values: Mapping[str, Any]) -> str:
    """The certification the cohort asks for, in words: "little_giant certification of batch 1 or 2"."""
    prog = values.get("programme")
    out = f"{prog} certification" if prog else "certification"
    batches = values.get("batches")
    if batches:
        out += f" of batch {' or '.join(str(b) for b in batches)}"
    return out


def _where(values: Mapping[str, Any]) -> str:
    parts = []
    if values.get("sector") is not None:
        parts.append(f"of sector {values['sector']!r}")
    if values.get("province") is not None:
        parts.append(f"in {values['province'][0]}")
    return " and ".join(parts)


def _empty_cohort(backend, query: Query, values: Mapping[str, Any]) -> str:
    """Why the cohort at ``values`` is empty: relax one condition at a time."""
    as_of = values[AS_OF]
    what, where = _what(values), _where(values)
    v = dict(values)
    if v.get("certified") == "valid":
        v["certified"] = "ever"
        st = cohort_stats(backend, query, v)
        if st.firms:
            who = f" held by a firm {where}" if where else ""
            end = f" (the latest ends {st.last_end})" if st.last_end else ""
            hint = f"try --as-of {st.last_end} or -p certified=ever" if st.last_end else "try -p certified=ever"
            return f"no {what}{who} is valid at {as_of.isoformat()}{end}; {hint}"
    v = dict(values, certified="ever", **{AS_OF: _END_OF_TIME})
    st = cohort_stats(backend, query, v)
    if st.firms:
        who = f" of a firm {where}" if where else ""
        start = f" (the first starts {st.first_start}); try --as-of {st.first_start}" if st.first_start else ""
        return f"no {what}{who} starts on or before {as_of.isoformat()}{start}"
    if where:
        st = cohort_stats(backend, query, dict(v, sector=None, province=None))
        if st.firms:
            return f"none of the {st.firms} firms that held a {what} is {where}"
    if values.get("batches"):
        st = cohort_stats(backend, query, dict(v, sector=None, province=None, batches=None))
        if st.firms:
            prog = values.get("programme")
            have = f" (the graph's are of batches {st.batches})" if st.batches else ""
            return f"no {prog + ' ' if prog else ''}certification is of batch {_text(values['batches'])}{have}"
    if values.get("programme"):
        return f"the graph holds no {values['programme']} certification"
    return "the graph holds no certification"


def _fill(template: Any, values: Mapping[str, Any], **more: Any) -> str | None:
    """A header's text with ``{name}`` filled from the parameters (and ``more``).

    >>> _fill("none of the {firms} firms by {as_of}", {"as_of": dt.date(2021, 6, 30)}, firms=3)
    'none of the 3 firms by 2021-06-30'
    """
    if not template:
        return None
    fields = {k: _text(v) for k, v in values.items() if v is not None} | {k: _text(v) for k, v in more.items()}
    try:
        return str(template).format_map(fields).strip()
    except (KeyError, ValueError, IndexError):
        return None


def explain(backend, query: Query, values: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Sequence]) -> str | None:
    """One line saying why a cohort query's result is empty or leaves out part of the cohort,
    or None when there is nothing to say (or the query selects no cohort)."""
    if query.cohort is None or values.get("certified") is None:
        return None
    if values.get("ref") is not None:  # one entity asked for by reference, not a cohort
        return None
    if not rows:
        st = cohort_stats(backend, query, values)
        if not st.firms:
            return _empty_cohort(backend, query, values)
        return _fill(query.explain.get("if_empty"), values, firms=st.firms)
    return _left_out(backend, query, values, columns, rows)


def _left_out(backend, query: Query, values: Mapping[str, Any], columns: Sequence[str], rows: Sequence[Sequence]) -> str | None:
    """The header's ``left_out`` line when rows leave out cohort firms: per firm, the rows whose
    ``empty`` column has no value; in a total row, the cohort's size less its ``counted`` column."""
    spec = query.explain.get("left_out")
    if not isinstance(spec, Mapping):
        return None
    empty, counted = spec.get("empty"), spec.get("counted")
    if "firm" in columns and empty in columns:
        missing, total = sum(1 for r in rows if r[columns.index(empty)] is None), len(rows)
    elif counted in columns and len(rows) == 1:
        total = cohort_stats(backend, query, values).firms
        missing = total - int(rows[0][columns.index(counted)] or 0)
    else:
        return None
    if missing <= 0:
        return None
    return _fill(spec.get("text"), values, missing=missing, firms=total)
