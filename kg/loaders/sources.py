"""Load files and folders into Records, each file by the loader that reads its format.

>>> from kg.resources import resource_path
>>> recs = load_sources([resource_path("data", "sample")])
>>> len(recs.entities) > 0 and not recs.rejects
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from kg.loaders.beside import fill_beside
from kg.loaders.cache import LoadCache, entry_key, merge
from kg.loaders.checks import check_link_frames
from kg.loaders.mapping import Mapping, TableSpec, load_mapping, shipped_mappings
from kg.loaders.registry import (
    HEAD_BYTES,
    LOADERS,
    Loader,
    LoadOptions,
    by_name,
    known_suffixes,
    pick,
)
from kg.loaders.tabular import load_table
from kg.loaders.title import read_title
from kg.records import Records
from kg.sources.tabular import RawTable, SourceError, discover, read_tables

#: ``progress(stage, done, total or None, note)``: how far a long step is (kg build's bars).
Progress = Callable[[str, int, "int | None", str], None]


def load_sources(sources: list[Path], mapping: Mapping | None = None, encoding: str | None = None,
                 *, loader: str | None = None, params: dict[str, str] | None = None,
                 progress: Progress | None = None, cache: LoadCache | None = None,
                 beside_bytes: int | None = None) -> Records:
    """Read every file in ``sources`` (files or folders) with the loader its format needs
    (``loader`` forces one by name); tables use ``mapping`` (default canonical). Files of a
    folder that no loader reads are named in a warning. ``progress("load", bytes read, bytes
    in all, "k/n files, r rows")`` hears of each file done. With a ``cache``
    (kg.loaders.cache) a file read before with the same bytes, loader, mapping and options
    gives back what it produced then instead of being read again; when the files it does not hold
    are large, a process beside this one stores them in it (kg.loaders.beside; ``beside_bytes``:
    from how many bytes, default its BESIDE_BYTES) and ``cache.finish()`` waits for it."""
    options = LoadOptions(mapping=mapping or load_mapping(), encoding=encoding, params=dict(params or {}))
    forced = by_name(loader) if loader else None
    suffixes = set(forced.suffixes) if forced and forced.suffixes else known_suffixes()
    records = Records()
    paths = [Path(s) for s in sources]
    found = discover(paths, suffixes)
    skipped = list(found.skipped)
    used: list[Loader] = []
    total = sum(p.stat().st_size for p in found.files) if progress else 0
    done = 0
    chosen_of = {path: forced or _detect(path, named=path in paths) for path in found.files}
    if cache is not None and cache.fill is None:
        cache.fill = fill_beside(chosen_of, options, cache, beside_bytes)
    for k, path in enumerate(found.files):
        if progress:
            progress("load", done, total, f"{k}/{len(found.files)} files, {sum(f.rows for f in records.files):,} rows")
            done += path.stat().st_size
        chosen = chosen_of[path]
        if chosen is None:
            skipped.append(path)
        else:
            _load_file(chosen, path, records, options, cache)
            used += [chosen] if chosen not in used else []
    if progress:
        progress("load", total, total, f"{len(found.files)}/{len(found.files)} files, {sum(f.rows for f in records.files):,} rows")
    for loader in used:
        if loader.finish is not None:
            loader.finish(records, options)
    check_link_frames(records)  # nested formats' dates and ranges; table rows were checked at load
    records.warnings.extend(skipped_warnings(skipped))
    _release_arrow_memory()
    return records


def skipped_warnings(skipped: list[Path]) -> list[str]:
    """One warning per folder naming the files of it that no loader reads."""
    by_folder: dict[Path, list[str]] = {}
    for p in skipped:
        by_folder.setdefault(p.parent, []).append(p.name)
    return [f"{folder}: skipped {len(names)} file(s) no loader reads: {', '.join(names)} (see kg loaders)"
            for folder, names in by_folder.items()]


def file_keys(sources: list[Path], mapping: Mapping | None = None, encoding: str | None = None,
              *, loader: str | None = None, params: dict[str, str] | None = None,
              ) -> tuple[list[tuple[Path, str | None]], list[str]]:
    """Each file :func:`load_sources` would read from ``sources``, with its load cache key
    (kg.loaders.cache.entry_key: its bytes, loader, mapping and options), None for a file whose
    loader has a cross-file step (its records depend on the other files); and the warnings
    :func:`load_sources` gives of the files no loader reads.

    >>> from kg.resources import resource_path
    >>> keys, skipped = file_keys([resource_path("tests", "fixtures", "mini")])
    >>> keys[0][0].name, len(keys[0][1])
    ('certifications.csv', 64)
    """
    options = LoadOptions(mapping=mapping or load_mapping(), encoding=encoding, params=dict(params or {}))
    forced = by_name(loader) if loader else None
    suffixes = set(forced.suffixes) if forced and forced.suffixes else known_suffixes()
    paths = [Path(s) for s in sources]
    out: list[tuple[Path, str | None]] = []
    found = discover(paths, suffixes)
    skipped = list(found.skipped)
    for path in found.files:
        chosen = forced or _detect(path, named=path in paths)
        if chosen is None:
            skipped.append(path)
        else:
            out.append((path, None if chosen.finish is not None else entry_key(path, chosen.name, options)))
    return out, skipped_warnings(skipped)


def _release_arrow_memory() -> None:
    """Hand back what Arrow's allocator keeps of the tables read (the CSV reader's buffers), so
    the stages after the load do not run on top of it."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _load_file(chosen: Loader, path: Path, records: Records, options: LoadOptions,
               cache: LoadCache | None) -> None:
    """One file into ``records``: from the cache when it holds the file, else by its loader
    (into a Records of its own, stored in the cache unless the process beside the build stores
    it: kg.loaders.beside). A loader with a cross-file finish step (BODS) always reads, into the
    build's records."""
    if cache is None or chosen.finish is not None:
        if cache is not None:
            cache.uncached += 1
        chosen.load(path, records, options)
        return
    key = entry_key(path, chosen.name, options)
    filled = cache.fill is not None and cache.fill.covers(key)
    part = None if filled else cache.get(key)
    if part is None:
        part = Records()
        chosen.load(path, part, options)
        cache.misses += 1
        if not filled:  # else the process beside stores it
            if entry_key(path, chosen.name, options) == key:  # not stored if the file changed while read
                cache.put(key, part)
            else:
                cache.not_stored += 1
    merge(records, part)


