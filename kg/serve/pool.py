"""A bounded pool of worker processes that run store work with a timeout.

Each worker process opens the database folder's live store read-only and keeps it; before
every task it checks which generation ``DB/current`` points at and re-opens the store when a
newer build has been published, dropping the old one so the build after can remove it
(docs/architecture.md, the database folder); :meth:`WorkerPool.keep_fresh` makes idle workers
do the same every few seconds. A task is a module-level function
``fn(store, *args)`` whose arguments and result pickle.

A thread cannot be stopped, and Oxigraph (pyoxigraph 0.5) has no way to cancel a running
query, so the pool uses processes: a task that outlives the timeout has its worker killed
(the kernel releases its hold on the generation) and a fresh worker started in its place. At
most ``size`` tasks run at once; a request that finds every worker busy waits for one up to
the same timeout.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
>>> import asyncio
>>> async def main():
...     pool = WorkerPool(db, size=1, timeout=10)
...     await asyncio.to_thread(pool.start)
...     try:
...         return await pool.run(count_quads)
...     finally:
...         pool.close()
>>> asyncio.run(main()) > 0
True
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import signal
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from kg.serve.errors import ServeError

_CTX = mp.get_context("spawn")  # no fork of a process that runs threads and an event loop


def count_quads(store) -> int:
    """A task: the number of quads in the store (a cheap check that a worker answers)."""
    return len(store)


class LiveStore:
    """The live store of a database folder, re-opened when ``current`` moves to a new build.

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
    >>> live = LiveStore(db)
    >>> live.get() is live.get()
    True
    """

    def __init__(self, db: Path):
        self.db = Path(db)
        self._store = None
        self._target: str | None = None

    def _current(self) -> str | None:
        try:
            return os.readlink(self.db / "current")
        except OSError:
            return None

    def get(self):
        """The store of the live generation (opened again if a build published a new one)."""
        from kg.rdf.store import open_store

        target = self._current()
        if self._store is None or target != self._target:
            self._store = None  # drop the old generation's store first: its hold is then released
            self._target = target
            self._store = open_store(self.db)
        return self._store


def _worker_main(conn, db: str) -> None:
    """A worker process: open the store, then run tasks until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    from kg.serve.errors import ServeError

    live = LiveStore(Path(db))
    try:
        live.get()
    except Exception as e:  # noqa: BLE001 - reported to the server, which exits with one line
        conn.send(("error", 500, str(e), traceback.format_exc()))
        return
    conn.send(("ready",))
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", fn(live.get(), *args))
        except ServeError as e:
            reply = ("error", e.status, str(e), "")
        except Exception as e:  # noqa: BLE001 - every failure goes back as one line (+ traceback for --debug)
            first = str(e).splitlines()[0] if str(e) else ""
            reply = ("error", 500, f"{type(e).__name__}: {first}", traceback.format_exc())
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


class Worker:
    """One worker process and the server's end of its pipe."""

    def __init__(self, db: Path, wait: bool = True):
        self.conn, child = _CTX.Pipe()
        self.proc = _CTX.Process(target=_worker_main, args=(child, str(db)), daemon=True, name="kg-serve-worker")
        self.proc.start()
        child.close()
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the worker has opened the store (ServeError if it could not)."""
        try:
            reply = self.conn.recv()
        except EOFError:
            self.kill()
            raise ServeError(500, "a query worker exited while opening the store") from None
        if reply[0] != "ready":
            self.kill()
            raise ServeError(500, reply[2])

    def call(self, fn, args: tuple) -> tuple:
        """Send a task and wait for its reply (blocking: run it in a thread)."""
        self.conn.send((fn, args))
        return self.conn.recv()

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()


class WorkerPool:
    """``size`` worker processes on the database folder ``db``; tasks stop after ``timeout`` s."""

    def __init__(self, db: Path, size: int = 2, timeout: float = 30.0, debug: bool = False):
        self.db, self.size, self.timeout, self.debug = Path(db), size, timeout, debug
        self._idle: asyncio.Queue[Worker] | None = None
        self._workers: set[Worker] = set()
        self._threads = ThreadPoolExecutor(max_workers=size + 2, thread_name_prefix="kg-serve-pipe")
        self._lock = threading.Lock()
        self._closed = False
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        """Start the workers (blocking: each opens the store; a failure raises ServeError)."""
        started = []
        try:
            for _ in range(self.size):  # start them all, then wait: they open the store side by side
                started.append(Worker(self.db, wait=False))
            for w in started:
                w.wait_ready()
        except BaseException:
            for w in started:
                w.kill()
            raise
        with self._lock:
            self._workers.update(started)
        self._pending = started

    def _queue(self) -> asyncio.Queue:
        if self._idle is None:  # made on the event loop that serves the requests
            self._idle = asyncio.Queue()
            for w in self._pending:
                self._idle.put_nowait(w)
        return self._idle

    async def run(self, fn, *args) -> Any:
        """Run ``fn(store, *args)`` in a worker; ServeError(503) after the timeout."""
        idle = self._queue()
        try:
            worker = await asyncio.wait_for(idle.get(), self.timeout)
        except TimeoutError:
            raise ServeError(503, f"all {self.size} query workers stayed busy for {self.timeout:g} s; "
                                  "try again later", {"Retry-After": "5"}) from None
        loop = asyncio.get_running_loop()
        try:
            reply = await asyncio.wait_for(loop.run_in_executor(self._threads, worker.call, fn, args), self.timeout)
        except TimeoutError:
            self._replace(worker)
            raise ServeError(503, f"query timed out: it ran longer than the server's limit of {self.timeout:g} s "
                                  "(kg serve --timeout) and was stopped") from None
        except (EOFError, OSError):
            self._replace(worker)
            raise ServeError(500, "the query worker ended unexpectedly (out of memory?); it has been restarted") from None
        except BaseException:  # cancelled: the worker may still be busy, so it cannot be reused
            self._replace(worker)
            raise
        idle.put_nowait(worker)
        if reply[0] == "ok":
            return reply[1]
        _, status, message, tb = reply
        raise ServeError(status, message + (f"\n{tb}" if self.debug and tb else ""))

    async def keep_fresh(self, every: float = 5.0) -> None:
        """Touch an idle worker every ``every`` seconds (the longest idle one: the queue is
        first in, first out), so that idle workers too move to a new build and let go of the old
        generation. Runs until cancelled."""
        while not self._closed:
            await asyncio.sleep(every)
            try:
                await self.run(count_quads)
            except ServeError as e:
                if e.status != 503:  # every worker busy, or this check timed out: try again later
                    print(f"kg serve: {e}", file=sys.stderr)

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and start another in its place (in the background)."""
        worker.kill()
        with self._lock:
            self._workers.discard(worker)
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._respawn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closed:
            try:
                w = await loop.run_in_executor(self._threads, Worker, self.db)
            except ServeError as e:
                print(f"kg serve: cannot start a query worker: {e}; retrying in 2 s", file=sys.stderr)
                await asyncio.sleep(2)
                continue
            with self._lock:
                if self._closed:
                    w.kill()
                    return
                self._workers.add(w)
            self._queue().put_nowait(w)
            return

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
