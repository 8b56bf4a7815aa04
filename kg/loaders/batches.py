"""The year of a programme's batch (national lists name a batch, 第三批, more often than a year).

The table is ``kg/domain/programme_batches.csv`` (cited there); mappings use it through the
default rule ``batch_year`` (docs/mapping.md).

>>> batch_year("little_giant", 3), batch_year("little_giant", 99), batch_year("innovative_sme", 1)
(2021, None, None)
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

BATCHES_PATH = Path(__file__).parent.parent / "domain" / "programme_batches.csv"


@cache
def _years() -> dict[tuple[str, int], int]:
    with BATCHES_PATH.open(encoding="utf-8", newline="") as f:
        return {(r["programme"], int(r["batch"])): int(r["year"]) for r in csv.DictReader(f)}


def batch_year(programme: str | None, batch: int | None) -> int | None:
    """The year batch ``batch`` of ``programme`` was certified, if the table knows it."""
    if programme is None or batch is None or batch != batch:
        return None
    return _years().get((programme, int(batch)))
