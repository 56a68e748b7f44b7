"""Document PDFs without a store: a confirmation's PDF carries its signed JSON, shows its
Chinese in the embedded font and a QR code of its verification URL; a character outside
the font's working copy falls back to the whole font."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carexport.documents.fonts import WORKING_CHARACTERS, font_for, source_font
from carexport.documents.keyring import PublishedKey
from carexport.documents.pdf import confirmation_pdf, license_pdf, verify_url
from carexport.documents.verify import UnusableFile, extract_document, verify_document_offline
from carexport.seals import generate_private_key, sign_document

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm"))
NEEDS_POPPLER = pytest.mark.skipif(
    not POPPLER and not os.environ.get("CI"), reason="poppler-utils not installed"
)
MAKER = "91440300MA5DEXAMPL"
KEY_ID = f"{MAKER}-20260101-0000abcd"


def _signed_confirmation(**changes: Any) -> tuple[dict[str, Any], PublishedKey]:
    key = generate_private_key()
    document = {
        "id": "CF-2026-000123",
        "issuer_uscc": MAKER,
        "vin": "LGXCE4CB8P0123456",
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
        "destination_country": "KZ",
        "issued_on": "2026-02-25",
        "outlets": [{"name": "阿拉木图服务中心", "country": "KZ", "city": "Almaty",
                     "address": "Al-Farabi Ave 77", "phone": "+7 727 000 0000"}],
        "revoked": False,
        "key_id": KEY_ID,
        "signed_on": "2026-02-25",
        **changes,
    }  # fmt: skip
    published = PublishedKey(
        key_id=KEY_ID, org_name="比亚迪汽车工业有限公司", org_kind="manufacturer", uscc=MAKER,
        region=None, public_key=key.public_key().hex(), valid_from=date(2026, 1, 1),
    )  # fmt: skip
    return sign_document(document, key), published


def test_the_verification_url_joins_base_and_number() -> None:
    assert verify_url("https://v.example.cn/", "12-2026-000001") == (
        "https://v.example.cn/verify/12-2026-000001"
    )


def test_a_confirmation_pdf_carries_its_signed_json_which_verifies() -> None:
    document, key = _signed_confirmation()
    pdf = confirmation_pdf(document, issuer_name=key.org_name, base_url="https://v.example.cn")
    assert pdf.startswith(b"%PDF-")
    attached = extract_document(pdf, max_depth=64, max_echo_chars=120)
    assert attached == document
    assert verify_document_offline(attached, [key]).valid


def test_the_destination_swapped_in_the_attachment_does_not_verify() -> None:
    document, key = _signed_confirmation()
    swapped = {**document, "destination_country": "RU"}
    result = verify_document_offline(swapped, [key])
    assert not result.valid
    assert result.code.value == "bad_signature"


def test_rendering_twice_gives_the_same_bytes() -> None:
    document, key = _signed_confirmation()
    first = confirmation_pdf(document, issuer_name=key.org_name, base_url="https://v.example.cn")
    again = confirmation_pdf(document, issuer_name=key.org_name, base_url="https://v.example.cn")
    assert first == again


@pytest.mark.parametrize(
    "data",
    [b"", b"[]", b"{", b"%PDF-1.7\n%%EOF\n", b"%PDF-" + b"\x00" * 100],
)
def test_a_file_without_a_signed_object_is_unusable(data: bytes) -> None:
    with pytest.raises(UnusableFile):
        extract_document(data, max_depth=64, max_echo_chars=120)


def test_a_rare_character_is_set_in_the_whole_font() -> None:
    assert ord("堃") not in WORKING_CHARACTERS  # GBK, not GB 2312
    assert font_for("天津堃达出口有限公司") == source_font()
    assert font_for("天津滨海出口有限公司") != source_font()


@NEEDS_POPPLER
def test_the_rare_character_is_embedded_and_extractable(tmp_path: Path) -> None:
    document, key = _signed_confirmation(brand="堃")
    path = tmp_path / "c.pdf"
    path.write_bytes(
        confirmation_pdf(document, issuer_name=key.org_name, base_url="https://v.example.cn")
    )
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "堃" in text
    assert "售后服务确认书" in text


@NEEDS_POPPLER
def test_a_confirmation_pdf_shows_its_chinese_and_its_qr_code(tmp_path: Path) -> None:
    import zxingcpp
    from PIL import Image

    document, key = _signed_confirmation()
    path = tmp_path / "c.pdf"
    path.write_bytes(
        confirmation_pdf(document, issuer_name=key.org_name, base_url="https://v.example.cn")
    )
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert all(" yes yes " in row for row in fonts.stdout.splitlines()[2:])
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    for expected in (
        "售后服务确认书",
        "比亚迪汽车工业有限公司",
        "阿拉木图服务中心",
        "CF-2026-000123",
        "哈萨克斯坦 Kazakhstan (KZ)",  # the destination named, not only its code
    ):
        assert expected in text
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "p")], check=True)
    [page] = sorted(tmp_path.glob("p*.png"))
    codes = zxingcpp.read_barcodes(Image.open(page))
    assert [c.text for c in codes] == ["https://v.example.cn/verify/CF-2026-000123"]


@NEEDS_POPPLER
def test_a_license_of_many_vehicles_runs_over_pages_with_every_vin(tmp_path: Path) -> None:
    annex = [{"vin": f"LGXCE4CB8P{n:07d}", "brand": "长城", "model": "CC6460RM21",
              "registration_date": "2023-01-01", "transfer_for_export_date": "2026-01-01"}
             for n in range(60)]  # fmt: skip
    document = {"license_no": "12-2026-000009", "version": 1, "agency": "天津市商务局",
                "annex": annex, "signed_on": "2026-03-10"}  # fmt: skip
    path = tmp_path / "l.pdf"
    path.write_bytes(license_pdf(document, base_url="https://v.example.cn"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert text.count("\f") >= 2  # pages
    assert all(line["vin"] in text for line in annex)
    assert "第 2/" in text  # the footer numbers the pages
