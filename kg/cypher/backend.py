"""The embedded Cypher graph as a backend of the query runner (``kg query run --backend cypher``).

Runs a catalog query's ``.cypher`` text (the same file Neo4j runs, translated by
:mod:`kg.cypher.dialect`) with every declared parameter bound; references are resolved with
the Neo4j lookups' Cypher (:class:`kg.queries.refs.Neo4jLookup`) run on the embedded graph.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.queries.run import run_query
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> cols, rows = run_query(CypherBackend.open(db), "ultimate-owners", {"ref": "junli-logistics"}, "2023-12-31")
>>> [(r[1], r[2]) for r in rows][:2]
[('SIASUN Robot & Automation Co., Ltd.', 0.7), ('Shenyang Hunhe Robotics Holding Co., Ltd.', 0.7)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kg.cypher.dialect import PARAM_TYPES
from kg.cypher.engine import EmbeddedGraph, open_graph, plain, run_cypher
from kg.errors import InputError
from kg.queries.catalog import Query
from kg.queries.params import cypher_params
from kg.queries.refs import Neo4jLookup


class CypherLookup(Neo4jLookup):
    """Reference lookups (by IRI, identifier, name) on the embedded Cypher graph."""

    def __init__(self, graph: EmbeddedGraph):
        self.graph = graph

    def _run(self, query: str, params: dict) -> list[list]:
        return run_cypher(self.graph, query, params)[1]


class CypherBackend:
    """The live graph's embedded Cypher database; runs a query's Cypher text."""

    name = "cypher"

    #: rows come back already through :func:`kg.queries.run.normalise_value`
    normalised = True

    def __init__(self, graph: EmbeddedGraph):
        self.graph = graph
        self.lookup = CypherLookup(graph)

    @classmethod
    def open(cls, db: Path) -> CypherBackend:
        """The backend of the live graph of database folder ``db``."""
        return cls(open_graph(db))

    def execute(self, query: Query, values: Mapping[str, Any]) -> tuple[list[str], list[list]]:
        """Run ``query.cypher`` with every declared parameter bound (typed, also when null)."""
        if query.cypher is None:
            raise InputError(f"query {query.name} has no Cypher version ({query.name}.cypher); run it with --backend sparql")
        types = {n: PARAM_TYPES.get(spec.type, "STRING") for n, spec in query.params.items()}
        return run_cypher(self.graph, query.cypher, cypher_params(query.params, values), types, value=_normalised())


def _normalised() -> Callable[[Any], Any]:
    """A converter of LadybugDB values to what :func:`kg.queries.run.normalise_rows` makes of
    them, in one step; each distinct value is converted once (dates and amounts repeat).

    >>> import datetime
    >>> convert = _normalised()
    >>> convert(0.1 + 0.2), convert(datetime.date(2021, 7, 1)), convert([1.5, datetime.date(2020, 1, 1)])
    (0.3, '2021-07-01', [1.5, '2020-01-01'])
    """
    from kg.queries.run import normalise_value, round_many

    memo: dict = {}

    def convert(v: Any) -> Any:
        try:
            return memo[v]
        except KeyError:
            out = memo[v] = normalise_value(plain(v))
            return out
        except TypeError:  # lists, nodes: not hashable
            return normalise_value(plain(v))

    def many(values: list) -> list:
        """``convert`` of each of the distinct values of a column (kg.cypher.engine reads columns)."""
        kinds = set(map(type, values))
        if kinds == {float}:
            return round_many(values)
        if kinds == {dt.date}:  # as normalise_value(plain(v)): ISO text
            return [v.isoformat() for v in values]
        return [convert(v) for v in values]

    convert.many = many
    return convert
