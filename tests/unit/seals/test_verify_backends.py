"""The two SM2 verify backends (docs/decisions/0023): libcrypto's answers are tongsuopy's.

Every other test in this folder already runs under both (conftest.py); these compare
them on inputs built to hit the edges of the verification equation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carexport.seals import (
    CURVE_ORDER,
    SIGNER_ID,
    VerifyBackend,
    available_backends,
    decode_signature,
    private_key_from_scalar,
    using_backend,
)
from carexport.seals.libcrypto import load
from carexport.seals.verify_backend import system_libcrypto

SCALARS = st.integers(min_value=1, max_value=CURVE_ORDER - 2)
MESSAGES = st.binary(max_size=200)
# r or s values around the limits of [1, n-1], and random ones.
EDGES = st.one_of(
    st.sampled_from([0, 1, 2, CURVE_ORDER - 1, CURVE_ORDER, CURVE_ORDER + 1, 2**256 - 1]),
    st.integers(min_value=0, max_value=2**256 - 1),
)


def _der(r: int, s: int) -> bytes:
    """DER SEQUENCE{r, s} for any non-negative r, s (encode_signature refuses those out
    of range, which is what these tests need to send)."""

    def integer(value: int) -> bytes:
        content = value.to_bytes(value.bit_length() // 8 + 1, "big")
        return bytes([0x02, len(content)]) + content

    body = integer(r) + integer(s)
    return bytes([0x30, len(body)]) + body


def _both(d: int, signature: bytes, message: bytes) -> tuple[bool, bool]:
    public = private_key_from_scalar(d).public_key()
    answers = []
    for backend in (VerifyBackend.LIBCRYPTO, VerifyBackend.TONGSUOPY):
        with using_backend(backend):
            answers.append(public.verify(signature, message))
    return answers[0], answers[1]


def test_the_system_libcrypto_is_the_preferred_backend_on_this_machine() -> None:
    assert available_backends() == (VerifyBackend.LIBCRYPTO, VerifyBackend.TONGSUOPY)


def test_libcrypto_is_not_used_with_a_signer_id_that_fails_the_published_example() -> None:
    # The load-time check computes Z_A with the ID it is given: another ID cannot
    # verify the GB/T 32918 example, so the ID really enters the computation.
    assert load(SIGNER_ID) is not None
    assert load(b"1234567812345679") is None


def test_a_point_off_the_curve_is_refused_by_libcrypto() -> None:
    crypto = system_libcrypto()
    assert crypto is not None
    point = bytearray.fromhex(private_key_from_scalar(7).public_key().hex())
    point[-1] ^= 1
    with pytest.raises(ValueError, match="not a point"):
        crypto.key(bytes(point))


@settings(max_examples=40, deadline=None)
@given(d=SCALARS, message=MESSAGES, flip=st.integers(min_value=0, max_value=511))
def test_both_backends_agree_on_genuine_and_altered_signatures(
    d: int, message: bytes, flip: int
) -> None:
    key = private_key_from_scalar(d)
    signature = key.sign(message)
    assert _both(d, signature, message) == (True, True)
    r, s = decode_signature(signature)
    r, s = (r ^ (1 << flip), s) if flip < 256 else (r, s ^ (1 << (flip - 256)))
    assert _both(d, _der(r, s), message) == (False, False)
    assert _both(d, signature, message + b"\x00") == (False, False)


@settings(max_examples=40, deadline=None)
@given(d=SCALARS, r=EDGES, s=EDGES)
def test_both_backends_refuse_out_of_range_and_random_r_s(d: int, r: int, s: int) -> None:
    assert _both(d, _der(r, s), b"message digest") == (False, False)


def test_both_refuse_s_that_makes_t_zero() -> None:
    # t = (r + s) mod n = 0 is refused by the standard before any point arithmetic.
    d = 0x1234567
    r, _ = decode_signature(private_key_from_scalar(d).sign(b"m"))
    assert _both(d, _der(r, CURVE_ORDER - r), b"m") == (False, False)


def test_both_refuse_what_is_not_der() -> None:
    signature = private_key_from_scalar(5).sign(b"m")
    for broken in (b"", b"\x30\x00", signature[:-1], signature + b"\x00", b"\x00" * 70):
        assert _both(5, broken, b"m") == (False, False)


def test_threads_verifying_with_one_key_each_get_the_right_answer() -> None:
    # The GIL is released inside libcrypto: the key's lock keeps its scratch space whole.
    key = private_key_from_scalar(0xC0FFEE)
    public = key.public_key()
    jobs = [(f"message {i}".encode(), i % 3 != 0) for i in range(120)]
    signed = [(m, key.sign(m) if ok else key.sign(m + b"?")) for m, ok in jobs]

    def check(item: tuple[bytes, bytes]) -> bool:
        with using_backend(VerifyBackend.LIBCRYPTO):
            return public.verify(item[1], item[0])

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(check, signed))
    assert answers == [ok for _, ok in jobs]
