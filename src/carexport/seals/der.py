"""SM2 signatures in DER: SEQUENCE{INTEGER r, INTEGER s}, strictly.

No import from the rest of the package but the curve order, so that every backend can
parse a signature the same way.
"""

from __future__ import annotations

# The order n of the SM2 base point (GB/T 32918.5). A private scalar d must lie in
# [1, n-2]: signing computes (1 + d)^-1 mod n, which does not exist for d = n-1.
CURVE_ORDER = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123

_INTEGER = 0x02
_SEQUENCE = 0x30


def encode_signature(r: int, s: int) -> bytes:
    """DER SEQUENCE{INTEGER r, INTEGER s} for 1 <= r, s < n."""
    for value in (r, s):
        if not 1 <= value < CURVE_ORDER:
            raise ValueError("r and s must lie in [1, n-1]")
    body = b"".join(_der_integer(value) for value in (r, s))
    return bytes([_SEQUENCE, len(body)]) + body


def _der_integer(value: int) -> bytes:
    # One spare bit keeps the sign bit clear: DER integers are two's complement.
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([_INTEGER, len(content)]) + content


def decode_signature(der: bytes) -> tuple[int, int]:
    """(r, s) from a strict DER SEQUENCE{INTEGER r, INTEGER s}; ValueError otherwise.

    Strict (minimal lengths, positive minimal integers, nothing trailing) because a
    lenient parser lets several byte strings stand for one signature, and tools disagree
    about which of them they accept.
    """
    if len(der) < 2 or der[0] != _SEQUENCE or der[1] >= 0x80 or der[1] != len(der) - 2:
        raise ValueError("not a DER SEQUENCE")
    values: list[int] = []
    at = 2
    while at < len(der):
        if len(values) == 2:
            raise ValueError("more than two elements")
        if at + 2 > len(der) or der[at] != _INTEGER:
            raise ValueError("element is not an INTEGER")
        length = der[at + 1]
        content = der[at + 2 : at + 2 + length]
        if length == 0 or length >= 0x80 or len(content) != length:
            raise ValueError("bad INTEGER length")
        if content[0] & 0x80:
            raise ValueError("negative INTEGER")
        if length > 1 and content[0] == 0 and not content[1] & 0x80:
            raise ValueError("INTEGER not minimally encoded")
        values.append(int.from_bytes(content, "big"))
        at += 2 + length
    if len(values) != 2:
        raise ValueError("fewer than two elements")
    return values[0], values[1]
