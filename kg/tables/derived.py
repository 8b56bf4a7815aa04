"""How the derived tables (kg.derive.facts.Derived) read as links and properties of the graph,
and the ``method`` text each kind of derived fact carries.

* ``integrated`` rows are ULTIMATELY_OWNS links (owner -> owned), ``control`` rows CONTROLS
  links (controller -> controlled), ``flows`` rows LOOK_THROUGH_FUNDED links (source ->
  recipient, one per funding and chain); :data:`DERIVED_LINKS` says which columns are the
  ends and which make the link's IRI (kg.resolve.link_iri);
* ``entity`` rows are derived properties of entities (state share, size class, ...) and
  their ``ultimate_controller``; ``performance`` rows derived properties of financial years.

>>> DERIVED_LINKS["ULTIMATELY_OWNS"].frame, DERIVED_LINKS["LOOK_THROUGH_FUNDED"].key
('integrated', ('source', 'funding', 'chain'))
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DerivedLink:
    """A link kind held by a derived table: its ``frame`` (a Derived field), the columns of
    its two ends and the columns whose values make its IRI."""

    frame: str
    source: str
    target: str
    key: tuple[str, ...]


DERIVED_LINKS: dict[str, DerivedLink] = {
    "ULTIMATELY_OWNS": DerivedLink("integrated", "owner", "owned", ("owner", "owned")),
    "CONTROLS": DerivedLink("control", "controller", "controlled", ("controller", "controlled")),
    "LOOK_THROUGH_FUNDED": DerivedLink("flows", "source", "recipient", ("source", "funding", "chain")),
}

ENTITY_FRAME = "entity"
PERFORMANCE_FRAME = "performance"
ENTITY_METHOD_WHEN = ("state_share", "size_class")
"""An entity's derived properties carry the method text where one of these columns has a value."""


def methods(as_of: str, floor: float) -> dict[str, str]:
    """The ``method`` text of each kind of derived fact built at ``as_of`` (ISO date) with
    ``floor``: by link kind, ``entity`` and ``performance``.

    >>> methods("2024-01-01", 0.01)["CONTROLS"]
    'majority control, directly or through controlled firms (> 0.5); as_of=2024-01-01'
    """
    ctx = f"as_of={as_of}"
    return {
        "ULTIMATELY_OWNS": f"integrated ownership, cycle-corrected (Vitali, Glattfelder & Battiston 2011); floor={floor}; {ctx}",
        "CONTROLS": f"majority control, directly or through controlled firms (> 0.5); {ctx}",
        ENTITY_FRAME: (f"state share = integrated ownership held by state entities and what they control; "
                       f"influence high (state-controlled) / medium (>= 25%) / low (> 0) / none; size class from the "
                       f"latest reported year (SME thresholds by sector); {ctx}"),
        "LOOK_THROUGH_FUNDED": (f"look-through of fundings from state-controlled sources, directly or through up to three "
                                f"funds; step share = LP commitments over all LP commitments to the fund, else direct "
                                f"ownership; {ctx}"),
        PERFORMANCE_FRAME: ("performance with this year as the firm's latest: revenue decline (smallest revenue below the "
                            "smallest of three years earlier) and/or losses (net loss in >= 2 of this year and the two "
                            f"before); per year, so exact for any as_of (built {ctx})"),
    }
