"""kg build's progress (issue 12, item 7): a bar per stage with counts on a terminal's stderr;
nothing with --quiet or when stderr is no terminal ($KG_TERMINAL stands in for a terminal)."""

from __future__ import annotations

import re

from kg.build import build

BARS = re.compile(r"^✓ (\w+) +━+ +100% +(.*?) +\d:\d\d:\d\d", re.M)


def test_the_build_reports_counts_per_stage(sample_dir, tmp_path):
    heard = []
    stages = []
    report = build([sample_dir], tmp_path / "db", stage=stages.append,
                   progress=lambda *a: heard.append(a))
    assert stages == ["load", "resolve", "derive", "tables", "cypher", "store"]
    load = [h for h in heard if h[0] == "load"]
    total = sum(p.stat().st_size for p in sample_dir.iterdir() if p.suffix == ".csv")
    assert load[0] == ("load", 0, total, "0/6 files, 0 rows")
    assert load[-1] == ("load", total, total, "6/6 files, 685 rows")
    assert [h[1] for h in load] == sorted(h[1] for h in load)  # bytes only grow
    store = [h for h in heard if h[0] == "store"]
    assert all(h[2] is None for h in store) and store[-1][1] >= report.triples  # lines streamed, before dedup
    assert store[-1][3] == f"{store[-1][1]:,} quads"
    assert heard[-1] == ("optimize", 0, None, "")


def test_no_bars_when_stderr_is_no_terminal(run, sample_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("KG_TERMINAL", raising=False)  # CliRunner's stderr is no terminal
    r = run("build", sample_dir, "--db", tmp_path / "db")
    assert r.exit_code == 0 and not BARS.findall(r.stderr) and "━" not in r.stderr
    assert r.stderr.startswith("warning: ") and "skipped 1 file(s) no loader reads: README.md" in r.stderr


def test_bars_on_a_terminal_and_none_with_quiet(run, sample_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "120")
    r = run("build", sample_dir, "--db", tmp_path / "db")
    assert r.exit_code == 0, r.output
    bars = BARS.findall(r.stderr)
    assert [b[0] for b in bars] == ["load", "resolve", "derive", "tables", "cypher", "store", "optimize"]
    assert bars[0][1] == "6/6 files, 685 rows" and re.fullmatch(r"[\d,]+ quads", bars[5][1])
    assert "\x1b" not in r.stderr  # a forced terminal that is no tty gets no colour codes
    quiet = run("build", sample_dir, "--db", tmp_path / "db", "--quiet")
    assert quiet.exit_code == 0 and "━" not in quiet.stderr and quiet.stdout.startswith("built ")


def test_the_previous_build_estimates_the_store(tmp_path, sample_dir, monkeypatch):
    """A rebuild of the same sources knows roughly how many quads its store stage writes."""
    from kg.cli.progress import build_progress

    db = tmp_path / "db"
    build([sample_dir], db)
    monkeypatch.setenv("KG_TERMINAL", "1")
    bars = build_progress(db, [sample_dir], quiet=False)
    assert build_progress(db, [sample_dir], quiet=True) is None
    assert build_progress(db, [sample_dir / "entities.csv"], quiet=False).expected == {}
    assert bars.expected["store"] > 5000
    with bars:
        bars.progress("store", 5000, None, "5,000 quads")
        task = bars.bars.tasks[0]
        assert (task.completed, task.total) == (5000, bars.expected["store"])
        bars.progress("store", bars.expected["store"] + 10, None, "")  # past the estimate: the count wins
        assert task.total == bars.expected["store"] + 10
