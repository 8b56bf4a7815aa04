"""kg synth: synthetic canonical CSV folders (kg/synth.py, kg/cli/synth.py)."""

from __future__ import annotations

import csv
import doctest
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import kg.cli.synth  # noqa: F401  (registers `kg synth`)
import kg.synth as synth
from kg.build import build
from kg.cli import cli
from kg.loaders.mapping import load_mapping
from kg.values import lei, ticker, uscc
from kg.values.text import normalise_name

TYPES_WITH_USCC = {"Firm", "Bank", "Fund", "GuidanceFund", "企业", "银行", "基金", "政府引导基金"}
FIRM_TYPES = {"Firm", "企业"}
REF_COLUMNS = {
    "ownership.csv": ("owner", "owned"),
    "funding.csv": ("funder", "recipient"),
    "certifications.csv": ("firm",),
    "listings.csv": ("firm",),
    "financials.csv": ("firm",),
}


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def mid(tmp_path_factory) -> Path:
    """20,000 firms: enough for proportions."""
    out = tmp_path_factory.mktemp("synth20k")
    synth.generate(out, firms=20_000, seed=11)
    return out


@pytest.fixture(scope="module")
def mid_raw(mid) -> dict[str, list[dict[str, str]]]:
    return {name: read(mid, name) for name in synth.FILES}


@pytest.fixture(scope="module")
def mid_tables(mid_raw) -> dict[str, list[dict[str, str]]]:
    """The tables, with references by USCC replaced by the entity's id."""
    tables = {name: [dict(r) for r in rows] for name, rows in mid_raw.items()}
    by_uscc = {e["uscc"]: e["id"] for e in tables["entities.csv"] if e["uscc"]}
    for name, cols in REF_COLUMNS.items():
        for row in tables[name]:
            for c in cols:
                row[c] = by_uscc.get(row[c], row[c])
    return tables


def test_doctests():
    for module in (synth, kg.cli.synth):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


def test_headers_are_the_canonical_mapping(mid):
    mapping = load_mapping()
    for name, columns in synth.COLUMNS.items():
        assert tuple(mapping.tables[name.removesuffix(".csv")].columns) == columns
        with (mid / name).open(encoding="utf-8") as f:
            assert f.readline().rstrip("\n") == ",".join(columns)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts = synth.generate(a, firms=400, seed=3, bad_rows=0.02)
    assert synth.generate(b, firms=400, seed=3, bad_rows=0.02) == counts
    synth.generate(c, firms=400, seed=4, bad_rows=0.02)
    for name in (*synth.FILES, synth.PLANTED_FILE):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert any((a / n).read_bytes() != (c / n).read_bytes() for n in synth.FILES)
    assert (a / "ownership.csv").read_bytes() != (c / "ownership.csv").read_bytes()


def test_counts_match_files(mid, mid_tables):
    for name, rows in mid_tables.items():
        assert len(rows) > 0, name
    # rough sizes relative to the firms (DESIGN of the generator)
    n = 20_000
    assert 1.1 * n < len(mid_tables["entities.csv"]) < 1.5 * n
    assert 0.9 * n < len(mid_tables["ownership.csv"]) < 1.4 * n
    assert 0.35 * n < len(mid_tables["funding.csv"]) < 0.65 * n
    assert 1.0 * n < len(mid_tables["certifications.csv"]) < 1.4 * n
    assert 0.03 * n < len(mid_tables["listings.csv"]) < 0.07 * n
    assert 5 * n < len(mid_tables["financials.csv"]) < 9 * n
    assert not (mid / synth.PLANTED_FILE).exists()


