"""Ownership arithmetic on sparse matrices: integrated ownership, control, ultimate owners.

Conventions (shared by the whole derive layer)
----------------------------------------------
- Entities are indexed ``0 .. n-1``.
- ``W`` is an ``n x n`` :class:`scipy.sparse.csr_matrix`; ``W[i, j]`` is the share (0..1) of
  ``j`` that ``i`` owns directly. Column sums are expected to be <= 1 (nobody owns more than
  100% of a firm); nothing here rescales them (see :func:`ownership_matrix`).
- Everything is vectorised: there are Python loops over *levels* of the condensation DAG, over
  groups of strongly connected components of equal size and over fixed-point iterations, never
  over entities, edges or paths.

Integrated ownership (Vitali, Glattfelder & Battiston 2011)
-----------------------------------------------------------
The sum over all walks ``i -> ... -> j`` of the product of the shares along the walk is the
closed form ``X = (I - W)^-1 W = W + W^2 + ...`` ("integrated ownership", Brioschi, Buzzacchi &
Colombo 1989; Baldone, Brioschi & Paleari 1998). With cross-holdings a walk may pass through
its own origin ``i`` again, so value that flows back to ``i`` through a cycle is counted again as
``i``'s. Vitali, Glattfelder & Battiston, "The network of global corporate control", PLoS ONE
6(10): e25995 (2011), Supporting Information section 3 "Network Control" (3.2 "Computing
Control While Remedying the Problems", 3.3 "Proving the BFS Methodology Corrects for Cycles"),
and Glattfelder, *Decoding Complexity*
(Springer 2013), ch. 2, remove it with a diagonal correction::

    X' = D^-1 X,   D = diag((I - W)^-1)          i.e.  X'[i, j] = X[i, j] / (1 + X[i, i])

(because ``(I - W)^-1 = I + X``). Why this is exactly "count once": split every walk from ``i``
at its *last* visit to ``i``; the part before is a closed walk ``i -> i`` (total weight
``D[i, i] = 1 + X[i, i]``), the part after never returns to ``i``. So ``X'[i, j]`` is the sum
over walks from ``i`` to ``j`` that never come back through ``i``. Only the owner's own returns
are removed: walks that loop through *other* firms' cycles are genuine cash-flow claims of
``i`` and stay. (The formula is restated from those sources, not copied from them; the
last-exit argument above is what the tests check, against a dense inverse and hand-computed
cycles.) The diagonal ``X'[i, i]`` (self-ownership through cycles) is not returned.

Algorithm of :func:`integrated_ownership_with_hops`: strongly connected components (SCC) of
``W`` are condensed into a DAG; its levels are processed from the sinks up. For the rows ``R``
of one level ``B_R = W_R + W_R X`` needs only rows of lower levels, which are final. For an SCC
``C`` of that level, ``X_C = (I - W_CC)^-1 B_C``: the small block is inverted densely (batched
over SCCs of equal size); SCCs larger than ``dense_max`` are solved by the Neumann iteration
``X_C <- B_C + W_CC X_C`` on the sparse rows. Entries below ``tol`` (default ``1e-9``, far below
any ``floor``) are pruned while propagating; see the docstring for the error bound. Rows of
entities that nobody owns are never propagated further, so they are pruned at ``floor`` at once.
The products are a numpy expand-and-aggregate kernel (gather the rows, sort by (row, column),
``add.reduceat`` the values and ``minimum.reduceat`` the hop counts), chunked to bound memory.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import csgraph

__all__ = [
    "OwnershipCycleError",
    "IntegratedOwnershipTooLarge",
    "ownership_matrix",
    "integrated_ownership",
    "integrated_ownership_with_hops",
    "control",
    "ultimate_controller",
    "ultimate_owner_chain",
    "best_paths",
    "explain_path",
    "explain_paths",
    "NO_PREDECESSOR",
]

#: Marker scipy.sparse.csgraph uses in predecessor arrays for "no predecessor".
NO_PREDECESSOR = -9999

# Products per chunk of the sparse expand-and-aggregate kernel (bounds temporary memory to
# roughly 50 bytes per product).
_CHUNK = 4_000_000
_TOO_LARGE = (
    "integrated ownership exceeds max_entries stored entries (large cross-holding cycles?); "
    "raise tol or max_entries"
)
# Batched Floyd-Warshall for hop distances inside SCC blocks up to this size, BFS above.
_FW_MAX = 32


class OwnershipCycleError(ValueError):
    """A cycle of cross-holdings whose shares do not shrink: ``(I - W_CC)`` is singular or its
    walk sum diverges (spectral radius >= 1, e.g. A owns 100% of B and B owns 100% of A, or
    column sums above 1 from conflicting sources). ``members`` lists the entities of one such
    strongly connected component. A build never gets here: kg.conflicts rejects the links of
    such cycles and the derive layer scales column sums to at most 1 before calling the algebra.
    """

    def __init__(self, message: str, members: np.ndarray):
        super().__init__(message)
        self.members = np.asarray(members)


class IntegratedOwnershipTooLarge(MemoryError):
    """The integrated matrix under construction exceeded ``max_entries`` stored entries.

    Integrated ownership holds one entry per (owner, reachable firm) pair above ``tol``; it
    grows with the size of cross-holding cycles times everything they reach (a "giant
    strongly connected component" makes it quadratic). Raise ``tol`` or ``max_entries``, or
    look at the cycles (``scipy.sparse.csgraph.connected_components(W, connection='strong')``).
    """


# ---------------------------------------------------------------------------------------------
# input


def ownership_matrix(owner, owned, share, n: int) -> sp.csr_matrix:
    """Direct ownership matrix ``W`` (``W[i, j]`` = share of ``j`` owned by ``i``) from edge arrays.

    Duplicate ``(owner, owned)`` pairs (the same holding reported by several sources, which
    stand side by side) are merged by taking the **maximum** share, never the sum: two sources
    saying "40%" mean 40%, not 80%. Shares of exactly 0 are dropped. Shares must be finite and
    in ``[0, 1]``; indices must be in ``0 .. n-1``; otherwise :class:`ValueError`. Self-holdings
    (``owner == owned``, e.g. treasury shares) are kept and treated as a cycle of length one by
    :func:`integrated_ownership`; filter them out beforehand if unwanted. Column sums above 1
    (conflicting sources) are not rescaled here.

    >>> W = ownership_matrix([0, 0, 1], [1, 1, 2], [0.4, 0.5, 0.6], n=3)
    >>> W.toarray().tolist()
    [[0.0, 0.5, 0.0], [0.0, 0.0, 0.6], [0.0, 0.0, 0.0]]
    """
    owner = np.asarray(owner, dtype=np.int64).ravel()
    owned = np.asarray(owned, dtype=np.int64).ravel()
    share = np.asarray(share, dtype=np.float64).ravel()
    n = int(n)
    if not (owner.shape == owned.shape == share.shape):
        raise ValueError("owner, owned and share must have the same length")
    if owner.size:
        if owner.min() < 0 or owned.min() < 0 or owner.max() >= n or owned.max() >= n:
            raise ValueError(f"entity indices must be in 0..{n - 1}")
        if not np.isfinite(share).all() or share.min() < 0 or share.max() > 1:
            raise ValueError("shares must be finite numbers in [0, 1]")
    keep = share > 0
    owner, owned, share = owner[keep], owned[keep], share[keep]
    key = owner * n + owned
    order = np.argsort(key, kind="stable")
    key, share = key[order], share[order]
    if key.size:
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        share = np.maximum.reduceat(share, starts)
        key = key[starts]
    rows = key // n if n else key
    cols = key % n if n else key
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((share, cols.astype(_index_dtype(n)), indptr), shape=(n, n))


def _index_dtype(n: int):
    return np.int32 if n < 2**31 - 1 else np.int64


def _as_ownership(W) -> sp.csr_matrix:
    """Canonical float64 csr copy: square, summed duplicates, no explicit zeros, sorted indices."""
    if sp.issparse(W):
        W = sp.csr_matrix(W, dtype=np.float64, copy=True)
    else:
        W = sp.csr_matrix(np.asarray(W, dtype=np.float64))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"ownership matrix must be square, got {W.shape}")
    W.sum_duplicates()
    W.eliminate_zeros()
    W.sort_indices()
    if W.nnz and (not np.isfinite(W.data).all() or W.data.min() < 0):
        raise ValueError("ownership shares must be finite and non-negative")
    return W


def _row_of_entries(indptr: np.ndarray) -> np.ndarray:
    """Row index of every stored entry of a CSR structure."""
    return np.repeat(np.arange(indptr.size - 1), np.diff(indptr))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for every ``(s, l)``, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, dtype=np.int64) - offsets, lengths) + np.arange(total)


# ---------------------------------------------------------------------------------------------
# sparse expand-and-aggregate kernel: C = A (x) B with sum of products and min of hop sums


class _Rows:
    """Rows of a sparse matrix addressed by an arbitrary row id (``start``/``length`` per row),
    values in ``val`` and hop counts in ``hop`` (or ``None``)."""

    __slots__ = ("start", "length", "ind", "val", "hop")

    def __init__(self, start, length, ind, val, hop):
        self.start, self.length, self.ind, self.val, self.hop = start, length, ind, val, hop

    @classmethod
    def from_csr(cls, indptr, ind, val, hop):
        return cls(indptr[:-1], np.diff(indptr), ind, val, hop)


class _Store(_Rows):
    """Growable row store for the integrated matrix under construction (rows by entity id)."""

    __slots__ = ("size",)

    def __init__(self, n: int, with_hops: bool, capacity: int):
        capacity = max(int(capacity), 16)
        super().__init__(
            np.zeros(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
            np.empty(capacity, dtype=_index_dtype(n)),
            np.empty(capacity, dtype=np.float64),
            np.empty(capacity, dtype=np.int32) if with_hops else None,
        )
        self.size = 0

    def put(self, nodes, indptr, ind, val, hop):
        k = int(indptr[-1])
        need = self.size + k
        if need > self.ind.size:
            cap = max(need, 2 * self.ind.size)
            self.ind = _grow(self.ind, cap, self.size)
            self.val = _grow(self.val, cap, self.size)
            if self.hop is not None:
                self.hop = _grow(self.hop, cap, self.size)
        self.ind[self.size : need] = ind
        self.val[self.size : need] = val
        if self.hop is not None:
            self.hop[self.size : need] = hop
        self.start[nodes] = self.size + indptr[:-1]
        self.length[nodes] = np.diff(indptr)
        self.size = need


def _grow(a, cap, used):
    b = np.empty(cap, dtype=a.dtype)
    b[:used] = a[:used]
    return b


def _aggregate(rows, cols, vals, hops, nrows: int, ncols: int):
    """Sum values and take the min hop per (row, col); returns a local CSR tuple, sorted."""
    key = rows.astype(np.int64) * ncols + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    if key.size:
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        v = np.add.reduceat(vals[order], starts)
        h = np.minimum.reduceat(hops[order], starts) if hops is not None else None
        key = key[starts]
    else:
        v = vals[:0]
        h = hops[:0] if hops is not None else None
    r = key // ncols
    c = (key % ncols).astype(_index_dtype(ncols))
    indptr = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=nrows), out=indptr[1:])
    return indptr, c, v, h


def _multiply(
    a_ptr, a_col, a_val, a_hop, right: _Rows, nrows: int, ncols: int, plus=None, limit=None
):
    """``C = A @ right`` (+ ``plus``) with hops ``min(a_hop + right.hop)``.

    ``A`` is a local CSR (``a_ptr`` over ``nrows`` rows, columns are row ids of ``right``);
    ``plus`` is another local CSR tuple added entrywise (its hops enter the min as they are).
    Works in chunks of whole rows so that at most about ``_CHUNK`` products are alive at once.
    Raises :class:`IntegratedOwnershipTooLarge` when the result exceeds ``limit`` entries.
    """
    with_hops = right.hop is not None
    lens = right.length[a_col]
    csum = np.zeros(lens.size + 1, dtype=np.int64)
    np.cumsum(lens, out=csum[1:])
    per_row = csum[a_ptr[1:]] - csum[a_ptr[:-1]]
    if plus is not None:
        per_row = per_row + np.diff(plus[0])
    bounds = _chunk_bounds(per_row, _CHUNK)
    parts = []
    for r0, r1 in zip(bounds[:-1], bounds[1:], strict=True):
        e0, e1 = a_ptr[r0], a_ptr[r1]
        cols_a = a_col[e0:e1]
        ln = lens[e0:e1]
        src = _ranges(right.start[cols_a], ln)
        rep = np.repeat(np.arange(e0, e1), ln)
        rows = np.repeat(_row_of_entries(a_ptr[r0 : r1 + 1] - e0), ln)
        cols = right.ind[src]
        vals = a_val[rep] * right.val[src]
        hops = (a_hop[rep] + right.hop[src]) if with_hops else None
        if plus is not None:
            p_ptr, p_col, p_val, p_hop = plus
            q0, q1 = p_ptr[r0], p_ptr[r1]
            rows = np.concatenate([rows, _row_of_entries(p_ptr[r0 : r1 + 1] - q0)])
            cols = np.concatenate([cols, p_col[q0:q1]])
            vals = np.concatenate([vals, p_val[q0:q1]])
            if with_hops:
                hops = np.concatenate([hops, p_hop[q0:q1]])
        parts.append(_aggregate(rows, cols, vals, hops, r1 - r0, ncols))
        if limit is not None:
            limit -= parts[-1][1].size
            if limit < 0:
                raise IntegratedOwnershipTooLarge(_TOO_LARGE)
    return _concat_csr(parts, with_hops)


def _chunk_bounds(per_row: np.ndarray, chunk: int) -> np.ndarray:
    """Row boundaries so that each chunk holds about ``chunk`` products (at least one row)."""
    nrows = per_row.size
    if nrows == 0:
        return np.array([0, 0])
    csum = np.cumsum(per_row)
    if csum[-1] <= chunk:
        return np.array([0, nrows])
    marks = np.searchsorted(csum, np.arange(chunk, csum[-1], chunk), side="right")
    b = np.unique(np.concatenate([[0], marks, [nrows]]))
    return b


def _concat_csr(parts, with_hops):
    if len(parts) == 1:
        return parts[0]
    ptrs, offs = [np.zeros(1, dtype=np.int64)], 0
    for p in parts:
        ptrs.append(p[0][1:] + offs)
        offs += int(p[0][-1])
    return (
        np.concatenate(ptrs),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]) if with_hops else None,
    )


def _prune(csr, tol):
    """Drop entries below ``tol`` (a scalar or one threshold per row)."""
    indptr, ind, val, hop = csr
    if np.ndim(tol):
        rows = _row_of_entries(indptr)
        keep = val >= tol[rows]
    else:
        keep = val >= tol
    if keep.all():
        return csr
    rows = _row_of_entries(indptr)[keep]
    new_ptr = np.zeros_like(indptr)
    np.cumsum(np.bincount(rows, minlength=indptr.size - 1), out=new_ptr[1:])
    return new_ptr, ind[keep], val[keep], (hop[keep] if hop is not None else None)


def _take_rows(csr, rows):
    indptr, ind, val, hop = csr
    starts, lens = indptr[rows], indptr[rows + 1] - indptr[rows]
    src = _ranges(starts, lens)
    new_ptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lens, out=new_ptr[1:])
    return new_ptr, ind[src], val[src], (hop[src] if hop is not None else None)


# ---------------------------------------------------------------------------------------------
# condensation


def _condensation(W: sp.csr_matrix):
    """SCC labels and the height of every SCC in the condensation DAG (0 = no successors)."""
    n = W.shape[0]
    ncomp, labels = csgraph.connected_components(W, directed=True, connection="strong")
    rows = _row_of_entries(W.indptr)
    cr, cc = labels[rows], labels[W.indices]
    inter = cr != cc
    cr, cc = cr[inter], cc[inter]
    outdeg = np.bincount(cr, minlength=ncomp)
    order = np.argsort(cc, kind="stable")
    preds = cr[order]
    pptr = np.zeros(ncomp + 1, dtype=np.int64)
    np.cumsum(np.bincount(cc, minlength=ncomp), out=pptr[1:])
    height = np.full(ncomp, -1, dtype=np.int64)
    frontier = np.flatnonzero(outdeg == 0)
    lvl = 0
    while frontier.size:  # Kahn's algorithm, one vectorised step per level
        height[frontier] = lvl
        p = preds[_ranges(pptr[frontier], pptr[frontier + 1] - pptr[frontier])]
        if p.size == 0:
            break
        u, cnt = np.unique(p, return_counts=True)
        outdeg[u] -= cnt
        frontier = u[outdeg[u] == 0]
        lvl += 1
    assert (height >= 0).all() or n == 0
    return ncomp, labels, height


# ---------------------------------------------------------------------------------------------
# integrated ownership


def integrated_ownership(
    W,
    floor: float = 0.01,
    *,
    tol: float = 1e-9,
    dense_max: int = 4000,
    max_entries: int | None = 100_000_000,
):
    """Integrated (direct + indirect) ownership, corrected for cycles; entries ``>= floor``.

    ``X[i, j]`` = sum over all walks from ``i`` to ``j`` that do not return through ``i`` of
    the product of the shares along the walk, i.e. (Vitali, Glattfelder & Battiston 2011,
    PLoS ONE 6(10): e25995, SI sections 3.2-3.3; Glattfelder 2013, *Decoding Complexity*,
    ch. 2)::

        X = D^-1 (I - W)^-1 W,   D = diag((I - W)^-1)

    with the diagonal (self-ownership through cycles) removed and entries below ``floor``
    dropped. See :func:`integrated_ownership_with_hops` for parameters and the error bound.

    DOMAIN.md's worked example: A owns 100% of B and 80% of C; B owns 20% of D; C owns 40% of D.

    >>> A, B, C, D = range(4)
    >>> W = ownership_matrix([A, A, B, C], [B, C, D, D], [1.0, 0.8, 0.2, 0.4], n=4)
    >>> X = integrated_ownership(W)
    >>> round(float(X[A, D]), 10)
    0.52

    A cross-holding: A owns 50% of B, B owns 30% of A, A owns 20% of C. Uncorrected,
    ``(I - W)^-1 W`` would give A 0.2 / (1 - 0.15) = 0.235 of C; corrected it is 0.2, and B
    owns 0.3 * 0.2 = 0.06 of C.

    >>> W = ownership_matrix([0, 1, 0], [1, 0, 2], [0.5, 0.3, 0.2], n=3)
    >>> X = integrated_ownership(W, floor=0.0)
    >>> [round(float(X[i, j]), 10) for i, j in [(0, 2), (1, 2), (0, 1)]]
    [0.2, 0.06, 0.5]
    """
    X, _ = _integrate(W, floor, tol, False, dense_max, max_entries)
    return X


def integrated_ownership_with_hops(
    W,
    floor: float = 0.01,
    *,
    tol: float = 1e-9,
    dense_max: int = 4000,
    max_entries: int | None = 100_000_000,
):
    """Integrated ownership ``X`` (as :func:`integrated_ownership`) and hop counts ``H``.

    ``H`` has exactly the sparsity pattern of ``X`` (``H.indptr``/``H.indices`` equal
    ``X``'s, ``H.data`` aligned with ``X.data``, dtype int32): the minimum number of links on a
    path from ``i`` to ``j`` among the walks that were summed (1 = a direct holding).

    Parameters
    ----------
    W : sparse or dense ``n x n``; ``W[i, j]`` = direct share of ``j`` held by ``i``.
    floor : entries of the result below ``floor`` are dropped (the caller stores only these);
        ``floor=0`` keeps every entry that survived the pruning.
    tol : pruning threshold while propagating (keep it much smaller than ``floor``).
    dense_max : SCCs up to this size are inverted densely (``O(s^3)``, ``8 s^2`` bytes);
        larger ones by a sparse Neumann iteration on the block.
    max_entries : stop with :class:`IntegratedOwnershipTooLarge` when the matrix under
        construction (all pairs above ``tol``, about 16 bytes each) grows beyond this; ``None``
        for no limit. Guards against giant cross-holding cycles, whose integrated rows are
        dense.

    Error bound of the pruning: a propagated entry ``X[k, j] < tol`` is dropped at most once
    per entity ``k``; it reaches an upstream ``i`` multiplied by ``X[i, k]`` (<= 1 in an acyclic
    graph whose column sums are <= 1, since each unit of ``j``'s value reaches ``i`` at most
    once). Hence ``0 <= X_exact[i, j] - X[i, j] <= tol * m`` where ``m`` is the number of
    entities on paths from ``i`` to ``j`` at which something was pruned (``m`` < 10^4 keeps
    the error below 1e-5 with the default ``tol``; the benchmark measures it). With ``tol=0``
    the result is exact up to float rounding. Values are never over-estimated.

    Raises :class:`OwnershipCycleError` when a cycle's walk sum diverges.

    >>> W = ownership_matrix([0, 1, 0, 2], [1, 3, 2, 3], [1.0, 0.6, 0.5, 0.1], n=4)
    >>> X, H = integrated_ownership_with_hops(W)
    >>> round(float(X[0, 3]), 10), int(H[0, 3])
    (0.65, 2)
    """
    return _integrate(W, floor, tol, True, dense_max, max_entries)


def _integrate(W, floor, tol, with_hops, dense_max, max_entries):
    W = _as_ownership(W)
    n = W.shape[0]
    if tol < 0 or floor < 0:
        raise ValueError("floor and tol must be >= 0")
    ncomp, labels, height = _condensation(W)
    sizes = np.bincount(labels, minlength=ncomp)
    diag = W.diagonal()
    nontrivial = sizes > 1
    nontrivial[labels[diag > 0]] = True

    # nodes of every SCC, contiguous, and each node's position inside its SCC
    by_comp = np.argsort(labels, kind="stable")
    comp_ptr = np.zeros(ncomp + 1, dtype=np.int64)
    np.cumsum(sizes, out=comp_ptr[1:])
    pos_in_comp = np.empty(n, dtype=np.int64)
    pos_in_comp[by_comp] = np.arange(n) - comp_ptr[labels[by_comp]]

    # entries of W inside nontrivial SCCs (the only ones the block solves need)
    w_rows = _row_of_entries(W.indptr)
    intra = (labels[w_rows] == labels[W.indices]) & nontrivial[labels[w_rows]]
    intra_r, intra_c, intra_v = w_rows[intra], W.indices[intra].astype(np.int64), W.data[intra]
    intra_comp = labels[intra_r]

    node_height = height[labels]
    has_out = np.diff(W.indptr) > 0
    order = np.lexsort((np.arange(n), node_height))
    order = order[has_out[order]]  # rows without holdings have an empty integrated row
    h_sorted = node_height[order]
    level_bounds = np.flatnonzero(np.diff(h_sorted)) + 1
    level_bounds = np.concatenate([[0], level_bounds, [order.size]])

    unowned = (np.bincount(W.indices, minlength=n) == 0) & ~nontrivial[labels]
    store = _Store(n, with_hops, capacity=2 * W.nnz + 16)
    local = np.full(n, -1, dtype=np.int64)
    for b0, b1 in zip(level_bounds[:-1], level_bounds[1:], strict=True):
        R = np.sort(order[b0:b1])
        local[R] = np.arange(R.size)
        WR = W[R]
        a_hop = np.ones(WR.nnz, dtype=np.int32) if with_hops else None
        plus = (WR.indptr.astype(np.int64), WR.indices, WR.data, a_hop)
        budget = None if max_entries is None else max_entries - store.size
        B = _multiply(
            WR.indptr, WR.indices, WR.data, a_hop, store, R.size, n, plus=plus, limit=budget
        )
        # rows of entities nobody owns are never propagated further: prune them at the floor
        B = _prune(B, np.where(unowned[R], max(tol, floor), tol))

        comps = np.unique(labels[R])
        comps = comps[nontrivial[comps]]
        if comps.size == 0:
            store.put(R, *B)
            if max_entries is not None and store.size > max_entries:
                raise IntegratedOwnershipTooLarge(_TOO_LARGE)
        else:
            in_scc = nontrivial[labels[R]]
            triv = np.flatnonzero(~in_scc)
            if triv.size:
                store.put(R[triv], *_take_rows(B, triv))
            ctx = (labels, sizes, comp_ptr, by_comp, pos_in_comp, local)
            intra_all = (intra_r, intra_c, intra_v, intra_comp)
            solved = _solve_sccs(comps, B, ctx, intra_all, n, tol, with_hops, dense_max, budget)
            for nodes, xc in solved:
                store.put(nodes, *xc)
                if max_entries is not None and store.size > max_entries:
                    raise IntegratedOwnershipTooLarge(_TOO_LARGE)
        local[R] = -1

    return _assemble(store, n, floor, with_hops)


def _assemble(store: _Store, n: int, floor: float, with_hops: bool):
    """Rows in entity order with the cycle correction ``X[i, :] / (1 + X[i, i])``, without the
    diagonal and entries below ``floor``; in chunks of entities to bound temporary memory."""
    lens = store.length
    csum = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=csum[1:])
    bounds = _chunk_bounds(lens, _CHUNK)
    inds, vals, hops, counts = [], [], [], []
    for e0, e1 in zip(bounds[:-1], bounds[1:], strict=True):
        ln = lens[e0:e1]
        src = _ranges(store.start[e0:e1], ln)
        ind, val = store.ind[src], store.val[src]
        rows = np.repeat(np.arange(e0, e1), ln)
        on_diag = ind == rows
        dvals = np.zeros(e1 - e0)
        dvals[rows[on_diag] - e0] = val[on_diag]
        val = val / (1.0 + dvals[rows - e0])
        keep = ~on_diag & ((val >= floor) if floor > 0 else (val > 0))
        inds.append(ind[keep])
        vals.append(val[keep])
        if with_hops:
            hops.append(store.hop[src][keep])
        counts.append(np.bincount(rows[keep] - e0, minlength=e1 - e0))
    indptr = np.zeros(n + 1, dtype=np.int64)
    if n:
        np.cumsum(np.concatenate(counts), out=indptr[1:])
    ind = np.concatenate(inds) if inds else np.zeros(0, dtype=_index_dtype(n))
    val = np.concatenate(vals) if vals else np.zeros(0)
    X = sp.csr_matrix((val, ind, indptr), shape=(n, n))
    H = None
    if with_hops:
        hop = np.concatenate(hops) if hops else np.zeros(0, dtype=np.int32)
        H = sp.csr_matrix((hop, ind.copy(), indptr.copy()), shape=(n, n))
    return X, H


def _solve_sccs(comps, B, ctx, intra_all, n, tol, with_hops, dense_max, limit):
    """Yield ``(nodes, X_C rows)`` for the nontrivial SCCs ``comps`` of one level."""
    labels, sizes, comp_ptr, by_comp, pos_in_comp, local = ctx
    right = _Rows.from_csr(*B)
    csizes = sizes[comps]
    for s in np.unique(csizes):
        group = comps[csizes == s]
        if s <= dense_max:
            nodes = by_comp[comp_ptr[group][:, None] + np.arange(s)]  # (m, s)
            yield _solve_dense(
                group, nodes, right, intra_all, pos_in_comp, local, n, tol, with_hops, limit
            )
        else:
            for c in group:
                nodes = by_comp[comp_ptr[c] : comp_ptr[c + 1]]
                yield _solve_iterative(c, nodes, B, intra_all, local, n, tol, with_hops, limit)


def _block_entries(group, intra_all):
    """Entries of W inside the SCCs ``group``: (index of the SCC in group, row, col, value)."""
    intra_r, intra_c, intra_v, intra_comp = intra_all
    if intra_comp.size == 0:
        return intra_comp, intra_r, intra_c, intra_v
    slot = np.full(int(max(intra_comp.max(), group.max())) + 1, -1, dtype=np.int64)
    slot[group] = np.arange(group.size)
    b = slot[intra_comp]
    sel = b >= 0
    return b[sel], intra_r[sel], intra_c[sel], intra_v[sel]


def _cycle_error(nodes, what):
    members = np.sort(np.asarray(nodes))
    return OwnershipCycleError(
        f"cross-holding cycle of {members.size} entities {what} (spectral radius >= 1: shares "
        f"around the cycle do not shrink), e.g. entities {members[:20].tolist()}",
        members,
    )


def _solve_dense(group, nodes, right, intra_all, pos_in_comp, local, n, tol, with_hops, limit):
    """X_C = (I - W_CC)^-1 B_C for a batch of ``m`` SCCs of equal size ``s``."""
    m, s = nodes.shape
    b, r, c, v = _block_entries(group, intra_all)
    blocks = np.zeros((m, s, s))
    blocks[b, pos_in_comp[r], pos_in_comp[c]] = v
    with np.errstate(all="ignore"):
        try:
            inv = np.linalg.inv(np.eye(s) - blocks)  # batched over the SCCs of the group
        except np.linalg.LinAlgError:
            inv = np.full((m, s, s), np.nan)
    # (I - M)^-1 >= 0 for an irreducible M >= 0 iff its spectral radius is < 1
    bad = ~np.isfinite(inv).all(axis=(1, 2)) | (inv < -1e-9).any(axis=(1, 2))
    if bad.any():
        raise _cycle_error(nodes[int(np.flatnonzero(bad)[0])], "has a divergent walk sum")
    keep = inv >= tol if tol > 0 else inv > 0  # walk sums below tol are pruned, as elsewhere
    loc = local[nodes]  # (m, s) row ids of B
    a_cols = np.broadcast_to(loc[:, None, :], (m, s, s))[keep]
    a_val = inv[keep]
    a_hop = _block_hops(blocks > 0)[keep].astype(np.int32) if with_hops else None
    a_ptr = np.zeros(m * s + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=2).reshape(-1), out=a_ptr[1:])
    xc = _multiply(a_ptr, a_cols, a_val, a_hop, right, m * s, n, limit=limit)
    return nodes.reshape(-1), xc


def _block_hops(adj: np.ndarray) -> np.ndarray:
    """All-pairs link counts inside each block of an ``(m, s, s)`` boolean stack (0 on diag)."""
    m, s, _ = adj.shape
    if s <= _FW_MAX:
        d = np.where(adj, 1.0, np.inf)
        d[:, np.arange(s), np.arange(s)] = 0.0
        for k in range(s):  # batched Floyd-Warshall
            np.minimum(d, d[:, :, k : k + 1] + d[:, k : k + 1, :], out=d)
        return d
    out = np.empty((m, s, s))
    for q in range(m):  # loop over SCCs (allowed); BFS inside each
        out[q] = csgraph.shortest_path(sp.csr_matrix(adj[q]), unweighted=True, directed=True)
    return out


def _solve_iterative(c, nodes, B, intra_all, local, n, tol, with_hops, limit, max_iter=100_000):
    """``X_C = N B_C`` for one large SCC, ``N = (I - W_CC)^-1`` by the sparse Neumann iteration
    ``N <- I + W_CC N`` (pruned at ``tol``; hop counts = iteration of first appearance)."""
    _, r, cc, v = _block_entries(np.array([c]), intra_all)
    s = nodes.size
    loc = local[nodes]
    rank = np.full(int(loc.max()) + 1, -1, dtype=np.int64)
    rank[loc] = np.arange(s)
    wr, wc = rank[local[r]], rank[local[cc]]  # W_CC in the numbering of ``nodes``
    o = np.lexsort((wc, wr))
    wr, wc, wv = wr[o], wc[o], v[o]
    w_ptr = np.zeros(s + 1, dtype=np.int64)
    np.cumsum(np.bincount(wr, minlength=s), out=w_ptr[1:])
    w_hop = np.ones(wv.size, dtype=np.int32) if with_hops else None
    eye = (
        np.arange(s + 1, dtype=np.int64),
        np.arange(s, dtype=_index_dtype(s)),
        np.ones(s),
        np.zeros(s, dtype=np.int32) if with_hops else None,
    )
    N = eye
    for _ in range(max_iter):
        Nn = _prune(_multiply(w_ptr, wc, wv, w_hop, _Rows.from_csr(*N), s, s, plus=eye), tol)
        if not (np.isfinite(Nn[2]).all() and Nn[2].max() < 1e6):
            break
        if np.array_equal(Nn[0], N[0]) and np.array_equal(Nn[1], N[1]):
            diff = np.abs(Nn[2] - N[2]).max()
            hops_same = not with_hops or np.array_equal(Nn[3], N[3])
            if hops_same and diff <= 1e-13 * Nn[2].max():
                n_ptr, n_col, n_val, n_hop = Nn
                right = _Rows.from_csr(*B)
                xc = _multiply(n_ptr, loc[n_col], n_val, n_hop, right, s, n, limit=limit)
                return nodes, xc
        N = Nn
    raise _cycle_error(nodes, "does not converge")


def _level_solve(M, b, dense_max: int = 1000) -> np.ndarray:
    """Solve ``y = b + M y`` for a nonnegative sparse ``M`` whose cycles shrink.

    Same condensation as the integrated matrix: levels of the DAG of strongly connected
    components from the sinks up; acyclic rows are a sparse mat-vec per level, SCC blocks are
    solved densely (batched by size) or with SuperLU above ``dense_max``. Exact up to rounding
    in one pass, however long the chains.
    """
    M = _as_ownership(M)
    n = M.shape[0]
    b = np.asarray(b, dtype=np.float64)
    y = np.zeros(n)
    if n == 0:
        return y
    ncomp, labels, height = _condensation(M)
    sizes = np.bincount(labels, minlength=ncomp)
    nontrivial = sizes > 1
    nontrivial[labels[M.diagonal() > 0]] = True
    order = np.lexsort((np.arange(n), height[labels]))
    hs = height[labels][order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(hs)) + 1, [n]])
    pos = np.empty(n, dtype=np.int64)
    for b0, b1 in zip(bounds[:-1], bounds[1:], strict=True):
        R = np.sort(order[b0:b1])
        MR = M[R]
        y[R] = b[R] + MR @ y  # unknowns of this level (and of its SCCs) are still 0 in y
        lab = labels[R]
        cyc = nontrivial[lab]
        if not cyc.any():
            continue
        # SCC blocks of this level: (I - M_CC) y_C = rhs_C, rhs_C = the value just computed
        Rc, labc = R[cyc], lab[cyc]
        o = np.lexsort((Rc, labc))
        Rc, labc = Rc[o], labc[o]
        first = np.r_[True, labc[1:] != labc[:-1]]
        starts = np.flatnonzero(first)
        csize = np.diff(np.r_[starts, Rc.size])
        pos[Rc] = np.arange(Rc.size) - np.repeat(starts, csize)
        sub = M[Rc][:, Rc].tocoo()
        same = labc[sub.row] == labc[sub.col]
        er, ec, ev = sub.row[same], sub.col[same], sub.data[same]
        comp_of = np.repeat(np.arange(starts.size), csize)
        for s in np.unique(csize):
            group = np.flatnonzero(csize == s)
            nodes = Rc[starts[group][:, None] + np.arange(s)]  # (m, s)
            if s <= dense_max:
                slot = np.full(starts.size, -1, dtype=np.int64)
                slot[group] = np.arange(group.size)
                k = slot[comp_of[er]]
                sel = k >= 0
                blocks = np.zeros((group.size, s, s))
                blocks[k[sel], pos[Rc[er[sel]]], pos[Rc[ec[sel]]]] = ev[sel]
                with np.errstate(all="ignore"):
                    try:
                        inv = np.linalg.inv(np.eye(s) - blocks)
                    except np.linalg.LinAlgError:
                        inv = np.full(blocks.shape, np.nan)
                bad = ~np.isfinite(inv).all(axis=(1, 2)) | (inv < -1e-9).any(axis=(1, 2))
                if bad.any():
                    raise _cycle_error(nodes[int(np.flatnonzero(bad)[0])], "diverges")
                y[nodes] = np.einsum("mij,mj->mi", inv, y[nodes])
            else:
                for q in range(group.size):
                    C = nodes[q]
                    A = sp.identity(s, format="csc") - M[C][:, C].tocsc()
                    yc = spla.spsolve(A, y[C])
                    if not np.isfinite(yc).all() or (yc < -1e-9).any():
                        raise _cycle_error(C, "diverges")
                    y[C] = yc
    return y


# ---------------------------------------------------------------------------------------------
# control


def _above(S: sp.csr_matrix, threshold: float, row_ids: np.ndarray) -> sp.csr_matrix:
    """Boolean csr of ``S > threshold`` without the entries where the column is the row's own
    entity (``row_ids[k]`` is the entity of row ``k``)."""
    S = S.tocsr()
    S.sort_indices()
    rows = _row_of_entries(S.indptr)
    keep = (S.data > threshold) & (S.indices != row_ids[rows])
    indptr = np.zeros(S.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=S.shape[0]), out=indptr[1:])
    return sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=bool), S.indices[keep], indptr), shape=S.shape
    )


def _replace_rows(C: sp.csr_matrix, rows: np.ndarray, new: sp.csr_matrix) -> sp.csr_matrix:
    n = C.shape[0]
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    r_old = _row_of_entries(C.indptr)
    keep = ~mask[r_old]
    r = np.concatenate([r_old[keep], rows[_row_of_entries(new.indptr)]])
    c = np.concatenate([C.indices[keep], new.indices])
    out = sp.csr_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=C.shape)
    out.sort_indices()
    return out


def control(W, threshold: float = 0.5, *, declared=None) -> sp.csr_matrix:
    """Control relation: ``C[x, y]`` is True when ``x`` controls ``y`` (DOMAIN.md).

    ``x`` controls ``y`` if ``x`` directly owns more than ``threshold`` of ``y``, or if ``x``
    together with the firms it already controls owns more than ``threshold`` of ``y`` (the sum
    of the direct shares in ``y`` held by ``x`` and by every firm ``x`` controls). This is the
    least fixed point of ``C <- (W + C W > threshold)``, reached by iterating sparse products;
    only rows whose controlled set grew in the last round are recomputed (``x``'s combined
    holdings depend only on ``x``'s own controlled set). Strictly greater than the threshold:
    50/50 splits give no control; joint control is not modelled. The relation is transitive.
    With mutual majority cross-holdings two firms can control each other; ``x`` never appears
    as controlling itself (the diagonal is dropped).

    ``declared`` (boolean ``n x n``, optional): control a source declares without a share, such
    as an accounting consolidation (``declared[x, y]``: x consolidates y). It counts as control
    of ``y`` by ``x`` and passes on like any other: what ``x`` controls includes what its
    controlled firms control or hold a majority of together with it.

    >>> D = sp.csr_matrix(([True], ([0], [1])), shape=(3, 3))   # 0 consolidates 1
    >>> W = ownership_matrix([1], [2], [0.6], n=3)                # 1 owns 60% of 2
    >>> sorted(control(W, declared=D)[0].indices.tolist())
    [1, 2]

    >>> A, B, C, D = range(4)
    >>> W = ownership_matrix([A, A, B, C], [B, C, D, D], [1.0, 0.8, 0.2, 0.4], n=4)
    >>> Ctl = control(W)
    >>> bool(Ctl[A, D]), bool(Ctl[B, D]), sorted(Ctl[A].indices.tolist())
    (True, False, [1, 2, 3])
    """
    W = _as_ownership(W)
    n = W.shape[0]
    D = None
    if declared is not None:
        D = _as_ownership(sp.csr_matrix(declared, dtype=np.float64))  # 1.0 where declared
        D.data[:] = 2.0 * max(threshold, 1.0)  # always above the threshold
    C = _above(W if D is None else W + D, threshold, np.arange(n))
    rows = np.flatnonzero(np.diff(C.indptr) > 0)
    while rows.size:
        Cr = C[rows]
        S = W[rows] + Cr.astype(np.float64) @ W
        if D is not None:  # declared control: one's own, and that of the firms one controls
            S = S + D[rows] + Cr.astype(np.float64) @ D
        Cn = _above(S, threshold, rows)
        grew = np.diff(Cn.indptr) > np.diff(Cr.indptr)
        if not grew.any():
            break
        rows = rows[grew]
        C = _replace_rows(C, rows, Cn[np.flatnonzero(grew)])
    return C


def ultimate_controller(W, threshold: float = 0.5, *, controls=None) -> np.ndarray:
    """Ultimate controller of every entity (``-1`` when nobody controls it).

    The top of the chain of control: an entity that controls ``j`` (per :func:`control`, which
    aggregates holdings through controlled firms) and that is itself controlled by nobody.
    Control cycles (``A`` controls ``B`` controls ``A``, possible with cross-holdings) have no
    uncontrolled top; then the members of the cycle that nobody outside controls count as tops
    and the **lowest entity index** among the tops that control ``j`` is taken. So every firm
    under the cycle gets the cycle's lowest index, and a cycle member gets the lowest *other*
    member (never itself). An entity nobody controls gets ``-1`` (also when it controls
    others). Pass ``controls=control(W, threshold)`` to reuse a computed relation.

    Compare :func:`ultimate_owner_chain` (Orbis-style): that one needs a single link of at
    least 50.01% at every step and does not add up holdings of controlled firms.

    >>> W = ownership_matrix([0, 1, 0, 2], [1, 3, 2, 3], [0.9, 0.3, 0.6, 0.3], n=4)
    >>> ultimate_controller(W).tolist()   # 0 controls 1 and 2, which together own 60% of 3
    [-1, 0, 0, 0]
    """
    C = control(W, threshold) if controls is None else sp.csr_matrix(controls, dtype=bool)
    n = C.shape[0]
    C.sort_indices()
    CT = C.T.tocsr()
    mutual = C.multiply(CT).tocsr()  # x controls y and y controls x
    n_controllers = np.diff(CT.indptr)
    top = n_controllers == np.diff(mutual.indptr)  # every controller of x is controlled by x
    # lowest-index top among the controllers of each column j (CT row j lists them, sorted)
    rows = _row_of_entries(CT.indptr)
    cand = np.where(top[CT.indices], CT.indices, n).astype(np.int64)
    out = np.full(n, n, dtype=np.int64)
    if cand.size:
        np.minimum.at(out, rows, cand)
    out[out == n] = -1
    return out


def ultimate_owner_chain(W, link_threshold: float = 0.5001) -> np.ndarray:
    """Orbis-style ultimate owner: the top of a chain with ``>= link_threshold`` at every link.

    Each entity's *parent* is its direct owner with the largest share among those holding at
    least ``link_threshold`` (50.01% by default; pass ``0.2501`` for Orbis's 25.01% variant,
    where up to three owners can qualify: the largest wins, ties go to the lowest index).
    The ultimate owner is reached by following parents until an entity without a parent
    (pointer jumping, ``O(log depth)`` vectorised steps); ``-1`` when the entity has no
    parent. Unlike :func:`ultimate_controller`, holdings are not added up: 30% direct plus 30%
    through a wholly owned subsidiary is control, but not an Orbis chain link.

    Cycles of parents (A holds 60% of B and B 60% of A) are broken deterministically like in
    :func:`ultimate_controller`: everything hanging below the cycle gets the cycle's lowest
    entity index, and each cycle member gets the lowest *other* member.

    >>> W = ownership_matrix([0, 1, 3, 3], [1, 2, 2, 4], [0.6, 0.51, 0.3, 0.5], n=5)
    >>> ultimate_owner_chain(W).tolist()
    [-1, 0, 0, -1, -1]
    >>> ultimate_owner_chain(W, link_threshold=0.2501).tolist()
    [-1, 0, 0, -1, 3]
    """
    W = _as_ownership(W)
    n = W.shape[0]
    Wc = W.tocsc()
    Wc.sort_indices()
    col = _row_of_entries(Wc.indptr)
    own = Wc.indices.astype(np.int64)
    ok = (Wc.data >= link_threshold) & (own != col)
    col, own, val = col[ok], own[ok], Wc.data[ok]
    o = np.lexsort((own, -val, col))  # per column: largest share first, then lowest index
    col, own = col[o], own[o]
    first = np.ones(col.size, dtype=bool)
    first[1:] = col[1:] != col[:-1]
    parent = np.full(n, -1, dtype=np.int64)
    parent[col[first]] = own[first]

    has_parent = parent >= 0
    child = np.flatnonzero(has_parent)
    G = sp.csr_matrix((np.ones(child.size), (child, parent[child])), shape=(n, n))
    ncomp, lab = csgraph.connected_components(G, directed=True, connection="strong")
    size = np.bincount(lab, minlength=ncomp)
    in_cycle = size[lab] > 1
    # lowest and second-lowest member of every cycle
    o = np.lexsort((np.arange(n), lab))
    starts = np.zeros(ncomp + 1, dtype=np.int64)
    np.cumsum(size, out=starts[1:])
    lowest = o[starts[:-1]]
    second = np.where(size > 1, o[np.minimum(starts[:-1] + 1, n - 1)], -1)
    nxt = np.where(has_parent, parent, np.arange(n))
    reps = lowest[size > 1]
    nxt[reps] = reps  # cut each cycle at its lowest member
    while True:  # pointer jumping
        nn = nxt[nxt]
        if np.array_equal(nn, nxt):
            break
        nxt = nn
    out = nxt.copy()
    out[out == np.arange(n)] = -1  # roots: nobody above
    is_rep = np.zeros(n, dtype=bool)
    is_rep[reps] = True
    out[is_rep] = second[lab[is_rep]]
    out[~has_parent & ~in_cycle] = -1
    return out


# ---------------------------------------------------------------------------------------------
# explaining paths


def best_paths(W, sources):
    """Max-product ownership path from any of ``sources`` to every entity.

    Returns ``(dist, predecessors)``: ``dist[j] = -log`` of the largest product of direct
    shares along a path from some source to ``j`` (``0`` at the sources, ``inf`` when
    unreachable; ``np.exp(-dist)`` is that product), and the predecessor of ``j`` on that path
    (:data:`NO_PREDECESSOR` = -9999 at sources and unreachable entities). Computed by one
    multi-source Dijkstra (``scipy.sparse.csgraph.dijkstra(..., indices=sources,
    min_only=True)``) on weights ``-log(share)``; 100% links have weight 0 (explicit zeros are
    edges for csgraph). Ties are broken by scipy's traversal order.

    >>> W = ownership_matrix([0, 0, 1, 2], [1, 2, 3, 3], [0.9, 0.5, 0.5, 0.8], n=4)
    >>> dist, pred = best_paths(W, [0])
    >>> round(float(np.exp(-dist[3])), 10), explain_path(pred, 3)
    (0.45, [0, 1, 3])
    """
    W = _as_ownership(W)
    sources = np.unique(np.asarray(sources, dtype=np.int64).ravel())
    n = W.shape[0]
    if sources.size == 0:
        return np.full(n, np.inf), np.full(n, NO_PREDECESSOR, dtype=np.int32)
    G = W.copy()
    G.data = -np.log(np.minimum(G.data, 1.0))
    G.data[G.data < 0] = 0.0
    dist, pred, _ = csgraph.dijkstra(
        G, directed=True, indices=sources, min_only=True, return_predecessors=True
    )
    return dist, pred


def explain_path(predecessors, target: int, dist=None) -> list[int]:
    """Entity indices of the path ending at ``target``, source first (from :func:`best_paths`).

    ``[target]`` when ``target`` is itself a source; ``[]`` when ``dist`` is given and
    ``target`` is unreachable (without ``dist`` an unreachable target also gives ``[target]``).

    >>> explain_path(np.array([-9999, 0, 1]), 2)
    [0, 1, 2]
    """
    if dist is not None and not np.isfinite(dist[target]):
        return []
    path = [int(target)]
    cur = int(target)
    for _ in range(len(predecessors)):
        cur = int(predecessors[cur])
        if cur < 0:
            break
        path.append(cur)
    return path[::-1]


def explain_paths(predecessors, targets, dist=None) -> np.ndarray:
    """Paths for many targets at once: an ``(len(targets), L)`` int array, source first, padded
    with ``-1`` on the right (``L`` = longest path). Rows of unreachable targets (when ``dist``
    is given) are all ``-1``. Vectorised over targets (one step per link of the longest path).

    >>> explain_paths(np.array([-9999, 0, 1, -9999]), [2, 1, 3]).tolist()
    [[0, 1, 2], [0, 1, -1], [3, -1, -1]]
    """
    pred = np.asarray(predecessors, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64).ravel()
    back = [targets]
    cur = targets
    for _ in range(pred.size):
        cur = np.where(cur >= 0, pred[np.maximum(cur, 0)], -1)
        cur = np.where(cur < 0, -1, cur)
        if (cur < 0).all():
            break
        back.append(cur)
    M = np.stack(back, axis=1)  # target first
    length = (M >= 0).sum(axis=1)
    L = M.shape[1]
    k = np.arange(L)
    src = length[:, None] - 1 - k[None, :]
    out = np.where(src >= 0, np.take_along_axis(M, np.maximum(src, 0), axis=1), -1)
    if dist is not None:
        out[~np.isfinite(np.asarray(dist)[targets])] = -1
    return out
