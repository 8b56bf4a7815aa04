"""Records: what loaders produce and later stages consume.

Tables of typed values (pandas frames) for entities, links and financial years, each row with
its provenance (``source``, ``file``, ``row``), plus the rejects: rows that could not be
loaded, with the reason.

>>> r = Reject("ownership.csv", 7, "share", "130%", "value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51")
>>> r.line()
"ownership.csv:7:share: value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51"
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

PROVENANCE = ("source", "file", "row")
REJECT_COLUMNS = ("file", "row", "column", "value", "reason")


@dataclass(frozen=True)
class Reject:
    file: str
    row: int  # as a spreadsheet shows it: header is row 1
    column: str
    value: str
    reason: str  # "value 'X' is not ...; expected ..."

    def line(self) -> str:
        """The one-line message: ``file:row:column: reason``."""
        return f"{self.file}:{self.row}:{self.column}: {self.reason}"


@dataclass
class FileCount:
    file: str
    table: str
    rows: int


@dataclass
class Records:
    """Everything loaded from the sources, before resolution."""

    entities: list[pd.DataFrame] = field(default_factory=list)
    links: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    financials: list[pd.DataFrame] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    files: list[FileCount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headers: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, column) -> header
    # what a loader keeps between the files of one build until its finish step (e.g. BODS
    # statements: recordStatus applies across files), by loader name
    pending: dict[str, object] = field(default_factory=dict)

    def header(self, file: str, column: str) -> str:
        """The header a file used for a mapping column (for messages)."""
        return self.headers.get((file, column), column)

    def add(self, kind: str, frame: pd.DataFrame, link: str | None = None) -> None:
        if kind == "entity":
            self.entities.append(frame)
        elif kind == "link":
            self.links.setdefault(link, []).append(frame)
        else:
            self.financials.append(frame)

    def counts(self) -> list[tuple[str, str, int, int]]:
        """(file, table, loaded, rejected) per file, from the rejects recorded so far."""
        bad: dict[str, set[int]] = {}
        for r in self.rejects:
            bad.setdefault(r.file, set()).add(r.row)
        return [(f.file, f.table, f.rows - len(bad.get(f.file, ())), len(bad.get(f.file, ()))) for f in self.files]


def with_nones(df: pd.DataFrame, keep: tuple[str, ...] = ("row",)) -> pd.DataFrame:
    """Object columns with None for missing values (pandas would infer str/float with NaN).

    >>> with_nones(pd.DataFrame({"a": ["x", None], "row": [2, 3]}))["a"].tolist()
    ['x', None]
    """
    if df.columns.has_duplicates:  # the frame-wide path below keys columns by name
        out = df.copy()
        for i in range(out.shape[1]):
            if out.columns[i] not in keep:
                col = out.iloc[:, i].astype(object)
                out.isetitem(i, col.where(col.notna(), None).astype(object))
        return out
    cols = {}
    for c in df.columns:
        col = df[c]
        if c in keep:
            cols[c] = col
            continue
        arr = col.to_numpy(dtype=object)
        missing = pd.isna(arr)
        if col.dtype == object and not missing.any():
            cols[c] = col  # already so
            continue
        arr = arr.copy()
        arr[missing] = None
        cols[c] = pd.Series(arr, index=df.index, dtype=object)
    # built at once and not consolidated: stacking the object columns into one block would copy them all
    return pd.DataFrame(cols, index=df.index, columns=df.columns, copy=False)


def write_rejects(rejects: list[Reject], path: Path) -> None:
    """Write the rejects report (file, row, column, value, reason) as UTF-8 CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REJECT_COLUMNS)
        for r in sorted(rejects, key=lambda r: (r.file, r.row, r.column)):
            w.writerow([r.file, r.row, r.column, r.value, r.reason])


def read_rejects(path: Path) -> list[Reject]:
    """The rejects report :func:`write_rejects` wrote ([] where there is none); ValueError if
    ``path`` is not one.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rejects.csv"
    >>> write_rejects([Reject("a.csv", 3, "share", "2", "above 1")], p)
    >>> read_rejects(p)
    [Reject(file='a.csv', row=3, column='share', value='2', reason='above 1')]
    """
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        if next(r, None) != list(REJECT_COLUMNS):
            raise ValueError(f"{path} is not a rejects report")
        return [Reject(a, int(b), c, d, e) for a, b, c, d, e in r]
