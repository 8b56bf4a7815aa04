"""SHACL validation of the stored graph (default graph = union of all named graphs).

Two engines give the same rows: ``fast`` runs the shapes as SPARQL on the store
(:mod:`kg.rdf.shacl_sparql`, bounded memory, for any size) and ``pyshacl`` copies the graph
into rdflib and runs pyshacl (the reference; small graphs only: ~2.5 GB per million triples).

>>> import pyoxigraph as ox
>>> s = ox.Store()
>>> s.add(ox.Quad(ox.NamedNode(ID + "x"), ox.NamedNode(RDF_TYPE), ox.NamedNode(KG + "Firm"), ox.NamedNode(ID + "g")))
>>> conforms, rows = validate_store(s)
>>> conforms, rows[0][1], rows[0][4]
(False, 'id:x', 'every entity needs a name')
>>> validate_store(s, engine="pyshacl") == (conforms, rows)
True
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from kg.errors import InputError
from kg.ontology import ID, KG, RDF_TYPE  # noqa: F401  (ID, KG, RDF_TYPE: doctest)
from kg.resources import resource_path

ENGINES = ("fast", "pyshacl")
COLUMNS = ["severity", "focus", "path", "value", "message"]


def _short(term) -> str:
    if term is None:
        return ""
    s = str(term)
    for prefix, short in ((KG, "kg:"), (ID, "id:")):
        if s.startswith(prefix):
            return short + s[len(prefix):]
    return s


def _value_text(value) -> str:
    """A result value's text; an xsd:decimal as its number without trailing zeros, so that a sum
    reads the same from both engines (Oxigraph writes 3, rdflib 3.0).

    >>> _value_text(rdflib.Literal("3.0", datatype=rdflib.XSD.decimal)), _value_text(rdflib.Literal("100", datatype=rdflib.XSD.decimal))
    ('3', '100')
    """
    if value is None:
        return ""
    if isinstance(value, ox.Literal | ox.NamedNode | ox.BlankNode):  # the fast engine's terms
        datatype, text = (value.datatype.value if isinstance(value, ox.Literal) else None), value.value
    else:
        datatype, text = (str(value.datatype) if isinstance(value, rdflib.Literal) else None), str(value)
    if datatype == str(rdflib.XSD.decimal):
        try:
            return format(Decimal(text).normalize(), "f")
        except InvalidOperation:  # an ill-typed literal: its text as written
            pass
    return text


def _row(severity, focus, path, value, message) -> list[str]:
    """A result row: severity's local name, focus and path shortened, the value's text."""
    return [str(severity).rsplit("#", 1)[-1], _short(focus), _short(path), _value_text(value), str(message or "")]


def _sorted(rows: list[list[str]]) -> list[list[str]]:
    return sorted(rows, key=lambda r: (r[1], r[2], r[4], r[3], r[0]))


def read_shapes_graph(shapes: Path | None = None) -> rdflib.Graph:
    """The SHACL shapes (default: ontology/shapes.ttl) as an rdflib graph."""
    path = shapes or resource_path("ontology", "shapes.ttl")
    try:
        return rdflib.Graph().parse(path, format="turtle")
    except OSError as e:
        raise InputError(f"{path}: cannot read the shapes ({e.strerror})") from None
    except Exception as e:  # rdflib's parser errors have no common base class
        raise InputError(f"{path}: not a Turtle shapes file ({str(e).splitlines()[0]})") from None


def _conforms(rows: list[list[str]]) -> bool:
    # warnings and infos do not break conformance (pyshacl's allow_warnings)
    return not any(r[0] == "Violation" for r in rows)


def validate_fast(store: ox.Store, sg: rdflib.Graph) -> tuple[bool, list[list]]:
    """(conforms, rows): the shapes run as SPARQL on the store."""
    from kg.rdf.shacl_sparql import UnsupportedShape, read_shapes, run_shapes

    try:
        results = [_row(r.severity, r.focus.value, r.path, r.value, r.message)
                   for r in run_shapes(store, read_shapes(sg))]
    except UnsupportedShape as e:
        raise InputError(str(e)) from None
    rows = _sorted(results)
    return _conforms(rows), rows


def validate_pyshacl(store: ox.Store, sg: rdflib.Graph) -> tuple[bool, list[list]]:
    """(conforms, rows): the whole graph copied into rdflib and checked by pyshacl."""
    from pyshacl import validate

    triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    data = rdflib.Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    conforms, report, text = validate(data, shacl_graph=sg, advanced=True, allow_warnings=True)
    if not isinstance(report, rdflib.Graph):  # the shapes themselves are broken
        raise InputError(f"SHACL shapes could not be applied: {str(report).splitlines()[0]}")
    rows = []
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        messages = sorted(str(m) for m in report.objects(r, SH.resultMessage))
        rows.append(_row(report.value(r, SH.resultSeverity), report.value(r, SH.focusNode),
                         report.value(r, SH.resultPath), report.value(r, SH.value),
                         messages[0] if messages else ""))
    return bool(conforms), _sorted(rows)


def validate_store(store: ox.Store, shapes: Path | None = None, engine: str = "fast") -> tuple[bool, list[list]]:
    """(conforms, rows of severity, focus, path, value, message), sorted by focus, path, message."""
    sg = read_shapes_graph(shapes)
    if engine == "pyshacl":
        return validate_pyshacl(store, sg)
    if engine == "fast":
        return validate_fast(store, sg)
    raise InputError(f"unknown validation engine {engine!r}; expected one of {', '.join(ENGINES)}")
