"""Incremental builds: a build whose sources are the live build's, unchanged, plus new files
reads, resolves and derives only what the new files add, and appends it to the live graph's
tables and embedded Cypher database (in a new generation: the live graph stays as it was until
the new one is whole).

A build is incremental when every rule below holds; where one does not, :class:`NotIncremental`
says which and kg.build builds the whole graph instead (the result is the same, only slower):

* the live build recorded its inputs (build.json ``incremental``): the load cache key of each
  file (its bytes, path, loader, mapping, options and kg's code), the derive switch and floor;
  each of those files is among this build's, with the same key, and this build has new ones;
* the new entity rows make entities of their own: no id, USCC, LEI, ticker, normalised name or
  IRI they carry is one the live build has (else an old entity would change, or an old
  reference by name would become ambiguous), and no reference the live build rejected would
  now find one of them;
* the new links and financial years change no fact of an old entity: a holding, declared
  control or funding goes *to* a new entity, a certification, listing or financial year is *of*
  a new one (a derived fact of an entity depends only on the links into it and its ancestors,
  kg.derive.timeline), and no new row conflicts with another (kg.conflicts);
* the tables take the rows as an appended part (kg.tables.append).

The derived facts of the new entities are those of the subgraph of them and their ancestors
(by holdings, declared control and funding: every link into it), in the build's IRI order, so
they equal a whole build's. ``tests/test_incremental.py`` compares incremental builds with
whole builds of the same sources, table by table.

>>> sorted(FRAME_KEYS)[:3], NEW_ENDS["OWNS"]
(['cert_years', 'control', 'display_names'], ('to_iri',))
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kg.records import Records, Reject, read_rejects
from kg.resolve import Resolved, resolve
from kg.tables.read import Tables

INFO = "incremental"
"""The key of build.json that records what a later incremental build checks."""

NAME_KEYS = "name_keys.parquet"
"""A generation's file of (key, iri) for every normalised name of its entity rows."""

ANCESTOR_LINKS = ("OWNS", "DECLARED_CONTROL", "FUNDED")
"""The links whose targets' derived facts depend on their sources (kg.derive.timeline)."""

NEW_ENDS = {"OWNS": ("to_iri",), "DECLARED_CONTROL": ("to_iri",), "FUNDED": ("to_iri",),
            "CERTIFIED_AS": ("from_iri",), "LISTED_ON": ("from_iri",)}
"""The end of a new link that must be a new entity; both ends for a kind not listed."""

FRAME_KEYS = {"integrated": "owned", "control": "controlled", "entity": "iri", "size": "iri", "flows": "recipient",
              "reported": "iri", "performance": "firm", "display_names": "iri", "cert_years": "iri",
              "superseded": "iri"}
"""Each derived frame's column naming whose fact a row is: an entity, or (cert_years,
superseded) a certification."""


class NotIncremental(Exception):
    """Why this build reads everything again (one line, said in build.json)."""


@dataclass
class Plan:
    """An incremental build: the live generation it starts from and the files it adds."""

    live: Path
    info: dict
    files: list[Path]
    keys: list[str]


def inputs(keys: list[tuple[Path, str | None]], derive: bool, floor: float | None) -> dict:
    """What build.json records for a later incremental build (the ``incremental`` key)."""
    return {"keys": [k for _, k in keys], "derive": derive, "floor": floor}


def plan(live: Path | None, info: dict, keys: list[tuple[Path, str | None]], derive: bool,
         floor: float | None) -> Plan:
    """The incremental build of the files ``keys`` (kg.loaders.sources.file_keys) on the live
    generation ``live`` whose build.json is ``info``; raises NotIncremental."""
    old = info.get(INFO)
    if live is None or not old:
        raise NotIncremental("no live build that recorded its inputs")
    if old.get("derive") != derive or old.get("floor") != floor:
        raise NotIncremental("the derive switch or floor differs from the live build's")
    if any(k is None for _, k in keys) or None in old["keys"]:
        raise NotIncremental("a source's loader reads across files (BODS)")
    now, before = [k for _, k in keys], set(old["keys"])
    missing = before - set(now)
    if missing:
        raise NotIncremental(f"{len(missing)} file(s) of the live build changed or are not among the sources")
    if len(set(now)) != len(now):
        raise NotIncremental("a file is given twice")
    new = [(p, k) for p, k in keys if k not in before]
    if not new:
        raise NotIncremental("no new file")
    if not (live / "tables" / "manifest.json").is_file() or not (live / "cypher").is_dir() \
            or not (live / NAME_KEYS).is_file():
        raise NotIncremental("the live build has no graph tables, Cypher database or name keys")
    return Plan(live=live, info=info, files=[p for p, _ in new], keys=now)


