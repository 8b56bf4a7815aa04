"""The load cache (kg/loaders/cache.py): a rebuild reads only the source files that changed and
gives the same graph as a build without the cache."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import kg
import kg.loaders.sources as sources_mod
from kg.build import build
from kg.loaders import cache as cache_mod
from kg.loaders.cache import LoadCache, cache_dir

AS_OF = dt.date(2025, 6, 30)
GLEIF_RDF = Path(__file__).parent / "fixtures" / "gleif-rdf"
SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.exists())
BODS_EXAMPLES = SHARED / "data" / "bods" / "examples"


@pytest.fixture
def src(tmp_path, sample_dir) -> Path:
    """A copy of the bundled sample that tests may change."""
    out = tmp_path / "src"
    shutil.copytree(sample_dir, out)
    return out


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Names of the tables the tabular loader reads (not the ones that come from the cache)."""
    seen: list[str] = []
    real = sources_mod.load_tabular_file

    def counting(path, records, options):
        seen.append(path.name)
        return real(path, records, options)

    monkeypatch.setattr(sources_mod, "load_tabular_file", counting)
    return seen


def cache_info(db: Path) -> dict:
    return json.loads((db / "build.json").read_text(encoding="utf-8"))["load_cache"]


def graph_of(db: Path) -> dict:
    """Every graph table of the live build (values and types) and its rejects and conflicts."""
    tables = db / "current" / "tables"
    out = {p.relative_to(tables).as_posix(): pq.read_table(p) for p in sorted(tables.rglob("*.parquet"))}
    assert out, "no graph tables"
    for name in ("rejects.csv", "conflicts.csv"):
        out[name] = (db / name).read_text(encoding="utf-8") if (db / name).exists() else None
    return out


def assert_same_graph(a: Path, b: Path) -> None:
    ga, gb = graph_of(a), graph_of(b)
    assert ga.keys() == gb.keys()
    for name in ga:
        if name.endswith(".parquet"):
            assert ga[name].schema == gb[name].schema, name
            assert ga[name].equals(gb[name]), name
        else:
            assert ga[name] == gb[name], name


def run_build(sources, db, **kw):
    return build(sources if isinstance(sources, list) else [sources], db, as_of=AS_OF, store="later", **kw)


def test_doctests():
    assert doctest.testmod(cache_mod).failed == 0


