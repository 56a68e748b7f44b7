"""Sealing documents: SM2 with SM3 over canonical JSON, DER SEQUENCE{r, s} in base64.

The contract (CHECK_FORMAT.md): signer ID 1234567812345678, the signed bytes are the
RFC 8785 canonical JSON of the document without its `signature` key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from carexport.seals.canonical import SIGNATURE_KEY, canonical_bytes
from carexport.seals.errors import InvalidKey, UnsignableDocument
from carexport.seals.keys import CURVE_ORDER, PrivateKey, PublicKey, public_key_from_hex

# The signer ID that GM/T 0009 makes the default; every tool in the chain (Tongsuo,
# OpenSSL's distid, GmSSL) must use it or no signature will verify across them.
SIGNER_ID = b"1234567812345678"

_INTEGER = 0x02
_SEQUENCE = 0x30
_ASCII_WHITESPACE = b" \t\r\n\v\f"


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


def sign_document(document: Mapping[str, Any], key: PrivateKey) -> dict[str, Any]:
    """A copy of `document` with `signature` set (any old one replaced)."""
    signature = key.sign(canonical_bytes(document))
    sealed = {name: value for name, value in document.items() if name != SIGNATURE_KEY}
    sealed[SIGNATURE_KEY] = base64.b64encode(signature).decode("ascii")
    return sealed


@lru_cache(maxsize=4096)
def _cached_public_key(point_hex: str) -> PublicKey:
    # Parsing and on-curve checking a point costs about as much as a tenth of a verify;
    # a batch checks thousands of confirmations from a few hundred issuers, so parse
    # each issuer's key once. Failures raise and so are not cached.
    return public_key_from_hex(point_hex)


def verify_document(document: Mapping[str, Any], public_key: str | PublicKey) -> str | None:
    """None when the document's signature verifies under `public_key`, else why not.

    `public_key` is the FACTS.json form "04" + x + y in hex (either case), or a
    PublicKey. Never raises: every malformed input is a reason, not an exception.
    """
    if not isinstance(document, Mapping):
        return "document is not a JSON object"
    signature_text = document.get(SIGNATURE_KEY)
    if signature_text is None or signature_text == "":
        return "no signature"

    if isinstance(public_key, PublicKey):
        key = public_key
    else:
        try:
            key = _cached_public_key(public_key.strip().lower())
        except (InvalidKey, AttributeError, TypeError):
            return "public key is not an SM2 point 04||x||y"

    if not isinstance(signature_text, str):
        return "signature is not base64"
    try:
        # Whitespace is dropped first because `openssl base64` wraps its output at 64
        # columns, and a signature pasted from it must still read.
        compact = signature_text.encode("ascii").translate(None, _ASCII_WHITESPACE)
        der = base64.b64decode(compact, validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return "signature is not base64"
    try:
        decode_signature(der)
    except ValueError:
        return "signature is not DER SEQUENCE{r,s}"

    try:
        message = canonical_bytes(document)
    except UnsignableDocument:
        return "document has no RFC 8785 canonical form"
    if not key.verify(der, message):
        return "signature does not verify"
    return None