def _exact_keys(rows: pd.DataFrame) -> set[str]:
    """The id, USCC, LEI, ticker (and ticker without exchange) values of entity rows, as
    kg.resolve._RefIndex keys them."""
    out: set[str] = set()
    for col in ("id", "uscc", "lei", "ticker"):
        if col in rows:
            out.update(str(v) for v in rows[col].dropna().tolist())
    if "ticker" in rows:
        out.update(str(v).split(".", 1)[0] for v in rows["ticker"].dropna().tolist())
    return out


def _check_entities(live: Path, delta: Resolved, known: pd.DataFrame) -> None:
    """The new entity rows make entities of their own (module docstring); ``known``: the live
    build's entity rows (``id``, ``uscc``, ``lei``, ``ticker``, ``iri``)."""
    if not len(delta.entity_rows):
        return
    if _exact_keys(delta.entity_rows) & _exact_keys(known):
        raise NotIncremental("a new entity row has an id, USCC, LEI or ticker the live build has")
    names = pq.read_table(live / NAME_KEYS, columns=["key"]).column("key").combine_chunks()
    if len(delta.name_keys) and pc.any(pc.is_in(pa.array(delta.name_keys["key"].tolist(), pa.string()),
                                                value_set=names)).as_py():
        raise NotIncremental("a new entity row has a name the live build has")
    if delta.entities["iri"].isin(set(known["iri"].tolist())).any():
        raise NotIncremental("a new entity has the IRI of one the live build has")


def _check_old_rejects(old: Tables, delta: Resolved) -> None:
    """No reference the live build rejected finds a new entity now."""
    if not len(delta.entity_rows) or "rejects" not in old or not old.rows("rejects"):
        return
    from kg.resolve import _RefIndex

    index = _RefIndex(delta.entity_rows)
    for value in old.read("rejects", ["value"]).column("value").to_pylist():
        if value and isinstance(index.lookup(value), str):
            raise NotIncremental(f"a reference the live build rejected ({value!r}) finds a new entity")


def _check_links(delta: Resolved, new: set[str]) -> None:
    for rel, df in delta.links.items():
        for end in NEW_ENDS.get(rel, ("from_iri", "to_iri")):
            if len(df) and not df[end].isin(new).all():
                raise NotIncremental(f"a new {rel} link has an old entity as its {end.removesuffix('_iri')}")
    fin = delta.financials
    if len(fin) and not fin["from_iri"].isin(new).all():
        raise NotIncremental("a new financial year is of an old entity")


def _ancestors(old: Tables, delta: Resolved, start: set[str]) -> set[str]:
    """``start`` and every entity with a holding, declared control or funding into one of them,
    transitively (old links and new)."""
    edges = []
    for rel in ANCESTOR_LINKS:
        name = f"links.{rel}"
        if name in old:
            t = old.read(name, ["from_iri", "to_iri"])
            edges.append(pd.DataFrame({"f": t.column("from_iri").to_pylist(), "t": t.column("to_iri").to_pylist()}))
        if rel in delta.links and len(delta.links[rel]):
            d = delta.links[rel]
            edges.append(pd.DataFrame({"f": d["from_iri"].tolist(), "t": d["to_iri"].tolist()}))
    if not edges:
        return set(start)
    e = pd.concat(edges, ignore_index=True)
    seen, frontier = set(start), set(start)
    while frontier:
        up = set(e.loc[e["t"].isin(frontier), "f"].tolist()) - seen
        seen |= up
        frontier = up
    return seen


