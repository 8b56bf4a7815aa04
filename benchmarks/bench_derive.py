"""Benchmark of the derive stage on a synthetic ownership network.

    python benchmarks/bench_derive.py --n 1000000

The generator (vectorised, seeded) builds a forest-like network:

- 2% of the entities are investors (government bodies, guidance funds, private funds and
  people), 10% of them state; their stakes are heavy-tailed (a few funds hold thousands).
- The rest are firms in business groups with heavy-tailed (Pareto) sizes; inside a group each
  firm's parent is an earlier member chosen near the top, giving 3-5 levels. Tree links are
  40% wholly owned, 35% majority, 25% minority.
- ~60% of group tops are held by an investor; investors also take minority stakes in firms.
- ~1% of the entities (``--cross``) hold cross-holdings: half back into their own group's top (a cycle),
  half into a firm of another group. Column sums stay <= 1.
- About 1.2 ownership links per entity in total.

Timed: building W, integrated ownership with hops (floor 0.01), control, ultimate controller
(reusing the control relation), Orbis-style ultimate owner chain, state shares (state set,
share, best paths). Prints a markdown table row with wall seconds per step, the total wall
and CPU seconds (CPU time is the steadier number on a shared machine) and peak RSS
(``resource.getrusage``, includes the generator).
``--check-error`` also computes integrated ownership with ``tol=0`` and reports the largest
difference caused by pruning.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.derive.ownership import (  # noqa: E402
    IntegratedOwnershipTooLarge,
    control,
    integrated_ownership,
    integrated_ownership_with_hops,
    ownership_matrix,
    ultimate_controller,
    ultimate_owner_chain,
)
from kg.derive.state import state_shares  # noqa: E402


def generate(n: int, seed: int = 0, cross: float = 0.01):
    """Return ``owner, owned, share, is_state`` arrays for ``n`` entities."""
    rng = np.random.default_rng(seed)
    n_inv = max(1, n // 50)
    n_firm = n - n_inv
    # ---- groups with heavy-tailed sizes
    sizes = np.minimum(1 + np.floor(rng.pareto(1.3, size=n_firm)).astype(np.int64), 20_000)
    csum = np.cumsum(sizes)
    k = int(np.searchsorted(csum, n_firm)) + 1
    sizes = sizes[:k]
    sizes[-1] -= csum[k - 1] - n_firm
    sizes = sizes[sizes > 0]
    starts = n_inv + np.concatenate([[0], np.cumsum(sizes)[:-1]])
    group = np.repeat(np.arange(sizes.size), sizes)
    firm = np.arange(n_inv, n)
    local = firm - starts[group]
    # ---- tree links: parent = an earlier member near the top of the group
    nonroot = local > 0
    child = firm[nonroot]
    lc = local[nonroot]
    parent_local = np.floor(lc * 0.12 * rng.random(lc.size)).astype(np.int64)
    parent = starts[group[nonroot]] + parent_local
    kind = rng.random(child.size)
    tree_share = np.where(
        kind < 0.40,
        1.0,
        np.where(
            kind < 0.75, rng.uniform(0.51, 0.99, child.size), rng.uniform(0.1, 0.5, child.size)
        ),
    )
    remaining = np.zeros(n)
    remaining[child] = 1.0 - tree_share
    # ---- group tops held by investors (heavy-tailed choice of investor)
    tops = starts
    held = rng.random(tops.size) < 0.6
    top_owner = _zipf_pick(rng, n_inv, int(held.sum()))
    top_share = rng.uniform(0.3, 1.0, int(held.sum()))
    remaining[tops] = 1.0
    remaining[tops[held]] = 1.0 - top_share
    # ---- minority stakes of investors and cross-holdings (targets need free capacity)
    n_stakes = int(0.45 * n)
    st_owner = _zipf_pick(rng, n_inv, n_stakes)
    st_target = rng.integers(n_inv, n, n_stakes)
    n_cross = int(cross * n)
    cr_owner = rng.integers(n_inv, n, n_cross)
    back = rng.random(n_cross) < 0.5
    cr_target = np.where(
        back,
        starts[group[cr_owner - n_inv]],  # into the own group's top: a cycle
        rng.integers(n_inv, n, n_cross),  # into another group
    )
    ex_owner = np.concatenate([st_owner, cr_owner])
    ex_target = np.concatenate([st_target, cr_target])
    ok = (remaining[ex_target] > 0.02) & (ex_owner != ex_target)
    ex_owner, ex_target = ex_owner[ok], ex_target[ok]
    cnt = np.bincount(ex_target, minlength=n)
    ex_share = remaining[ex_target] * rng.uniform(0.1, 0.9, ex_target.size) / cnt[ex_target]
    owner = np.concatenate([parent, tops[held] * 0 + top_owner, ex_owner])
    owned = np.concatenate([child, tops[held], ex_target])
    share = np.concatenate([tree_share, top_share, ex_share])
    is_state = np.zeros(n, dtype=bool)
    is_state[: max(1, n_inv // 10)] = True  # the biggest investors (zipf rank) are state
    return owner, owned, share, is_state


def _zipf_pick(rng, m: int, size: int) -> np.ndarray:
    """Indices in 0..m-1 with a heavy-tailed preference for low indices."""
    u = rng.random(size)
    return np.minimum((m * u**3).astype(np.int64), m - 1)


def peak_rss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 if sys.platform != "darwin" else r / 1024 / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of entities")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--floor", type=float, default=0.01)
    ap.add_argument("--tol", type=float, default=1e-9, help="pruning tolerance")
    ap.add_argument("--cross", type=float, default=0.01, help="cross-holdings per entity")
    ap.add_argument("--check-error", action="store_true", help="compare with tol=0 (slower)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    owner, owned, share, is_state = generate(args.n, args.seed, args.cross)
    t_gen = time.perf_counter() - t0
    rss_gen = peak_rss_mb()

    times, cpu = {}, {}

    def step(name, fn):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times[name] = time.perf_counter() - t
        cpu[name] = time.process_time() - c
        return out

    W = step("W", lambda: ownership_matrix(owner, owned, share, args.n))
    t_start = time.perf_counter()
    try:
        X, H = step(
            "integrated", lambda: integrated_ownership_with_hops(W, args.floor, tol=args.tol)
        )
    except IntegratedOwnershipTooLarge as e:
        print(f"integrated ownership stopped after {time.perf_counter() - t_start:.1f}s: {e}")
        X = H = sp.csr_matrix(W.shape)
    C = step("control", lambda: control(W))
    uc = step("ultimate", lambda: ultimate_controller(W, controls=C))
    uo = step("orbis", lambda: ultimate_owner_chain(W))
    ss = step("state", lambda: state_shares(W, is_state))
    total = sum(times.values())
    total_cpu = sum(cpu.values())

    print(
        f"n={args.n:,} edges={W.nnz:,} (generated in {t_gen:.1f}s, RSS then {rss_gen:.0f} MB); "
        f"X nnz={X.nnz:,} max hops={int(H.data.max()) if H.nnz else 0}; "
        f"control pairs={C.nnz:,}; controlled={int((uc >= 0).sum()):,}; "
        f"orbis-owned={int((uo >= 0).sum()):,}; state-controlled={int(ss.controlled.sum()):,}; "
        f"state share>0={int((ss.share > 0).sum()):,}"
    )
    cols = ["n", "edges", *(f"{k} s" for k in times), "total s", "total CPU s", "peak RSS MB"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    vals = [f"{args.n:,}", f"{W.nnz:,}", *(f"{v:.2f}" for v in times.values())]
    vals += [f"{total:.2f}", f"{total_cpu:.2f}", f"{peak_rss_mb():.0f}"]
    print("| " + " | ".join(vals) + " |")

    if args.check_error:  # pruning error, on every entry (floor 0) and on the stored ones
        t = time.perf_counter()
        exact = integrated_ownership(W, 0.0, tol=0.0, max_entries=None)
        approx = integrated_ownership(W, 0.0, tol=args.tol, max_entries=None)
        kept = abs(exact.multiply(approx != 0) - approx)  # error on the pairs it keeps
        err_all = kept.max() if kept.nnz else 0.0
        stored = abs(integrated_ownership(W, args.floor, tol=0.0) - X)
        err_stored = stored.max() if stored.nnz else 0.0
        print(
            f"pruning error (tol={args.tol:g} vs 0): max |diff| on the {approx.nnz:,} pairs kept "
            f"(of {exact.nnz:,}) = {err_all:.3g}; on pairs >= floor = "
            f"{err_stored:.3g} ({time.perf_counter() - t:.1f}s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
