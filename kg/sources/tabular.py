"""Read spreadsheets and delimited text into raw tables of strings.

Encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM and GB18030 (a superset of GBK/GB2312) are
detected; ``encoding=`` overrides. Delimiters: comma, tab or semicolon, sniffed from the header.
Workbooks (.xlsx): each sheet is a table; a workbook with one sheet is named after the file.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "entities.csv"
>>> _ = p.write_bytes("编号,名称\\n1,绿的谐波\\n".encode("gb18030"))
>>> [(t.name, t.encoding, list(t.frame.columns)) for t in read_tables(p)]
[('entities', 'gb18030', ['编号', '名称'])]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
SHEET_SUFFIXES = {".xlsx", ".xlsm"}
SUFFIXES = TEXT_SUFFIXES | SHEET_SUFFIXES


class SourceError(Exception):
    """A file that cannot be read at all (one line, names the file)."""


@dataclass
class RawTable:
    """A table as read: ``frame`` holds strings ('' for empty cells); rows numbered as shown
    in a spreadsheet (header = row 1)."""

    name: str  # table name: file stem or sheet name
    path: Path
    frame: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def label(self) -> str:
        """How the file is named in messages: ``entities.csv`` or ``book.xlsx[entities]``."""
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name


def decode(data: bytes, encoding: str | None = None, *, label: str = "") -> tuple[str, str]:
    """Decode bytes, detecting UTF-8 (with or without BOM), UTF-16 BOM, else GB18030.

    >>> decode("名称".encode("gb18030"))
    ('名称', 'gb18030')
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as e:
            raise SourceError(f"{label}: cannot decode with encoding {encoding!r} ({e})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise SourceError(
            f"{label}: byte {e.start} is neither UTF-8 nor GB18030; expected UTF-8, UTF-8 with BOM "
            "or GB18030 (use --encoding to name another)"
        ) from None


def sniff_delimiter(text: str) -> str:
    """Pick comma, tab or semicolon from the header line (the most frequent outside quotes).

    >>> sniff_delimiter("a;b;c\\n1;2;3")
    ';'
    """
    header = text.split("\n", 1)[0]
    counts = {d: 0 for d in (",", "\t", ";")}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def read_text_table(path: Path, encoding: str | None = None) -> RawTable:
    """Read one delimited text file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror})") from None
    text, enc = decode(data, encoding, label=path.name)
    delim = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=True,
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except (pd.errors.ParserError, ValueError) as e:
        raise SourceError(f"{path.name}: not a valid delimited table ({str(e).splitlines()[0]})") from None
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(name=path.stem, path=path, frame=frame, encoding=enc, delimiter=delim)


def read_workbook(path: Path) -> list[RawTable]:
    """Read every sheet of an .xlsx workbook as a table of strings."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for broken files
        raise SourceError(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    tables = []
    for sheet, frame in sheets.items():
        frame = frame.map(_cell_text) if len(frame) else frame.astype(str)
        frame.columns = [_cell_text(c) for c in frame.columns]
        name = path.stem if len(sheets) == 1 else str(sheet)
        tables.append(RawTable(name=name, path=path, frame=frame, sheet=None if len(sheets) == 1 else str(sheet)))
    return tables


def read_tables(path: Path, encoding: str | None = None) -> list[RawTable]:
    """Read a file (text or workbook) into raw tables."""
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return read_workbook(path)
    if suffix in TEXT_SUFFIXES:
        return [read_text_table(path, encoding)]
    raise SourceError(f"{path.name}: unsupported file type {suffix!r}; expected .csv, .tsv, .txt or .xlsx")


@dataclass
class Found:
    """What :func:`discover` found: the files to read, and the files of the given folders that
    no loader reads (reported, never silently left out)."""

    files: list[Path]
    skipped: list[Path]


def _readable(path: Path) -> None:
    """Raise SourceError naming the file and the reason when it cannot be opened for reading
    (missing, a dangling symlink, a symlink loop, no permission, a folder)."""
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        why = "a symlink to a missing file" if path.is_symlink() else "no such file or folder"
        raise SourceError(f"{path}: cannot read ({why})") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: cannot read (it is a folder)") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror or e})") from None


def discover(sources: list[Path], suffixes: set[str] | frozenset[str] = frozenset(SUFFIXES)) -> Found:
    """Files to read from the given files and folders: a folder gives its files with one of
    ``suffixes`` (sorted; hidden files left out); the rest of its files are listed as skipped.
    Every file named or found must be readable: a missing file, a dangling symlink or a
    symlink loop (``ln -sf funding.csv funding.csv``) raises SourceError with the reason, so
    no file's facts vanish from a build unnoticed.

    >>> import tempfile, os
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "entities.csv").write_text("id,type,name\\n")
    >>> _ = (d / "LICENSE").write_text("MIT")
    >>> found = discover([d])
    >>> [p.name for p in found.files], [p.name for p in found.skipped]
    (['entities.csv'], ['LICENSE'])
    >>> os.symlink("funding.csv", d / "funding.csv")
    >>> discover([d])
    Traceback (most recent call last):
    ...
    kg.sources.tabular.SourceError: .../funding.csv: cannot read (Too many levels of symbolic links)
    """
    files: list[Path] = []
    skipped: list[Path] = []
    for s in sources:
        if s.is_dir():
            for p in sorted(s.iterdir()):
                if p.name.startswith("."):
                    continue
                if p.suffix.lower() not in suffixes:
                    if not p.is_dir():
                        skipped.append(p)
                    continue
                if p.is_dir():
                    continue  # a folder named like a file ('x.csv/'): not a file found
                _readable(p)
                files.append(p)
        else:
            _readable(s)
            files.append(s)
    return Found(files, skipped)
