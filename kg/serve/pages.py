"""The HTML pages of ``kg serve``: search, entity, network, canned queries, SPARQL console.

Server-rendered with Jinja2 (autoescape on: every value, entity names included, is text, never
markup) from kg/serve/templates/, plus a little vanilla JavaScript and CSS served from a fixed
allow-list (:data:`ASSETS`, kg/serve/assets/): no build step, no CDN. Every store read runs in
the worker pool (:mod:`kg.serve.pool`) through the functions of :mod:`kg.serve.pages_data`.

Pages answer with a Content-Security-Policy that allows scripts and styles from the server
only (:data:`PAGE_CSP`: no inline script, no inline style). The network view is the ``kg viz``
page itself, shown in a frame; its inline scripts are allowed by their SHA-256 hashes
(:func:`hash_csp`), so no other script can run there either (its styles are inline).

Every page takes ``as_of`` (YYYY-MM-DD, or YYYY-MM / YYYY for the end of that period; default
today) and passes it on in its links.

>>> [r.path for r in page_routes()][:3]
['/', '/search', '/entity/{key:path}']
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
import shlex
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from kg.ontology import ID
from kg.serve import pages_data as data
from kg.serve.errors import ServeError

__all__ = ["page_routes", "html_error", "PAGE_CSP", "ASSETS", "hash_csp", "command_line"]

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; frame-src 'self'; base-uri 'none'; frame-ancestors 'none'")

#: the files /assets/NAME serves: name -> (package, file, media type). Nothing else is served.
ASSETS = {
    "site.css": ("kg.serve", "assets/site.css", "text/css; charset=utf-8"),
    "site.js": ("kg.serve", "assets/site.js", "text/javascript; charset=utf-8"),
    "console.js": ("kg.serve", "assets/console.js", "text/javascript; charset=utf-8"),
}

MAX_HOPS = 4
NETWORK_LIMIT = 500


# ---------------------------------------------------------------- rendering


@cache
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kg.serve", "templates"),
        autoescape=True,  # every template is HTML: entity names and all values are text
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.filters["amount"] = amount
    env.filters["entity_url"] = entity_url
    env.filters["num"] = num
    return env


def pct(x: Any) -> str:
    """A share as a percentage.

    >>> pct(0.7), pct(1), pct(0.003456), pct(None)
    ('70%', '100%', '0.3456%', '')
    """
    if x is None or x == "":
        return ""
    v = float(x) * 100
    return f"{v:.4g}%"


def amount(x: Any, currency: Any = None) -> str:
    """An amount with thousands separators and its currency.

    >>> amount(150000000, "CNY"), amount(None)
    ('150,000,000 CNY', '')
    """
    if x is None or x == "":
        return ""
    v = float(x)
    text = f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    return f"{text} {currency}" if currency else text


def num(x: Any) -> str:
    """A cell value as text (None as empty).

    >>> num(None), num(3), num(0.5), num(True)
    ('', '3', '0.5', 'true')
    """
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    return str(x)


def entity_url(iri: Any, as_of: str | None = None) -> str | None:
    """The entity page of an IRI of the graph (None for anything else).

    >>> entity_url("https://w3id.org/accelerator-kg/id/ticker/300024.SZ", "2023-12-31")
    '/entity/ticker/300024.SZ?as_of=2023-12-31'
    >>> entity_url("https://w3id.org/accelerator-kg/id/link/owns/1") is None
    True
    """
    if not isinstance(iri, str) or not iri.startswith(ID) or "/link/" in iri or "/fy/" in iri or "/record/" in iri:
        return None
    from urllib.parse import quote

    url = "/entity/" + quote(iri.removeprefix(ID), safe="/.-_~")
    return url + ("?" + urlencode({"as_of": as_of}) if as_of else "")


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """A page from a template, with the page CSP."""
    as_of = context.pop("as_of", None) or request.query_params.get("as_of") or ""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "as_of"]
    body = _env().get_template(template).render(request_path=request.url.path, keep_params=keep, as_of=as_of,
                                               today=dt.date.today().isoformat(), **context)
    return HTMLResponse(body, status, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})


def html_error(status: int, message: str) -> HTMLResponse:
    """A clean error page (the message as text, escaped)."""
    body = _env().get_template("error.html").render(status=status, message=message, request_path="/", keep_params=[],
                                                    as_of="", today=dt.date.today().isoformat())
    return HTMLResponse(body, status, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})


def wants_html(request: Request) -> bool:
    """Whether a client asks for HTML first (a browser), not JSON or plain text."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


# ---------------------------------------------------------------- parameters


