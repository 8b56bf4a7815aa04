"""The ``kg serve`` web application: routes, security headers, errors.

Routes are added in :func:`routes`: the endpoint and the pages (:mod:`kg.serve.pages`). Every
response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` and, unless
the route set its own (as the HTML pages do), ``Content-Security-Policy: default-src 'none'``.
Errors are a one-line JSON object (``{"error": ..., "status": ...}``) when the client accepts
JSON, an HTML page when it asks for HTML (a browser), else plain text; a traceback only with
``--debug``. No request path reaches the filesystem: every route is a function of its
parameters and the store (the pages' assets come from a fixed list).

>>> import pathlib
>>> app = create_app(Settings(db=pathlib.Path("kg-data")))
>>> [r.path for r in app.routes][:3], [r.path for r in app.routes][-2:]
(['/sparql', '/', '/search'], ['/api/queries', '/api/queries/{name}'])
"""

from __future__ import annotations

import asyncio
import json
import traceback
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from kg.serve.errors import ServeError
from kg.serve.pool import WorkerPool

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
DEFAULT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


@dataclass
class Settings:
    """What ``kg serve`` was told."""

    db: Path
    timeout: float = 30.0
    max_rows: int = 100_000
    workers: int = 2
    debug: bool = False
    allowed_hosts: list[str] = field(default_factory=lambda: ["*"])
    refresh: float = 5.0  # seconds between checks that idle workers hold the live build


def error_response(request: Request, status: int, message: str, headers: dict | None = None) -> Response:
    """A one-line error: JSON if the client accepts JSON, else plain text.

    >>> from starlette.requests import Request
    >>> r = error_response(Request({"type": "http", "headers": [(b"accept", b"application/json")]}), 400, "bad")
    >>> r.status_code, r.body
    (400, b'{"error": "bad", "status": 400}')
    """
    from kg.serve.pages import html_error, wants_html

    if wants_html(request):  # a browser: a clean page (the message escaped)
        resp = html_error(status, message)
        resp.headers.update(headers or {})
        return resp
    if "json" in request.headers.get("accept", ""):
        body = json.dumps({"error": message, "status": status}, ensure_ascii=False)
        return Response(body, status, headers=headers, media_type="application/json")
    return PlainTextResponse(message + "\n", status, headers=headers)


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if DEFAULT_CSP[0] not in names:
                    headers.append(DEFAULT_CSP)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ServeError(413, f"the request body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ServeError(413, f"the request body is over {limit} bytes")
    return bytes(body)


def routes() -> list[Route]:
    """The routes: the endpoint, the pages (kg.serve.pages), the canned-query API (kg.serve.api)."""
    from kg.serve import api
    from kg.serve.pages import page_routes
    from kg.serve.sparql import sparql_endpoint

    return [
        Route("/sparql", sparql_endpoint, methods=["GET", "POST"], name="sparql"),
        *page_routes(),
        *api.routes(),  # the canned-query API: /api/queries, /api/queries/{name}
    ]


def create_app(settings: Settings, pool: WorkerPool | None = None) -> Starlette:
    """The application; it starts its worker pool on startup unless one is given (started), and
    closes it on shutdown."""

    @asynccontextmanager
    async def lifespan(app):
        own = pool is None
        p = pool or WorkerPool(settings.db, settings.workers, settings.timeout, settings.debug)
        if own:
            await asyncio.to_thread(p.start)
        app.state.pool = p
        fresh = asyncio.create_task(p.keep_fresh(settings.refresh))
        try:
            yield
        finally:
            fresh.cancel()
            p.close()  # the server is done with it, whoever started it

    async def on_serve_error(request: Request, exc: ServeError) -> Response:
        return error_response(request, exc.status, str(exc), exc.headers)

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        return error_response(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    async def on_error(request: Request, exc: Exception) -> Response:
        first = str(exc).splitlines()[0] if str(exc) else ""
        msg = f"internal error: {type(exc).__name__}: {first}"
        if settings.debug:
            msg += "\n" + "".join(traceback.format_exception(exc))
        return error_response(request, 500, msg)

    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)],
        exception_handlers={ServeError: on_serve_error, HTTPException: on_http_error, Exception: on_error},
    )
    app.state.settings = settings
    return app
