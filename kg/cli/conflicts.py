"""``kg conflicts``: where the rows of the sources contradict each other in the live graph."""

from __future__ import annotations

import click

from kg.cli import cli
from kg.cli.commands import db_option, resolve_db
from kg.cli.output import output_options, write_rows

KINDS = ("shares-over-100", "cycle", "two-types", "two-shares", "two-values")


@cli.command()
@db_option
@output_options
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only conflicts of this kind (repeat for several).")
def conflicts(db, fmt, kinds):
    """Where sources disagree: one line per row involved, grouped by conflict number.

    Kinds: shares-over-100 (the shares of one owned entity sum over 100% at some date:
    rejected within one source, kept and scaled to 100% in the derived facts across sources),
    cycle (holdings whose shares do not shrink around a cycle: rejected), two-types (one entity
    given two primary types: the later row rejected), two-shares (one holding with two shares:
    kept, the derived facts take the largest), two-values (one entity with two names,
    countries, ...: kept side by side). Written by kg build as DB/conflicts.csv.
    """
    from kg.cli.labels import store_labeller
    from kg.conflicts import CONFLICT_COLUMNS, conflicts_file, read_conflicts
    from kg.rdf.store import open_store

    dbp = resolve_db(db)
    store = open_store(dbp)  # a graph must be there: the same one-line error as every reader
    rows = read_conflicts(conflicts_file(dbp))
    if kinds:
        rows = [r for r in rows if r[1] in kinds]
    write_rows(CONFLICT_COLUMNS, rows, fmt, labeller=store_labeller(store))