def as_of_param(request: Request) -> dt.date:
    """The page's ``as_of`` (default today); 400 for a bad date."""
    from kg.queries.params import ParamError, parse_as_of_option

    text = request.query_params.get("as_of", "").strip()
    if not text:
        return dt.date.today()
    try:
        return parse_as_of_option(text)
    except ParamError as e:
        raise ServeError(400, str(e).replace("--as-of:", "as_of:", 1)) from None


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query_params.get(name, "").strip()
    if not text:
        return default
    if not re.fullmatch(r"\d{1,3}", text) or not lo <= int(text) <= hi:
        raise ServeError(400, f"{name}: {text!r} is not a whole number in {lo}..{hi}")
    return int(text)


def _links_param(request: Request) -> tuple[str, ...]:
    from kg.subgraph import DEFAULT_LINKS, selectable_links

    chosen = [x for x in request.query_params.getlist("links") if x]
    if not chosen:
        return DEFAULT_LINKS
    bad = [x for x in chosen if x not in selectable_links()]
    if bad:
        raise ServeError(400, f"links: {bad[0]!r} is not a link type; expected some of {', '.join(selectable_links())}")
    return tuple(dict.fromkeys(chosen))


def _direction_param(request: Request) -> str:
    from kg.subgraph import DIRECTIONS

    d = request.query_params.get("direction", "both") or "both"
    if d not in DIRECTIONS:
        raise ServeError(400, f"direction: {d!r} is not one of {', '.join(DIRECTIONS)}")
    return d


# ---------------------------------------------------------------- pages


async def home(request: Request) -> Response:
    return render(request, "search.html", query="", results=None)


async def search_page(request: Request) -> Response:
    as_of_param(request)
    text = request.query_params.get("q", "").strip()
    if len(text) > 200:
        raise ServeError(400, "the search text is longer than 200 characters")
    results = await request.app.state.pool.run(data.search, text) if text else None
    return render(request, "search.html", query=text, results=results)


def _entity_key(request: Request) -> str:
    return data.entity_iri(request.path_params["key"])


async def entity_page(request: Request) -> Response:
    day = as_of_param(request)
    iri = _entity_key(request)
    page = await request.app.state.pool.run(data.entity_page, iri, day)
    return render(request, "entity.html", e=page, day=day.isoformat(), timeline=timeline(page["certifications"], day),
                  network_url=network_url(iri, request.query_params.get("as_of")))


def network_url(iri: str, as_of: str | None, view: bool = False, **params) -> str:
    """The network page (or, with ``view``, the framed kg viz page) around an entity.

    >>> network_url("https://w3id.org/accelerator-kg/id/entity/a", "2023", hops=1)
    '/network/entity/a?as_of=2023&hops=1'
    """
    path = entity_url(iri)
    base = ("/network-view/" if view else "/network/") + path.removeprefix("/entity/")
    query = [("as_of", as_of)] if as_of else []
    for k, v in params.items():
        query += [(k, x) for x in v] if isinstance(v, (list, tuple)) else [(k, v)]
    return base + ("?" + urlencode(query) if query else "")


async def network_page(request: Request) -> Response:
    from kg.subgraph import DIRECTIONS, selectable_links

    as_of_param(request)
    iri = _entity_key(request)
    hops = _int_param(request, "hops", 2, 0, MAX_HOPS)
    direction = _direction_param(request)
    links = _links_param(request)
    name = await request.app.state.pool.run(data.entity_name, iri)
    view = network_url(iri, request.query_params.get("as_of"), view=True, hops=hops, direction=direction, links=links)
    return render(request, "network.html", iri=iri, name=name, hops=hops, direction=direction, links=links,
                  all_links=selectable_links(), directions=DIRECTIONS, max_hops=MAX_HOPS, view_url=view)


_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.S)


def hash_csp(page: str) -> str:
    """A CSP that lets exactly the page's inline ``<script>`` elements run (by their SHA-256
    hashes) and no other script, for the framed kg viz page.

    >>> hash_csp("<style>b{}</style><script>1</script>").split("; ")[1]
    "script-src 'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"
    """
    hashes = []
    for tag, body in _INLINE.findall(page):
        if tag == "script":
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
            hashes.append(f"'sha256-{digest}'")
    scripts = " ".join(dict.fromkeys(hashes)) or "'none'"
    # styles: the view's script and cytoscape set element styles as they draw, which a hash
    # cannot cover; style cannot run code, and every value in the page is escaped JSON
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data: blob:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