def test_usccs_valid_unique_and_placed(mid_tables):
    ents = mid_tables["entities.csv"]
    codes = [e["uscc"] for e in ents if e["uscc"]]
    assert len(codes) == len(set(codes))
    assert all(uscc.is_valid(c) for c in codes)
    for e in ents:
        assert bool(e["uscc"]) == (e["type"] in TYPES_WITH_USCC), e
    place = {d[0]: (d[1], d[3]) for d in synth.DIVISIONS}
    for e in ents:
        if e["uscc"] and e["city"]:  # provincial guidance funds name the province only
            assert place[e["uscc"][2:8]] == (e["province"], e["city"]), e
    leis = [e["lei"] for e in ents if e["lei"]]
    firms = sum(e["type"] in FIRM_TYPES for e in ents)
    assert len(leis) == len(set(leis)) and all(lei.is_valid(x) for x in leis)
    assert 0.03 < len(leis) / firms < 0.07


def test_make_usccs_agrees_with_uscc_make():
    rng = np.random.default_rng(0)
    org = rng.integers(0, 31, (200, 8))
    divs = np.array([d[0] for d in synth.DIVISIONS])[rng.integers(0, len(synth.DIVISIONS), 200)]
    got = synth.make_usccs(divs, org)
    want = [
        uscc.make(d, "".join(uscc.ALPHABET[i] for i in o)) for d, o in zip(divs, org, strict=True)
    ]
    assert list(got) == want


def test_every_reference_names_an_entity(mid_raw):
    ents = mid_raw["entities.csv"]
    known = {e["id"] for e in ents} | {e["uscc"] for e in ents if e["uscc"]}
    ids = {e["id"] for e in ents}
    by_uscc = 0
    for name, cols in REF_COLUMNS.items():
        for row in mid_raw[name]:
            for c in cols:
                assert row[c] in known, (name, c, row[c])
                by_uscc += row[c] not in ids
    assert by_uscc > 0  # a few references use the USCC, as the contract allows


def test_names_unique_after_normalisation(mid_tables):
    ents = mid_tables["entities.csv"]
    for col in ("name", "name_zh"):
        keys = [normalise_name(e[col]) for e in ents]
        dup = [k for k, v in Counter(keys).items() if v > 1]
        assert not dup, (col, dup[:5])
    ids = [e["id"] for e in ents]
    assert len(ids) == len(set(ids))


def test_little_giant_batches_in_national_proportions(mid_tables):
    first = {}
    for r in mid_tables["certifications.csv"]:
        if r["programme"] in ("little_giant", '专精特新"小巨人"'):
            first.setdefault(r["firm"], r)
    assert 0.11 < len(first) / 20_000 < 0.13
    batches = Counter(int(r["batch"]) for r in first.values())
    weights = {b: v[1] for b, v in synth.LITTLE_GIANT_BATCHES.items()}
    total = sum(weights.values())
    for b, w in weights.items():
        assert abs(batches[b] / len(first) - w / total) < 0.005, b
        assert all(
            int(r["year"]) == synth.LITTLE_GIANT_BATCHES[int(r["batch"])][0]
            for r in first.values()
            if int(r["batch"]) == b
        )


def test_certification_ladder_and_tiers(mid_tables):
    code = {
        "创新型中小企业": "innovative_sme",
        "专精特新中小企业": "specialized_sme",
        '专精特新"小巨人"': "little_giant",
        "制造业单项冠军": "manufacturing_champion",
    }
    years: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in mid_tables["certifications.csv"]:
        years[r["firm"]][code.get(r["programme"], r["programme"])].append(int(r["year"]))
    holders = Counter(p for y in years.values() for p in y)
    n = 20_000
    assert 0.55 < holders["innovative_sme"] / n < 0.65
    assert 0.30 < holders["specialized_sme"] / n < 0.40
    assert 0.009 < holders["manufacturing_champion"] / n < 0.011
    champs = [y for y in years.values() if "manufacturing_champion" in y]
    from_lg = sum("little_giant" in y for y in champs) / len(champs)
    assert 0.35 < from_lg < 0.45
    for y in years.values():
        if "little_giant" in y and "specialized_sme" in y:
            assert min(y["specialized_sme"]) < min(y["little_giant"])
        if "little_giant" in y and "manufacturing_champion" in y:
            assert min(y["little_giant"]) < min(y["manufacturing_champion"])
        if "little_giant" in y and len(y["little_giant"]) == 2:
            assert y["little_giant"][1] - y["little_giant"][0] == 3  # re-review
    empty_to = sum(not r["valid_to"] for r in mid_tables["certifications.csv"])
    assert 0.4 < empty_to / len(mid_tables["certifications.csv"]) < 0.65


