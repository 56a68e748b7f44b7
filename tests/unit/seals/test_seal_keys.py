"""SM2 keys: generation, PEM and hex forms, and refusals."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest

from carexport.seals import (
    CURVE_ORDER,
    InvalidKey,
    encode_signature,
    generate_private_key,
    load_public_key,
    private_key_from_pem,
    private_key_from_scalar,
    public_key_from_hex,
    public_key_from_pem,
)

# DER of OBJECT IDENTIFIER 1.2.156.10197.1.301 (the SM2 curve).
SM2_CURVE_OID_DER = bytes.fromhex("06082a811ccf5501822d")


def _pem_body(pem: str) -> bytes:
    return base64.b64decode("".join(line for line in pem.splitlines() if "-----" not in line))


def test_generated_keys_are_distinct_and_sign_verifiably() -> None:
    first, second = generate_private_key(), generate_private_key()
    assert first.public_key() != second.public_key()
    assert first.public_key().verify(first.sign(b"m"), b"m")


def test_a_private_key_survives_a_pkcs8_pem_round_trip() -> None:
    key = private_key_from_scalar(12345)
    pem = key.pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert private_key_from_pem(pem).public_key() == key.public_key()


def test_an_encrypted_private_key_needs_its_passphrase() -> None:
    key = private_key_from_scalar(12345)
    pem = key.pem(b"correct horse")
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert private_key_from_pem(pem, b"correct horse").public_key() == key.public_key()
    with pytest.raises(InvalidKey, match="passphrase"):
        private_key_from_pem(pem)
    with pytest.raises(InvalidKey, match="passphrase is wrong"):
        private_key_from_pem(pem, b"wrong")


def test_a_plain_private_key_given_a_passphrase_is_refused_with_a_hint() -> None:
    with pytest.raises(InvalidKey, match="not encrypted"):
        private_key_from_pem(private_key_from_scalar(7).pem(), b"secret")


def test_the_public_key_pem_names_the_sm2_curve_oid() -> None:
    pem = private_key_from_scalar(12345).public_key().pem()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert SM2_CURVE_OID_DER in _pem_body(pem)


def test_a_public_key_survives_pem_and_hex_round_trips() -> None:
    public = private_key_from_scalar(99).public_key()
    assert public_key_from_pem(public.pem()) == public
    assert public_key_from_hex(public.hex()) == public
    assert public_key_from_hex(public.hex().upper()) == public
    assert len(public.hex()) == 130
    assert public.hex().startswith("04")


def test_a_public_key_loads_from_either_pem_or_hex() -> None:
    public = private_key_from_scalar(99).public_key()
    assert load_public_key(public.pem()) == public
    assert load_public_key(public.pem().encode()) == public
    assert load_public_key(f"  {public.hex()}\n") == public


@pytest.mark.parametrize("d", [0, -1, CURVE_ORDER - 1, CURVE_ORDER, 2**256, True])
def test_a_scalar_outside_one_to_n_minus_two_is_refused(d: int) -> None:
    with pytest.raises(InvalidKey):
        private_key_from_scalar(d)


def test_a_scalar_key_is_deterministic() -> None:
    assert private_key_from_scalar(2026).public_key() == private_key_from_scalar(2026).public_key()


@pytest.mark.parametrize("text", ["", "garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END"])
def test_text_that_is_no_key_is_refused(text: str) -> None:
    with pytest.raises(InvalidKey):
        load_public_key(text)
    with pytest.raises(InvalidKey):
        private_key_from_pem(text)


@pytest.mark.parametrize(("r", "s"), [(0, 1), (1, 0), (CURVE_ORDER, 1), (1, CURVE_ORDER)])
def test_a_signature_value_outside_one_to_n_minus_one_is_not_encoded(r: int, s: int) -> None:
    with pytest.raises(ValueError, match="r and s"):
        encode_signature(r, s)


def test_a_key_on_another_curve_is_refused(openssl: str, tmp_path: Path) -> None:
    key_path, pub_path = tmp_path / "p256.key.pem", tmp_path / "p256.pub.pem"
    subprocess.run(
        [
            openssl,
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            str(key_path),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [openssl, "pkey", "-in", str(key_path), "-pubout", "-out", str(pub_path)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(InvalidKey):
        public_key_from_pem(pub_path.read_text())
    with pytest.raises(InvalidKey):
        private_key_from_pem(key_path.read_text())


def test_the_private_key_repr_does_not_show_the_secret() -> None:
    key = private_key_from_scalar(0xABCDEF0123)
    assert "abcdef0123" not in repr(key).lower()
    assert key.pem() not in repr(key)


# Throwaway keys made with OpenSSL 3 for these tests (never used for anything else).
P256_PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgIWAWGF/XTcm+sN5i
Pa2IR47HdfzuWx/UkAAq0zU9GwuhRANCAAShHBbUjH+jae5rO8CeBKGXyb9GdpFu
q6SzzI5KRD8E23K9hXXLcvF9nAN3F1XuMoJ8CgI0iMJKpa0tPp37ubqT
-----END PRIVATE KEY-----
"""
P256_PUBLIC_PEM = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoRwW1Ix/o2nuazvAngShl8m/RnaR
bquks8yOSkQ/BNtyvYV1y3LxfZwDdxdV7jKCfAoCNIjCSqWtLT6d+7m6kw==
-----END PUBLIC KEY-----
"""
ED25519_PRIVATE_PEM = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIhkGuhoLRGzA/8ifyykb/SASl44bi2RRQ431IVzY+Wx
-----END PRIVATE KEY-----
"""


@pytest.mark.parametrize(
    "load",
    [lambda: private_key_from_pem(P256_PRIVATE_PEM), lambda: load_public_key(P256_PUBLIC_PEM)],
)
def test_a_p256_key_is_refused_as_the_wrong_curve_naming_both_curves(load: Any) -> None:
    with pytest.raises(InvalidKey) as caught:
        load()
    message = str(caught.value)
    assert "prime256v1" in message
    assert "1.2.840.10045.3.1.7" in message
    assert "1.2.156.10197.1.301" in message
    assert "SubjectPublicKeyInfo" not in message
    assert "passphrase" not in message


def test_a_key_of_another_algorithm_is_named_as_such() -> None:
    with pytest.raises(InvalidKey, match=r"an Ed25519 key .*not SM2"):
        private_key_from_pem(ED25519_PRIVATE_PEM)