async def network_view(request: Request) -> Response:
    day = as_of_param(request) if request.query_params.get("as_of") else None
    iri = _entity_key(request)
    hops = _int_param(request, "hops", 2, 0, MAX_HOPS)
    page = await request.app.state.pool.run(data.network_html, iri, hops, _direction_param(request),
                                            _links_param(request), day, NETWORK_LIMIT)
    return HTMLResponse(page, headers={"Content-Security-Policy": hash_csp(page), "Cache-Control": "no-store",
                                       "X-Frame-Options": "SAMEORIGIN"})


# ---------------------------------------------------------------- canned queries


@cache
def catalog() -> dict:
    """The query catalog (shipped queries and the config file's folders), read once."""
    from kg.queries.catalog import load_catalog

    return load_catalog()


def _query(request: Request):
    name = request.path_params["name"]
    q = catalog().get(name)
    if q is None or q.sparql is None:
        raise ServeError(404, f"no canned query named {name!r}; see /queries for the catalog")
    return q


def query_values(request: Request, query) -> dict[str, str]:
    """The query's parameters given in the request (declared names only, non-empty)."""
    out = {}
    for name in query.params:
        v = request.query_params.get(name, "").strip()
        if v:
            out[name] = v
    return out


def command_line(name: str, values: dict[str, str]) -> str:
    """The ``kg query run`` command that gives the same rows, shell-quoted.

    >>> command_line("ultimate-owners", {"ref": "Siasun's \\"Co\\"", "as_of": "2023-12-31"})
    'kg query run ultimate-owners -p \\'ref=Siasun\\'"\\'"\\'s "Co"\\' --as-of 2023-12-31'
    """
    args = ["kg", "query", "run", name]
    for k, v in values.items():
        if k != "as_of":
            args += ["-p", f"{k}={v}"]
    if values.get("as_of"):
        args += ["--as-of", values["as_of"]]
    return shlex.join(args)


def _field(spec) -> dict:
    """How a parameter is asked for in the form (input type, choices, hint)."""
    from kg.queries.params import TYPES

    kind, choices = "text", None
    if spec.choices:
        kind, choices = "select", list(spec.choices)
    elif spec.type == "boolean":
        kind, choices = "select", ["true", "false"]
    elif spec.type == "programme":
        from kg.reference import codes

        kind, choices = "select", list(codes("Programme"))
    elif spec.type == "date":
        kind = "date"
    elif spec.type in ("integer", "year"):
        kind = "number"
    return {"name": spec.name, "kind": kind, "choices": choices, "type": spec.type_text, "accepts": TYPES[spec.type],
            "default": spec.default_text, "required": spec.required, "description": spec.description}


async def queries_page(request: Request) -> Response:
    as_of_param(request)
    return render(request, "queries.html", queries=[q for q in catalog().values() if q.sparql is not None])


async def _run(request: Request, query) -> tuple[dict[str, str], dict]:
    values = query_values(request, query)
    if not values.get("as_of"):
        values["as_of"] = as_of_param(request).isoformat()
    result = await request.app.state.pool.run(data.run_canned, query, values, values["as_of"])
    return values, result


async def query_page(request: Request) -> Response:
    query = _query(request)
    as_of_param(request)
    fields = [_field(s) for s in query.params.values()]
    given = query_values(request, query)
    result = values = error = None
    if request.query_params.get("run"):
        try:
            values, result = await _run(request, query)
        except ServeError as e:
            if e.status != 400:
                raise
            error = str(e)
    qs = urlencode(list((values or given).items()))
    return render(request, "query.html", q=query, fields=fields, given=given, result=result, error=error,
                  command=command_line(query.name, values or given), download_qs=qs,
                  iri_columns=set(query.iri_columns), day=(values or {}).get("as_of", ""))


async def query_rows(request: Request) -> Response:
    query = _query(request)
    fmt = request.path_params["fmt"]
    values, result = await _run(request, query)
    filename = f"{query.name}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(result["columns"])
        w.writerows([["" if v is None else (("true" if v else "false") if isinstance(v, bool) else v) for v in r]
                     for r in result["rows"]])
        return Response(buf.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers=headers)
    body = {"query": query.name, "params": values, "command": command_line(query.name, values),
            "columns": result["columns"], "rows": result["rows"]}
    return Response(json.dumps(body, ensure_ascii=False, indent=1), media_type="application/json", headers=headers)


# ---------------------------------------------------------------- SPARQL console


