"""The SPARQL 1.1 Protocol endpoint at ``/sparql`` (read-only) and its service description.

* query by ``GET /sparql?query=...``, ``POST`` of a form (``query=...``) or of
  ``application/sparql-query``; ``default-graph-uri`` / ``named-graph-uri`` set the dataset
  (without them the default graph is the union of all named graphs, as ``kg sparql``);
* results by content negotiation (``Accept``; a ``format=`` parameter such as ``csv`` or
  ``turtle`` is honoured too when it fits the query form): SPARQL JSON, XML, CSV, TSV for
  SELECT and ASK; Turtle, N-Triples, JSON-LD, RDF/XML for CONSTRUCT and DESCRIBE;
* SPARQL Update (``update=`` or ``application/sparql-update``) is refused with 403, and so is
  ``SERVICE`` (the server would fetch other endpoints on a client's behalf);
* a result of more than ``max_rows`` rows (or triples) is an error (422), never a silently
  truncated answer: standard clients do not look at headers;
* ``GET /sparql`` without a query: the service description (W3C ``sd:`` vocabulary), Turtle by
  default.

The query runs in a worker process (:mod:`kg.serve.pool`), which evaluates it, serializes the
result and stops at the row cap; the parts here that run there are :func:`run_query` and
:func:`named_graphs`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox

from kg.serve.errors import ServeError
from kg.serve.negotiate import choose

QR = ox.QueryResultsFormat
RF = ox.RdfFormat

#: media types offered for SELECT / ASK results (the first is the default), and their formats
SOLUTION_TYPES = {
    "application/sparql-results+json": QR.JSON,
    "application/sparql-results+xml": QR.XML,
    "text/csv": QR.CSV,
    "text/tab-separated-values": QR.TSV,
}
#: media types offered for CONSTRUCT / DESCRIBE results (the first is the default)
GRAPH_TYPES = {
    "text/turtle": RF.TURTLE,
    "application/n-triples": RF.N_TRIPLES,
    "application/ld+json": RF.JSON_LD,
    "application/rdf+xml": RF.RDF_XML,
}
#: other names clients send for the same types
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "application/x-json+ld": "application/ld+json",
}
#: short names for ``format=`` (as SPARQLWrapper and browsers' download links send them)
FORMAT_NAMES = {
    "json": ("application/sparql-results+json", "application/ld+json"),
    "xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "csv": ("text/csv",), "tsv": ("text/tab-separated-values",),
    "turtle": ("text/turtle",), "ttl": ("text/turtle",),
    "nt": ("application/n-triples",), "ntriples": ("application/n-triples",), "n-triples": ("application/n-triples",),
    "json-ld": ("application/ld+json",), "jsonld": ("application/ld+json",),
    "rdfxml": ("application/rdf+xml",), "rdf+xml": ("application/rdf+xml",),
}
MAX_QUERY_BYTES = 1 << 20  # a longer request body is refused (413)

QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
FORM_TYPE = "application/x-www-form-urlencoded"
READ_ONLY = "this endpoint is read-only: SPARQL Update is not accepted (use kg build to change the graph)"


@dataclass(frozen=True)
class Request:
    """A SPARQL protocol request, parsed: the query text and the dataset it names."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    format: str | None = None


def _content_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def parse_request(method: str, query_string: str, content_type: str | None, body: bytes) -> Request:
    """The protocol operation of an HTTP request (ServeError 400/403/415 when it is not one).

    >>> parse_request("GET", "query=ASK%7B%7D&default-graph-uri=http%3A%2F%2Fe%2Fg", None, b"").default_graphs
    ('http://e/g',)
    >>> parse_request("POST", "", "application/sparql-update", b"CLEAR ALL")
    Traceback (most recent call last):
    ...
    kg.serve.errors.ServeError: this endpoint is read-only: SPARQL Update is not accepted (use kg build to change the graph)
    """
    params = parse_qsl(query_string, keep_blank_values=True)
    ctype = _content_type(content_type)
    text = None
    if method == "POST":
        if ctype == UPDATE_TYPE:
            raise ServeError(403, READ_ONLY)
        data = _utf8(body)
        if ctype == FORM_TYPE:
            params += parse_qsl(data, keep_blank_values=True)
        elif ctype == QUERY_TYPE:
            text = data
        else:
            raise ServeError(415, f"unsupported Content-Type {ctype or '(none)'!r} for POST; send "
                                  f"{FORM_TYPE} (query=...) or {QUERY_TYPE}")
    fields: dict[str, list[str]] = {}
    for k, v in params:
        fields.setdefault(k, []).append(v)
    if "update" in fields:
        raise ServeError(403, READ_ONLY)
    queries = fields.get("query", [])
    if text is not None and queries:
        raise ServeError(400, f"the query is given twice (as the {QUERY_TYPE} body and as query=); give it once")
    if len(queries) > 1:
        raise ServeError(400, "more than one query= parameter; give one query")
    if text is None and queries:
        text = queries[0]
    fmt = (fields.get("format") or fields.get("output") or [None])[0]
    return Request(text, tuple(fields.get("default-graph-uri", ())), tuple(fields.get("named-graph-uri", ())), fmt)


