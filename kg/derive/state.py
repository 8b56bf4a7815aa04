"""The state as one owner: state-controlled set, state share, influence level, explaining path.

State roots are the entities the caller marks as state (GovernmentBody, entities marked
state-owned, GuidanceFund: a boolean mask). DOMAIN.md, "Guidance funds and state capital":
state influence runs through several layers of central and local vehicles, so the state share
is computed through chains, not read off one edge.

Rules (all in :func:`state_shares`):

- **State set S** = the roots plus every entity that *the state as a whole* controls: the roots
  and the S-members already found, together, hold more than ``threshold`` of it directly
  (least fixed point, one sparse mat-vec per round). Treating the state as one actor is the
  point of the question "how much of it is the state?": two ministries with 30% each control a
  firm together. ``joint=False`` instead takes the roots plus the union of what each root
  controls on its own (:func:`kg.derive.ownership.control`), which is never larger.
- **State share** of ``j`` = integrated share of ``j`` held by S seen as one super-owner:
  the sum over walks that start at an S-member, end at ``j`` and pass through no other S-member
  (value is counted once, at the last state entity it passes). In matrix form, with ``P`` the
  projector on non-S entities, ``y = W^T 1_S + W^T P y``. It is the Vitali correction applied
  to the merged super-owner (walks back into S are cut), while loops through non-state
  cross-holdings count as for any external owner. GovBody 100% -> Holding 60% -> Firm gives
  0.6, not 1.6. Roots get share 1.0.
- **Influence level**: ``high`` if in S (state-controlled; roots are ``high`` too),
  ``medium`` if share >= ``medium`` (0.25), ``low`` if share > 0, else ``none``.
- **Explaining path**: the max-product chain of direct holdings from any root (multi-source
  Dijkstra on ``-log(share)``, :func:`kg.derive.ownership.best_paths`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from kg.derive.ownership import (
    _as_ownership,
    _level_solve,
    best_paths,
    control,
    explain_path,
    explain_paths,
)

__all__ = ["StateShares", "state_set", "state_shares", "INFLUENCE_LEVELS"]

#: Influence levels, strongest first.
INFLUENCE_LEVELS = ("high", "medium", "low", "none")


@dataclass(frozen=True)
class StateShares:
    """Result of :func:`state_shares`; arrays of length ``n`` indexed by entity.

    - ``share``: integrated state share (float, 0..1; 1.0 for roots)
    - ``controlled``: in the state set S (a root or controlled by the state)
    - ``root``: the caller's state mask
    - ``level``: ``'high' | 'medium' | 'low' | 'none'``
    - ``path_share``: product of shares along the explaining path (0 when unreachable)
    - ``predecessors``: predecessor on the explaining path (-9999 at roots / unreachable)
    """

    share: np.ndarray
    controlled: np.ndarray
    root: np.ndarray
    level: np.ndarray
    path_share: np.ndarray
    predecessors: np.ndarray

    def path(self, j: int) -> list[int]:
        """Entities on the explaining path from a state root to ``j`` (``[]`` if none).

        >>> W = sp.csr_matrix(([1.0, 0.6], ([0, 1], [1, 2])), shape=(3, 3))
        >>> state_shares(W, np.array([True, False, False])).path(2)
        [0, 1, 2]
        """
        if self.path_share[j] <= 0:
            return []
        return explain_path(self.predecessors, j)

    def paths(self, targets) -> np.ndarray:
        """Explaining paths of many targets: ``(k, L)`` int array, root first, ``-1`` padded.

        >>> W = sp.csr_matrix(([1.0, 0.6], ([0, 1], [1, 2])), shape=(3, 3))
        >>> state_shares(W, np.array([True, False, False])).paths([2, 1]).tolist()
        [[0, 1, 2], [0, 1, -1]]
        """
        targets = np.asarray(targets, dtype=np.int64)
        dist = np.where(self.path_share > 0, 0.0, np.inf)
        return explain_paths(self.predecessors, targets, dist)

    def to_frame(self):
        """The per-entity columns as a :class:`pandas.DataFrame` (index = entity index).

        >>> W = sp.csr_matrix(([1.0, 0.6], ([0, 1], [1, 2])), shape=(3, 3))
        >>> state_shares(W, np.array([True, False, False])).to_frame()["level"].tolist()
        ['high', 'high', 'high']
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "share": self.share,
                "controlled": self.controlled,
                "root": self.root,
                "level": pd.Categorical(self.level, categories=list(INFLUENCE_LEVELS)),
                "path_share": self.path_share,
            }
        )


