"""State share, state control, influence levels and explaining paths on hand-made graphs."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.derive.ownership import OwnershipCycleError, ownership_matrix
from kg.derive.state import INFLUENCE_LEVELS, state_set, state_shares


def W_of(edges, n):
    o, d, s = zip(*edges, strict=True) if edges else ((), (), ())
    return ownership_matrix(np.array(o, int), np.array(d, int), np.array(s, float), n)


def mask(n, *idx):
    m = np.zeros(n, bool)
    m[list(idx)] = True
    return m


def test_value_counted_once():
    # GovBody 100% Holding, Holding 60% Firm: 0.6, not 1.0 * 0.6 + 0.6
    Gov, Holding, Firm = range(3)
    r = state_shares(W_of([(Gov, Holding, 1.0), (Holding, Firm, 0.6)], 3), mask(3, Gov))
    assert r.share.tolist() == [1.0, 1.0, 0.6]
    assert r.controlled.tolist() == [True, True, True]
    assert r.level.tolist() == ["high", "high", "high"]
    assert r.path(Firm) == [Gov, Holding, Firm]
    assert r.path_share[Firm] == pytest.approx(0.6)


def test_state_bodies_act_together():
    # two ministries with 30% each control the firm jointly; a third 45% private owner
    M1, M2, F, P = range(4)
    W = W_of([(M1, F, 0.3), (M2, F, 0.3), (P, F, 0.4)], 4)
    r = state_shares(W, mask(4, M1, M2))
    assert r.share[F] == pytest.approx(0.6)
    assert r.controlled[F] and r.level[F] == "high"
    r2 = state_shares(W, mask(4, M1, M2), joint=False)
    assert not r2.controlled[F] and r2.level[F] == "medium"
    assert r2.share[F] == pytest.approx(0.6)


def test_levels():
    # Gov holds 30% of A (medium), 10% of B (low); A holds 50% of C (share 0.15: low)
    Gov, A, B, C, D = range(5)
    W = W_of([(Gov, A, 0.3), (Gov, B, 0.1), (A, C, 0.5), (D, A, 0.7)], 5)
    r = state_shares(W, mask(5, Gov))
    assert r.share.round(12).tolist() == [1.0, 0.3, 0.1, 0.15, 0.0]
    assert r.level.tolist() == ["high", "medium", "low", "low", "none"]
    assert r.path(C) == [Gov, A, C] and r.path(D) == []
    assert r.paths([C, D, Gov]).tolist() == [[Gov, A, C], [-1, -1, -1], [Gov, -1, -1]]
    assert set(r.level) <= set(INFLUENCE_LEVELS)
    df = r.to_frame()
    assert list(df.columns) == ["share", "controlled", "root", "level", "path_share"]
    assert df.loc[C, "level"] == "low"


def test_control_through_a_chain_of_vehicles():
    # SASAC -> 51% Group -> 40% Sub1; Group -> 100% Sub2 -> 15% Sub1: state controls Sub1
    SASAC, Group, Sub1, Sub2 = range(4)
    W = W_of([(SASAC, Group, 0.51), (Group, Sub1, 0.4), (Group, Sub2, 1.0), (Sub2, Sub1, 0.15)], 4)
    r = state_shares(W, mask(4, SASAC))
    assert r.controlled.all()
    # the value reaching Sub1 is counted at the last state entity: 0.4 + 0.15
    assert r.share[Sub1] == pytest.approx(0.55)
    assert r.share[Group] == pytest.approx(0.51)


def test_private_cross_holding_loop_counts_for_the_state():
    # Gov 40% F; F 50% G; G 20% F (both private): state share of F = 0.4 / (1 - 0.1)
    Gov, F, G = range(3)
    W = W_of([(Gov, F, 0.4), (F, G, 0.5), (G, F, 0.2)], 3)
    r = state_shares(W, mask(3, Gov))
    assert r.share[F] == pytest.approx(0.4 / 0.9)
    assert r.share[G] == pytest.approx(0.5 * 0.4 / 0.9)
    assert r.level[F] == "medium" and r.level[G] == "low"


def test_no_state_roots():
    r = state_shares(W_of([(0, 1, 0.9)], 2), mask(2))
    assert r.share.tolist() == [0.0, 0.0] and r.level.tolist() == ["none", "none"]
    assert r.path(1) == []


def test_mask_length_checked():
    with pytest.raises(ValueError):
        state_shares(W_of([(0, 1, 0.9)], 2), mask(3))


def test_divergent_private_cycle_raises():
    W = W_of([(0, 1, 0.5), (1, 2, 1.0), (2, 1, 1.0)], 3)
    with pytest.raises(OwnershipCycleError):
        state_shares(W, mask(3, 0))


def test_state_set_joint_vs_individual():
    W = W_of([(0, 2, 0.3), (1, 2, 0.3), (2, 3, 0.6)], 4)
    assert state_set(W, mask(4, 0, 1)).tolist() == [True, True, True, True]
    assert state_set(W, mask(4, 0, 1), joint=False).tolist() == [True, True, False, False]


@st.composite
def cyclic_case(draw):
    n = draw(st.integers(2, 9))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 22)))
    raw = draw(st.lists(st.floats(0.01, 1.0), min_size=len(chosen), max_size=len(chosen)))
    roots = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    tot = np.zeros(n)
    for (_, j), s in zip(chosen, raw, strict=True):
        tot[j] += s
    scale = np.where(tot > 0.95, 0.95 / np.maximum(tot, 1e-300), 1.0)
    edges = [(i, j, s * scale[j]) for (i, j), s in zip(chosen, raw, strict=True)]
    return n, edges, np.array(roots, bool)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cyclic_case())
def test_share_equals_dense_super_owner_formula(case):
    n, edges, roots = case
    W = W_of(edges, n)
    r = state_shares(W, roots)
    S = r.controlled
    Wd = W.toarray()
    P = np.diag((~S).astype(float))
    y = np.linalg.solve(np.eye(n) - Wd.T @ P, Wd.T @ S.astype(float))
    y[roots] = 1.0
    np.testing.assert_allclose(r.share, y, atol=1e-10)
    # equivalently: merge S into one super-owner row and take its corrected integrated share
    # (walks that come back into S are cut)
    assert (r.share >= -1e-12).all()
    assert (r.level[S] == "high").all()
    assert set(np.flatnonzero(roots)) <= set(np.flatnonzero(S))
    # S is closed: nothing outside S is held > 50% by S as a whole
    held = Wd.T @ S.astype(float)
    assert not ((held > 0.5) & ~S).any()
    # explaining paths start at a root and follow existing holdings
    for j in np.flatnonzero(r.path_share > 0):
        p = r.path(j)
        assert roots[p[0]] and p[-1] == j
        assert all(Wd[a, b] > 0 for a, b in zip(p, p[1:], strict=False))
        assert np.prod([Wd[a, b] for a, b in zip(p, p[1:], strict=False)]) == pytest.approx(
            r.path_share[j]
        )


def test_large_scc_uses_sparse_solve():
    # a ring of 30 private firms with a state entry point, forced through the SuperLU branch
    n = 31
    edges = [(i, i % 30 + 1, 0.5) for i in range(1, 31)] + [(0, 1, 0.3)]
    W = W_of(edges, n)
    a = state_shares(W, mask(n, 0))
    b = state_shares(W, mask(n, 0), dense_max=5)
    np.testing.assert_allclose(a.share, b.share, atol=1e-12)
    assert a.share[1] == pytest.approx(0.3 / (1 - 0.5**30))


def test_sparse_input_types():
    W = sp.csr_array(([1.0, 0.6], ([0, 1], [1, 2])), shape=(3, 3))
    assert state_shares(W, [True, False, False]).share.tolist() == [1.0, 1.0, 0.6]
