"""The canned-query API of ``kg serve``: the catalog and its queries' rows as JSON or CSV.

* ``GET /api/queries``: the catalog, ``{"queries": [...]}``, each query with its name, title,
  description, typed parameters (type, what it accepts, default, range, choices) and columns;
* ``GET /api/queries/{name}?param=value&as_of=...``: the rows of one query, as ``kg query run
  NAME -p param=value --as-of ...`` gives them (the same catalog, parameter parsing and
  checking, reference resolution and row normalisation: :func:`kg.queries.run.prepare` and
  :func:`kg.queries.run.run_prepared`). Values are pre-bound, never pasted into the query text.
  ``format=json|csv`` (else the ``Accept`` header; JSON by default) picks the answer:

  - JSON: ``{"query", "parameters" (the values used, references as IRIs), "columns", "rows"
    (one object a row, exactly the objects of kg query run --format json), "count"}``;
  - CSV: the text of ``kg query run NAME --format csv``, as a download (``NAME.csv``).

Errors are always JSON, ``{"error": "one line", "status": N}``: 404 for an unknown query, 400
for an unknown parameter, a bad value (naming the parameter, the value and what is accepted),
a parameter given twice or a reference that names no entity (an ambiguous one adds
``candidates``), 406 for an ``Accept`` it cannot answer, and as the SPARQL endpoint: 503 after
``--timeout`` (the worker is stopped), 422 past ``--max-rows`` (never a truncated answer).

The query runs in a worker process of the pool (:func:`run_canned`), which also serializes the
rows. The catalog is the one ``kg query run`` uses without ``--queries`` (shipped queries and
the config file's folders), read once when the server first needs it.

>>> entry = catalog_entry(load_catalog()["ultimate-owners"])
>>> entry["title"], [(p["name"], p["type"], p["required"]) for p in entry["parameters"]]
('Who owns a firm, directly and indirectly, by integrated share', [('ref', 'ref', True), ('as_of', 'date', False)])
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kg.errors import InputError
from kg.queries.catalog import Query, get_query, load_catalog
from kg.queries.params import TYPES
from kg.serve.errors import ServeError
from kg.serve.negotiate import choose

__all__ = ["routes", "catalog_entry", "query_params", "run_canned", "FORMATS"]

#: the answers a query's rows come as: ``format=`` name -> media type
FORMATS = {"json": "application/json", "csv": "text/csv"}
#: URL parameters that are not the query's own
RESERVED = ("format",)


def _json(value: Any) -> Any:
    """A header value (default, bound) as JSON: dates as ISO text, Decimals as numbers."""
    from kg.queries.run import normalise_value

    return normalise_value(value)


def catalog_entry(q: Query) -> dict:
    """One query of the catalog as JSON (what a form needs to ask for its parameters).

    >>> e = catalog_entry(load_catalog()["little-giant-subsidiaries"])
    >>> [p for p in e["parameters"] if p["name"] == "min_share"][0]["default"]
    0.5
    """
    params = []
    for name, s in q.params.items():
        params.append({
            "name": name, "type": s.type, "accepts": TYPES[s.type], "default": _json(s.default),
            "default_text": s.default_text, "required": s.required, "description": s.description,
            "min": _json(s.minimum), "max": _json(s.maximum), "choices": list(s.choices) if s.choices else None,
        })
    return {"name": q.name, "title": q.summary, "description": q.description, "parameters": params,
            "columns": q.columns, "columns_when": q.columns_when, "url": f"/api/queries/{q.name}"}


def query_params(query_string: str) -> tuple[dict[str, str], str | None]:
    """The query's parameters (name -> text) and the ``format=`` of a URL's query string;
    a parameter given twice or text that is not UTF-8 is an InputError.

    >>> query_params("min_share=50%25&as_of=2023&format=csv")
    ({'min_share': '50%', 'as_of': '2023'}, 'csv')
    >>> query_params("as_of=2023&as_of=2024")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: parameter as_of is given twice ('2023' and '2024'); give it once
    """
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as e:
        raise InputError(f"the URL's parameters are not UTF-8 (byte 0x{e.object[e.start]:02x}); "
                         "send them UTF-8 and percent-encoded") from None
    given: dict[str, str] = {}
    fmt = None
    for k, v in pairs:
        if k in RESERVED:
            if fmt is not None and fmt != v:
                raise InputError(f"format is given twice ({fmt!r} and {v!r}); give it once")
            fmt = v
        elif k in given:
            raise InputError(f"parameter {k} is given twice ({given[k]!r} and {v!r}); give it once")
        else:
            given[k] = v
    return given, fmt


_CLI_HINT = re.compile(r"\(give it with -p (\w+)=VALUE\)")


def _for_http(message: str) -> str:
    """An error of ``kg query run`` worded for a URL: ``-p NAME=VALUE`` becomes ``?NAME=VALUE``.

    >>> _for_http("parameter ref is required for query x: an entity (give it with -p ref=VALUE)")
    'parameter ref is required for query x: an entity (give it in the URL: ?ref=VALUE)'
    """
    return _CLI_HINT.sub(r"(give it in the URL: ?\1=VALUE)", message)


def _error_body(status: int, message: str, **extra) -> bytes:
    """The JSON of an error: ``{"error": "one line", "status": N, ...}``."""
    return json.dumps({"error": message, "status": status, **extra}, ensure_ascii=False).encode("utf-8")


def _input_error(e: InputError) -> tuple[int, str, bytes, dict]:
    """The 400 answer to an InputError: its first line (an ambiguous reference: the candidates too).

    >>> print(_input_error(InputError("parameter y: 'x' is not a year; expected a year such as 2021"))[2].decode())
    {"error": "parameter y: 'x' is not a year; expected a year such as 2021", "status": 400}
    """
    from kg.queries.refs import AmbiguousRef

    extra = {}
    # prepare() names the parameter in a new InputError raised while handling the AmbiguousRef
    ambiguous = e if isinstance(e, AmbiguousRef) else e.__context__
    message = _for_http(str(e).splitlines()[0].rstrip(":"))
    if isinstance(ambiguous, AmbiguousRef):
        extra["candidates"] = [{"iri": c.iri, "name": c.name, "types": list(c.types), "id": c.local_id}
                               for c in ambiguous.candidates]
        message += " (the candidates are listed)"
    return 400, "application/json", _error_body(400, message, **extra), {}


# --------------------------------------------------------------------------- in the worker

_backend = None  # the worker's EmbeddedBackend, kept while the store stays the same


def _backend_for(store):
    from kg.queries.run import EmbeddedBackend

    global _backend
    if _backend is None or _backend.store is not store:
        _backend = EmbeddedBackend(store)
    return _backend


def run_canned(store, query: Query, given: Mapping[str, str], mtype: str, max_rows: int) -> tuple[int, str, bytes, dict]:
    """Run a canned query in a worker: the answer ``(status, media type, body, headers)``:
    200 with the rows, 400 for a bad value or reference, 422 past ``max_rows`` rows.

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
    >>> q, store = get_query("ultimate-owners"), open_store(db)
    >>> status, mtype, body, _ = run_canned(store, q, {"ref": "junli-logistics", "as_of": "2023-12-31"}, "text/csv", 10)
    >>> print(body.decode().splitlines()[1][:70])
    https://w3id.org/accelerator-kg/id/ticker/300024.SZ,"SIASUN Robot & Au
    >>> run_canned(store, q, {"ref": "no such firm"}, "text/csv", 10)[:2]
    (400, 'application/json')
    """
    from kg.queries.run import prepare, run_prepared

    backend = _backend_for(store)
    try:
        values = prepare(query, given, None, backend)
        cols, rows = run_prepared(backend, query, values)
    except InputError as e:
        return _input_error(e)
    if len(rows) > max_rows:
        message = (f"the result has {len(rows)} rows, more than this server's limit of {max_rows} (kg serve "
                   f"--max-rows); narrow it with the query's parameters, or run it with kg query run {query.name}")
        return 422, "application/json", _error_body(422, message), {}
    if mtype == "text/csv":
        return 200, mtype, _csv(cols, rows), {"Content-Disposition": f'attachment; filename="{query.name}.csv"'}
    body = {"query": query.name, "parameters": {k: _json(v) for k, v in values.items()},
            "columns": cols, "rows": [dict(zip(cols, r, strict=True)) for r in rows], "count": len(rows)}
    return 200, mtype, json.dumps(body, ensure_ascii=False, default=str).encode("utf-8"), {}


def _csv(cols: list[str], rows: list[list]) -> bytes:
    """The text of ``kg query run --format csv`` (lists and objects as JSON, as it writes them)."""
    from kg.cli.output import write_rows

    rows = [[json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in r] for r in rows]
    out = io.StringIO()
    write_rows(cols, rows, "csv", out)
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- the routes


def _error(err: ServeError) -> Response:
    return Response(_error_body(err.status, str(err)), err.status, headers=err.headers or None,
                    media_type="application/json")


def _catalog(request: Request) -> dict[str, Query]:
    """The catalog, read on first use and kept for the server's life."""
    state = request.app.state
    cat = getattr(state, "query_catalog", None)
    if cat is None:
        try:
            cat = load_catalog()
        except InputError as e:  # a bad config file: the server's problem, not the request's
            raise ServeError(500, f"cannot read the query catalog: {e}") from None
        state.query_catalog = cat
    return cat