def state_set(W, is_state, threshold: float = 0.5, *, joint: bool = True, declared=None) -> np.ndarray:
    """Boolean mask of S: the state roots plus everything the state controls.

    ``joint=True`` (default): the state acts as one owner; an entity joins S when the
    S-members together hold more than ``threshold`` of it directly, repeated to a fixed point.
    ``joint=False``: roots plus the union over roots of :func:`~kg.derive.ownership.control`.
    ``declared`` (boolean ``n x n``): control declared without a share (an accounting
    consolidation, ``declared[x, y]``: x consolidates y); an entity a member of S consolidates
    joins S.

    >>> D = sp.csr_matrix(([True], ([0], [1])), shape=(2, 2))
    >>> state_set(sp.csr_matrix((2, 2)), np.array([True, False]), declared=D).tolist()
    [True, True]

    >>> W = sp.csr_matrix(([0.3, 0.3, 0.6], ([0, 1, 2], [2, 2, 3])), shape=(4, 4))
    >>> state_set(W, np.array([True, True, False, False])).tolist()
    [True, True, True, True]
    >>> state_set(W, np.array([True, True, False, False]), joint=False).tolist()
    [True, True, False, False]
    """
    W = _as_ownership(W)
    roots = _mask(is_state, W.shape[0])
    if not joint:
        C = control(W, threshold, declared=declared)
        S = roots.copy()
        S[C[np.flatnonzero(roots)].indices] = True
        return S
    WT = W.T.tocsr()
    DT = sp.csr_matrix(declared, dtype=np.float64).T.tocsr() if declared is not None else None
    S = roots.copy()
    while True:  # one round per layer of state-controlled vehicles
        held = WT @ S.astype(np.float64)
        new = roots | (held > threshold)
        if DT is not None:
            new |= (DT @ S.astype(np.float64)) > 0
        if np.array_equal(new, S):
            return S
        S = new


def state_shares(
    W,
    is_state,
    threshold: float = 0.5,
    *,
    medium: float = 0.25,
    joint: bool = True,
    dense_max: int = 1000,
    declared=None,
) -> StateShares:
    """State share, state control, influence level and explaining path of every entity.

    See the module docstring for the rules. The share solves ``y = W^T 1_S + W^T (P y)``
    (``P`` = non-state entities) exactly, level by level over the condensation of the
    non-state ownership graph (cross-holding blocks up to ``dense_max`` entities are solved
    densely, larger ones with SuperLU). Raises
    :class:`~kg.derive.ownership.OwnershipCycleError` if a cycle's shares do not shrink.
    ``declared``: control declared without a share (see :func:`state_set`); it widens S and
    so the level, never the share.

    Hand check: GovBody (0) owns 100% of Holding (1), which owns 60% of Firm (2) and 20% of
    Other (3); a private owner (4) holds 70% of Other.

    >>> W = sp.csr_matrix(([1.0, 0.6, 0.2, 0.7], ([0, 1, 1, 4], [1, 2, 3, 3])), shape=(5, 5))
    >>> r = state_shares(W, np.array([True, False, False, False, False]))
    >>> r.share.round(10).tolist()
    [1.0, 1.0, 0.6, 0.2, 0.0]
    >>> r.level.tolist()
    ['high', 'high', 'high', 'low', 'none']
    >>> r.path(3)
    [0, 1, 3]
    """
    W = _as_ownership(W)
    n = W.shape[0]
    roots = _mask(is_state, n)
    S = state_set(W, roots, threshold, joint=joint, declared=declared)
    WT = W.T.tocsr()
    b = WT @ S.astype(np.float64)
    # y = b + W^T P y: only owners outside S pass value on
    M = (WT @ sp.diags((~S).astype(np.float64))).tocsr()
    y = _level_solve(M, b, dense_max)
    share = np.clip(y, 0.0, 1.0)  # a last guard: with every column sum <= 1 the solution is in [0, 1]
    share[roots] = 1.0

    level = np.full(n, "none", dtype="<U6")
    level[share > 0] = "low"
    level[share >= medium] = "medium"
    level[S] = "high"

    dist, pred = best_paths(W, np.flatnonzero(roots))
    path_share = np.where(np.isfinite(dist), np.exp(-dist), 0.0)
    return StateShares(share, S, roots, level, path_share, pred)


def _mask(is_state, n: int) -> np.ndarray:
    m = np.asarray(is_state, dtype=bool).ravel()
    if m.size != n:
        raise ValueError(f"is_state has {m.size} entries, the ownership matrix has {n}")
    return m.copy()
