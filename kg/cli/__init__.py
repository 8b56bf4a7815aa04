"""The ``kg`` command line.

Errors print one line and exit 2 (bad input or usage) or 1 (failure); ``--debug`` shows the
traceback instead.
"""

from __future__ import annotations

import os
import sys

import click

from kg import __version__
from kg.errors import InputError, KgError

#: Commands whose module is imported alone when one of them is run (``kg query run`` need not
#: import the modules of every other command: pandas, the RDF store, the Neo4j driver); any
#: other command, or a listing of the commands, imports them all (kg.cli.commands).
_LIGHT = {"query": "kg.cli.query", "owners": "kg.cli.query"}


class KgGroup(click.Group):
    """Turns known errors into one line and an exit code unless --debug is given; registers
    the commands when they are first asked for (:data:`_LIGHT`)."""

    def get_command(self, ctx: click.Context, name: str):
        if name not in self.commands:
            import importlib

            importlib.import_module(_LIGHT.get(name, "kg.cli.commands"))
            if name not in self.commands:
                import kg.cli.commands  # noqa: F401  (registers every command)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        import kg.cli.commands  # noqa: F401  (registers every command)

        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            # the reader went away (`kg stats | head`): stop quietly, as Unix tools do; point
            # stdout at /dev/null so Python's flush at exit does not complain again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as e:  # noqa: BLE001 - the top-level boundary
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from kg.cli.output import safe_text

            code, msg = classify(e)
            click.echo(f"Error: {safe_text(msg, keep_tab_newline=True)}", err=True)  # a value may hold ESC, BEL
            ctx.exit(code)


def classify(e: Exception) -> tuple[int, str]:
    """Exit code and one-line message for an exception."""
    from kg.loaders.mapping import MappingError
    from kg.rdf.store import StoreError
    from kg.sources.tabular import SourceError

    if isinstance(e, KgError):
        return e.exit_code, str(e)
    if isinstance(e, (SourceError, MappingError)):
        return InputError.exit_code, str(e)
    if isinstance(e, StoreError):
        return 1, str(e)
    if isinstance(e, KeyboardInterrupt):
        return 1, "interrupted"
    first = str(e).splitlines()[0] if str(e) else ""
    return 1, f"{type(e).__name__}: {first} (run with --debug for the traceback)"


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kg")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """accelerator-kg: a knowledge graph of China's state-backed high-tech firms.

    Build the graph from spreadsheets (kg build), see what is in it (kg stats, kg validate),
    query it with SPARQL or canned queries, push it to Neo4j, export subgraphs and view
    ownership networks.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    """Entry point of the ``kg`` console script (commands are registered when first asked for:
    :meth:`KgGroup.get_command`)."""
    try:
        cli.main(prog_name="kg", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("Error: interrupted", err=True)
        sys.exit(1)