def test_a_rebuild_with_one_changed_file_reads_only_that_file_and_gives_the_same_graph(src, tmp_path, reads):
    db = tmp_path / "db"
    run_build(src, db)
    files = sorted(reads)
    assert len(files) == 6 and cache_info(db) | {"stored": 6} == {
        "files": 6, "from_cache": 0, "read": 6, "stored": 6, "not_stored": 0, "not_cacheable": 0, "rebuilt": 0}

    reads.clear()
    run_build(src, db)  # nothing changed: nothing read
    assert reads == [] and cache_info(db)["from_cache"] == 6

    with (src / "entities.csv").open("a", encoding="utf-8") as f:
        f.write("added-1,Firm,Added Firm One,,,,,CN,Jiangsu,Suzhou,robotics,,,added\n")
    header = (src / "entities.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.count(",") == 13, header  # the row above fits the sample's columns
    reads.clear()
    report = run_build(src, db)
    assert reads == ["entities.csv"]
    assert cache_info(db) | {} == {"files": 6, "from_cache": 5, "read": 1, "stored": 1, "not_stored": 0,
                                    "not_cacheable": 0, "rebuilt": 0}
    assert report.rejected == 0

    fresh = tmp_path / "fresh"
    run_build(src, fresh, cache=False)
    assert cache_info(fresh) is None and not cache_dir(fresh).exists()
    assert_same_graph(db, fresh)


def test_a_changed_mapping_misses(tmp_path, src, reads):
    mapping_file = tmp_path / "mine.yaml"
    shutil.copy(kg.resources.resource_path("loaders", "canonical.yaml"), mapping_file)
    from kg.loaders.mapping import load_mapping

    db = tmp_path / "db"
    run_build(src, db, mapping=load_mapping(mapping_file))
    run_build(src, db, mapping=load_mapping(mapping_file))
    assert cache_info(db)["from_cache"] == 6
    with mapping_file.open("a", encoding="utf-8") as f:
        f.write("\n# a comment changes the mapping's bytes\n")
    reads.clear()
    run_build(src, db, mapping=load_mapping(mapping_file))
    assert cache_info(db)["from_cache"] == 0 and len(reads) == 6


def test_another_kg_version_or_code_misses(tmp_path, src, reads, monkeypatch):
    db = tmp_path / "db"
    run_build(src, db)
    monkeypatch.setattr(kg, "__version__", "99.0.0")
    reads.clear()
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 0 and len(reads) == 6
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 6
    monkeypatch.setattr(cache_mod, "code_fingerprint", lambda: "another checkout")
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 0


def test_loader_params_and_encoding_are_part_of_the_key(tmp_path, src):
    db = tmp_path / "db"
    run_build(src, db)
    run_build(src, db, loader_params={"programme": "little_giant"})
    assert cache_info(db)["from_cache"] == 0
    run_build(src, db, encoding="utf-8")
    assert cache_info(db)["from_cache"] == 0
    run_build(src, db, encoding="utf-8")
    assert cache_info(db)["from_cache"] == 6


def test_a_corrupt_entry_is_rebuilt_not_an_error(tmp_path, src, reads):
    db = tmp_path / "db"
    run_build(src, db)
    entries = sorted(p for p in cache_dir(db).iterdir() if p.is_dir())
    assert len(entries) == 6
    frame = next(entries[0].glob("*.arrow"))
    frame.write_bytes(frame.read_bytes()[: len(frame.read_bytes()) // 2])  # truncated
    (entries[1] / "entry.json").write_text("{not json", encoding="utf-8")
    other = next(entries[2].glob("*.arrow"))
    data = bytearray(other.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the checksum catches it
    other.write_bytes(bytes(data))
    shutil.rmtree(entries[3])
    entries[3].write_text("a file where a folder was", encoding="utf-8")
    reads.clear()
    run_build(src, db)
    assert len(reads) == 4
    info = cache_info(db)
    assert (info["from_cache"], info["read"], info["rebuilt"], info["stored"]) == (2, 4, 3, 4)
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 6
    fresh = tmp_path / "fresh"
    run_build(src, fresh, cache=False)
    assert_same_graph(db, fresh)


def test_rejects_of_a_cached_file_are_still_reported(tmp_path, src, reads):
    with (src / "ownership.csv").open("a", encoding="utf-8") as f:
        f.write("mof,big-fund-iii,130%,2020-01-01,,bad\n")
    db = tmp_path / "db"
    first = run_build(src, db)
    rejects = (db / "rejects.csv").read_text(encoding="utf-8")
    assert first.rejected >= 1 and "130%" in rejects
    reads.clear()
    again = run_build(src, db)
    assert reads == [] and cache_info(db)["from_cache"] == 6
    assert again.rejected == first.rejected and again.files == first.files
    assert [r.line() for r in again.rejects] == [r.line() for r in first.rejects]
    assert (db / "rejects.csv").read_text(encoding="utf-8") == rejects


def test_no_cache_reads_everything_and_leaves_the_cache_alone(tmp_path, src, run, reads):
    db = tmp_path / "db"
    assert run("build", src, "--db", db, "--quiet", "--store", "later").exit_code == 0
    before = sorted(p.name for p in cache_dir(db).iterdir())
    reads.clear()
    res = run("build", src, "--db", db, "--quiet", "--store", "later", "--no-cache")
    assert res.exit_code == 0, res.output
    assert len(reads) == 6 and cache_info(db) is None
    assert sorted(p.name for p in cache_dir(db).iterdir()) == before
    reads.clear()
    assert run("build", src, "--db", db, "--quiet", "--store", "later").exit_code == 0
    assert reads == [] and cache_info(db)["from_cache"] == 6


def test_entries_no_recent_build_used_are_deleted(tmp_path, src):
    db = tmp_path / "db"
    run_build(src, db)
    first = {p.name for p in cache_dir(db).iterdir() if p.is_dir()}
    with (src / "funding.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # same rows, other bytes: a new entry
    run_build(src, db)
    second = {p.name for p in cache_dir(db).iterdir() if p.is_dir()}
    assert first < second and len(second) == 7  # the build before still has its entry
    with (src / "funding.csv").open("a", encoding="utf-8") as f:
        f.write("\n")
    run_build(src, db)
    third = {p.name for p in cache_dir(db).iterdir() if p.is_dir()}
    assert len(third) == 7 and len(third - second) == 1 and len(second - third) == 1  # the first funding entry went
    assert (second - third) <= first


def test_progress_still_counts_the_load(tmp_path, src):
    db = tmp_path / "db"
    run_build(src, db)
    heard = []
    run_build(src, db, progress=lambda stage, done, total, note: heard.append((stage, done, total, note)))
    loads = [h for h in heard if h[0] == "load"]
    assert loads[-1][1] == loads[-1][2] > 0 and loads[-1][3].startswith("6/6 files")


def test_bods_is_read_every_time_and_gleif_comes_from_the_cache(tmp_path, monkeypatch):
    from test_loaders_gleif import _golden_copy

    src = tmp_path / "src"
    src.mkdir()
    for name in ("L1Data.ttl", "L2Data.ttl"):
        shutil.copy(GLEIF_RDF / name, src / name)
    golden = _golden_copy(tmp_path)  # a Golden Copy LEI and RR CSV (the gleif-csv loader)
    for p in golden:
        shutil.move(p, src / p.name)
    bods = sorted(BODS_EXAMPLES.glob("*.json"))[:4]
    for p in bods:
        shutil.copy(p, src / p.name)
    import kg.loaders.bods as bods_mod

    bods_reads = []
    real = bods_mod.load_bods
    monkeypatch.setattr(bods_mod, "load_bods", lambda path, *a, **kw: (bods_reads.append(path.name), real(path, *a, **kw))[1])
    db = tmp_path / "db"
    run_build(src, db)
    assert cache_info(db) | {} == {"files": 8, "from_cache": 0, "read": 8, "stored": 4, "not_stored": 0,
                                    "not_cacheable": 4, "rebuilt": 0}
    first = json.loads((db / "build.json").read_text(encoding="utf-8"))["files"]
    assert {f[1] for f in first} >= {"lei-cdf", "rr-cdf"}
    bods_reads.clear()
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 4 and cache_info(db)["not_cacheable"] == 4
    assert json.loads((db / "build.json").read_text(encoding="utf-8"))["files"] == first
    assert sorted(bods_reads) == sorted(p.name for p in bods)
    fresh = tmp_path / "fresh"
    run_build(src, fresh, cache=False)
    assert_same_graph(db, fresh)


def test_records_that_would_not_come_back_exactly_are_not_stored(tmp_path):
    import pandas as pd

    from kg.records import Records

    cache = LoadCache(tmp_path / "cache")
    recs = Records()
    recs.add("entity", pd.DataFrame({"id": ["a", "b"], "value": pd.Series([1, 2.5], dtype=object), "row": [2, 3]}))
    assert [type(v) for v in recs.entities[0]["value"]] == [int, float]
    assert cache.put("k", recs) is False  # Arrow would give the int back as 1.0: not stored
    assert cache.get("k") is None
    odd = Records()
    odd.add("entity", pd.DataFrame({"id": ["a"], "value": [{1, 2}], "row": [2]}))  # a set: Arrow has none
    assert cache.put("odd", odd) is False and cache.get("odd") is None
    assert cache.not_stored == 2 and not (tmp_path / "cache").exists()


def test_a_file_that_changes_while_it_is_read_is_not_stored(tmp_path, src, monkeypatch):
    real = sources_mod.load_tabular_file

    def changing(path, records, options):
        real(path, records, options)
        if path.name == "funding.csv":
            with path.open("a", encoding="utf-8") as f:
                f.write("\n")

    monkeypatch.setattr(sources_mod, "load_tabular_file", changing)
    db = tmp_path / "db"
    run_build(src, db)
    info = cache_info(db)
    assert (info["stored"], info["not_stored"]) == (5, 1)


def test_followthemoney_files_come_from_the_cache_and_give_the_same_graph(sample_db, tmp_path):
    from kg.export import render
    from kg.rdf.store import open_store
    from kg.subgraph import Selection, around

    sub = around(open_store(sample_db), "mof", Selection(hops=6, direction="both", limit=5000,
                                                        links=("OWNS", "FUNDED", "LISTED_ON")))
    src = tmp_path / "src"
    src.mkdir()
    (src / "sample.ftm.jsonl").write_bytes(render(sub, "ftm"))
    db = tmp_path / "db"
    run_build(src, db)
    assert cache_info(db)["stored"] == 1
    run_build(src, db)
    assert cache_info(db)["from_cache"] == 1
    fresh = tmp_path / "fresh"
    run_build(src, fresh, cache=False)
    assert_same_graph(db, fresh)


@pytest.mark.parametrize(("a", "b", "same"), [
    (["a", None], ["a", None], True),
    (["a", None], ["a", float("nan")], False),  # None is not NaN
    ([1.0, float("nan")], [1.0, float("nan")], True),  # NaN is NaN
    ([1, 2], [1, 2.0], False),  # 2 is not 2.0
    (["a", "b"], ["a", "c"], False),
    ([None, "a"], ["a", None], False),  # the same kinds, not in the same places
    ([True, 1], [1, True], False),
    ([(1, "a")], [(1, "a")], True),
    ([(1, "a")], [(1.0, "a")], False),  # inside tuples too
    ([np.str_("a")], ["a"], False),  # a subclass is not the class
])
def test_round_trip_check_tells_values_and_their_types_apart(a, b, same):
    """The load cache stores a file's frames only if they read back exactly: the check compares
    values in bulk but still tells 1 from 1.0, None from NaN and a str subclass from str."""
    from kg.loaders.cache import _same_values

    assert _same_values(pd.Series(a, dtype=object), pd.Series(b, dtype=object)) is same


def frames_of(recs) -> list[pd.DataFrame]:
    return [*recs.entities, *recs.financials, *(f for v in recs.links.values() for f in v)]


def test_large_files_are_stored_by_a_process_beside_the_build_and_give_the_same_graph(src, tmp_path, monkeypatch):
    """Above BESIDE_BYTES the build reads its files itself, as without a cache, while a process
    of its own (python -m kg.loaders.beside) stores them in the cache: the next build takes every
    file from there and makes the same graph."""
    import kg.loaders.beside as beside_mod

    started = []
    real = beside_mod.CacheFill.__init__

    def init(self, jobs):
        started.append([Path(j["path"]).name for j in jobs])
        real(self, jobs)

    monkeypatch.setattr(beside_mod, "BESIDE_BYTES", 0)
    monkeypatch.setattr(beside_mod, "_cores", lambda: 2)
    monkeypatch.setattr(beside_mod.CacheFill, "__init__", init)
    monkeypatch.setattr(cache_mod.LoadCache, "put", lambda *a: pytest.fail("the build stored a file itself"))
    first = tmp_path / "first"
    run_build(src, first)
    assert len(started) == 1 and sorted(started[0]) == sorted(p.name for p in src.glob("*.csv"))
    sizes = [(src / n).stat().st_size for n in started[0]]
    assert sizes == sorted(sizes, reverse=True)  # largest first
    info = cache_info(first)
    assert (info["read"], info["stored"], info["not_stored"]) == (6, 6, 0)
    monkeypatch.undo()
    plain = tmp_path / "plain"
    run_build(src, plain, cache=False)
    assert_same_graph(first, plain)
    run_build(src, first)  # every file from the entries the process stored
    assert cache_info(first)["from_cache"] == 6
    assert_same_graph(first, plain)


def test_a_file_the_process_beside_cannot_store_is_read_again_next_time(src, tmp_path, monkeypatch):
    """The process's failure (here: a key that is not the file's) costs the cache an entry, never
    the build its records."""
    import kg.loaders.beside as beside_mod

    real = beside_mod.CacheFill.__init__

    def init(self, jobs):
        jobs = [dict(j, key="0" * 64) if j["path"].endswith("funding.csv") else j for j in jobs]
        real(self, jobs)
        self.keys = {*self.keys, next(entry_key_of(j) for j in jobs if j["key"] == "0" * 64)}

    def entry_key_of(job):
        from kg.loaders.mapping import load_mapping
        from kg.loaders.registry import LoadOptions

        return cache_mod.entry_key(Path(job["path"]), job["loader"], LoadOptions(mapping=load_mapping(job["mapping"])))

    monkeypatch.setattr(beside_mod, "BESIDE_BYTES", 0)
    monkeypatch.setattr(beside_mod, "_cores", lambda: 2)
    monkeypatch.setattr(beside_mod.CacheFill, "__init__", init)
    db = tmp_path / "db"
    run_build(src, db)
    info = cache_info(db)
    assert (info["stored"], info["not_stored"]) == (5, 2)  # funding's entry, and the key no file has
    plain = tmp_path / "plain"
    run_build(src, plain, cache=False)
    assert_same_graph(db, plain)


def test_a_fill_stopped_part_way_leaves_no_entry_and_no_process(tmp_path, sample_dir):
    from kg.loaders.beside import CacheFill
    from kg.loaders.mapping import load_mapping
    from kg.loaders.registry import LoadOptions

    options = LoadOptions(mapping=load_mapping())
    jobs = [{"loader": "tabular", "path": str(p), "key": cache_mod.entry_key(p, "tabular", options),
             "folder": str(tmp_path / "cache"), "mapping": str(options.mapping.path), "encoding": None, "params": {}}
            for p in sorted(sample_dir.glob("*.csv"))]
    fill = CacheFill(jobs)
    fill.stop()
    assert fill.proc.poll() is not None
    stored = set(fill.stored)
    present = {p.name for p in (tmp_path / "cache").iterdir()} if (tmp_path / "cache").exists() else set()
    assert {k for k in present if not k.startswith(".")} == stored  # only whole entries it reported
    assert len(stored) < len(jobs)


def test_numbers_read_back_share_one_object_per_value_as_parsed_frames_do(tmp_path):
    """A financial year's amounts repeat; read back from the cache they share one Python object
    per distinct value (a float per row took ~1 GB more at 10^6 firms), types kept."""
    from kg.records import Records

    cache = LoadCache(tmp_path / "cache")
    recs = Records()
    n = 3000
    recs.add("financial", pd.DataFrame({
        "year": pd.Series([2020 + i % 3 for i in range(n)], dtype=object),
        "revenue": pd.Series([float(i % 7) if i % 5 else None for i in range(n)], dtype=object),
        "zero": pd.Series([-0.0 if i % 2 else 0.0 for i in range(n)], dtype=object),
        "row": list(range(2, n + 2))}))
    assert cache.put("k", recs)
    back = cache.get("k").financials[0]
    assert back["year"].tolist() == recs.financials[0]["year"].tolist()
    assert {type(v) for v in back["year"]} == {int} and len({id(v) for v in back["year"]}) == 3
    assert len({id(v) for v in back["revenue"] if v is not None}) == 7 and back["revenue"].isna().sum() == n // 5
    assert [str(v) for v in back["zero"][:2]] == ["0.0", "-0.0"]


def test_the_file_column_of_a_loaded_table_is_one_string(sample_dir):
    """Every row's ``file`` is the same Python str (an Arrow column would make one per row once
    read as Python objects: 0.5 GB for the 7 M financial years of 10^6 firms)."""
    from kg.loaders.sources import load_sources

    recs = load_sources([sample_dir])
    for frame in frames_of(recs):
        assert frame["file"].dtype == object
        assert len({id(v) for v in frame["file"]}) == 1