def derive_delta(old: Tables, delta: Resolved, floor: float):
    """The derived facts of the new entities (and of the new certifications), as a whole build
    gives them (module docstring)."""
    from kg.derive.timeline import DerivedPeriods, derive_periods

    new = set(delta.entities["iri"].tolist())
    sub = _ancestors(old, delta, new)
    olds = sub - new
    ents = pd.concat([old.rows_where("entities", "iri", olds), delta.entities], ignore_index=True)
    ents = ents.sort_values("iri", kind="stable").reset_index(drop=True)
    rows = pd.concat([old.rows_where("entity_rows", "iri", olds), delta.entity_rows], ignore_index=True)
    links = {}
    for rel in sorted(set(delta.links) | {r for r in ANCESTOR_LINKS if f"links.{r}" in old}):
        parts = []
        if rel in ANCESTOR_LINKS and f"links.{rel}" in old:
            parts.append(old.rows_where(f"links.{rel}", "to_iri", olds))
        if rel in delta.links:
            parts.append(delta.links[rel])
        parts = [p for p in parts if len(p)] or parts[:1]
        links[rel] = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    res = Resolved(entities=ents, entity_rows=rows, links=links, financials=delta.financials)
    p = derive_periods(res, floor=floor)
    certs = set(delta.links["CERTIFIED_AS"]["iri"].tolist()) if "CERTIFIED_AS" in delta.links else set()
    frames = {f for f, v in vars(p).items() if isinstance(v, pd.DataFrame)}
    if frames - set(FRAME_KEYS):
        raise NotIncremental(f"no rule for the derived frame(s) {', '.join(sorted(frames - set(FRAME_KEYS)))}")
    out = {}
    for name in frames:
        frame, key = getattr(p, name), FRAME_KEYS[name]
        if not len(frame):
            out[name] = frame
            continue
        mine = certs if name in ("cert_years", "superseded") else new
        out[name] = frame[frame[key].isin(mine).to_numpy(dtype=bool)].reset_index(drop=True)
    fields = {k: v for k, v in vars(p).items() if k not in out}
    return DerivedPeriods(**{**fields, **out})


def resolve_delta(old: Tables, live: Path, records: Records) -> Resolved:
    """Resolve the new files' records against the live build's entities (``name_keys`` filled);
    raises NotIncremental."""
    known_t = old.read("entity_rows", ["id", "uscc", "lei", "ticker", "iri"])
    known = known_t.to_pandas(types_mapper=None).astype(object)
    for c in ("id", "uscc", "lei", "ticker", "iri"):
        if c not in known:
            known[c] = None
    known = known.where(known.notna(), None)

    def names() -> dict[str, set[str]]:  # only when a new link refers to an entity by name
        nk = pq.read_table(live / NAME_KEYS)
        out: dict[str, set[str]] = {}
        for k, iri in zip(nk.column("key").to_pylist(), nk.column("iri").to_pylist(), strict=True):
            out.setdefault(k, set()).add(iri)
        return out

    delta = resolve(records, known=known, known_names=names, with_name_keys=True)
    _check_entities(live, delta, known)
    _check_old_rejects(old, delta)
    _check_links(delta, set(delta.entities["iri"].tolist()))
    if len(delta.type_conflicts):
        raise NotIncremental("new entity rows contradict each other's types")
    return delta


def write_name_keys(keys: pd.DataFrame, generation: Path, live: Path | None = None) -> None:
    """The generation's name keys: ``keys``, after the live generation's where given."""
    t = pa.table({"key": pa.array(keys["key"].tolist(), pa.string()), "iri": pa.array(keys["iri"].tolist(), pa.string())})
    if live is not None:
        t = pa.concat_tables([pq.read_table(live / NAME_KEYS), t])
    pq.write_table(t, generation / NAME_KEYS, compression="zstd")


def live_rejects(live: Path) -> list[Reject]:
    """The rows the live build rejected (its rejects report)."""
    try:
        return read_rejects(live / "rejects.csv")
    except ValueError as e:
        raise NotIncremental(str(e)) from None


def merge_counts(old: dict, new: dict) -> dict:
    """build.json's ``by_source``, ``links``-like counts added up.

    >>> merge_counts({"a": {"entities": 2, "links": {"OWNS": 1}}}, {"a": {"entities": 1, "links": {"OWNS": 2}}})
    {'a': {'entities': 3, 'links': {'OWNS': 3}}}
    """
    out = copy.deepcopy(old)
    for src, c in new.items():
        e = out.setdefault(src, {"entities": 0, "links": {}})
        e["entities"] = e.get("entities", 0) + c.get("entities", 0)
        for k, n in c.get("links", {}).items():
            e["links"][k] = e["links"].get(k, 0) + n
    return dict(sorted(out.items()))


__all__ = ["INFO", "NAME_KEYS", "NotIncremental", "Plan", "derive_delta", "inputs", "live_rejects", "merge_counts",
           "plan", "resolve_delta", "write_name_keys"]
