"""SHACL shapes run as SPARQL on the Oxigraph store: `kg validate`'s fast engine.

The shapes graph (small) is read with rdflib; each shape's targets (sh:targetClass with its
subclasses, sh:targetSubjectsOf, sh:targetObjectsOf, sh:targetNode) and each constraint
component it uses become a few SPARQL queries that return only the violations, streamed from the
store (no copy of the data graph in memory). An sh:sparql SELECT runs once for all nodes, not
once per focus node with $this pre-bound: the same rows when every solution binds $this (checked). Results are the same rows pyshacl gives (the
reference, `kg validate --engine pyshacl`, checked by tests/test_validate.py), including its
default messages. A component this engine does not know is an error naming it
(:class:`UnsupportedShape`), never silently skipped.

Query text is built only from the shapes' own terms (IRIs, literals of ontology/shapes.ttl),
serialised as N-Triples terms; no data value is ever pasted into a query.

>>> import pyoxigraph as ox, rdflib
>>> s = ox.Store()
>>> s.add(ox.Quad(ox.NamedNode("http://e/x"), ox.NamedNode(RDF_TYPE), ox.NamedNode("http://e/C"), ox.NamedNode("http://e/g")))
>>> sg = rdflib.Graph().parse(data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
... <http://e/S> sh:targetClass <http://e/C> ; sh:property [ sh:path <http://e/name> ; sh:minCount 1 ] .''', format="turtle")
>>> [(r.focus.value, r.path, r.message) for r in run_shapes(s, read_shapes(sg))]
[('http://e/x', 'http://e/name', 'Less than 1 values on <http://e/x>-><http://e/name>')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD

RDF_TYPE = str(RDF.type)

# the constraint components the engine runs (value-node checks compile to one FILTER each)
VALUE_CHECKS = (SH.datatype, SH.minLength, SH.maxLength, SH.pattern, SH["in"], SH.nodeKind,
                SH.minInclusive, SH.maxInclusive, SH.minExclusive, SH.maxExclusive)
PAIR_CHECKS = (SH.lessThan, SH.lessThanOrEquals)
CLASS_CHECK = SH["class"]
COUNT_CHECKS = (SH.minCount, SH.maxCount)
# shape terms that are no constraint (descriptions, the shape's parts read elsewhere)
NOT_CONSTRAINTS = {RDF.type, SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode,
                   SH.property, SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order,
                   SH.group, SH.deactivated, SH.flags, SH.sparql, RDFS.label, RDFS.comment}
CASTABLE = {XSD.string, XSD.boolean, XSD.integer, XSD.decimal, XSD.float, XSD.double, XSD.date, XSD.dateTime}


class UnsupportedShape(ValueError):
    """A shape uses something the fast engine does not run (one line; pyshacl may)."""


@dataclass
class SparqlCheck:
    """One sh:sparql SELECT constraint of a shape."""

    node: rdflib.term.Node
    select: str
    messages: list[str]


@dataclass
class Shape:
    """A node shape (path None) or one of its property shapes, with the node shape's targets."""

    node: rdflib.term.Node
    targets: list[tuple[str, str]]  # (sh:targetClass | targetSubjectsOf | targetObjectsOf | targetNode, IRI)
    path: str | None
    severity: str
    messages: list[str]
    checks: list[tuple[rdflib.URIRef, rdflib.term.Node]] = field(default_factory=list)
    sparql: list[SparqlCheck] = field(default_factory=list)
    graph: rdflib.Graph | None = None


@dataclass
class Result:
    """One validation result (pyoxigraph terms for focus and value)."""

    severity: str
    focus: ox.NamedNode | ox.BlankNode
    path: str | None
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    message: str


# --------------------------------------------------------------------------- reading the shapes

def _name(sg: rdflib.Graph, node) -> str:
    """A shape's name for errors: its IRI, or its node shape's and its path (property shapes)."""
    if isinstance(node, rdflib.URIRef):
        return node.n3(sg.namespace_manager)
    parent, path = sg.value(None, SH.property, node), sg.value(node, SH.path)
    if parent is not None:
        where = path.n3(sg.namespace_manager) if isinstance(path, rdflib.URIRef) else "a path"
        return f"{_name(sg, parent)} (property {where})"
    return "a blank-node shape"


