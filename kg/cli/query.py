"""``kg query list | show | run`` (the canned-query catalog) and ``kg owners REF``.

Registers on the shared ``cli`` group when imported (``import kg.cli.query``).

Query folders: the shipped ``queries/``, the folders named by the config file (``$KG_CONFIG``,
else ``./kg.toml``, else ``~/.config/accelerator-kg/config.toml``: ``queries = "DIR"`` or a
list), and ``--queries DIR`` (repeatable); a later folder's query replaces a shipped one of
the same name.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import textwrap
from pathlib import Path

import click

from kg.cli import cli
from kg.cli.options import db_option, neo4j_options, parse_params, resolve_db
from kg.cli.output import is_terminal, output_options, safe_text, write_json, write_rows
from kg.errors import InputError


def queries_option(f):
    """``--queries DIR`` (repeatable): more folders of NAME.rq / NAME.cypher files."""
    return click.option(
        "--queries", "query_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
        help="A folder of your own NAME.rq / NAME.cypher queries (repeatable; also 'queries = \"DIR\"' "
             "in $KG_CONFIG, ./kg.toml or ~/.config/accelerator-kg/config.toml).",
    )(f)


def _as_of(text: str | None) -> dt.date | None:
    from kg.queries.params import parse_as_of_option

    return parse_as_of_option(text)


@cli.group()
def query() -> None:
    """Canned queries: list them, show one, run one on the embedded store or on Neo4j.

    \b
    kg query list
    kg query show little-giant-subsidiaries
    kg query run financing-intensity -p batches=1,2 -p total=true --as-of 2021-12-31
    kg query run state-capital-flows -p source=mof --backend neo4j
    """


@query.command("list")
@queries_option
@output_options
def list_queries(query_dirs, fmt):
    """The queries of the catalog, with their parameters and where they come from."""
    from kg.queries.catalog import load_catalog

    cat = load_catalog(query_dirs)
    rows = []
    for q in cat.values():
        params = ", ".join(n for n in q.params if n != "as_of")
        rows.append([q.name, q.summary, params, ",".join(q.backends), q.origin])
    write_rows(["name", "summary", "params", "backends", "origin"], rows, fmt)
    for q in cat.values():
        for p in q.problems:
            click.echo(f"warning: {p}", err=True)


@query.command("show")
@click.argument("name")
@click.option("--sparql", "only", flag_value="sparql", help="Print only the SPARQL text (e.g. for 'kg sparql -f -').")
@click.option("--cypher", "only", flag_value="cypher", help="Print only the Cypher text (e.g. for 'kg cypher -f -').")
@queries_option
def show_query(name, only, query_dirs):
    """What a query does: description, parameters (type, default), columns and its texts."""
    from kg.queries.catalog import get_query

    q = get_query(name, query_dirs)
    if only:
        text = q.sparql if only == "sparql" else q.cypher
        if text is None:
            raise InputError(f"query {name} has no {'SPARQL' if only == 'sparql' else 'Cypher'} version")
        click.echo(text, nl=not text.endswith("\n"))
        return
    out = [f"{q.name}: {q.summary}", ""]
    if q.description:
        out += [q.description, ""]
    out.append("parameters (-p NAME=VALUE):")
    width = max(len(n) for n in q.params)
    for n, s in q.params.items():
        line = f"  {n:<{width}}  {s.type_text}, default {s.default_text}"
        if n == "as_of":
            line += " (also --as-of)"
        out.append(line)
        if s.description:
            out += textwrap.wrap(s.description, 96, initial_indent=" " * (width + 6), subsequent_indent=" " * (width + 6))
    if q.cohort:
        from kg.queries.catalog import cohort_description
        from kg.queries.cohort import COHORT_PARAMS

        when = "" if q.cohort == "required" else ", only when one of them is given (else every firm)"
        out += ["", f"cohort ({', '.join(COHORT_PARAMS)}: the same in every query that selects certified firms{when}):"]
        out += ["  " + ln if ln else "" for ln in cohort_description().splitlines()]
    out += ["", f"columns: {', '.join(q.columns)}"]
    for p, cols in q.columns_when.items():
        out.append(f"columns with {p}=true: {', '.join(cols)}")
    out.append(f"backends: {', '.join(q.backends)}  ({q.origin})")
    for path in (q.sparql_path, q.cypher_path):
        if path is not None:
            out.append(f"  {path}")
    for p in q.problems:
        out.append(f"warning: {p}")
    click.echo("\n".join(out))


@query.command("run")
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the query (see 'kg query show NAME'); typed and checked, never pasted into the query text.")
@click.option("--backend", type=click.Choice(["sparql", "cypher", "neo4j", "embedded"]), default=None,
              help="cypher: the query's Cypher on the graph in --db (embedded LadybugDB); sparql: its SPARQL on the "
                   "graph in --db (embedded Oxigraph; 'embedded' is the same); neo4j: its Cypher on the server "
                   "(password from NEO4J_PASSWORD). Default: cypher where the query has a Cypher version and the "
                   "graph an embedded Cypher database (the faster at scale: docs/benchmarks.md), else sparql.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Evaluate at this date (default today); YYYY-MM-DD, or YYYY / YYYY-MM for the period's last day.")
@db_option
@queries_option
@neo4j_options
@output_options
def run_query_cmd(name, params, backend, as_of, db, query_dirs, uri, user, database, fmt):
    """Run a canned query by NAME and print its rows.

    Unknown parameters and bad values stop with exit 2, saying what is accepted. A reference
    parameter (a firm, a fund) takes an id, USCC, LEI, ticker or name; an ambiguous name
    lists the candidates.
    """
    from kg.queries.catalog import get_query
    from kg.queries.run import prepare, run_prepared

    q = get_query(name, query_dirs)
    backend = "sparql" if backend == "embedded" else backend or _default_backend(q, resolve_db(db))
    if backend in ("neo4j", "cypher") and q.cypher is None:
        raise InputError(f"query {name} has no Cypher version ({name}.cypher); run it with --backend sparql")
    if backend == "sparql" and q.sparql is None:
        raise InputError(f"query {name} has no SPARQL version ({name}.rq); run it with --backend neo4j")
    given = parse_params(params)
    day = _as_of(as_of)

    def go(b):
        from kg.queries.explain import explain

        values = prepare(q, given, day, b)
        cols, rows = run_prepared(b, q, values)
        why = explain(b, q, values, cols, rows)
        if why:
            click.echo(f"note: {safe_text(why)}", err=True)
        return cols, rows

    labeller = None  # names for entity IRIs in a table on a terminal (kg.cli.labels)
    if backend == "neo4j":
        from kg.cli.neo4j import settings
        from kg.queries.run import neo4j_backend

        s = settings(uri, user, database)
        with neo4j_backend(s) as b:
            cols, rows = go(b)
    elif backend == "cypher":
        from kg.cli.labels import cypher_labeller
        from kg.cypher.backend import CypherBackend

        b = CypherBackend.open(resolve_db(db))
        cols, rows = go(b)
        labeller = cypher_labeller(b.graph)
    else:
        from kg.cli.labels import store_labeller
        from kg.queries.run import as_backend

        b = as_backend(resolve_db(db))
        cols, rows = go(b)
        labeller = store_labeller(b.store)
    if fmt not in ("json", "jsonl"):
        rows = [[json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for v in r] for r in rows]
    write_rows(cols, rows, fmt, labeller=labeller)


def _default_backend(q, db) -> str:
    """cypher when the query has a Cypher version and the live graph an embedded Cypher
    database (a graph built by an earlier kg has none), else sparql."""
    from kg.cypher.engine import DB_FILE, cypher_dir
    from kg.dbfolder import live_generation

    if q.cypher is None:
        return "sparql"
    gen = live_generation(db)
    return "cypher" if gen is not None and (cypher_dir(gen) / DB_FILE).exists() else "sparql"


@cli.command()
@click.argument("ref")
@click.option("--as-of", "as_of", default=None, metavar="DATE", help="Holdings valid at this date (default today).")
@click.option("--depth", type=click.IntRange(1, 100), default=10, show_default=True, help="How many levels of owners to show.")
@db_option
@output_options
def owners(ref, as_of, depth, db, fmt):
    """The ownership tree above REF (an id, USCC, LEI, ticker or name).

    Each owner is shown with its direct share of the entity below it, its integrated (direct +
    indirect) share of REF, and marks: 'controls' (it controls REF: over 50% directly or
    through firms it controls) and 'state' (a state entity or state-controlled). Shares and
    control are computed for --as-of from the holdings valid then. --format json gives the
    tree as nested objects; csv, tsv and jsonl one row per owner link.
    """
    from kg.queries.owners import FLAT_COLUMNS, flatten, owner_tree, render_tree, tree_json
    from kg.queries.refs import EmbeddedLookup, resolve_ref
    from kg.rdf.store import open_store

    store = open_store(resolve_db(db))
    iri = resolve_ref(EmbeddedLookup(store), ref)
    tree = owner_tree(store, iri, _as_of(as_of) or dt.date.today(), max_depth=depth)
    if fmt == "table" and is_terminal(sys.stdout):
        from kg.cli.readable import console_for, print_owner_tree

        print_owner_tree(tree, console_for(sys.stdout))
    elif fmt == "table":
        click.echo(safe_text(render_tree(tree), keep_tab_newline=True))
    elif fmt == "json":
        write_json(tree_json(tree))
    else:
        write_rows(FLAT_COLUMNS, flatten(tree), fmt)
