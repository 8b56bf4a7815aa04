"""Which loader reads which file: the registry behind `kg build FILE|DIR ...` and `kg loaders`.

Each source format has one loader: a name, a line saying what it reads, the file suffixes it
claims, a content check (``sniff``: given the path and the file's first bytes, is this mine?)
and a ``load`` function that adds typed records (entities, links, financial years, rejects,
file counts) to a :class:`kg.records.Records`. Loaders run in registry order; the first whose
suffixes and sniff accept a file reads it, unless ``--loader NAME`` forces one.

A loader of a nested format (RDF, JSON) fills the same record tables as the tabular loader:
entity frames with the columns of ``kg.resolve.ENTITY_COLUMNS``; link frames with ``from_ref``,
``to_ref`` (an id, USCC, LEI, ticker or name that resolution looks up) and the link's ontology
columns; every frame with the provenance columns ``source`` (dataset), ``file`` (label used in
messages) and ``row`` (record number, 1-based in file order; for tables as a spreadsheet shows
it), and where the format has record identifiers ``source_record`` (e.g. a BODS statementId).

>>> [x.name for x in LOADERS][:1]
['tabular']
>>> pick(Path("entities.csv"), b"id,type,name").name
'tabular'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import InputError
from kg.records import Records

#: How many bytes of a file the sniffers see.
HEAD_BYTES = 1 << 16


@dataclass
class LoadOptions:
    """What the command line passes to loaders: ``mapping`` (tabular), ``encoding``, and
    loader parameters (``--loader-param k=v``, e.g. programme and batch of an MIIT list)."""

    mapping: object | None = None
    encoding: str | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Loader:
    name: str
    reads: str  # one line for `kg loaders`
    suffixes: tuple[str, ...]  # lower-case, with the dot; () = any
    sniff: Callable[[Path, bytes], bool]
    load: Callable[[Path, Records, LoadOptions], None]


def _tabular_sniff(path: Path, head: bytes) -> bool:
    return True


def _tabular_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.sources import load_tabular_file

    load_tabular_file(path, records, options)


def _bods_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.bods import load_bods

    load_bods(path, records, options)


def _bods_sniff(path: Path, head: bytes) -> bool:
    from kg.loaders.bods import sniff

    return sniff(path, head)


def _ftm_load(path: Path, records: Records, options: LoadOptions) -> None:
    # imported here: followthemoney loads its whole model, which only an FtM file needs
    from kg.loaders.ftm import load_ftm

    load_ftm(path, records, options)


def _ftm_sniff(path: Path, head: bytes) -> bool:
    from kg.loaders.ftm import sniff

    return sniff(path, head)


LOADERS: list[Loader] = [
    Loader("tabular", "tables (.csv .tsv .txt .xlsx) in the canonical layout or a --mapping layout",
           (".csv", ".tsv", ".txt", ".xlsx", ".xlsm"), _tabular_sniff, _tabular_load),
    Loader("bods", "Beneficial Ownership Data Standard 0.4 statements (.json array or package, .jsonl/.ndjson)",
           (".json", ".jsonl", ".ndjson"), _bods_sniff, _bods_load),
    Loader("ftm", "FollowTheMoney entities, JSON Lines as ftm/OpenSanctions/Aleph write them (.json .jsonl .ndjson .ftm .ijson)",
           (".json", ".jsonl", ".ndjson", ".ftm", ".ijson"), _ftm_sniff, _ftm_load),
]


def by_name(name: str) -> Loader:
    """The loader called ``name`` (for ``--loader``)."""
    for loader in LOADERS:
        if loader.name == name:
            return loader
    raise InputError(f"unknown loader {name!r}; expected one of {', '.join(x.name for x in LOADERS)} (see kg loaders)")


def known_suffixes() -> set[str]:
    """Suffixes some loader claims (what a folder is searched for)."""
    return {s for loader in LOADERS for s in loader.suffixes}


def pick(path: Path, head: bytes) -> Loader | None:
    """The first loader that claims ``path`` by suffix and accepts its first bytes."""
    suffix = path.suffix.lower()
    for loader in LOADERS:
        if (not loader.suffixes or suffix in loader.suffixes) and loader.sniff(path, head):
            return loader
    return None
