"""Rendering license PDFs: the rate on one core and on both cores of this machine.

Quick by default (50 PDFs); `CAREXPORT_BENCH=full` renders 1,000 (the issue: "rendering
1,000 license PDFs: print the rate"). Each license is a real signed document (SM2) with
1 to 20 annex lines, rendered as the download route renders it: A4, the embedded CJK
font subset, the seal, the QR code and the signed JSON attached. The font's working copy
(documents/fonts.py) is made before timing, once per machine. The test checks a sample
PDF end to end (its attachment verifies); the rates are printed (run with -s).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

from carexport.documents.keyring import PublishedKey
from carexport.documents.pdf import license_pdf
from carexport.documents.verify import extract_document, verify_document_offline
from carexport.seals import generate_private_key, sign_document

FULL = os.environ.get("CAREXPORT_BENCH") == "full"
COUNT = 1_000 if FULL else 50
BASE_URL = "https://carexport.example.cn"
KEY_ID = "12-20260101-bench000"
BRANDS = [("比亚迪", "BYD7150WTHEV3"), ("长城", "CC6460RM21"), ("吉利", "MR7153A01"),
          ("奇瑞", "SQR7150J621"), ("上汽大众", "SVW71810BU")]  # fmt: skip
EXPORTERS = ["天津滨海新区二手车出口有限公司", "天津港保税区汽车贸易有限公司",
             "天津市东丽区国际车辆进出口有限公司"]  # fmt: skip


def _documents(count: int) -> list[dict[str, Any]]:
    key = generate_private_key()
    documents = []
    for number in range(1, count + 1):
        annex = []
        for line in range(1 + number % 20):
            brand, model = BRANDS[(number + line) % len(BRANDS)]
            annex.append({
                "vin": f"LGXCE4CB{number % 10}P{number * 37 + line:07d}"[:17],
                "brand": brand,
                "model": model,
                "registration_date": "2023-05-01",
                "transfer_for_export_date": "2026-02-20",
            })  # fmt: skip
        unsigned = {
            "document_type": "export_license",
            "license_no": f"12-2026-{number:06d}",
            "version": 1,
            "status": "issued",
            "issued_on": "2026-03-10",
            "valid_from": "2026-03-10",
            "valid_to": "2026-09-09",
            "agency": "天津市商务局",
            "agency_region": "12",
            "enterprise_uscc": "91120116MA06XXXXXX",
            "enterprise_name": EXPORTERS[number % len(EXPORTERS)],
            "destination_country": ["KZ", "RU", "AE", "UZ"][number % 4],
            "annex": annex,
            "key_id": KEY_ID,
            "signed_on": "2026-03-10",
        }
        documents.append(sign_document(unsigned, key))
    documents[0]["_public"] = key.public_key().hex()
    return documents


def _render(document: dict[str, Any]) -> int:
    return len(license_pdf(document, base_url=BASE_URL))


def _render_all(documents: list[dict[str, Any]]) -> int:
    return sum(_render(d) for d in documents)


def test_renders_license_pdfs_and_prints_the_rate() -> None:
    documents = _documents(COUNT)
    public = documents[0].pop("_public")
    started = time.perf_counter()
    sample = license_pdf(documents[0], base_url=BASE_URL)  # makes the font's working copy
    warm = time.perf_counter() - started

    # The sample is a real document: its attachment verifies under the key.
    key = PublishedKey(
        key_id=KEY_ID, org_name="天津市商务局", org_kind="agency", uscc=None, region="12",
        public_key=public, valid_from=date(2026, 1, 1),
    )  # fmt: skip
    attached = extract_document(sample, max_depth=64, max_echo_chars=120)
    assert verify_document_offline(attached, [key]).valid

    started, cpu_started = time.perf_counter(), time.process_time()
    size = _render_all(documents)
    one_core = time.perf_counter() - started
    # CPU time as well: on a loaded machine (tests running beside) wall time overstates it.
    cpu = time.process_time() - cpu_started

    workers = min(2, os.cpu_count() or 1)
    halves = [documents[i::workers] for i in range(workers)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        total = sum(pool.map(_render_all, halves))
    all_cores = time.perf_counter() - started
    assert total == size

    lines = sum(len(d["annex"]) for d in documents)
    print(
        f"\nlicense PDFs: {COUNT} documents, {lines} annex lines, "
        f"{size / COUNT / 1024:.0f} KiB each; first render {warm:.2f} s\n"
        f"  one core:   {COUNT / one_core:7.1f} PDFs/s ({one_core:.1f} s; "
        f"{cpu / COUNT * 1000:.0f} ms CPU per PDF = {COUNT / cpu:.1f}/s per idle core)\n"
        f"  {workers} processes: {COUNT / all_cores:7.1f} PDFs/s ({all_cores:.1f} s, "
        "including the workers' start)"
    )
