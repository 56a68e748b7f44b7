"""Rebuild the examples' FACTS.json files and their verdicts, one example per outcome.

- examples/application.json + facts.json: four vehicles, decision `fail` (the README's
  worked example);
- examples/pass/: two vehicles, one near-new with a sealed 售后服务确认书, decision `pass`;
- examples/review/: a clean vehicle from an exporter with unrectified credit events,
  decision `review` (CREDIT.RECTIFICATION_REQUIRED).

The manufacturer's key is examples/keys/byd-demo.key.pem (a demo key, published on
purpose: never use it for anything real). Each verdict.json is written by the
`carexport check` command itself, so tests/e2e/test_examples.py can hold the README to
it. Run from the repository root:

    .venv/bin/python examples/build_facts.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from carexport.seals import PrivateKey, private_key_from_pem, sign_document, verify_document

HERE = Path(__file__).parent
EXPORTER = "91120116MA06XJ8K4G"
PASS_EXPORTER = "91120116MA07AB3C0D"
REVIEW_EXPORTER = "91120104MA05XK2P0E"
BYD = "91440300279568341Q"


def registration(
    vin: str,
    brand: str,
    model: str,
    registered: str,
    transfer: str,
    owner: str = EXPORTER,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "vin": vin,
        "brand": brand,
        "model": model,
        "registration_date": registered,
        "transfer_for_export_date": transfer,
        "export_transfer_count": 1,
        "status": "A",
        "owner_uscc": owner,
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


def export_filing(uscc: str) -> dict[str, Any]:
    return {
        "enterprise_uscc": uscc,
        "province": "天津",
        "valid_from": "2025-07-01",
        "valid_to": "2026-06-30",
    }


def byd(key: PrivateKey) -> dict[str, Any]:
    return {
        "uscc": BYD,
        "name": "比亚迪汽车工业有限公司",
        "kind": "manufacturer",
        "in_announcement": True,
        "brands": ["比亚迪"],
        "public_key": key.public_key().hex(),
    }


def seal(confirmation: dict[str, Any], key: PrivateKey, facts_path: Path) -> dict[str, Any]:
    """The confirmation sealed; the signature already in `facts_path` is kept when it
    still verifies over the same content. SM2 draws a fresh nonce for every signature,
    so re-running the builder would otherwise rewrite every file for nothing."""
    if facts_path.exists():
        previous = json.loads(facts_path.read_text(encoding="utf-8"))
        for old in previous.get("confirmations", []):
            unsigned = {k: v for k, v in old.items() if k != "signature"}
            public = key.public_key()
            if unsigned == confirmation and verify_document(old, public) is None:
                return dict(old)
    return sign_document(confirmation, key)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_verdict(directory: Path) -> None:
    """verdict.json exactly as `carexport check` prints it (the README shows it abridged)."""
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "carexport",
            "check",
            str(directory / "application.json"),
            "--facts",
            str(directory / "facts.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    (directory / "verdict.json").write_text(run.stdout, encoding="utf-8")


def main() -> None:
    key = private_key_from_pem((HERE / "keys" / "byd-demo.key.pem").read_text())
    build_fail(key)
    build_pass(key)
    build_review()
    for directory in (HERE, HERE / "pass", HERE / "review"):
        write_verdict(directory)


def build_pass(key: PrivateKey) -> None:
    """Two clean vehicles: a near-new BYD with its sealed confirmation, a used Chery."""
    confirmation = {
        "id": "CF-2026-0002",
        "issuer_uscc": BYD,
        "vin": "LGXCE4CB3P0123789",
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
        "destination_country": "KZ",
        "issued_on": "2026-03-04",
        "outlets": [
            {
                "name": "BYD Almaty Service Center",
                "country": "KZ",
                "city": "Almaty",
                "address": "Al-Farabi Ave 77",
                "phone": "+7 727 000 0000",
            },
            {
                "name": "BYD Astana Service Center",
                "country": "KZ",
                "city": "Astana",
                "address": "Kabanbay Batyr Ave 12",
                "phone": "+7 717 000 0000",
            },
        ],
        "revoked": False,
    }
    facts = {
        "registrations": [
            registration(
                "LGXCE4CB3P0123789",
                "比亚迪",
                "BYD7150WTHEV3",
                "2026-01-20",
                "2026-03-02",
                owner=PASS_EXPORTER,
            ),
            registration(
                "LVVDB11B9PD200045",
                "奇瑞",
                "SQR7151J6T",
                "2023-06-15",
                "2026-03-03",
                owner=PASS_EXPORTER,
            ),
        ],
        "inspections": [
            inspection("LGXCE4CB3P0123789", "TJ-QC-2026-0512", "2026-03-05"),
            inspection("LVVDB11B9PD200045", "TJ-QC-2026-0513", "2026-03-05"),
        ],
        "export_filings": [export_filing(PASS_EXPORTER)],
        "manufacturers": [byd(key)],
        "confirmations": [seal(confirmation, key, HERE / "pass" / "facts.json")],
        "announcement_products": [],
        "ccc_certificates": [],
        "enterprises": [
            {
                "uscc": PASS_EXPORTER,
                "name": "天津某国际贸易有限公司",
                "legal_representative_id": "120101197807070033",
                "related_person_ids": [],
            }
        ],
        "credit_events": [],
        "modifier_capacity": [],
        "open_licenses": [],
    }
    write_json(HERE / "pass" / "facts.json", facts)


def build_review() -> None:
    """A clean used car; its exporter has two 2025 events whose rectification is pending."""
    facts = {
        "registrations": [
            registration(
                "L6T7824Z0NN000412",
                "吉利",
                "MR7153A01",
                "2022-09-08",
                "2026-03-05",
                owner=REVIEW_EXPORTER,
            ),
        ],
        "inspections": [inspection("L6T7824Z0NN000412", "TJ-QC-2026-0530", "2026-03-06")],
        "export_filings": [export_filing(REVIEW_EXPORTER)],
        "manufacturers": [],
        "confirmations": [],
        "announcement_products": [],
        "ccc_certificates": [],
        "enterprises": [
            {
                "uscc": REVIEW_EXPORTER,
                "name": "天津某二手车出口有限公司",
                "legal_representative_id": "120101198203030044",
                "related_person_ids": [],
            }
        ],
        "credit_events": [
            {
                "enterprise_uscc": REVIEW_EXPORTER,
                "item": 5,
                "date": "2025-06-12",
                "note": "逾期办理注销登记",
                "rectification": "accepted",
            },
            {
                "enterprise_uscc": REVIEW_EXPORTER,
                "item": 5,
                "date": "2025-11-20",
                "note": "附表转让登记日期填报不一致",
                "rectification": "submitted",
            },
        ],
        "modifier_capacity": [],
        "open_licenses": [],
    }
    write_json(HERE / "review" / "facts.json", facts)


def build_fail(key: PrivateKey) -> None:
    """The README's worked example: four vehicles, two of them failing."""
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
        "export_filings": [export_filing(EXPORTER)],
        "manufacturers": [byd(key)],
        "confirmations": [seal(confirmation, key, HERE / "facts.json")],
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
    write_json(HERE / "facts.json", facts)
    write_json(HERE / "confirmation.json", confirmation)


if __name__ == "__main__":
    main()
