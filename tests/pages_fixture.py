"""A tiny graph whose entity names and sources are HTML / script injection attempts, for the
page tests (tests/test_serve_pages*.py): every one of them must show as text."""

from __future__ import annotations

from pathlib import Path

from kg.build import build

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SOURCE = "<b>src</b>'\"&"

ENTITIES = f"""id,type,name,name_zh,uscc,lei,ticker,country,province,city,sector,founded,state_owned,source
evil-firm,Firm,"{SCRIPT.replace('"', '""')}","{IMG.replace('"', '""')}",,,,CN,Liaoning,Shenyang,industry,2015,,"{SOURCE.replace('"', '""')}"
evil-owner,Firm,"{IMG.replace('"', '""')}",,,,,CN,Liaoning,Shenyang,industry,2010,,"{SOURCE.replace('"', '""')}"
sasac,GovernmentBody,Liaoning SASAC,辽宁省国资委,,,,CN,Liaoning,Shenyang,government,,true,fixture
"""
OWNERSHIP = """owner,owned,share,start,end,source
evil-owner,evil-firm,60%,2016,,fixture
sasac,evil-owner,51%,2011,,fixture
"""
CERTIFICATIONS = """firm,programme,batch,year,issuer,valid_from,valid_to,source
evil-firm,little_giant,3,2021,MIIT,2021-07-01,,fixture
"""


def build_xss_db(folder: Path) -> Path:
    """Write the sources into ``folder``/src and build the graph into ``folder``/db."""
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "entities.csv").write_text(ENTITIES, encoding="utf-8")
    (src / "ownership.csv").write_text(OWNERSHIP, encoding="utf-8")
    (src / "certifications.csv").write_text(CERTIFICATIONS, encoding="utf-8")
    db = folder / "db"
    build([src], db)
    return db
