"""Run SPARQL on the embedded store and turn the answers into plain Python rows.

The default graph is the union of all named graphs (sources, reference, derived).

>>> import pyoxigraph as ox
>>> s = ox.Store(); s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")), ox.NamedNode("http://e/g")))
>>> run_sparql(s, "SELECT ?o WHERE { ?s ?p ?o }")
(['o'], [[1]])
"""

from __future__ import annotations

import re
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import XSD

_INT = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                          "negativeInteger", "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
                          "unsignedByte")}
_FLOAT = {XSD + t for t in ("decimal", "double", "float")}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


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


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if (m.group(1) or m.group(2))
                       else _ESCAPES.get(m.group(3), m.group(3)), text)


def _tsv_cell(cell: str) -> Any:
    """One SPARQL TSV cell as the plain value :func:`term_value` gives (floats unrounded)."""
    if not cell:
        return None
    c = cell[0]
    if c == "<":
        return cell[1:-1]
    if c == '"':
        end = cell.rfind('"')
        lex = _unescape(cell[1:end])
        rest = cell[end + 1:]
        if rest.startswith("^^<"):
            dtype = rest[3:-1]
            try:
                if dtype in _INT:
                    return int(lex)
                if dtype in _FLOAT:
                    return float(lex)
            except ValueError:
                return lex
            if dtype == XSD + "boolean":
                return lex in ("true", "1")
        return lex
    if cell == "true" or cell == "false":
        return cell == "true"
    if c == "_":
        return cell
    try:
        return int(cell)
    except ValueError:
        return float(cell)


def tsv_columns(data: bytes) -> tuple[list[str], list[list]]:
    r"""Variable names and the values of each column (plain values, floats unrounded) of a
    SPARQL TSV result.

    Cells never hold a raw tab or newline (TSV escapes them), so the whole body is one split;
    each distinct cell is converted once.

    >>> tsv_columns(b'?a\t?b\n<http://e/x>\t"1.5"^^<http://www.w3.org/2001/XMLSchema#double>\n\t2\n')
    (['a', 'b'], [['http://e/x', None], [1.5, 2]])
    """
    text = data.decode("utf-8")
    head, _, body = text.partition("\n")
    names = [c[1:] for c in head.split("\t")] if head else []
    if not names or not body:
        return names, [[] for _ in names]
    cells = body.replace("\n", "\t").split("\t")
    cells.pop()  # after the last newline
    values = {c: _tsv_cell(c) for c in set(cells)}
    flat = list(map(values.__getitem__, cells))
    width = len(names)
    return names, [flat[j::width] for j in range(width)]
