"""A small, varied world of registry facts and applications, generated from a seed.

It exercises what the store must get right: identifiers in other cases and widths,
first-row-wins duplicates, several reports per VIN, sealed confirmations with keys the
model does not know, related persons shared between enterprises, modified vehicles
matched by normalised brand and model, open licenses.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import with_check_digit
from carexport.rules.modified import ANNEX2_ITEMS
from carexport.seals import generate_private_key, sign_document

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
BRANDS = [("比亚迪", "BYD7150WTHEV3"), ("长城", "CC6460RM0F"), ("奇瑞", "SQR7150J62")]
MODIFIED = [("中集", "ZJV5040XXYBJ"), ("程力", "CLW5041XLCB6")]
ANNEX2 = list(ANNEX2_ITEMS)


def uscc(rnd: random.Random) -> str:
    stem = "9111" + "".join(rnd.choice("0123456789") for _ in range(4)) + "MA"
    stem += "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(7))
    return stem + uscc_check_character(stem)


def vin(rnd: random.Random) -> str:
    return with_check_digit("L" + "".join(rnd.choice(VIN_ALPHABET) for _ in range(16)))


def day(rnd: random.Random, start: date, span: int) -> str:
    return (start + timedelta(days=rnd.randint(0, span))).isoformat()


def variant(rnd: random.Random, text: str) -> str:
    """The same identifier or text as another system might write it."""
    return rnd.choice([text, text.lower(), f" {text} ", text.replace("B", "Ｂ")])


def make_world(seed: int, applications: int = 40) -> tuple[Facts, list[Application]]:
    rnd = random.Random(seed)
    persons = [f"1101011980{i:04d}{rnd.randint(0, 9)}X" for i in range(12)]
    enterprises = [uscc(rnd) for _ in range(10)]
    modifiers = [uscc(rnd) for _ in range(3)]
    facts: dict[str, list[Any]] = {k: [] for k in Facts.model_fields}

    for i, code in enumerate(enterprises + modifiers):
        facts["enterprises"].append(
            {
                "uscc": code,
                "name": f"企业{i}",
                "legal_representative_id": rnd.choice([*persons, None]),
                "related_person_ids": rnd.sample(persons, rnd.randint(0, 2)),
            }
        )
        if rnd.random() < 0.7:
            start = date(2025, 1, 1) + timedelta(days=rnd.randint(0, 300))
            facts["export_filings"].append(
                {
                    "enterprise_uscc": variant(rnd, code),
                    "province": "天津",
                    "valid_from": start.isoformat(),
                    "valid_to": (start + timedelta(days=365)).isoformat(),
                }
            )
        for _ in range(rnd.choice([0, 0, 1, 2, 3])):
            facts["credit_events"].append(
                {
                    "enterprise_uscc": code,
                    "item": rnd.randint(1, 7),
                    "date": day(rnd, date(2024, 6, 1), 650),
                    "note": rnd.choice([None, "违规填报", "未按期注销"]),
                    "rectification": rnd.choice([None, "none", "submitted", "accepted"]),
                }
            )

    keys = {}
    for i in range(4):
        code = uscc(rnd)
        key = generate_private_key()
        keys[code] = key
        brand = BRANDS[i % len(BRANDS)][0]
        facts["manufacturers"].append(
            {
                "uscc": code,
                "name": f"生产企业{i}",
                "kind": "manufacturer" if i != 3 else "sales_company",
                "in_announcement": i != 2,
                "brands": [brand] if i != 1 else [brand, "其他"],
                "public_key": key.public_key().hex(),
            }
        )
    issuers = list(keys)

    for i, (brand, model) in enumerate(MODIFIED):
        holder = modifiers[i]
        facts["announcement_products"].append(
            {
                "enterprise_uscc": holder,
                "brand": brand,
                "model": f" {model.lower()} ",
                "product_type": "厢式运输车",
                "chassis_brand": "福田",
                "valid_from": "2024-05-01",
                "valid_to": None if i == 0 else rnd.choice(["2026-12-31", "2025-06-30"]),
            }
        )
        facts["ccc_certificates"].append(
            {
                "number": f"2024011101{i:06d}",
                "holder_uscc": holder,
                "brand": brand,
                "model": model,
                "valid_from": "2024-05-01",
                "valid_to": "2029-04-30",
                "status": rnd.choice(["valid", "valid", "suspended"]),
            }
        )
        facts["modifier_capacity"].append(
            {
                "enterprise_uscc": holder,
                "annual_capacity": 100,
                "exported_last_12_months": 150 if i == 0 else 50,
            }
        )

    pool = []
    for n in range(120):
        v = vin(rnd)
        modified = n % 7 == 0
        brand, model = MODIFIED[n % 2] if modified else BRANDS[n % len(BRANDS)]
        owner = rnd.choice(enterprises)
        registered = day(rnd, date(2025, 6, 1), 300)
        pool.append((v, brand, model, owner, registered, modified))
        if n % 11 == 0:
            continue  # no registration record
        record = {
            "vin": variant(rnd, v),
            "brand": brand,
            "model": model,
            "registration_date": registered,
            "transfer_for_export_date": rnd.choice([None, "2025-12-20", "2026-02-01"]),
            "export_transfer_count": rnd.choice([1, 1, 2]),
            "status": rnd.choice(["A", "A", "A", "G", "AK"]),
            "owner_uscc": owner,
            "mortgaged": rnd.random() < 0.1,
            "customs_supervised": rnd.choice([None, False, True]),
            "scrap_due_date": rnd.choice([None, "2040-01-01", "2026-08-01"]),
        }
        facts["registrations"].append(record)
        if n % 13 == 0:  # a later, different row for the same VIN: the first counts
            facts["registrations"].append({**record, "vin": v.lower(), "status": "E"})
        for _ in range(rnd.choice([0, 1, 1, 2])):
            facts["inspections"].append(
                {
                    "vin": v,
                    "report_no": rnd.choice([None, f"QC-{rnd.randint(1, 99999)}"]),
                    "body": "天津某检测有限公司",
                    "standard": "WM/T 8-2022",
                    "inspected_on": day(rnd, date(2026, 1, 1), 90),
                    "result": rnd.choice(["pass", "pass", "fail"]),
                }
            )
        if rnd.random() < 0.5:
            issuer = rnd.choice(issuers)
            document: dict[str, Any] = {
                "id": f"CF-{n:04d}",
                "issuer_uscc": issuer,
                "vin": v,
                "brand": brand,
                "model": model,
                "destination_country": rnd.choice(["KZ", "RU", "AE"]),
                "issued_on": day(rnd, date(2026, 1, 1), 60),
                "outlets": [{"name": "网点", "country": rnd.choice(["KZ", "RU"]), "city": "X"}],
                "revoked": rnd.random() < 0.1,
                "x_extension": {"note": "a field the model does not know"},
            }
            signed = sign_document(document, keys[issuer])
            if rnd.random() < 0.15:
                signed["model"] = "ALTERED"  # tampered after signing
            facts["confirmations"].append(signed)

    for k in range(6):
        chosen = rnd.sample(pool, 2)
        facts["open_licenses"].append(
            {"license_no": rnd.choice([None, f"LIC-{k}"]), "vins": [p[0] for p in chosen]}
        )

    apps = []
    for a in range(applications):
        enterprise = rnd.choice(enterprises)
        lines = []
        for entry in rnd.sample(pool, rnd.randint(1, 5)):
            v, brand, model, _owner, registered, modified = entry
            named = f"cf-{pool.index(entry):04d}"  # lower case: ids compare normalised
            line: dict[str, Any] = {
                "vin": variant(rnd, v) if rnd.random() < 0.2 else v,
                "brand": brand,
                "model": model,
                "registration_date": rnd.choice([registered, registered, None]),
                "transfer_for_export_date": rnd.choice(["2026-02-01", None]),
                "confirmation_id": rnd.choice([named, named, None, "CF-9999"]),
                "hs_code": rnd.choice([None, "8703239000", "8704210000"]),
                "modified": modified,
                "chassis_brand": "福田" if modified else None,
                "modified_brand": brand if modified else None,
                "materials": ANNEX2 if modified and rnd.random() < 0.7 else [],
            }
            lines.append(line)
        apps.append(
            Application.model_validate(
                {
                    "application_id": f"TJ-2026-{a:06d}",
                    "submitted_on": day(rnd, date(2026, 2, 1), 120),
                    "enterprise_uscc": variant(rnd, enterprise),
                    "destination_country": rnd.choice(["KZ", "RU", "AE"]),
                    "vehicles": lines,
                }
            )
        )
    return Facts.model_validate(facts), apps
