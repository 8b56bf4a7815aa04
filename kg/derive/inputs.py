"""What the derived facts read of a resolved build, and what they never read.

A build writes its resolved tables before it derives and gives the derivation the frames back
without the columns in :data:`UNREAD` (kg.build): at 10^6 firms the whole frames are several
GB, and derive's own work comes on top of what is alive. ``tests/test_derive_inputs.py`` checks
that the derived facts of frames without these columns equal those of the whole frames.

>>> "from_ref" in UNREAD, "share" in UNREAD
(True, False)
"""

from __future__ import annotations

UNREAD = frozenset({
    # where a row came from and what it named (provenance and references, kept in the tables)
    "from_ref", "to_ref", "file", "row",
    # entity attributes the derived facts do not use (they read iri, name, labels, sector,
    # state_owned, and the entity rows' iri, name and source)
    "id", "type", "types", "local_ids", "name_zh", "uscc", "lei", "ticker", "country", "province", "city",
    "founded",
    # financial figures that no derived fact uses (size: revenue, employees; performance: revenue,
    # net profit)
    "rd_expense", "exports",
    # certification and listing details (derive reads a certification's batch, year and period)
    "issuer_name", "board", "listed", "delisted",
})
"""Columns of the resolved frames (kg.resolve.Resolved) that kg.derive never reads."""