def _detect(path: Path, named: bool = True) -> Loader | None:
    """The loader for a file, by its suffix and first bytes. None for a file found in a folder
    that no loader reads (the caller warns); a one-line error for a file named on its own."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror})") from None
    chosen = pick(path, head)
    if chosen is None and named:
        suffix = path.suffix.lower()
        tried = [x.name for x in LOADERS if x.suffixes and suffix in x.suffixes]
        if tried:
            raise SourceError(f"{path.name}: not a {suffix} file kg recognises (tried {', '.join(tried)}); "
                              "see 'kg loaders', or force one with --loader")
        raise SourceError(f"{path.name}: unsupported file type {suffix!r}; "
                          "see 'kg loaders' for the formats kg reads, or force one with --loader")
    return chosen


def load_tabular_file(path: Path, records: Records, options: LoadOptions) -> None:
    """The tabular loader: every table of a .csv/.tsv/.txt/.xlsx file through its mapping: the
    given ``--mapping`` (by table name, else by headers), else the canonical mapping by table name,
    else the shipped mapping (loaders/*.yaml) whose ``identify_by`` headers the table has (the
    one matching most columns). A title row above the header (MIIT lists) is found and read for
    the programme, batch and year (kg.loaders.title)."""
    canonical = load_mapping()
    given = options.mapping if options.mapping is not None and options.mapping.path != canonical.path else None
    read = given.read if given else {}
    for raw in read_tables(path, options.encoding or read.get("encoding"), read.get("delimiter")):
        chosen = _choose(raw, given, canonical)
        if chosen is None:
            m = given or canonical
            known = ", ".join(t.name for t in m.tables.values())
            shipped = "" if given else "; nor has it the headers of a shipped layout (kg loaders)"
            records.warnings.append(f"{raw.label}: not a table of the {m.name} mapping ({known}){shipped}; skipped")
            continue
        mapping, spec, line = chosen
        table, first_row, title = _rehead(raw, line, int(mapping.read.get("skip_rows", 0)))
        said = {**read_title(raw.sheet or raw.name), **read_title(title)}
        context = {"params": dict(options.params), "title": said, "title_text": title or raw.sheet or raw.name}
        load_table(table, spec, mapping, records, first_row=first_row, context=context)


#: How many lines below the first a header row is looked for (title rows, notes above it).
HEADER_SEARCH = 10


def _header_line(raw: RawTable, spec: TableSpec, read: dict) -> tuple[int, int] | None:
    """(line of the header, columns it names) when a line of the table's first ones names every
    column of ``spec.identify_by``; the mapping's ``read.header_row`` pins the line."""
    lines = [list(raw.frame.columns)] + [list(raw.frame.iloc[i]) for i in range(min(HEADER_SEARCH, len(raw.frame)))]
    pinned = read.get("header_row")
    candidates = [pinned] if pinned else range(1, len(lines) + 1)
    for line in candidates:
        if line > len(lines):
            return None
        named = {spec.column_for_header(str(h)) for h in lines[line - 1] if str(h).strip()} - {None}
        if set(spec.identify_by) <= named and named:
            return line, len(named)
        if pinned:
            return line, len(named)
    return None


def _choose(raw: RawTable, given: Mapping | None, canonical: Mapping) -> tuple[Mapping, TableSpec, int] | None:
    if given is not None:
        spec = given.table_for(raw.name)
        if spec is not None:
            found = _header_line(raw, spec, given.read)
            return given, spec, found[0] if found else 1
        return _best(raw, [given])
    spec = canonical.table_for(raw.name)
    if spec is not None:
        return canonical, spec, 1
    return _best(raw, shipped_mappings()[1:])


def _best(raw: RawTable, mappings: list[Mapping]) -> tuple[Mapping, TableSpec, int] | None:
    """The table whose identifying headers the raw table has, matching most columns; a tie
    between layouts is an error naming them."""
    hits = []
    for m in mappings:
        for spec in m.tables.values():
            found = _header_line(raw, spec, m.read)
            if found:
                hits.append((found[1], m, spec, found[0]))
    if not hits:
        return None
    hits.sort(key=lambda h: -h[0])
    if len(hits) > 1 and hits[1][0] == hits[0][0]:
        names = " and ".join(f"{h[1].path.name} ({h[2].name})" for h in hits[:2])
        raise SourceError(f"{raw.label}: its headers fit both {names}; choose one with --mapping")
    return hits[0][1], hits[0][2], hits[0][3]


def _rehead(raw: RawTable, line: int, skip: int) -> tuple[RawTable, int, str]:
    """The table under its header line (rows above it are the title), the line of its first data
    row, and the title text."""
    above = [str(c) for c in raw.frame.columns]
    frame = raw.frame
    if line > 1:
        for i in range(line - 2):
            above += [str(v) for v in frame.iloc[i]]
        header = [str(v) for v in frame.iloc[line - 2]]
        frame = frame.iloc[line - 1:].reset_index(drop=True)
        frame.columns = header
    else:
        above = []
    if skip:
        frame = frame.iloc[skip:].reset_index(drop=True)
    title = " ".join(t.strip() for t in above if t.strip() and not t.startswith("Unnamed:"))
    return replace(raw, frame=frame), line + 1 + skip, title
