"""Write a GLEIF-shaped Golden Copy: an LEI-CDF CSV of N LEI records and an RR-CDF CSV of M
relationship records (synthetic data, GLEIF's layout: every field quoted, the full column set
with most columns empty, as in the published files). For benchmarks; never commit the output.

    python benchmarks/gen_gleif_golden_copy.py --lei 1000000 --rr 300000 -o /tmp/gleif-gc

The header follows the LEI-CDF 3.1 and RR-CDF 2.1 Golden Copy CSV column naming
(``Entity.LegalAddress.Country``, ``Relationship.Period.2.periodType`` ...) with the repeated
groups (other names, other addresses, events, validation authorities, periods, qualifiers,
quantifiers) expanded as GLEIF does; the exact column count of a given GLEIF release may differ.
Values: valid LEIs (ISO 17442 check digits), names with commas and quotes, 20 countries,
categories, statuses and dates in GLEIF's proportions roughly; relationships point at LEIs of
the LEI file: 45% direct and 45% ultimate consolidations, 5% branches, 5% fund management;
an accounting period (Period.1) and a relationship period (Period.2) each.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ADDRESS = ("xmllang", "FirstAddressLine", "AddressNumber", "AddressNumberWithinBuilding", "MailRouting",
           "AdditionalAddressLine.1", "AdditionalAddressLine.2", "AdditionalAddressLine.3", "City", "Region",
           "Country", "PostalCode")


def lei_header() -> list[str]:
    h = ["LEI", "Entity.LegalName", "Entity.LegalName.xmllang"]
    for group, item in (("OtherEntityNames", "OtherEntityName"),
                        ("TransliteratedOtherEntityNames", "TransliteratedOtherEntityName")):
        for i in range(1, 6):
            h += [f"Entity.{group}.{item}.{i}", f"Entity.{group}.{item}.{i}.xmllang", f"Entity.{group}.{item}.{i}.type"]
    for kind in ("LegalAddress", "HeadquartersAddress"):
        h += [f"Entity.{kind}.{part}" for part in ADDRESS]
    for group, item in (("OtherAddresses", "OtherAddress"), ("TransliteratedOtherAddresses", "TransliteratedOtherAddress")):
        for i in range(1, 6):
            h += [f"Entity.{group}.{item}.{i}.type"] + [f"Entity.{group}.{item}.{i}.{part}" for part in ADDRESS]
    h += ["Entity.RegistrationAuthority.RegistrationAuthorityID", "Entity.RegistrationAuthority.OtherRegistrationAuthorityID",
          "Entity.RegistrationAuthority.RegistrationAuthorityEntityID", "Entity.LegalJurisdiction", "Entity.EntityCategory",
          "Entity.EntitySubCategory", "Entity.LegalForm.EntityLegalFormCode", "Entity.LegalForm.OtherLegalForm",
          "Entity.AssociatedEntity.type", "Entity.AssociatedEntity.AssociatedLEI", "Entity.AssociatedEntity.AssociatedEntityName",
          "Entity.AssociatedEntity.AssociatedEntityName.xmllang", "Entity.EntityStatus", "Entity.EntityCreationDate",
          "Entity.EntityExpirationDate", "Entity.EntityExpirationReason", "Entity.SuccessorEntity.SuccessorLEI",
          "Entity.SuccessorEntity.SuccessorEntityName", "Entity.SuccessorEntity.SuccessorEntityName.xmllang"]
    for i in range(1, 6):
        h += [f"Entity.LegalEntityEvents.LegalEntityEvent.{i}.{part}" for part in
              ("group_type", "event_status", "LegalEntityEventType", "LegalEntityEventEffectiveDate",
               "LegalEntityEventRecordedDate", "ValidationDocuments", "ValidationReference")]
    h += ["Registration.InitialRegistrationDate", "Registration.LastUpdateDate", "Registration.RegistrationStatus",
          "Registration.NextRenewalDate", "Registration.ManagingLOU", "Registration.ValidationSources",
          "Registration.ValidationAuthority.ValidationAuthorityID", "Registration.ValidationAuthority.OtherValidationAuthorityID",
          "Registration.ValidationAuthority.ValidationAuthorityEntityID"]
    for i in range(1, 6):
        h += [f"Registration.OtherValidationAuthorities.OtherValidationAuthority.{i}.{part}" for part in
              ("ValidationAuthorityID", "OtherValidationAuthorityID", "ValidationAuthorityEntityID")]
    return h + ["ConformityFlag"]


def rr_header() -> list[str]:
    h = ["Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType", "Relationship.EndNode.NodeID",
         "Relationship.EndNode.NodeIDType", "Relationship.RelationshipType", "Relationship.RelationshipStatus"]
    for i in range(1, 6):
        h += [f"Relationship.Period.{i}.{part}" for part in ("startDate", "endDate", "periodType")]
    for i in range(1, 6):
        h += [f"Relationship.Qualifiers.{i}.{part}" for part in ("QualifierDimension", "QualifierCategory")]
    for i in range(1, 6):
        h += [f"Relationship.Quantifiers.{i}.{part}" for part in ("MeasurementMethod", "QuantifierAmount", "QuantifierUnits")]
    return h + ["Registration.InitialRegistrationDate", "Registration.LastUpdateDate", "Registration.RegistrationStatus",
                "Registration.NextRenewalDate", "Registration.ManagingLOU", "Registration.ValidationSources",
                "Registration.ValidationDocuments", "Registration.ValidationReference"]


def make_lei(rng: random.Random) -> str:
    stem = "".join(rng.choices(ALNUM, k=18))
    n = int("".join(str(int(c, 36)) for c in stem + "00"))
    return f"{stem}{98 - n % 97:02d}"


def _q(v: str) -> str:
    return '"' + v.replace('"', '""') + '"'


def _row(values: dict[str, str], header: list[str], index: dict[str, int]) -> str:
    cells = ['""'] * len(header)
    for k, v in values.items():
        cells[index[k]] = _q(v)
    return ",".join(cells) + "\n"


COUNTRIES = ("CN", "US", "GB", "DE", "JP", "FR", "NL", "LU", "IE", "IT", "ES", "CA", "AU", "SE", "CH", "HK", "SG", "KY", "IN", "KR")
CATEGORIES = ("GENERAL",) * 14 + ("FUND",) * 4 + ("BRANCH", "SOLE_PROPRIETOR")
LEI_STATUS = ("ISSUED",) * 7 + ("LAPSED",) * 2 + ("RETIRED",)
RR_TYPES = ("IS_DIRECTLY_CONSOLIDATED_BY",) * 9 + ("IS_ULTIMATELY_CONSOLIDATED_BY",) * 9 + (
    "IS_INTERNATIONAL_BRANCH_OF", "IS_FUND-MANAGED_BY")


def generate(out: Path, n_lei: int, n_rr: int, seed: int = 11) -> tuple[Path, Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    lei_path = out / "20250101-0000-gleif-goldencopy-lei2-golden-copy.csv"
    rr_path = out / "20250101-0000-gleif-goldencopy-rr-golden-copy.csv"
    header = lei_header()
    index = {h: i for i, h in enumerate(header)}
    leis = []
    with lei_path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(_q(h) for h in header) + "\n")
        block = []
        for i in range(n_lei):
            code = make_lei(rng)
            leis.append(code)
            country = rng.choice(COUNTRIES)
            zh = country == "CN"
            name = (f"示例科技{i}有限公司" if zh else
                    rng.choice((f"Example Holdings {i}, Inc.", f'Alpha "{i}" Partners LP', f"Beta Industries {i} GmbH")))
            block.append(_row({
                "LEI": code, "Entity.LegalName": name, "Entity.LegalName.xmllang": "zh" if zh else "en",
                "Entity.LegalAddress.FirstAddressLine": f"{rng.randint(1, 999)} Example Street",
                "Entity.LegalAddress.City": "Shenzhen" if zh else "Springfield", "Entity.LegalAddress.Country": country,
                "Entity.LegalAddress.PostalCode": f"{rng.randint(10000, 99999)}",
                "Entity.HeadquartersAddress.FirstAddressLine": f"{rng.randint(1, 999)} Example Street",
                "Entity.HeadquartersAddress.City": "Shenzhen" if zh else "Springfield",
                "Entity.HeadquartersAddress.Country": country,
                "Entity.RegistrationAuthority.RegistrationAuthorityID": f"RA{rng.randint(0, 999999):06d}",
                "Entity.RegistrationAuthority.RegistrationAuthorityEntityID": f"{rng.randint(0, 10**9)}",
                "Entity.LegalJurisdiction": country, "Entity.EntityCategory": rng.choice(CATEGORIES),
                "Entity.LegalForm.EntityLegalFormCode": "".join(rng.choices(ALNUM, k=4)),
                "Entity.EntityStatus": "ACTIVE" if rng.random() < 0.93 else "INACTIVE",
                "Entity.EntityCreationDate": f"{rng.randint(1950, 2023)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00+00:00",
                "Registration.InitialRegistrationDate": f"20{rng.randint(12, 24)}-0{rng.randint(1, 9)}-15T08:00:00+00:00",
                "Registration.LastUpdateDate": "2025-01-01T05:00:00+00:00",
                "Registration.RegistrationStatus": rng.choice(LEI_STATUS),
                "Registration.NextRenewalDate": "2025-06-30T00:00:00+00:00",
                "Registration.ManagingLOU": "5493001KJTIIGC8Y1R12", "Registration.ValidationSources": "FULLY_CORROBORATED",
                "Registration.ValidationAuthority.ValidationAuthorityID": "RA000602", "ConformityFlag": "CONFORMING",
            }, header, index))
            if len(block) == 10_000:
                f.writelines(block)
                block = []
        f.writelines(block)
    header = rr_header()
    index = {h: i for i, h in enumerate(header)}
    with rr_path.open("w", encoding="utf-8", newline="") as f:
        f.write(",".join(_q(h) for h in header) + "\n")
        block = []
        for _ in range(n_rr):
            child, parent = rng.sample(leis, 2)
            y = rng.randint(2012, 2024)
            block.append(_row({
                "Relationship.StartNode.NodeID": child, "Relationship.StartNode.NodeIDType": "LEI",
                "Relationship.EndNode.NodeID": parent, "Relationship.EndNode.NodeIDType": "LEI",
                "Relationship.RelationshipType": rng.choice(RR_TYPES),
                "Relationship.RelationshipStatus": "ACTIVE" if rng.random() < 0.9 else "INACTIVE",
                "Relationship.Period.1.startDate": f"{y}-01-01T00:00:00.000Z", "Relationship.Period.1.endDate": f"{y}-12-31T00:00:00.000Z",
                "Relationship.Period.1.periodType": "ACCOUNTING_PERIOD",
                "Relationship.Period.2.startDate": f"{y}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}T{rng.randint(10, 23)}:30:00.000Z",
                "Relationship.Period.2.periodType": "RELATIONSHIP_PERIOD",
                "Relationship.Qualifiers.1.QualifierDimension": "ACCOUNTING_STANDARD",
                "Relationship.Qualifiers.1.QualifierCategory": rng.choice(("IFRS", "US_GAAP", "OTHER_ACCOUNTING_STANDARD")),
                "Registration.InitialRegistrationDate": f"{y}-03-01T00:00:00.000Z", "Registration.LastUpdateDate": "2025-01-01T00:00:00.000Z",
                "Registration.RegistrationStatus": "PUBLISHED" if rng.random() < 0.9 else "LAPSED",
                "Registration.NextRenewalDate": "2025-06-30T00:00:00.000Z", "Registration.ManagingLOU": "5493001KJTIIGC8Y1R12",
                "Registration.ValidationSources": "FULLY_CORROBORATED", "Registration.ValidationDocuments": "ACCOUNTS_FILING",
            }, header, index))
            if len(block) == 10_000:
                f.writelines(block)
                block = []
        f.writelines(block)
    return lei_path, rr_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lei", type=int, default=1_000_000, help="LEI records (default 10^6)")
    ap.add_argument("--rr", type=int, default=300_000, help="relationship records (default 3x10^5)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("-o", "--out", type=Path, default=Path("/tmp/kg-bench-gleif"))
    a = ap.parse_args()
    t = time.perf_counter()
    paths = generate(a.out, a.lei, a.rr, a.seed)
    for p in paths:
        print(f"{p}: {p.stat().st_size / 2**20:.0f} MiB")
    print(f"generated in {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