def _unsupported(sg, node, what: str) -> UnsupportedShape:
    return UnsupportedShape(f"shape {_name(sg, node)}: {what} is not supported by the fast engine; "
                            f"use --engine pyshacl")


def _deactivated(sg: rdflib.Graph, node) -> bool:
    return any(o.toPython() is True for o in sg.objects(node, SH.deactivated) if isinstance(o, rdflib.Literal))


def _messages(sg: rdflib.Graph, node) -> list[str]:
    return sorted(str(m) for m in sg.objects(node, SH.message))


def _severity(sg: rdflib.Graph, node) -> str:
    return str(sg.value(node, SH.severity) or SH.Violation)


def _constraints(sg: rdflib.Graph, node, is_property: bool) -> list[tuple[rdflib.URIRef, rdflib.term.Node]]:
    checks = []
    for p, o in sorted(sg.predicate_objects(node)):
        if p in NOT_CONSTRAINTS:
            continue
        if p in VALUE_CHECKS or p == CLASS_CHECK or (is_property and p in PAIR_CHECKS + COUNT_CHECKS):
            if p == SH.pattern and sg.value(node, SH.flags) is not None:
                raise _unsupported(sg, node, "sh:flags")
            checks.append((p, o))
        else:
            raise _unsupported(sg, node, f"the constraint {p.n3(sg.namespace_manager)}")
    return checks


def _sparql_checks(sg: rdflib.Graph, node) -> list[SparqlCheck]:
    out = []
    for c in sg.objects(node, SH.sparql):
        if _deactivated(sg, c):
            continue
        select = sg.value(c, SH.select)
        if select is None:
            raise _unsupported(sg, node, "an sh:sparql constraint without sh:select (e.g. sh:ask)")
        text = str(select)
        if re.search(r"[?$](currentShape|shapesGraph|PATH)\b", text):
            raise _unsupported(sg, node, "$currentShape, $shapesGraph or $PATH in sh:select")
        prefixes = "".join(f"PREFIX {d.value(SH.prefix)}: <{d.value(SH.namespace)}>\n"
                           for pfx in sg.objects(c, SH.prefixes)
                           for d in (sg.resource(x) for x in sg.objects(pfx, SH.declare)))
        out.append(SparqlCheck(c, prefixes + text, _messages(sg, c)))
    return out


def read_shapes(sg: rdflib.Graph) -> list[Shape]:
    """The shapes of a SHACL graph that have targets, node shape first, then its property shapes.

    >>> sg = rdflib.Graph().parse(data='''@prefix sh: <http://www.w3.org/ns/shacl#> .
    ... <http://e/S> sh:targetClass <http://e/C> ; sh:property [ sh:path <http://e/p> ; sh:maxCount 1 ] .''', format="turtle")
    >>> [([t[1] for t in s.targets], s.path, [str(c[0]).split('#')[1] for c in s.checks]) for s in read_shapes(sg)]
    [(['http://e/C'], None, []), (['http://e/C'], 'http://e/p', ['maxCount'])]
    """
    shapes = []
    kinds = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode)
    for node in sg.subjects(SH.target, None):
        raise _unsupported(sg, node, "sh:target (SPARQL-based targets)")
    for node in sorted({n for k in kinds for n in sg.subjects(k, None)}):
        if _deactivated(sg, node):
            continue
        if (node, RDF.type, RDFS.Class) in sg:
            raise _unsupported(sg, node, "an implicit class target")
        if sg.value(node, SH.path) is not None:
            raise _unsupported(sg, node, "a property shape with its own target")
        targets = sorted((str(k), str(o)) for k in kinds for o in sg.objects(node, k))
        if any(not isinstance(o, rdflib.URIRef) for k in kinds for o in sg.objects(node, k)):
            raise _unsupported(sg, node, "a target that is not an IRI")
        shapes.append(Shape(node, targets, None, _severity(sg, node), _messages(sg, node),
                            _constraints(sg, node, False), _sparql_checks(sg, node), sg))
        for prop in sorted(sg.objects(node, SH.property)):
            if _deactivated(sg, prop):
                continue
            path = sg.value(prop, SH.path)
            if not isinstance(path, rdflib.URIRef):
                raise _unsupported(sg, node, "a property path other than one IRI")
            shapes.append(Shape(prop, targets, str(path), _severity(sg, prop), _messages(sg, prop),
                                _constraints(sg, prop, True), _sparql_checks(sg, prop), sg))
    return shapes