def test_ownership_structure(mid_tables):
    ents = {e["id"]: e for e in mid_tables["entities.csv"]}
    own = mid_tables["ownership.csv"]
    pairs = {(r["owner"], r["owned"]) for r in own}
    cycles = {tuple(sorted(p)) for p in pairs if (p[1], p[0]) in pairs}
    assert 20 <= len(cycles) <= 80  # ~0.5% of 20,000 firms in a 2-cycle
    parents = Counter(r["owner"] for r in own if r["owner"].startswith("g"))
    assert max(parents.values()) >= 3
    owners_of_groups = {
        ents[r["owner"]]["type"] for r in own if r["owned"].startswith("g") and r["owner"] in ents
    }
    assert owners_of_groups <= {"GovernmentBody", "政府机构", "Person", "自然人"}
    assert {"GovernmentBody", "Person"} <= {
        t.replace("政府机构", "GovernmentBody").replace("自然人", "Person")
        for t in owners_of_groups
    }
    spellings = Counter(
        "%" if r["share"].endswith("%") else "fraction" if float(r["share"]) <= 1 else "percent"
        for r in own
    )
    assert spellings["%"] > 0 and spellings["percent"] > 0 and spellings["fraction"] > len(own) / 2
    fund_ids = {
        i for i, e in ents.items() if e["type"] in ("Fund", "基金", "GuidanceFund", "政府引导基金")
    }
    assert any(r["owner"] in fund_ids and r["owned"].startswith("f") for r in own)


def test_funding_structure(mid_tables):
    ents = {e["id"]: e for e in mid_tables["entities.csv"]}
    rows = mid_tables["funding.csv"]
    kinds = Counter(r["instrument"] for r in rows)
    assert {"equity", "loan", "subsidy", "lp_commitment", "bond", "贷款"} <= set(kinds)
    loans = [r for r in rows if r["instrument"] in ("loan", "贷款")]
    rates = [
        float(r["interest_rate"].rstrip("%")) / (100 if r["interest_rate"].endswith("%") else 1)
        for r in loans
    ]
    below = sum(x < synth.BENCHMARK_RATE for x in rates) / len(rates)
    assert 0.3 < below < 0.8
    state = {
        i for i, e in ents.items() if e["type"] in ("Bank", "银行") and e["state_owned"] == "true"
    }
    private = {
        i for i, e in ents.items() if e["type"] in ("Bank", "银行") and e["state_owned"] == "false"
    }
    assert {r["funder"] for r in loans} & state and {r["funder"] for r in loans} & private
    # fund-of-funds chain: guidance fund -> lp_commitment -> sub-fund -> equity -> firm
    gf = {i for i, e in ents.items() if e["type"] in ("GuidanceFund", "政府引导基金")}
    subs = {
        r["recipient"]
        for r in rows
        if r["instrument"] in ("lp_commitment", "出资承诺") and r["funder"] in gf
    }
    assert subs and all(ents[s]["type"] in ("Fund", "基金") for s in subs if s in ents)
    assert any(r["funder"] in subs and r["recipient"].startswith("f") for r in rows)
    amounts = Counter("spelled" if r["amount"].endswith("元") else "plain" for r in rows)
    assert 0.05 < amounts["spelled"] / len(rows) < 0.15


def test_listings_consistent_and_unique(mid_tables):
    rows = mid_tables["listings.csv"]
    tickers = [ticker.parse(r["ticker"], exchange_hint=r["exchange"]) for r in rows]
    assert len({t.canonical for t in tickers}) == len(tickers)
    assert {t.exchange for t in tickers} == {"SSE", "SZSE", "BSE"}
    assert {t.board for t in tickers} >= {"main", "star", "chinext", "bse"}
    years = Counter(int(r["listed"][:4]) for r in rows)
    assert min(years) >= 2010 and max(years) <= 2025
    assert years[2022] > years[2014]
    on_entities = {e["ticker"] for e in mid_tables["entities.csv"] if e["ticker"]}
    assert on_entities and on_entities <= {t.canonical for t in tickers}


