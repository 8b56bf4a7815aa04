"""Issue 12's table from one command: kg build, the RDF store, embedded Cypher, push, rebuild;
with the peers in the same run.

For each size: `kg synth --firms N --seed 7`, then every figure as a user sees it (the whole
command, process start to exit, with its peak RSS from /usr/bin/time):

* `kg build SRC --quiet` on a fresh database folder, then again on the warm one;
* the RDF store of that build (loaded after the build publishes): the time until `kg sparql`
  answers, its quads, and its rate beside a raw Oxigraph bulk load of the same quads (the peer)
  and rdflib adding them one by one (projected from what it adds in --rdflib-cap seconds);
* each canned query on embedded Cypher (`kg query run NAME --backend cypher`, defaults), fresh
  process each time; the in-process time beside it; and on embedded SPARQL for comparison;
* `kg push neo4j --wipe` end to end on a running server (with --neo4j) beside `neo4j-admin
  database import` of the same graph (`kg neo4j-import` + import.sh);
* rebuilding after adding a 1,000-row source, beside the full build of the same run;
* the floors: DuckDB and pyarrow reading the source CSVs; LadybugDB COPY of the graph tables
  alone.

    python benchmarks/bench_scale.py --firms 100000 [1000000] [--neo4j] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KG = [sys.executable, "-m", "kg"]


def timed(cmd: list[str], env: dict | None = None, check: bool = True, timeout: float | None = None) -> dict:
    """Run a command under /usr/bin/time: wall seconds, CPU seconds (user + system), peak RSS
    (MiB), stdout; stopped after ``timeout`` seconds (``timed_out``)."""
    from treerss import PeakTreeRss

    t = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})}, start_new_session=True)
    timed_out = False
    with PeakTreeRss(proc.pid) as tree:  # the command and the processes it starts, summed
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # /usr/bin/time and the command under it
            out, err = proc.communicate()
            timed_out = True
    wall = time.perf_counter() - t
    p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    if check and p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    last = (p.stderr.strip().splitlines() or [""])[-1].split()
    rss, user, system = (last if len(last) == 3 and all(x.replace(".", "").isdigit() for x in last) else ["0"] * 3)
    # /usr/bin/time's peak is the largest single process (children's CPU is counted, their
    # memory not summed): the peak of the whole tree, sampled, is the larger where a command
    # starts processes (kg build's Cypher COPY process)
    return {"s": wall, "cpu": float(user) + float(system), "rss": max(int(rss) / 1024, tree.peak / 2**20),
            "out": p.stdout, "err": p.stderr, "rc": p.returncode, "timed_out": timed_out}


def floors(src: Path) -> dict:
    """Reading the source CSVs: DuckDB and pyarrow (the parsing floor)."""
    import duckdb
    import pyarrow.csv as pcsv

    files = sorted(src.glob("*.csv"))
    t = time.perf_counter()
    con = duckdb.connect()
    rows = 0
    for f in files:
        rows += con.execute("SELECT count(*) FROM read_csv(?, all_varchar=true)", [str(f)]).fetchone()[0]
    duck = time.perf_counter() - t
    t = time.perf_counter()
    for f in files:
        pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    arrow = time.perf_counter() - t
    return {"duckdb_s": duck, "pyarrow_s": arrow, "rows": rows, "mib": sum(f.stat().st_size for f in files) / 2**20}


def add_source(src: Path, out: Path, rows: int = 1000) -> None:
    """A new source folder: ``rows`` firms (entities.csv), each owned by an existing one (ownership.csv)."""
    out.mkdir()
    with (src / "entities.csv").open(encoding="utf-8") as f:
        firms = [r["id"] for r, _ in zip(csv.DictReader(f), range(rows), strict=False)]
    with (out / "entities.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "type", "name", "province", "sector", "source"])
        for i in range(rows):
            w.writerow([f"added-{i}", "Firm", f"Added Firm {i}", "Jiangsu", "robotics", "added"])
    with (out / "ownership.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["owner", "owned", "share", "start", "source"])
        for i in range(rows):
            w.writerow([firms[i % len(firms)], f"added-{i}", "0.6", "2020-01-01", "added"])


def sparql_ready(db: Path) -> dict:
    """`kg sparql` counting the store's quads: waits for the store of the build when it is
    still loading (the time until SPARQL answers)."""
    r = timed([*KG, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--db", str(db), "--format", "csv"])
    r["quads"] = int(r["out"].splitlines()[1])
    return r


def raw_oxigraph(db: Path, work: Path) -> dict:
    """The peer: Oxigraph's bulk load of the quads of the build's store, alone. The quads are
    dumped compressed (zstd; 25 GB of N-Quads at 10^6 firms), the build's stores are removed
    (the last figure that needs them is taken before), and the load reads them through ``zstd
    -dc`` (about 4% of one core beside the load), so that two stores and the text never need the
    disk at once."""
    import pyoxigraph as ox

    from kg.rdf.store import open_store

    nq = work / "dump.nq.zst"
    store = open_store(db)
    with subprocess.Popen(["zstd", "-1", "-q", "-f", "-o", str(nq)], stdin=subprocess.PIPE) as z:
        store.dump(z.stdin, format=ox.RdfFormat.N_QUADS)
        z.stdin.close()
    del store
    for gen in (db / "builds").iterdir():
        for name in ("store", "store.base", "store.partial"):
            shutil.rmtree(gen / name, ignore_errors=True)
    path = work / "raw-store"
    t = time.perf_counter()
    s = ox.Store(str(path))
    with subprocess.Popen(["zstd", "-dc", str(nq)], stdout=subprocess.PIPE) as z:
        s.bulk_load(z.stdout, format=ox.RdfFormat.N_QUADS, lenient=True)
    s.flush()
    load = time.perf_counter() - t
    t = time.perf_counter()
    s.optimize()
    opt = time.perf_counter() - t
    n = len(s)
    del s
    shutil.rmtree(path, ignore_errors=True)
    return {"s": load, "optimize_s": opt, "quads": n, "nq": nq}


def queries(db: Path, sparql_cap: float | None = None) -> list[dict]:
    """Every shipped canned query with its defaults (ultimate-owners of the firm with the most
    owners), on embedded Cypher and embedded SPARQL, each a whole command in a fresh process (a
    SPARQL one stopped after ``sparql_cap`` seconds: it is there for comparison)."""
    from bench_cypher import cases

    from kg.cypher.backend import CypherBackend

    backend = CypherBackend.open(db)
    todo = cases(db, backend)
    del backend
    out = []
    for name, params in todo:
        row = {"query": name + (" (" + ", ".join(f"{k}=…" for k in params) + ")" if params else "")}
        args = [a for k, v in params.items() for a in ("-p", f"{k}={v}")]
        for backend in ("cypher", "sparql"):
            r = timed([*KG, "query", "run", name, *args, "--backend", backend, "--db", str(db), "--format", "csv"],
                      check=False, timeout=None if backend == "cypher" else sparql_cap)
            row[backend] = r["s"] if r["rc"] == 0 else None
            row[backend + "_rows"] = (max(len(r["out"].splitlines()) - 1, 0) if r["rc"] == 0
                                      else f"stopped after {sparql_cap:.0f} s" if r.get("timed_out") else r["err"].strip()[-200:])
        out.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    base = timed([*KG, "--version"])["s"]
    for row in out:
        row["start_s"] = base
    return out


def ladybug_copy(db: Path, work: Path) -> dict:
    """LadybugDB COPY of the build's graph tables alone (the property-graph floor)."""
    from kg.cypher.load import build_embedded
    from kg.tables.read import open_live_tables

    graph = open_live_tables(db).graph_tables()  # the typed Arrow view, made before the clock starts
    t = time.perf_counter()
    build_embedded(graph, work / "ladybug-floor")
    s = time.perf_counter() - t
    shutil.rmtree(work / "ladybug-floor", ignore_errors=True)
    return {"s": s}


