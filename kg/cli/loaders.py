"""``kg loaders``: which loader reads which files (kg.loaders.registry). Registers on the shared
``cli`` group when imported (``import kg.cli.loaders``)."""

from __future__ import annotations

from kg.cli import cli
from kg.cli.output import output_options, write_rows


def loader_rows() -> list[tuple[str, str, str]]:
    """(name, what it reads, suffixes) per loader, in the order formats are detected.

    >>> [r[0] for r in loader_rows()][:2]
    ['gleif-csv', 'gleif-rdf']
    """
    from kg.loaders.registry import LOADERS

    ordered = [x for x in LOADERS if not x.fallback] + [x for x in LOADERS if x.fallback]
    return [(x.name, x.reads + (" (when no other loader recognises the file)" if x.fallback else ""),
             " ".join(x.suffixes) or "any") for x in ordered]


@cli.command()
@output_options
def loaders(fmt):
    """The source formats kg build reads: each loader's name, what it reads and its file suffixes.

    A file goes to the first loader (in this order) that claims its suffix and recognises its
    content; kg build --loader NAME forces one.
    """
    write_rows(["name", "reads", "suffixes"], loader_rows(), fmt)
