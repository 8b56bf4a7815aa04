"""The RDF store's quads written from the graph tables a slice at a time (kg.rdf.sink.tables_quads
over kg.tables.read.FrameSlices): the same quads as from the whole frames, in bounded memory."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from kg.conflicts import find_conflicts
from kg.derive.timeline import derive_periods
from kg.loaders.sources import load_sources
from kg.rdf import nquads
from kg.rdf.sink import tables_quads
from kg.resolve import link_iris, resolve
from kg.synth import generate
from kg.tables.arrow import to_arrow
from kg.tables.read import FrameSlices, Tables, open_tables
from kg.tables.write import write_tables

ROOT = Path(__file__).resolve().parents[1]


def _tables(sources: list[Path], folder: Path) -> Tables:
    recs = load_sources(sources)
    res = resolve(recs)
    find_conflicts(res, recs.header)
    write_tables(res, derive_periods(res), folder)
    return open_tables(folder)


def _whole_frames_quads(t: Tables) -> list[str]:
    """The quads as the writer makes them from whole frames in memory."""
    res, d = t.resolved(), t.derived()
    text = nquads.static_nquads() + "".join(nquads.resolved_nquads(res))
    if d is not None:
        text += "".join(nquads.derived_quads(d, nquads.own_values(res)))
    return sorted(text.splitlines())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, firms=400, seed=7)
    return out


@pytest.mark.parametrize("source", ["mini", "sample", "gleif", "synthetic"])
@pytest.mark.parametrize("rows", [7, None])
def test_streamed_quads_equal_those_of_the_whole_frames(source, rows, tmp_path, request):
    path = {"mini": ROOT / "tests" / "fixtures" / "mini", "sample": ROOT / "data" / "sample",
            "gleif": ROOT / "tests" / "fixtures" / "gleif-rdf"}.get(source) or request.getfixturevalue(source)
    t = _tables([path], tmp_path / "tables")
    want = _whole_frames_quads(t)
    got = sorted("".join(tables_quads(t, rows=rows)).splitlines())
    assert len(want) > 100
    assert got == want


def _reference_shared_nodes(rel, frame, d) -> list:
    """kg.rdf.nquads.shared_nodes as first written: a dict of each host fact's key as a tuple of
    texts (the first host fact of a key wins)."""
    from kg.tables.derived import DERIVED_LINKS

    m = nquads.model()
    link = m.link(rel)
    host_class = nquads.shares_node_of(nquads.KG + link.qualified_class)
    host_rel = next(r for r, lk in m.links.items() if nquads.KG + (lk.qualified_class or "") == host_class)
    spec, hspec = DERIVED_LINKS[rel], DERIVED_LINKS[host_rel]
    host = getattr(d, hspec.frame)
    mine = {p.column for p in link.properties if p.local != "method"}
    theirs = {p.column for p in m.link(host_rel).properties if p.local != "method"}
    cols = sorted(c for c in mine & theirs if c in frame or c in host)

    def keys(f, source, target):
        parts = [nquads._key_text(f[source]), nquads._key_text(f[target])]
        parts += [nquads._key_text(f[c]) if c in f else ["\x00"] * len(f) for c in cols]
        return list(zip(*parts, strict=True))

    at = {}
    for k, iri in zip(keys(host, hspec.source, hspec.target), link_iris(host_rel, *(host[k] for k in hspec.key)),
                      strict=True):
        at.setdefault(k, iri)
    return [at.get(k) for k in keys(frame, spec.source, spec.target)]


def test_shared_nodes_find_the_first_host_fact_with_the_same_ends_period_and_values(tmp_path):
    """Controls matched to integrated ownerships by their key's integer codes, as by tuples of
    texts: shuffled ends, shares that differ in the last digit, missing values, and host facts
    repeated under another start (the first one wins)."""
    d = _tables([ROOT / "data" / "sample"], tmp_path / "tables").derived()
    host, control = d.integrated.copy(), d.control.copy()
    assert len(host) and len(control)
    rng = np.random.default_rng(7)
    n = len(control)
    control = pd.concat([control, control.sample(n, replace=True, random_state=1)], ignore_index=True)
    control["controlled"] = np.where(rng.random(len(control)) < 0.2, control["controlled"].sample(frac=1, random_state=2)
                                     .to_numpy(), control["controlled"])
    if "share" in control:
        control["share"] = [s + 1e-12 if k % 5 == 0 else (None if k % 7 == 0 else s)
                            for k, s in enumerate(control["share"].tolist())]
    repeated = host.sample(min(len(host), 5), random_state=3).assign(valid_from=None)  # same values, another key
    host = pd.concat([host, repeated], ignore_index=True)
    d2 = types.SimpleNamespace(integrated=host, control=control)
    got = nquads.shared_nodes("CONTROLS", control, d2)
    want = _reference_shared_nodes("CONTROLS", control, d2)
    assert got == want
    assert any(g is not None for g in got) and any(g is None for g in got)


def test_frame_slices_read_every_part_and_skip_an_empty_listing(tmp_path):
    frames = [pd.DataFrame({"iri": [f"{p}{i}" for i in range(n)], "n": range(n)}) for p, n in (("a", 5), ("b", 3))]
    for k, f in enumerate(frames):
        pq.write_table(to_arrow(f, "t"), tmp_path / f"t{k}.parquet")
    manifest = {"tables": {"t": {"parts": ["t0.parquet", "t1.parquet"], "rows": 8},
                           "e": {"file": "t0.parquet", "rows": 0, "empty": True}}}
    t = Tables.of_manifest(tmp_path, manifest)
    s = FrameSlices(t, "t", rows=2)
    assert len(s) == 8 and [len(f) for f in s] == [2, 2, 1, 2, 1]
    assert pd.concat(list(s))["iri"].tolist() == [*frames[0]["iri"], *frames[1]["iri"]]
    assert s.read(["n"], where=("iri", ["a4", "b0", "zz"]))["n"].tolist() == [4, 0]
    assert s.read(["iri", "n", "nothing"]).shape == (8, 2)
    e = FrameSlices(t, "e")
    assert len(e) == 0 and list(e) == [] and e.read(["n"], where=("iri", ["a1"])).empty
