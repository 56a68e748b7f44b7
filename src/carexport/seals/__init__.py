"""SM2/SM3 seals: canonical JSON, keys, signing and verifying documents.

Pure: no file or network I/O and no clock; callers read and write the PEM text. The one
exception is loading the system libcrypto for verification (seals.libcrypto, ADR 0023).
"""

from carexport.seals.canonical import SIGNATURE_KEY, canonical_bytes
from carexport.seals.der import CURVE_ORDER, decode_signature, encode_signature
from carexport.seals.errors import InvalidKey, SealError, UnsignableDocument
from carexport.seals.keys import (
    PrivateKey,
    PublicKey,
    generate_private_key,
    load_public_key,
    private_key_from_pem,
    private_key_from_scalar,
    public_key_from_hex,
    public_key_from_pem,
)
from carexport.seals.signatures import sign_document, verify_document
from carexport.seals.sm3 import sm3_digest
from carexport.seals.verify_backend import (
    SIGNER_ID,
    VerifyBackend,
    available_backends,
    current_backend,
    using_backend,
)

__all__ = [
    "CURVE_ORDER",
    "SIGNATURE_KEY",
    "SIGNER_ID",
    "InvalidKey",
    "PrivateKey",
    "PublicKey",
    "SealError",
    "UnsignableDocument",
    "VerifyBackend",
    "available_backends",
    "canonical_bytes",
    "current_backend",
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
    "using_backend",
    "verify_document",
]