def neo4j(db: Path, work: Path, keep, again: bool = True) -> None:
    """The push figures, each handed to ``keep`` (the run's saved figures) as it comes."""
    from bench_push import connection

    uri, user, password = connection()
    env = {"NEO4J_URI": uri, "NEO4J_USER": user, "NEO4J_PASSWORD": password}
    out: dict = {}
    push = timed([*KG, "push", "neo4j", "--db", str(db), "--wipe"], env=env)
    out.update(push_s=push["s"], push_rss=push["rss"], push_cpu=push["cpu"])
    keep(dict(out))
    if again:
        # the same push again into an emptied database on the warm server (its JIT compiled the
        # write path during the first push, ~23 CPU s of a fresh JVM): what a long-running server
        # sees. Emptied first, untimed, by pushing the small bundled sample with --wipe (wiping a
        # whole graph is a different job from pushing one; at 10^6 firms its transaction logs
        # filled the disk: --no-push-again)
        sample = work / "sample-db"
        subprocess.run([*KG, "build", "--sample", "--db", str(sample), "--quiet", "--store", "later"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([*KG, "push", "neo4j", "--db", str(sample), "--wipe", "--quiet"], check=True,
                       env={**os.environ, **env}, stdout=subprocess.DEVNULL)
        a = timed([*KG, "push", "neo4j", "--db", str(db), "--wipe"], env=env)
        out.update(push_again_s=a["s"], push_again_cpu=a["cpu"])
        keep(dict(out))
    csv_dir = work / "import"
    csvs = timed([*KG, "neo4j-import", "--db", str(db), "-o", str(csv_dir)])
    data = work / "import-data"
    env2 = {"NEO4J_ADMIN": f"bash {ROOT / 'scripts' / 'neo4j'} admin --data {data}"}
    imp = timed(["sh", str(csv_dir / "import.sh")], env=env2)
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(csv_dir, ignore_errors=True)
    out.update(csv_s=csvs["s"], import_s=imp["s"])
    keep(dict(out))


class _Saved(dict):
    """The figures of one size, written to ``path`` as each comes: a step that fails late (an
    hour into a 10^6 run) leaves the figures before it."""

    def __init__(self, path: Path | None, **items):
        super().__init__(**items)
        self.path = path

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if self.path is not None:
            self.path.write_text(json.dumps(self, default=str, indent=1), encoding="utf-8")


def one(n: int, seed: int, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"kg-scale-{n}-"))
    src, db = work / "src", work / "db"
    subprocess.run([*KG, "synth", "--firms", str(n), "--seed", str(seed), "--out", str(src)], check=True,
                   stdout=subprocess.DEVNULL)
    r = _Saved(args.json.with_suffix(f".{n}.partial.json") if args.json else None,
               firms=n, load_avg=[os.getloadavg()[0]])
    r["floors"] = floors(src)
    print(f"# {n}: kg build (fresh) ...", file=sys.stderr, flush=True)
    r["build"] = timed([*KG, "build", str(src), "--db", str(db), "--quiet", "--store", "background"])
    r["store"] = sparql_ready(db)  # the RDF store, loaded after the build published
    info = json.loads((db / "build.json").read_text(encoding="utf-8"))
    r["stages"] = info.get("seconds", {})
    store_info = db / "current" / "store.json"
    r["store_load"] = json.loads(store_info.read_text()) if store_info.exists() else {}
    print(f"# {n}: kg build (warm) ...", file=sys.stderr, flush=True)
    r["build_warm"] = timed([*KG, "build", str(src), "--db", str(db), "--quiet", "--store", "background"])
    r["store_warm"] = sparql_ready(db)
    r["queries"] = queries(db, args.sparql_cap)
    r["ladybug"] = ladybug_copy(db, work)
    if args.neo4j:
        neo4j(db, work, lambda figures: r.__setitem__("neo4j", figures), again=not args.no_push_again)
    added = work / "added"
    add_source(src, added)
    print(f"# {n}: rebuild with a 1,000-row source ...", file=sys.stderr, flush=True)
    r["rebuild"] = timed([*KG, "build", str(src), str(added), "--db", str(db), "--quiet", "--store", "background"])
    r["store_rebuild"] = sparql_ready(db)
    info = json.loads((db / "build.json").read_text(encoding="utf-8"))
    r["rebuild_how"] = {"incremental": (info.get("incremental") or {}).get("used"),
                        "why": (info.get("incremental") or {}).get("why"), "stages": info.get("seconds", {}),
                        "store": json.loads((db / "current" / "store.json").read_text(encoding="utf-8"))}
    r["raw"] = raw_oxigraph(db, work)  # last: it removes the build's stores
    if not args.no_rdflib:
        from bench_build import rdflib_load

        secs, added, total, finished = rdflib_load(r["raw"]["nq"], args.rdflib_cap, 2_000_000, total=r["raw"]["quads"])
        r["rdflib"] = {"s": secs if finished else secs * total / added, "measured": finished, "added": added}
    r["raw"].pop("nq").unlink()
    r["load_avg"].append(os.getloadavg()[0])
    shutil.rmtree(work, ignore_errors=True)
    return r


def markdown(rows: list[dict]) -> str:
    from bench_build import machine, versions

    la = ", ".join(f"{min(r['load_avg']):.1f}-{max(r['load_avg']):.1f}" for r in rows)
    out = [f"### Scale: the issue 12 table ({dt.date.today().isoformat()}, `python benchmarks/bench_scale.py "
           f"--firms {' '.join(str(r['firms']) for r in rows)}`)", "",
           f"Machine: {machine()}; load average {la}. Versions: {versions()}. Whole commands, process start to "
           "exit, peak RSS from /usr/bin/time.", ""]
    head = "| measure | " + " | ".join(f"{r['firms']:,} firms" for r in rows) + " |"
    out += [head, "|---|" + "---:|" * len(rows)]

    def line(label, f):
        cells = []
        for r in rows:
            try:
                cells.append(f(r))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("n/a")
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    line("`kg build --quiet --store background`, fresh folder: Cypher answers (s wall, CPU s, peak MiB)",
         lambda r: f"{r['build']['s']:.1f} s, {r['build']['cpu']:.0f} CPU s, {r['build']['rss']:,.0f} MiB")
    line("stages (s)", lambda r: ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
    line("the same, warm folder (s wall, CPU s, peak MiB)",
         lambda r: f"{r['build_warm']['s']:.1f} s, {r['build_warm']['cpu']:.0f} CPU s, {r['build_warm']['rss']:,.0f} MiB")
    line("first `kg sparql` after the build: waits for the RDF store (s)", lambda r: f"{r['store']['s']:.1f}")
    line("`kg build` + that wait = the build with its RDF store (s)", lambda r: f"{r['build']['s'] + r['store']['s']:.1f}")
    line("RDF store: quads, load (s), quads/s", lambda r: (f"{r['store']['quads']:,}, {r['store_load'].get('seconds', 0):.1f} s, "
                                                          f"{r['store']['quads'] / r['store_load']['seconds']:,.0f}/s"))
    line("peer: raw Oxigraph bulk load of the same quads (s; + optimize)", lambda r: f"{r['raw']['s']:.1f} + {r['raw']['optimize_s']:.1f}")
    line("kg's RDF load rate as a share of raw", lambda r: f"{(r['raw']['s'] + r['raw']['optimize_s']) / r['store_load']['seconds']:.0%}")
    line("peer: rdflib one by one (s)", lambda r: f"{r['rdflib']['s']:,.0f}" + ("" if r["rdflib"]["measured"] else " (projected)"))
    line("slowest canned query, embedded Cypher, whole command (s)",
         lambda r: max((q["cypher"], q["query"]) for q in r["queries"] if q["cypher"] is not None)[0].__format__(".2f")
         + f" ({max((q['cypher'], q['query']) for q in r['queries'] if q['cypher'] is not None)[1]})")
    line("process start (`kg --version`, s)", lambda r: f"{r['queries'][0]['start_s']:.2f}")
    line("peer: LadybugDB COPY of the tables alone (s)", lambda r: f"{r['ladybug']['s']:.1f}")
    line("`kg push neo4j --wipe`, end to end, server just started (s; kg CPU s; kg peak MiB)",
         lambda r: f"{r['neo4j']['push_s']:.1f}; {r['neo4j']['push_cpu']:.1f}; {r['neo4j']['push_rss']:,.0f}")
    line("  ... again, server warm, database emptied before (s; kg CPU s)",
         lambda r: f"{r['neo4j']['push_again_s']:.1f}; {r['neo4j']['push_again_cpu']:.1f}")
    line("peer: `kg neo4j-import` + neo4j-admin import (s)", lambda r: f"{r['neo4j']['csv_s']:.1f} + {r['neo4j']['import_s']:.1f}")
    line("rebuild after adding a 1,000-row source (s; share of the full build)",
         lambda r: f"{r['rebuild']['s']:.1f} s, {r['rebuild']['s'] / r['build']['s']:.0%}")
    line("  ... in CPU seconds (share of the full build's)",
         lambda r: f"{r['rebuild']['cpu']:.1f} CPU s, {r['rebuild']['cpu'] / r['build']['cpu']:.0%}")
    line("  ... incremental (kg/incremental.py)? its stages (s)",
         lambda r: ("yes" if r["rebuild_how"]["incremental"] else f"no ({r['rebuild_how']['why']})") + "; "
         + ", ".join(f"{k} {v:.1f}" for k, v in r["rebuild_how"]["stages"].items()))
    line("  ... and until SPARQL answers after it (s; store appended?)",
         lambda r: f"{r['store_rebuild']['s']:.1f} ({'appended' if r['rebuild_how']['store'].get('appended') else 'whole'})")
    line("peer: DuckDB / pyarrow reading the source CSVs (s)",
         lambda r: f"{r['floors']['duckdb_s']:.1f} / {r['floors']['pyarrow_s']:.1f} ({r['floors']['mib']:.0f} MiB)")
    line("kg build / parsing floor (DuckDB)", lambda r: f"{r['build']['s'] / r['floors']['duckdb_s']:.0f}x")
    out += ["", "Each canned query (defaults), whole command on a fresh process (s) and rows:", "",
            "| query | " + " | ".join(f"Cypher {r['firms']:,} | SPARQL {r['firms']:,}" for r in rows) + " |",
            "|---|" + "---:|---:|" * len(rows)]
    names = [q["query"] for q in rows[0]["queries"]]
    for i, name in enumerate(names):
        cells = []
        for r in rows:
            q = r["queries"][i]
            for b in ("cypher", "sparql"):
                stopped = str(q[b + "_rows"]).startswith("stopped")
                cells.append((q[b + "_rows"] if stopped else "error") if q[b] is None else f"{q[b]:.2f} ({q[b + '_rows']})")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--neo4j", action="store_true", help="push to NEO4J_URI (or a server the test fixture starts)")
    ap.add_argument("--no-push-again", action="store_true",
                    help="push once (a server just started), not again into an emptied database: emptying a 10^6 "
                         "graph writes tens of GB of Neo4j transaction logs")
    ap.add_argument("--no-rdflib", action="store_true")
    ap.add_argument("--rdflib-cap", type=float, default=60.0)
    ap.add_argument("--sparql-cap", type=float, default=600.0,
                    help="seconds before a canned query on embedded SPARQL (for comparison) is stopped")
    ap.add_argument("--append", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    args = ap.parse_args(argv)
    rows = [one(n, args.seed, args) for n in args.firms]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    text = markdown(rows)
    print(text)
    if args.append:
        with args.append.open("a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
