"""Ownership arithmetic: exact hand-computed cases, properties against brute force."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph

from kg.derive.ownership import (
    NO_PREDECESSOR,
    OwnershipCycleError,
    best_paths,
    control,
    explain_path,
    explain_paths,
    integrated_ownership,
    integrated_ownership_with_hops,
    ownership_matrix,
    ultimate_controller,
    ultimate_owner_chain,
)


def W_of(edges, n):
    o, d, s = zip(*edges, strict=True) if edges else ((), (), ())
    return ownership_matrix(np.array(o, int), np.array(d, int), np.array(s, float), n)


def dense_corrected(W):
    """Reference: D^-1 (I - W)^-1 W with the diagonal removed (Vitali et al. 2011)."""
    Wd = W.toarray() if sp.issparse(W) else np.asarray(W)
    N = np.linalg.inv(np.eye(len(Wd)) - Wd)
    X = (N @ Wd) / np.diag(N)[:, None]
    np.fill_diagonal(X, 0.0)
    return X


# --------------------------------------------------------------------------- ownership_matrix


def test_ownership_matrix_takes_max_of_duplicates():
    W = ownership_matrix([0, 0, 0, 1], [1, 1, 1, 2], [0.4, 0.7, 0.5, 0.25], 3)
    assert W[0, 1] == 0.7 and W[1, 2] == 0.25 and W.nnz == 2


def test_ownership_matrix_drops_zero_and_validates():
    assert ownership_matrix([0], [1], [0.0], 2).nnz == 0
    with pytest.raises(ValueError):
        ownership_matrix([0], [2], [0.5], 2)
    with pytest.raises(ValueError):
        ownership_matrix([0], [1], [1.5], 2)
    with pytest.raises(ValueError):
        ownership_matrix([0], [1], [float("nan")], 2)
    with pytest.raises(ValueError):
        ownership_matrix([0, 1], [1], [0.5], 2)
    assert ownership_matrix([], [], [], 0).shape == (0, 0)


# --------------------------------------------------------------------------- exact cases


def test_chain():
    W = W_of([(0, 1, 1.0), (1, 2, 0.6)], 3)
    X, H = integrated_ownership_with_hops(W)
    assert X[0, 2] == pytest.approx(0.6, abs=1e-15)
    assert X[0, 1] == 1.0 and X[1, 2] == 0.6
    assert (H[0, 2], H[0, 1], H[1, 2]) == (2, 1, 1)
    assert X.nnz == 3 and (H.indptr == X.indptr).all() and (H.indices == X.indices).all()


def test_diamond():
    # A -> B (0.5), A -> C (0.5), B -> D (0.4), C -> D (0.6): A owns 0.2 + 0.3 of D
    W = W_of([(0, 1, 0.5), (0, 2, 0.5), (1, 3, 0.4), (2, 3, 0.6)], 4)
    X, H = integrated_ownership_with_hops(W)
    assert X[0, 3] == pytest.approx(0.5, abs=1e-15)
    assert H[0, 3] == 2


def test_domain_worked_example():
    A, B, C, D = range(4)
    W = W_of([(A, B, 1.0), (A, C, 0.8), (B, D, 0.2), (C, D, 0.4)], 4)
    X = integrated_ownership(W)
    assert X[A, D] == pytest.approx(0.52, abs=1e-15)
    assert control(W)[A, D]
    assert ultimate_controller(W)[D] == A


def test_cycle_hand_computed():
    # A 50% B, B 30% A, A 20% C. Walks A->C: 0.2 (1 + 0.15 + 0.15^2 ...) = 0.2 / 0.85, but
    # 0.15 of that is A's own value coming back: corrected X[A, C] = 0.2.
    A, B, C = range(3)
    W = W_of([(A, B, 0.5), (B, A, 0.3), (A, C, 0.2)], 3)
    X, H = integrated_ownership_with_hops(W, floor=0.0)
    assert X[A, C] == pytest.approx(0.2, abs=1e-14)
    assert X[B, C] == pytest.approx(0.3 * 0.2, abs=1e-14)  # B -> A -> C, no return to B
    assert X[A, B] == pytest.approx(0.5, abs=1e-14)
    assert X[B, A] == pytest.approx(0.3, abs=1e-14)
    assert X[A, A] == 0 and X[B, B] == 0  # self-ownership not reported
    assert (H[A, C], H[B, C], H[A, B]) == (1, 2, 1)
    np.testing.assert_allclose(X.toarray(), dense_corrected(W), atol=1e-14)


def test_cycle_seen_from_outside_keeps_loops():
    # U owns 70% of A; A and B cross-hold as above. U is outside the cycle, so every loop
    # through A and B is a genuine claim: U's share of C = 0.7 * 0.2 / 0.85.
    U, A, B, C = range(4)
    W = W_of([(U, A, 0.7), (A, B, 0.5), (B, A, 0.3), (A, C, 0.2)], 4)
    X = integrated_ownership(W, floor=0.0)
    assert X[U, C] == pytest.approx(0.7 * 0.2 / 0.85, abs=1e-14)
    np.testing.assert_allclose(X.toarray(), dense_corrected(W), atol=1e-14)


def test_self_holding_is_a_cycle_of_length_one():
    W = W_of([(0, 0, 0.1), (0, 1, 0.5)], 2)
    X = integrated_ownership(W, floor=0.0)
    assert X[0, 1] == pytest.approx(0.5)
    np.testing.assert_allclose(X.toarray(), dense_corrected(W), atol=1e-14)


def test_floor_drops_small_entries():
    W = W_of([(0, 1, 0.1), (1, 2, 0.05)], 3)
    X = integrated_ownership(W, floor=0.01)
    assert X[0, 2] == 0 and X.nnz == 2  # 0.005 < floor
    assert integrated_ownership(W, floor=0.001)[0, 2] == pytest.approx(0.005)


def test_divergent_cycle_raises():
    W = W_of([(0, 1, 1.0), (1, 0, 1.0), (2, 0, 0.5)], 3)
    with pytest.raises(OwnershipCycleError) as e:
        integrated_ownership(W)
    assert e.value.members.tolist() == [0, 1]
    with pytest.raises(OwnershipCycleError):
        integrated_ownership(W, dense_max=1)  # iterative path detects it too


def test_dense_input_and_empty():
    X = integrated_ownership(np.array([[0, 0.6], [0, 0]]))
    assert X[0, 1] == 0.6
    X, H = integrated_ownership_with_hops(sp.csr_matrix((0, 0)))
    assert X.shape == (0, 0) and H.shape == (0, 0)
    X, H = integrated_ownership_with_hops(sp.csr_matrix((5, 5)))
    assert X.nnz == 0


# --------------------------------------------------------------------------- properties


@st.composite
def dag_edges(draw, max_n=9):
    n = draw(st.integers(2, max_n))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 18)))
    # random shares, then scale each column so its sum is <= 1
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chosen), max_size=len(chosen)))
    perm = draw(st.permutations(range(n)))  # relabel so that the DAG is not index-sorted
    edges = [(perm[i], perm[j], s) for (i, j), s in zip(chosen, raw, strict=True)]
    return n, _column_normalise(edges, n)


@st.composite
def cyclic_edges(draw, max_n=8):
    n = draw(st.integers(2, max_n))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 20)))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chosen), max_size=len(chosen)))
    edges = list(zip(*zip(*chosen, strict=True), raw, strict=True)) if chosen else []
    # column sums strictly below 1 so that every cycle shrinks
    return n, _column_normalise(edges, n, cap=0.95)


def _column_normalise(edges, n, cap=1.0):
    tot = np.zeros(n)
    for _, j, s in edges:
        tot[j] += s
    scale = np.where(tot > cap, cap / np.maximum(tot, 1e-300), 1.0)
    return [(i, j, s * scale[j]) for i, j, s in edges]


def brute_force(edges, n):
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for i, j, s in edges:
        G.add_edge(i, j, w=s)
    X = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            for path in nx.all_simple_paths(G, i, j):
                X[i, j] += math.prod(
                    G.edges[a, b]["w"] for a, b in zip(path, path[1:], strict=False)
                )
    return X


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(dag_edges())
def test_acyclic_equals_path_enumeration(case):
    n, edges = case
    W = W_of(edges, n)
    X, H = integrated_ownership_with_hops(W, floor=0.0, tol=0.0)
    np.testing.assert_allclose(X.toarray(), brute_force(edges, n), atol=1e-12)
    _check_hops(W, X, H)


@SETTINGS
@given(cyclic_edges())
def test_cyclic_equals_dense_closed_form(case):
    n, edges = case
    W = W_of(edges, n)
    X, H = integrated_ownership_with_hops(W, floor=0.0, tol=0.0)
    ref = dense_corrected(W)
    np.testing.assert_allclose(X.toarray(), ref, atol=1e-10)
    _check_hops(W, X, H)
    # the iterative path for large SCCs gives the same result
    X2, H2 = integrated_ownership_with_hops(W, floor=0.0, tol=0.0, dense_max=1)
    np.testing.assert_allclose(X2.toarray(), ref, atol=1e-10)
    assert (H2.toarray() == H.toarray()).all()
    # the floor only drops entries
    X3 = integrated_ownership(W, floor=0.05)
    dense = X.toarray()
    np.testing.assert_allclose(X3.toarray(), np.where(dense >= 0.05, dense, 0), atol=1e-12)


def _check_hops(W, X, H):
    assert (H.indptr == X.indptr).all() and (H.indices == X.indices).all()
    bfs = csgraph.shortest_path(W, unweighted=True, directed=True)
    r, c = X.nonzero()
    assert (H.toarray()[r, c] == bfs[r, c]).all()


def test_pruning_error_is_tiny_on_a_random_forest():
    rng = np.random.default_rng(1)
    n = 3000
    parent = np.array([rng.integers(0, max(i, 1)) for i in range(1, n)])
    child = np.arange(1, n)
    share = rng.uniform(0.05, 1.0, n - 1)
    extra_o = rng.integers(0, n, 300)
    extra_d = rng.integers(0, n, 300)
    keep = extra_o != extra_d
    o = np.concatenate([parent, extra_o[keep]])
    d = np.concatenate([child, extra_d[keep]])
    s = np.concatenate([share * 0.8, np.full(keep.sum(), 0.15)])
    W = ownership_matrix(o, d, s, n)
    exact = integrated_ownership(W, floor=0.0, tol=0.0)
    approx = integrated_ownership(W, floor=0.0, tol=1e-9)
    diff = abs(exact - approx)
    assert diff.max() < 1e-6
    assert (approx - exact).max() <= 1e-15  # never over-estimates


# --------------------------------------------------------------------------- control


def brute_control(Wd, t=0.5):
    n = len(Wd)
    C = np.zeros((n, n), bool)
    for x in range(n):
        ctl = set()
        while True:
            s = Wd[x].copy()
            for z in ctl:
                s += Wd[z]
            new = {y for y in range(n) if y != x and s[y] > t}
            if new == ctl:
                break
            ctl = new
        C[x, list(ctl)] = True
    return C


@SETTINGS
@given(cyclic_edges(max_n=9))
def test_control_matches_definition_and_is_transitive(case):
    n, edges = case
    W = W_of(edges, n)
    C = control(W).toarray()
    assert (C == brute_control(W.toarray())).all()
    assert not C.diagonal().any()
    closure = C.copy()
    for k in range(n):  # Warshall
        closure |= closure[:, [k]] & closure[[k], :]
    np.fill_diagonal(closure, False)
    assert (closure == C).all()


def test_control_through_controlled_firms():
    # X owns 30% of Y directly and 100% of S, which owns 30% of Y: together 60%
    X, S, Y = range(3)
    W = W_of([(X, Y, 0.3), (X, S, 1.0), (S, Y, 0.3)], 3)
    assert control(W)[X, Y]
    assert ultimate_controller(W)[Y] == X
    assert ultimate_owner_chain(W)[Y] == -1  # no single >= 50.01% link into Y


def test_control_strictly_more_than_half():
    W = W_of([(0, 2, 0.5), (1, 2, 0.5)], 3)
    assert control(W).nnz == 0
    assert ultimate_controller(W).tolist() == [-1, -1, -1]


def test_ultimate_controller_chain_and_cycle():
    # chain 0 -> 1 -> 2 (60% each) and a mutual-control pair 3 <-> 4 controlling 5
    W = W_of([(0, 1, 0.6), (1, 2, 0.6), (3, 4, 0.6), (4, 3, 0.6), (4, 5, 0.9)], 6)
    u = ultimate_controller(W)
    assert u.tolist() == [-1, 0, 0, 4, 3, 3]
    o = ultimate_owner_chain(W)
    assert o.tolist() == [-1, 0, 0, 4, 3, 3]


def test_ultimate_controller_cycle_with_outside_controller():
    # 0 controls 1; 1 and 2 control each other: everybody's top is 0
    W = W_of([(0, 1, 0.7), (1, 2, 0.6), (2, 1, 0.2), (2, 3, 0.9)], 4)
    assert ultimate_controller(W).tolist() == [-1, 0, 0, 0]


def test_ultimate_owner_chain_orbis_threshold():
    W = W_of([(0, 1, 0.5), (2, 1, 0.3), (1, 3, 0.5001), (4, 5, 0.26), (6, 5, 0.3)], 7)
    assert ultimate_owner_chain(W).tolist() == [-1, -1, -1, 1, -1, -1, -1]
    # 25.01%: 0 is 1's largest qualifying owner; 6 (30%) beats 4 (26%) for 5
    assert ultimate_owner_chain(W, 0.2501).tolist() == [-1, 0, -1, 0, -1, 6, -1]


def test_ultimate_owner_chain_long_chain_pointer_jumping():
    n = 1000
    W = W_of([(i, i + 1, 0.9) for i in range(n - 1)], n)
    out = ultimate_owner_chain(W)
    assert out[0] == -1 and (out[1:] == 0).all()
    assert (ultimate_controller(W)[1:] == 0).all()


def test_ultimate_with_precomputed_controls():
    W = W_of([(0, 1, 0.6), (1, 2, 0.6)], 3)
    assert ultimate_controller(W, controls=control(W)).tolist() == [-1, 0, 0]


# --------------------------------------------------------------------------- paths


def test_best_paths_and_explain():
    W = W_of([(0, 1, 0.9), (0, 2, 0.5), (1, 3, 0.5), (2, 3, 0.8), (4, 5, 1.0)], 6)
    dist, pred = best_paths(W, [0, 4])
    assert np.exp(-dist[3]) == pytest.approx(0.45)
    assert explain_path(pred, 3) == [0, 1, 3]
    assert explain_path(pred, 5) == [4, 5]  # a 100% link has weight 0 and is used
    assert dist[5] == 0 and pred[4] == NO_PREDECESSOR
    assert explain_path(pred, 0) == [0]
    dist2, pred2 = best_paths(W, [4])
    assert explain_path(pred2, 3, dist2) == []
    M = explain_paths(pred, [3, 5, 0, 2])
    assert M.tolist() == [[0, 1, 3], [4, 5, -1], [0, -1, -1], [0, 2, -1]]
    assert explain_paths(pred2, [3, 5], dist2).tolist() == [[-1, -1], [4, 5]]


def test_best_paths_no_sources():
    dist, pred = best_paths(W_of([(0, 1, 0.5)], 2), [])
    assert np.isinf(dist).all() and (pred == NO_PREDECESSOR).all()


def _random_cyclic(n, m, seed):
    rng = np.random.default_rng(seed)
    o = rng.integers(0, n, m)
    d = rng.integers(0, n, m)
    keep = o != d
    o, d = o[keep], d[keep]
    s = rng.uniform(0.05, 1.0, o.size)
    tot = np.bincount(d, weights=s, minlength=n)
    s = s * np.where(tot > 0.9, 0.9 / np.maximum(tot, 1e-300), 1.0)[d]
    return ownership_matrix(o, d, s, n)


@pytest.mark.parametrize("dense_max", [1000, 20, 1])
def test_large_scc_all_solvers_agree_with_closed_form(dense_max):
    # ~60 entities, most of them in one strongly connected component (> _FW_MAX, so the BFS
    # hop branch runs with the dense solver; the iterative solver with dense_max < size)
    W = _random_cyclic(60, 150, seed=3)
    sizes = np.bincount(csgraph.connected_components(W, connection="strong")[1])
    assert sizes.max() > 32
    X, H = integrated_ownership_with_hops(W, floor=0.0, tol=0.0, dense_max=dense_max)
    np.testing.assert_allclose(X.toarray(), dense_corrected(W), atol=1e-10)
    _check_hops(W, X, H)


def test_max_entries_guard():
    from kg.derive.ownership import IntegratedOwnershipTooLarge

    W = _random_cyclic(60, 150, seed=3)
    with pytest.raises(IntegratedOwnershipTooLarge):
        integrated_ownership(W, floor=0.0, tol=0.0, max_entries=100)
    with pytest.raises(IntegratedOwnershipTooLarge):
        integrated_ownership(W, floor=0.0, tol=0.0, max_entries=100, dense_max=1)
    assert integrated_ownership(W, max_entries=None).nnz > 0


def test_chunked_kernel_matches_unchunked(monkeypatch):
    import kg.derive.ownership as ow

    W = _random_cyclic(300, 900, seed=5)
    ref = integrated_ownership(W, floor=0.0, tol=0.0).toarray()
    monkeypatch.setattr(ow, "_CHUNK", 7)
    X, H = integrated_ownership_with_hops(W, floor=0.0, tol=0.0)
    np.testing.assert_allclose(X.toarray(), ref, atol=1e-12)
    _check_hops(W, X, H)
