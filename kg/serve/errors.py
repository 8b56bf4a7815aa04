"""The error a request ends with: an HTTP status and one line for the client."""

from __future__ import annotations


class ServeError(Exception):
    """A request that ends with ``status`` and a one-line ``message`` (never a traceback).

    >>> e = ServeError(403, "read-only")
    >>> e.status, str(e)
    (403, 'read-only')
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
