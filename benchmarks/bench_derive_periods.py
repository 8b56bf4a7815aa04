"""Derived facts for one date vs. with their periods (issue 13.1): time and stored size.

    python benchmarks/bench_derive_periods.py SYNTH_DIR [--cache res.pkl] [--ends 0.2] [--as-of 2026-04-01] [--quads]

SYNTH_DIR is a `kg synth --firms N --seed 7 --out SYNTH_DIR` folder. It is loaded and resolved
once (not timed; ``--cache`` keeps the resolved graph in a pickle for the next run), then:

- ``derive(res, as_of)``: today's single-date derive (the build's derive stage; also what a
  first query at a new date would cost under a derive-on-first-use cache, before writing the
  facts into the stores);
- ``derive_periods(res)``: every fact with the period it holds for;
- ``at(periods, as_of)``: the slice at a date (checked equal to the single-date tables).

Synth gives every holding a start (the owned firm's founding day, ~10% undated) and no end.
``--ends F`` gives a fraction F of the dated holdings an end (uniform between the start and
2025-12-31) and makes half of those be followed by a successor holding of the same owner at a
different share, for a more realistic spread of change dates.

Prints wall and CPU seconds per step (CPU is steadier on a shared machine), rows per table and
the tables' Parquet bytes (zstd), one date against all periods, and the peak RSS. ``--quads``
also counts the N-Quads the build writes into the store's derived graph for the periods
(kg.rdf.nquads.derived_quads: what the RDF store holds; the single-date writer is gone, so
its count comes from a checkout before the change).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import pickle
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.conflicts import find_conflicts  # noqa: E402
from kg.derive.facts import derive  # noqa: E402
from kg.derive.timeline import at, derive_periods  # noqa: E402
from kg.loaders.sources import load_sources  # noqa: E402
from kg.resolve import resolve  # noqa: E402
from kg.values.dates import parse as parse_date  # noqa: E402

DATED = ("integrated", "control", "entity", "flows")


def resolved(folder: Path, cache: Path | None):
    if cache and cache.exists():
        with cache.open("rb") as f:
            return pickle.load(f)
    records = load_sources([folder])
    res = resolve(records)
    find_conflicts(res, records.header)
    if cache:
        with cache.open("wb") as f:
            pickle.dump(res, f, protocol=5)
    return res


def with_ends(res, fraction: float, seed: int = 7):
    """End a fraction of the dated holdings; half of them get a successor at another share."""
    owns = res.links["OWNS"]
    rng = np.random.default_rng(seed)
    dated = np.flatnonzero(owns["start"].notna().to_numpy())
    pick = dated[rng.random(dated.size) < fraction]
    start = np.array([owns["start"].iloc[k].first_day().toordinal() for k in pick])
    last = dt.date(2025, 12, 31).toordinal()
    end = start + (rng.random(pick.size) * np.maximum(last - start, 1)).astype(np.int64)
    owns = owns.copy()
    ends = [parse_date(dt.date.fromordinal(int(e)).isoformat()) for e in end]
    owns.loc[owns.index[pick], "end"] = pd.Series(ends, index=owns.index[pick], dtype=object)
    follow = rng.random(pick.size) < 0.5
    succ = owns.iloc[pick[follow]].copy()
    succ["start"] = [parse_date(dt.date.fromordinal(int(e) + 1).isoformat()) for e in end[follow]]
    succ["end"] = None
    share = pd.to_numeric(succ["share"], errors="coerce").to_numpy(dtype=float)
    succ["share"] = np.clip(share * rng.uniform(0.5, 1.0, share.size), 0.001, 1.0)
    succ["iri"] = succ["iri"] + "-succ"
    res.links["OWNS"] = pd.concat([owns, succ], ignore_index=True)
    return res


def parquet_bytes(df: pd.DataFrame) -> int:
    if not len(df):
        return 0
    buf = io.BytesIO()
    df.astype({c: str for c in df.columns if df[c].dtype == object}).to_parquet(buf, compression="zstd", index=False)
    return buf.getbuffer().nbytes


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--cache", type=Path)
    ap.add_argument("--ends", type=float, default=0.0)
    ap.add_argument("--as-of", default="2026-04-01")
    ap.add_argument("--quads", action="store_true", help="count the derived graph's N-Quads of the periods")
    args = ap.parse_args()
    day = dt.date.fromisoformat(args.as_of)
    res = resolved(args.folder, args.cache)
    if args.ends:
        res = with_ends(res, args.ends)
    one, w1, c1 = timed(lambda: derive(res, as_of=day))
    periods, w2, c2 = timed(lambda: derive_periods(res))
    cut, w3, c3 = timed(lambda: at(periods, day))
    for t in DATED:
        pd.testing.assert_frame_equal(getattr(cut, t), getattr(one, t), check_dtype=False)
    print(f"entities {len(res.entities):,}  holdings {len(res.links['OWNS']):,}  ends {args.ends}")
    print(f"| step | wall s | CPU s |\n|---|---|---|\n| derive (one date) | {w1:.1f} | {c1:.1f} |\n"
          f"| derive_periods | {w2:.1f} | {c2:.1f} |\n| slice at a date | {w3:.1f} | {c3:.1f} |")
    print(f"periods / one date (CPU): {c2 / c1:.2f}x")
    rows1 = {t: len(getattr(one, t)) for t in DATED}
    rows2 = {t: len(getattr(periods, t)) for t in (*DATED, "size")}
    b1 = {t: parquet_bytes(getattr(one, t)) for t in DATED}
    b2 = {t: parquet_bytes(getattr(periods, t)) for t in (*DATED, "size")}
    same = {t: parquet_bytes(getattr(one, t)) for t in ("performance", "display_names", "cert_years", "superseded")}
    print("| table | rows one date | rows periods | Parquet bytes one date | Parquet bytes periods |\n|---|---|---|---|---|")
    for t in (*DATED, "size"):
        print(f"| {t} | {rows1.get(t, 0):,} | {rows2[t]:,} | {b1.get(t, 0):,} | {b2[t]:,} |")
    print(f"| dated facts | {sum(rows1.values()):,} | {sum(rows2.values()):,} | {sum(b1.values()):,} | {sum(b2.values()):,} |")
    s = sum(same.values())
    print(f"dated facts periods / one date: rows {sum(rows2.values()) / sum(rows1.values()):.2f}x, "
          f"bytes {sum(b2.values()) / sum(b1.values()):.2f}x; all derived tables (with the date-free ones, "
          f"{s:,} bytes): {(sum(b2.values()) + s) / (sum(b1.values()) + s):.2f}x")
    if args.quads:
        from kg.rdf.nquads import derived_quads

        (n, size), w4, c4 = timed(lambda: _count(derived_quads(periods)))
        print(f"derived graph (periods): {n:,} quads, {size / 1e6:.1f} MB of N-Quads, written in {w4:.1f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


def _count(chunks) -> tuple[int, int]:
    n = size = 0
    for text in chunks:
        n += text.count("\n")
        size += len(text.encode("utf-8"))
    return n, size


if __name__ == "__main__":
    main()