def _utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ServeError(400, f"the request body is not UTF-8 (byte 0x{body[e.start]:02x} at offset {e.start})") from None


# --------------------------------------------------------------------------- SERVICE

_SKIP = re.compile(
    r"""\s+|\#[^\r\n]*|<[^\x00-\x20<>"{}|^`\\]*>"""
    r"""|'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\""""
    r"""|'(?:[^'\\\r\n]|\\.)*'|"(?:[^"\\\r\n]|\\.)*"|[?$][^\s(){}<>,;.]*"""
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*:?")


def _words(query: str):
    """The keyword-like words of a query, outside strings, IRIs, variables and comments."""
    pos, n = 0, len(query)
    while pos < n:
        m = _SKIP.match(query, pos) or _WORD.match(query, pos)
        if m is None:
            pos += 1
            continue
        if m.group()[0].isalpha():
            yield m.group()
        pos = m.end()


_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


def is_update(query: str) -> bool:
    """Is the text a SPARQL Update (its first keyword after PREFIX/BASE declarations)?

    >>> is_update("PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o }"), is_update("SELECT * { ?s ?p ?o }")
    (True, False)
    """
    for word in _words(query):
        w = word.upper()
        if w in ("PREFIX", "BASE") or w.endswith(":"):
            continue
        return w in _UPDATE_WORDS
    return False


def uses_service(query: str) -> bool:
    """Does the query call SERVICE (outside strings, IRIs, variables and comments)?

    >>> uses_service('SELECT * { SERVICE <http://x/sparql> { ?s ?p ?o } }')
    True
    >>> uses_service('SELECT ?service { ?service <http://e/SERVICE> "SERVICE" } # SERVICE')
    False
    """
    return any(w.rstrip(":").upper() == "SERVICE" for w in _words(query))


# --------------------------------------------------------------------------- in the worker


class _TooMany(Exception):
    pass


class _Capped(io.RawIOBase):
    """Collects serialized bytes; stops the serialization once it holds more than ``lines`` lines."""

    def __init__(self, lines: int):
        self.buf = bytearray()
        self.lines = 0
        self.limit = lines

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        b = bytes(b)
        self.buf += b
        self.lines += b.count(b"\n")
        if self.lines > self.limit:
            raise _TooMany()
        return len(b)


def _pick(kind_types: dict, req_format: str | None, accept: str | None) -> str:
    """The media type to answer with (ServeError 406 when the client accepts none)."""
    if req_format:
        name = req_format.strip().lower()
        for t in FORMAT_NAMES.get(name, (ALIASES.get(name, name),)):
            if t in kind_types:
                return t
    offers = list(kind_types) + [a for a, t in ALIASES.items() if t in kind_types]
    chosen = choose(accept, offers)
    if chosen is None:
        raise ServeError(406, f"none of the accepted types ({accept}) fits this result; "
                              f"this query can answer {', '.join(kind_types)}")
    return ALIASES.get(chosen, chosen)


def _dataset(req: Request) -> dict:
    """store.query's dataset arguments: the protocol's graphs, else the union default graph."""
    if not (req.default_graphs or req.named_graphs):
        return {"use_default_graph_as_union": True}
    dataset = {"default_graph": _iris("default-graph-uri", req.default_graphs) or ox.DefaultGraph()}
    if req.named_graphs:
        dataset["named_graphs"] = _iris("named-graph-uri", req.named_graphs)
    return dataset


def _iris(param: str, values: tuple[str, ...]) -> list[ox.NamedNode]:
    out = []
    for v in values:
        try:
            out.append(ox.NamedNode(v))
        except ValueError as e:
            raise ServeError(400, f"{param} {v!r} is not an absolute IRI ({str(e).splitlines()[0]}); "
                                  "give a graph name such as https://w3id.org/accelerator-kg/id/graph/derived") from None
    return out


def run_query(store: ox.Store, req: Request, accept: str | None, max_rows: int) -> tuple[str, bytes]:
    """Evaluate and serialize a query (in a worker): ``(media type, body)``.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1"), ox.NamedNode("http://e/g")))
    >>> run_query(s, Request("SELECT ?o { ?s ?p ?o }"), "text/csv", 10)
    ('text/csv', b'o\\r\\n1\\r\\n')
    >>> run_query(s, Request("SELECT ?o { ?s ?p ?o } LIMIT 0", default_graphs=("http://e/none",)), "text/csv", 10)
    ('text/csv', b'o\\r\\n')
    """
    if uses_service(req.query):
        raise ServeError(403, "SERVICE (federated query) is not allowed on this endpoint: it queries only the local graph")
    try:
        dataset = _dataset(req)
        res = store.query(req.query, **dataset)
        if isinstance(res, ox.QueryBoolean):
            mtype = _pick(SOLUTION_TYPES, req.format, accept)
            return mtype, res.serialize(format=SOLUTION_TYPES[mtype])
        if isinstance(res, ox.QuerySolutions):
            mtype = _pick(SOLUTION_TYPES, req.format, accept)
            out = _Capped(max_rows + 1)  # the header line, then one line a row
            res.serialize(out, format=QR.TSV)
            if mtype == "text/tab-separated-values":
                return mtype, bytes(out.buf)
            return mtype, ox.parse_query_results(bytes(out.buf), format=QR.TSV).serialize(format=SOLUTION_TYPES[mtype])
        mtype = _pick(GRAPH_TYPES, req.format, accept)
        out = _Capped(max_rows)
        res.serialize(out, format=RF.N_TRIPLES)
        if mtype == "application/n-triples":
            return mtype, bytes(out.buf)
        from kg.export.rdf import PREFIXES

        triples = ox.parse(bytes(out.buf), format=RF.N_TRIPLES)
        return mtype, ox.serialize(triples, format=GRAPH_TYPES[mtype], prefixes=PREFIXES)
    except _TooMany:
        raise ServeError(422, f"the result has more than {max_rows} rows, this server's limit (kg serve --max-rows); "
                              "add LIMIT (with OFFSET to page through it) or narrow the query") from None
    except SyntaxError as e:
        raise ServeError(400, f"SPARQL syntax error: {str(e).splitlines()[0]}") from None
    except OSError as e:
        raise ServeError(500, f"SPARQL evaluation failed: {str(e).splitlines()[0]}") from None


def named_graphs(store: ox.Store) -> list[str]:
    """The IRIs of the store's named graphs, sorted (in a worker)."""
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


# --------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
_FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON", "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV", "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle", "application/n-triples": "N-Triples", "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
}
SD_TYPES = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
            "application/rdf+xml": "xml"}


