"""Rebuild examples/facts.json: the registries' view of examples/application.json.

The manufacturer's key is examples/keys/byd-demo.key.pem (a demo key, published on
purpose: never use it for anything real). Run from the repository root:

    .venv/bin/python examples/build_facts.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from carexport.seals import private_key_from_pem, sign_document

HERE = Path(__file__).parent
EXPORTER = "91120116MA06XJ8K4G"
BYD = "91440300279568341Q"


def registration(
    vin: str, brand: str, model: str, registered: str, transfer: str, **extra: Any
) -> dict[str, Any]:
    return {
        "vin": vin,
        "brand": brand,
        "model": model,
        "registration_date": registered,
        "transfer_for_export_date": transfer,
        "export_transfer_count": 1,
        "status": "A",
        "owner_uscc": EXPORTER,
        "mortgaged": False,
        "customs_supervised": False,
        "scrap_due_date": None,
        **extra,
    }


def inspection(vin: str, report_no: str, on: str, result: str = "pass") -> dict[str, Any]:
    return {
        "vin": vin,
        "report_no": report_no,
        "body": "天津某机动车检测有限公司",
        "standard": "WM/T 8-2022",
        "inspected_on": on,
        "result": result,
    }


def main() -> None:
    key = private_key_from_pem((HERE / "keys" / "byd-demo.key.pem").read_text())
    confirmation = {
        "id": "CF-2026-0001",
        "issuer_uscc": BYD,
        "vin": "LGXCE4CB9P0123456",
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
        "destination_country": "KZ",
        "issued_on": "2026-02-25",
        "outlets": [
            {
                "name": "BYD Almaty Service Center",
                "country": "KZ",
                "city": "Almaty",
                "address": "Al-Farabi Ave 77",
                "phone": "+7 727 000 0000",
            }
        ],
        "revoked": False,
    }
    facts = {
        "registrations": [
            registration(
                "LGXCE4CB9P0123456", "比亚迪", "BYD7150WTHEV3", "2026-01-05", "2026-02-20"
            ),
            registration(
                "LGXCE4CB0P0654321", "比亚迪", "BYD7150WTHEV3", "2026-01-05", "2026-02-20"
            ),
            registration(
                "LS5A3DKE4RA000003", "长安", "SC6479AAB6", "2024-05-20", "2026-02-18", status="K"
            ),
            registration("LVVDB11B2RD100002", "奇瑞", "SQR7151J6T", "2024-11-02", "2026-02-19"),
        ],
        "inspections": [
            inspection("LGXCE4CB9P0123456", "TJ-QC-2026-0456", "2026-02-22"),
            inspection("LGXCE4CB0P0654321", "TJ-QC-2026-0457", "2026-02-22"),
            inspection("LS5A3DKE4RA000003", "TJ-QC-2026-0458", "2026-02-23"),
            inspection("LVVDB11B2RD100002", "TJ-QC-2026-0459", "2026-02-23"),
        ],
        "export_filings": [
            {
                "enterprise_uscc": EXPORTER,
                "province": "天津",
                "valid_from": "2025-07-01",
                "valid_to": "2026-06-30",
            }
        ],
        "manufacturers": [
            {
                "uscc": BYD,
                "name": "比亚迪汽车工业有限公司",
                "kind": "manufacturer",
                "in_announcement": True,
                "brands": ["比亚迪"],
                "public_key": key.public_key().hex(),
            }
        ],
        "confirmations": [sign_document(confirmation, key)],
        "announcement_products": [],
        "ccc_certificates": [],
        "enterprises": [
            {
                "uscc": EXPORTER,
                "name": "天津某汽车贸易有限公司",
                "legal_representative_id": "120101198001010011",
                "related_person_ids": ["120101198502020022"],
            }
        ],
        "credit_events": [
            {
                "enterprise_uscc": EXPORTER,
                "item": 5,
                "date": "2025-10-01",
                "note": "附表转让登记日期填报不一致",
                "rectification": "none",
            }
        ],
        "modifier_capacity": [],
        "open_licenses": [],
    }
    (HERE / "facts.json").write_text(
        json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (HERE / "confirmation.json").write_text(
        json.dumps(confirmation, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
