"""Benchmark pushing the graph to Neo4j over Bolt, and the neo4j-admin bulk-import route.

For each size: generate a synthetic canonical folder (``kg synth``; a small built-in
generator when that command is not available), build it, read its graph tables as typed Arrow
tables (what ``kg push neo4j`` reads), push them after a wipe (nodes/s, links/s), push them
again (the idempotent MERGE-over-existing case), time the whole command ``kg push neo4j --wipe``
into the emptied database (a child process: its wall time, its CPU seconds and the server's),
then write the bulk-import CSVs and time ``import.sh`` (neo4j-admin database import full
through ``scripts/neo4j admin``) into a fresh data directory. Prints a markdown table.

The server is warmed up first (a slice of the graph pushed and wiped, so the JIT has compiled
the write paths); then a fresh push with the Rust codec of the driver (neo4j-rust-ext, when
installed) and one with the pure-Python codec, each after a wipe, then a re-push (MERGE). For
each run: nodes/s and links/s, and the CPU seconds the Neo4j process (read from
/proc/PID/stat) and the client used per million links during the links stage.

    eval "$(scripts/neo4j start)"      # or let the benchmark start one
    python benchmarks/bench_push.py --firms 10000 100000
    python benchmarks/bench_push.py --db kg-data          # an existing graph
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def connection() -> tuple[str, str, str]:
    """NEO4J_URI/USER/PASSWORD, else a server started by tests/neo4j_fixture.py."""
    if os.environ.get("NEO4J_URI"):
        return os.environ["NEO4J_URI"], os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")
    sys.path.insert(0, str(ROOT / "tests"))
    from neo4j_fixture import neo4j_connection

    return neo4j_connection()


def simple_synth(out: Path, firms: int, seed: int) -> None:
    """A canonical folder with ``firms`` firms (fallback when ``kg synth`` is missing).

    About 2 owners, 0.6 fundings, 0.5 certifications, 0.03 listings and 3 financial years
    per firm, so ~6 links per firm.
    """
    rnd = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    gov = [f"gov{i}" for i in range(max(3, firms // 1000))]
    banks = [f"bank{i}" for i in range(max(3, firms // 1000))]
    funds = [f"fund{i}" for i in range(max(3, firms // 200))]
    gfs = [f"gf{i}" for i in range(max(3, firms // 500))]
    people = [f"p{i}" for i in range(max(3, firms // 100))]
    fs = [f"f{i}" for i in range(firms)]
    provinces = ["Beijing", "Shanghai", "Jiangsu", "Zhejiang", "Guangdong", "Liaoning", "Anhui", "Hubei"]
    with open(out / "entities.csv", "w", encoding="utf-8") as f:
        f.write("id,type,name,name_zh,country,province,city,sector,founded,state_owned,source\n")
        for ids, typ, so in ((gov, "GovernmentBody", "true"), (banks, "Bank", "true"), (funds, "Fund", ""),
                             (gfs, "GuidanceFund", "true"), (people, "Person", "")):
            for i in ids:
                f.write(f"{i},{typ},{typ} {i},{typ}{i}号,CN,{rnd.choice(provinces)},,,,{so},synthetic\n")
        for i in fs:
            y = rnd.randint(1990, 2022)
            founded = rnd.choice([str(y), f"{y}-{rnd.randint(1, 12):02d}", f"{y}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"])
            f.write(f"{i},Firm,Firm {i} Co. Ltd.,企业{i}有限公司,CN,{rnd.choice(provinces)},,industry,{founded},"
                    f"{rnd.choice(['true', 'false', ''])},synthetic\n")
    owners = gov + funds + gfs + people
    with open(out / "ownership.csv", "w", encoding="utf-8") as f:
        f.write("owner,owned,share,start,end,source\n")
        for n, i in enumerate(fs):
            k = rnd.choice([1, 2, 2, 3])
            pool = [rnd.choice(owners) if n == 0 or rnd.random() < 0.5 else fs[rnd.randrange(n)] for _ in range(k)]
            for o in dict.fromkeys(pool):
                f.write(f"{o},{i},{rnd.uniform(0.01, 1 / k):.4f},{rnd.randint(2000, 2023)},,synthetic\n")
    with open(out / "funding.csv", "w", encoding="utf-8") as f:
        f.write("funder,recipient,instrument,amount,currency,date,interest_rate,source\n")
        for _ in range(int(firms * 0.6)):
            ins = rnd.choice(["equity", "loan", "subsidy"])
            rate = f"{rnd.uniform(0.02, 0.06):.4f}" if ins == "loan" else ""
            f.write(f"{rnd.choice(banks + funds + gfs + gov)},{rnd.choice(fs)},{ins},{rnd.randint(10, 50000)}万元,,"
                    f"{rnd.randint(2010, 2024)}-{rnd.randint(1, 12):02d},{rate},synthetic\n")
    with open(out / "certifications.csv", "w", encoding="utf-8") as f:
        f.write("firm,programme,batch,year,issuer,valid_from,valid_to,source\n")
        progs = ["innovative_sme", "specialized_sme", "little_giant", "manufacturing_champion"]
        for i in rnd.sample(fs, firms // 2):
            y = rnd.randint(2019, 2024)
            f.write(f"{i},{rnd.choice(progs)},{y - 2018},{y},MIIT,{y}-07-01,,synthetic\n")
    with open(out / "listings.csv", "w", encoding="utf-8") as f:
        f.write("firm,exchange,ticker,board,listed,delisted,source\n")
        codes = [f"{p}{k:03d}" for k in range(1, 1000) for p in ("600", "601", "603", "688", "000", "002", "300", "301")]
        for code, i in zip(codes, rnd.sample(fs, max(1, firms // 33)), strict=False):
            ex, suf = ("SSE", "SH") if code[0] == "6" else ("SZSE", "SZ")
            f.write(f"{i},{ex},{code}.{suf},main,{rnd.randint(2000, 2023)},,synthetic\n")
    with open(out / "financials.csv", "w", encoding="utf-8") as f:
        f.write("firm,year,revenue,net_profit,employees,rd_expense,exports,source\n")
        for i in fs:
            for y in (2021, 2022, 2023):
                rev = rnd.randint(1_000_000, 2_000_000_000)
                f.write(f"{i},{y},{rev},{int(rev * rnd.uniform(-0.1, 0.2))},{rnd.randint(5, 3000)},"
                        f"{int(rev * 0.05)},,synthetic\n")


def make_source(out: Path, firms: int, seed: int) -> str:
    """``kg synth`` when the command exists, else :func:`simple_synth`; returns which."""
    r = subprocess.run([sys.executable, "-m", "kg", "synth", "--firms", str(firms), "--seed", str(seed), "--out", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode == 0:
        return "kg synth"
    if "No such command" not in r.stderr:
        raise SystemExit(f"kg synth failed:\n{r.stderr}")
    simple_synth(out, firms, seed)
    return "bench_push.simple_synth"


def rust_ext() -> str:
    try:
        from importlib.metadata import version

        return version("neo4j-rust-ext")
    except Exception:  # noqa: BLE001 - not installed
        return "no"


def hide_rust() -> None:
    """Make the driver use its pure-Python PackStream codec in this process (call before
    ``import neo4j``): the driver picks its codec when the module is imported."""
    sys.modules["neo4j._rust"] = None  # the driver's `from ..._rust... import` then fails


def python_codec_push(frames: Path, batch: int, workers: int, label: str) -> dict:
    """A fresh push in a child process whose driver runs without neo4j-rust-ext."""
    p = subprocess.run([sys.executable, __file__, "--child-push", str(frames), "--batch-size", str(batch),
                        "--workers", str(workers), "--label", label], capture_output=True, text=True, env=os.environ)
    if p.returncode != 0:
        raise SystemExit(f"the pure-Python codec push failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def child_push(frames: Path, batch: int, workers: int, label: str) -> None:
    hide_rust()
    import pickle

    from kg.neo4j.connect import Settings, open_driver
    from kg.neo4j.push import wipe

    g = pickle.loads(frames.read_bytes())  # GraphTables
    uri, user, password = connection()
    settings = Settings(uri=uri, user=user, password=password, database=os.environ.get("NEO4J_DATABASE") or None)
    with open_driver(settings) as driver:
        with driver.session(database=settings.database) as session:
            wipe(session)
        row = timed_push(driver, g, settings, batch, workers, server_pid(settings.uri), label)
    from neo4j._codec.packstream import v1

    row["run"] += "" if v1.Packer._pack.__code__.co_names.count("_rust_pack") == 0 else " (Rust codec still on!)"
    print(json.dumps(row))


def server_pid(uri: str) -> int | None:
    """The local process listening on the URI's port (to read its CPU time), if any."""
    try:
        import psutil

        port = int(uri.rsplit(":", 1)[1].split("/")[0])
        for c in psutil.net_connections(kind="tcp"):
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
                return c.pid
    except Exception:  # noqa: BLE001 - CPU figures are optional
        return None
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process, from /proc/PID/stat (nan if unknown)."""
    if pid is None:
        return float("nan")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        import psutil

        t = psutil.Process(pid).cpu_times()
        return t.user + t.system


def timed_push(driver, g, settings, batch: int, workers: int, pid: int | None, label: str) -> dict:
    """One push with the server's CPU seconds per stage; the figures of one table row."""
    from kg.neo4j.push import PushReport, push_frames

    marks: list[tuple[str, float, float]] = []
    load0 = os.getloadavg()[0]
    c0 = time.process_time()
    t0 = time.perf_counter()
    r = push_frames(driver, g, settings, batch_size=batch, workers=workers, report=PushReport(),
                    on_stage=lambda name: marks.append((name, cpu_seconds(pid), time.process_time())))
    wall = time.perf_counter() - t0
    at = {name: (srv, cli) for name, srv, cli in marks}
    stages = [name for name, _, _ in marks]

    def server(stage: str) -> float:
        nxt = stages[stages.index(stage) + 1]
        return at[nxt][0] - at[stage][0]

    def client(stage: str) -> float:
        nxt = stages[stages.index(stage) + 1]
        return at[nxt][1] - at[stage][1]

    links_m = r.links / 1e6
    return {
        "run": label, "nodes": r.nodes, "links": r.links, "nodes_per_s": r.nodes_per_second,
        "links_per_s": r.links_per_second, "push_s": wall, "indexes_s": r.seconds.get("indexes", 0.0),
        "server_links_cpu": server("links"), "server_links_cpu_per_m": server("links") / links_m if links_m else 0,
        "server_cpu": at["done"][0] - at[stages[0]][0], "client_cpu": time.process_time() - c0,
        "client_links_cpu_per_m": client("links") / links_m if links_m else 0,
        "load": f"{load0:.1f}-{os.getloadavg()[0]:.1f}",
    }


