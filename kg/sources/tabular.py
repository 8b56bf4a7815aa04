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
import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kg.sources.fastcsv import read_plain, utf8_text

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


ACCEPTED_ENCODINGS = (
    "accepted: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark and GB18030, "
    "or another encoding named with --encoding"
)


def _place(data: bytes, offset: int, encoding: str) -> str:
    """``byte N (line L)`` for a byte offset (lines counted from 1)."""
    line = data[:offset].decode(encoding, errors="replace").count("\n") + 1
    return f"byte {offset} (line {line})"


def decode(data: bytes, encoding: str | None = None, *, label: str = "") -> tuple[str, str]:
    """Decode bytes, detecting UTF-8 (with or without BOM), UTF-16 BOM, else GB18030.

    A byte that does not decode is named by its offset and line, e.g. a UTF-8 file with one
    GB18030 line:

    >>> decode("名称".encode("gb18030"))
    ('名称', 'gb18030')
    >>> decode("a\\n绿\\n".encode() + "谐波\\n".encode("gb18030"), label="x.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.sources.tabular.SourceError: x.csv: byte 8 (line 3) is neither UTF-8 nor GB18030; accepted: ...
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise SourceError(f"{label}: unknown encoding {encoding!r}; expected a codec name such as "
                              "utf-8, gb18030, big5 or latin-1") from None
        except UnicodeDecodeError as e:
            raise SourceError(f"{label}: cannot decode with encoding {encoding!r}: "
                              f"{_place(data, e.start, encoding)} is not {encoding}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise SourceError(f"{label}: {_place(data, e.start + 3, 'utf-8')} is not UTF-8, though the file "
                              f"starts with a UTF-8 byte-order mark; {ACCEPTED_ENCODINGS}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise SourceError(f"{label}: {_place(data, e.start, 'utf-16')} is not UTF-16, though the file "
                              f"starts with a UTF-16 byte-order mark; {ACCEPTED_ENCODINGS}") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        utf8_end = e.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        # the encoding that reads further is the file's; where it breaks is the place to name
        # (in a UTF-8 file with a GB18030 line, GB18030 breaks early inside the UTF-8 part)
        where = _place(data, max(utf8_end, e.start), "utf-8" if utf8_end >= e.start else "gb18030")
        raise SourceError(f"{label}: {where} is neither UTF-8 nor GB18030; {ACCEPTED_ENCODINGS}") from None


def sniff_delimiter(text: str) -> str:
    """Pick comma, tab or semicolon from the header line (the most frequent outside quotes).

    >>> sniff_delimiter("a;b;c\\n1;2;3")
    ';'
    """
    end = -1
    for _ in range(10):  # the first 10 lines, without copying the rest of the text
        end = text.find("\n", end + 1)
        if end < 0:
            break
    lines = (text if end < 0 else text[:end]).split("\n", 10)[:10]  # a title row above the header has no delimiters: skip it
    header = next((ln for ln in lines if any(d in ln for d in ",\t;")), lines[0])
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


# Oxigraph reads N-Quads through a 16 MiB buffer, so a longer literal cannot be stored; no
# spreadsheet needs cells anywhere near this (Excel stops at 32,767 characters).
MAX_CELL_CHARS = 1 << 20
LINES = "lines of the file counted from 1"


def _newlines(s: str) -> int:
    return s.count("\n") + s.count("\r") - s.count("\r\n")


def _records(text: str, delim: str):
    """(first line, cells) of each record as the csv module splits ``text``; only used to
    name lines in messages (pandas, which reads the tables, counts records, not lines)."""
    old = csv.field_size_limit(2**31 - 1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    finally:
        csv.field_size_limit(old)


def _first_records(text: str, delim: str, n: int) -> list:
    """The first ``n`` records of :func:`_records`, read from the start of the text only (a
    prefix long enough to hold one more record: those before it are then complete).

    >>> [cells for _, cells in _first_records("a,b\\n1,2\\n3,4\\n", ",", 2)]
    [['a', 'b'], ['1', '2']]
    """
    size = 1 << 16
    while size < len(text):
        try:
            got = list(itertools.islice(_records(text[:size], delim), n + 1))
        except csv.Error:
            break
        if len(got) > n:
            return got[:n]
        size *= 4
    return list(itertools.islice(_records(text, delim), n))


def _parse_problem(name: str, text: str, delim: str, error: str) -> str:
    """One line for a table pandas refused, naming the line where the problem starts.

    >>> print(_parse_problem("x.csv", 'id,n\\na,"A\\nb\\n', ",", "EOF inside string starting at row 1"))
    x.csv: line 2, column 'n': a quote opened here is never closed, so the rest of the file would be one cell (lines of the file counted from 1); close it, or write a quote inside a cell as ""
    """
    records = [(line, cells) for line, cells in _records(text, delim) if cells]
    if "EOF inside string" in error and records:
        start, cells = records[-1]  # an unclosed quote runs to the end of the file
        line = start + sum(_newlines(c) for c in cells[:-1])
        header = records[0][1]
        column = f", column {header[len(cells) - 1]!r}" if len(records) > 1 and len(cells) <= len(header) else ""
        return (f"{name}: line {line}{column}: a quote opened here is never closed, so the rest of the file "
                f'would be one cell ({LINES}); close it, or write a quote inside a cell as ""')
    if "Expected" in error and records:
        width = len(records[0][1])
        for line, cells in records[1:]:
            if len(cells) > width:
                return (f"{name}: line {line}: {len(cells)} cells where the header has {width} ({LINES}); "
                        f"quote cells that contain {delim!r}")
    return f"{name}: not a valid delimited table ({error})"


def _too_long(frame: pd.DataFrame) -> tuple[int, str, int] | None:
    """(data row index, header, length) of the first cell over MAX_CELL_CHARS, if any."""
    for k, col in enumerate(frame.columns):  # by position: a title row may name columns alike
        lengths = frame.iloc[:, k].str.len()
        over = lengths > MAX_CELL_CHARS
        if over.any():
            i = int(over.to_numpy().argmax())
            return i, str(col), int(lengths.iloc[i])
    return None


def _too_long_message(label: str, row: int, line: int | None, column: str, length: int) -> str:
    at = f"row {row}" + (f" (line {line})" if line is not None and line != row else "")
    return (f"{label}: {at}, column {column!r}: a cell of {length:,} characters; cells hold at most "
            f"{MAX_CELL_CHARS:,} characters")


def _check_cells(table: RawTable, text: str) -> None:
    """Refuse a table with a cell over MAX_CELL_CHARS, naming row (and line), column, limit."""
    for col in table.frame.columns:
        if len(str(col)) > MAX_CELL_CHARS:
            raise SourceError(_too_long_message(table.label, 1, None, str(col)[:20] + "...", len(str(col))))
    found = _too_long(table.frame)
    if found is None:
        return
    i, column, length = found
    # where that record starts: after multi-line cells, not the row number
    starts = [ln for ln, cells in _records(text, table.delimiter or ",") if cells]
    line = starts[i + 1] if i + 1 < len(starts) else None
    raise SourceError(_too_long_message(table.label, i + 2, line, column, length))


def read_text_table(path: Path, encoding: str | None = None, delimiter: str | None = None) -> RawTable:
    """Read one delimited text file.

    Problems are one line naming the place, e.g. a cell that is never closed:

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "entities.csv"
    >>> _ = p.write_text('id,name\\na,A\\nb,"B\\nc,C\\n')
    >>> read_text_table(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.sources.tabular.SourceError: entities.csv: line 3, column 'name': a quote opened here is never closed, ...
    """
    pa.default_memory_pool().release_unused()  # what Arrow's allocator kept of the tables read before
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror})") from None
    # a UTF-8 file is checked, not decoded: the fast reader takes its bytes, and only its first
    # lines (delimiter, header) are read as text; anything else is decoded whole
    text, enc = (None, encoding or "utf-8") if _is_utf8(data, encoding) else decode(data, encoding, label=path.name)
    first = _head_text(data) if text is None else text
    if first is None or first.count("\n") < 10:  # sniff_delimiter reads the first 10 lines
        text = first = text if text is not None else data.decode("utf-8")
    delim = delimiter or sniff_delimiter(first)
    # a title row above the header (MIIT lists) is narrower than the table: read every line as
    # data, as wide as the widest of the first lines, and let the loader find the header
    head = _first_head(first, delim) if text is None else None
    if head is None:
        text = text if text is not None else data.decode("utf-8")
        head = [cells for _, cells in _first_records(text, delim, HEAD_RECORDS) if cells]
    width = max((len(c) for c in head), default=0)
    ragged = bool(head) and len(head[0]) < width and sum(1 for c in head[0] if c.strip()) <= 1
    bom = enc == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf")
    utf8 = data if enc == "utf-8" else data[3:] if bom else None
    frame = None if ragged else read_plain(text, delim, utf8)  # pyarrow, where it reads what pandas reads
    if frame is None and text is None:
        text = data.decode("utf-8")
    big = len(data) > MAX_CELL_CHARS  # else no cell can be longer
    del data, utf8
    try:
        frame = frame if frame is not None else pd.read_csv(
            io.StringIO(text),
            sep=delim,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            skip_blank_lines=True,
            **({"header": None, "names": list(range(width))} if ragged else {}),
        )
        if ragged:
            frame.columns = [str(c) for c in frame.iloc[0]]
            frame = frame.iloc[1:].reset_index(drop=True)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except (pd.errors.ParserError, ValueError) as e:
        error = str(e).splitlines()[0].removeprefix("Error tokenizing data. C error: ")
        raise SourceError(_parse_problem(path.name, text, delim, error)) from None
    frame.columns = [str(c) for c in frame.columns]
    table = RawTable(name=path.stem, path=path, frame=frame, encoding=enc, delimiter=delim)
    if big and _may_be_long(frame):
        _check_cells(table, text if text is not None else path.read_bytes().decode("utf-8"))
    return table


#: The records of a text file's start that its layout is judged by (kg.sources.tabular.read_text_table).
HEAD_RECORDS = 20
#: How much of a UTF-8 file is decoded to find its delimiter and header (the rest stays bytes).
HEAD_BYTES = 1 << 20


def _is_utf8(data: bytes, encoding: str | None) -> bool:
    """Whether :func:`decode` would read ``data`` as UTF-8 as it is (a byte-order mark is read
    as UTF-8 with BOM unless ``encoding`` says utf-8)."""
    if encoding not in (None, "utf-8") or (encoding is None and data.startswith(b"\xef\xbb\xbf")):
        return False
    try:
        utf8_text(data)
    except pa.ArrowInvalid:
        return False
    return True


def _head_text(data: bytes) -> str | None:
    """The first ``HEAD_BYTES`` of a UTF-8 text decoded (a character cut at the end dropped);
    None for a shorter text (decoded whole instead)."""
    if len(data) <= HEAD_BYTES:
        return None
    return data[:HEAD_BYTES].decode("utf-8", errors="ignore")


def _first_head(head: str, delim: str) -> list | None:
    """The non-empty ones of the first ``HEAD_RECORDS`` records when the start of a text holds
    them all (as reading the whole text gives them); else None."""
    try:
        got = list(itertools.islice(_records(head, delim), HEAD_RECORDS + 1))
    except csv.Error:
        return None
    if len(got) <= HEAD_RECORDS:
        return None
    return [cells for _, cells in got[:HEAD_RECORDS] if cells]


def _may_be_long(frame: pd.DataFrame) -> bool:
    """Whether a cell may hold over MAX_CELL_CHARS characters: one of over that many bytes."""
    for k in range(frame.shape[1]):
        arr = getattr(frame.iloc[:, k].array, "_pa_array", None)
        if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return True  # not Arrow text: count the characters
        longest = pc.max(pc.binary_length(arr)).as_py()
        if longest is not None and longest > MAX_CELL_CHARS:
            return True
    return any(len(str(c)) > MAX_CELL_CHARS for c in frame.columns)


def read_workbook(path: Path) -> list[RawTable]:
    """Read every sheet of an .xlsx workbook as a table of strings."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for broken files
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SourceError(f"{path.name}: not a readable .xlsx workbook ({first})") from None
    tables = []
    for sheet, frame in sheets.items():
        frame = frame.map(_cell_text) if len(frame) else frame.astype(str)
        frame.columns = [_cell_text(c) for c in frame.columns]
        name = path.stem if len(sheets) == 1 else str(sheet)
        # no cell check: openpyxl reads at most 32,767 characters per cell, as Excel holds
        tables.append(RawTable(name=name, path=path, frame=frame, sheet=None if len(sheets) == 1 else str(sheet)))
    return tables


def read_tables(path: Path, encoding: str | None = None, delimiter: str | None = None) -> list[RawTable]:
    """Read a file (text or workbook) into raw tables."""
    suffix = path.suffix.lower()
    if suffix in SHEET_SUFFIXES:
        return read_workbook(path)
    if suffix in TEXT_SUFFIXES:
        return [read_text_table(path, encoding, delimiter)]
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