def test_financials_thresholds(mid_tables):
    from kg.values import amount

    def money(v):
        return amount.parse(v, allow_negative=True).value if v.endswith("元") else float(v)

    rows = mid_tables["financials.csv"]
    certified = {r["firm"] for r in mid_tables["certifications.csv"]}
    groups = {r["firm"] for r in rows if r["firm"].startswith("g")}
    assert groups
    large = defaultdict(list)
    losses = 0
    for r in rows:
        rev, emp = money(r["revenue"]), int(r["employees"])
        large[r["firm"]].append(rev >= 4e8 and emp >= 1000)
        losses += money(r["net_profit"]) < 0
        assert 2016 <= int(r["year"]) <= 2024
    assert all(all(large[g]) for g in groups)  # group parents are large every year
    cert_large = [f for f in certified if f in large and all(large[f])]
    assert 0.02 < len(cert_large) / len(certified) < 0.05
    assert 0.03 < losses / len(rows) < 0.25
    assert certified <= set(large)  # every certified firm reports


def test_tiny_and_bad_arguments(tmp_path):
    counts = synth.generate(tmp_path / "one", firms=1, seed=0)
    assert counts["entities.csv"] >= 1 and counts["financials.csv"] >= 0
    with pytest.raises(ValueError):
        synth.generate(tmp_path / "x", firms=0)
    with pytest.raises(ValueError):
        synth.generate(tmp_path / "x", firms=10, bad_rows=1.5)


def test_build_of_2000_firms_has_no_rejects(tmp_path):
    out = tmp_path / "synth"
    counts = synth.generate(out, firms=2000, seed=5)
    report = build([out], tmp_path / "db")
    assert report.rejects == []
    assert report.warnings == []
    assert {f: n for f, _, n, _ in report.files} == counts
    entity_rows = counts["entities.csv"]
    assert report.entities == entity_rows  # no two rows merged: names and codes are distinct


def test_cli_and_planted_bad_rows_are_exactly_the_rejects(tmp_path):
    out = tmp_path / "bad"
    result = CliRunner().invoke(
        cli,
        [
            "synth",
            "--firms",
            "800",
            "--seed",
            "9",
            "--out",
            str(out),
            "--bad-rows",
            "0.01",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    printed = {r["file"]: r for r in json.loads(result.output)}
    assert set(printed) == set(synth.FILES)
    planted = synth.planted_rows(out)
    assert Counter(p["file"] for p in planted) == {
        f: r["bad_rows"] for f, r in printed.items() if r["bad_rows"]
    }
    for p in planted:
        if p["file"] != "entities.csv":  # capped there by the rows nothing refers to
            assert printed[p["file"]]["bad_rows"] == round(0.01 * printed[p["file"]]["rows"])
    assert {p["file"] for p in planted} >= {"entities.csv", "ownership.csv", "financials.csv"}
    report = build([out], tmp_path / "db")
    # planted-bad-rows.json is not read as a table, and the build says so (no file skipped silently)
    assert report.warnings == [f"{out}: skipped 1 file(s) no loader reads: planted-bad-rows.json (see kg loaders)"]
    assert {(r.file, r.row) for r in report.rejects} == {(p["file"], p["row"]) for p in planted}
    by_row = {(r.file, r.row): r for r in report.rejects}
    for p in planted:
        r = by_row[(p["file"], p["row"])]
        assert r.value == p["value"], (p, r)


def test_cli_rejects_bad_options(tmp_path):
    r = CliRunner().invoke(cli, ["synth", "--firms", "0", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "--firms" in r.output
    r = CliRunner().invoke(
        cli, ["synth", "--firms", "5", "--out", str(tmp_path), "--bad-rows", "2"]
    )
    assert r.exit_code == 2 and "--bad-rows" in r.output
