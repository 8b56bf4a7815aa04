"""``kg export`` and ``kg viz``: a subgraph to a file (one format per module in kg/export/) or
to an HTML page / SVG / PNG diagram (kg/viz/).

Both take the same selection (kg.subgraph): ``--around REF`` (an IRI, id, USCC, LEI, ticker or
name) or ``--from-query NAME -p k=v`` (the entities of a canned query's rows), ``--hops``,
``--direction``, ``--links``, ``--as-of``, ``--min-share`` and ``--limit``. Registers on the
shared ``cli`` group when imported (``import kg.cli.export``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli import cli
from kg.cli.commands import db_option, parse_params, resolve_db
from kg.errors import InputError, KgError
from kg.export import FORMATS


def selection_options(f):
    """The subgraph selection options shared by ``kg export`` and ``kg viz``.

    >>> @click.command()
    ... @selection_options
    ... def show(**kw):
    ...     click.echo(sorted(kw))
    >>> from click.testing import CliRunner
    >>> CliRunner().invoke(show, ["--around", "x"]).output.strip()
    "['around', 'as_of', 'direction', 'from_query', 'hops', 'limit', 'links', 'min_share', 'params']"
    """
    from kg.subgraph import DEFAULT_LINKS, DIRECTIONS

    opts = [
        click.option("--around", "around", metavar="REF", default=None,
                     help="The entity to start from: an IRI, id, USCC, LEI, ticker or name "
                          "(an ambiguous name lists the candidates)."),
        click.option("--from-query", "from_query", metavar="NAME", default=None,
                     help="Start from the entities in the rows of canned query NAME (see kg query list)."),
        click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
                     help="A parameter of --from-query's query (repeatable)."),
        click.option("--hops", type=click.IntRange(min=0), default=2, show_default=True,
                     help="How many links away from the start to go."),
        click.option("--direction", type=click.Choice(DIRECTIONS), default="both", show_default=True,
                     help="up: towards owners and funders; down: towards what is owned or funded."),
        click.option("--links", "links", metavar="TYPES", default=",".join(DEFAULT_LINKS), show_default=True,
                     help="Comma-separated relationship types to follow (CONTROLS and ULTIMATELY_OWNS "
                          "are the derived ones)."),
        click.option("--as-of", "as_of", metavar="DATE", default=None,
                     help="Leave out links not valid on DATE (YYYY-MM-DD, YYYY-MM or YYYY = end of period)."),
        click.option("--min-share", "min_share", metavar="SHARE", default=None,
                     help="Leave out ownership links below SHARE (0.25, 25% or 25)."),
        click.option("--limit", type=click.IntRange(min=1), default=500, show_default=True,
                     help="At most this many entities; says what was cut."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _selection(hops, direction, links, as_of, min_share, limit):
    from kg.subgraph import Selection, parse_as_of, parse_links, parse_min_share

    return Selection(hops=hops, direction=direction, links=parse_links(links), as_of=parse_as_of(as_of),
                     min_share=parse_min_share(min_share), limit=limit)


def build_subgraph(store, around, from_query, params, selection, query_dirs=()):
    """The subgraph a command's options select (``--around`` or ``--from-query``).

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> from kg.subgraph import Selection
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
    >>> len(build_subgraph(open_store(db), "sub", None, (), Selection(hops=1, links=("OWNS",))).nodes)
    2
    """
    from kg.subgraph import around as around_ref
    from kg.subgraph import select

    if (around is None) == (from_query is None):
        raise InputError("give either --around REF or --from-query NAME (not both)")
    if params and from_query is None:
        raise InputError("-p/--param goes with --from-query NAME")
    if around is not None:
        return around_ref(store, around, selection)
    iris = query_entities(store, from_query, parse_params(params), selection, query_dirs)
    return select(store, iris, selection)


def query_entities(store, name, params, selection, query_dirs=()):
    """The entity IRIs in the rows of a canned query (for ``--from-query``).

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> from kg.subgraph import Selection
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
    >>> "https://w3id.org/accelerator-kg/id/entity/sasac" in query_entities(
    ...     open_store(db), "ultimate-owners", {"ref": "sub"}, Selection())
    True
    """
    try:
        from kg.queries import entity_iris, get_query, run_query
    except ImportError as e:  # pragma: no cover - the catalog ships with kg
        raise KgError(f"query catalog not available ({e})") from None
    query = get_query(name, query_dirs)
    cols, rows = run_query(store, query, params, selection.as_of)
    iris = entity_iris(cols, rows, query)
    if not iris:
        raise InputError(f"query {name} returned {len(rows)} row(s) with no entity in them; nothing to export")
    return iris


def _write_bytes(data: bytes, output: str) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(output)
    if path.is_dir():
        raise InputError(f"-o {output} is a folder; give a file name")
    if path.parent and not path.parent.exists():
        raise InputError(f"-o {output}: folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _summary(sub) -> str:
    msg = f"{len(sub.nodes)} nodes, {sub.link_count()} links"
    return msg + (f" ({sub.truncated})" if sub.truncated else "")


@cli.command()
@selection_options
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True,
              help="Output format (see docs/exports.md); neo4j-import writes the whole graph.")
@click.option("-o", "--output", "output", metavar="FILE", required=True,
              help="Output file ('-' for stdout); a folder for csv and neo4j-import.")
@db_option
def export(around, from_query, params, hops, direction, links, as_of, min_share, limit, fmt, output, db):
    """Export the subgraph around an entity (or a query's entities) to a file.

    \b
    kg export --around leaderdrive --format graphml -o leaderdrive.graphml
    kg export --around siasun --hops 3 --direction down --links OWNS --format gexf -o siasun.gexf
    kg export --around 300024 --as-of 2021-12-31 --format ttl -o -
    kg export --around qingyun-group --format csv -o qingyun/
    kg export --from-query little-giant-subsidiaries --hops 1 --format bods -o lg.json
    kg export --format neo4j-import -o import/      (the whole graph, for neo4j-admin)

    Formats: graphml, gexf (1.3, dynamic), ttl, nt, nq (named graphs), jsonld, json (the
    graph as kg viz draws it), csv (nodes.csv + edges.csv), cypher (a script for
    cypher-shell or Neo4j Browser), bods (Beneficial Ownership Data Standard 0.4), ftm
    (FollowTheMoney JSON lines), neo4j-import.
    """
    from kg.export import export_subgraph, export_whole
    from kg.rdf.store import open_store

    spec = FORMATS[fmt]
    if spec.whole:  # read from the graph tables, not the store
        if around is not None or from_query is not None:
            raise InputError(f"--format {fmt} exports the whole graph; leave out --around / --from-query")
        counts = export_whole(resolve_db(db), fmt, output)
        click.echo(f"wrote {output}: {counts}", err=True)
        return
    if spec.folder and output == "-":
        raise InputError(f"--format {fmt} writes a folder; give -o DIR, not -")
    store = open_store(resolve_db(db))
    sel = _selection(hops, direction, links, as_of, min_share, limit)
    sub = build_subgraph(store, around, from_query, params, sel)
    if spec.folder:
        counts = export_subgraph(sub, fmt, Path(output))
        click.echo(f"wrote {output}: {', '.join(f'{k} {v}' for k, v in counts.items())}; {_summary(sub)}", err=True)
        return
    from kg.export import render

    _write_bytes(render(sub, fmt), output)
    if output != "-":
        click.echo(f"wrote {output}: {_summary(sub)}", err=True)
    elif sub.truncated:
        click.echo(f"note: {sub.truncated}", err=True)


VIZ_FORMATS = ("html", "svg", "png")
VIZ_SUFFIXES = {".html": "html", ".htm": "html", ".svg": "svg", ".png": "png"}


def _viz_format(fmt: str | None, output: str) -> str:
    """The view's format: --format if given, else from the -o suffix; without --format a suffix
    kg viz does not write (x.pdf) is refused rather than filled with HTML.

    >>> _viz_format(None, "a.SVG"), _viz_format("html", "a.out"), _viz_format(None, "-")
    ('svg', 'html', 'html')
    >>> _viz_format(None, "a.pdf")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: -o a.pdf: kg viz writes .html, .svg or .png, not .pdf; name the file with one of those, or say --format
    """
    from kg.cli.output import format_for_output

    return format_for_output(fmt, output, VIZ_SUFFIXES, "kg viz", ".html, .svg or .png")


@cli.command()
@selection_options
@click.option("--format", "fmt", type=click.Choice(VIZ_FORMATS), default=None,
              help="html (interactive, self-contained), svg or png (static, needs Graphviz); "
                   "default from the -o suffix (.html, .svg, .png; another suffix needs --format), html for -.")
@click.option("-o", "--output", "output", metavar="FILE", required=True,
              help="Output file ('-' for stdout), e.g. leaderdrive.html.")
@click.option("--title", default=None, help="Page / diagram title (default: the start entity's name).")
@db_option
def viz(around, from_query, params, hops, direction, links, as_of, min_share, limit, fmt, output, title, db):
    """Draw the subgraph around an entity: an interactive HTML page or an SVG / PNG diagram.

    \b
    kg viz --around leaderdrive -o leaderdrive.html
    kg viz --around junli-logistics --direction up --links OWNS -o owners.svg
    kg viz --around qingyun-group --as-of 2019-12-31 --format png -o qingyun-2019.png

    The page has no network dependencies (scripts inlined): owners above what they own,
    colours by type, red borders for state-controlled entities, share and amount labels,
    certification badges, a date slider, search and a details panel with sources.
    """
    from kg.export.graph import graph_dict
    from kg.rdf.store import open_store

    fmt = _viz_format(fmt, output)
    store = open_store(resolve_db(db))
    sel = _selection(hops, direction, links, as_of, min_share, limit)
    sub = build_subgraph(store, around, from_query, params, sel)
    graph = graph_dict(sub)
    title = title or _title(sub)
    if fmt == "html":
        from kg.viz import render_html

        data = render_html(graph, title=title, as_of=sel.as_of.isoformat() if sel.as_of else None).encode("utf-8")
    else:
        from kg.viz import GraphvizNotFound, render_static

        try:
            data = render_static(graph, fmt, title=title)
        except GraphvizNotFound as e:
            raise KgError(str(e)) from None
    _write_bytes(data, output)
    if output != "-":
        click.echo(f"wrote {output}: {_summary(sub)}", err=True)
    elif sub.truncated:
        click.echo(f"note: {sub.truncated}", err=True)


def _title(sub) -> str:
    names = [sub.display_name(f) for f in sub.focus[:3]]
    more = f" and {len(sub.focus) - 3} more" if len(sub.focus) > 3 else ""
    hops = sub.selection.hops
    return f"{', '.join(names)}{more}: {hops} hop{'s' if hops != 1 else ''}" + (
        f", as of {sub.selection.as_of.isoformat()}" if sub.selection.as_of else "")
