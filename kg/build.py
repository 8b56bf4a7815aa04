"""The build: sources -> loaders -> records -> resolve -> derive -> tables -> store.

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
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg import __version__, incremental
from kg.build_checks import counts_by_source, nothing_read, shrinkage
from kg.conflicts import conflicts_file, find_conflicts, write_conflicts
from kg.dbfolder import (
    GENERATION_MARKER,
    discard,
    live_generation,
    new_generation,
    publish,
    remove_stale,
    writer_lock,
)
from kg.errors import InputError
from kg.loaders.cache import LoadCache
from kg.loaders.mapping import Mapping, load_mapping
from kg.loaders.sources import Progress, file_keys, load_sources
from kg.memory import release_memory
from kg.rdf import sink
from kg.rdf.store import build_info
from kg.records import Reject, write_rejects
from kg.resolve import resolve
from kg.tables.append import CannotAppend
from kg.tables.read import TABLES_DIR, open_tables, tables_dir
from kg.tables.view import iter_graph
from kg.tables.write import TablesWriter


class BuildRefused(InputError):
    """The build read its sources but will not replace the live graph, which is untouched;
    ``report`` says what it read and rejected."""

    def __init__(self, message: str, report: BuildReport):
        super().__init__(message)
        self.report = report


class StrictRejects(BuildRefused):
    """Rows were rejected under --strict; ``report`` says which."""


@dataclass
class BuildReport:
    db: Path
    files: list[tuple[str, str, int, int]] = field(default_factory=list)  # file, table, loaded, rejected
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entities: int = 0
    links: dict[str, int] = field(default_factory=dict)
    triples: int | None = 0  # None: the RDF store is loaded after the build (store "background" or "later")
    store: str = "now"  # when the RDF store is loaded (kg.rdf.sink.MODES)
    seconds: dict[str, float] = field(default_factory=dict)
    added_files: int = 0  # an incremental build (kg.incremental): the files it added to the live graph

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
    wait: bool = False,
    replace: bool = False,
    confirm: Callable[[str], bool] | None = None,
    on_wait: Callable[[str], None] | None = None,
    loader: str | None = None,
    loader_params: dict[str, str] | None = None,
    progress: Progress | None = None,
    store: str | None = None,
    cache: bool = True,
) -> BuildReport:
    """Build the graph from ``sources`` into the database folder ``db``.

    One build at a time holds ``db`` (another raises LockHeld, or with ``wait`` waits, calling
    ``on_wait(holder)``). The build writes a new generation of ``db`` and makes it live only
    when it is whole: with ``strict`` any rejected row raises InputError, a build that reads no
    table raises InputError, and one that keeps less than half of what the live graph has from
    a source raises InputError unless ``replace`` is set or ``confirm(question)`` says yes; each
    leaves the live graph as it was. Derived facts are stored with the period each holds for
    (kg.derive.timeline) and keep integrated shares >= ``floor``; ``as_of`` is deprecated and
    ignored (a warning says so). ``loader`` forces one loader for every file (else each
    file's format is detected); ``loader_params`` are passed to the loaders
    (kg.loaders.registry.LoadOptions.params). ``stage(name)`` hears of each stage as it starts,
    ``progress(stage, done, total, note)`` of the counts within the long ones (kg build's bars).
    ``store`` says when the RDF store is loaded from the graph tables (kg.rdf.sink.MODES; default
    ``$KG_STORE`` else ``background``): in the build, by a background process started once the build is
    live, or by the first command that needs it. With ``cache`` (default) a source file read
    by an earlier build with the same bytes, loader, mapping and options comes from the load
    cache in ``db`` (kg.loaders.cache) instead of being read again.
    """
    store = store or sink.default_mode()
    if store not in sink.MODES:
        raise ValueError(f"store must be one of {', '.join(sink.MODES)}, not {store!r}")
    with writer_lock(db, wait=wait, on_wait=on_wait) as lock:
        remove_stale(db)  # what builds killed before left behind: nothing else writes now
        gen = new_generation(db)
        load_cache = LoadCache.of_db(db) if cache else None
        try:
            report = _build_generation(sources, db, gen, mapping=mapping, encoding=encoding, strict=strict,
                                       derive=derive, stage=stage, as_of=as_of, floor=floor,
                                       replace=replace, confirm=confirm, loader=loader,
                                       loader_params=loader_params, progress=progress, store=store,
                                       load_cache=load_cache)
        except BuildRefused:
            discard(gen, keep=("rejects.csv",))  # the report the error names stays until the next build
            raise
        except BaseException:
            discard(gen)
            raise
        finally:
            if load_cache is not None:
                load_cache.stop()  # the files still being stored beside a build that stopped
        publish(db, gen)
        remove_stale(db)
        if store == "background":
            sink.spawn(gen)
    if lock.took_over:
        report.warnings.append(f"took over the lock of {db} from {lock.took_over}, which had ended without releasing it")
    return report


def _build_generation(
    sources: list[Path],
    db: Path,
    gen: Path,
    *,
    mapping: Mapping | None,
    encoding: str | None,
    strict: bool,
    derive: bool,
    stage: Callable[[str], None] | None,
    as_of: dt.date | None,
    floor: float | None,
    replace: bool,
    confirm: Callable[[str], bool] | None,
    loader: str | None = None,
    loader_params: dict[str, str] | None = None,
    progress: Progress | None = None,
    store: str = "now",
    load_cache: LoadCache | None = None,
) -> BuildReport:
    """The build's stages, writing into the generation folder ``gen`` of ``db`` (``load_cache``:
    the load cache, None for none)."""
    stage = stage or (lambda name: None)
    mapping = mapping or load_mapping()
    report = BuildReport(db=db)
    t0 = time.perf_counter()

    stage("load")
    keys, skipped = file_keys(list(sources), mapping, encoding, loader=loader, params=loader_params)
    since = None
    if load_cache is not None:  # the live build's sources, unchanged, and new files: read and add only those
        try:
            return _build_increment(incremental.plan(live_generation(db), build_info(db), keys, derive, floor),
                                    sources, db, gen, mapping=mapping, encoding=encoding, strict=strict,
                                    derive=derive, stage=stage, floor=floor, loader=loader,
                                    loader_params=loader_params, progress=progress, store=store,
                                    load_cache=load_cache, keys=keys, skipped=skipped, as_of=as_of)
        except (incremental.NotIncremental, CannotAppend) as e:
            since = str(e)
            _empty(gen)
            t0 = time.perf_counter()
    records = load_sources(list(sources), mapping, encoding, loader=loader, params=loader_params, progress=progress,
                           cache=load_cache)
    if (nothing := nothing_read(records, list(sources), mapping)) is not None:
        raise InputError(f"{nothing}; the graph in {db} was left as it was")
    release_memory()  # the files' text and the load cache's round trips
    t1 = time.perf_counter()
    report.seconds["load"] = t1 - t0

    stage("resolve")
    resolved = resolve(records, with_name_keys=True, consume=True)  # the loaded frames go as they are read
    incremental.write_name_keys(resolved.name_keys, gen)
    resolved.name_keys = None
    records.entities.clear()  # the loaded frames: resolved holds what the later stages need
    records.links.clear()
    records.financials.clear()
    release_memory()
    records.rejects.extend(resolved.rejects)
    # contradictions between rows (kg.conflicts): rejects what cannot hold, lists the rest
    conflicts = find_conflicts(resolved, records.header)
    records.rejects.extend(conflicts.rejects)
    records.warnings.extend(conflicts.warnings)
    write_conflicts(conflicts.table, conflicts_file(gen))  # DB/conflicts.csv links to the live one
    t2 = time.perf_counter()
    report.seconds["resolve"] = t2 - t1

    report.files = records.counts()
    report.rejects = records.rejects
    report.warnings = records.warnings
    report.entities = len(resolved.entities)
    report.links = {k: len(v) for k, v in resolved.links.items()}
    report.links["REPORTED"] = len(resolved.financials)
    _write_rejects(report, db, gen, strict)
    by_source = counts_by_source(resolved.entity_rows, resolved.links, resolved.financials)
    if not replace:
        _check_shrinkage(db, gen, by_source, report, confirm)

    derived = None
    derived_info = None
    if as_of is not None:
        report.warnings.append(_AS_OF.format(as_of.isoformat()))
    # the graph tables are the build's product; every sink reads them (the store first)
    writer = TablesWriter(tables_dir(gen))
    written = 0.0  # seconds writing tables
    beside = None  # the Cypher load beside derive
    if derive:
        stage("derive")
        from kg.derive.inputs import UNREAD
        from kg.derive.timeline import derive_periods

        # the resolved tables are written first and each frame left without the columns derive
        # never reads, so that at 10^6 firms the whole frames and derive's own work are not in
        # memory together
        w0 = time.perf_counter()
        writer.resolved(resolved, consume=UNREAD)
        release_memory()
        written = time.perf_counter() - w0
        # the embedded Cypher database is loaded beside derive from here on, each step once its
        # tables are written (CYPHER_FROM), its COPYs by a process of its own on the other core
        # (kg.cypher.copier)
        beside = _CypherBeside(gen, writer, floor) if CYPHER_FROM != "after" else None

        def write_early(name: str, frame) -> None:  # a derived frame as soon as derive has it
            nonlocal written
            w1 = time.perf_counter()
            writer.derived_frame(name, frame)
            if beside is not None:
                beside.written()
            written += time.perf_counter() - w1

        # derive lets its inputs go as it no longer needs them (the resolved tables are written)
        try:
            derived = derive_periods(resolved, consume=True, on_frame=write_early,
                                     **({} if floor is None else {"floor": floor}))
        except BaseException as e:
            if beside is not None:
                beside.abandon(e)
            raise
        del resolved
        derived_info = {"periods": True, "floor": derived.floor,
                        "rows": {k: writer.rows(f"derived.{k}") if k in writer.early else len(getattr(derived, k))
                                 for k in ("integrated", "control", "entity", "size", "flows")}}
    t3 = time.perf_counter()
    report.seconds["derive"] = t3 - t2 - written

    stage("tables")
    try:
        if not derive:
            writer.resolved(resolved, consume=True)  # each frame let go once written
            del resolved
        writer.derived(derived, consume=True)
        tables = writer.finish()
    except BaseException as e:
        if beside is not None:
            beside.abandon(e)
        raise
    del derived
    release_memory()
    t4 = time.perf_counter()
    report.seconds["tables"] = t4 - t3 + written

    if load_cache is not None:  # after the stages: the files still being stored (kg.loaders.beside) are by now
        load_cache.finish()  # keeps the entries of this build and the one before
    meta = _meta(sources, mapping.name, loader, loader_params, load_cache, report, derived_info, by_source, tables)
    meta["cypher"] = _build_cypher(gen, report, stage) if beside is None else beside.finish(report, stage)
    meta[incremental.INFO] = {**incremental.inputs(keys, derive, floor), "used": False, "why": since}
    _finish(gen, meta, report, store, progress, stage)
    return report


def _write_rejects(report: BuildReport, db: Path, gen: Path, strict: bool) -> None:
    """The generation's rejects report; under ``strict`` any reject refuses the build."""
    write_rejects(report.rejects, gen / "rejects.csv")
    if strict and report.rejects:
        first = min(report.rejects, key=lambda r: (r.file, r.row))
        raise StrictRejects(
            f"{report.rejected} row(s) rejected with --strict; the graph in {db} was left as it was. "
            f"First: {first.line()} (all in {gen / 'rejects.csv'})",
            report,
        )


def _meta(sources: list[Path], mapping: str, loader: str | None, loader_params: dict[str, str] | None,
          load_cache: LoadCache | None, report: BuildReport, derived_info: dict | None, by_source: dict,
          tables: dict) -> dict:
    """What build.json says of every build."""
    return {
        "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kg_version": __version__,
        "sources": [str(s) for s in sources],
        "mapping": mapping,
        "loader": loader,
        "loader_params": dict(loader_params or {}),
        "load_cache": load_cache.summary() if load_cache is not None else None,
        "files": report.files,
        "entities": report.entities,
        "links": report.links,
        "derived": derived_info,
        "by_source": by_source,
        "tables": {"folder": TABLES_DIR, "schema_version": tables["schema_version"],
                   "rows": {name: t["rows"] for name, t in tables["tables"].items()},
                   "bytes": sum(t["bytes"] for t in tables["tables"].values())},
        "seconds": report.seconds,
    }


def _finish(gen: Path, meta: dict, report: BuildReport, store: str, progress: Progress | None,
            stage: Callable[[str], None]) -> None:
    """The RDF store where the build loads it, and build.json."""
    meta["store"] = report.store = store
    meta["warnings"] = report.warnings
    report.triples = None
    if store == "now":
        stage("store")
        t5 = time.perf_counter()
        report.triples = sink.load(gen, progress=progress)
        report.seconds["store"] = time.perf_counter() - t5
    (gen / "build.json").write_text(json.dumps({**meta, "triples": report.triples}, indent=2, ensure_ascii=False, default=str),
                                    encoding="utf-8")


def _empty(gen: Path) -> None:
    """Remove what an incremental attempt wrote into the generation ``gen`` (kept: the folder)."""
    for p in gen.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.name != GENERATION_MARKER:
            p.unlink()


def _build_increment(plan: incremental.Plan, sources: list[Path], db: Path, gen: Path, *, mapping: Mapping,
                     encoding: str | None, strict: bool, derive: bool, stage: Callable[[str], None],
                     floor: float | None, loader: str | None, loader_params: dict[str, str] | None,
                     progress: Progress | None, store: str, load_cache: LoadCache | None,
                     keys: list, skipped: list[str], as_of: dt.date | None) -> BuildReport:
    """An incremental build (kg.incremental): the new files of ``plan`` added to its live
    generation's tables and Cypher database, in ``gen``. Raises NotIncremental or CannotAppend
    (before anything is published) where it cannot be one."""
    from kg.cypher.engine import cypher_dir
    from kg.cypher.load import CopiedDatabase

    copied = CopiedDatabase(cypher_dir(plan.live), cypher_dir(gen))  # beside the stages before the Cypher one
    try:
        return _add_increment(plan, sources, db, gen, copied, mapping=mapping, encoding=encoding, strict=strict,
                              derive=derive, stage=stage, floor=floor, loader=loader, loader_params=loader_params,
                              progress=progress, store=store, load_cache=load_cache, keys=keys, skipped=skipped,
                              as_of=as_of)
    except BaseException:
        try:
            copied.wait()  # the copy is done with the generation before it is emptied or discarded
        except OSError:
            pass  # the error that stopped the build is the one to tell
        raise


def _add_increment(plan: incremental.Plan, sources: list[Path], db: Path, gen: Path, copied, *, mapping: Mapping,
                   encoding: str | None, strict: bool, derive: bool, stage: Callable[[str], None],
                   floor: float | None, loader: str | None, loader_params: dict[str, str] | None,
                   progress: Progress | None, store: str, load_cache: LoadCache | None,
                   keys: list, skipped: list[str], as_of: dt.date | None) -> BuildReport:
    from kg.cypher.engine import cypher_dir
    from kg.cypher.load import append_embedded
    from kg.tables.append import append_tables, delta_tables

    report = BuildReport(db=db, added_files=len(plan.files))
    live, info = plan.live, plan.info
    t0 = time.perf_counter()
    records = load_sources(plan.files, mapping, encoding, loader=loader, params=loader_params, progress=progress,
                           cache=load_cache)
    t1 = time.perf_counter()
    report.seconds["load"] = t1 - t0

    stage("resolve")
    old = open_tables(tables_dir(live))
    res = incremental.resolve_delta(old, live, records)
    conflicts = find_conflicts(res, records.header)
    if len(conflicts.table) or conflicts.rejects or conflicts.warnings:
        raise incremental.NotIncremental("a new row conflicts with another (kg.conflicts)")
    records.rejects.extend(res.rejects)
    t2 = time.perf_counter()
    report.seconds["resolve"] = t2 - t1

    old_rejects = incremental.live_rejects(live)
    report.files = [tuple(f) for f in info.get("files", [])] + records.counts()
    report.rejects = old_rejects + records.rejects
    old_warnings = info.get("warnings", [])
    report.warnings = [*old_warnings, *(w for w in skipped if w not in old_warnings), *records.warnings]
    if as_of is not None:
        report.warnings.append(_AS_OF.format(as_of.isoformat()))
    report.entities = info.get("entities", 0) + len(res.entities)
    report.links = dict(info.get("links", {}))
    for k, n in {**{k: len(v) for k, v in res.links.items()}, "REPORTED": len(res.financials)}.items():
        report.links[k] = report.links.get(k, 0) + n
    _write_rejects(report, db, gen, strict)
    by_source = incremental.merge_counts(info.get("by_source") or {},
                                         counts_by_source(res.entity_rows, res.links, res.financials))

    derived = None
    if derive:
        stage("derive")
        from kg.derive.facts import DEFAULT_FLOOR

        derived = incremental.derive_delta(old, res, DEFAULT_FLOOR if floor is None else floor)
    t3 = time.perf_counter()
    report.seconds["derive"] = t3 - t2

    stage("tables")
    tables = append_tables(old, res, derived, tables_dir(gen))
    incremental.write_name_keys(res.name_keys, gen, live)
    shutil.copyfile(conflicts_file(live), conflicts_file(gen))  # the new rows have none (checked above)
    t4 = time.perf_counter()
    report.seconds["tables"] = t4 - t3

    sink.keep_base(live, gen)  # the RDF store starts from a copy of the live one, if loaded
    stage("cypher")
    added = append_embedded(iter_graph(delta_tables(tables_dir(gen), tables)) if len(res.entities) else iter([]),
                            cypher_dir(live), cypher_dir(gen), copied=copied)
    report.warnings.extend(added.warnings)
    report.seconds["cypher"] = time.perf_counter() - t4
    cyp = dict(info.get("cypher") or {})
    cyp = {"nodes": cyp.get("nodes", 0) + added.nodes, "links": cyp.get("links", 0) + sum(added.links.values()),
           "seconds": added.seconds}

    derived_info = info.get("derived")
    if derived_info is not None and derived is not None:
        derived_info = {**derived_info, "rows": {k: derived_info["rows"].get(k, 0) + len(getattr(derived, k))
                                                 for k in derived_info["rows"]}}
    if load_cache is not None:  # after the stages: the files still being stored (kg.loaders.beside) are by now
        load_cache.finish()  # keeps the entries of this build and the one before
    meta = _meta(sources, mapping.name, loader, loader_params, load_cache, report, derived_info, by_source, tables)
    meta["cypher"] = cyp
    meta[incremental.INFO] = {**incremental.inputs(keys, derive, floor), "used": True, "from": live.name,
                              "files": [str(p) for p in plan.files]}
    if load_cache is not None:
        load_cache.keep(plan.keys)
        load_cache.finish()
    _finish(gen, meta, report, store, progress, stage)
    return report


_AS_OF = ("kg build --as-of {} is deprecated and ignored: derived facts are stored for every date; give --as-of "
          "to the query instead")


def _build_cypher(gen: Path, report: BuildReport, stage: Callable[[str], None]) -> dict:
    """The embedded Cypher database of the generation (kg.cypher), from the tables' property-graph view."""
    from kg.cypher.engine import cypher_dir
    from kg.cypher.load import build_embedded
    from kg.tables.view import iter_graph

    stage("cypher")
    t = time.perf_counter()
    loaded = build_embedded(iter_graph(open_tables(tables_dir(gen))), cypher_dir(gen))
    report.warnings.extend(loaded.warnings)
    report.seconds["cypher"] = time.perf_counter() - t
    return {"nodes": loaded.nodes, "links": sum(loaded.links.values()), "seconds": loaded.seconds}


CYPHER_FROM = "early"
"""When the embedded Cypher database starts loading: beside derive, once the resolved tables are
written ("resolved") or once derive has handed on the financial years' tables ("early": the
ownership facts' work is then all of derive's memory beside it), or after the tables ("after")."""


class _CypherBeside:
    """The embedded Cypher database of a generation loaded by a thread of its own while the build
    derives and writes its tables: the tables' property-graph view
    (:func:`kg.tables.view.iter_graph`) waits for each of its steps -- the resolved tables (the
    entity nodes and the sources' links), the financial years' derived tables (handed on by derive
    before the ownership facts), every table -- as the build writes them."""

    def __init__(self, gen: Path, writer: TablesWriter, floor: float | None):
        from concurrent.futures import ThreadPoolExecutor

        from kg.ahead import Handoff
        from kg.cypher.engine import cypher_dir
        from kg.cypher.load import build_embedded
        from kg.derive.facts import DEFAULT_FLOOR
        from kg.tables.derived import methods

        self.gen, self.writer = gen, writer
        self.methods = methods(DEFAULT_FLOOR if floor is None else floor)
        self.handoff = Handoff()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-cypher")
        self.future = self.pool.submit(build_embedded, iter_graph(None, ready=self.handoff.wait), cypher_dir(gen))
        if CYPHER_FROM == "resolved":
            self._give("resolved")

    def _give(self, *steps: str) -> None:
        """Give ``steps`` (those given already stay as they were) the tables written so far."""
        from kg.tables.read import Tables

        manifest = {**self.writer.manifest(), "tables": dict(self.writer.tables),
                    "derived": {"methods": self.methods}}  # the methods are known before the facts
        tables = Tables.of_manifest(tables_dir(self.gen), manifest)
        for step in steps:
            self.handoff.give(step, tables)

    def written(self) -> None:
        """A derived table is written: the financial years' step is given once they all are."""
        from kg.tables.view import EARLY_TABLES

        if not self.handoff.given("early") and all(t in self.writer.tables for t in EARLY_TABLES):
            self._give("resolved", "early")

    def finish(self, report: BuildReport, stage: Callable[[str], None]) -> dict:
        """Every table is written: the rest of the load, waited for."""
        stage("cypher")
        t = time.perf_counter()
        self._give("resolved", "early")
        self.handoff.give("all", open_tables(tables_dir(self.gen)))
        try:
            loaded = self.future.result()
        finally:
            self.pool.shutdown(wait=True)
        report.warnings.extend(loaded.warnings)
        report.seconds["cypher"] = time.perf_counter() - t  # what the build waited for after its tables
        return {"nodes": loaded.nodes, "links": sum(loaded.links.values()), "seconds": loaded.seconds,
                "beside": True}

    def abandon(self, error: BaseException) -> None:
        """The build stopped: the load stops at its next step and its thread ends."""
        self.handoff.fail(error)
        try:
            self.future.result()
        except BaseException:  # noqa: BLE001 - the build's own error is the one raised
            pass
        finally:
            self.pool.shutdown(wait=True)


def _check_shrinkage(db: Path, gen: Path, by_source: dict, report: BuildReport,
                     confirm: Callable[[str], bool] | None) -> None:
    """Refuse to keep less than half of what the live graph has from a source, unless confirmed."""
    drops = shrinkage(build_info(db).get("by_source") or {}, by_source)
    if not drops:
        return
    what = "; ".join(drops[:3]) + (f"; and {len(drops) - 3} more" if len(drops) > 3 else "")
    if confirm is not None and confirm(f"This build keeps less than half of the live graph in {db} from the same "
                                       f"sources ({what}). Replace the live graph?"):
        return
    rejected = f"; {report.rejected} row(s) rejected, see {gen / 'rejects.csv'}" if report.rejects else ""
    raise BuildRefused(f"this build keeps less than half of the live graph in {db} from the same sources ({what}); "
                       f"the graph was left as it was; pass --replace to replace it{rejected}", report)
