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
from carexport.seals.der import decode_signature
from carexport.seals.errors import InvalidKey, UnsignableDocument
from carexport.seals.keys import PrivateKey, PublicKey, public_key_from_hex
from carexport.seals.memo import VERIFICATIONS
from carexport.seals.verify_backend import chosen_backend

_ASCII_WHITESPACE = b" \t\r\n\v\f"


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
    if not _signature_valid(key, der, message):
        return "signature does not verify"
    return None


def _signature_valid(key: PublicKey, der: bytes, message: bytes) -> bool:
    """key.verify(der, message), from the process's memo when it was computed before
    (seals.memo: the answer is a pure function of the three). Only the cryptography is
    memoised: every caller still decides, on each check, whose key this is and whether
    it may sign on that day. Under `using_backend` the named backend computes it."""
    if chosen_backend() is not None:
        return key.verify(der, message)
    return VERIFICATIONS.verified(key.point(), der, message, key.verify)
