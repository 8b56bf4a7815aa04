"""Cypher and Neo4j commands: ``kg push neo4j``, ``kg cypher`` (embedded or Neo4j) and ``kg neo4j-import``.

Registers on the shared ``cli`` group when imported (``import kg.cli.neo4j``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli import cli
from kg.cli.commands import db_option, parse_params, read_text_arg, resolve_db
from kg.cli.options import neo4j_options
from kg.cli.output import output_options, write_rows
from kg.neo4j.connect import Settings, check_uri, password_from_env
from kg.neo4j.push import DEFAULT_BATCH, DEFAULT_WORKERS


def settings(uri: str, user: str, database: str | None) -> Settings:
    """Connection settings; the URI is checked first (a bad one exits 2 before any password
    prompt), then the password comes from NEO4J_PASSWORD or a hidden prompt on a terminal.

    >>> settings("http://db:7474", "neo4j", None)
    Traceback (most recent call last):
    ...
    kg.errors.InputError: Neo4j URI 'http://db:7474' has scheme 'http'; accepted: bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc (e.g. bolt://localhost:7687)
    """
    check_uri(uri)
    return Settings(uri=uri, user=user, password=password_from_env(), database=database or None)


@cli.group()
def push() -> None:
    """Send the graph to another database (Neo4j)."""


@push.command("neo4j")
@neo4j_options
@click.option("--wipe", is_flag=True,
              help="First delete everything an earlier push or import wrote (all KgNode nodes and their relationships).")
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=DEFAULT_BATCH, show_default=True,
              help="Rows per UNWIND batch (one transaction each).")
@click.option("--workers", type=click.IntRange(1, 32), default=DEFAULT_WORKERS, show_default=True,
              help="Concurrent write sessions (more can help on a server with several cores).")
@click.option("--schema-only", is_flag=True,
              help="Only create the constraints and indexes (e.g. after a neo4j-admin bulk import).")
@db_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no per-label table.")
def push_neo4j(uri, user, database, wipe, batch_size, workers, schema_only, db, quiet):
    """Push the graph to Neo4j over Bolt (idempotent; the password from NEO4J_PASSWORD).

    The password is read from NEO4J_PASSWORD, or asked for (hidden) on a terminal; it is
    never taken from the command line and never printed.

    \b
    What is written, all names from ontology/kg.ttl:
      nodes    label KgNode (unique iri) + ontology labels (a GuidanceFund is also a Fund);
               FinancialYear nodes for reported financials
      links    OWNS, FUNDED, CERTIFIED_AS, LISTED_ON, REPORTED, and the derived CONTROLS and
               ULTIMATELY_OWNS (derived: true, method); each with its properties, its source,
               source_file, source_row and its link IRI as iri
      types    shares, amounts, rates as floats (shares 0..1, amounts in currency units with
               currency); counts and years as integers; dates as Neo4j dates
      indexes  unique KgNode.iri; id, uscc, lei, ticker, code, mic per label; full-text
               index kg_names on name, name_zh (CJK analyser)

    Partial dates ("2021", "2021-07") are stored as a full date at the first day of the
    period for start-like properties (start, date, valid_from, listed, founded) and at the last
    day for end-like ones (end, valid_to, delisted); the property's *_precision companion
    (e.g. start_precision) says "year" or "month" (absent: an exact day).

    Nodes are MERGEd on iri and links on their iri, and their properties replaced, so pushing
    twice leaves the same graph, and a push that stopped half-way (e.g. a lost connection)
    is completed by running it again. Without --wipe, nodes and links that have disappeared
    from the embedded graph since an earlier push stay in Neo4j; --wipe deletes all KgNode
    nodes and their relationships (in batches) before writing.
    """
    from kg.neo4j.push import push as run_push

    s = settings(uri, user, database)
    show = not quiet and sys.stderr.isatty()
    if schema_only:
        from kg.neo4j.connect import open_driver
        from kg.neo4j.push import ensure_schema

        with open_driver(s) as driver, driver.session(database=s.database) as session:
            ensure_schema(session)
        click.echo(f"created the constraints and indexes on {s.where}")
        return
    bar = None

    def on_read(g):
        nonlocal bar
        if show:
            bar = click.progressbar(length=g.node_count + g.link_count, label="pushing", file=sys.stderr,
                                    show_pos=True)
            bar.__enter__()

    try:
        report = run_push(resolve_db(db), s, wipe_first=wipe, batch_size=batch_size, workers=workers,
                          progress=lambda n: bar.update(n) if bar is not None else None, on_read=on_read)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    if not quiet:
        rows = [["nodes", k, v] for k, v in report.nodes_by_labels.items()]
        rows += [["links", k, v] for k, v in report.links_by_type.items()]
        write_rows(["kind", "name", "count"], rows, "table")
    secs = report.seconds.get("nodes", 0) + report.seconds.get("links", 0)
    msg = (f"pushed {report.nodes} nodes and {report.links} links to {s.where} in {secs:.1f} s "
           f"({report.links_per_second:,.0f} links/s)")
    if wipe:
        msg += f"; wiped {report.wiped_nodes} nodes and {report.wiped_links} links first"
    click.echo(msg)


def _cell(v):
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v


@cli.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "file", default=None, help="Read the query from FILE ('-' for stdin).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Parameter $NAME = VALUE (a string; use toInteger($NAME) etc. for numbers). "
                   "Never pasted into the query text.")
@click.option("--backend", type=click.Choice(["embedded", "neo4j"]), default="embedded", show_default=True,
              help="embedded: the graph in --db (LadybugDB, built by kg build); neo4j: a server (password from "
                   "NEO4J_PASSWORD).")
@db_option
@neo4j_options
@output_options
def cypher(query, file, params, backend, db, uri, user, database, fmt):
    """Run a Cypher query on the graph in --db, or with --backend neo4j on a Neo4j server.

    Write Neo4j's Cypher: on the embedded graph labels, functions and positions are translated
    (a node's label stands for its type and every subtype, as in Neo4j: (f:Fund) finds guidance
    funds too); CALL subqueries are not available there. Nodes print as their properties plus
    labels, relationships as their properties plus type, dates as ISO text; in table, csv and tsv
    output, lists and maps print as JSON. A bad query is one line naming the problem (exit 2).
    """
    text = read_text_arg(query, file, "query")
    bound = parse_params(params)
    if backend == "embedded":
        from kg.cypher.engine import open_graph, run_cypher

        cols, rows = run_cypher(open_graph(resolve_db(db)), text, bound)
    else:
        from kg.neo4j.connect import open_driver
        from kg.neo4j.cypher import run_cypher

        s = settings(uri, user, database)
        with open_driver(s) as driver:
            cols, rows = run_cypher(driver, s, text, bound)
    if fmt not in ("json", "jsonl"):
        rows = [[_cell(v) for v in r] for r in rows]
    write_rows(cols, rows, fmt)


@cli.command("neo4j-import")
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the CSV files, import.sh and schema.cypher.")
@db_option
def neo4j_import(out, db):
    """Write CSV files for neo4j-admin's offline bulk import, and the command (DIR/import.sh).

    Same labels, types, properties and values as 'kg push neo4j'. With the server stopped, run
    DIR/import.sh [DATABASE] (it runs 'neo4j-admin database import full' and replaces the
    database); start the server, then create the indexes with 'kg push neo4j --schema-only'
    (or cypher-shell -f DIR/schema.cypher).
    """
    from kg.neo4j.bulk_csv import write_import_dir

    counts = write_import_dir(resolve_db(db), out)
    write_rows(["file", "rows"], sorted(counts["files"].items()), "table")
    click.echo(f"wrote {counts['nodes']} nodes and {counts['relationships']} relationships to {out}; "
               f"import with {out / 'import.sh'}")