@lru_cache(maxsize=8)
def examples(as_of: str) -> list[dict]:
    """The canned queries as runnable SPARQL: each parameter with a default bound to it (as
    ``kg query run`` would), ``as_of`` to the console's date; those without one stay variables.

    >>> ex = {e["name"]: e for e in examples("2023-12-31")}
    >>> '"2023-12-31"^^' in ex["little-giant-subsidiaries"]["sparql"]
    True
    """
    from kg.queries.cohort import resolve as resolve_cohort
    from kg.queries.params import sparql_bindings
    from kg.rdf.prebind import PrebindError, prebind, query_variables

    out = []
    for q in catalog().values():
        if q.sparql is None:
            continue
        values = {}
        for name, spec in q.params.items():
            try:
                values[name] = spec.parse(as_of if name == "as_of" else None)
            except Exception:  # noqa: BLE001 - a default that does not parse: leave it unbound
                values[name] = None
        resolve_cohort(q.cohort, values, {})  # certified's default (kg.queries.cohort)
        text = q.sparql
        try:
            text = prebind(q.sparql, sparql_bindings(q.params, values, query_variables(q.sparql)))
        except PrebindError:
            pass
        unbound = [n for n, v in values.items() if v is None and n in query_variables(q.sparql)]
        out.append({"name": q.name, "summary": q.summary, "sparql": text, "unbound": unbound})
    return out


async def console_page(request: Request) -> Response:
    day = as_of_param(request)
    import asyncio

    ex = await asyncio.to_thread(examples, day.isoformat())  # parsing 11 queries: not on the event loop
    return render(request, "console.html", examples=ex,
                  query=request.query_params.get("query", ""), day=day.isoformat())


# ---------------------------------------------------------------- assets


@cache
def _asset(name: str) -> tuple[bytes, str]:
    package, path, media = ASSETS[name]
    return resources.files(package).joinpath(path).read_bytes(), media


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:  # a fixed allow-list: no request path reaches the filesystem
        raise ServeError(404, f"no asset {name!r}")
    body, media = _asset(name)
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=3600"})


def page_routes() -> list[Route]:
    """The routes of the pages (added to the app's in :func:`kg.serve.app.routes`)."""
    return [
        Route("/", home, methods=["GET"], name="home"),
        Route("/search", search_page, methods=["GET"], name="search"),
        Route("/entity/{key:path}", entity_page, methods=["GET"], name="entity"),
        Route("/network/{key:path}", network_page, methods=["GET"], name="network"),
        Route("/network-view/{key:path}", network_view, methods=["GET"], name="network_view"),
        Route("/queries", queries_page, methods=["GET"], name="queries"),
        Route("/queries/{name}/rows.{fmt:str}", query_rows_checked, methods=["GET"], name="query_rows"),
        Route("/queries/{name}", query_page, methods=["GET"], name="query"),
        Route("/console", console_page, methods=["GET"], name="console"),
        Route("/assets/{name}", asset, methods=["GET"], name="asset"),
    ]


async def query_rows_checked(request: Request) -> Response:
    if request.path_params["fmt"] not in ("csv", "json"):
        raise ServeError(404, f"no download format {request.path_params['fmt']!r}; use rows.csv or rows.json")
    return await query_rows(request)


# ---------------------------------------------------------------- certification timeline


def timeline(certs: list[dict], day: dt.date) -> dict | None:
    """Bars of an SVG timeline (x and width in percent of the span, no inline style): one per
    certification from valid_from to valid_to, with a marker at the page's date.

    >>> t = timeline([{"valid_from": "2020-01-01", "valid_to": "2022-12-31", "to_name": "LG", "valid": False}], dt.date(2024, 1, 1))
    >>> t["bars"][0]["x"], round(t["marker"], 1)
    (0.0, 100.0)
    """
    spans = []
    for c in certs:
        start = c.get("valid_from") or (f"{c['year']}-01-01" if c.get("year") else None)
        if not start:
            continue
        end = c.get("valid_to") or day.isoformat()
        spans.append((dt.date.fromisoformat(str(start)[:10]), dt.date.fromisoformat(str(end)[:10]), c))
    if not spans:
        return None
    lo = min(min(s for s, _, _ in spans), day)
    hi = max(max(e for _, e, _ in spans), day)
    width = max((hi - lo).days, 1)

    def x(d: dt.date) -> float:
        return round(100 * (d - lo).days / width, 2)

    bars = [{"x": x(s), "w": max(x(e) - x(s), 0.5), "label": c.get("to_name"), "from": s.isoformat(),
             "to": e.isoformat(), "valid": c.get("valid"), "row": k} for k, (s, e, c) in enumerate(spans)]
    years = list(range(lo.year + 1, hi.year + 1))
    step = max(1, len(years) // 8)
    ticks = [{"x": x(dt.date(y, 1, 1)), "label": str(y)} for y in years[::step]]
    return {"bars": bars, "marker": x(day), "ticks": ticks, "height": 22 * len(bars) + 24}