# --------------------------------------------------------------------------- SPARQL text

def _iri(iri: str) -> str:
    return str(ox.NamedNode(iri))


def _term(node: rdflib.term.Node) -> str:
    """A shapes-graph IRI or literal in SPARQL syntax (pyoxigraph's N-Triples form escapes it)."""
    if isinstance(node, rdflib.URIRef):
        return _iri(str(node))
    if isinstance(node, rdflib.Literal):
        if node.language:
            return str(ox.Literal(str(node), language=node.language))
        return str(ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD.string))))
    raise ValueError(f"not an IRI or literal: {node!r}")


def _is_string(var: str) -> str:
    # a literal whose value pyshacl reads as text; DATATYPE(?v) = xsd:string is ~5x slower
    return f"(isLiteral({var}) && (sameTerm({var}, STR({var})) || LANG({var}) != \"\"))"


def _comparable(var: str) -> str:
    # pyshacl compares IRIs by their text
    return f"IF(isIRI({var}), STR({var}), {var})"


def _violates(component, param, sg: rdflib.Graph, node) -> str:
    """A SPARQL expression true when the value ?v violates one value-node constraint."""
    if component == SH.datatype:
        if param == RDFS.Literal:
            return "!isLiteral(?v)"
        if param in CASTABLE:
            # the value is its own cast: of the datatype and well-formed (Oxigraph stores
            # literals canonically; IRIs, blank nodes and ill-formed text fail the cast);
            # ~15x faster than comparing DATATYPE(?v) and STR()
            return f"!COALESCE(sameTerm(?v, {_term(param)}(?v)), false)"
        return f"!isLiteral(?v) || DATATYPE(?v) != {_term(param)}"
    if component in (SH.minLength, SH.maxLength):
        op = "<" if component == SH.minLength else ">"
        return f"isBlank(?v) || STRLEN(STR(?v)) {op} {int(param)}"
    if component == SH.pattern:
        return f"isBlank(?v) || !REGEX(STR(?v), {_term(rdflib.Literal(str(param)))})"
    if component == SH["in"]:
        members = list(rdflib.collection.Collection(sg, param))
        return "!(" + (" || ".join(f"sameTerm(?v, {_term(m)})" for m in members) or "false") + ")"
    if component == SH.nodeKind:
        kinds = {SH.IRI: ["isIRI"], SH.BlankNode: ["isBlank"], SH.Literal: ["isLiteral"],
                 SH.BlankNodeOrIRI: ["isBlank", "isIRI"], SH.BlankNodeOrLiteral: ["isBlank", "isLiteral"],
                 SH.IRIOrLiteral: ["isIRI", "isLiteral"]}
        if param not in kinds:
            raise _unsupported(sg, node, f"sh:nodeKind {param}")
        return "!(" + " || ".join(f"{f}(?v)" for f in kinds[param]) + ")"
    op = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}[component]
    if not isinstance(param, rdflib.Literal):
        raise _unsupported(sg, node, f"{component.n3(sg.namespace_manager)} with a non-literal")
    # pyshacl: a string never compares with a non-string, IRIs and blank nodes never pass
    if isinstance(param.value, str):
        return f"!{_is_string('?v')} || !COALESCE(?v {op} {_term(param)}, false)"
    # against a number, SPARQL's comparison fails (so violates) on text, IRIs and blank nodes
    return f"!COALESCE(?v {op} {_term(param)}, false)"


def _typed(classes: list[str], var: str) -> str:
    return " UNION ".join(f"{{ {var} <{RDF_TYPE}> {_iri(c)} }}" for c in classes)


def _instances(targets: list[tuple[str, str]]) -> str:
    """A pattern binding ?this to each focus node (once per way it is a target)."""
    parts = []
    for kind, iri in targets:
        if kind == str(SH.targetClass):  # subclasses already added (resolve_targets)
            parts.append(f"{{ ?this <{RDF_TYPE}> {_iri(iri)} }}")
        elif kind == str(SH.targetSubjectsOf):
            parts.append(f"{{ ?this {_iri(iri)} ?_target }}")
        elif kind == str(SH.targetObjectsOf):
            parts.append(f"{{ ?_target {_iri(iri)} ?this }}")
        else:
            parts.append(f"{{ VALUES ?this {{ {_iri(iri)} }} }}")
    return " UNION ".join(parts)


