"""Keys and signatures interoperate with OpenSSL 3 both ways (CHECK_FORMAT.md, Seal commands).

OpenSSL is told the signer ID explicitly (distid); its own default for SM2 is empty in
some versions, so the flag is part of the documented command a manufacturer runs.
"""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from carexport.seals import (
    canonical_bytes,
    generate_private_key,
    load_public_key,
    private_key_from_pem,
    sign_document,
    verify_document,
)

SM2_OPTIONS = ["-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678"]

CONFIRMATION = {
    "id": "CF-2026-0042",
    "issuer_uscc": "91440300MA5XXXXXXX",
    "vins": ["LGXCE4CB8P0123456", "LGXCE4CB8P0123457"],
    "brand": "比亚迪",
    "destination_country": "UZ",
    "issued_on": "2026-02-25",
    "outlets": [{"name": "塔什干服务站", "country": "UZ", "city": "Tashkent"}],
    "revoked": False,
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def test_openssl_verifies_a_document_we_signed_with_our_key_files(
    openssl: str, tmp_path: Path
) -> None:
    key = generate_private_key()
    (tmp_path / "maker.pub.pem").write_text(key.public_key().pem())
    sealed = sign_document(CONFIRMATION, key)
    (tmp_path / "doc.bin").write_bytes(canonical_bytes(sealed))
    (tmp_path / "doc.sig").write_bytes(base64.b64decode(sealed["signature"]))

    result = _run(
        openssl, "pkeyutl", "-verify", *SM2_OPTIONS, "-pubin",
        "-inkey", str(tmp_path / "maker.pub.pem"),
        "-in", str(tmp_path / "doc.bin"), "-sigfile", str(tmp_path / "doc.sig"),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "Signature Verified Successfully" in result.stdout


def test_openssl_rejects_our_signature_over_altered_bytes(openssl: str, tmp_path: Path) -> None:
    key = generate_private_key()
    (tmp_path / "maker.pub.pem").write_text(key.public_key().pem())
    sealed = sign_document(CONFIRMATION, key)
    (tmp_path / "doc.bin").write_bytes(canonical_bytes({**sealed, "destination_country": "RU"}))
    (tmp_path / "doc.sig").write_bytes(base64.b64decode(sealed["signature"]))

    result = _run(
        openssl, "pkeyutl", "-verify", *SM2_OPTIONS, "-pubin",
        "-inkey", str(tmp_path / "maker.pub.pem"),
        "-in", str(tmp_path / "doc.bin"), "-sigfile", str(tmp_path / "doc.sig"),
    )  # fmt: skip

    assert result.returncode != 0


def test_we_verify_a_document_signed_by_openssl_with_its_own_key(
    openssl: str, tmp_path: Path
) -> None:
    key_path, pub_path = tmp_path / "maker.key.pem", tmp_path / "maker.pub.pem"
    assert _run(openssl, "genpkey", "-algorithm", "SM2", "-out", str(key_path)).returncode == 0
    assert (
        _run(openssl, "pkey", "-in", str(key_path), "-pubout", "-out", str(pub_path)).returncode
        == 0
    )
    (tmp_path / "doc.bin").write_bytes(canonical_bytes(CONFIRMATION))

    signed = _run(
        openssl, "pkeyutl", "-sign", *SM2_OPTIONS, "-inkey", str(key_path),
        "-in", str(tmp_path / "doc.bin"), "-out", str(tmp_path / "doc.sig"),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr

    document = {
        **CONFIRMATION,
        "signature": base64.b64encode((tmp_path / "doc.sig").read_bytes()).decode(),
    }
    public = load_public_key(pub_path.read_text())
    assert verify_document(document, public.hex()) is None
    assert verify_document(document, public) is None
    # OpenSSL's private key file reads too, and names the same public key.
    assert private_key_from_pem(key_path.read_text()).public_key() == public


def test_openssl_reads_our_encrypted_private_key_with_its_passphrase(
    openssl: str, tmp_path: Path
) -> None:
    key = generate_private_key()
    key_path = tmp_path / "maker.key.pem"
    key_path.write_text(key.pem("s3cret-口令".encode()))

    result = _run(
        openssl, "pkey", "-in", str(key_path), "-passin", "env:SEAL_PASS", "-pubout",
    )  # fmt: skip
    assert result.returncode != 0  # no such variable: the key really is encrypted

    env = {**os.environ, "SEAL_PASS": "s3cret-口令"}
    result = subprocess.run(
        [openssl, "pkey", "-in", str(key_path), "-passin", "env:SEAL_PASS", "-pubout"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert load_public_key(result.stdout) == key.public_key()


def test_we_read_a_private_key_openssl_encrypted(openssl: str, tmp_path: Path) -> None:
    plain, encrypted = tmp_path / "plain.pem", tmp_path / "enc.pem"
    assert _run(openssl, "genpkey", "-algorithm", "SM2", "-out", str(plain)).returncode == 0
    result = _run(
        openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", str(plain),
        "-out", str(encrypted), "-passout", "pass:open sesame",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr

    key = private_key_from_pem(encrypted.read_text(), b"open sesame")
    assert key.public_key() == private_key_from_pem(plain.read_text()).public_key()
