"""``kg serve``: the graph over HTTP, read-only (pages for browsing at /, the SPARQL 1.1
Protocol at /sparql).

Registers on the shared ``cli`` group when imported (``import kg.cli.serve``).
"""

from __future__ import annotations

import errno
import os
import signal
import socket

import click

from kg.cli import cli
from kg.cli.commands import db_option, resolve_db
from kg.errors import KgError


def default_workers() -> int:
    """Query worker processes by default: the CPUs, between 2 and 4.

    >>> 2 <= default_workers() <= 4
    True
    """
    return min(4, max(2, os.cpu_count() or 2))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); one-line KgError if it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise KgError(f"--host {host}: cannot resolve it ({e.strerror})") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as e:
        sock.close()
        why = "it is in use (another server? give --port)" if e.errno == errno.EADDRINUSE else e.strerror
        raise KgError(f"cannot listen on {host}:{port}: {why}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _stop(signum, frame):
    raise KeyboardInterrupt


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (anything but localhost exposes the graph to the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=30.0, show_default=True, metavar="SECONDS",
              help="Longest a query may run; it is then stopped and answered with an error (503).")
@click.option("--max-rows", type=click.IntRange(1), default=100_000, show_default=True, metavar="N",
              help="Most rows (or triples) a query may return; a larger result is an error (422), not truncated.")
@click.option("--workers", type=click.IntRange(1, 64), default=None, metavar="N",
              help="Query worker processes, i.e. queries run at once (default: the CPUs, between 2 and 4).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Host name clients may use (repeatable; e.g. the reverse proxy's public name). "
                   "Default: localhost names when listening on localhost, any otherwise.")
@click.option("--debug", is_flag=True, help="Show tracebacks in error responses and log more.")
@click.pass_context
def serve(ctx, db, host, port, timeout, max_rows, workers, allowed_hosts, debug):
    """Serve the graph over HTTP, read-only: pages and the SPARQL 1.1 Protocol at /sparql.

    A browser at http://HOST:PORT/ searches entities (name, USCC, LEI, ticker), shows an
    entity's facts with their sources, its ownership network, the canned queries as forms
    (CSV/JSON download) and a SPARQL console; every page takes an as-of date.

    Any SPARQL client (SPARQLWrapper, rdflib's SPARQLStore, YASGUI, Protégé) can query
    http://HOST:PORT/sparql; GET /sparql without a query describes the service. Updates are
    refused. The server follows new builds of the database folder. Ctrl-C stops it.
    See docs/serve.md (reverse proxy, limits).
    """
    import uvicorn

    from kg.rdf.store import open_store
    from kg.serve.app import LOOPBACK_HOSTS, Settings, create_app
    from kg.serve.errors import ServeError
    from kg.serve.pool import WorkerPool

    debug = debug or bool(ctx.obj and ctx.obj.get("debug"))
    db = resolve_db(db)
    open_store(db)  # a missing or unusable graph ends here, in one line
    hosts = list(allowed_hosts) or (list(LOOPBACK_HOSTS) if host in LOOPBACK_HOSTS else ["*"])
    settings = Settings(db=db, timeout=timeout, max_rows=max_rows, workers=workers or default_workers(),
                        debug=debug, allowed_hosts=hosts)
    sock = bind(host, port)
    pool = WorkerPool(db, settings.workers, timeout, debug)
    try:
        pool.start()
    except ServeError as e:
        sock.close()
        raise KgError(f"cannot start the query workers: {e}") from None
    try:
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{sock.getsockname()[1]}"
        click.echo(f"kg serve: pages at {url}/, SPARQL endpoint at {url}/sparql (graph in {db}; {settings.workers} workers, "
                   f"timeout {timeout:g} s, at most {max_rows} rows); Ctrl-C stops", err=True)
        config = uvicorn.Config(create_app(settings, pool), log_level="debug" if debug else "warning",
                                access_log=debug, server_header=False, proxy_headers=True)
        # uvicorn shuts down gracefully on SIGINT / SIGTERM, then raises the signal again: end quietly
        signal.signal(signal.SIGTERM, _stop)
        try:
            uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        click.echo("kg serve: stopped", err=True)
    finally:
        pool.close()
        sock.close()
