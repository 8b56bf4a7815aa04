"""Benchmark pushing the graph to Neo4j over Bolt, and the neo4j-admin bulk-import route.

For each size: generate a synthetic canonical folder (``kg synth``; a small built-in
generator when that command is not available), build it, read it back as typed frames, push
it with ``--wipe`` (nodes/s, links/s), push it again (the idempotent MERGE-over-existing
case), then write the bulk-import CSVs and time ``import.sh`` (neo4j-admin database import
full through ``scripts/neo4j admin``) into a fresh data directory. Prints a markdown table.

    eval "$(scripts/neo4j start)"      # or let the benchmark start one
    python benchmarks/bench_push.py --firms 10000 100000
    python benchmarks/bench_push.py --db kg-data          # an existing graph
"""

from __future__ import annotations

import argparse
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
    if pid is None:
        return float("nan")
    import psutil

    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def bench_one(db: Path, settings, batch: int, workers: int, work: Path, do_import: bool) -> dict:
    from kg.neo4j.bulk_csv import write_frames
    from kg.neo4j.connect import open_driver
    from kg.neo4j.frames import read_graph
    from kg.neo4j.push import PushReport, push_frames, wipe
    from kg.rdf.store import open_store

    store = open_store(db)
    t = time.perf_counter()
    g = read_graph(store)
    read_s = time.perf_counter() - t
    row: dict = {"nodes": g.node_count, "links": g.link_count, "read_s": read_s}
    pid = server_pid(settings.uri)
    with open_driver(settings) as driver:
        with driver.session(database=settings.database) as session:
            wipe(session)
        s0, c0 = cpu_seconds(pid), time.process_time()
        r1 = push_frames(driver, g, settings, batch_size=batch, workers=workers, report=PushReport())
        row.update(server_cpu=cpu_seconds(pid) - s0, client_cpu=time.process_time() - c0)
        r2 = push_frames(driver, g, settings, batch_size=batch, workers=workers, report=PushReport())
        recs, _, _ = driver.execute_query("MATCH (n:KgNode) RETURN count(n) AS n", database_=settings.database)
        assert recs[0]["n"] == g.node_count, (recs[0]["n"], g.node_count)
        recs, _, _ = driver.execute_query("MATCH (:KgNode)-[r]->() RETURN count(r) AS n", database_=settings.database)
        assert recs[0]["n"] == g.link_count, (recs[0]["n"], g.link_count)
    row.update(nodes_s=r1.seconds["nodes"], links_s=r1.seconds["links"],
               nodes_per_s=r1.nodes_per_second, links_per_s=r1.links_per_second,
               rerun_links_per_s=r2.links_per_second, rerun_s=r2.seconds["nodes"] + r2.seconds["links"])
    if do_import:
        out = work / "import"
        t = time.perf_counter()
        write_frames(g, out)
        row["csv_s"] = time.perf_counter() - t
        data = work / "import-data"
        env = dict(os.environ, NEO4J_ADMIN=f"bash {ROOT / 'scripts' / 'neo4j'} admin --data {data}")
        t = time.perf_counter()
        p = subprocess.run(["sh", str(out / "import.sh")], env=env, capture_output=True, text=True)
        row["import_s"] = time.perf_counter() - t
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
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-import", action="store_true", help="Skip the neo4j-admin import timing.")
    ap.add_argument("--no-derive", action="store_true", help="Build without the derived facts.")
    args = ap.parse_args(argv)

    from kg.build import build
    from kg.neo4j.connect import Settings
    from kg.neo4j.push import DEFAULT_BATCH

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
            row = bench_one(db, settings, batch, args.workers, work, not args.no_import)
            row.update(firms=firms if firms is not None else str(args.db), gen=gen, build_s=build_s)
            rows.append(row)
            print(f"# {row['firms']}: {row['links']} links at {row['links_per_s']:,.0f}/s", file=sys.stderr)
            if firms is not None:
                shutil.rmtree(db, ignore_errors=True)

    import neo4j

    print(f"\nBolt push to Neo4j ({uri}); batch {batch}, workers {args.workers}; neo4j driver "
          f"{neo4j.__version__}, neo4j-rust-ext {rust_ext()}; Python {platform.python_version()}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end\n")
    head = ["firms", "nodes", "links", "read s", "push nodes/s", "push links/s", "push s",
            "server CPU s", "client CPU s", "rows per server CPU s", "rerun links/s", "CSV write s",
            "neo4j-admin import s"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        per_cpu = (r["nodes"] + r["links"]) / r["server_cpu"] if r["server_cpu"] == r["server_cpu"] else float("nan")
        cells = [r["firms"], f"{r['nodes']:,}", f"{r['links']:,}", f"{r['read_s']:.1f}",
                 f"{r['nodes_per_s']:,.0f}", f"{r['links_per_s']:,.0f}", f"{r['nodes_s'] + r['links_s']:.1f}",
                 f"{r['server_cpu']:.1f}", f"{r['client_cpu']:.1f}", f"{per_cpu:,.0f}",
                 f"{r['rerun_links_per_s']:,.0f}", f"{r['csv_s']:.1f}" if "csv_s" in r else "-",
                 f"{r['import_s']:.1f}" if "import_s" in r else "-"]
        print("| " + " | ".join(str(c) for c in cells) + " |")
    print("\nrows per server CPU s: (nodes + links) / CPU seconds the Neo4j process used during the "
          "first push; it shows what the server sustains per core when the machine is busy.")
    gens = {r["gen"] for r in rows if r["gen"]}
    if gens:
        print(f"\nsource generator: {', '.join(sorted(gens))}")


if __name__ == "__main__":
    main()
