"""How the derived tables (kg.derive.timeline.DerivedPeriods) read as links and nodes of the
graph, and the ``method`` text each kind of derived fact carries.

Every derived row holds for a period, ``valid_from`` .. ``valid_to`` (inclusive; None = open):

* ``integrated`` rows are ULTIMATELY_OWNS links (owner -> owned), ``control`` rows CONTROLS
  links (controller -> controlled), ``flows`` rows LOOK_THROUGH_FUNDED links (source ->
  recipient, one per funding and chain); :data:`DERIVED_LINKS` says which columns are the
  ends and which make the link's IRI (kg.resolve.link_iri; the period's start is part of it:
  a pair holds one link per period);
* ``entity`` rows are OwnershipAssessment nodes (state share, influence, state control, path
  and the ultimate controller of an entity for one period), ``size`` rows SizeAssessment
  nodes (size class, its year and figures); :data:`DERIVED_NODES` says which link leads to
  them from their entity and how their IRI is made (:func:`assessment_iri`);
* ``performance`` rows are derived properties of financial years (exact at every date).

>>> DERIVED_LINKS["ULTIMATELY_OWNS"].frame, DERIVED_LINKS["LOOK_THROUGH_FUNDED"].key
('integrated', ('source', 'funding', 'chain', 'valid_from'))
>>> DERIVED_NODES["SizeAssessment"].rel
'HAS_SIZE'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from kg.ontology import ID


@dataclass(frozen=True)
class DerivedLink:
    """A link kind held by a derived table: its ``frame`` (a DerivedPeriods field), the columns
    of its two ends and the columns whose values make its IRI."""

    frame: str
    source: str
    target: str
    key: tuple[str, ...]


DERIVED_LINKS: dict[str, DerivedLink] = {
    "ULTIMATELY_OWNS": DerivedLink("integrated", "owner", "owned", ("owner", "owned", "valid_from")),
    "CONTROLS": DerivedLink("control", "controller", "controlled", ("controller", "controlled", "valid_from")),
    "LOOK_THROUGH_FUNDED": DerivedLink("flows", "source", "recipient", ("source", "funding", "chain", "valid_from")),
}


@dataclass(frozen=True)
class DerivedNode:
    """A node type held by a derived table: its ``frame``, the column naming its entity and the
    relationship type from the entity to it."""

    frame: str
    entity: str
    rel: str


DERIVED_NODES: dict[str, DerivedNode] = {
    "OwnershipAssessment": DerivedNode("entity", "iri", "HAS_OWNERSHIP"),
    "SizeAssessment": DerivedNode("size", "iri", "HAS_SIZE"),
}

ENTITY_FRAME = "entity"
PERFORMANCE_FRAME = "performance"


def assessment_iri(node_type: str, entity: str, valid_from) -> str:
    """The IRI of an entity's assessment for the period starting ``valid_from`` (None: open).

    >>> assessment_iri("SizeAssessment", "https://w3id.org/accelerator-kg/id/entity/f", None)[:61]
    'https://w3id.org/accelerator-kg/id/assessment/sizeassessment/'
    """
    h = hashlib.sha1(f"{entity}\x1f{valid_from}".encode()).hexdigest()[:20]
    return f"{ID}assessment/{node_type.lower()}/{h}"


def texts(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``str()`` of each value as Arrow text (``"None"`` for null), vectorised for text, integers
    and dates (whose Arrow text is Python's), value by value otherwise.

    >>> import datetime as dt
    >>> texts(pa.array([dt.date(2020, 1, 2), None])).to_pylist(), texts(pa.array([True])).to_pylist()
    (['2020-01-02', 'None'], ['True'])
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t) or pa.types.is_date32(t):
        return pc.fill_null(col.cast(pa.string()), "None")
    return pa.array([str(v) for v in col.to_pylist()], pa.string())


def hashed_iris(prefix: str, columns: list, chunk: int = 1 << 16) -> pa.Array:
    """``prefix`` + the first 20 hex digits of the SHA-1 of each row's values' ``str()`` joined
    by U+001F: :func:`kg.resolve.link_iri` (prefix ``ID + "link/" + kind + "/"``) and
    :func:`assessment_iri` of whole columns, the text made in Arrow (a chunk at a time).

    >>> from kg.resolve import link_iri
    >>> a, b = pa.array(["x", None]), pa.array([2, 3])
    >>> hashed_iris(f"{ID}link/owns/", [a, b]).to_pylist() == [link_iri("OWNS", "x", 2), link_iri("OWNS", None, 3)]
    True
    """
    n = len(columns[0])
    sha1 = hashlib.sha1
    out: list[pa.Array] = []
    for k in range(0, n, chunk):
        joined = pc.binary_join_element_wise(*(texts(c.slice(k, chunk)) for c in columns), "\x1f")
        out.append(pa.array([prefix + sha1(b).hexdigest()[:20] for b in joined.cast(pa.binary()).to_pylist()],
                            pa.string()))
    return pa.concat_arrays(out) if out else pa.array([], pa.string())


def assessment_iris(node_type: str, entities, valid_from) -> pa.Array:
    """:func:`assessment_iri` of each row of the columns ``entities`` and ``valid_from``.

    >>> import datetime as dt
    >>> e, v = pa.array(["a", "b"]), pa.array([dt.date(2020, 1, 1), None])
    >>> assessment_iris("SizeAssessment", e, v).to_pylist() == [assessment_iri("SizeAssessment", "a", dt.date(2020, 1, 1)),
    ...                                                         assessment_iri("SizeAssessment", "b", None)]
    True
    """
    return hashed_iris(f"{ID}assessment/{node_type.lower()}/", [entities, valid_from])


def methods(floor: float) -> dict[str, str]:
    """The ``method`` text of each kind of derived fact built with ``floor``, by the ontology
    class that carries it (local name).

    >>> methods(0.01)["Control"]
    'majority control, directly or through controlled firms (> 0.5); per period (valid_from..valid_to)'
    """
    per = "per period (valid_from..valid_to)"
    return {
        "IntegratedOwnership": f"integrated ownership, cycle-corrected (Vitali, Glattfelder & Battiston 2011); "
                               f"floor={floor}; {per}",
        "Control": f"majority control, directly or through controlled firms (> 0.5); {per}",
        "OwnershipAssessment": ("state share = integrated ownership held by state entities and what they control; "
                                "influence high (state-controlled) / medium (>= 25%) / low (> 0) / none; ultimate "
                                f"controller = top of the chain of controlling owners; {per}"),
        "SizeAssessment": f"size class from the latest reported year (a year counts once it has ended; SME thresholds by sector); {per}",
        "LookThroughFunding": ("look-through of fundings from state-controlled sources, directly or through up to three "
                               "funds; step share = LP commitments over all LP commitments to the fund, else direct "
                               f"ownership; {per}"),
        "FinancialYear": ("performance with this year as the firm's latest: revenue decline (smallest revenue below the "
                          "smallest of three years earlier) and/or losses (net loss in >= 2 of this year and the two "
                          "before); per year, so exact for any as_of"),
    }


#: the class carrying each derived link kind's method text
LINK_CLASSES = {"ULTIMATELY_OWNS": "IntegratedOwnership", "CONTROLS": "Control", "LOOK_THROUGH_FUNDED": "LookThroughFunding"}