def targets_query(targets: list[tuple[str, str]]) -> str:
    """The focus nodes of a shape."""
    return f"SELECT DISTINCT ?this WHERE {{ {_instances(targets)} }}"


def _values(shape: Shape, targets: list[tuple[str, str]]) -> str:
    """The (?this, ?v) pairs a shape checks. A property shape's are read without its targets:
    only the few violating pairs are matched to the targets afterwards (in Python), where a
    join in the query would look up every value node's type."""
    if shape.path:
        return f"?this {_iri(shape.path)} ?v ."
    return f"{{ {targets_query(targets)} }} BIND(?this AS ?v)"


def value_query(shape: Shape, targets: list[tuple[str, str]]) -> str | None:
    """One query for all value-node constraints of a shape: a row per violating (node, value)
    with a flag per constraint."""
    checks = [(c, p) for c, p in shape.checks if c in VALUE_CHECKS]
    if not checks:
        return None
    binds = " ".join(f"BIND(COALESCE({_violates(c, p, shape.graph, shape.node)}, true) AS ?b{i})"
                     for i, (c, p) in enumerate(checks))
    flags = " ".join(f"?b{i}" for i in range(len(checks)))
    any_ = " || ".join(f"?b{i}" for i in range(len(checks)))
    return f"SELECT DISTINCT ?this ?v {flags} WHERE {{ {_values(shape, targets)} {binds} FILTER({any_}) }}"


def _scan(subject: str, path: str, obj: str) -> str:
    # a sub-select per property makes Oxigraph hash-join two index scans (a plain pattern pair
    # is a lookup join: one index lookup per row, ~7x slower at 10^5 firms)
    return f"{{ SELECT ?{subject} ?{obj} WHERE {{ ?{subject} {path} ?{obj} }} }}"


def pair_query(shape: Shape, component, other) -> str:
    """Nodes, values and the other property's values that break sh:lessThan(OrEquals)."""
    op = "<" if component == SH.lessThan else "<="
    def string(var):
        return f"(isIRI({var}) || {_is_string(var)})"

    return (f"SELECT DISTINCT ?this ?v ?o WHERE {{ {_scan('this', _iri(shape.path), 'v')} "
            f"{_scan('this', _term(other), 'o')} FILTER({string('?v')} != {string('?o')} || "
            f"!COALESCE({_comparable('?v')} {op} {_comparable('?o')}, false)) }}")


def class_query(shape: Shape, targets: list[tuple[str, str]], instance_of: list[str]) -> str:
    """Nodes and values that are no instance of a class (sh:class; subclasses given)."""
    return (f"SELECT DISTINCT ?this ?v WHERE {{ {{ SELECT ?this ?v WHERE {{ {_values(shape, targets)} }} }} "
            f"MINUS {{ SELECT ?v WHERE {{ {_typed(instance_of, '?v')} }} }} }}")


def count_query(shape: Shape, targets: list[tuple[str, str]], component, n: int) -> str:
    """Focus nodes with fewer than n values (sh:minCount), or nodes with more (sh:maxCount)."""
    path = _iri(shape.path)
    if component == SH.minCount and n == 1:
        # DISTINCT over the few answers, not inside over every focus node (~30% faster)
        return f"SELECT DISTINCT ?this WHERE {{ {_instances(targets)} MINUS {{ ?this {path} ?v }} }}"
    if component == SH.minCount:
        return (f"SELECT ?this WHERE {{ {{ {targets_query(targets)} }} OPTIONAL {{ ?this {path} ?v }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})")
    if n == 0:
        return f"SELECT DISTINCT ?this WHERE {{ ?this {path} ?v }}"
    return f"SELECT ?this WHERE {{ ?this {path} ?v }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"


def _one_row_per_node(store: ox.Store, path: str) -> bool:
    """No node has two values of the property: then no sh:maxCount >= 1 on it can fail (two
    counts are ~5x cheaper than grouping by node)."""
    rows = next(iter(_select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?this {_iri(path)} ?v }}")))["n"]
    nodes = next(iter(_select(store, f"SELECT (COUNT(DISTINCT ?this) AS ?n) WHERE {{ ?this {_iri(path)} ?v }}")))["n"]
    return rows.value == nodes.value


# --------------------------------------------------------------------------- messages like pyshacl's

_DATA_NS = rdflib.Graph()  # a data graph's prefixes, as pyshacl sees the graph it validates


