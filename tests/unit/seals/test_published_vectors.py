"""Our SM2/SM3 against the examples published with the standards.

SM2: the signature example on the recommended curve of GB/T 32918.5 / GM/T 0003.5
(given with GB/T 32918.2-2016 Annex A): private key d, message "message digest", signer
ID 1234567812345678, nonce k, and the resulting Z_A, e and (r, s). The numbers were read
from independent public test suites that agree digit for digit (hellobchain/newcryptosm's
Go test, gmalglib's C test, several SM2 C and Python KAT files), not typed from memory.
The published (r, s) can only verify if Z_A is built with the ID 1234567812345678, so
this also proves the library's default signer ID.

SM3: GB/T 32905-2016 Annex A ("abc" and "abcd" x 16).
"""

from __future__ import annotations

import pytest

from carexport.seals import (
    SIGNER_ID,
    encode_signature,
    private_key_from_scalar,
    public_key_from_hex,
    sm3_digest,
)

D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
PUBLIC_X = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
PUBLIC_Y = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
MESSAGE = b"message digest"
R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
# Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), published in the same example.
Z_A = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
E = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"

A = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
B = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
G_X = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
G_Y = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"

PUBLISHED_POINT = "04" + PUBLIC_X + PUBLIC_Y


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_sm3_digests_match_the_gbt_32905_examples(message: bytes, digest: str) -> None:
    assert sm3_digest(message).hex() == digest


def test_z_a_and_e_of_the_published_example_follow_from_the_signer_id() -> None:
    entl = (len(SIGNER_ID) * 8).to_bytes(2, "big")
    z_a = sm3_digest(entl + SIGNER_ID + bytes.fromhex(A + B + G_X + G_Y + PUBLIC_X + PUBLIC_Y))
    assert z_a.hex().upper() == Z_A
    assert sm3_digest(z_a + MESSAGE).hex().upper() == E


def test_the_published_private_key_yields_the_published_public_point() -> None:
    assert private_key_from_scalar(D).public_key().hex() == PUBLISHED_POINT.lower()


def test_the_published_signature_of_message_digest_verifies() -> None:
    key = public_key_from_hex(PUBLISHED_POINT)
    assert key.verify(encode_signature(R, S), MESSAGE)


@pytest.mark.parametrize(
    ("r", "s", "message"),
    [
        pytest.param(R ^ 1, S, MESSAGE, id="r low bit"),
        pytest.param(R ^ (1 << 200), S, MESSAGE, id="r high bit"),
        pytest.param(R, S ^ 1, MESSAGE, id="s low bit"),
        pytest.param(R, S, b"message digesu", id="message last bit"),
    ],
)
def test_a_one_bit_change_of_the_published_example_is_rejected(
    r: int, s: int, message: bytes
) -> None:
    key = public_key_from_hex(PUBLISHED_POINT)
    assert not key.verify(encode_signature(r, s), message)


def test_our_signature_of_the_example_message_verifies_under_the_published_key() -> None:
    signature = private_key_from_scalar(D).sign(MESSAGE)
    assert public_key_from_hex(PUBLISHED_POINT).verify(signature, MESSAGE)
