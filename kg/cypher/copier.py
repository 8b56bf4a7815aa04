"""The process that writes a new embedded Cypher database while the build goes on: LadybugDB
keeps Python's lock through a COPY, so in the build's own process no Python work could run beside
it; in a process of its own it runs on the other core. :class:`CopyProcess` is the build's side,
:func:`main` the process (``python -m kg.cypher.copier PATH POOL``): one statement per line of
JSON on stdin, one reply per line on stdout, the database closed (its last checkpoint) at the end
of stdin.

>>> import tempfile, pathlib
>>> p = CopyProcess(pathlib.Path(tempfile.mkdtemp()) / "g.lbdb", 512 << 20)
>>> p.execute("CREATE NODE TABLE T(id INT64, PRIMARY KEY(id))")
>>> p.execute("CREATE NODE TABLE T(id INT64, PRIMARY KEY(id))")
Traceback (most recent call last):
...
RuntimeError: Binder exception: T already exists in catalog.
>>> p.close()
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kg.resources import child_env


class CopyProcess:
    """A new LadybugDB database written by a process of its own: :meth:`execute` runs a
    statement there and waits for it (raising RuntimeError with LadybugDB's message where it
    fails), :meth:`close` closes the database, :meth:`kill` stops the process."""

    def __init__(self, path: Path, pool: int):
        self.proc = subprocess.Popen([sys.executable, "-m", "kg.cypher.copier", str(path), str(pool)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                                     env=child_env())

    def _reply(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the database's writing process ended (exit code {self.proc.wait()})")
        return json.loads(line)

    def execute(self, statement: str) -> None:
        try:
            self.proc.stdin.write(json.dumps(statement) + "\n")
            self.proc.stdin.flush()
        except OSError:
            raise RuntimeError(f"the database's writing process ended (exit code {self.proc.wait()})") from None
        reply = self._reply()
        if "error" in reply:
            raise RuntimeError(reply["error"])

    def close(self) -> None:
        """Close the database (its last checkpoint) and wait for the process to end."""
        self.proc.stdin.close()
        reply = self._reply()
        if self.proc.wait() != 0 or "error" in reply:
            raise RuntimeError(reply.get("error") or f"the database's writing process failed (exit code {self.proc.returncode})")
        self.proc.stdout.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass


def open_for_writing(path: str | Path, pool: int):
    """A database to load in bulk, and its connection: a buffer pool of ``pool`` bytes, no
    automatic checkpoints (the loader checkpoints only when the pool needs it, and closing does the
    last one; one per COPY would cost ~0.1 s each), compression off: LadybugDB 0.22 reads some
    compressed DOUBLE values back as 0.0 when it fetches single nodes (a firm's financial years
    through REPORTED; 13 of 131,645 values of a 3,000-firm sample at 10^5), while a scan reads
    them right (docs/benchmarks.md, session 7). Uncompressed the file is 2.6x as large and the
    load ~30% slower, and every value is right."""
    import ladybug

    db = ladybug.Database(str(path), buffer_pool_size=pool, auto_checkpoint=False, compression=False)
    return db, ladybug.Connection(db)


def main(path: str, pool: int) -> int:
    db, conn = open_for_writing(path, pool)
    out = sys.stdout
    for line in sys.stdin:
        try:
            conn.execute(json.loads(line))
            out.write('{"ok": true}\n')
        except RuntimeError as e:
            out.write(json.dumps({"error": str(e)}) + "\n")
        out.flush()
    try:
        conn.close()
        db.close()
    except RuntimeError as e:
        out.write(json.dumps({"error": str(e)}) + "\n")
        return 1
    out.write('{"closed": true}\n')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
