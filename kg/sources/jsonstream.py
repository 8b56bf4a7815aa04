"""Read the records of a JSON file one at a time, in bounded memory: a top-level array
(``[{...}, {...}]``, streamed by ijson), JSON Lines (one value per line) or concatenated
JSON values (``{...} {...}``, pretty-printed or not).

Each record comes with its number as messages cite it: the line for JSON Lines (so an editor
jumps to it), the position (1-based) for arrays and concatenated values. A line that is not
JSON is yielded as a :class:`BadJson` and the reading goes on; a broken array or concatenated
stream cannot be resynchronised, so it raises a one-line :class:`SourceError`.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "s.jsonl"
>>> _ = p.write_text('{"a": 1}\\n\\nnot json\\n{"a": 2}\\n', encoding="utf-8")
>>> [(n, r if isinstance(r, dict) else "bad") for n, r in records(p)]
[(1, {'a': 1}), (3, 'bad'), (4, {'a': 2})]
>>> _ = p.write_text('[{"a": 1.5}, {"a": 2}]', encoding="utf-8")
>>> list(records(p))
[(1, {'a': 1.5}), (2, {'a': 2})]
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ijson

from kg.sources.tabular import SourceError

LINE_SUFFIXES = (".jsonl", ".ndjson")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class BadJson:
    """A line that is not JSON: the parser's reason."""

    reason: str


def first_byte(head: bytes) -> bytes:
    """The first non-blank byte of a file's head (after a UTF-8 BOM), ``b""`` when none.

    >>> first_byte(b"\\xef\\xbb\\xbf  [{}]"), first_byte(b"")
    (b'[', b'')
    """
    return head.removeprefix(_BOM).lstrip()[:1]


def records(path: Path) -> Iterator[tuple[int, object]]:
    """(number, value or BadJson) for every record of ``path``."""
    with path.open("rb") as f:
        start = first_byte(f.read(1 << 12))
    if start == b"[":
        yield from _stream(path, "item", multiple=False)
    elif path.suffix.lower() in LINE_SUFFIXES:
        yield from _lines(path)
    elif start == b"{":
        yield from _stream(path, "", multiple=True)
    elif start == b"":
        return
    else:
        raise SourceError(f"{path.name}:1: value {start.decode('latin-1')!r} does not start JSON; "
                          "expected a JSON array of records, JSON Lines or JSON objects")


def _lines(path: Path) -> Iterator[tuple[int, object]]:
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if number == 1:
                line = line.removeprefix(_BOM)
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
                yield number, BadJson(str(e).split(":", 1)[0] if isinstance(e, json.JSONDecodeError) else "not UTF-8 text")


def _stream(path: Path, prefix: str, multiple: bool) -> Iterator[tuple[int, object]]:
    number = 0
    with path.open("rb") as f:
        if f.read(3) != _BOM:
            f.seek(0)
        try:
            for number, value in enumerate(ijson.items(f, prefix, use_float=True, multiple_values=multiple), 1):
                yield number, value
        except ijson.JSONError as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise SourceError(f"{path.name}:{number + 1}: record {number + 1} is not valid JSON ({reason}); "
                              "the rest of the file cannot be read") from None