def _rdflib(term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):  # a simple literal, as rdflib reads N-Triples
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return term


def generic_message(shape: Shape, component, param, focus, value=None) -> str:
    """pyshacl's default message for a constraint component (used when the shape has none)."""
    from pyshacl.rdfutil.stringify import stringify_node  # ~1 s to import: only when a row needs it

    sg = shape.graph

    def s(node):
        return stringify_node(sg, node)

    def d(term):
        return stringify_node(_DATA_NS, _rdflib(term))

    path = s(rdflib.URIRef(shape.path)) if shape.path else None
    on = f"{d(focus)}->{path}" if path else d(focus)
    if component == SH.minCount:
        return f"Less than {param} values on {on}"
    if component == SH.maxCount:
        return f"More than {param} values on {on}"
    if component == SH.datatype:
        return f"Value is not Literal with datatype {s(param)}"
    if component == SH.minLength:
        return f"String length not >= {s(param)}"
    if component == SH.maxLength:
        return f"String length not <= {s(param)}"
    if component == SH.pattern:
        return f"Value does not match pattern '{param}'"
    if component == SH["in"]:
        return f"Value {d(value)} not in list {[s(m) for m in rdflib.collection.Collection(sg, param)]}"
    if component == SH["class"]:
        return f"Value does not have class {s(param)}"
    if component == SH.nodeKind:
        return f"Value is not of Node Kind {s(param)}"
    if component in (SH.lessThan, SH.lessThanOrEquals):  # pyshacl 0.40 has the two signs swapped
        return f"Value of {d(focus)}->{s(param)} {'<=' if component == SH.lessThan else '<'} {d(value)}"
    word = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}[component]
    return f"Value is not {word} {s(param)}"


def _message(shape: Shape, component, param, focus, value=None) -> str:
    return shape.messages[0] if shape.messages else generic_message(shape, component, param, focus, value)


# --------------------------------------------------------------------------- running

def resolve_targets(store: ox.Store, shape: Shape) -> list[tuple[str, str]]:
    """The shape's targets with every subclass of a target class added."""
    classes = [iri for kind, iri in shape.targets if kind == str(SH.targetClass)]
    others = [t for t in shape.targets if t[0] != str(SH.targetClass)]
    return [(str(SH.targetClass), c) for c in (_subclasses(store, classes) if classes else [])] + others


def _subclasses(store: ox.Store, classes: list[str]) -> list[str]:
    """The target classes and all their subclasses (SHACL instances: rdf:type/rdfs:subClassOf*)."""
    values = " ".join(_iri(c) for c in classes)
    q = f"SELECT DISTINCT ?c WHERE {{ VALUES ?t {{ {values} }} ?c <{RDFS.subClassOf}>* ?t }}"
    found = {sol["c"].value for sol in store.query(q, use_default_graph_as_union=True) if isinstance(sol["c"], ox.NamedNode)}
    return sorted(found | set(classes))


def _select(store: ox.Store, query: str):
    return store.query(query, use_default_graph_as_union=True)


def _substitute(msg: str, bound: dict) -> str:
    for var, val in bound.items():
        text = str(_rdflib(val))
        msg = re.sub(r"\{[?$]" + re.escape(var) + r"\}", lambda _m, t=text: t, msg)
    return msg


def _sparql_results(store: ox.Store, shape: Shape, check: SparqlCheck) -> Iterator[Result]:
    """Run an sh:select once for all nodes (not once per focus node with $this pre-bound): the
    same rows when every solution binds $this, which is checked."""
    try:
        solutions = _select(store, check.select)
    except SyntaxError as e:
        raise UnsupportedShape(f"shape {_name(shape.graph, shape.node)}: its sh:select does not parse in "
                               f"Oxigraph ({str(e).splitlines()[0]}); use --engine pyshacl") from None
    names = [v.value for v in solutions.variables]
    # read to plain terms here: Oxigraph's result iterator must not outlive this (worker) thread,
    # and an error raised below travels with this frame to the caller's thread
    rows = [{n: sol[n] for n in names if sol[n] is not None} for sol in solutions]
    del solutions
    seen: set = set()
    for bound in rows:
        if "failure" in bound:
            raise UnsupportedShape(f"shape {_name(shape.graph, shape.node)}: an sh:select that reports "
                                   f"?failure; use --engine pyshacl")
        this = bound.pop("this", None)
        if this is None:
            raise UnsupportedShape(f"shape {_name(shape.graph, shape.node)}: an sh:select row without $this "
                                   f"(the fast engine runs it once for all focus nodes); use --engine pyshacl")
        path, value = bound.pop("path", None), bound.pop("value", None)
        key = (this, path, value, tuple(sorted((k, str(v)) for k, v in bound.items())))
        if key in seen:  # pyshacl drops repeated solutions for one focus node
            continue
        seen.add(key)
        if value is None and shape.path is None:
            value = this
        path_iri = path.value if isinstance(path, ox.NamedNode) else shape.path
        subst = {**bound, "this": this, **({"path": path} if path is not None else {}),
                 **({"value": value} if value is not None else {})}
        messages = [_substitute(m, subst) for m in check.messages] + [_substitute(m, subst) for m in shape.messages]
        yield Result(shape.severity, this, path_iri, value, min(messages) if messages else "")


