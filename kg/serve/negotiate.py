"""Content negotiation: the offered media type an ``Accept`` header prefers.

>>> choose("text/csv;q=0.5, application/sparql-results+json", ["application/sparql-results+xml", "text/csv"])
'text/csv'
>>> choose(None, ["text/turtle", "application/n-triples"])
'text/turtle'
>>> choose("image/png", ["text/turtle"]) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence


def parse_accept(header: str) -> list[tuple[str, float]]:
    """``(media range, q)`` pairs of an Accept header (lower case; a bad q counts as 0).

    >>> parse_accept("text/*;q=0.3, application/json")
    [('text/*', 0.3), ('application/json', 1.0)]
    """
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        mtype = fields[0].lower()
        if not mtype:
            continue
        q = 1.0
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = min(max(float(v), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((mtype, q))
    return out


def _quality(offer: str, ranges: list[tuple[str, float]]) -> float:
    """The q the most specific matching range gives ``offer`` (0 if none matches)."""
    major = offer.split("/")[0]
    best, spec = 0.0, -1
    for rng, q in ranges:
        s = 2 if rng == offer else 1 if rng == f"{major}/*" else 0 if rng == "*/*" else -1
        if s > spec:
            best, spec = q, s
    return best if spec >= 0 else 0.0


def choose(header: str | None, offers: Sequence[str]) -> str | None:
    """The offer with the highest q (the first offer on ties; the first without a header);
    None if the header accepts none of them."""
    if not header or not header.strip():
        return offers[0]
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best
