"""Giving freed memory back to the system between the large steps of a build.

glibc keeps the pages of freed objects in its heap for reuse (and a thread's allocations in an
arena of its own), and Arrow's allocator keeps freed buffers' pages, so a step that follows a
large one would run on top of that one's peak.

>>> give_back()
>>> release_memory()
"""

from __future__ import annotations

import ctypes
import gc


def give_back() -> None:
    """Return the free pages of Arrow's pool and of every glibc arena (a no-op without glibc)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def release_memory() -> None:
    """Collect unreachable objects, then :func:`give_back` (between the stages of a build)."""
    gc.collect()
    give_back()
