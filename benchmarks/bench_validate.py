"""Time and peak memory of the whole `kg validate` command, fast engine vs pyshacl.

    python benchmarks/bench_validate.py --db DB                       # fast engine, fresh + 2 warm runs
    python benchmarks/bench_validate.py --db SMALL_DB --engine fast pyshacl --repeat 1

Each run is one `python -m kg validate --db DB --engine E --format csv` process, timed from
process start to exit; its peak RSS is the kernel's (os.wait4's ru_maxrss). A "fresh" run first
evicts the store's files from the page cache (posix_fadvise DONTNEED on those files only, so
other jobs on the machine keep theirs); "warm" runs follow it. The load average is read before
and after each run, since other jobs may share the machine. Prints markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def evict(store: Path) -> int:
    """Drop a store's files from the page cache; the number of bytes advised."""
    total = 0
    for f in store.rglob("*"):
        if f.is_file():
            fd = os.open(f, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += f.stat().st_size
            finally:
                os.close(fd)
    return total


def run_once(db: Path, engine: str) -> dict:
    """One `kg validate` process: seconds, peak RSS in MiB, result rows, exit code, load."""
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "kg", "validate", "--db", str(db), "--engine", engine,
                              "--format", "csv"], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)  # this child's own rusage (peak RSS in KiB)
        seconds = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        rows = max(0, sum(1 for _ in out) - 1)
        tail = err.read().decode(errors="replace").strip()[-200:]
    return {"engine": engine, "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024, "rows": rows,
            "exit": p.returncode, "load": (load, os.getloadavg()[0]), "stderr": tail}


def machine() -> list[str]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), "?")
    cpus = os.cpu_count()
    free = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.splitlines()
    mem = free[1].split()[1] if len(free) > 1 else "?"
    return [f"- machine: {cpus} CPUs ({model}), {mem} GiB RAM; {platform.platform()}",
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- versions: Python {platform.python_version()}, pyoxigraph {version('pyoxigraph')}, "
            f"pyshacl {version('pyshacl')}, rdflib {version('rdflib')}"]


def quads(db: Path) -> int:
    import pyoxigraph as ox

    return len(ox.Store.read_only(str((db / "current").resolve())))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a built database folder")
    ap.add_argument("--engine", nargs="+", default=["fast"], choices=["fast", "pyshacl"])
    ap.add_argument("--repeat", type=int, default=2, help="warm runs after the fresh one")
    args = ap.parse_args(argv)
    print("\n".join(machine()))
    print(f"- graph: {args.db} ({quads(args.db):,} quads)\n")
    print("| engine | run | wall s | CPU s (user+sys) | peak RSS MiB | rows | exit | load avg before -> after |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for engine in args.engine:
        for i in range(1 + args.repeat):
            evicted = evict(args.db / "current") if i == 0 else 0
            r = run_once(args.db, engine)
            run = f"fresh ({evicted / 2**20:,.0f} MiB evicted)" if i == 0 else f"warm {i}"
            print(f"| {engine} | {run} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mib']:.0f} | {r['rows']} | {r['exit']} "
                  f"| {r['load'][0]:.2f} -> {r['load'][1]:.2f} |", flush=True)
            if r["exit"] not in (0, 1):
                print(f"  (stderr: {r['stderr']})")


if __name__ == "__main__":
    main()