def whole_command(db: Path, settings, pid: int | None, batch: int, workers: int) -> dict:
    """``kg push neo4j --wipe`` as a user runs it (reading the tables included), in a child
    process: wall time, its CPU seconds and the server's."""
    env = dict(os.environ, NEO4J_URI=settings.uri, NEO4J_USER=settings.user, NEO4J_PASSWORD=settings.password)
    load0 = os.getloadavg()[0]
    before = os.times()
    s0 = cpu_seconds(pid)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "kg", "push", "neo4j", "--db", str(db), "--wipe", "--quiet",
                        "--batch-size", str(batch), "--workers", str(workers)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"kg push neo4j failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    after = os.times()
    client = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    line = p.stdout.strip().splitlines()[-1]  # pushed N nodes and M links ...
    nodes, links = (int(x) for x in line.split("pushed ")[1].split(" links")[0].split(" nodes and "))
    return {"run": "kg push neo4j --wipe (whole command)", "nodes": nodes, "links": links,
            "nodes_per_s": float("nan"), "links_per_s": links / wall, "push_s": wall, "indexes_s": float("nan"),
            "server_links_cpu": float("nan"), "server_links_cpu_per_m": float("nan"),
            "server_cpu": cpu_seconds(pid) - s0, "client_cpu": client, "client_links_cpu_per_m": float("nan"),
            "load": f"{load0:.1f}-{os.getloadavg()[0]:.1f}"}