async def list_queries(request: Request) -> Response:
    """``GET /api/queries``: the catalog."""
    try:
        cat = _catalog(request)
    except ServeError as e:
        return _error(e)
    body = {"queries": [catalog_entry(q) for q in cat.values() if q.sparql is not None]}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


def _media_type(fmt: str | None, accept: str | None) -> str:
    if fmt is not None:
        mtype = FORMATS.get(fmt.strip().lower())
        if mtype is None:
            raise ServeError(400, f"format {fmt!r} is not one this API writes; expected {' or '.join(FORMATS)}")
        return mtype
    mtype = choose(accept, list(FORMATS.values()))
    if mtype is None:
        raise ServeError(406, f"none of the accepted types ({accept}) is one this API writes; it answers "
                              f"{', '.join(FORMATS.values())} (or give format={'|'.join(FORMATS)})")
    return mtype


async def run_query(request: Request) -> Response:
    """``GET /api/queries/{name}``: a query's rows, JSON or CSV."""
    try:
        cat = _catalog(request)
        name = request.path_params["name"]
        try:
            query = get_query(name, catalog=cat)
        except InputError as e:
            raise ServeError(404, str(e)) from None
        if query.sparql is None:
            raise ServeError(404, f"query {name} has no SPARQL version ({name}.rq), so this server cannot run it")
        from kg.queries.run import prepare

        try:
            given, fmt = query_params(request.url.query)
            prepare(query, given)  # bad names and values are answered here, without taking a worker
        except InputError as e:
            status, mtype, body, headers = _input_error(e)
        else:
            mtype = _media_type(fmt, request.headers.get("accept"))
            settings, pool = request.app.state.settings, request.app.state.pool
            status, mtype, body, headers = await pool.run(run_canned, query, given, mtype, settings.max_rows)
    except ServeError as e:
        return _error(e)
    return Response(body, status, media_type=mtype, headers={"Vary": "Accept", **headers})


def routes() -> list[Route]:
    """The API's routes, for :func:`kg.serve.app.routes`."""
    return [
        Route("/api/queries", list_queries, methods=["GET"], name="api_queries"),
        Route("/api/queries/{name}", run_query, methods=["GET"], name="api_query"),
    ]
