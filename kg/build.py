"""The build: sources -> loaders -> records -> resolve -> derive -> store.

>>> import tempfile, pathlib
>>> from kg.resources import resource_path
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> report = build([resource_path("data", "sample")], db)
>>> report.rejected, report.triples > 1000
(0, True)
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg import __version__
from kg.errors import InputError
from kg.loaders.mapping import Mapping, load_mapping
from kg.loaders.sources import load_sources
from kg.rdf import nquads
from kg.rdf.store import build_store, open_store
from kg.records import Reject, write_rejects
from kg.resolve import resolve


class StrictRejects(InputError):
    """Rows were rejected under --strict; ``report`` says which. The live graph is untouched."""

    def __init__(self, message: str, report: BuildReport):
        super().__init__(message)
        self.report = report


@dataclass
class BuildReport:
    db: Path
    files: list[tuple[str, str, int, int]] = field(default_factory=list)  # file, table, loaded, rejected
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entities: int = 0
    links: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return len({(r.file, r.row) for r in self.rejects})


def build(
    sources: list[Path],
    db: Path,
    *,
    mapping: Mapping | None = None,
    encoding: str | None = None,
    strict: bool = False,
    derive: bool = True,
    stage: Callable[[str], None] | None = None,
    as_of: dt.date | None = None,
    floor: float | None = None,
    loader: str | None = None,
    loader_params: dict[str, str] | None = None,
) -> BuildReport:
    """Build the graph from ``sources`` into the database folder ``db``.

    With ``strict`` any rejected row raises InputError and leaves the live store untouched.
    Derived facts hold at ``as_of`` (default today) and keep integrated shares >= ``floor``.
    ``loader`` forces one loader for every file (else each file's format is detected);
    ``loader_params`` are passed to the loaders (kg.loaders.registry.LoadOptions.params).
    """
    stage = stage or (lambda name: None)
    mapping = mapping or load_mapping()
    report = BuildReport(db=db)
    t0 = time.perf_counter()

    stage("load")
    records = load_sources(list(sources), mapping, encoding, loader=loader, params=loader_params)
    t1 = time.perf_counter()
    report.seconds["load"] = t1 - t0

    stage("resolve")
    resolved = resolve(records)
    records.rejects.extend(resolved.rejects)
    t2 = time.perf_counter()
    report.seconds["resolve"] = t2 - t1

    report.files = records.counts()
    report.rejects = records.rejects
    report.warnings = records.warnings
    report.entities = len(resolved.entities)
    report.links = {k: len(v) for k, v in resolved.links.items()}
    report.links["REPORTED"] = len(resolved.financials)
    write_rejects(records.rejects, db / "rejects.csv")
    if strict and records.rejects:
        first = min(records.rejects, key=lambda r: (r.file, r.row))
        raise StrictRejects(
            f"{report.rejected} row(s) rejected with --strict; the graph in {db} was left as it was. "
            f"First: {first.line()} (all in {db / 'rejects.csv'})",
            report,
        )

    chunks = [nquads.static_nquads()]
    derived_chunks = []
    derived_as_of = None
    if derive:
        stage("derive")
        from kg.derive.facts import derive as run_derive

        derived = run_derive(resolved, as_of=as_of, **({} if floor is None else {"floor": floor}))
        derived_as_of = derived.as_of.isoformat()
        derived_chunks = ["".join(q.tolist()) for q in nquads.derived_quads(derived) if len(q)]
    t3 = time.perf_counter()
    report.seconds["derive"] = t3 - t2

    stage("store")
    meta = {
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kg_version": __version__,
        "sources": [str(s) for s in sources],
        "mapping": mapping.name,
        "loader": loader,
        "loader_params": dict(loader_params or {}),
        "files": report.files,
        "entities": report.entities,
        "links": report.links,
        "derived_as_of": derived_as_of,
    }
    meta["seconds"] = report.seconds
    build_store(db, _chain(chunks, nquads.resolved_nquads(resolved), derived_chunks), meta)
    report.triples = len(open_store(db))
    report.seconds["store"] = time.perf_counter() - t3
    (db / "build.json").write_text(json.dumps({**meta, "triples": report.triples}, indent=2, ensure_ascii=False, default=str),
                                   encoding="utf-8")
    return report


def _chain(*iterables):
    for it in iterables:
        yield from it
