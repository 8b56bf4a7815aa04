"""Which loader reads which file: the registry behind `kg build FILE|DIR ...` and `kg loaders`.

Each source format has one loader: a name, a line saying what it reads, the file suffixes it
claims, a content check (``sniff``: given the path and the file's first bytes, is this mine?)
and a ``load`` function that adds typed records (entities, links, financial years, rejects,
file counts) to a :class:`kg.records.Records`. Loaders run in registry order; the first whose
suffixes and sniff accept a file reads it, unless ``--loader NAME`` forces one. A ``fallback``
loader (the tabular one: any table, by the file's name) is asked only after every other loader
has declined, so a format recognised by its content (a GLEIF Golden Copy CSV, an MIIT list)
wins over the generic table reader whatever the order of the lines below.

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
>>> pick(Path("lei.csv"), b'"LEI","Entity.LegalName","Entity.LegalAddress.Country"').name
'gleif-csv'
>>> pick(Path("L2Data.ttl"), b"@prefix gleif-L2: <https://www.gleif.org/ontology/L2/> .").name
'gleif-rdf'
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
    fallback: bool = False  # asked only when no other loader claims the file
    # called once after every file of the build is read, for loaders whose records depend on
    # several files (BODS: recordStatus across files)
    finish: Callable[[Records, LoadOptions], None] | None = None


def _tabular_sniff(path: Path, head: bytes) -> bool:
    return True


def _tabular_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.sources import load_tabular_file

    load_tabular_file(path, records, options)


def _bods_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.bods import load_bods

    load_bods(path, records, options, finish=False)


def _bods_finish(records: Records, options: LoadOptions) -> None:
    from kg.loaders.bods import finish_bods

    finish_bods(records, options)


def _bods_sniff(path: Path, head: bytes) -> bool:
    from kg.loaders.bods import sniff

    return sniff(path, head)


def _gleif_csv_sniff(path: Path, head: bytes) -> bool:
    from kg.loaders.gleif_csv import sniff

    return sniff(path, head)


def _ftm_load(path: Path, records: Records, options: LoadOptions) -> None:
    # imported here: followthemoney loads its whole model, which only an FtM file needs
    from kg.loaders.ftm import load_ftm

    load_ftm(path, records, options)


def _ftm_sniff(path: Path, head: bytes) -> bool:
    from kg.loaders.ftm import sniff

    return sniff(path, head)


def _gleif_csv_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.gleif_csv import load

    load(path, records, options)


def _gleif_rdf_sniff(path: Path, head: bytes) -> bool:
    return True  # every RDF file: one that is not GLEIF gets a one-line error saying what kg reads


def _gleif_rdf_load(path: Path, records: Records, options: LoadOptions) -> None:
    from kg.loaders.gleif_rdf import load

    load(path, records, options)


LOADERS: list[Loader] = [
    Loader("tabular", "tables (.csv .tsv .txt .xlsx): the canonical layout, the shipped layouts of loaders/ "
           "(MIIT lists, registry exports) recognised by their headers, or a --mapping layout",
           (".csv", ".tsv", ".txt", ".xlsx", ".xlsm"), _tabular_sniff, _tabular_load, fallback=True),
    Loader("gleif-csv", "GLEIF Golden Copy CSV: LEI records (LEI-CDF) and relationship records (RR-CDF), also zipped",
           (".csv", ".zip"), _gleif_csv_sniff, _gleif_csv_load),
    Loader("gleif-rdf", "GLEIF Level 1 and Level 2 data in RDF (gleif-L1/gleif-L2 vocabularies)",
           (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf"), _gleif_rdf_sniff, _gleif_rdf_load),
    Loader("bods", "Beneficial Ownership Data Standard 0.4 statements (.json array or package, .jsonl/.ndjson)",
           (".json", ".jsonl", ".ndjson"), _bods_sniff, _bods_load, finish=_bods_finish),
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


def claims(loader: Loader, path: Path) -> bool:
    """Whether ``loader`` reads files with the suffix of ``path`` (no suffixes: any file)."""
    return not loader.suffixes or path.suffix.lower() in loader.suffixes


def pick(path: Path, head: bytes) -> Loader | None:
    """The first loader that claims ``path`` by suffix and accepts its first bytes; fallback
    loaders only when no other does."""
    for fallback in (False, True):
        for loader in LOADERS:
            if loader.fallback == fallback and claims(loader, path) and loader.sniff(path, head):
                return loader
    return None
