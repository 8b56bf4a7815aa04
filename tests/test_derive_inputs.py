"""kg.derive.inputs.UNREAD: the build gives derive the resolved frames without these columns
(kg.build writes the whole frames to the tables first); the derived facts must be the same as
from the whole frames, on every kind of source: the fixtures, the sample, a synthetic graph, and
the BODS examples (declared control, share ranges)."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from kg.conflicts import find_conflicts
from kg.derive.inputs import UNREAD
from kg.derive.timeline import derive_periods
from kg.loaders.sources import load_sources
from kg.resolve import resolve
from kg.synth import generate

SHARED = next(p for p in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")) if p.exists())


def _resolved(sources: list[Path]):
    records = load_sources(sources)
    res = resolve(records)
    find_conflicts(res, records.header)  # as the build does
    return res


def _without_unread(res):
    lean = copy.copy(res)
    drop = lambda f: f.drop(columns=[c for c in UNREAD if c in f.columns])  # noqa: E731
    lean.entities, lean.entity_rows, lean.financials = drop(res.entities), drop(res.entity_rows), drop(res.financials)
    lean.links = {rel: drop(f) for rel, f in res.links.items()}
    return lean


def _assert_same(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, obj=f.name)
        elif hasattr(x, "tolist"):
            assert x.tolist() == y.tolist(), f.name
        else:
            assert x == y, f.name


@pytest.mark.parametrize("which", ["mini", "sample", "synth", "bods"])
def test_derived_facts_do_not_read_the_unread_columns(which, mini_dir, sample_dir, tmp_path):
    if which == "synth":
        generate(tmp_path / "synth", firms=1500, seed=11)
    sources = {"mini": [mini_dir], "sample": [sample_dir], "synth": [tmp_path / "synth"],
               "bods": sorted((SHARED / "data/bods/examples").glob("*.json"))}[which]
    res = _resolved(sources)
    lean = _without_unread(res)
    assert len(lean.entities.columns) < len(res.entities.columns)  # the lean frames really lack columns
    _assert_same(derive_periods(res), derive_periods(lean))


def test_the_unread_columns_are_columns_of_resolved_frames(sample_dir):
    res = _resolved([sample_dir])
    columns = set(res.entities.columns) | set(res.entity_rows.columns) | set(res.financials.columns)
    columns |= {c for f in res.links.values() for c in f.columns}
    assert UNREAD <= columns | {"board", "listed", "delisted", "issuer_name"}, UNREAD - columns