def warm_up(driver, g, settings, batch: int, pid) -> None:
    """Push a slice of the graph and wipe it: the server compiles its code paths (JIT) first,
    so the measured runs do not pay for that."""
    from kg.neo4j.push import wipe
    from kg.tables.view import GraphTables

    small = GraphTables(nodes={k: t.slice(0, 20_000) for k, t in g.nodes.items()},
                        links={k: t.slice(0, 20_000) for k, t in g.links.items()})
    for _ in range(2):
        timed_push(driver, small, settings, batch, 1, pid, "warm-up")
        timed_push(driver, small, settings, batch, 1, pid, "warm-up")  # the MERGE path
        with driver.session(database=settings.database) as session:
            wipe(session)


def bench_one(db: Path, settings, batch: int, workers: int, work: Path, do_import: bool, warm: bool) -> dict:
    from kg.neo4j.bulk_csv import write_frames
    from kg.neo4j.connect import open_driver
    from kg.neo4j.push import wipe
    from kg.tables import graph_frames
    from kg.tables.read import open_live_tables

    t = time.perf_counter()
    g = open_live_tables(db).graph_tables()  # what kg push neo4j reads: the graph tables' Arrow view
    read_s = time.perf_counter() - t
    row: dict = {"nodes": g.node_count, "links": g.link_count, "read_s": read_s, "runs": []}
    pid = server_pid(settings.uri)
    rust = rust_ext() != "no"
    with open_driver(settings) as driver:
        with driver.session(database=settings.database) as session:
            wipe(session)
        if warm:
            warm_up(driver, g, settings, batch, pid)
        codec = "Rust codec" if rust else "Python codec"
        with driver.session(database=settings.database) as session:
            wipe(session)
        print(f"# fresh push, {codec} ...", file=sys.stderr)
        row["runs"].append(timed_push(driver, g, settings, batch, workers, pid, f"fresh push, {codec}"))
        print("# re-push (MERGE) ...", file=sys.stderr)
        row["runs"].append(timed_push(driver, g, settings, batch, workers, pid, f"re-push (MERGE), {codec}"))
        if rust:
            import pickle

            frames = work / "frames.pickle"
            frames.write_bytes(pickle.dumps(g))
            print("# fresh push, Python codec (a child process without neo4j-rust-ext) ...", file=sys.stderr)
            row["runs"].append(python_codec_push(frames, batch, workers, "fresh push, Python codec"))
            frames.unlink()
        with driver.session(database=settings.database) as session:
            wipe(session)
        print("# kg push neo4j --wipe, the whole command ...", file=sys.stderr)
        row["runs"].append(whole_command(db, settings, pid, batch, workers))
        recs, _, _ = driver.execute_query("MATCH (n:KgNode) RETURN count(n) AS n", database_=settings.database)
        assert recs[0]["n"] == g.node_count, (recs[0]["n"], g.node_count)
        recs, _, _ = driver.execute_query("MATCH (:KgNode)-[r]->() RETURN count(r) AS n", database_=settings.database)
        assert recs[0]["n"] == g.link_count, (recs[0]["n"], g.link_count)
    if do_import:
        out = work / "import"
        t = time.perf_counter()
        write_frames(graph_frames(db), out)
        row["csv_s"] = time.perf_counter() - t
        data = work / "import-data"
        env = dict(os.environ, NEO4J_ADMIN=f"bash {ROOT / 'scripts' / 'neo4j'} admin --data {data}")
        print("# neo4j-admin import ...", file=sys.stderr)
        load0 = os.getloadavg()[0]
        t = time.perf_counter()
        p = subprocess.run(["sh", str(out / "import.sh")], env=env, capture_output=True, text=True)
        row["import_s"] = time.perf_counter() - t
        row["import_load"] = f"{load0:.1f}-{os.getloadavg()[0]:.1f}"
        if p.returncode != 0 or "IMPORT DONE" not in p.stdout:
            raise SystemExit(f"import.sh failed:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        done = [ln for ln in p.stdout.splitlines() if ln.startswith("IMPORT DONE")]
        row["import_note"] = done[0].strip() if done else ""
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path, default=None, help="Push this built graph instead of synthetic ones.")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--workers", type=int, default=None, help="Concurrent sessions (default: kg push's).")
    ap.add_argument("--no-import", action="store_true", help="Skip the neo4j-admin import timing.")
    ap.add_argument("--no-derive", action="store_true", help="Build without the derived facts.")
    ap.add_argument("--no-warm-up", action="store_true",
                    help="Measure from a cold server (the first push then pays for the JIT compiling).")
    ap.add_argument("--child-push", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from kg.neo4j.push import DEFAULT_BATCH, DEFAULT_WORKERS

    args.workers = args.workers or DEFAULT_WORKERS
    if args.child_push:
        child_push(args.child_push, args.batch_size or DEFAULT_BATCH, args.workers, args.label)
        return

    from kg.build import build
    from kg.neo4j.connect import Settings

    uri, user, password = connection()
    settings = Settings(uri=uri, user=user, password=password, database=os.environ.get("NEO4J_DATABASE") or None)
    batch = args.batch_size or DEFAULT_BATCH
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-bench-push-") as tmp:
        work = Path(tmp)
        cases = [(None, args.db)] if args.db else [(n, None) for n in args.firms]
        for firms, db in cases:
            gen = ""
            build_s = 0.0
            if db is None:
                src = work / f"src-{firms}"
                gen = make_source(src, firms, args.seed)
                db = work / f"db-{firms}"
                t = time.perf_counter()
                build([src], db, derive=not args.no_derive)
                build_s = time.perf_counter() - t
            row = bench_one(db, settings, batch, args.workers, work, not args.no_import, not args.no_warm_up)
            row.update(firms=firms if firms is not None else str(args.db), gen=gen, build_s=build_s)
            rows.append(row)
            print(f"# {row['firms']}: {row['links']} links at {row['runs'][0]['links_per_s']:,.0f}/s", file=sys.stderr)
            if firms is not None:
                shutil.rmtree(db, ignore_errors=True)

    import neo4j

    print(f"\nBolt push to Neo4j ({uri}); batch {batch}, workers {args.workers}; neo4j driver "
          f"{neo4j.__version__}, neo4j-rust-ext {rust_ext()}; Python {platform.python_version()}; "
          f"{os.cpu_count()} cores; {'server warmed up first' if not args.no_warm_up else 'cold server'}\n")
    head = ["firms", "nodes", "links", "read s", "run", "push nodes/s", "push links/s", "push s (incl. indexes)",
            "server CPU s per M links", "server CPU s", "client CPU s per M links", "client CPU s", "load avg"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        for k, run in enumerate(r["runs"]):
            first = k == 0
            cells = [r["firms"] if first else "", f"{r['nodes']:,}" if first else "", f"{r['links']:,}" if first else "",
                     f"{r['read_s']:.1f}" if first else "", run["run"], f"{run['nodes_per_s']:,.0f}",
                     f"{run['links_per_s']:,.0f}", f"{run['push_s']:.1f} ({run['indexes_s']:.1f})",
                     f"{run['server_links_cpu_per_m']:.1f}", f"{run['server_cpu']:.1f}",
                     f"{run['client_links_cpu_per_m']:.1f}", f"{run['client_cpu']:.1f}", run["load"]]
            print("| " + " | ".join(str(c) for c in cells) + " |")
    for r in rows:
        if "import_s" in r:
            rows_n = r["nodes"] + r["links"]
            print(f"\nneo4j-admin import ({r['firms']}): CSV write {r['csv_s']:.1f} s, import {r['import_s']:.1f} s "
                  f"({rows_n / r['import_s']:,.0f} rows/s incl. the JVM start; load avg {r['import_load']}); "
                  f"{r['import_note']}")
    print("\nserver CPU s per M links: CPU seconds the Neo4j process used during the links stage, per million "
          "links (steadier than wall time on a shared machine); push s includes creating the indexes after the "
          "data on a fresh push (in brackets).")
    gens = {r["gen"] for r in rows if r["gen"]}
    if gens:
        print(f"\nsource generator: {', '.join(sorted(gens))}")


if __name__ == "__main__":
    main()
