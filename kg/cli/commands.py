"""Commands of the ``kg`` CLI: build, stats, validate, sparql (more in sibling modules)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli import cli
from kg.cli.options import db_option, parse_params, read_text_arg, resolve_db  # noqa: F401  (re-exported)
from kg.cli.output import output_options, safe_text, write_rows
from kg.errors import InputError


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("--sample", is_flag=True, help="Build the bundled sample (data/sample).")
@db_option
@click.option("--strict", is_flag=True, help="Exit 2 on any rejected row and leave the existing graph untouched.")
@click.option("--encoding", default=None, help="Encoding of text files (default: detect UTF-8, UTF-8 BOM or GB18030).")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Loader mapping for a different table layout (default: loaders/canonical.yaml).")
@click.option("--no-derive", is_flag=True, help="Skip the derived facts (integrated ownership, control, state share, size).")
@click.option("--as-of", "as_of", metavar="DATE", default=None,
              help="Deprecated and ignored: derived facts are stored for every date (give --as-of to queries).")
@click.option("--floor", type=click.FloatRange(0, 1, max_open=True), default=None, metavar="SHARE",
              help="Smallest integrated share kept as a derived ownership fact (default 0.01 = 1%).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-file table.")
@click.option("--wait", is_flag=True, help="If another build holds the database folder, wait for it (default: exit 2).")
@click.option("--replace", is_flag=True,
              help="Replace the live graph even if this build keeps less than half of what it has from a source.")
@click.option("--loader", default=None, metavar="NAME",
              help="Read every source with this loader instead of detecting each file's format (see kg loaders).")
@click.option("-p", "--loader-param", "loader_params", multiple=True, metavar="NAME=VALUE",
              help="A parameter for the loaders, e.g. -p programme=little_giant -p batch=3 (repeatable).")
@click.option("--store", "store", type=click.Choice(["now", "background", "later"]), default=None,
              help="When the RDF store (SPARQL) is loaded from the graph tables: in the build (now), by a "
                   "background process once the build is live, or by the first command that needs it "
                   "(later). Default: $KG_STORE, else background. Cypher answers as soon as the build ends; "
                   "a SPARQL command waits for the store.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Read every source file again instead of reusing what an earlier build read from an "
                   "unchanged file (the load cache in DB/cache/load), and leave the cache as it is; the "
                   "build is never incremental.")
def build(sources, sample, db, strict, encoding, mapping, no_derive, as_of, floor, quiet, wait, replace, loader,
          loader_params, store, no_cache):
    """Load, validate, resolve, derive and store SOURCES (files or folders).

    Rows with bad values are rejected, never silently dropped: each goes to DB/rejects.csv
    with file, row, column, value and the reason, and the counts are printed per file.
    The new graph replaces the previous one only when the build succeeds; one build at a time
    writes a database folder, and kg builds only into a new or empty folder or one it made.
    A build that keeps less than half of what the live graph has from a source asks first
    (on a terminal; elsewhere it exits 2 unless --replace is given).

    Derived facts (integrated ownership, control, state share, size class, look-through flows)
    are stored with the period each holds for, so a query's --as-of reads those of its date.

    Each file is read by the loader its suffix and content call for (kg loaders lists them):
    canonical or --mapping tables, GLEIF RDF and Golden Copy CSV, ...; one build may mix them.
    A rebuild reuses what an unchanged file gave the last builds (DB/cache/load; BODS files
    are always read again), then resolves and derives the whole graph anew -- except when it
    only adds files to the live build's unchanged ones and the new rows leave every old fact as
    it was: then only the new files are read, resolved and derived, and appended to the live
    graph's tables, Cypher database and RDF store (build.json "incremental" says which, and why
    not).
    """
    from kg.build import build as run_build
    from kg.derive.facts import DEFAULT_FLOOR
    from kg.loaders.mapping import load_mapping
    from kg.queries.params import parse_as_of_option
    from kg.resources import resource_path

    if sample:
        sources = (*sources, resource_path("data", "sample"))
    if not sources:
        raise InputError("nothing to build: give SOURCES (files or folders) or --sample")
    derive_date = parse_as_of_option(as_of)
    params = parse_params(loader_params, "-p programme=little_giant")
    if loader:
        from kg.loaders.registry import by_name

        by_name(loader)  # an unknown name fails before anything is read
    dbp = resolve_db(db)
    from contextlib import nullcontext

    from kg.build import BuildRefused
    from kg.cli.progress import build_progress

    bars = build_progress(dbp, list(sources), quiet)  # None: quiet, or stderr is no terminal

    def confirm(question: str) -> bool:
        with bars.paused() if bars else nullcontext():
            return click.confirm(question, default=False, err=True)

    try:
        with bars or nullcontext():
            report = run_build(list(sources), dbp, mapping=load_mapping(mapping) if mapping else None,
                               encoding=encoding, strict=strict, derive=not no_derive, as_of=derive_date,
                               floor=DEFAULT_FLOOR if floor is None else floor,
                               wait=wait, replace=replace, confirm=confirm if sys.stdin.isatty() else None,
                               on_wait=lambda holder: click.echo(f"waiting for {holder} to finish with {dbp}", err=True),
                               loader=loader, loader_params=params,
                               stage=bars.stage if bars else None, progress=bars.progress if bars else None,
                               store=store, cache=not no_cache)
    except BuildRefused as e:
        _print_report(e.report, quiet)
        raise
    _print_report(report, quiet)
    links = sum(report.links.values())
    loaded = {"background": "; the RDF store is loading in the background (SPARQL commands wait for it)",
              "later": "; the RDF store will be loaded by the first command that needs it"}
    msg = (f"built {dbp}: {report.entities} entities, {links} links, "
           + (f"{report.triples} triples " if report.triples is not None else "")
           + f"in {sum(report.seconds.values()):.1f} s"
           + (f" (added {report.added_files} new file(s) to the live graph)" if report.added_files else "")
           + loaded.get(report.store, ""))
    if report.rejects:
        msg += f"; {report.rejected} row(s) rejected, see {dbp / 'rejects.csv'}"
    click.echo(msg)


def _print_report(report, quiet: bool) -> None:
    for w in report.warnings:  # file names and headers may hold control characters
        click.echo(f"warning: {safe_text(w)}", err=True)
    if not quiet:
        write_rows(["file", "table", "loaded", "rejected"], report.files, "table")
    shown = sorted(report.rejects, key=lambda r: (r.file, r.row))
    for r in shown[:20]:
        click.echo(safe_text(r.line()), err=True)
    if len(shown) > 20:
        click.echo(f"... and {len(shown) - 20} more", err=True)


@cli.command()
@db_option
@output_options
def stats(db, fmt):
    """What is in the graph: entities by type, links by kind, triples by graph."""
    from kg.rdf.stats import graph_stats
    from kg.rdf.store import open_store

    store = open_store(resolve_db(db))
    rows = graph_stats(store)
    if fmt == "table":  # a graph by its short name (source/NAME, derived, ...); its IRI in csv, json
        from kg.cli.labels import short_iri

        rows = [[k, short_iri(n) if k == "graph" else n, c] for k, n, c in rows]
    write_rows(["kind", "name", "count"], rows, fmt)


@cli.command()
@db_option
@output_options
@click.option("--shapes", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SHACL shapes file (default: ontology/shapes.ttl).")
@click.option("--engine", type=click.Choice(["fast", "pyshacl"]), default="fast", show_default=True,
              help="fast: the shapes run as SPARQL on the store (any size); pyshacl: the reference "
                   "SHACL engine on an in-memory copy of the graph (small graphs only).")
def validate(db, fmt, shapes, engine):
    """Check the graph against the SHACL shapes. Exit 0 if it conforms, 1 with the violations.

    Rows: severity, focus node, path, value and message, sorted by focus, path and message.
    """
    from kg.cli.labels import store_labeller
    from kg.rdf.store import open_store
    from kg.rdf.validate import COLUMNS, validate_store

    store = open_store(resolve_db(db))
    conforms, rows = validate_store(store, shapes, engine)
    if rows:
        write_rows(COLUMNS, rows, fmt, labeller=store_labeller(store))
    if not conforms:
        click.echo(f"{len(rows)} violation(s)", err=True)
        sys.exit(1)
    click.echo("conforms" + (f" ({len(rows)} warning(s))" if rows else ""), err=True)


@cli.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "file", default=None, help="Read the query from FILE ('-' for stdin).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (a string literal) everywhere in the query; never pasted into the text.")
@db_option
@output_options
def sparql(query, file, params, db, fmt):
    """Run a SPARQL query on the embedded store (default graph = union of all graphs)."""
    import pyoxigraph as ox

    from kg.rdf.query import run_sparql
    from kg.rdf.store import open_store

    text = read_text_arg(query, file, "query")
    bindings = {k: ox.Literal(v) for k, v in parse_params(params).items()}
    from kg.cli.labels import store_labeller

    store = open_store(resolve_db(db))
    cols, rows = run_sparql(store, text, bindings)
    write_rows(cols, rows, fmt, labeller=store_labeller(store))


# commands defined in sibling modules register themselves on import
from kg.cli import conflicts as _conflicts  # noqa: E402,F401
from kg.cli import export as _export  # noqa: E402,F401
from kg.cli import loaders as _loaders  # noqa: E402,F401
from kg.cli import mapping as _mapping  # noqa: E402,F401
from kg.cli import neo4j as _neo4j  # noqa: E402,F401
from kg.cli import query as _query  # noqa: E402,F401
from kg.cli import report as _report  # noqa: E402,F401
from kg.cli import serve as _serve  # noqa: E402,F401
from kg.cli import synth as _synth  # noqa: E402,F401
