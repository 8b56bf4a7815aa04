"""kg validate: SHACL conformance of the built graph."""

from __future__ import annotations

from kg.build import build


def test_sample_conforms(sample_db, run):
    res = run("validate", "--db", sample_db)
    assert res.exit_code == 0, res.output
    assert "conforms" in res.stderr


def test_violations_are_listed_and_exit_1(tmp_path, mini_dir, run):
    # the same USCC typed Firm in one source and Bank in another: one entity, two primary types;
    # and an ownership that ends before it starts
    src = tmp_path / "src"
    src.mkdir()
    (src / "entities.csv").write_text(
        "id,type,name,uscc,source\nbank2,Bank,Example Drive Bank,91210100MA0DRY033M,other\n", encoding="utf-8")
    (src / "ownership.csv").write_text(
        "owner,owned,share,start,end,source\nbank2,91320500MA0LGB046J,0.1,2022-01-01,2020-01-01,other\n", encoding="utf-8")
    db = tmp_path / "db"
    build([mini_dir, src], db)
    res = run("validate", "--db", db, "--format", "csv")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert lines[0] == "severity,focus,path,value,message"
    text = "\n".join(lines)
    assert "one primary type" in text and "id:uscc/91210100MA0DRY033M" in text
    assert "cannot end before it starts" in text
    assert "violation(s)" in res.stderr
