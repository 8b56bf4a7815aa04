"""``kg mapping check FILE.yaml``: is a loader mapping right, without building (docs/mapping.md)."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli import cli


@cli.group()
def mapping():
    """Loader mappings: how a table layout maps to the graph (docs/mapping.md)."""


@mapping.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def check(file):
    """Check a mapping FILE against the mapping language and the ontology, without building.

    Prints its tables and the records each row makes; a mistake is one line naming the file and
    the key (exit 2).
    """
    from kg.loaders.mapping import load_mapping

    m = load_mapping(file)
    for t in m.tables.values():
        made = ", ".join(o.link or f"{o.kind} {o.label or ''}".strip() for o in t.outputs)
        click.echo(f"{t.name}: {len(t.columns)} columns -> {made}; recognised by {', '.join(t.identify_by) or 'its file name'}")
    click.echo(f"{file.name}: mapping {m.name!r} is valid ({len(m.tables)} table(s))")