def service_description(endpoint: str, graphs: list[str], timeout: float, max_rows: int, mtype: str) -> bytes:
    """The service description of the endpoint at ``endpoint`` (``sd:`` vocabulary) as ``mtype``.

    >>> print(service_description("http://127.0.0.1:8080/sparql", ["http://e/g"], 30, 10, "text/turtle").decode())
    @prefix ...
    [] a sd:Service ;
        ...
        sd:endpoint <http://127.0.0.1:8080/sparql> ;
    ...
    """
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, RDFS

    sd, ff = Namespace(SD), Namespace(FORMATS)
    g = Graph()
    g.bind("sd", sd)
    g.bind("formats", ff)
    svc, ds, dg = BNode(), BNode(), BNode()
    g.add((svc, RDF.type, sd.Service))
    g.add((svc, sd.endpoint, URIRef(endpoint)))
    g.add((svc, sd.supportedLanguage, sd.SPARQL11Query))
    for t in (*SOLUTION_TYPES, *GRAPH_TYPES):
        g.add((svc, sd.resultFormat, ff[_FORMAT_IRIS[t]]))
    g.add((svc, sd.feature, sd.UnionDefaultGraph))
    g.add((svc, RDFS.comment, Literal(
        f"accelerator-kg, read-only: SPARQL Update and SERVICE are refused; a query runs at most {timeout:g} s "
        f"and returns at most {max_rows} rows; the default graph is the union of all named graphs "
        "unless default-graph-uri / named-graph-uri say otherwise.", lang="en")))
    g.add((svc, sd.defaultDataset, ds))
    g.add((ds, RDF.type, sd.Dataset))
    g.add((ds, sd.defaultGraph, dg))
    g.add((dg, RDF.type, sd.Graph))
    g.add((dg, RDFS.comment, Literal("the union of the named graphs", lang="en")))
    for name in graphs:
        ng = BNode()
        g.add((ds, sd.namedGraph, ng))
        g.add((ng, RDF.type, sd.NamedGraph))
        g.add((ng, sd.name, URIRef(name)))
    return g.serialize(format=SD_TYPES[mtype], encoding="utf-8")


# --------------------------------------------------------------------------- the route


async def sparql_endpoint(request):
    """``/sparql``: a query (GET or POST) or, for a GET without one, the service description."""
    from starlette.responses import Response

    settings, pool = request.app.state.settings, request.app.state.pool
    body = b""
    if request.method == "POST":
        from kg.serve.app import read_body

        body = await read_body(request, MAX_QUERY_BYTES)
    req = parse_request(request.method, request.url.query, request.headers.get("content-type"), body)
    accept = request.headers.get("accept")
    if req.query is None:
        if request.method == "POST":
            raise ServeError(400, "no query: send query=... (form) or an application/sparql-query body")
        mtype = choose(accept, list(SD_TYPES))
        if mtype is None:
            raise ServeError(406, f"the service description is available as {', '.join(SD_TYPES)}")
        graphs = await pool.run(named_graphs)
        endpoint = str(request.url.replace(query="", fragment=""))
        body = service_description(endpoint, graphs, settings.timeout, settings.max_rows, mtype)
        return Response(body, media_type=mtype, headers={"Vary": "Accept"})
    if not req.query.strip():
        raise ServeError(400, "the query is empty")
    if is_update(req.query):
        raise ServeError(403, READ_ONLY)
    mtype, data = await pool.run(run_query, req, accept, settings.max_rows)
    return Response(data, media_type=mtype, headers={"Vary": "Accept"})
