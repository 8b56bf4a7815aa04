"""Reading embedded Cypher results as Arrow columns and sorting them outside LadybugDB
(kg.cypher.engine, kg.cypher.dialect.split_order) gives the rows LadybugDB's own ORDER BY and
row-by-row reading give: for every canned query, and for the literals, nulls and directions a
final ORDER BY may hold."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.cypher.backend import CypherBackend, _normalised
from kg.cypher.dialect import PARAM_PREFIX, PARAM_TYPES, split_order, translate
from kg.cypher.engine import open_graph, run_cypher
from kg.queries import load_catalog
from kg.queries.params import cypher_params
from kg.queries.run import _round, prepare, round_many


def _ladybug_sorted(graph, query, params, types):
    """The rows as LadybugDB sorts them (the ORDER BY left in), read row by row."""
    nulls = {k: types.get(k, "STRING") for k, v in params.items() if v is None}
    text = translate(query, nulls, {k: v for k, v in params.items() if v is not None})
    result = graph.conn.execute(text, {PARAM_PREFIX + k: v for k, v in params.items()})
    convert = _normalised()
    try:
        return [[convert(v) for v in row] for row in result.get_all()]
    finally:
        result.close()


@pytest.mark.parametrize("as_of", ["2021-06-30", "2023-12-31"])
def test_every_canned_query_gives_the_same_rows_each_way(sample_db, as_of):
    backend = CypherBackend.open(sample_db)
    split = 0
    for name, q in sorted(load_catalog(use_config=False).items()):
        if q.cypher is None or q.origin != "shipped" or any(s.required for s in q.params.values()):
            continue
        values = prepare(q, {}, as_of, backend)
        params = cypher_params(q.params, values)
        types = {n: PARAM_TYPES.get(s.type, "STRING") for n, s in q.params.items()}
        want = _ladybug_sorted(backend.graph, q.cypher, params, types)
        for columnar in (True, False):
            cols, rows = run_cypher(backend.graph, q.cypher, params, types, value=_normalised(), columnar=columnar)
            assert rows == want, (name, columnar)
        nulls = {k: types[k] for k, v in params.items() if v is None}
        split += bool(split_order(translate(q.cypher, nulls, {k: v for k, v in params.items() if v is not None}))[1])
    assert split >= 8  # most canned queries are sorted outside LadybugDB


ORDERS = [
    "ORDER BY s", "ORDER BY s DESC", "ORDER BY coalesce(d, date('0001-01-01')), s", "ORDER BY coalesce(x, -1) DESC, s",
    "ORDER BY n, s DESC", "ORDER BY coalesce(s, 'm')", "ORDER BY d DESC, x",
]


@pytest.mark.parametrize("order", ORDERS)
def test_a_split_order_sorts_as_ladybug_does(sample_db, order):
    graph = open_graph(sample_db)
    query = ("UNWIND [[1, 0], [2, 1], [3, 0], [4, 2], [5, 1], [6, 0], [7, 2]] AS r "
             "WITH r[0] AS i, r[1] AS k "
             "RETURN i, CASE k WHEN 0 THEN null WHEN 1 THEN 'b' ELSE 'a' END AS s, "
             "CASE WHEN i % 3 = 0 THEN null ELSE date('2020-01-01') + duration({days: i % 2}) END AS d, "
             "CASE WHEN i % 2 = 0 THEN null ELSE toFloat(i) / 3 END AS x, k AS n " + order)
    assert split_order(translate(query))[1], "the order is split off"
    result = graph.conn.execute(translate(query))  # LadybugDB sorts
    want = [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in result.get_all()]
    result.close()
    for columnar in (True, False):
        assert run_cypher(graph, query, {}, columnar=columnar)[1] == want, columnar


def test_a_text_parameter_compared_with_a_literal_is_folded():
    q = "MATCH (f:Firm) WHERE ($certified = 'ever' OR EXISTS { MATCH (f)-->() }) RETURN f.iri"
    assert "EXISTS" not in translate(q, {}, {"certified": "ever"})
    assert "EXISTS" in translate(q, {}, {"certified": "valid"})
    assert "EXISTS" in translate(q, {}, ["certified"])  # names only: nothing to compare


def test_floats_are_rounded_as_one_by_one():
    xs = [0.1 + 0.2, 1 / 3, 2 / 3 * 1e9, 123456789.123, 5e-7, -0.0, 0.0, 1e15 + 0.5, 999999999.9999999, float("inf")]
    assert [repr(x) for x in round_many(xs)] == [repr(_round(x)) for x in xs]
