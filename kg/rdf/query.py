"""Run SPARQL on the embedded store and turn the answers into plain Python rows.

The default graph is the union of all named graphs (sources, reference, derived).

>>> import pyoxigraph as ox
>>> s = ox.Store(); s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")), ox.NamedNode("http://e/g")))
>>> run_sparql(s, "SELECT ?o WHERE { ?s ?p ?o }")
(['o'], [[1]])
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import XSD

_INT = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger", "byte")}
_FLOAT = {XSD + t for t in ("decimal", "double", "float")}


def term_value(t):
    """A pyoxigraph term as a plain Python value (IRIs and dates as strings)."""
    if t is None:
        return None
    if isinstance(t, ox.NamedNode):
        return t.value
    if isinstance(t, ox.BlankNode):
        return f"_:{t.value}"
    if isinstance(t, ox.Literal):
        dt = t.datatype.value if t.datatype is not None else None
        try:
            if dt in _INT:
                return int(t.value)
            if dt in _FLOAT:
                return float(t.value)
        except ValueError:
            return t.value
        if dt == XSD + "boolean":
            return t.value in ("true", "1")
        return t.value
    return str(t)


def evaluate(store: ox.Store, query: str, bindings: dict | None = None):
    """Oxigraph's result of a query with parameters pre-bound (never pasted); bad queries and
    bad parameters raise InputError (one line)."""
    if bindings:
        from kg.rdf.prebind import PrebindError, prebind

        try:
            query = prebind(query, bindings)
        except PrebindError as e:
            raise InputError(str(e)) from None
    try:
        return store.query(query, use_default_graph_as_union=True)
    except SyntaxError as e:
        raise InputError(f"SPARQL syntax error: {str(e).splitlines()[0]}") from None
    except OSError as e:
        raise InputError(f"SPARQL evaluation failed: {e}") from None


def run_sparql(store: ox.Store, query: str, bindings: dict | None = None) -> tuple[list[str], list[list]]:
    """Run a query (parameters pre-bound, never pasted) and return (columns, rows)."""
    return result_rows(evaluate(store, query, bindings))


def result_rows(res) -> tuple[list[str], list[list]]:
    """(columns, rows) of an Oxigraph query result: solutions, a boolean (ASK) or triples."""
    if isinstance(res, ox.QuerySolutions):
        cols = [v.value for v in res.variables]
        return cols, [[term_value(sol[c]) for c in cols] for sol in res]
    if isinstance(res, bool) or isinstance(res, ox.QueryBoolean):
        return ["ask"], [[bool(res)]]
    return ["subject", "predicate", "object"], [[term_value(t.subject), term_value(t.predicate), term_value(t.object)] for t in res]
