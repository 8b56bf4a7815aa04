"""Benchmark the BODS loader on a generated BODS 0.4 JSON Lines file against reading the same
file with pandas alone (and pyarrow, when installed).

The generator writes N statements (no data is committed): groups of a firm entity (with a
valid USCC), a person, a state body every 50 firms, and relationships (a shareholding plus
voting rights; every tenth relationship updated later with a new share, every twentieth
closed; every fifth firm also owned by the previous one). Each reader runs in a subprocess
of its own, so its peak RSS is its own:

* ``pandas``: ``pandas.read_json(lines=True)`` (nested objects stay dicts: the floor of
  "reading the file");
* ``pyarrow``: ``pyarrow.json.read_json`` (skipped when pyarrow is not installed);
* ``kg load``: ``kg.loaders.sources.load_sources`` -- every statement checked against the
  BODS schema, reduced, recordStatus applied, entity and link frames built;
* ``kg build`` (``--build``): the whole build (resolve, derive, N-Quads, Oxigraph bulk load).

    python benchmarks/bench_bods.py --statements 100000 1000000 [--build]

Prints a Markdown block for docs/benchmarks.md (machine, date, load average, figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_build import machine  # noqa: E402

PUB = {"publicationDate": "2024-06-30", "bodsVersion": "0.4", "publisher": {"name": "bench registry"}}


def _uscc(i: int) -> str:
    from kg.values.uscc import make

    return make("320500", f"{i:08d}"[-8:])


def _statement(n: int, rid: str, rtype: str, details: dict, date: str, status: str = "new") -> dict:
    return {"statementId": f"{n:032x}", "declarationSubject": rid, "statementDate": date, "recordId": rid,
            "recordType": rtype, "recordStatus": status, "publicationDetails": PUB,
            "source": {"type": ["officialRegister"], "description": "bench"}, "recordDetails": details}


def generate(path: Path, statements: int, seed: int = 7) -> None:
    """Write ``statements`` BODS statements as JSON Lines to ``path``."""
    rnd = random.Random(seed)
    n = 0
    with path.open("w", encoding="utf-8") as f:

        def put(rid, rtype, details, date="2024-01-31", status="new"):
            nonlocal n
            n += 1
            f.write(json.dumps(_statement(n, rid, rtype, details, date, status), ensure_ascii=False) + "\n")

        i = 0
        while n < statements:
            firm, person = f"firm-{i}", f"person-{i}"
            if i % 50 == 0:
                put(f"state-{i}", "entity", {"isComponent": False, "entityType": {"type": "stateBody", "subtype": "stateAgency"},
                                             "name": f"State Agency {i}", "jurisdiction": {"name": "China", "code": "CN"}})
            put(firm, "entity", {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": f"Firm {i} Co., Ltd.",
                                 "alternateNames": [f"企业{i}有限公司"], "jurisdiction": {"name": "China", "code": "CN"},
                                 "identifiers": [{"id": _uscc(i), "scheme": "CN-SAIC", "schemeName": "USCC"}],
                                 "foundingDate": f"{2000 + i % 24}-0{1 + i % 9}-1{i % 9}"})
            put(person, "person", {"isComponent": False, "personType": "knownPerson",
                                   "names": [{"type": "legal", "fullName": f"Person {i}"}],
                                   "nationalities": [{"name": "China", "code": "CN"}]})
            share = round(rnd.uniform(5, 95), 2)
            owner = f"state-{i - i % 50}" if i % 3 == 0 else person
            interests = [{"type": "shareholding", "directOrIndirect": "direct", "share": {"exact": share}, "startDate": "2019-01-01"},
                         {"type": "votingRights", "directOrIndirect": "direct", "share": {"exact": share}}]
            put(f"rel-{i}", "relationship", {"isComponent": False, "subject": firm, "interestedParty": owner, "interests": interests})
            if i % 5 == 4:
                put(f"rel-{i}-up", "relationship", {"isComponent": False, "subject": firm, "interestedParty": f"firm-{i - 1}",
                                                    "interests": [{"type": "shareholding", "directOrIndirect": "direct",
                                                                   "share": {"minimum": 10, "maximum": 25}}]})
            if i % 10 == 9:
                interests[0]["share"] = {"exact": round(share / 2, 2)}
                interests[0]["startDate"] = "2023-06-01"
                put(f"rel-{i}", "relationship", {"isComponent": False, "subject": firm, "interestedParty": owner,
                                                 "interests": interests}, "2023-06-15", "updated")
            if i % 20 == 19:
                put(f"rel-{i}", "relationship", {"isComponent": False, "subject": firm, "interestedParty": owner,
                                                 "interests": interests}, "2024-03-01", "closed")
            i += 1


_READERS = {
    # in chunks of 10^5 lines, as the loader streams (whole, pandas needs ~9 GB for 10^6 statements)
    "pandas": "import pandas as pd; n = sum(len(c) for c in pd.read_json(PATH, lines=True, chunksize=100_000))",
    "pyarrow": "import pyarrow.json as pj; t = pj.read_json(PATH); n = t.num_rows",
    "kg load": ("from pathlib import Path; from kg.loaders.sources import load_sources; r = load_sources([Path(PATH)]); "
                "n = r.files[0].rows; assert not r.rejects, r.rejects[:3]"),
}


def run_reader(name: str, path: Path) -> dict:
    code = (f"import json, resource, time; PATH = {str(path)!r}; t = time.perf_counter(); {_READERS[name]}; "
            "print(json.dumps({'seconds': time.perf_counter() - t, 'rows': n, "
            "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def run_build(path: Path, db: Path) -> dict:
    code = ("import json, resource, time; from pathlib import Path; from kg.build import build; t = time.perf_counter(); "
            f"r = build([Path({str(path)!r})], Path({str(db)!r})); "
            "print(json.dumps({'seconds': time.perf_counter() - t, 'stages': r.seconds, "
            "'entities': r.entities, 'links': r.links, 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1]}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--statements", type=int, nargs="+", default=[100_000])
    ap.add_argument("--build", action="store_true", help="also time the whole kg build of the file")
    ap.add_argument("--readers", nargs="+", choices=list(_READERS), default=list(_READERS))
    ap.add_argument("--keep", type=Path, help="write the generated files here (default: a temporary folder)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-bods-"))
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    lines = [f"#### BODS loader (`python benchmarks/bench_bods.py --statements {' '.join(map(str, args.statements))}"
             f"{' --build' if args.build else ''}`, {started:%Y-%m-%d %H:%M} UTC, load average "
             f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})", "", machine(), "",
             "| statements | file MB | reader | seconds | statements/s | peak RSS MB | vs pandas |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for n in args.statements:
        path = work / f"bods-{n}.jsonl"
        generate(path, n)
        mb = path.stat().st_size / 2**20
        base = None
        for name in args.readers:
            r = run_reader(name, path)
            if "error" in r:
                lines.append(f"| {n:,} | {mb:.0f} | {name} | - | - | - | ({r['error'][:60]}) |")
                continue
            base = base or (r["seconds"] if name == "pandas" else None)
            ratio = f"{r['seconds'] / base:.2f}x" if base else "-"
            lines.append(f"| {n:,} | {mb:.0f} | {name} | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | {r['peak_mb']:.0f} | {ratio} |")
        if args.build:
            r = run_build(path, work / f"db-{n}")
            if "error" in r:
                lines.append(f"| {n:,} | {mb:.0f} | kg build | - | - | - | ({r['error'][:60]}) |")
            else:
                stages = ", ".join(f"{k} {v:.0f} s" for k, v in r["stages"].items())
                lines.append(f"| {n:,} | {mb:.0f} | kg build ({stages}) | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | "
                             f"{r['peak_mb']:.0f} | {r['seconds'] / base:.2f}x |" if base else "")
        if not args.keep:
            path.unlink()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