def _found(store: ox.Store, query: str, component, param, value: str | None = "v") -> list[tuple]:
    return [(component, param, sol["this"], sol[value] if value else None) for sol in _select(store, query)]


def _value_checks(store: ox.Store, shape: Shape, targets: list[tuple[str, str]]) -> list[tuple]:
    checks = [(c, p) for c, p in shape.checks if c in VALUE_CHECKS]
    return [(c, p, sol["this"], sol["v"]) for sol in _select(store, value_query(shape, targets))
            for i, (c, p) in enumerate(checks) if sol[f"b{i}"].value == "true"]


def _max_count(store: ox.Store, shape: Shape, targets: list[tuple[str, str]], n: int, param) -> list[tuple]:
    if n >= 1 and _one_row_per_node(store, shape.path):
        return []
    return _found(store, count_query(shape, targets, SH.maxCount, n), SH.maxCount, param, None)


def _tasks(store: ox.Store, shape: Shape, targets: list[tuple[str, str]]) -> list[Callable[[], list]]:
    """One function per query the shape needs; each returns its violations on any node, as
    (component, parameter, node, value) or, for sh:sparql, whole Results."""
    tasks: list[Callable[[], list]] = []
    if value_query(shape, targets) is not None:
        tasks.append(partial(_value_checks, store, shape, targets))
    for c, p in shape.checks:
        if c == CLASS_CHECK:
            tasks.append(lambda c=c, p=p: _found(store, class_query(shape, targets, _subclasses(store, [str(p)])), c, p))
        elif c == SH.maxCount:
            tasks.append(partial(_max_count, store, shape, targets, int(p), p))
        elif c == SH.minCount:
            tasks.append(partial(_found, store, count_query(shape, targets, c, int(p)), c, p, None))
        elif c in PAIR_CHECKS:
            tasks.append(partial(_found, store, pair_query(shape, c, p), c, p))
    for check in shape.sparql:
        tasks.append(lambda check=check: list(_sparql_results(store, shape, check)))
    return tasks


def run_shapes(store: ox.Store, shapes: list[Shape], threads: int = 2) -> Iterator[Result]:
    """Every validation result of the shapes on the store (default graph = union of all graphs).

    Memory is bounded by the violations, not the graph: the queries stream and keep only
    violating rows, and the focus nodes are read (one scan of the target classes) only to keep
    the violations found on them. Queries run on `threads` threads (Oxigraph releases the GIL).
    """
    plan = [(shape, resolve_targets(store, shape)) for shape in shapes]
    pool = ThreadPoolExecutor(max(1, threads))
    try:
        futures = [(shape, targets, [pool.submit(t) for t in _tasks(store, shape, targets)])
                   for shape, targets in plan]
        for shape, targets, running in futures:
            found = [f for fut in running for f in fut.result()]
            if not found:
                continue
            wanted = {f.focus if isinstance(f, Result) else f[2] for f in found}
            focus = {sol["this"] for sol in _select(store, targets_query(targets)) if sol["this"] in wanted}
            for f in found:
                if isinstance(f, Result):
                    if f.focus in focus:
                        yield f
                elif f[2] in focus:
                    c, p, this, v = f
                    yield Result(shape.severity, this, shape.path, v, _message(shape, c, p, this, v))
    finally:  # on an error, do not wait for the queries still queued
        pool.shutdown(wait=True, cancel_futures=True)
