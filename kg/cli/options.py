"""Options and parameters shared by several ``kg`` commands (kept apart from the commands, so
a command module imports them without importing every other command: ``kg query run`` starts
without pandas, the RDF store or the Neo4j driver)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.errors import InputError


def db_option(f):
    """``--db PATH``: the database folder (default $KG_DB, else ./kg-data)."""
    return click.option(
        "--db", "db", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Database folder (default: $KG_DB, else ./kg-data).",
    )(f)


def resolve_db(db: Path | None) -> Path:
    from kg.rdf.store import default_db

    return db or default_db()


def read_text_arg(query: str | None, file: str | None, what: str) -> str:
    """A query from the argument, or from -f FILE ('-' = stdin)."""
    if (query is None) == (file is None):
        raise InputError(f"give the {what} either as an argument or with -f FILE (not both)")
    if file is None:
        return query
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as e:
        raise InputError(f"{file}: cannot read ({e.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(f"{'stdin' if file == '-' else file}: byte {e.start} (line {line}) is not UTF-8; "
                         f"a {what} file must be UTF-8 text") from None


def parse_params(params: tuple[str, ...], example: str = "-p firm=leaderdrive") -> dict[str, str]:
    """``-p name=value`` pairs into a dict (values stay text, and must be UTF-8).

    A byte that is not UTF-8 reaches Python as a lone surrogate (``\\udcff`` for 0xff):

    >>> parse_params(("firm=leaderdrive",))
    {'firm': 'leaderdrive'}
    >>> parse_params(("firm=a\\udcffb",))
    Traceback (most recent call last):
    ...
    kg.errors.InputError: parameter 'firm': value 'a\\xffb' has byte 0xff at character 2, which is not UTF-8; -p values must be UTF-8 text
    """
    out: dict[str, str] = {}
    for p in params:
        if "=" not in p:
            raise InputError(f"parameter {p!r} is not name=value; expected e.g. {example}")
        k, v = p.split("=", 1)
        k = k.strip().lstrip("?$")
        if not k.replace("_", "a").isalnum():
            raise InputError(f"parameter name {k!r} is not a variable name; expected letters, digits and _")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError as e:
            bad = v[e.start]
            what = f"byte 0x{ord(bad) - 0xDC00:02x}" if "\udc80" <= bad <= "\udcff" else f"U+{ord(bad):04X}"
            shown = v.encode("utf-8", "surrogateescape" if what.startswith("byte") else "backslashreplace")
            shown = shown.decode("utf-8", "backslashreplace")
            raise InputError(f"parameter {k!r}: value '{shown}' has {what} at character {e.start + 1}, "
                             "which is not UTF-8; -p values must be UTF-8 text") from None
        out[k] = v
    return out


def neo4j_options(f):
    """``--uri``, ``--user`` and ``--database`` (from NEO4J_URI / NEO4J_USER / NEO4J_DATABASE).

    >>> @click.command()
    ... @neo4j_options
    ... def show(uri, user, database):
    ...     print(uri, user, database)
    >>> show.main([], standalone_mode=False, default_map=None)  # doctest: +SKIP
    bolt://localhost:7687 neo4j None
    """
    from kg.neo4j.connect import DEFAULT_URI, DEFAULT_USER

    f = click.option("--database", envvar="NEO4J_DATABASE", default=None, show_envvar=True,
                     help="Database name (default: the server's default database).")(f)
    f = click.option("--user", envvar="NEO4J_USER", default=DEFAULT_USER, show_default=True, show_envvar=True,
                     help="Neo4j user.")(f)
    f = click.option("--uri", envvar="NEO4J_URI", default=DEFAULT_URI, show_default=True, show_envvar=True,
                     help="Bolt URI of the server: bolt://, neo4j:// (+s, +ssc for TLS); no user or password in it.")(f)
    return f
