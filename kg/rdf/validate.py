"""SHACL validation of the stored graph (pyshacl over the union of all graphs).

>>> import pyoxigraph as ox
>>> s = ox.Store()
>>> s.add(ox.Quad(ox.NamedNode(ID + "x"), ox.NamedNode(RDF_TYPE), ox.NamedNode(KG + "Firm"), ox.NamedNode(ID + "g")))
>>> conforms, rows = validate_store(s)
>>> conforms, rows[0][4]
(False, 'every entity needs a name')
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate
from rdflib.namespace import SH

from kg.ontology import ID, KG, RDF_TYPE  # noqa: F401  (ID, KG, RDF_TYPE: doctest)
from kg.resources import resource_path


def _short(term) -> str:
    if term is None:
        return ""
    s = str(term)
    for prefix, short in ((KG, "kg:"), (ID, "id:")):
        if s.startswith(prefix):
            return short + s[len(prefix):]
    return s


def validate_store(store: ox.Store, shapes: Path | None = None) -> tuple[bool, list[list]]:
    """(conforms, rows of severity, focus, path, value, message)."""
    triples = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    data = rdflib.Graph()
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    sg = rdflib.Graph().parse(shapes or resource_path("ontology", "shapes.ttl"), format="turtle")
    conforms, report, text = validate(data, shacl_graph=sg, advanced=True, allow_warnings=True)
    if not isinstance(report, rdflib.Graph):  # the shapes themselves are broken
        raise ValueError(f"SHACL shapes could not be applied: {str(report).splitlines()[0]}")
    rows = []
    for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        rows.append([
            _short(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            _short(report.value(r, SH.focusNode)),
            _short(report.value(r, SH.resultPath)),
            str(report.value(r, SH.value) or ""),
            str(report.value(r, SH.resultMessage) or ""),
        ])
    rows.sort(key=lambda r: (r[1], r[2], r[4]))
    return bool(conforms), rows
