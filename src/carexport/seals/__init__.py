"""SM2/SM3 seals: canonical JSON, keys, signing and verifying documents.

Pure: no file or network I/O and no clock; callers read and write the PEM text.
"""

from carexport.seals.canonical import SIGNATURE_KEY, canonical_bytes
from carexport.seals.errors import InvalidKey, SealError, UnsignableDocument
from carexport.seals.keys import (
    CURVE_ORDER,
    PrivateKey,
    PublicKey,
    generate_private_key,
    load_public_key,
    private_key_from_pem,
    private_key_from_scalar,
    public_key_from_hex,
    public_key_from_pem,
)
from carexport.seals.signatures import (
    SIGNER_ID,
    decode_signature,
    encode_signature,
    sign_document,
    verify_document,
)
from carexport.seals.sm3 import sm3_digest

__all__ = [
    "CURVE_ORDER",
    "SIGNATURE_KEY",
    "SIGNER_ID",
    "InvalidKey",
    "PrivateKey",
    "PublicKey",
    "SealError",
    "UnsignableDocument",
    "canonical_bytes",
    "decode_signature",
    "encode_signature",
    "generate_private_key",
    "load_public_key",
    "private_key_from_pem",
    "private_key_from_scalar",
    "public_key_from_hex",
    "public_key_from_pem",
    "sign_document",
    "sm3_digest",
    "verify_document",
]
