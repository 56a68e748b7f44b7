"""Signing and verifying documents: the contract of CHECK_FORMAT.md, and refusals."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carexport.seals import (
    CURVE_ORDER,
    UnsignableDocument,
    canonical_bytes,
    decode_signature,
    encode_signature,
    private_key_from_scalar,
    sign_document,
    verify_document,
)

ISSUER = private_key_from_scalar(0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988)
STRANGER = private_key_from_scalar(
    0x2468ACE02468ACE02468ACE02468ACE02468ACE02468ACE02468ACE02468ACE0
)
ISSUER_HEX = ISSUER.public_key().hex()


def confirmation() -> dict[str, Any]:
    return {
        "id": "CF-2026-0001",
        "issuer_uscc": "91440300MA5XXXXXXX",
        "vin": "LGXCE4CB8P0123456",
        "brand": "比亚迪",
        "model": "BYD7150WTHEV3",
        "destination_country": "KZ",
        "issued_on": "2026-02-25",
        "outlets": [
            {"name": "阿拉木图服务中心", "country": "KZ", "city": "Almaty", "phone": "+7 727 000"}
        ],
        "revoked": False,
    }


def test_a_signed_confirmation_verifies_under_its_issuers_key() -> None:
    assert verify_document(sign_document(confirmation(), ISSUER), ISSUER_HEX) is None


def test_the_signature_is_base64_der_of_r_and_s() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    r, s = decode_signature(base64.b64decode(sealed["signature"], validate=True))
    assert r > 0
    assert s > 0


def test_signing_replaces_an_old_signature_and_leaves_the_input_alone() -> None:
    original = {**confirmation(), "signature": "old"}
    sealed = sign_document(original, ISSUER)
    assert original["signature"] == "old"
    assert sealed["signature"] != "old"
    assert verify_document(sealed, ISSUER_HEX) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("destination_country", "RU"),
        ("revoked", True),
        ("vin", "LGXCE4CB8P0123457"),
        ("extra", "a key added after signing"),
    ],
)
def test_a_confirmation_altered_after_signing_is_invalid(field: str, value: object) -> None:
    sealed = sign_document(confirmation(), ISSUER)
    sealed[field] = value
    assert verify_document(sealed, ISSUER_HEX) == "signature does not verify"


def test_an_outlet_altered_after_signing_is_invalid() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    sealed["outlets"][0]["city"] = "Astana"
    assert verify_document(sealed, ISSUER_HEX) == "signature does not verify"


def test_a_confirmation_signed_by_another_key_is_invalid() -> None:
    sealed = sign_document(confirmation(), STRANGER)
    assert verify_document(sealed, ISSUER_HEX) == "signature does not verify"


def test_key_order_and_whitespace_of_the_json_do_not_matter() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    reordered = dict(reversed(list(sealed.items())))
    reread = json.loads(json.dumps(reordered, indent=7, ensure_ascii=True))
    assert verify_document(reread, ISSUER_HEX) is None


def test_chinese_values_are_signed_as_utf8() -> None:
    document = {"brand": "比亚迪", "note": "售后服务确认书"}
    assert canonical_bytes(document) == '{"brand":"比亚迪","note":"售后服务确认书"}'.encode()
    assert verify_document(sign_document(document, ISSUER), ISSUER_HEX) is None


def test_canonical_bytes_leave_out_the_signature_and_sort_keys() -> None:
    assert canonical_bytes({"b": 1.0, "a": [True, None], "signature": "x"}) == (
        b'{"a":[true,null],"b":1}'
    )


def test_the_public_key_may_be_given_in_upper_case_hex() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document(sealed, ISSUER_HEX.upper()) is None


def test_a_signature_wrapped_by_openssl_base64_still_reads() -> None:
    sealed = sign_document(confirmation(), ISSUER)
    text = sealed["signature"]
    sealed["signature"] = text[:64] + "\n" + text[64:] + "\n"
    assert verify_document(sealed, ISSUER_HEX) is None


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "no signature"),
        ("", "no signature"),
        (12345, "signature is not base64"),
        (["MEQ="], "signature is not base64"),
        ({"r": 1}, "signature is not base64"),
        ("not base64!", "signature is not base64"),
        ("签名", "signature is not base64"),
        ("MEQ", "signature is not base64"),
        (base64.b64encode(b"garbage").decode(), "signature is not DER SEQUENCE{r,s}"),
        (base64.b64encode(b"\x30\x00").decode(), "signature is not DER SEQUENCE{r,s}"),
        (base64.b64encode(b"\x30\x03\x02\x01\x01").decode(), "signature is not DER SEQUENCE{r,s}"),
        (
            base64.b64encode(encode_signature(1, 1) + b"\x00").decode(),
            "signature is not DER SEQUENCE{r,s}",
        ),
        (base64.b64encode(encode_signature(1, 1)).decode(), "signature does not verify"),
    ],
)
def test_a_garbage_signature_is_invalid_with_a_reason_and_no_exception(
    signature: object, reason: str
) -> None:
    document = {**confirmation(), "signature": signature}
    assert verify_document(document, ISSUER_HEX) == reason


def test_a_missing_signature_is_reported() -> None:
    assert verify_document(confirmation(), ISSUER_HEX) == "no signature"


@pytest.mark.parametrize(
    "public_key",
    [
        "",
        "04",
        ISSUER_HEX[:-2],
        ISSUER_HEX + "00",
        "05" + ISSUER_HEX[2:],
        "04" + "0" * 128,
        "04" + "1" * 128,
        "04" + "g" * 128,
        ISSUER_HEX[2:],
        None,
        42,
        b"\x04",
    ],
)
def test_a_public_key_that_is_not_an_sm2_point_is_reported(public_key: Any) -> None:
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document(sealed, public_key) == "public key is not an SM2 point 04||x||y"


def test_a_document_that_is_not_an_object_is_reported() -> None:
    assert verify_document(["not", "an", "object"], ISSUER_HEX) == "document is not a JSON object"  # type: ignore[arg-type]


def test_a_number_json_cannot_carry_exactly_is_refused_when_signing_and_verifying() -> None:
    document = {**confirmation(), "amount": 2**60}
    with pytest.raises(UnsignableDocument):
        sign_document(document, ISSUER)
    sealed = sign_document(confirmation(), ISSUER)
    assert verify_document({**sealed, "amount": 2**60}, ISSUER_HEX) == (
        "document has no RFC 8785 canonical form"
    )


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"\x31\x06\x02\x01\x01\x02\x01\x01",
        b"\x30\x06\x02\x01\x81\x02\x01\x01",
        b"\x30\x07\x02\x02\x00\x01\x02\x01\x01",
        b"\x30\x09\x02\x01\x01\x02\x01\x01\x02\x01\x01",
        b"\x30\x06\x02\x01\x01\x04\x01\x01",
        b"\x30\x06\x02\x00\x02\x02\x01\x01",
    ],
    ids=["empty", "SET", "negative", "non-minimal", "three", "octet string", "short"],
)
def test_decoding_refuses_anything_but_strict_der(der: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case fails its own way
        decode_signature(der)


@settings(max_examples=60, deadline=None)
@given(
    r=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
    s=st.integers(min_value=1, max_value=CURVE_ORDER - 1),
)
def test_der_encoding_round_trips_for_every_r_and_s(r: int, s: int) -> None:
    assert decode_signature(encode_signature(r, s)) == (r, s)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(document=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_any_json_object_signs_and_still_verifies_after_a_json_round_trip(
    document: dict[str, Any],
) -> None:
    sealed = sign_document(document, ISSUER)
    assert verify_document(json.loads(json.dumps(sealed)), ISSUER_HEX) is None
